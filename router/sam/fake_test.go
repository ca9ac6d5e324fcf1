package sam

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/streaming"
)

// fakeNet is an in-memory I2P: destinations find each other in a registry,
// streams are half-closable in-memory pipes and datagrams are delivered by
// direct calls.
type fakeNet struct {
	mu    sync.Mutex
	dests map[data.Hash]*fakeDest
	names map[string]data.Destination
	cfgs  []DestinationConfig // every NewDestination config, in order
	// hold, when set, makes NewDestination and Dial wait for it to be
	// closed or for their ctx (tunnels being built, a peer that does not
	// answer); holding counts the calls waiting.
	hold    chan struct{}
	holding int
}

// wait blocks while n.hold is open, until ctx ends.
func (n *fakeNet) wait(ctx context.Context) error {
	n.mu.Lock()
	hold := n.hold
	if hold != nil {
		n.holding++
	}
	n.mu.Unlock()
	if hold == nil {
		return nil
	}
	defer func() {
		n.mu.Lock()
		n.holding--
		n.mu.Unlock()
	}()
	select {
	case <-hold:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *fakeNet) numHolding() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.holding
}

func newFakeNet() *fakeNet {
	return &fakeNet{dests: make(map[data.Hash]*fakeDest), names: make(map[string]data.Destination)}
}

func (n *fakeNet) NewDestination(ctx context.Context, cfg DestinationConfig) (Destination, error) {
	if err := n.wait(ctx); err != nil {
		return nil, err
	}
	d := &fakeDest{n: n, dest: cfg.Keys.Destination, listeners: make(map[uint16]*fakeListener)}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cfgs = append(n.cfgs, cfg)
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
	return data.Destination{}, errors.New("fake: not found")
}

func (n *fakeNet) numDests() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.dests)
}

func (n *fakeNet) find(h data.Hash) *fakeDest {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dests[h]
}

type fakeDest struct {
	n    *fakeNet
	dest data.Destination

	mu        sync.Mutex
	listeners map[uint16]*fakeListener
	handler   func(Datagram)
	closed    bool
}

func (d *fakeDest) Destination() data.Destination { return d.dest }

func (d *fakeDest) Dial(ctx context.Context, to data.Destination, fromPort, port uint16) (net.Conn, error) {
	if err := d.n.wait(ctx); err != nil {
		return nil, err
	}
	peer := d.n.find(to.Hash())
	if peer == nil {
		return nil, errors.New("fake: no route")
	}
	peer.mu.Lock()
	l := peer.listeners[port]
	if l == nil {
		l = peer.listeners[0]
	}
	peer.mu.Unlock()
	if l == nil {
		return nil, errors.New("fake: connection refused")
	}
	a, b := halfPipe(streaming.Addr{Dest: d.dest, Port: fromPort}, streaming.Addr{Dest: to, Port: port})
	select {
	case l.ch <- b:
		return a, nil
	case <-l.done:
		return nil, errors.New("fake: listener closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *fakeDest) Listen(port uint16) (net.Listener, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.listeners[port] != nil {
		return nil, errors.New("fake: port in use")
	}
	l := &fakeListener{d: d, port: port, ch: make(chan net.Conn, 16), done: make(chan struct{})}
	d.listeners[port] = l
	return l, nil
}

func (d *fakeDest) SendDatagram(ctx context.Context, to data.Hash, proto uint8, fromPort, toPort uint16, payload []byte) error {
	peer := d.n.find(to)
	if peer == nil {
		return errors.New("fake: no route")
	}
	dg := Datagram{Proto: proto, FromPort: fromPort, ToPort: toPort, Payload: append([]byte(nil), payload...)}
	switch proto {
	case protoDatagram, protoDatagram2:
		dg.From, dg.FromHash = d.dest, d.dest.Hash()
	case protoDatagram3:
		dg.FromHash = d.dest.Hash()
	}
	peer.mu.Lock()
	h := peer.handler
	peer.mu.Unlock()
	if h != nil {
		h(dg)
	}
	return nil
}

func (d *fakeDest) HandleDatagrams(h func(Datagram)) {
	d.mu.Lock()
	d.handler = h
	d.mu.Unlock()
}

func (d *fakeDest) Close() error {
	d.n.mu.Lock()
	if d.n.dests[d.dest.Hash()] == d {
		delete(d.n.dests, d.dest.Hash())
	}
	d.n.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	d.handler = nil
	return nil
}

type fakeListener struct {
	d    *fakeDest
	port uint16
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *fakeListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.d.mu.Lock()
		if l.d.listeners[l.port] == l {
			delete(l.d.listeners, l.port)
		}
		l.d.mu.Unlock()
		for {
			select {
			case c := <-l.ch:
				c.Close()
			default:
				return
			}
		}
	})
	return nil
}

func (l *fakeListener) Addr() net.Addr { return streaming.Addr{Dest: l.d.dest, Port: l.port} }

// pipeConn is one end of a half-closable in-memory stream.
type pipeConn struct {
	r             *io.PipeReader
	w             *io.PipeWriter
	local, remote net.Addr
}

func halfPipe(a, b net.Addr) (*pipeConn, *pipeConn) {
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	return &pipeConn{r: r1, w: w2, local: a, remote: b}, &pipeConn{r: r2, w: w1, local: b, remote: a}
}

func (p *pipeConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipeConn) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeConn) CloseWrite() error           { return p.w.Close() }
func (p *pipeConn) Close() error {
	p.w.Close()
	p.r.CloseWithError(net.ErrClosed)
	return nil
}
func (p *pipeConn) LocalAddr() net.Addr              { return p.local }
func (p *pipeConn) RemoteAddr() net.Addr             { return p.remote }
func (p *pipeConn) SetDeadline(time.Time) error      { return errors.ErrUnsupported }
func (p *pipeConn) SetReadDeadline(time.Time) error  { return errors.ErrUnsupported }
func (p *pipeConn) SetWriteDeadline(time.Time) error { return errors.ErrUnsupported }
