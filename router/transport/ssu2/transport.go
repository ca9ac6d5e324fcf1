package ssu2

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

// Config configures a Transport. The zero value of each duration or limit
// means its default.
type Config struct {
	NetID      uint8
	Static     *ecdh.PrivateKey // our SSU2 static key ("s")
	IntroKey   [32]byte         // our published intro key ("i")
	RouterHash [32]byte
	// MTU is our published mtu (1280..1500; default 1500).
	MTU int

	// RouterInfo returns our current signed RouterInfo, sent in
	// SessionConfirmed.
	RouterInfo func() []byte
	// RouterInfoFlag: bit 0 asks a floodfill to flood it.
	RouterInfoFlag byte
	// CheckRouterInfo parses and verifies a peer's RouterInfo from
	// SessionConfirmed and checks that it has an SSU2 address whose "s"
	// is static; it returns the peer's hash, intro key and MTU.
	CheckRouterInfo func(ri []byte, static []byte) (PeerInfo, error)

	Handler Handler
	Logger  *slog.Logger

	// Peer testing and relaying (optional; without them we take no part).
	// Sign signs with our router identity's key.
	Sign func(msg []byte) ([]byte, error)
	// VerifyRouter checks sig over msg with the identity of router hash
	// (its RouterInfo from the netDb).
	VerifyRouter func(hash [32]byte, msg, sig []byte) error
	// RouterInfoOf returns a router's RouterInfo from the netDb, or nil.
	RouterInfoOf func(hash [32]byte) []byte
	// PeerOf returns a router's SSU2 address from its RouterInfo.
	PeerOf func(hash [32]byte) (Peer, bool)
	// CanTest reports whether a router's SSU2 address has caps B (it
	// can be Bob or Charlie in a peer test).
	CanTest func(hash [32]byte) bool
	// PublicAddr is our published SSU2 address (invalid: none).
	PublicAddr func() netip.AddrPort
	// OnReachability is called when peer tests change our reachability.
	OnReachability func(Reachability)
	// OnIntroducers is called when an introducer gave us a relay tag.
	OnIntroducers func()
	// WantRelayTag reports whether dials should ask for a relay tag (we
	// are firewalled and the peer's address has caps C).
	WantRelayTag func(peer [32]byte) bool
	Now          func() time.Time
	// Network carries the datagrams; nil: UDP.
	Network Network

	MaxClockSkew     time.Duration // 60 s
	HandshakeTimeout time.Duration // 10 s
	KeepAlive        time.Duration // 30 s without sending: a keepalive
	IdleTimeout      time.Duration // 5.5 min without receiving: closed
	QueueLen         int           // messages queued per session; 512
	MaxSessions      int           // 1024
	MaxPending       int           // inbound handshakes at once; 128
	// RetryRate is how many Retry messages a source IP may get per
	// second before we stop answering it (a token flood). Default 10.
	RetryRate int
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
func (c *Config) maxSkew() time.Duration   { return orDur(c.MaxClockSkew, 60*time.Second) }
func (c *Config) hsTimeout() time.Duration { return orDur(c.HandshakeTimeout, 10*time.Second) }
func (c *Config) keepAlive() time.Duration { return orDur(c.KeepAlive, 30*time.Second) }
func (c *Config) idle() time.Duration      { return orDur(c.IdleTimeout, 330*time.Second) }
func (c *Config) mtu() int {
	if c.MTU == 0 {
		return DefaultMTU
	}
	return min(max(c.MTU, MinMTU), DefaultMTU)
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

// PeerInfo is what CheckRouterInfo finds in a peer's RouterInfo.
type PeerInfo struct {
	Hash     [32]byte
	IntroKey [32]byte
	MTU      int // 0: default
}

// Peer is a router to dial: from its RouterInfo's SSU2 address.
type Peer struct {
	Hash     [32]byte
	Static   [32]byte
	IntroKey [32]byte
	Addr     netip.AddrPort
	MTU      int // its published mtu; 0: default
	// Introducers reach a firewalled peer without Addr.
	Introducers []Introducer
}

// PacketConn is a UDP socket or its in-memory twin.
type PacketConn interface {
	ReadFrom(b []byte) (int, netip.AddrPort, error)
	WriteTo(b []byte, addr netip.AddrPort) (int, error)
	LocalAddr() netip.AddrPort
	Close() error
}

// Network opens the socket; nil Config.Network means UDP.
type Network interface {
	ListenPacket(addr string) (PacketConn, error)
}

type udpNet struct{}

func (udpNet) ListenPacket(addr string) (PacketConn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	c.SetReadBuffer(1 << 20)
	c.SetWriteBuffer(1 << 20)
	return udpConn{c}, nil
}

type udpConn struct{ c *net.UDPConn }

func (u udpConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	n, a, err := u.c.ReadFromUDPAddrPort(b)
	return n, netip.AddrPortFrom(a.Addr().Unmap(), a.Port()), err
}
func (u udpConn) WriteTo(b []byte, a netip.AddrPort) (int, error) {
	return u.c.WriteToUDPAddrPort(b, a)
}
func (u udpConn) LocalAddr() netip.AddrPort {
	a := u.c.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
func (u udpConn) Close() error { return u.c.Close() }

// Handler receives what sessions carry, from the transport's reader
// goroutine; its methods must not block for long. Slices are the
// handler's to keep.
type Handler interface {
	// HandleI2NP gets one I2NP message in the short (9-byte header) form.
	HandleI2NP(from [32]byte, msg []byte)
	// HandleRouterInfo gets a RouterInfo block's RouterInfo (gunzipped).
	HandleRouterInfo(from [32]byte, ri []byte, flood bool)
	SessionEstablished(s *Session)
	SessionClosed(s *Session, err error)
}

// Stats are transport-wide counters.
type Stats struct {
	BytesIn, BytesOut     uint64
	PacketsIn, PacketsOut uint64
	HandshakesOK          uint64
	HandshakesFailed      uint64
	Dropped               uint64 // datagrams dropped: undecodable, unknown, replayed, rate limited
	Retransmits           uint64 // fragments sent again
	RetriesSent           uint64
	// HandshakeBytesIn and HandshakeBytesOut count datagrams of unfinished
	// inbound handshakes (TokenRequest, SessionRequest, SessionConfirmed in,
	// Retry and SessionCreated out): out must stay below in (no
	// amplification).
	HandshakeBytesIn, HandshakeBytesOut uint64
	Migrations                          uint64 // sessions moved to a validated new address
}

var (
	ErrClosed    = errors.New("ssu2: session closed")
	ErrQueueFull = errors.New("ssu2: send queue full")
	ErrTimeout   = errors.New("ssu2: handshake timed out")
	ErrSkew      = errors.New("ssu2: clock skew")
	ErrRejected  = errors.New("ssu2: peer rejected the session")
)

// Transport is one SSU2 socket: its sessions, handshakes and tokens.
type Transport struct {
	cfg    Config
	log    *slog.Logger
	replay *noise.ReplayFilter

	bytesIn, bytesOut, pktIn, pktOut, hsOK, hsFail, dropped, resent, retries atomic.Uint64
	hsIn, hsOut, migrations                                                  atomic.Uint64

	conn PacketConn

	mu struct {
		sync.Mutex
		byID      map[uint64]*Session // established, by the connection ID we receive
		byHash    map[[32]byte]*Session
		inbound   map[uint64]*inbound // Bob's handshakes waiting for SessionConfirmed
		outbound  map[netip.AddrPort]*outbound
		dialing   map[[32]byte]*outbound
		issued    map[netip.AddrPort]tokenEntry // tokens we gave, by their address
		received  map[netip.AddrPort]tokenEntry // tokens peers gave us
		retryRate map[netip.Addr]*rateBucket
		closed    bool
	}
	ext extensions // peer test and relay

	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

type tokenEntry struct {
	token   uint64
	expires time.Time
}

type rateBucket struct {
	start time.Time
	n     int
}

const maxTokens = 8192

// New checks cfg and makes a Transport. It does no I/O.
func New(cfg Config) (*Transport, error) {
	if cfg.Static == nil || cfg.RouterInfo == nil || cfg.CheckRouterInfo == nil || cfg.Handler == nil {
		return nil, errors.New("ssu2: Config needs Static, RouterInfo, CheckRouterInfo and Handler")
	}
	if cfg.Static.Curve() != ecdh.X25519() {
		return nil, errors.New("ssu2: static key must be X25519")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Transport{
		cfg:    cfg,
		log:    log.With("component", "ssu2"),
		replay: noise.NewReplayFilter(2*cfg.maxSkew()+cfg.hsTimeout(), 1<<16),
	}
	t.mu.byID = make(map[uint64]*Session)
	t.mu.byHash = make(map[[32]byte]*Session)
	t.mu.inbound = make(map[uint64]*inbound)
	t.mu.outbound = make(map[netip.AddrPort]*outbound)
	t.mu.dialing = make(map[[32]byte]*outbound)
	t.mu.issued = make(map[netip.AddrPort]tokenEntry)
	t.mu.received = make(map[netip.AddrPort]tokenEntry)
	t.mu.retryRate = make(map[netip.Addr]*rateBucket)
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.ext.init(t)
	return t, nil
}

// Listen binds the socket on addr ("host:port").
func (t *Transport) Listen(addr string) error {
	nw := t.cfg.Network
	if nw == nil {
		nw = udpNet{}
	}
	c, err := nw.ListenPacket(addr)
	if err != nil {
		return err
	}
	t.conn = c
	return nil
}

// Addr is the socket's address (after Listen).
func (t *Transport) Addr() netip.AddrPort {
	if t.conn == nil {
		return netip.AddrPort{}
	}
	return t.conn.LocalAddr()
}

// Run reads datagrams until ctx ends or Close; then it closes every session.
func (t *Transport) Run(ctx context.Context) error {
	if t.conn == nil {
		return errors.New("ssu2: Run before Listen")
	}
	stop := context.AfterFunc(ctx, t.Close)
	defer stop()
	t.wg.Add(1)
	go func() { defer t.wg.Done(); t.housekeeping() }()
	t.wg.Add(1)
	go func() { defer t.wg.Done(); t.ext.runPeerTests() }()
	buf := make([]byte, MaxPacket+1)
	for {
		n, from, err := t.conn.ReadFrom(buf)
		if err != nil {
			if t.ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				break
			}
			t.log.Debug("read", "err", err)
			continue
		}
		t.bytesIn.Add(uint64(n))
		t.pktIn.Add(1)
		if err := checkLen(n); err != nil {
			t.dropped.Add(1)
			continue
		}
		t.handleDatagram(buf[:n], from)
	}
	t.Close()
	t.wg.Wait()
	return nil
}

// Close stops the transport: every session is terminated (reason
// shutdown) and the socket closed. It is idempotent.
func (t *Transport) Close() {
	t.mu.Lock()
	if t.mu.closed {
		t.mu.Unlock()
		return
	}
	t.mu.closed = true
	var ss []*Session
	for _, s := range t.mu.byID {
		ss = append(ss, s)
	}
	t.mu.Unlock()
	for _, s := range ss {
		s.Close(ReasonShutdown)
	}
	t.cancel()
	if t.conn != nil {
		t.conn.Close()
	}
}

func (t *Transport) write(b []byte, to netip.AddrPort) {
	if _, err := t.conn.WriteTo(b, to); err != nil {
		if t.ctx.Err() == nil {
			t.log.Debug("write", "err", err)
		}
		return
	}
	t.bytesOut.Add(uint64(len(b)))
	t.pktOut.Add(1)
}

// handleDatagram classifies one datagram (ssu2.rst, "Inbound Packet
// Handling"). pkt is reused by the caller after return.
func (t *Transport) handleDatagram(pkt []byte, from netip.AddrPort) {
	ik := &t.cfg.IntroKey
	var first [8]byte
	copy(first[:], pkt[:8])
	xorFirst8(pkt, ik)
	id := binary.BigEndian.Uint64(pkt)
	t.mu.Lock()
	s := t.mu.byID[id]
	in := t.mu.inbound[id]
	t.mu.Unlock()
	if s != nil {
		s.handlePacket(pkt, from)
		return
	}
	if in != nil {
		in.handle(pkt, from)
		return
	}
	var second [8]byte
	copy(second[:], pkt[8:16])
	xorSecond8(pkt, ik)
	h := parseShort(pkt)
	switch h.typ {
	case typeSessionRequest, typeTokenRequest:
		if h.ver == protocolVersion && h.netID == t.cfg.NetID {
			t.handleRequest(pkt, from)
			return
		}
	case typePeerTest:
		if h.ver == protocolVersion && h.netID == t.cfg.NetID {
			t.ext.handlePeerTestPacket(pkt, from)
			return
		}
	case typeHolePunch:
		if h.ver == protocolVersion && h.netID == t.cfg.NetID {
			t.ext.handleHolePunch(pkt, from)
			return
		}
	}
	// Not for our intro key: SessionCreated or Retry of a dial of ours
	// (k_header_1 is the peer's intro key).
	copy(pkt[:8], first[:])
	copy(pkt[8:16], second[:])
	t.mu.Lock()
	out := t.mu.outbound[from]
	t.mu.Unlock()
	if out != nil {
		out.handle(pkt, from)
		return
	}
	t.dropped.Add(1)
}

// housekeeping expires tokens, rate buckets and stale handshakes.
func (t *Transport) housekeeping() {
	tk := time.NewTicker(5 * time.Second)
	defer tk.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tk.C:
		}
		now := t.cfg.now()
		t.mu.Lock()
		for k, e := range t.mu.issued {
			if now.After(e.expires) {
				delete(t.mu.issued, k)
			}
		}
		for k, e := range t.mu.received {
			if now.After(e.expires) {
				delete(t.mu.received, k)
			}
		}
		for k, b := range t.mu.retryRate {
			if now.Sub(b.start) > time.Second {
				delete(t.mu.retryRate, k)
			}
		}
		var stale []*inbound
		for _, in := range t.mu.inbound {
			if now.Sub(in.started) > t.cfg.hsTimeout() {
				stale = append(stale, in)
			}
		}
		t.mu.Unlock()
		for _, in := range stale {
			in.fail(ErrTimeout)
		}
		t.ext.housekeeping(now)
	}
}

// issueToken makes a token for addr, valid for d.
func (t *Transport) issueToken(addr netip.AddrPort, d time.Duration) uint64 {
	now := t.cfg.now()
	t.mu.Lock()
	if e, ok := t.mu.issued[addr]; ok && now.Add(d/2).Before(e.expires) {
		// Idempotent: a resent (or spoofed) request keeps the token
		// already given to that address.
		t.mu.Unlock()
		return e.token
	}
	t.mu.Unlock()
	tok := randUint64()
	for tok == 0 {
		tok = randUint64()
	}
	t.mu.Lock()
	if len(t.mu.issued) >= maxTokens {
		for k := range t.mu.issued { // evict any: bounded memory under a flood
			delete(t.mu.issued, k)
			break
		}
	}
	t.mu.issued[addr] = tokenEntry{tok, t.cfg.now().Add(d)}
	t.mu.Unlock()
	return tok
}

func (t *Transport) tokenValid(addr netip.AddrPort, tok uint64) bool {
	if tok == 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.mu.issued[addr]
	return ok && e.token == tok && t.cfg.now().Before(e.expires)
}

func (t *Transport) storeToken(addr netip.AddrPort, tok uint64, exp time.Time) {
	if tok == 0 {
		return
	}
	t.mu.Lock()
	if len(t.mu.received) >= maxTokens {
		for k := range t.mu.received {
			delete(t.mu.received, k)
			break
		}
	}
	t.mu.received[addr] = tokenEntry{tok, exp}
	t.mu.Unlock()
}

func (t *Transport) takeToken(addr netip.AddrPort) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.mu.received[addr]
	if !ok || t.cfg.now().Add(2*time.Second).After(e.expires) {
		return 0
	}
	return e.token
}

// allowRetry rate-limits Retry messages per source IP.
func (t *Transport) allowRetry(a netip.Addr) bool {
	rate := orInt(t.cfg.RetryRate, 10)
	now := t.cfg.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.mu.retryRate[a]
	if b == nil || now.Sub(b.start) > time.Second {
		if len(t.mu.retryRate) >= 4096 && b == nil {
			return false
		}
		b = &rateBucket{start: now}
		t.mu.retryRate[a] = b
	}
	b.n++
	return b.n <= rate
}

// register adds an established session. An older session with the same
// peer is replaced (terminated with reason 22).
func (t *Transport) register(s *Session) bool {
	t.mu.Lock()
	if t.mu.closed || len(t.mu.byID) >= orInt(t.cfg.MaxSessions, 1024) {
		t.mu.Unlock()
		return false
	}
	old := t.mu.byHash[s.remote]
	t.mu.byID[s.rcvID] = s
	t.mu.byHash[s.remote] = s
	t.mu.Unlock()
	if old != nil && old != s {
		old.Close(ReasonReplaced)
	}
	return true
}

func (t *Transport) unregister(s *Session) {
	t.mu.Lock()
	if t.mu.byID[s.rcvID] == s {
		delete(t.mu.byID, s.rcvID)
	}
	if t.mu.byHash[s.remote] == s {
		delete(t.mu.byHash, s.remote)
	}
	t.mu.Unlock()
}

// Session returns the established session with peer, or nil.
func (t *Transport) Session(peer [32]byte) *Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.byHash[peer]
}

