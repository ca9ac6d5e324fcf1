package proxies

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/proxies/proxytest"
)

// goroutineLeakCheck fails the test if, at cleanup, more goroutines run
// than when it was called (after giving exiting ones a moment).
func goroutineLeakCheck(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// echoService is a local TCP service that echoes what it reads.
func echoService(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); io.Copy(c, c) })
		}
	})
	return l.Addr().String()
}

// freePort returns a 127.0.0.1 address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// running starts m.Run and returns a stop function that cancels it and
// waits for it.
func running(t *testing.T, m *Manager) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	// Run has taken opMu and set ctx once an operation sees it.
	waitUntil(t, func() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.ctx != nil })
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func status(m *Manager, name string) (TunnelStatus, bool) {
	for _, s := range m.Status() {
		if s.Name == name {
			return s, true
		}
	}
	return TunnelStatus{}, false
}

// roundTrip sends msg through the client tunnel at addr and reads it
// back.
func roundTrip(t *testing.T, addr, msg string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != msg {
		t.Fatalf("read %q, %v; want %q", got, err, msg)
	}
}

func portFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// TestLiveAddRemove adds a server and a client tunnel to a running
// manager, sends bytes through them, then updates, stops, starts,
// restarts and removes them, checking ports, destinations and the leak
// of no goroutine.
func TestLiveAddRemove(t *testing.T) {
	goroutineLeakCheck(t)
	svc := echoService(t)
	mn := &memNet{listeners: map[string]*proxytest.Listener{}}
	m, err := New(nil, mn, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, m)

	if err := m.Add(TunnelConfig{Name: "site", Type: TypeServer, Target: svc, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	var b32 string
	waitUntil(t, func() bool {
		st, _ := status(m, "site")
		b32 = st.B32
		mn.mu.Lock()
		defer mn.mu.Unlock()
		return b32 != "" && mn.listeners[b32] != nil && st.State == StateRunning
	})
	addr := freePort(t)
	if err := m.Add(TunnelConfig{Name: "cli", Type: TypeClient, Listen: addr, Destination: b32, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, addr, "hello through i2p")
	waitUntil(t, func() bool {
		st, _ := status(m, "cli")
		return st.Connections == 1 && st.BytesOut == 17 && st.BytesIn == 17 && st.Enabled
	})

	// Duplicate names, unknown names.
	if err := m.Add(TunnelConfig{Name: "cli", Type: TypeServer, Target: svc}); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate Add = %v", err)
	}
	for _, op := range []func(string) error{m.Start, m.Stop, m.Restart, m.Remove} {
		if err := op("nobody"); !errors.Is(err, ErrNoTunnel) {
			t.Errorf("op on unknown tunnel = %v", err)
		}
	}
	if err := m.Update("nobody", TunnelConfig{Name: "x", Type: TypeServer, Target: svc}); !errors.Is(err, ErrNoTunnel) {
		t.Errorf("Update of unknown tunnel = %v", err)
	}
	if err := m.Update("cli", TunnelConfig{Name: "site", Type: TypeServer, Target: svc}); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto another tunnel = %v", err)
	}

	// A port in use: Add fails and adds nothing; Update fails and keeps
	// the old config running.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if err := m.Add(TunnelConfig{Name: "busy", Type: TypeClient, Listen: busy.Addr().String(), Destination: b32, Enabled: true}); err == nil {
		t.Error("Add on a port in use succeeded")
	}
	if _, ok := status(m, "busy"); ok {
		t.Error("a tunnel that could not bind was added")
	}
	if err := m.Update("cli", TunnelConfig{Name: "cli", Type: TypeClient, Listen: busy.Addr().String(), Destination: b32, Enabled: true}); err == nil {
		t.Error("Update onto a port in use succeeded")
	}
	roundTrip(t, addr, "still there")

	// Update while running: the new port serves, the old is free, the
	// old destination closed, and the new name is used.
	oldDests := len(mn.dests)
	addr2 := freePort(t)
	if err := m.Update("cli", TunnelConfig{Name: "cli2", Type: TypeClient, Listen: addr2, Destination: b32, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if !portFree(addr) {
		t.Error("old port still bound after Update")
	}
	roundTrip(t, addr2, "moved")
	mn.mu.Lock()
	for _, d := range mn.dests[:oldDests] {
		if d.b32 != b32 && !d.closed.Load() {
			t.Errorf("destination %s of the old config not closed", d.b32)
		}
	}
	mn.mu.Unlock()
	if _, ok := status(m, "cli"); ok {
		t.Error("old name still listed")
	}

	// Stop frees the port; Start binds it again; Restart keeps it.
	if err := m.Stop("cli2"); err != nil {
		t.Fatal(err)
	}
	if st, _ := status(m, "cli2"); st.State != StateStopped || st.B32 != "" || !st.Enabled {
		t.Errorf("after Stop: %+v", st)
	}
	if !portFree(addr2) {
		t.Error("port still bound after Stop")
	}
	if err := m.Stop("cli2"); err != nil {
		t.Errorf("second Stop = %v", err)
	}
	// An update of a stopped tunnel leaves it stopped.
	if err := m.Update("cli2", TunnelConfig{Name: "cli2", Type: TypeClient, Listen: addr2, Destination: b32, Enabled: false}); err != nil {
		t.Fatal(err)
	}
	if st, _ := status(m, "cli2"); st.State != StateStopped || st.Enabled {
		t.Errorf("after Update of a stopped tunnel: %+v", st)
	}
	if err := m.Start("cli2"); err != nil {
		t.Fatal(err)
	}
	if err := m.Start("cli2"); err != nil {
		t.Errorf("second Start = %v", err)
	}
	roundTrip(t, addr2, "started")
	if err := m.Restart("cli2"); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, addr2, "restarted")

	// Remove: gone, port free, destination closed.
	if err := m.Remove("cli2"); err != nil {
		t.Fatal(err)
	}
	if _, ok := status(m, "cli2"); ok || !portFree(addr2) {
		t.Error("removed tunnel listed or its port bound")
	}
	mn.mu.Lock()
	for _, d := range mn.dests {
		if d.b32 != b32 && !d.closed.Load() {
			t.Errorf("destination %s not closed after Remove", d.b32)
		}
	}
	mn.mu.Unlock()

	stop()
	mn.mu.Lock()
	for _, d := range mn.dests {
		if !d.closed.Load() {
			t.Errorf("destination %s not closed after Run", d.b32)
		}
	}
	mn.mu.Unlock()
	if err := m.Add(TunnelConfig{Name: "late", Type: TypeServer, Target: svc}); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Run = %v", err)
	}
}

