package pool

import (
	"errors"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/profile"
	"github.com/i2pgo/i2pgo/router/tunnel"
)

func TestExploratoryPoolBuildsAndTests(t *testing.T) {
	fn := newFakeNet(t, 6, "0.9.57")
	rec := newRecorder()
	fn.start(ManagerConfig{}, rec)
	fn.rounds(3, 2*time.Second)
	in, out := fn.m.Exploratory().Counts()
	if in != 2 || out != 2 {
		t.Fatalf("exploratory pool %d in / %d out, want 2/2", in, out)
	}
	st := fn.m.Stats()
	if st.Built != 4 || st.Failed != 0 || st.BuildSuccess() != 1 {
		t.Fatalf("stats %+v", st)
	}
	for _, h := range fn.hops {
		if h.long != 0 {
			t.Fatalf("long records sent to a 0.9.57 router")
		}
	}
	// Every tunnel was tested, and passed: the DeliveryStatus went out
	// through an outbound tunnel and came back through an inbound one.
	for _, ti := range fn.m.List() {
		if ti.State != "tested" || len(ti.Hops) != 2 {
			t.Fatalf("tunnel %+v, want tested with 2 hops", ti)
		}
	}
	if rec.tests[true] == 0 || rec.tests[false] != 0 || rec.builds[profile.BuildAccepted] != 8 {
		t.Fatalf("profiles: tests %v builds %v", rec.tests, rec.builds)
	}
}

func TestLongRecordsForOldRoutersAndWhenForced(t *testing.T) {
	for _, tc := range []struct {
		name, version string
		force         bool
	}{{"old routers", "0.9.50", false}, {"forced", "0.9.57", true}} {
		t.Run(tc.name, func(t *testing.T) {
			fn := newFakeNet(t, 6, tc.version)
			fn.start(ManagerConfig{ForceLong: tc.force}, nil)
			fn.rounds(3, 2*time.Second)
			if in, out := fn.m.Exploratory().Counts(); in != 2 || out != 2 {
				t.Fatalf("pool %d/%d", in, out)
			}
			long := 0
			for _, h := range fn.hops {
				long += h.long
			}
			if long != 8 { // 4 tunnels of 2 hops
				t.Fatalf("%d long records, want 8", long)
			}
			for _, ti := range fn.m.List() {
				if ti.State != "tested" {
					t.Fatalf("tunnel %+v not tested", ti)
				}
			}
		})
	}
}

func TestClientPoolSettingsAndDelivery(t *testing.T) {
	fn := newFakeNet(t, 8, "0.9.57")
	fn.start(ManagerConfig{}, nil)
	fn.rounds(2, 2*time.Second)
	var got []i2np.Message
	p, err := fn.m.NewPool(Config{Name: "client", Inbound: Settings{Length: 3, Quantity: 3, Backup: 1}, Outbound: Settings{Length: 1}},
		func(gw data.Hash, m i2np.Message) { got = append(got, m) })
	if err != nil {
		t.Fatal(err)
	}
	fn.rounds(3, 2*time.Second)
	in, out := p.Counts()
	if in != 4 || out != 2 {
		t.Fatalf("client pool %d in / %d out, want 4 (3+1 backup) / 2 (default)", in, out)
	}
	for _, ti := range fn.m.List() {
		if ti.Pool != "client" {
			continue
		}
		want := 3
		if ti.Direction == "outbound" {
			want = 1
		}
		if len(ti.Hops) != want {
			t.Fatalf("%s client tunnel with %d hops, want %d", ti.Direction, len(ti.Hops), want)
		}
	}
	if n := fn.m.ClientCount(); n != 6 {
		t.Fatalf("ClientCount %d", n)
	}
	// A message sent to one of the pool's inbound tunnels comes out at
	// the pool's Deliver, not the exploratory one's.
	ib := p.PickInbound()
	gw, gwID := ib.Gateway()
	msg, _ := i2np.NewMessage(12345, fn.clock.Add(time.Minute), i2np.DataMessage{Data: []byte("hello pool")})
	ob := fn.m.Exploratory().PickOutbound()
	if err := ob.Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryTunnel, To: gw, TunnelID: gwID}, msg); err != nil {
		t.Fatal(err)
	}
	fn.pump()
	if len(got) != 1 || got[0].ID != 12345 {
		t.Fatalf("client pool delivered %v", got)
	}
	if len(fn.delivered) != 0 {
		t.Fatalf("exploratory pool delivered %d", len(fn.delivered))
	}
	// Closed: no more builds, no longer listed.
	p.Close()
	fn.rounds(2, 2*time.Second)
	if in, out := p.Counts(); in+out != 0 || fn.m.ClientCount() != 0 {
		t.Fatalf("closed pool still has %d/%d", in, out)
	}
}

func TestBadSettings(t *testing.T) {
	fn := newFakeNet(t, 3, "0.9.57")
	fn.start(ManagerConfig{}, nil)
	for _, s := range []Settings{{Length: 8}, {Length: -1}, {Variance: 4}, {Quantity: 17}, {Backup: -1}} {
		if _, err := fn.m.NewPool(Config{Name: "x", Inbound: s}, func(data.Hash, i2np.Message) {}); !errors.Is(err, ErrSettings) {
			t.Errorf("%+v: err %v, want ErrSettings", s, err)
		}
	}
	if _, err := NewManager(ManagerConfig{Us: fn.us, Exploratory: Config{Outbound: Settings{Length: 9}}}, Deps{Selector: fn, Sender: fn}); !errors.Is(err, ErrSettings) {
		t.Errorf("exploratory length 9: %v", err)
	}
}

