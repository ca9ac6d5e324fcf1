package client

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/streaming"
)

// TestStreamingOverTunnels runs streaming on two destinations on two
// routers, wired as router/clients.go wires them, and moves 1 MiB each
// way at once over one stream: through a's outbound tunnel, b's inbound
// tunnel and back, with real tunnel and garlic encryption. With loss,
// every TunnelData message between two routers is lost with that
// probability (a tunnel message crosses 3 links, so a streaming packet is
// lost about three times as often). Everything runs in a synctest bubble:
// the pools' and destinations' Run loops, streaming's timers and the
// network's delivery goroutine.
func TestStreamingOverTunnels(t *testing.T) {
	for _, tc := range []struct {
		loss float64
		size int
	}{
		{0, 1 << 20},
		// Smaller, to keep the race-detector run short: the payload
		// gzip in the delivery goroutine is most of the CPU.
		{0.02, 256 << 10},
	} {
		t.Run(fmt.Sprintf("loss=%v", tc.loss), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { streamOnce(t, tc.loss, tc.size) })
		})
	}
}

func streamOnce(t *testing.T, loss float64, size int) {
	w := newLiveWorld(t)
	a, _ := w.dest(Config{Name: "a"})
	b, bn := w.dest(Config{Name: "b"})
	sa := streaming.NewManager(a.Session(ProtoStreaming), streaming.Config{}, nil)
	a.Handle(ProtoStreaming, sa.HandlePacket)
	sb := streaming.NewManager(b.Session(ProtoStreaming), streaming.Config{}, nil)
	b.Handle(ProtoStreaming, sb.HandlePacket)
	w.ready(a, b)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, r := range w.rs {
		wg.Go(func() { r.Manager().Run(ctx) })
	}
	for _, d := range []*Destination{a, b} {
		wg.Go(func() { d.Run(ctx) })
	}
	defer func() {
		sa.Close()
		sb.Close()
		cancel()
		wg.Wait()
	}()
	if loss > 0 {
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(1, 2))
		w.n.SetFault(func(_, _ data.Hash, m i2np.Message) (bool, time.Duration) {
			if m.Type != i2np.TunnelData {
				return false, 0
			}
			mu.Lock()
			defer mu.Unlock()
			return rng.Float64() < loss, 0
		})
	}

	l, err := sb.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	start := time.Now()
	cc, err := sa.Dial(ctx, b.Destination(), 80)
	if err != nil {
		t.Fatal(err)
	}
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	dialed := time.Since(start)

	up, down := seeded(size, 1), seeded(size, 2)
	var got [2][32]byte
	var n [2]int64
	var errs [4]error
	var io4 sync.WaitGroup
	write := func(i int, c net.Conn, p []byte) {
		if _, err := c.Write(p); err != nil {
			errs[i] = err
			return
		}
		errs[i] = c.(*streaming.Conn).CloseWrite()
	}
	read := func(i int, c net.Conn) {
		h := sha256.New()
		n[i], errs[2+i] = io.Copy(h, c)
		got[i] = [32]byte(h.Sum(nil))
	}
	io4.Go(func() { write(0, cc, up) })
	io4.Go(func() { write(1, sc, down) })
	io4.Go(func() { read(0, sc) })
	io4.Go(func() { read(1, cc) })
	io4.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("stream I/O %d: %v", i, err)
		}
	}
	if n[0] != int64(size) || got[0] != sha256.Sum256(up) {
		t.Fatalf("b read %d bytes, sha256 match %v", n[0], got[0] == sha256.Sum256(up))
	}
	if n[1] != int64(size) || got[1] != sha256.Sum256(down) {
		t.Fatalf("a read %d bytes, sha256 match %v", n[1], got[1] == sha256.Sum256(down))
	}
	elapsed := time.Since(start)
	cc.Close()
	sc.Close()
	// a's LeaseSet goes with its first garlic to b, so b answers without
	// a lookup, unless that garlic was lost: then b looks a up.
	if loss == 0 && bn.lookups.Load() != 0 {
		t.Errorf("b looked a up %d times", bn.lookups.Load())
	}
	st := w.n.Stats()
	if loss > 0 && st.Faulted == 0 {
		t.Error("no message lost")
	}
	if st.Overflow != 0 {
		t.Errorf("%d messages overflowed the network queue", st.Overflow)
	}
	t.Logf("dial %v, 2×%d KiB in %v bubble time; network %+v; a %+v; b %+v",
		dialed.Round(time.Millisecond), size>>10, elapsed.Round(time.Millisecond), st, a.Stats(), b.Stats())
}

func seeded(n int, seed uint64) []byte {
	var s [32]byte
	s[0] = byte(seed)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}
