package netdb_test

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb"
	"github.com/i2pgo/i2pgo/router/netdb/kad"
)

// waitLimit bounds every wait of these tests for a message or a state; it
// is long, as a test that passes never comes near it.
const waitLimit = 5 * time.Second

// testClock is a settable clock for Config.Now, starting at now.
type testClock struct{ ns atomic.Int64 }

func newClock() *testClock {
	c := &testClock{}
	c.ns.Store(now.UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// sentMsg is one message a DB sent.
type sentMsg struct {
	from, to data.Hash
	m        i2np.Message
}

// memNet is an in-memory network of DBs. Every message sent is recorded;
// one sent to a router that has a DB in the network is handed to its
// Handle in a new goroutine, from the sender's hash. Messages to other
// routers go nowhere, as to a router that never answers.
type memNet struct {
	mu      sync.Mutex
	dbs     map[data.Hash]*netdb.DB
	log     []sentMsg
	changed chan struct{} // closed and replaced at each Send

	wg sync.WaitGroup // the Handle goroutines
}

// newMemNet makes a network whose Handle goroutines are waited for when
// the test ends.
func newMemNet(t testing.TB) *memNet {
	n := &memNet{dbs: make(map[data.Hash]*netdb.DB), changed: make(chan struct{})}
	t.Cleanup(n.wg.Wait)
	return n
}

// memSender is the Sender of the router from.
type memSender struct {
	n    *memNet
	from data.Hash
}

func (s memSender) Send(to data.Hash, m i2np.Message) error {
	n := s.n
	n.mu.Lock()
	n.log = append(n.log, sentMsg{from: s.from, to: to, m: m})
	close(n.changed)
	n.changed = make(chan struct{})
	db := n.dbs[to]
	if db != nil {
		n.wg.Add(1)
	}
	n.mu.Unlock()
	if db != nil {
		m.Payload = bytes.Clone(m.Payload)
		go func() {
			defer n.wg.Done()
			db.Handle(s.from, m)
		}()
	}
	return nil
}

// sent returns the messages sent so far that match pred (nil: all).
func (n *memNet) sent(pred func(sentMsg) bool) []sentMsg {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []sentMsg
	for _, s := range n.log {
		if pred == nil || pred(s) {
			out = append(out, s)
		}
	}
	return out
}

// waitSent waits until a message matching pred has been sent and returns
// the first one.
func (n *memNet) waitSent(t testing.TB, what string, pred func(sentMsg) bool) sentMsg {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		n.mu.Lock()
		ch := n.changed
		for _, s := range n.log {
			if pred(s) {
				n.mu.Unlock()
				return s
			}
		}
		n.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("no %s sent within %v", what, waitLimit)
		}
	}
}

// waitUntil polls cond, at every message sent or every 10 ms, until it
// holds or waitLimit passes.
func (n *memNet) waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		n.mu.Lock()
		ch := n.changed
		n.mu.Unlock()
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, waitLimit)
		}
	}
}

// node is a test router: its identity, its RouterInfo, and its DB.
type node struct {
	r  *router
	ri *data.RouterInfo
	db *netdb.DB
}

func (nd *node) hash() data.Hash { return nd.ri.Hash() }

// nodeOpts are the options of newNode; zero fields get defaults.
type nodeOpts struct {
	caps    string // "XR", or "XfR" with floodfill
	ff      bool   // a floodfill
	offline bool   // not in the network: messages to it are lost
	clock   func() time.Time
	timeout time.Duration // LookupTimeout
	tune    func(*netdb.DBConfig)
}