func TestVariance(t *testing.T) {
	seen := map[int]bool{}
	for range 2000 {
		n := Settings{Length: 2, Variance: -2}.hops()
		if n < 1 || n > 4 {
			t.Fatalf("length 2 variance -2 gave %d", n)
		}
		seen[n] = true
	}
	if !seen[1] || !seen[4] {
		t.Fatalf("variance -2 never reached the ends: %v", seen)
	}
	for range 2000 {
		if n := (Settings{Length: 3, Variance: 2}).hops(); n < 3 || n > 5 {
			t.Fatalf("length 3 variance 2 gave %d", n)
		}
	}
}

func TestRefusedAndTimedOutBuilds(t *testing.T) {
	fn := newFakeNet(t, 2, "0.9.57")
	fn.order[0].reject = true
	rec := newRecorder()
	fn.start(ManagerConfig{}, rec)
	fn.rounds(1, 2*time.Second)
	if st := fn.m.Stats(); st.Failed != 4 || st.Built != 0 {
		t.Fatalf("stats %+v, want 4 refused", st)
	}
	if rec.builds[profile.BuildRejected] != 4 {
		t.Fatalf("profiles %v", rec.builds)
	}
	// A hop that never answers: the builds time out after 15 s.
	fn.order[0].reject, fn.order[0].silent = false, true
	fn.order[1].silent = true
	fn.rounds(1, 16*time.Second)
	fn.rounds(1, time.Second)
	if st := fn.m.Stats(); st.Failed != 8 {
		t.Fatalf("stats %+v, want 4 more failures by timeout", st)
	}
	if rec.builds[profile.BuildTimedOut] != 8 {
		t.Fatalf("timed-out builds recorded %v", rec.builds)
	}
	if len(fn.m.pending) != 4 {
		t.Fatalf("%d builds pending, want the 4 new ones", len(fn.m.pending))
	}
}

func TestFailedTestsDropTunnels(t *testing.T) {
	fn := newFakeNet(t, 6, "0.9.57")
	rec := newRecorder()
	fn.start(ManagerConfig{}, rec)
	fn.rounds(3, 2*time.Second)
	if in, out := fn.m.Exploratory().Counts(); in != 2 || out != 2 {
		t.Fatalf("pool %d/%d", in, out)
	}
	ex := fn.m.Exploratory()
	orig := append(append([]*Tunnel{}, ex.inbound...), ex.outbound...)
	// From now on every tunnel test is lost.
	fn.drop = func(to data.Hash, m i2np.Message) bool { return m.Type == i2np.TunnelData }
	for range 90 { // > 2 × (60 s test interval + 15 s timeout)
		fn.rounds(1, 2*time.Second)
	}
	if rec.tests[false] == 0 {
		t.Fatal("no failed tests recorded")
	}
	for _, tun := range orig {
		if !tun.dropped.Load() {
			t.Fatalf("tunnel (inbound %v) failing every test was not dropped; fails %d", tun.Inbound, tun.fails.Load())
		}
	}
	for _, tun := range append(append([]*Tunnel{}, ex.inbound...), ex.outbound...) {
		for _, o := range orig {
			if tun == o {
				t.Fatal("a dropped tunnel is still in the pool")
			}
		}
	}
}

func TestExpiryAndRebuild(t *testing.T) {
	fn := newFakeNet(t, 6, "0.9.57")
	fn.start(ManagerConfig{}, nil)
	fn.rounds(2, 2*time.Second)
	first := fn.m.Stats().Built
	// Past 8 minutes each tunnel gets a replacement; past 10 it is gone.
	fn.clock = fn.clock.Add(8*time.Minute + time.Second)
	fn.rounds(1, time.Second)
	if got := fn.m.Stats().Built; got != first+4 {
		t.Fatalf("built %d after 8 min, want %d", got, first+4)
	}
	fn.clock = fn.clock.Add(2 * time.Minute)
	fn.rounds(1, time.Second)
	in, out := fn.m.Exploratory().Counts()
	if in != 2 || out != 2 {
		t.Fatalf("after expiry %d/%d", in, out)
	}
	if n := len(fn.m.inbound); n != 2 {
		t.Fatalf("%d inbound tunnels in the table after expiry, want 2", n)
	}
}

func TestUnknownRepliesIgnored(t *testing.T) {
	fn := newFakeNet(t, 3, "0.9.57")
	fn.start(ManagerConfig{}, nil)
	if fn.m.HandleBuildReply(i2np.Message{Type: i2np.ShortTunnelBuild, ID: 99, Payload: []byte{1}}) {
		t.Fatal("unknown build reply taken")
	}
	if fn.m.OpenGarlicReply([]byte("12345678 not a reply")) || fn.m.OpenGarlicReply(nil) {
		t.Fatal("garlic with an unknown tag taken")
	}
	var b [tunnel.BodyLen]byte
	if fn.m.HandleTunnelData(42, &b) {
		t.Fatal("TunnelData for an unknown tunnel taken")
	}
	// A reply with the right ID but garbage records fails the build,
	// without a panic.
	fn.m.Round()
	for id := range fn.m.pending {
		fn.m.HandleBuildReply(i2np.Message{Type: i2np.ShortTunnelBuild, ID: id, Payload: []byte{2, 0, 1}})
	}
	if st := fn.m.Stats(); st.Failed == 0 {
		t.Fatalf("garbage replies: %+v", st)
	}
}
