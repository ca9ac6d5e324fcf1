// Package socks is the SOCKS client tunnel (tunnel type sockstunnel) of
// the I2PTunnel suite, after Java I2P's I2PTunnel SOCKS
// (apps/i2ptunnel/java/src/net/i2p/i2ptunnel/socks: I2PSOCKSTunnel,
// SOCKSServerFactory, SOCKS4aServer, SOCKS5Server). It accepts SOCKS 4,
// 4a (this package's own codec, below) and SOCKS 5 (RFC 1928 and RFC 1929
// user/password, through github.com/armon/go-socks5) CONNECT requests from
// local applications and opens an I2P stream for each.
//
// SOCKS 4 request (after the version byte 0x04), and its 8-byte reply:
//
//	+----+----+----+----+----+----+----+----+----+----+....+----+....+----+
//	| CD | DSTPORT |      DSTIP        | USERID       |NULL| HOST(4a)  |NULL|
//	+----+----+----+----+----+----+----+----+----+----+....+----+....+----+
//	  1      2              4              <=255        1    <=255      1
//	reply: 0x00, 0x5a granted / 0x5b rejected, DSTPORT(2), DSTIP(4)
//
// DSTIP 0.0.0.x (x != 0) marks SOCKS 4a: HOST follows the user id.
//
// Which hosts are reached:
//
//   - name.b32.i2p (52 base32 characters) and b33 addresses
//     (longer .b32.i2p names) go to the Dialer as they are;
//   - other .i2p names are looked up through the Resolver (hosts.txt),
//     which gives a base64 destination or a b32 address;
//   - "localhost" and loopback addresses are always refused (as Java);
//   - any other host name, and every IPv4 or IPv6 address, goes to the
//     configured outproxy, an I2P destination that speaks SOCKS 5: this
//     tunnel opens a stream to it and asks it for the host (Java's
//     SOCKS5Server.outproxyConnect; Java's SOCKS 4a side opens the stream
//     without the handshake, which it marks "isn't going to work", so both
//     versions use the handshake here). Without an outproxy (the default)
//     such requests are refused: SOCKS 5 reply 0x02 (not allowed by
//     ruleset), SOCKS 4 reply 0x5b.
//
// No DNS lookup ever happens: go-socks5's Resolver hook is a no-op, its
// Rewriter hook classifies the request, and its Dial hook calls only the
// Dialer and Resolver given to New.
//
// Other errors: BIND and UDP ASSOCIATE get 0x07 (command not supported;
// SOCKS 4: 0x5b), port 0 gets 0x02 / 0x5b, a failed lookup or stream
// 0x04 (host unreachable) / 0x5b, unknown versions and truncated or
// over-long requests are closed. The whole handshake must arrive within
// Config.HandshakeTimeout.
//
// Goroutines: Serve owns one goroutine per client. go-socks5 copies bytes
// on two goroutines of its own and, on an error, returns before the second
// one ends; the session wraps both connections so that it closes them and
// waits until no call of those goroutines is inside Read or Write before
// it returns (after that they only send on a buffered channel and exit).
package socks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Dialer opens I2P streams.
type Dialer interface {
	// Dial opens a stream to to, a b32.i2p or b33 address or a base64
	// destination; port, if nonzero, is the destination port.
	Dial(ctx context.Context, to string, port uint16) (net.Conn, error)
}

// Resolver looks up hosts.txt names.
type Resolver interface {
	// Resolve gives the base64 destination or b32.i2p address of name.
	Resolve(ctx context.Context, name string) (string, error)
}

// Config configures a SOCKS tunnel. The zero value is a tunnel without
// outproxy and without authentication.
type Config struct {
	// Outproxy is the SOCKS 5 outproxy for hosts outside I2P: a .i2p
	// name, b32 address or base64 destination. Empty: none.
	Outproxy string
	// Username and Password, if Username is set, require SOCKS 5
	// user/password authentication (RFC 1929); SOCKS 4 is then refused.
	Username, Password string
	// HandshakeTimeout bounds the time from accept to a complete request.
	// Zero: 30 s.
	HandshakeTimeout time.Duration
	// ConnectTimeout bounds the name lookup and opening the stream (and
	// the outproxy handshake). Zero: 60 s.
	ConnectTimeout time.Duration
	// MaxConns bounds concurrent clients; more are closed at once.
	// Zero: 256.
	MaxConns int
}

