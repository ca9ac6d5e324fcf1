package httpproxy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Dialer opens a stream to an I2P destination: to is a b32.i2p address, a
// b33 address or a base64 destination; port is the I2P port (0: default).
// Errors should wrap ErrNotFound, ErrTimeout, ErrNotReady or ErrRefused
// where they apply (see the package doc).
type Dialer interface {
	Dial(ctx context.Context, to string, port uint16) (net.Conn, error)
}

// Resolver maps a hosts.txt name (example.i2p) to a base64 destination or
// b32 address; ErrUnknownName when it has none.
type Resolver interface {
	Resolve(ctx context.Context, name string) (string, error)
}

// Book saves a name the user confirmed through the address helper.
type Book interface {
	Add(name, dest string) error
}

// Errors the router and the address book return through the interfaces.
var (
	ErrUnknownName = errors.New("httpproxy: unknown host name")
	ErrNotFound    = errors.New("httpproxy: destination not found")
	ErrTimeout     = errors.New("httpproxy: destination timed out")
	ErrNotReady    = errors.New("httpproxy: tunnels not ready")
	ErrRefused     = errors.New("httpproxy: stream refused or reset")
)

// Mode selects the tunnel type.
type Mode int

const (
	// ModeHTTP is Java's httpclient: plain HTTP requests and CONNECT.
	ModeHTTP Mode = iota
	// ModeConnect is Java's connectclient: CONNECT only.
	ModeConnect
)

// Defaults taken from Java I2P.
const (
	// DefaultUserAgent replaces the browser's User-Agent toward I2P sites
	// (I2PTunnelHTTPClient.UA_I2P).
	DefaultUserAgent = "MYOB/6.66 (AN/ON)"
	// OutproxyUserAgent replaces it toward the outproxy (UA_CLEARNET).
	OutproxyUserAgent = "Mozilla/5.0 (Windows NT 6.1; rv:52.0) Gecko/20100101 Firefox/52.0"
	// LocalHost is the name of the proxy's own pages.
	LocalHost = "proxy.i2p"
)

// DefaultJumpServers are Java's DEFAULT_JUMP_SERVERS.
var DefaultJumpServers = []string{
	"http://stats.i2p/cgi-bin/jump.cgi?a=",
	"http://no.i2p/jump/",
	"http://i2pjump.i2p/jump/",
}

// Config configures a proxy. The zero value is Java's default httpclient
// without an outproxy.
type Config struct {
	Mode Mode
	// Outproxy is the name.i2p or b32 address of an HTTP outproxy for
	// non-I2P hosts; "" means none: those get the "no outproxy" page.
	Outproxy string
	// JumpServers are jump service URL prefixes (the target host and path
	// are appended) offered on the unknown-name page; nil means
	// DefaultJumpServers. As in Java, those whose host does not resolve are
	// left out.
	JumpServers []string
	// UserAgent replaces User-Agent toward I2P sites; "" is
	// DefaultUserAgent.
	UserAgent string
	// ConnectPorts are the I2P ports CONNECT may reach; nil means {443}.
	ConnectPorts []uint16
	// DisableAddressHelper ignores i2paddresshelper parameters (Java's
	// i2ptunnel.httpclient.disableAddressHelper).
	DisableAddressHelper bool
	// MaxHeaderBytes bounds a request's line plus headers; 0 is 32 KiB
	// (Java's I2PTunnelHTTPServer MAX_TOTAL_HEADER_SIZE).
	MaxHeaderBytes int
	// MaxHeaderLines bounds the number of header lines; 0 is 60 (Java's
	// MAX_HEADERS).
	MaxHeaderLines int
	// HeaderTimeout bounds the time from a request's first byte to the end
	// of its headers; 0 is 15 s (Java's INITIAL_SO_TIMEOUT).
	HeaderTimeout time.Duration
	// IdleTimeout is how long a kept-alive browser connection may wait for
	// its next request; 0 is 60 s.
	IdleTimeout time.Duration
	// ReadTimeout is the longest silence while reading a body or a
	// response, or while waiting for the browser to take data; 0 is 5 min
	// (Java's DEFAULT_READ_TIMEOUT).
	ReadTimeout time.Duration
	// DialTimeout bounds Dial; 0 is 60 s (Java's connect timeout).
	DialTimeout time.Duration
	// CSRFSecret keys the address helper form tokens; nil means 32 random
	// bytes per proxy (tokens then die with the process).
	CSRFSecret []byte
}

// Deps are the proxy's collaborators.
type Deps struct {
	Dialer   Dialer   // required
	Resolver Resolver // nil: only b32 and b33 addresses work
	Book     Book     // nil: the helper page only offers "continue"
	Logger   *slog.Logger
	// Rand makes the CSRF secret when Config has none; nil is crypto/rand.
	Rand io.Reader
	// Now is the clock for form tokens; nil is time.Now.
	Now func() time.Time
}

// Stats are counters since New.
type Stats struct {
	Conns     uint64 // browser connections accepted
	Active    int64  // browser connections open
	Requests  uint64 // HTTP requests forwarded to I2P or the outproxy
	Connects  uint64 // CONNECT tunnels opened
	Local     uint64 // local pages served (proxy.i2p, helper pages, redirects)
	Errors    uint64 // error pages and rejected requests
	BytesUp   uint64 // body and tunnel bytes from browsers
	BytesDown uint64 // body and tunnel bytes to browsers
}

