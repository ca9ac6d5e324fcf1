package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/tunnel/pool"
	"github.com/i2pgo/i2pgo/router/tunnel/pool/pooltest"
)

// The test world: a pooltest network with a router per destination (so
// that traffic between two destinations goes through both routers'
// tunnels and the transit hops), and a floodfill that is a map.

var epoch = time.Unix(1_800_000_000, 0)

// floodfill is the netDb of the test world: LeaseSets by destination
// hash, each verified on store, the newer kept.
type floodfill struct {
	mu      sync.Mutex
	entries map[data.Hash]data.Entry
	fail    int // fail this many stores
}

func newFloodfill() *floodfill { return &floodfill{entries: make(map[data.Hash]data.Entry)} }

func (f *floodfill) get(h data.Hash) data.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entries[h]
}

// put stores e if it verifies and is newer than what is stored.
func (f *floodfill) put(e data.Entry) error {
	if err := e.Verify(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("floodfill: store timed out")
	}
	if old, ok := f.entries[e.Hash()].(*data.LeaseSet2); ok {
		if nw, ok := e.(*data.LeaseSet2); ok && !nw.Published.After(old.Published) {
			return fmt.Errorf("floodfill: LeaseSet published %v, not after %v", nw.Published, old.Published)
		}
	}
	f.entries[e.Hash()] = e
	return nil
}

// testNet is the client.Net of one destination.
type testNet struct {
	r  *pooltest.Router
	ff *floodfill
	// rewrite, if set, changes the LeaseSet a publish stores.
	rewrite func(data.Entry) data.Entry
	// tap, if set, sees each message out of the pool's inbound tunnels
	// before the destination does.
	tap func(m i2np.Message)

	lookups, attempts, publishes, refreshes atomic.Int64
	mu                                      sync.Mutex
	lastOut                                 *pool.Tunnel // the outbound tunnel of the last publish
}

func (n *testNet) NewPool(cfg pool.Config, deliver pool.Deliver) (*pool.Pool, error) {
	return n.r.Manager().NewPool(cfg, func(gw data.Hash, m i2np.Message) {
		if n.tap != nil {
			n.tap(m)
		}
		deliver(gw, m)
	})
}

func (n *testNet) LookupLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error) {
	n.lookups.Add(1)
	if e := n.ff.get(key); e != nil {
		return e, nil
	}
	return nil, errors.New("floodfill: not found")
}

func (n *testNet) RefreshLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error) {
	n.refreshes.Add(1)
	if e := n.ff.get(key); e != nil {
		return e, nil
	}
	return nil, errors.New("floodfill: not found")
}

func (n *testNet) PublishLeaseSet(ctx context.Context, e data.Entry, out *pool.Tunnel) error {
	n.attempts.Add(1)
	if out == nil || out.Inbound {
		return errors.New("publish without an outbound tunnel")
	}
	n.mu.Lock()
	n.lastOut = out
	n.mu.Unlock()
	if n.rewrite != nil {
		e = n.rewrite(e)
	}
	if err := n.ff.put(e); err != nil {
		return err
	}
	n.publishes.Add(1)
	return nil
}

// world is a test network, synchronous on a manual clock (clk non-nil)
// or with its delivery goroutine on the real (or bubble) clock.
type world struct {
	t   *testing.T
	clk *pooltest.Clock
	n   *pooltest.Network
	ff  *floodfill
	rs  []*pooltest.Router
	nk  int // shared keys handed out
}

// newWorld makes a synchronous world on a manual clock.
func newWorld(t *testing.T) *world {
	clk := pooltest.NewClock(epoch)
	return &world{t: t, clk: clk, n: pooltest.New(t, pooltest.Config{Hops: 8, Now: clk.Now}), ff: newFloodfill()}
}

// newLiveWorld makes a world with its delivery goroutine, on time.Now
// (the bubble's clock when run under synctest).
func newLiveWorld(t *testing.T) *world {
	w := &world{t: t, n: pooltest.New(t, pooltest.Config{Hops: 8}), ff: newFloodfill()}
	w.n.Start()
	return w
}

func (w *world) now() time.Time {
	if w.clk != nil {
		return w.clk.Now()
	}
	return time.Now()
}

// dest makes a destination with new keys on a new router. Zero tunnel
// settings are 2 hops, 2 tunnels each way.
func (w *world) dest(cfg Config) (*Destination, *testNet) {
	w.t.Helper()
	r := w.n.NewRouter(pool.ManagerConfig{}, pool.Deps{})
	w.rs = append(w.rs, r)
	if cfg.Keys == nil {
		cfg.Keys = w.keys()
	}
	if cfg.Inbound == (pool.Settings{}) {
		cfg.Inbound = pool.Settings{Length: 2, Quantity: 2}
	}
	if cfg.Outbound == (pool.Settings{}) {
		cfg.Outbound = pool.Settings{Length: 2, Quantity: 2}
	}
	if cfg.Now == nil && w.clk != nil {
		cfg.Now = w.clk.Now
	}
	tn := &testNet{r: r, ff: w.ff}
	d, err := New(cfg, tn)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { d.Close() })
	return d, tn
}

// keys returns keys no other destination of the world has.
func (w *world) keys() *Keys {
	w.t.Helper()
	k := sharedKeys(w.t, w.nk)
	w.nk++
	return k
}

// build runs rounds of every router's Manager until the pools are full,
// advancing the manual clock by 2 s a round.
func (w *world) build() {
	w.t.Helper()
	advance := func() {
		if w.clk != nil {
			w.clk.Advance(2 * time.Second)
		}
	}
	w.n.Rounds(3, advance, w.rs...)
}

// ready builds the tunnels and publishes the destinations' LeaseSets.
func (w *world) ready(ds ...*Destination) {
	w.t.Helper()
	w.build()
	for _, d := range ds {
		d.maintain(context.Background())
		if !d.Ready() {
			in, out := d.Pool().Counts()
			w.t.Fatalf("%s not ready: %d/%d tunnels, LeaseSet %v", d.cfg.Name, in, out, d.LeaseSet() != nil)
		}
	}
}

// sharedKeys returns the i-th of a list of destination keys made once
// for the test binary: the ElGamal key generation is the slow part, and
// each test has its own world, so that two tests use the same keys is
// harmless. Within a world every destination has its own (world.dest).
func sharedKeys(t *testing.T, i int) *Keys {
	t.Helper()
	keyList.Lock()
	defer keyList.Unlock()
	for len(keyList.keys) <= i {
		k, err := GenerateKeys()
		if err != nil {
			t.Fatal(err)
		}
		keyList.keys = append(keyList.keys, k)
	}
	return keyList.keys[i]
}

var keyList struct {
	sync.Mutex
	keys []*Keys
}

// received is what a Handler got.
type received struct {
	src, dst uint16
	payload  []byte
}

// inbox collects the payloads of one protocol.
type inbox struct {
	mu  sync.Mutex
	got []received
	ch  chan struct{} // a token per payload, buffered
}

func newInbox(d *Destination, proto uint8) *inbox {
	in := &inbox{ch: make(chan struct{}, 1024)}
	d.Handle(proto, func(src, dst uint16, p []byte) {
		in.mu.Lock()
		in.got = append(in.got, received{src, dst, append([]byte(nil), p...)})
		in.mu.Unlock()
		select {
		case in.ch <- struct{}{}:
		default:
		}
	})
	return in
}

func (in *inbox) all() []received {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]received(nil), in.got...)
}
