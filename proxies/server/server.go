// Package server is the server side of the I2PTunnel suite: the standard
// server tunnel (type server, after Java I2P's I2PTunnelServer) and the
// HTTP server tunnel (type httpserver, after I2PTunnelHTTPServer). Each
// incoming I2P stream is connected to a local TCP target.
//
// The caller hands in the streams as net.Conns. A stream's peer is known
// from the optional Peer interface (full destination and hash) or, failing
// that, from RemoteAddr, "<b32>.b32.i2p:port" (then the HTTP tunnel sends
// no X-I2P-DestB64). A stream with neither is closed.
//
// Limits (both types, as Java's i2ptunnel.maxConns* options): streams in
// total, concurrent streams per peer hash, and new streams per peer hash
// per minute. A stream over a limit is closed; the HTTP tunnel first
// answers 429 (per peer) or 503 (in total).
//
// HTTP tunnel, per stream (one request: see below):
//
//  1. read the request head within HeaderTimeout, bounded by
//     MaxRequestLine (else 414), MaxHeaderBytes and MaxHeaders (else 431);
//     a malformed head gets 400, a timeout 408, HTTP/2 or later 505;
//  2. drop the X-I2P-DestHash, X-I2P-DestB64 and X-I2P-DestB32 the client
//     sent, in any case, and add them for the real peer: DestHash the I2P
//     base64 of the hash, DestB64 the full destination, DestB32 the b32
//     address (as Java);
//  3. set Host to Hostname if configured (Java's spoofedHost) and turn an
//     absolute request target into origin form, so that the web server
//     sees one name;
//  4. drop hop-by-hop fields: Connection and the fields it names,
//     Keep-Alive, Proxy-Connection (as Java), Proxy-Authorization,
//     Proxy-Authenticate, TE, Upgrade, HTTP2-Settings, and I2P's
//     X-Accept-Encoding; add "Connection: close" (as Java);
//  5. frame the body exactly (Content-Length, or chunked, re-encoded
//     without extensions and trailers); Content-Length with
//     Transfer-Encoding, differing lengths, or another coding get 400 or
//     501, so no second request can be smuggled inside a body.
//
// Keep-alive: not supported, by decision. Like Java (whose keep-alive
// option is off by default) every request goes out with "Connection:
// close", so the web server answers once and closes; whatever the client
// sends after the first request's body is never read, so every request
// that reaches the web server has passed the filter. Clients open one
// stream per request, as through Java's server tunnels.
//
// Not done (Java has them): x-i2p-gzip response compression, POST
// throttling, per-port spoofed hosts and targets, response header
// filtering (Server, X-Powered-By, ...), and the optional inproxy and
// user-agent blocks except RejectInproxy.
//
// Goroutines: Serve owns one per stream; each stream owns one copy
// goroutine and waits for it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Peer is implemented by streams that know their peer's destination.
type Peer interface {
	// PeerDestination gives the peer's full destination in I2P base64
	// and its hash.
	PeerDestination() (b64 string, hash [32]byte)
}

// Config configures a standard server tunnel; HTTPConfig embeds it.
type Config struct {
	// Target is the local host:port each stream is connected to.
	Target string
	// MaxConns bounds streams in total. Zero: 256; negative: no limit.
	MaxConns int
	// MaxConnsPerPeer bounds concurrent streams per peer hash. Zero: 32;
	// negative: no limit.
	MaxConnsPerPeer int
	// MaxConnsPerMinute bounds new streams per peer hash per minute.
	// Zero: 120; negative: no limit (Java's default).
	MaxConnsPerMinute int
	// DialTimeout bounds connecting to Target. Zero: 10 s.
	DialTimeout time.Duration
	// Dial connects to Target; nil: a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Errors.
var (
	// ErrTooMany: the tunnel is at MaxConns.
	ErrTooMany = errors.New("server: too many streams")
	// ErrThrottled: the peer is over MaxConnsPerPeer or MaxConnsPerMinute.
	ErrThrottled = errors.New("server: peer over its stream limit")
	// ErrNoPeer: the stream names no peer.
	ErrNoPeer = errors.New("server: stream without peer")
)

const (
	defaultMaxConns   = 256
	defaultPerPeer    = 32
	defaultPerMinute  = 120
	defaultDial       = 10 * time.Second
	maxTrackedPeers   = 8192
	errorWriteTimeout = 5 * time.Second
)

func (c *Config) check(pkg string) error {
	if c.Target == "" {
		return fmt.Errorf("server: %s: no target", pkg)
	}
	if _, _, err := net.SplitHostPort(c.Target); err != nil {
		return fmt.Errorf("server: %s: target %q: %w", pkg, c.Target, err)
	}
	if c.DialTimeout < 0 {
		return fmt.Errorf("server: %s: negative dial timeout", pkg)
	}
	def := func(v *int, d int) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0 // no limit
		}
	}
	def(&c.MaxConns, defaultMaxConns)
	def(&c.MaxConnsPerPeer, defaultPerPeer)
	def(&c.MaxConnsPerMinute, defaultPerMinute)
	if c.DialTimeout == 0 {
		c.DialTimeout = defaultDial
	}
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = d.DialContext
	}
	return nil
}

// Server is a standard server tunnel.
type Server struct{ b base }

// New checks cfg. It does no I/O.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.check("server"); err != nil {
		return nil, err
	}
	s := &Server{}
	s.b.init(cfg, log, "server")
	s.b.handle = s.handle
	return s, nil
}