// newNode makes a router with a signed RouterInfo published at now and a
// DB sending into n. Unless o.offline, its DB receives what is sent to it.
func newNode(t testing.TB, n *memNet, o nodeOpts) *node {
	t.Helper()
	if o.caps == "" {
		o.caps = "XR"
		if o.ff {
			o.caps = "XfR"
		}
	}
	if o.clock == nil {
		o.clock = clock
	}
	r := newRouter(t)
	ri := r.ri(t, riOpts{caps: o.caps})
	cfg := netdb.DBConfig{
		Config:        netdb.Config{NetID: 7, Self: ri.Hash(), Now: o.clock},
		Floodfill:     o.ff,
		RouterInfo:    func() []byte { return ri.Bytes() },
		Sender:        memSender{n: n, from: ri.Hash()},
		LookupTimeout: o.timeout,
		PeerRate:      100000,
	}
	if o.tune != nil {
		o.tune(&cfg)
	}
	db, err := netdb.NewDB(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nd := &node{r: r, ri: ri, db: db}
	if !o.offline {
		n.mu.Lock()
		n.dbs[ri.Hash()] = db
		n.mu.Unlock()
	}
	return nd
}

// learn puts the RouterInfos of others into nd's store, leaving out nd's
// own.
func (nd *node) learn(t testing.TB, others ...*node) {
	t.Helper()
	for _, o := range others {
		if o == nd {
			continue
		}
		if _, _, err := nd.db.Put(o.ri.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

// hashes lists the hashes of nodes.
func hashes(nodes []*node) []data.Hash {
	out := make([]data.Hash, len(nodes))
	for i, nd := range nodes {
		out[i] = nd.hash()
	}
	return out
}

// byCloseness returns hs sorted by closeness to the routing key of key at
// now, nearest first.
func byCloseness(key data.Hash, hs []data.Hash) []data.Hash {
	return kad.Closest(kad.RoutingKey(key, now), hs, len(hs), nil)
}

// parseStore parses a DatabaseStore message.
func parseStore(t testing.TB, m i2np.Message) i2np.DatabaseStoreMessage {
	t.Helper()
	if m.Type != i2np.DatabaseStore {
		t.Fatalf("message of type %v, want DatabaseStore", m.Type)
	}
	ds, err := i2np.ParseDatabaseStoreMessage(m.Payload)
	if err != nil {
		t.Fatalf("DatabaseStore sent does not parse: %v", err)
	}
	return ds
}

// parseSearchReply parses a DatabaseSearchReply message.
func parseSearchReply(t testing.TB, m i2np.Message) i2np.DatabaseSearchReplyMessage {
	t.Helper()
	if m.Type != i2np.DatabaseSearchReply {
		t.Fatalf("message of type %v, want DatabaseSearchReply", m.Type)
	}
	sr, err := i2np.ParseDatabaseSearchReplyMessage(m.Payload)
	if err != nil {
		t.Fatalf("DatabaseSearchReply sent does not parse: %v", err)
	}
	return sr
}

// unwrapGateway parses a TunnelGateway message and returns its tunnel and
// the message inside.
func unwrapGateway(t testing.TB, m i2np.Message) (data.TunnelID, i2np.Message) {
	t.Helper()
	if m.Type != i2np.TunnelGateway {
		t.Fatalf("message of type %v, want TunnelGateway", m.Type)
	}
	gw, err := i2np.ParseTunnelGatewayMessage(m.Payload)
	if err != nil {
		t.Fatalf("TunnelGateway sent does not parse: %v", err)
	}
	return gw.TunnelID, gw.Message
}

// msg builds a message of body b.
func msg(t testing.TB, b i2np.Body) i2np.Message {
	t.Helper()
	m, err := i2np.NewMessage(1234, now.Add(time.Minute), b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// storeMsg is a DatabaseStore message of e with reply fields.
func storeMsg(t testing.TB, e data.Entry, token uint32, tunnel data.TunnelID, gw data.Hash) i2np.Message {
	t.Helper()
	ds := i2np.NewStore(e)
	ds.ReplyToken, ds.ReplyTunnel, ds.ReplyGateway = token, tunnel, gw
	return msg(t, ds)
}

// lookupMsg is a DatabaseLookup message.
func lookupMsg(t testing.TB, lk i2np.DatabaseLookupMessage) i2np.Message {
	t.Helper()
	return msg(t, lk)
}

// equalHashes reports whether a and b hold the same hashes in the same
// order.
func equalHashes(a, b []data.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
