package ntcp2

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

// Config configures a Transport. The zero value of each duration or limit
// means its default.
type Config struct {
	NetID      uint8
	Static     *ecdh.PrivateKey // our NTCP2 static key ("s")
	IV         [16]byte         // our published "i"
	RouterHash [32]byte         // our ident hash

	// RouterInfo returns our current signed RouterInfo, sent in
	// SessionConfirmed.
	RouterInfo func() []byte
	// RouterInfoFlag is the flag byte of that RouterInfo block: 1 asks a
	// floodfill to flood it.
	RouterInfoFlag byte
	// CheckRouterInfo parses and verifies a peer's RouterInfo from
	// SessionConfirmed and checks that it has an NTCP2 address whose "s" is
	// static; it returns the ident hash. Return a *StaticKeyError for a key
	// mismatch.
	CheckRouterInfo func(ri []byte, static []byte) ([32]byte, error)

	Handler Handler
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
	// Network carries the connections; nil: TCP (package net). Simulations
	// pass an in-memory network (router/transport/memnet): the handshake,
	// crypto and sessions are the same over any net.Conn.
	Network Network

	MaxClockSkew     time.Duration // 60 s
	HandshakeTimeout time.Duration // 10 s
	KeepAlive        time.Duration // frame sent after this long without one; 50 s
	IdleTimeout      time.Duration // closed after this long without an I2NP or RouterInfo block either way; 20 min
	QueueLen         int           // per-session send queue; 512
	MaxSessions      int           // 1024
	MaxPending       int           // inbound handshakes at once; 64
	MaxPadding       int           // cleartext padding in messages 1 and 2; 0..223, default 31
	ProbeDelayMin    time.Duration // probing resistance wait after a bad message 1; default 2 s..10 s
	ProbeDelayMax    time.Duration
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) maxSkew() time.Duration   { return orDur(c.MaxClockSkew, 60*time.Second) }
func (c *Config) hsTimeout() time.Duration { return orDur(c.HandshakeTimeout, 10*time.Second) }
func (c *Config) keepAlive() time.Duration { return orDur(c.KeepAlive, 50*time.Second) }
func (c *Config) idle() time.Duration      { return orDur(c.IdleTimeout, 20*time.Minute) }
func (c *Config) maxPadding() int {
	if c.MaxPadding <= 0 {
		return 31
	}
	return min(c.MaxPadding, maxPadding12)
}

func orDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Network is what Listen and Dial use to reach the network: TCP, or an
// in-memory twin. network is always "tcp".
type Network interface {
	Listen(network, addr string) (net.Listener, error)
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// tcp is the default Network.
type tcp struct{}

func (tcp) Listen(network, addr string) (net.Listener, error) { return net.Listen(network, addr) }
func (tcp) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	return d.DialContext(ctx, network, addr)
}

func (c *Config) network() Network {
	if c.Network != nil {
		return c.Network
	}
	return tcp{}
}

// Handler receives what sessions carry. Its methods are called from the
// sessions' reader goroutines and must not block for long. Byte slices are
// the handler's to keep.
type Handler interface {
	// HandleI2NP gets one I2NP message in the short (9-byte header) form
	// of an NTCP2 I2NP block.
	HandleI2NP(from [32]byte, msg []byte)
	// HandleRouterInfo gets a RouterInfo block's RouterInfo (not
	// compressed); flood is bit 0 of its flag.
	HandleRouterInfo(from [32]byte, ri []byte, flood bool)
	SessionEstablished(s *Session)
	SessionClosed(s *Session, err error)
}

// Stats are transport-wide counters.
type Stats struct {
	BytesIn, BytesOut   uint64
	HandshakesOK        uint64
	HandshakesFailed    uint64
	Dropped             uint64 // messages dropped from full send queues
	FramesIn, FramesOut uint64
}

// Transport is an NTCP2 listener and dialer with a table of one session per
// peer.
type Transport struct {
	cfg    Config
	log    *slog.Logger
	replay *noise.ReplayFilter

	bytesIn, bytesOut, hsOK, hsFail, dropped, framesIn, framesOut atomic.Uint64

	mu struct {
		sync.Mutex
		ln       net.Listener
		sessions map[[32]byte]*Session
		dialing  map[[32]byte]chan struct{}
		closed   bool
	}
	pending chan struct{} // semaphore for inbound handshakes
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

// New checks cfg and makes a Transport. It does no I/O.
func New(cfg Config) (*Transport, error) {
	if cfg.Static == nil || cfg.RouterInfo == nil || cfg.CheckRouterInfo == nil || cfg.Handler == nil {
		return nil, errors.New("ntcp2: Config needs Static, RouterInfo, CheckRouterInfo and Handler")
	}
	if cfg.Static.Curve() != ecdh.X25519() {
		return nil, errors.New("ntcp2: static key must be X25519")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Transport{
		cfg:     cfg,
		log:     log.With("component", "ntcp2"),
		replay:  noise.NewReplayFilter(2*cfg.maxSkew()+cfg.hsTimeout(), 1<<16),
		pending: make(chan struct{}, orInt(cfg.MaxPending, 64)),
	}
	t.mu.sessions = make(map[[32]byte]*Session)
	t.mu.dialing = make(map[[32]byte]chan struct{})
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t, nil
}

// Listen binds the TCP listener (or Config.Network's) on addr
// ("host:port").
func (t *Transport) Listen(addr string) error {
	ln, err := t.cfg.network().Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ntcp2: listen on %s: %w", addr, err)
	}
	t.mu.Lock()
	t.mu.ln = ln
	t.mu.Unlock()
	return nil
}

// Addr is the listener's address, or nil.
func (t *Transport) Addr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.ln == nil {
		return nil
	}
	return t.mu.ln.Addr()
}