// Sessions lists the established sessions.
func (t *Transport) Sessions() []*Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*Session, 0, len(t.mu.byHash))
	for _, s := range t.mu.byHash {
		out = append(out, s)
	}
	return out
}

// Send queues msg (short-header I2NP) to peer's session.
func (t *Transport) Send(peer [32]byte, msg []byte) error {
	s := t.Session(peer)
	if s == nil {
		return fmt.Errorf("ssu2: no session with %x", peer[:4])
	}
	return s.Send(msg)
}

// Stats returns the transport-wide counters.
func (t *Transport) Stats() Stats {
	return Stats{
		BytesIn: t.bytesIn.Load(), BytesOut: t.bytesOut.Load(),
		PacketsIn: t.pktIn.Load(), PacketsOut: t.pktOut.Load(),
		HandshakesOK: t.hsOK.Load(), HandshakesFailed: t.hsFail.Load(),
		Dropped: t.dropped.Load(), Retransmits: t.resent.Load(), RetriesSent: t.retries.Load(), Migrations: t.migrations.Load(),
		HandshakeBytesIn: t.hsIn.Load(), HandshakeBytesOut: t.hsOut.Load(),
	}
}

func randRead(b []byte) { rand.Read(b) }

func randUint64() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

func randUint32() uint32 {
	var b [4]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

func nowSeconds(t time.Time) uint32 { return uint32((t.UnixMilli() + 500) / 1000) }

func checkSkew(peerTS uint32, now time.Time, max time.Duration) (time.Duration, error) {
	skew := time.Duration(int64(peerTS)-now.Unix()) * time.Second
	if skew > max || skew < -max {
		return skew, fmt.Errorf("%w: peer is %v off", ErrSkew, skew)
	}
	return skew, nil
}
