package ssu2

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"sync"
)

// memNet is an in-memory UDP: datagrams between memConns, with optional
// loss and a tap that sees (and may rewrite or drop) every datagram.
type memNet struct {
	mu    sync.Mutex
	conns map[netip.AddrPort]*memConn
	loss  float64
	tap   func(from, to netip.AddrPort, b []byte) []byte
	next  uint16
}

func newMemNet() *memNet { return &memNet{conns: make(map[netip.AddrPort]*memConn), next: 10000} }

type dgram struct {
	b    []byte
	from netip.AddrPort
}

type memConn struct {
	n      *memNet
	addr   netip.AddrPort
	ch     chan dgram
	closed chan struct{}
	once   sync.Once
}

func (n *memNet) ListenPacket(addr string) (PacketConn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	ap := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), n.next)
	c := &memConn{n: n, addr: ap, ch: make(chan dgram, 4096), closed: make(chan struct{})}
	n.conns[ap] = c
	return c, nil
}

func (c *memConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	select {
	case d := <-c.ch:
		return copy(b, d.b), d.from, nil
	case <-c.closed:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

func (c *memConn) WriteTo(b []byte, to netip.AddrPort) (int, error) {
	return c.n.send(c.addr, to, b)
}

func (n *memNet) send(from, to netip.AddrPort, b []byte) (int, error) {
	n.mu.Lock()
	dst := n.conns[to]
	loss, tap := n.loss, n.tap
	n.mu.Unlock()
	b = append([]byte(nil), b...)
	if tap != nil {
		if b = tap(from, to, b); b == nil {
			return len(b), nil
		}
	}
	if dst == nil || loss > 0 && mrand.Float64() < loss {
		return len(b), nil
	}
	select {
	case dst.ch <- dgram{b, from}:
	default: // queue full: dropped, as a real socket would
	}
	return len(b), nil
}

func (c *memConn) LocalAddr() netip.AddrPort { return c.addr }
func (c *memConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

var errNoSSU2 = errors.New("no SSU2 address")

// testRouter is a transport with a fake identity: its "RouterInfo" is
// hash || static || intro key.
type testRouter struct {
	t      *Transport
	hash   [32]byte
	static *ecdh.PrivateKey
	intro  [32]byte
	h      *recHandler
}

type recHandler struct {
	mu     sync.Mutex
	msgs   [][]byte
	got    chan []byte
	est    chan *Session
	closed chan error
}

func newRecHandler() *recHandler {
	return &recHandler{got: make(chan []byte, 100000), est: make(chan *Session, 16), closed: make(chan error, 16)}
}

func (h *recHandler) HandleI2NP(from [32]byte, msg []byte)                  { h.got <- msg }
func (h *recHandler) HandleRouterInfo(from [32]byte, ri []byte, flood bool) {}
func (h *recHandler) SessionEstablished(s *Session) {
	select {
	case h.est <- s:
	default:
	}
}
func (h *recHandler) SessionClosed(s *Session, err error) {
	select {
	case h.closed <- err:
	default:
	}
}

func fakeRI(hash [32]byte, static []byte, intro [32]byte) []byte {
	b := append([]byte(nil), hash[:]...)
	b = append(b, static...)
	return append(b, intro[:]...)
}

func checkFakeRI(ri []byte, static []byte) (PeerInfo, error) {
	if len(ri) < 96 || string(ri[32:64]) != string(static) {
		return PeerInfo{}, errNoSSU2
	}
	var p PeerInfo
	copy(p.Hash[:], ri)
	copy(p.IntroKey[:], ri[64:96])
	return p, nil
}

func newTestRouter(tb interface {
	Fatal(...any)
	Cleanup(func())
}, nw Network, mod func(*Config)) *testRouter {
	r := &testRouter{h: newRecHandler()}
	rand.Read(r.hash[:])
	rand.Read(r.intro[:])
	r.static, _ = ecdh.X25519().GenerateKey(rand.Reader)
	ri := fakeRI(r.hash, r.static.PublicKey().Bytes(), r.intro)
	cfg := Config{
		NetID: 7, Static: r.static, IntroKey: r.intro, RouterHash: r.hash,
		RouterInfo: func() []byte { return ri }, CheckRouterInfo: checkFakeRI,
		Handler: r.h, Network: nw,
	}
	if mod != nil {
		mod(&cfg)
	}
	t, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := t.Listen("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	r.t = t
	done := make(chan struct{})
	go func() { t.Run(t.ctx); close(done) }()
	tb.Cleanup(func() { t.Close(); <-done })
	return r
}

func (r *testRouter) peer() Peer {
	var st [32]byte
	copy(st[:], r.static.PublicKey().Bytes())
	return Peer{Hash: r.hash, Static: st, IntroKey: r.intro, Addr: r.t.Addr()}
}