// Reply codes.
const (
	rep5OK           = 0x00
	rep5Failure      = 0x01
	rep5NotAllowed   = 0x02
	rep5HostUnreach  = 0x04
	rep5Refused      = 0x05
	rep5CmdNotSupp   = 0x07
	rep5AddrNotSupp  = 0x08
	rep4Granted      = 0x5a
	rep4Rejected     = 0x5b
	maxNameLen       = 255
	defaultHandshake = 30 * time.Second
	defaultConnect   = 60 * time.Second
	defaultMaxConns  = 256
)

// Errors.
var (
	// ErrNotAllowed: the host is outside I2P and there is no outproxy, or
	// it is a local address, or port 0.
	ErrNotAllowed = errors.New("socks: host not allowed")
	// ErrUnknownHost: the Resolver does not know the .i2p name.
	ErrUnknownHost = errors.New("socks: unknown host")
	errProtocol    = errors.New("socks: protocol error")
)

// Server is a SOCKS tunnel.
type Server struct {
	cfg  Config
	d    Dialer
	r    Resolver
	log  *slog.Logger
	sem  chan struct{}
	wg   sync.WaitGroup
	outp string // lower-cased Outproxy
}

// New checks cfg. It does no I/O.
func New(cfg Config, d Dialer, r Resolver, log *slog.Logger) (*Server, error) {
	if d == nil {
		return nil, errors.New("socks: no Dialer")
	}
	if r == nil {
		return nil, errors.New("socks: no Resolver")
	}
	if cfg.HandshakeTimeout < 0 || cfg.ConnectTimeout < 0 || cfg.MaxConns < 0 {
		return nil, errors.New("socks: negative limit")
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = defaultHandshake
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnect
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if len(cfg.Username) > 255 || len(cfg.Password) > 255 {
		return nil, errors.New("socks: username or password longer than 255 bytes")
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("socks: password without username")
	}
	cfg.Outproxy = strings.TrimSpace(cfg.Outproxy)
	if cfg.Outproxy != "" && !strings.HasSuffix(strings.ToLower(cfg.Outproxy), ".i2p") {
		if _, err := data.Base64Decode(cfg.Outproxy); err != nil {
			return nil, fmt.Errorf("socks: outproxy %q: not a .i2p name or base64 destination", cfg.Outproxy)
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, d: d, r: r, log: log.With("component", "socks"),
		sem: make(chan struct{}, cfg.MaxConns), outp: cfg.Outproxy}, nil
}

// Serve accepts clients on ln until ctx is done or Accept fails, then
// closes ln and every client and waits for their goroutines. It returns
// nil after ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.wg.Wait()
	defer ln.Close()
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
					return nil
				}
				continue
			}
			return fmt.Errorf("socks: accept: %w", err)
		}
		delay = 0
		select {
		case s.sem <- struct{}{}:
		default:
			s.log.Warn("too many clients; closing one", "max", s.cfg.MaxConns)
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			if err := s.ServeConn(ctx, c); err != nil {
				s.log.Debug("session ended", "err", err)
			}
		}()
	}
}

// ServeConn runs one SOCKS session on c and closes c. It returns when the
// session ends or ctx is done.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout)); err != nil {
		return fmt.Errorf("socks: %w", err)
	}
	br := newReader(c)
	v, err := br.Peek(1)
	if err != nil {
		return fmt.Errorf("socks: read version: %w", err)
	}
	switch v[0] {
	case 4:
		return s.serve4(ctx, c, br)
	case 5:
		return s.serve5(ctx, c, br)
	case 'C', 'G', 'H', 'P', 'D', 'O':
		// An HTTP client pointed at the SOCKS port (Java answers these
		// too); tell it rather than closing silently.
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nThis is a SOCKS proxy, not an HTTP proxy.\r\n"))
		return fmt.Errorf("%w: HTTP request on a SOCKS port", errProtocol)
	default:
		return fmt.Errorf("%w: version %d", errProtocol, v[0])
	}
}

