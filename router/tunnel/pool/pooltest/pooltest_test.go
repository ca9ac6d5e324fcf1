package pooltest_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/tunnel"
	"github.com/i2pgo/i2pgo/router/tunnel/pool"
	"github.com/i2pgo/i2pgo/router/tunnel/pool/pooltest"
)

var epoch = time.Unix(1_800_000_000, 0)

// twoRouters builds the exploratory pools of two routers synchronously.
func twoRouters(t *testing.T, cfg pooltest.Config) (*pooltest.Network, *pooltest.Clock, *pooltest.Router, *pooltest.Router) {
	t.Helper()
	clk := pooltest.NewClock(epoch)
	cfg.Now = clk.Now
	n := pooltest.New(t, cfg)
	a := n.NewRouter(pool.ManagerConfig{}, pool.Deps{})
	b := n.NewRouter(pool.ManagerConfig{}, pool.Deps{})
	if a.Hash() == b.Hash() {
		t.Fatal("two routers with one hash")
	}
	n.Rounds(3, func() { clk.Advance(2 * time.Second) }, a, b)
	for _, r := range []*pooltest.Router{a, b} {
		if in, out := r.Manager().Exploratory().Counts(); in != 2 || out != 2 {
			t.Fatalf("exploratory pool %d/%d, want 2/2", in, out)
		}
		for _, ti := range r.Manager().List() {
			if ti.State != "tested" {
				t.Fatalf("tunnel %+v not tested", ti)
			}
		}
	}
	return n, clk, a, b
}

// sendAcross sends a Data message out of a's exploratory outbound tunnel
// to b's exploratory inbound tunnel.
func sendAcross(t *testing.T, a, b *pooltest.Router, id i2np.MessageID, body string) {
	gw, gwID := b.Manager().Exploratory().PickInbound().Gateway()
	m, err := i2np.NewMessage(id, epoch.Add(time.Hour), i2np.DataMessage{Data: []byte(body)})
	if err != nil {
		t.Error(err)
		return
	}
	if err := a.Manager().Exploratory().PickOutbound().Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryTunnel, To: gw, TunnelID: gwID}, m); err != nil {
		t.Error(err)
	}
}

func TestTwoRoutersSynchronous(t *testing.T) {
	n, _, a, b := twoRouters(t, pooltest.Config{Hops: 6})
	for _, h := range n.Hops() {
		if all, long := h.Builds(); long != 0 || all == 0 {
			t.Fatalf("hop builds %d (long %d): want short records only", all, long)
		}
	}
	sendAcross(t, a, b, 77, "hello b")
	n.Flush()
	got := b.Delivered()
	if len(got) != 1 || got[0].ID != 77 {
		t.Fatalf("b got %v", got)
	}
	if dm, _ := i2np.ParseDataMessage(got[0].Payload); string(dm.Data) != "hello b" {
		t.Fatalf("b got %q", dm.Data)
	}
	if len(a.Delivered()) != 0 {
		t.Fatal("a got b's message")
	}
	// A message bigger than one TunnelData body is fragmented and
	// reassembled at b's inbound endpoint.
	big := string(make([]byte, 5000))
	sendAcross(t, b, a, 78, big)
	n.Flush()
	if got := a.Delivered(); len(got) != 1 || len(got[0].Payload) != 5004 {
		t.Fatalf("a got %d messages", len(got))
	}
}

func TestLongRecords(t *testing.T) {
	n, _, _, _ := twoRouters(t, pooltest.Config{Hops: 5, Version: "0.9.50"})
	for _, h := range n.Hops() {
		if all, long := h.Builds(); all != long {
			t.Fatalf("hop took %d short records from a 0.9.50 network", all-long)
		}
	}
}

func TestRejectingHops(t *testing.T) {
	clk := pooltest.NewClock(epoch)
	n := pooltest.New(t, pooltest.Config{Hops: 2, Now: clk.Now})
	for _, h := range n.Hops() {
		h.SetReject(true)
	}
	r := n.NewRouter(pool.ManagerConfig{}, pool.Deps{})
	n.Rounds(1, nil, r)
	if st := r.Manager().Stats(); st.Built != 0 || st.Failed != 4 {
		t.Fatalf("stats %+v, want 4 refused", st)
	}
}

// TestConcurrentDeliveryWithLoss sends from several goroutines at once
// through the delivery goroutine, with every fifth TunnelData message
// between hops lost.
func TestConcurrentDeliveryWithLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, _, a, b := twoRouters(t, pooltest.Config{})
		n.Start()
		var k atomic.Int64
		n.SetFault(func(from, to data.Hash, m i2np.Message) (bool, time.Duration) {
			if m.Type != i2np.TunnelData {
				return false, 0
			}
			switch k.Add(1) % 5 {
			case 0:
				return true, 0
			case 1:
				return false, 50 * time.Millisecond
			}
			return false, 0
		})
		const senders, each = 4, 25
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for i := range each {
					sendAcross(t, a, b, i2np.MessageID(1000*g+i), "x")
				}
			})
		}
		wg.Wait()
		n.Flush()
		got := len(b.Delivered())
		st := n.Stats()
		if st.Faulted == 0 || st.Delayed == 0 || got == 0 || got >= senders*each {
			t.Fatalf("delivered %d of %d, stats %+v", got, senders*each, st)
		}
		n.Close()
		n.Close()
		sendAcross(t, a, b, 9, "after close") // lost, no panic
	})
}

func TestQueueOverflow(t *testing.T) {
	n, _, a, b := twoRouters(t, pooltest.Config{Queue: 10})
	for i := range 50 {
		sendAcross(t, a, b, i2np.MessageID(i), "x")
	}
	n.Flush()
	if st := n.Stats(); st.Overflow != 40 || len(b.Delivered()) != 10 {
		t.Fatalf("stats %+v, delivered %d", st, len(b.Delivered()))
	}
}