// Proxy is an HTTP/CONNECT client proxy.
type Proxy struct {
	cfg    Config
	dialer Dialer
	res    Resolver
	book   Book
	log    *slog.Logger
	now    func() time.Time
	secret []byte
	ports  map[uint16]bool

	helpers helperMap

	conns, requests, connects, local, errs, up, down atomic.Uint64
	active                                           atomic.Int64
}

// New validates cfg and builds a proxy. It does no network I/O.
func New(cfg Config, deps Deps) (*Proxy, error) {
	if deps.Dialer == nil {
		return nil, errors.New("httpproxy: no Dialer")
	}
	if cfg.Mode != ModeHTTP && cfg.Mode != ModeConnect {
		return nil, fmt.Errorf("httpproxy: unknown mode %d", cfg.Mode)
	}
	if cfg.MaxHeaderBytes < 0 || cfg.MaxHeaderLines < 0 || cfg.HeaderTimeout < 0 ||
		cfg.IdleTimeout < 0 || cfg.ReadTimeout < 0 || cfg.DialTimeout < 0 {
		return nil, errors.New("httpproxy: negative limit")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.MaxHeaderBytes, 32<<10)
	def(&cfg.MaxHeaderLines, 60)
	defD(&cfg.HeaderTimeout, 15*time.Second)
	defD(&cfg.IdleTimeout, 60*time.Second)
	defD(&cfg.ReadTimeout, 5*time.Minute)
	defD(&cfg.DialTimeout, 60*time.Second)
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if !validValue(cfg.UserAgent) {
		return nil, errors.New("httpproxy: bad UserAgent")
	}
	if cfg.JumpServers == nil {
		cfg.JumpServers = DefaultJumpServers
	}
	if cfg.Outproxy != "" {
		if _, _, f := checkI2PHost(cfg.Outproxy); f != nil && !isName(cfg.Outproxy) {
			return nil, fmt.Errorf("httpproxy: outproxy %q is not an I2P host", cfg.Outproxy)
		}
	}
	p := &Proxy{cfg: cfg, dialer: deps.Dialer, res: deps.Resolver, book: deps.Book, log: deps.Logger, now: deps.Now}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("component", "httpproxy")
	if p.now == nil {
		p.now = time.Now
	}
	p.secret = append([]byte(nil), cfg.CSRFSecret...)
	if len(p.secret) == 0 {
		r := deps.Rand
		if r == nil {
			r = rand.Reader
		}
		p.secret = make([]byte, 32)
		if _, err := io.ReadFull(r, p.secret); err != nil {
			return nil, fmt.Errorf("httpproxy: CSRF secret: %w", err)
		}
	}
	p.ports = map[uint16]bool{}
	if cfg.ConnectPorts == nil {
		p.ports[443] = true
	}
	for _, port := range cfg.ConnectPorts {
		p.ports[port] = true
	}
	p.helpers.m = map[string]string{}
	return p, nil
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	return Stats{
		Conns: p.conns.Load(), Active: p.active.Load(), Requests: p.requests.Load(),
		Connects: p.connects.Load(), Local: p.local.Load(), Errors: p.errs.Load(),
		BytesUp: p.up.Load(), BytesDown: p.down.Load(),
	}
}

// Serve accepts browser connections on ln until ctx is done, then closes
// ln and every connection and stream it opened, waits for them and returns
// nil. It returns an error if ln fails otherwise.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: connections close first
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
				continue
			}
			return fmt.Errorf("httpproxy: accept: %w", err)
		}
		delay = 0
		p.conns.Add(1)
		wg.Go(func() { p.serveConn(ctx, c) })
	}
}

// connIO wraps a connection so that each Read and Write refreshes an idle
// deadline. idle 0 leaves the deadline as set by the caller. interrupt
// makes blocked and later reads fail until resume.
type connIO struct {
	c       net.Conn
	idle    atomic.Int64 // read idle deadline, ns
	widle   time.Duration
	stopped atomic.Bool
	n       *atomic.Uint64 // bytes read, counted into Stats; may be nil
}

func (r *connIO) Read(b []byte) (int, error) {
	if d := r.idle.Load(); d > 0 {
		r.c.SetReadDeadline(time.Now().Add(time.Duration(d)))
	}
	if r.stopped.Load() {
		return 0, os.ErrDeadlineExceeded
	}
	n, err := r.c.Read(b)
	if r.n != nil {
		r.n.Add(uint64(n))
	}
	return n, err
}

func (r *connIO) Write(b []byte) (int, error) {
	if r.widle > 0 {
		r.c.SetWriteDeadline(time.Now().Add(r.widle))
	}
	return r.c.Write(b)
}

// interrupt stops reads: see the ordering argument in Read.
func (r *connIO) interrupt() {
	r.stopped.Store(true)
	r.c.SetReadDeadline(time.Unix(1, 0))
}

func (r *connIO) resume() {
	r.stopped.Store(false)
	r.c.SetReadDeadline(time.Time{})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// helperMap holds names confirmed with "continue without saving", bounded.
type helperMap struct {
	mu    sync.Mutex
	m     map[string]string // name -> destination
	order []string
}

const maxHelpers = 512

func (h *helperMap) get(name string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.m[name]
	return d, ok
}

func (h *helperMap) put(name, dest string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.m[name]; !ok {
		if len(h.order) >= maxHelpers {
			delete(h.m, h.order[0])
			h.order = h.order[1:]
		}
		h.order = append(h.order, name)
	}
	h.m[name] = dest
}