// Run accepts connections until ctx is done, then sends a termination
// (router shutdown) on every session, closes them and waits for every
// goroutine. Without a listener it only waits for ctx.
func (t *Transport) Run(ctx context.Context) error {
	t.mu.Lock()
	ln := t.mu.ln
	t.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		if ln != nil {
			ln.Close()
		}
	})
	defer stop()
	if ln != nil {
		backoff := 5 * time.Millisecond
		for {
			c, err := ln.Accept()
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				if errors.Is(err, net.ErrClosed) {
					t.Close()
					return fmt.Errorf("ntcp2: accept: %w", err)
				}
				// Out of file descriptors and the like: back off, as
				// net/http does.
				t.log.Warn("accept failed", "err", err)
				time.Sleep(backoff)
				backoff = min(2*backoff, time.Second)
				continue
			}
			backoff = 5 * time.Millisecond
			select {
			case t.pending <- struct{}{}:
			default:
				c.Close() // too many handshakes in progress
				continue
			}
			t.wg.Add(1)
			go func() {
				defer t.wg.Done()
				t.accept(c, func() { <-t.pending })
			}()
		}
	} else {
		<-ctx.Done()
	}
	t.Close()
	return nil
}

// Close terminates every session with reason "router shutdown" and waits
// for their goroutines. It is idempotent.
func (t *Transport) Close() {
	t.mu.Lock()
	if t.mu.closed {
		t.mu.Unlock()
		t.wg.Wait()
		return
	}
	t.mu.closed = true
	if t.mu.ln != nil {
		t.mu.ln.Close()
	}
	ss := make([]*Session, 0, len(t.mu.sessions))
	for _, s := range t.mu.sessions {
		ss = append(ss, s)
	}
	t.mu.Unlock()
	for _, s := range ss {
		s.Close(ReasonShutdown)
	}
	t.cancel()
	t.wg.Wait()
}

// Accept runs Bob's handshake on an inbound connection and, on success,
// the session until it ends. It owns c. It returns the handshake error, or
// why the session ended.
func (t *Transport) Accept(c net.Conn) error { return t.accept(c, nil) }

// accept is Accept; release, if set, is called when the handshake is over.
func (t *Transport) accept(c net.Conn, release func()) error {
	c.SetDeadline(time.Now().Add(t.cfg.hsTimeout()))
	res, err := t.serverHandshake(c)
	if release != nil {
		release()
	}
	if err != nil {
		t.hsFail.Add(1)
		t.logHandshakeFailure("inbound", err)
		c.Close()
		return err
	}
	c.SetDeadline(time.Time{})
	t.hsOK.Add(1)
	s := t.newSession(c, res, false)
	if res.remoteRI != nil {
		t.cfg.Handler.HandleRouterInfo(res.remote, res.remoteRI, false)
	}
	return t.runSession(s)
}

func (t *Transport) logHandshakeFailure(dir string, err error) {
	// Peers that fail handshakes are logged without their address (no
	// user IPs in logs); Warn for what looks like misbehaviour.
	level := slog.LevelInfo
	switch {
	case errors.Is(err, ErrAEAD), errors.Is(err, ErrReplay), errors.Is(err, ErrWrongNetID),
		errors.Is(err, ErrClockSkew), errors.Is(err, ErrRouterInfo), errors.Is(err, ErrBadKey),
		errors.Is(err, ErrBadOptions), errors.Is(err, ErrMessage3), errors.Is(err, ErrBadVersion):
		level = slog.LevelWarn
	}
	t.log.Log(context.Background(), level, "handshake failed", "dir", dir, "err", err)
}