// TestLiveBeforeRun: operations before Run bind ports and mark tunnels;
// Run starts what was started.
func TestLiveBeforeRun(t *testing.T) {
	goroutineLeakCheck(t)
	svc := echoService(t)
	mn := &memNet{listeners: map[string]*proxytest.Listener{}}
	addr := freePort(t)
	m, err := New([]TunnelConfig{{Name: "off", Type: TypeServer, Target: svc}}, mn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add(TunnelConfig{Name: "cli", Type: TypeClient, Listen: addr, Destination: "x.b32.i2p", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if portFree(addr) {
		t.Error("Add before Run did not bind")
	}
	if err := m.Start("off"); err != nil {
		t.Fatal(err)
	}
	running(t, m)
	waitUntil(t, func() bool {
		a, _ := status(m, "off")
		b, _ := status(m, "cli")
		return a.State == StateRunning && b.State == StateRunning
	})
}

// TestLiveTypedBytes: the proxies' tunnel types count connections and
// bytes too (here a SOCKS tunnel).
func TestLiveTypedBytes(t *testing.T) {
	goroutineLeakCheck(t)
	mn := &memNet{listeners: map[string]*proxytest.Listener{}}
	m, err := New(nil, mn, nil)
	if err != nil {
		t.Fatal(err)
	}
	running(t, m)
	if err := m.Add(TunnelConfig{Name: "socks", Type: TypeSOCKS, Listen: freePort(t), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	st, _ := status(m, "socks")
	c, err := net.Dial("tcp", st.Listen)
	if err != nil {
		t.Fatal(err)
	}
	// A SOCKS 5 greeting with no acceptable method: the proxy answers
	// 2 bytes.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte{5, 1, 0xfe})
	io.ReadAll(c)
	c.Close()
	waitUntil(t, func() bool {
		st, _ := status(m, "socks")
		return st.Connections == 1 && st.BytesOut == 3 && st.BytesIn >= 2
	})
}

// TestLiveStopWithOpenConnection: Stop does not wait for an idle
// connection to end by itself; it closes it.
func TestLiveStopWithOpenConnection(t *testing.T) {
	goroutineLeakCheck(t)
	svc := echoService(t)
	mn := &memNet{listeners: map[string]*proxytest.Listener{}}
	m, err := New(nil, mn, nil)
	if err != nil {
		t.Fatal(err)
	}
	running(t, m)
	if err := m.Add(TunnelConfig{Name: "site", Type: TypeServer, Target: svc, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	var b32 string
	waitUntil(t, func() bool {
		st, _ := status(m, "site")
		b32 = st.B32
		mn.mu.Lock()
		defer mn.mu.Unlock()
		return b32 != "" && mn.listeners[b32] != nil
	})
	addr := freePort(t)
	if err := m.Add(TunnelConfig{Name: "cli", Type: TypeClient, Listen: addr, Destination: b32, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cli", "site"} {
		if err := m.Stop(name); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Read(buf); n != 0 || err == nil {
		t.Errorf("after Stop: read %d, %v; want EOF", n, err)
	}
}
