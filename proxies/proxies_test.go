package proxies

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/proxies/proxytest"
)

// memNet is an in-memory I2P: destinations are names, streams are
// net.Pipe pairs.
type memNet struct {
	mu        sync.Mutex
	listeners map[string]*proxytest.Listener
	n         int
	dests     []*memDest
}

func (n *memNet) NewDestination(cfg DestinationConfig) (Destination, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.n++
	d := &memDest{net: n, b32: fmt.Sprintf("%s%d.b32.i2p", strings.Repeat("a", 50), n.n)}
	n.dests = append(n.dests, d)
	return d, nil
}

type memDest struct {
	net    *memNet
	b32    string
	closed atomic.Bool
}

func (d *memDest) B32() string  { return d.b32 }
func (d *memDest) B33() string  { return "" }
func (d *memDest) Ready() bool  { return true }
func (d *memDest) Close() error { d.closed.Store(true); return nil }
func (d *memDest) Run(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func (d *memDest) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	d.net.mu.Lock()
	l := d.net.listeners[strings.SplitN(to, ":", 2)[0]]
	d.net.mu.Unlock()
	if l == nil {
		return nil, errors.New("no such destination")
	}
	a, b := proxytest.Pipe()
	if !l.GiveContext(ctx, b) {
		return nil, errors.New("destination gone or dial cancelled")
	}
	return a, nil
}

func (d *memDest) Listen(port uint16) (net.Listener, error) {
	l := proxytest.NewListener()
	d.net.mu.Lock()
	d.net.listeners[d.b32] = l
	d.net.mu.Unlock()
	return l, nil
}

// TestClientToServer: bytes from a local TCP client go through a client
// tunnel and a server tunnel to a local TCP server and back, intact.
func TestClientToServer(t *testing.T) {
	// The local service: echoes the sha256 of what it reads, then a copy.
	svc, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	go func() {
		for {
			c, err := svc.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, _ := io.ReadAll(c)
				sum := sha256.Sum256(b)
				c.Write(sum[:])
			}()
		}
	}()
	mn := &memNet{listeners: map[string]*proxytest.Listener{}}
	srv, err := New([]TunnelConfig{{Name: "site", Type: TypeServer, Target: svc.Addr().String(), Enabled: true}}, mn, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); srv.Run(ctx) }()
	var b32 string
	waitUntil(t, func() bool {
		st := srv.Status()
		b32 = st[0].B32
		mn.mu.Lock()
		defer mn.mu.Unlock()
		return b32 != "" && mn.listeners[b32] != nil
	})
	cli, err := New([]TunnelConfig{{Name: "to-site", Type: TypeClient, Listen: "127.0.0.1:0", Destination: b32 + ":80", Enabled: true}}, mn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := cli.tunnels[0].ln.Addr().String()
	wg.Add(1)
	go func() { defer wg.Done(); cli.Run(ctx) }()

	msg := make([]byte, 1<<20)
	rand.Read(msg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() { c.Write(msg); c.(*net.TCPConn).CloseWrite() }()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(msg)
	if !bytes.Equal(got, want[:]) {
		t.Fatalf("got %x, want %x", got, want)
	}
	waitUntil(t, func() bool {
		st := cli.Status()[0]
		return st.Connections == 1 && st.BytesOut == 1<<20 && st.BytesIn == 32 && st.State == StateRunning
	})
	if st := srv.Status()[0]; st.Type != TypeServer || st.Connections != 1 || st.Target != svc.Addr().String() {
		t.Fatalf("server status %+v", st)
	}
}

func TestConfigChecks(t *testing.T) {
	for _, c := range [][]TunnelConfig{
		{{Type: TypeClient, Listen: "127.0.0.1:1", Destination: "x"}},
		{{Name: "a", Type: "http", Listen: "127.0.0.1:1"}},
		{{Name: "a", Type: TypeClient, Destination: "x"}},
		{{Name: "a", Type: TypeClient, Listen: "127.0.0.1:1"}},
		{{Name: "a", Type: TypeServer}},
		{{Name: "a", Type: TypeServer, Target: "nohostport"}},
		{{Name: "a", Type: TypeServer, Target: "127.0.0.1:1"}, {Name: "a", Type: TypeServer, Target: "127.0.0.1:2"}},
		{{Name: "a", Type: TypeClient, Listen: "127.0.0.1:1", Destination: "x", Enabled: true}, {Name: "b", Type: TypeClient, Listen: "127.0.0.1:1", Destination: "y", Enabled: true}},
	} {
		if _, err := New(c, &memNet{}, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestClientDialFailureClosesConnection(t *testing.T) {
	mn := &memNet{listeners: map[string]*proxytest.Listener{}}
	cli, err := New([]TunnelConfig{{Name: "nowhere", Type: TypeClient, Listen: "127.0.0.1:0", Destination: "nobody.b32.i2p", Enabled: true}}, mn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { cli.Run(ctx); close(done) }()
	c, err := net.Dial("tcp", cli.tunnels[0].ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read %d, %v: want EOF", n, err)
	}
	c.Close()
	cancel()
	<-done
	if st := cli.Status()[0]; st.State != StateStopped {
		t.Fatalf("after Run: %+v", st)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