// Dial connects to peer at addr ("host:port") and runs Alice's handshake.
// If a session with the peer exists or is being dialed, it returns that one.
func (t *Transport) Dial(ctx context.Context, peer Peer, addr string) (*Session, error) {
	if peer.Hash == t.cfg.RouterHash {
		return nil, ErrSelf
	}
	for {
		t.mu.Lock()
		if t.mu.closed {
			t.mu.Unlock()
			return nil, ErrClosed
		}
		if s := t.mu.sessions[peer.Hash]; s != nil {
			t.mu.Unlock()
			return s, nil
		}
		ch, busy := t.mu.dialing[peer.Hash]
		if !busy {
			if len(t.mu.sessions) >= orInt(t.cfg.MaxSessions, 1024) {
				t.mu.Unlock()
				return nil, ErrSessionLimit
			}
			ch = make(chan struct{})
			t.mu.dialing[peer.Hash] = ch
			t.mu.Unlock()
			break
		}
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() {
		t.mu.Lock()
		close(t.mu.dialing[peer.Hash])
		delete(t.mu.dialing, peer.Hash)
		t.mu.Unlock()
	}()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	c, err := t.cfg.network().DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("ntcp2: dial %x: %w", peer.Hash[:4], err)
	}
	return t.dialConn(ctx, c, peer)
}

// DialConn runs Alice's handshake on c, an established connection to
// peer, and starts the session. It owns c. Tests use it with in-memory
// connections.
func (t *Transport) DialConn(ctx context.Context, c net.Conn, peer Peer) (*Session, error) {
	return t.dialConn(ctx, c, peer)
}

func (t *Transport) dialConn(ctx context.Context, c net.Conn, peer Peer) (*Session, error) {
	c.SetDeadline(time.Now().Add(t.cfg.hsTimeout()))
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	res, err := t.clientHandshake(c, peer)
	stop()
	if err != nil {
		t.hsFail.Add(1)
		c.Close()
		return nil, fmt.Errorf("ntcp2: handshake with %x: %w", peer.Hash[:4], err)
	}
	c.SetDeadline(time.Time{})
	t.hsOK.Add(1)
	s := t.newSession(c, res, true)
	t.wg.Add(1)
	started := make(chan struct{})
	go func() {
		defer t.wg.Done()
		err := t.runSessionNotify(s, started)
		t.log.Debug("session ended", "peer", fmt.Sprintf("%x", s.remote[:4]), "err", err)
	}()
	<-started
	if s.closedErr() != nil {
		return nil, s.closedErr()
	}
	return s, nil
}

// register adds s to the table. Of two sessions with one peer, the one
// initiated by the router with the lower hash wins, so that both ends of a
// simultaneous connect keep the same one.
func (t *Transport) register(s *Session) (ok bool, loser *Session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.closed {
		return false, nil
	}
	old := t.mu.sessions[s.remote]
	if old == nil {
		t.mu.sessions[s.remote] = s
		return true, nil
	}
	initiator := func(x *Session) []byte {
		if x.outbound {
			return t.cfg.RouterHash[:]
		}
		return x.remote[:]
	}
	if old.outbound == s.outbound || bytes.Compare(initiator(old), initiator(s)) <= 0 {
		return false, nil
	}
	t.mu.sessions[s.remote] = s
	return true, old
}

func (t *Transport) unregister(s *Session) {
	t.mu.Lock()
	if t.mu.sessions[s.remote] == s {
		delete(t.mu.sessions, s.remote)
	}
	t.mu.Unlock()
}

func (t *Transport) runSession(s *Session) error { return t.runSessionNotify(s, nil) }

func (t *Transport) runSessionNotify(s *Session, started chan struct{}) error {
	ok, loser := t.register(s)
	if loser != nil {
		loser.Close(ReasonNormal)
	}
	if !ok {
		s.fail(errors.New("ntcp2: duplicate session"), ReasonNormal)
		if started != nil {
			close(started)
		}
		s.conn.Close()
		return s.closedErr()
	}
	t.cfg.Handler.SessionEstablished(s)
	if started != nil {
		close(started)
	}
	err := s.run(t.ctx)
	t.unregister(s)
	t.cfg.Handler.SessionClosed(s, err)
	return err
}

// Session returns the session with peer, or nil.
func (t *Transport) Session(peer [32]byte) *Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.sessions[peer]
}

// Sessions returns the established sessions.
func (t *Transport) Sessions() []*Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*Session, 0, len(t.mu.sessions))
	for _, s := range t.mu.sessions {
		out = append(out, s)
	}
	return out
}

// Send queues an I2NP message (short-header form) to peer's session.
func (t *Transport) Send(peer [32]byte, msg []byte) error {
	s := t.Session(peer)
	if s == nil {
		return ErrNoSession
	}
	return s.Send(msg)
}

// Stats returns the transport-wide counters.
func (t *Transport) Stats() Stats {
	return Stats{
		BytesIn: t.bytesIn.Load(), BytesOut: t.bytesOut.Load(),
		HandshakesOK: t.hsOK.Load(), HandshakesFailed: t.hsFail.Load(),
		Dropped: t.dropped.Load(), FramesIn: t.framesIn.Load(), FramesOut: t.framesOut.Load(),
	}
}
