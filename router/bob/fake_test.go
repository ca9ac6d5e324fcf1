package bob

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/sam"
)

// chanListener is an in-memory net.Listener: deliver hands it the server
// end of a net.Pipe.
type chanListener struct {
	addr string
	ch   chan net.Conn
	done chan struct{} // closed by Close
	once sync.Once
	gone func() // called once by Close
}

func newChanListener(addr string, gone func()) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{}), gone: gone}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		if l.gone != nil {
			l.gone()
		}
	})
	return nil
}

func (l *chanListener) Addr() net.Addr { return memAddr(l.addr) }

// deliver connects a new pipe to l and returns the client end; the server
// end is wrapped by wrap (nil: as it is).
func (l *chanListener) deliver(ctx context.Context, wrap func(net.Conn) net.Conn) (net.Conn, error) {
	a, b := net.Pipe()
	var srv net.Conn = b
	if wrap != nil {
		srv = wrap(b)
	}
	select {
	case l.ch <- srv:
		return a, nil
	case <-l.done:
	case <-ctx.Done():
	}
	a.Close()
	b.Close()
	return nil, errors.New("fake: connection refused")
}

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

// memTCP is the local TCP side: listeners by address.
type memTCP struct {
	mu  sync.Mutex
	lns map[string]*chanListener
}

func newMemTCP() *memTCP { return &memTCP{lns: make(map[string]*chanListener)} }

func (m *memTCP) Listen(ctx context.Context, addr string) (net.Listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lns[addr] != nil {
		return nil, errors.New("fake: address in use")
	}
	var l *chanListener
	l = newChanListener(addr, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.lns[addr] == l {
			delete(m.lns, addr)
		}
	})
	m.lns[addr] = l
	return l, nil
}

func (m *memTCP) Dial(ctx context.Context, addr string) (net.Conn, error) {
	m.mu.Lock()
	l := m.lns[addr]
	m.mu.Unlock()
	if l == nil {
		return nil, errors.New("fake: connection refused")
	}
	return l.deliver(ctx, nil)
}

func (m *memTCP) listening(addr string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lns[addr] != nil
}

// fakeNet is an in-memory I2P: destinations find each other by hash,
// streams are net.Pipes whose accepted end knows the peer's destination.
type fakeNet struct {
	mu    sync.Mutex
	dests map[data.Hash]*fakeDest
	names map[string]data.Destination
	cfgs  []sam.DestinationConfig
	// gate, when set, makes NewDestination wait until it is closed (a
	// destination whose tunnels are being built).
	gate chan struct{}
	// failNew makes NewDestination fail.
	failNew error
}

func newFakeNet() *fakeNet {
	return &fakeNet{dests: make(map[data.Hash]*fakeDest), names: make(map[string]data.Destination)}
}

func (n *fakeNet) NewDestination(ctx context.Context, cfg sam.DestinationConfig) (sam.Destination, error) {
	n.mu.Lock()
	gate, fail := n.gate, n.failNew
	n.cfgs = append(n.cfgs, cfg)
	n.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	d := &fakeDest{n: n, dest: cfg.Keys.Destination}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dests[d.dest.Hash()] != nil {
		return nil, errors.New("fake: destination in use")
	}
	n.dests[d.dest.Hash()] = d
	return d, nil
}

func (n *fakeNet) Lookup(ctx context.Context, name string) (data.Destination, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d, ok := n.names[name]; ok {
		return d, nil
	}
	if h, err := data.ParseB32Address(name); err == nil {
		if d := n.dests[h]; d != nil {
			return d.dest, nil
		}
	}
	if d, err := data.DestinationFromBase64(name); err == nil {
		return d, nil
	}
	return data.Destination{}, errors.New("fake: not found")
}

func (n *fakeNet) numDests() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.dests)
}

func (n *fakeNet) lastConfig() sam.DestinationConfig {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfgs[len(n.cfgs)-1]
}

// fakeDest is a destination of fakeNet. It accepts streams on one
// listener (all ports).
type fakeDest struct {
	n    *fakeNet
	dest data.Destination

	mu sync.Mutex
	ln *chanListener
}

func (d *fakeDest) Destination() data.Destination { return d.dest }

func (d *fakeDest) Dial(ctx context.Context, to data.Destination, fromPort, toPort uint16) (net.Conn, error) {
	d.n.mu.Lock()
	peer := d.n.dests[to.Hash()]
	d.n.mu.Unlock()
	if peer == nil {
		return nil, errors.New("fake: no such destination")
	}
	peer.mu.Lock()
	l := peer.ln
	peer.mu.Unlock()
	if l == nil {
		return nil, errors.New("fake: not listening")
	}
	return l.deliver(ctx, func(c net.Conn) net.Conn { return &peerConn{Conn: c, peer: d.dest} })
}

func (d *fakeDest) Listen(port uint16) (net.Listener, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ln != nil {
		return nil, errors.New("fake: already listening")
	}
	var l *chanListener
	l = newChanListener(d.dest.B32(), func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.ln == l {
			d.ln = nil
		}
	})
	d.ln = l
	return l, nil
}

func (d *fakeDest) SendDatagram(ctx context.Context, to data.Hash, proto uint8, fromPort, toPort uint16, payload []byte) error {
	return errors.New("fake: no datagrams")
}

func (d *fakeDest) HandleDatagrams(h func(sam.Datagram)) {}

func (d *fakeDest) Close() error {
	d.mu.Lock()
	l := d.ln
	d.mu.Unlock()
	if l != nil {
		l.Close()
	}
	d.n.mu.Lock()
	defer d.n.mu.Unlock()
	if d.n.dests[d.dest.Hash()] == d {
		delete(d.n.dests, d.dest.Hash())
	}
	return nil
}

// peerConn is an accepted stream: it knows the dialer's destination, as
// streaming.Conn does.
type peerConn struct {
	net.Conn
	peer data.Destination
}

func (c *peerConn) PeerDestination() (string, [32]byte) {
	return c.peer.Base64(), [32]byte(c.peer.Hash())
}