// route is where a request goes.
type route struct {
	to       string // for the Dialer: b32, b33 or base64; "" until resolved
	name     string // .i2p name to resolve, or the host for the outproxy
	ip       netip.Addr
	port     uint16
	outproxy bool
}

// classify decides where host:port goes, without I/O. host is a name
// (ip invalid) or ip is set.
func (s *Server) classify(host string, ip netip.Addr, port uint16) (route, error) {
	if port == 0 {
		return route{}, fmt.Errorf("%w: port 0", ErrNotAllowed)
	}
	if ip.IsValid() {
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsUnspecified() {
			return route{}, fmt.Errorf("%w: local address", ErrNotAllowed)
		}
		if s.outp == "" {
			return route{}, fmt.Errorf("%w: IP address and no outproxy", ErrNotAllowed)
		}
		return route{ip: ip, port: port, outproxy: true}, nil
	}
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "" || len(h) > maxNameLen {
		return route{}, fmt.Errorf("%w: bad host name", ErrNotAllowed)
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= ' ' || c >= 0x7f {
			return route{}, fmt.Errorf("%w: bad host name", ErrNotAllowed)
		}
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return s.classify("", a, port)
	}
	switch {
	case strings.HasSuffix(h, data.B32Suffix):
		if _, err := data.ParseB32Address(h); err == nil {
			return route{to: h, port: port}, nil
		}
		if _, err := data.ParseB33Address(h); err == nil {
			return route{to: h, port: port}, nil
		}
		return route{}, fmt.Errorf("%w: bad b32 address", ErrUnknownHost)
	case strings.HasSuffix(h, ".i2p"):
		return route{name: h, port: port}, nil
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return route{}, fmt.Errorf("%w: localhost", ErrNotAllowed)
	case s.outp == "":
		return route{}, fmt.Errorf("%w: %s is outside I2P and there is no outproxy", ErrNotAllowed, h)
	}
	return route{name: h, port: port, outproxy: true}, nil
}

// connect opens the stream for rt: a lookup if needed, the Dialer, and
// for the outproxy its SOCKS 5 handshake. It bounds all by ConnectTimeout.
func (s *Server) connect(ctx context.Context, rt route) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	if rt.outproxy {
		to, err := s.lookup(ctx, s.outp)
		if err != nil {
			return nil, fmt.Errorf("socks: outproxy: %w", err)
		}
		c, err := s.d.Dial(ctx, to, 0)
		if err != nil {
			return nil, fmt.Errorf("socks: outproxy: %w", err)
		}
		if err := outproxyHandshake(ctx, c, rt); err != nil {
			c.Close()
			return nil, err
		}
		s.log.Debug("connected via outproxy")
		return c, nil
	}
	to := rt.to
	if to == "" {
		var err error
		if to, err = s.lookup(ctx, rt.name); err != nil {
			return nil, err
		}
	}
	c, err := s.d.Dial(ctx, to, rt.port)
	if err != nil {
		return nil, fmt.Errorf("socks: dial: %w", err)
	}
	s.log.Debug("connected", "dest", rt.name+rt.to, "port", rt.port)
	return c, nil
}

// lookup turns an outproxy or request host into what the Dialer takes.
func (s *Server) lookup(ctx context.Context, name string) (string, error) {
	l := strings.ToLower(name)
	if !strings.HasSuffix(l, ".i2p") {
		return name, nil // base64 (checked by New)
	}
	if strings.HasSuffix(l, data.B32Suffix) {
		return l, nil
	}
	to, err := s.r.Resolve(ctx, l)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrUnknownHost, l, err)
	}
	if to == "" {
		return "", fmt.Errorf("%w: %s", ErrUnknownHost, l)
	}
	return to, nil
}
