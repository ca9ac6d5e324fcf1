package ntcp2

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
)

// pipeNet is a Network of net.Pipes: one listener per address.
type pipeNet struct {
	mu  sync.Mutex
	lns map[string]*pipeListener
}

type pipeListener struct {
	addr  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (n *pipeNet) Listen(network, addr string) (net.Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.lns == nil {
		n.lns = make(map[string]*pipeListener)
	}
	l := &pipeListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
	n.lns[addr] = l
	return l, nil
}

func (n *pipeNet) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	l := n.lns[addr]
	n.mu.Unlock()
	if l == nil {
		return nil, errors.New("refused")
	}
	c1, c2 := net.Pipe()
	select {
	case l.conns <- c2:
		return c1, nil
	case <-l.done:
		return nil, errors.New("refused")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.addr) }

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

// TestNetwork runs Listen, Run and Dial over Config.Network instead of TCP.
func TestNetwork(t *testing.T) {
	pn := &pipeNet{}
	withNet := func(c *Config) { c.Network = pn }
	alice, bob := newNode(t, 7, withNet), newNode(t, 7, withNet)
	if err := bob.t.Listen("10.0.0.2:7654"); err != nil {
		t.Fatal(err)
	}
	if got := bob.t.Addr().String(); got != "10.0.0.2:7654" {
		t.Fatalf("Addr %s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bob.t.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	s, err := alice.t.Dial(ctx, bob.peer, "10.0.0.2:7654")
	if err != nil {
		t.Fatal(err)
	}
	msg := i2npMsg(100, 0x5a)
	if err := s.Send(msg); err != nil {
		t.Fatal(err)
	}
	if got := <-bob.rec.got; !bytes.Equal(got, msg) {
		t.Fatal("message garbled")
	}
}