// Serve serves streams from ln until ctx is done (then it returns nil) or
// Accept fails; it closes ln and waits for every stream.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error { return s.b.serve(ctx, ln) }

// ServeConn connects one stream to the target and copies both ways until
// both sides are done or ctx is; it closes stream.
func (s *Server) ServeConn(ctx context.Context, stream net.Conn) error {
	return s.b.serveConn(ctx, stream)
}

func (s *Server) handle(ctx context.Context, stream net.Conn, p peer, refuse error) error {
	if refuse != nil {
		return refuse
	}
	t, err := s.b.dial(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	stop := context.AfterFunc(ctx, func() { t.Close() })
	defer stop()
	join(stream, stream, t)
	return nil
}

// base is what both tunnel types share.
type base struct {
	cfg    Config
	log    *slog.Logger
	lim    limiter
	wg     sync.WaitGroup
	handle func(ctx context.Context, stream net.Conn, p peer, refuse error) error
}

func (b *base) init(cfg Config, log *slog.Logger, kind string) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b.cfg = cfg
	b.log = log.With("component", kind)
	b.lim = limiter{max: cfg.MaxConns, perPeer: cfg.MaxConnsPerPeer, perMinute: cfg.MaxConnsPerMinute}
}

func (b *base) serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer b.wg.Wait()
	defer ln.Close()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			if err := b.serveConn(ctx, c); err != nil {
				b.log.Debug("stream ended", "err", err)
			}
		}()
	}
}

func (b *base) serveConn(ctx context.Context, stream net.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer stream.Close()
	stop := context.AfterFunc(ctx, func() { stream.Close() })
	defer stop()
	p, err := identify(stream)
	if err != nil {
		return err
	}
	release, err := b.lim.acquire(p.hash, time.Now())
	if err != nil {
		b.log.Debug("stream refused", "peer", p.hash, "err", err)
		return b.handle(ctx, stream, p, err)
	}
	defer release()
	b.log.Debug("stream", "peer", p.hash)
	return b.handle(ctx, stream, p, nil)
}

func (b *base) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.DialTimeout)
	defer cancel()
	t, err := b.cfg.Dial(ctx, "tcp", b.cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("server: target: %w", err)
	}
	return t, nil
}

// peer is a stream's far end.
type peer struct {
	hash data.Hash
	b64  string // "" if unknown
	b32  string // <b32>.b32.i2p
}

func identify(c net.Conn) (peer, error) {
	if pd, ok := c.(Peer); ok {
		b64, h := pd.PeerDestination()
		if h != ([32]byte{}) {
			if _, err := data.Base64Decode(b64); err != nil || b64 == "" {
				b64 = "" // never put a malformed value in a header
			}
			return peer{hash: h, b64: b64, b32: data.B32Address(h)}, nil
		}
	}
	a := c.RemoteAddr()
	if a == nil {
		return peer{}, ErrNoPeer
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	h, err := data.ParseB32Address(host)
	if err != nil {
		return peer{}, fmt.Errorf("%w: remote address %q", ErrNoPeer, a.String())
	}
	return peer{hash: h, b32: data.B32Address(h)}, nil
}

// limiter counts streams in total and per peer.
type limiter struct {
	max, perPeer, perMinute int // 0: no limit

	mu    sync.Mutex
	total int
	peers map[data.Hash]*peerCount
}

type peerCount struct {
	active int
	start  time.Time // of the current minute window
	n      int       // streams begun in it
}

// acquire admits a stream of peer h, or says why not. release must be
// called once when the stream ends.
func (l *limiter) acquire(h data.Hash, now time.Time) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return nil, ErrTooMany
	}
	if l.peers == nil {
		l.peers = map[data.Hash]*peerCount{}
	}
	pc := l.peers[h]
	if pc == nil {
		if len(l.peers) >= maxTrackedPeers {
			l.sweepLocked(now)
			if len(l.peers) >= maxTrackedPeers {
				return nil, ErrTooMany
			}
		}
		pc = &peerCount{start: now}
		l.peers[h] = pc
	}
	if now.Sub(pc.start) >= time.Minute {
		pc.start, pc.n = now, 0
	}
	if l.perPeer > 0 && pc.active >= l.perPeer {
		return nil, ErrThrottled
	}
	if l.perMinute > 0 && pc.n >= l.perMinute {
		return nil, ErrThrottled
	}
	pc.n++
	pc.active++
	l.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			pc.active--
			l.total--
			if pc.active == 0 && time.Since(pc.start) >= time.Minute {
				delete(l.peers, h)
			}
		})
	}, nil
}

// sweepLocked forgets idle peers whose minute is over.
func (l *limiter) sweepLocked(now time.Time) {
	for h, pc := range l.peers {
		if pc.active == 0 && now.Sub(pc.start) >= time.Minute {
			delete(l.peers, h)
		}
	}
}

type closeWriter interface{ CloseWrite() error }

// join copies stream→target (from sr, the stream's reader) and
// target→stream until both end. When one direction ends its destination
// is half-closed if it can be, else both are closed; an error closes
// both. It returns after its goroutine.
func join(stream net.Conn, sr io.Reader, target net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := io.Copy(stream, target)
		if err != nil || !tryCloseWrite(stream) {
			stream.Close()
			target.Close()
		}
	}()
	_, err := io.Copy(target, sr)
	if err != nil || !tryCloseWrite(target) {
		stream.Close()
		target.Close()
	}
	wg.Wait()
}

func tryCloseWrite(c net.Conn) bool {
	cw, ok := c.(closeWriter)
	return ok && cw.CloseWrite() == nil
}
