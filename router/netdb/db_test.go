package netdb_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb"
	"github.com/i2pgo/i2pgo/router/profile"
)

func randHash() data.Hash {
	var h data.Hash
	rand.Read(h[:])
	return h
}

func ofType(t i2np.MessageType) func(sentMsg) bool {
	return func(s sentMsg) bool { return s.m.Type == t }
}

func to(h data.Hash) func(sentMsg) bool {
	return func(s sentMsg) bool { return s.to == h }
}

// ffNet is a floodfill DB that knows nff other floodfills and nplain
// other routers, none of which are in the network: what the DB sends is
// only recorded, and Handle runs in the test's goroutine, so the messages
// are all there once it returns.
type ffNet struct {
	n      *memNet
	ff     *node
	ffs    []*node // floodfills it knows
	plains []*node // non-floodfills it knows
}

func newFFNet(t *testing.T, nff, nplain int, o nodeOpts) *ffNet {
	t.Helper()
	f := &ffNet{n: newMemNet(t)}
	o.ff = true
	f.ff = newNode(t, f.n, o)
	for range nff {
		f.ffs = append(f.ffs, newNode(t, f.n, nodeOpts{ff: true, offline: true}))
	}
	for range nplain {
		f.plains = append(f.plains, newNode(t, f.n, nodeOpts{offline: true}))
	}
	f.ff.learn(t, f.ffs...)
	f.ff.learn(t, f.plains...)
	return f
}

func TestNewDBNeedsSenderAndRouterInfo(t *testing.T) {
	n := newMemNet(t)
	for _, cfg := range []netdb.DBConfig{
		{RouterInfo: func() []byte { return nil }},
		{Sender: memSender{n: n}},
	} {
		if db, err := netdb.NewDB(cfg); err == nil || db != nil {
			t.Errorf("NewDB(%+v) = %v, %v; want an error", cfg, db, err)
		}
	}
}

// checkFlood checks that exactly the messages in flood are a DatabaseStore
// of e, without a reply token, to the routers want (in any order).
func checkFlood(t *testing.T, flood []sentMsg, e data.Entry, want []data.Hash) {
	t.Helper()
	var got []data.Hash
	for _, s := range flood {
		got = append(got, s.to)
		ds := parseStore(t, s.m)
		if ds.Key != e.Hash() || ds.StoreType != e.StoreType() || !bytes.Equal(ds.Data, e.Bytes()) {
			t.Errorf("flooded to %v: key %v, type %d, %d bytes; want the stored entry", s.to, ds.Key, ds.StoreType, len(ds.Data))
		}
		if ds.ReplyToken != 0 {
			t.Errorf("flooded to %v with reply token %#x", s.to, ds.ReplyToken)
		}
	}
	g, w := slices.Clone(got), slices.Clone(want)
	cmp := func(a, b data.Hash) int { return bytes.Compare(a[:], b[:]) }
	slices.SortFunc(g, cmp)
	slices.SortFunc(w, cmp)
	if !equalHashes(g, w) {
		t.Errorf("flooded to %v, want %v", got, want)
	}
}

// checkAck checks that acks holds one DeliveryStatus of token, sent to gw.
func checkAck(t *testing.T, acks []sentMsg, token uint32, gw data.Hash) {
	t.Helper()
	if len(acks) != 1 {
		t.Fatalf("%d DeliveryStatus sent, want 1", len(acks))
	}
	if acks[0].to != gw {
		t.Errorf("DeliveryStatus sent to %v, want the reply gateway %v", acks[0].to, gw)
	}
	st, err := i2np.ParseDeliveryStatusMessage(acks[0].m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != i2np.MessageID(token) {
		t.Errorf("DeliveryStatus of %#x, want the reply token %#x", st.ID, token)
	}
}

func TestFloodfillStoreAcksAndFloods(t *testing.T) {
	f := newFFNet(t, 6, 3, nodeOpts{})
	x := newNode(t, f.n, nodeOpts{offline: true})
	order := byCloseness(x.hash(), hashes(f.ffs))
	// The store comes from the floodfill closest to the key: it has the
	// entry and must not get it back.
	sender := order[0]
	want := order[1:4]
	gw := randHash()
	const token = 0x01020304

	f.ff.db.Handle(sender, storeMsg(t, x.ri, token, 0, gw))

	if got := f.ff.db.Get(x.hash()); got == nil || !bytes.Equal(got.Bytes(), x.ri.Bytes()) {
		t.Fatalf("the RouterInfo was not stored: %v", got)
	}
	checkAck(t, f.n.sent(ofType(i2np.DeliveryStatus)), token, gw)
	checkFlood(t, f.n.sent(ofType(i2np.DatabaseStore)), x.ri, want)
	for _, h := range []data.Hash{sender, f.ff.hash(), x.hash()} {
		if s := f.n.sent(to(h)); len(s) != 0 {
			t.Errorf("%d messages sent to %v (sender, self or the entry)", len(s), h)
		}
	}
	if st := f.ff.db.Stats(); st.StoresAccepted != 1 || st.Flooded != 3 || st.StoresRefused != 0 {
		t.Errorf("Stats = %+v; want 1 accepted, 3 flooded", st)
	}

	// The same RouterInfo again, and an older one: acknowledged, not
	// flooded.
	older := x.r.ri(t, riOpts{published: now.Add(-time.Minute)})
	for i, e := range []*data.RouterInfo{x.ri, older} {
		before := len(f.n.sent(nil))
		f.ff.db.Handle(sender, storeMsg(t, e, uint32(0x100+i), 0, gw))
		after := f.n.sent(nil)[before:]
		if len(after) != 1 || after[0].m.Type != i2np.DeliveryStatus {
			t.Errorf("store %d not newer: sent %d messages, want only the DeliveryStatus", i, len(after))
		}
	}
	if got := f.ff.db.Get(x.hash()); !bytes.Equal(got.Bytes(), x.ri.Bytes()) {
		t.Error("an older RouterInfo replaced the newer")
	}

	// A newer one is flooded again.
	newer := x.r.ri(t, riOpts{published: now.Add(time.Second)})
	before := len(f.n.sent(nil))
	f.ff.db.Handle(sender, storeMsg(t, newer, 7, 0, gw))
	after := f.n.sent(nil)[before:]
	var floods []sentMsg
	for _, s := range after {
		if s.m.Type == i2np.DatabaseStore {
			floods = append(floods, s)
		}
	}
	checkFlood(t, floods, newer, want)
	if st := f.ff.db.Stats(); st.Flooded != 6 {
		t.Errorf("Flooded = %d, want 6", st.Flooded)
	}
}

// TestFloodfillStoreOfFloodfill stores a floodfill's RouterInfo: it is not
// flooded to itself.
func TestFloodfillStoreOfFloodfill(t *testing.T) {
	f := newFFNet(t, 2, 0, nodeOpts{})
	x := newNode(t, f.n, nodeOpts{ff: true, offline: true})
	sender, other := f.ffs[0].hash(), f.ffs[1].hash()
	f.ff.db.Handle(sender, storeMsg(t, x.ri, 9, 0, sender))
	checkFlood(t, f.n.sent(ofType(i2np.DatabaseStore)), x.ri, []data.Hash{other})
	if _, ffs := f.ff.db.Counts(); ffs != 3 {
		t.Errorf("floodfills known = %d, want 3", ffs)
	}
}

func TestFloodfillStoreReplyTunnel(t *testing.T) {
	f := newFFNet(t, 3, 0, nodeOpts{})
	x := newNode(t, f.n, nodeOpts{offline: true})
	gw := randHash()
	const token, tunnel = 0xabcdef, data.TunnelID(4711)
	f.ff.db.Handle(f.ffs[0].hash(), storeMsg(t, x.ri, token, tunnel, gw))

	sent := f.n.sent(to(gw))
	if len(sent) != 1 {
		t.Fatalf("%d messages sent to the gateway, want 1", len(sent))
	}
	id, inner := unwrapGateway(t, sent[0].m)
	if id != tunnel {
		t.Errorf("TunnelGateway to tunnel %d, want %d", id, tunnel)
	}
	if inner.Type != i2np.DeliveryStatus {
		t.Fatalf("TunnelGateway holds a %v, want DeliveryStatus", inner.Type)
	}
	checkAck(t, []sentMsg{{to: gw, m: inner}}, token, gw)
	if n := len(f.n.sent(ofType(i2np.DeliveryStatus))); n != 0 {
		t.Errorf("%d bare DeliveryStatus sent as well", n)
	}
	if n := len(f.n.sent(ofType(i2np.DatabaseStore))); n != 2 {
		t.Errorf("flooded to %d floodfills, want 2 (3 known, one the sender)", n)
	}
}

// TestFloodfillStoreNoToken: a store without a reply token is kept, but
// neither acknowledged nor flooded.
func TestFloodfillStoreNoToken(t *testing.T) {
	f := newFFNet(t, 4, 0, nodeOpts{})
	x := newNode(t, f.n, nodeOpts{offline: true})
	f.ff.db.Handle(f.ffs[0].hash(), storeMsg(t, x.ri, 0, 0, data.Hash{}))
	if f.ff.db.Get(x.hash()) == nil {
		t.Error("not stored")
	}
	if s := f.n.sent(nil); len(s) != 0 {
		t.Errorf("%d messages sent, want none", len(s))
	}
}

func TestFloodfillStoreRefusals(t *testing.T) {
	r := newRouter(t)
	good := r.ri(t, riOpts{})
	other := newRouter(t).ri(t, riOpts{})
	badSig := bytes.Clone(good.Bytes())
	badSig[len(badSig)-1] ^= 1
	tests := []struct {
		name string
		ds   i2np.DatabaseStoreMessage
	}{
		{"wrong network", i2np.NewStore(r.ri(t, riOpts{netID: "2"}))},
		{"too old", i2np.NewStore(r.ri(t, riOpts{published: now.Add(-netdb.MaxAge - time.Minute)}))},
		{"key not its hash", i2np.DatabaseStoreMessage{Key: other.Hash(), StoreType: data.StoreRouterInfo, Data: good.Bytes(), ReplyToken: 5, ReplyGateway: other.Hash()}},
		{"bad signature", i2np.DatabaseStoreMessage{Key: good.Hash(), StoreType: data.StoreRouterInfo, Data: badSig, ReplyToken: 5, ReplyGateway: other.Hash()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFFNet(t, 4, 0, nodeOpts{})
			f.ff.db.Handle(f.ffs[0].hash(), msg(t, tt.ds))
			if n, _ := f.ff.db.Counts(); n != 4 {
				t.Errorf("holds %d routers, want the 4 it knew", n)
			}
			if st := f.ff.db.Stats(); st.StoresRefused != 1 || st.StoresAccepted != 0 {
				t.Errorf("Stats = %+v; want 1 refused", st)
			}
			if s := f.n.sent(nil); len(s) != 0 {
				t.Errorf("%d messages sent for a refused store", len(s))
			}
		})
	}
}

func TestNonFloodfill(t *testing.T) {
	n := newMemNet(t)
	db := newNode(t, n, nodeOpts{})
	peer := newNode(t, n, nodeOpts{ff: true, offline: true})
	other := newNode(t, n, nodeOpts{ff: true, offline: true})
	db.learn(t, peer, other)

	// Lookups are dropped.
	for _, lt := range []i2np.LookupType{i2np.LookupRouterInfo, i2np.LookupLeaseSet, i2np.LookupExploration, i2np.LookupAny} {
		db.db.Handle(peer.hash(), lookupMsg(t, i2np.DatabaseLookupMessage{Key: peer.hash(), From: peer.hash(), Lookup: lt}))
	}
	if st := db.db.Stats(); st.LookupsDropped != 4 || st.LookupsAnswered != 0 {
		t.Errorf("Stats = %+v; want 4 lookups dropped", st)
	}

	// An unsolicited LeaseSet is refused.
	ls := newLeaseSet(t, lsOpts{})
	db.db.Handle(peer.hash(), storeMsg(t, ls.ls, 0, 0, data.Hash{}))
	db.db.Handle(peer.hash(), storeMsg(t, ls.ls, 3, 0, peer.hash()))
	if db.db.LeaseSetCount() != 0 || db.db.LeaseSet(ls.ls.Hash()) != nil {
		t.Error("a non-floodfill kept an unsolicited LeaseSet")
	}
	if st := db.db.Stats(); st.StoresRefused != 2 {
		t.Errorf("StoresRefused = %d, want 2", st.StoresRefused)
	}

	// A RouterInfo is kept, but never flooded (to other).
	x := newNode(t, n, nodeOpts{offline: true})
	db.db.Handle(peer.hash(), storeMsg(t, x.ri, 0x55, 0, peer.hash()))
	if db.db.Get(x.hash()) == nil {
		t.Error("RouterInfo not stored")
	}
	if s := n.sent(ofType(i2np.DatabaseStore)); len(s) != 0 {
		t.Errorf("a non-floodfill sent %d DatabaseStores", len(s))
	}
	if s := n.sent(ofType(i2np.DatabaseLookup)); len(s) != 0 {
		t.Errorf("a non-floodfill sent %d DatabaseLookups", len(s))
	}
	if s := n.sent(ofType(i2np.DatabaseSearchReply)); len(s) != 0 {
		t.Errorf("a non-floodfill answered %d lookups", len(s))
	}
}

func TestFloodfillLookupKnown(t *testing.T) {
	f := newFFNet(t, 6, 5, nodeOpts{})
	asker := randHash()
	for _, tt := range []struct {
		name string
		lt   i2np.LookupType
		ri   *data.RouterInfo
	}{
		{"RouterInfo", i2np.LookupRouterInfo, f.plains[0].ri},
		{"any", i2np.LookupAny, f.ffs[2].ri},
		{"its own", i2np.LookupRouterInfo, f.ff.ri},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.n.sent(nil))
			f.ff.db.Handle(asker, lookupMsg(t, i2np.DatabaseLookupMessage{Key: tt.ri.Hash(), From: asker, Lookup: tt.lt}))
			sent := f.n.sent(nil)[before:]
			if len(sent) != 1 || sent[0].to != asker {
				t.Fatalf("sent %d messages (%v), want 1 to the asker", len(sent), sent)
			}
			ds := parseStore(t, sent[0].m)
			if ds.Key != tt.ri.Hash() || ds.StoreType != data.StoreRouterInfo || !bytes.Equal(ds.Data, tt.ri.Bytes()) || ds.ReplyToken != 0 {
				t.Errorf("answer: key %v type %d token %d; want the RouterInfo", ds.Key, ds.StoreType, ds.ReplyToken)
			}
		})
	}
	if st := f.ff.db.Stats(); st.LookupsAnswered != 3 || st.LookupsDropped != 0 {
		t.Errorf("Stats = %+v; want 3 answered", st)
	}
}

func TestFloodfillLookupUnknown(t *testing.T) {
	f := newFFNet(t, 6, 5, nodeOpts{})
	key := randHash()
	order := byCloseness(key, hashes(f.ffs))
	plainOrder := byCloseness(key, hashes(f.plains))
	tests := []struct {
		name    string
		lt      i2np.LookupType
		asker   data.Hash
		exclude []data.Hash
		want    []data.Hash
	}{
		// The asker, the excluded and the floodfill itself are left out.
		{"RouterInfo", i2np.LookupRouterInfo, order[0], []data.Hash{order[1], f.ff.hash()}, order[2:5]},
		{"LeaseSet", i2np.LookupLeaseSet, randHash(), []data.Hash{order[2]}, []data.Hash{order[0], order[1], order[3]}},
		{"any", i2np.LookupAny, randHash(), nil, order[:3]},
		{"few left", i2np.LookupRouterInfo, order[5], order[:4], order[4:5]},
		{"none left", i2np.LookupRouterInfo, randHash(), order, nil},
		// The all-zero hash excludes every floodfill.
		{"zero hash excluded", i2np.LookupRouterInfo, randHash(), []data.Hash{{}}, nil},
		{"zero hash, LeaseSet", i2np.LookupLeaseSet, randHash(), []data.Hash{order[0], {}}, nil},
		// Exploration names non-floodfills only.
		{"exploration", i2np.LookupExploration, randHash(), nil, plainOrder[:3]},
		{"exploration excluding", i2np.LookupExploration, plainOrder[1], []data.Hash{plainOrder[0], order[0]}, plainOrder[2:5]},
		{"exploration, zero hash", i2np.LookupExploration, randHash(), []data.Hash{{}, plainOrder[0]}, plainOrder[1:4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.n.sent(nil))
			f.ff.db.Handle(tt.asker, lookupMsg(t, i2np.DatabaseLookupMessage{Key: key, From: tt.asker, Lookup: tt.lt, Exclude: tt.exclude}))
			sent := f.n.sent(nil)[before:]
			if len(sent) != 1 || sent[0].to != tt.asker {
				t.Fatalf("sent %d messages, want 1 to the asker", len(sent))
			}
			sr := parseSearchReply(t, sent[0].m)
			if sr.Key != key || sr.From != f.ff.hash() {
				t.Errorf("search reply for %v from %v; want %v from %v", sr.Key, sr.From, key, f.ff.hash())
			}
			if !equalHashes(sr.Peers, tt.want) {
				t.Errorf("search reply names %v, want %v", sr.Peers, tt.want)
			}
		})
	}
}

// sealer is a ReplySealer that records its calls and returns a Garlic
// message.
type sealer struct {
	key   [32]byte
	tag   [8]byte
	inner i2np.Message
	calls int
	err   error
}

func (s *sealer) seal(key [32]byte, tag [8]byte, m i2np.Message) (i2np.Message, error) {
	s.key, s.tag, s.inner = key, tag, m
	s.calls++
	if s.err != nil {
		return i2np.Message{}, s.err
	}
	g := i2np.GarlicMessage{Data: []byte("sealed with " + string(tag[:]))}
	p, _ := g.AppendBinary(nil)
	return i2np.Message{Type: i2np.Garlic, ID: 99, Expiration: now.Add(time.Minute), Payload: p}, nil
}

func TestFloodfillLookupReplyTunnel(t *testing.T) {
	f := newFFNet(t, 4, 1, nodeOpts{})
	gw := randHash()
	const tunnel = data.TunnelID(0x0badcafe)
	for _, key := range []data.Hash{f.plains[0].hash(), randHash()} {
		before := len(f.n.sent(nil))
		f.ff.db.Handle(randHash(), lookupMsg(t, i2np.DatabaseLookupMessage{Key: key, From: gw, ReplyTunnel: tunnel, Lookup: i2np.LookupRouterInfo}))
		sent := f.n.sent(nil)[before:]
		if len(sent) != 1 || sent[0].to != gw {
			t.Fatalf("sent %d messages, want 1 to the reply gateway", len(sent))
		}
		id, inner := unwrapGateway(t, sent[0].m)
		if id != tunnel {
			t.Errorf("reply to tunnel %d, want %d", id, tunnel)
		}
		if key == f.plains[0].hash() {
			if ds := parseStore(t, inner); ds.Key != key {
				t.Errorf("reply stores %v, want %v", ds.Key, key)
			}
		} else if sr := parseSearchReply(t, inner); sr.Key != key || len(sr.Peers) != 3 {
			t.Errorf("search reply for %v names %d peers, want %v and 3", sr.Key, len(sr.Peers), key)
		}
	}
}

func TestFloodfillLookupEncrypted(t *testing.T) {
	var key [32]byte
	rand.Read(key[:])
	tag := i2np.RatchetTag{'r', 'a', 't', 'c', 'h', 'e', 't', '!'}
	ecies := func(target, from data.Hash, tunnel data.TunnelID) i2np.DatabaseLookupMessage {
		return i2np.DatabaseLookupMessage{Key: target, From: from, ReplyTunnel: tunnel, Lookup: i2np.LookupRouterInfo,
			Encryption: i2np.ReplyECIES, ReplyKey: key, RatchetTags: []i2np.RatchetTag{tag, {1}}}
	}

	t.Run("ECIES", func(t *testing.T) {
		s := &sealer{}
		f := newFFNet(t, 3, 1, nodeOpts{tune: func(c *netdb.DBConfig) { c.SealReply = s.seal }})
		asker := randHash()
		target := f.plains[0].ri
		f.ff.db.Handle(asker, lookupMsg(t, ecies(target.Hash(), asker, 0)))
		if s.calls != 1 || s.key != key || s.tag != tag {
			t.Fatalf("SealReply called %d times with key %x tag %q; want once with %x, %q", s.calls, s.key, s.tag[:], key, tag[:])
		}
		if ds := parseStore(t, s.inner); ds.Key != target.Hash() || !bytes.Equal(ds.Data, target.Bytes()) {
			t.Errorf("sealed a store of %v, want the RouterInfo %v", ds.Key, target.Hash())
		}
		sent := f.n.sent(nil)
		if len(sent) != 1 || sent[0].to != asker {
			t.Fatalf("sent %d messages, want 1 to the asker", len(sent))
		}
		if m := sent[0].m; m.Type != i2np.Garlic || m.ID != 99 || !bytes.Contains(m.Payload, []byte("sealed with ratchet!")) {
			t.Errorf("sent a %v (id %d), not the sealed message", m.Type, m.ID)
		}

		// Unknown key, through a tunnel: the sealed search reply is
		// wrapped.
		gw := randHash()
		f.ff.db.Handle(asker, lookupMsg(t, ecies(randHash(), gw, 77)))
		if s.calls != 2 || s.inner.Type != i2np.DatabaseSearchReply {
			t.Fatalf("SealReply: %d calls, last sealed a %v; want 2, a DatabaseSearchReply", s.calls, s.inner.Type)
		}
		sent = f.n.sent(to(gw))
		if len(sent) != 1 {
			t.Fatalf("sent %d messages to the gateway, want 1", len(sent))
		}
		if id, inner := unwrapGateway(t, sent[0].m); id != 77 || inner.Type != i2np.Garlic {
			t.Errorf("TunnelGateway to %d holds a %v; want 77, Garlic", id, inner.Type)
		}
		if st := f.ff.db.Stats(); st.LookupsAnswered != 2 || st.LookupsDropped != 0 {
			t.Errorf("Stats = %+v; want 2 answered", st)
		}
	})

	drops := []struct {
		name string
		s    *sealer // nil: no SealReply
		lk   func(f *ffNet, asker data.Hash) i2np.DatabaseLookupMessage
	}{
		{"ECIES without SealReply", nil, func(f *ffNet, asker data.Hash) i2np.DatabaseLookupMessage {
			return ecies(f.plains[0].hash(), asker, 0)
		}},
		{"SealReply fails", &sealer{err: errors.New("no session")}, func(f *ffNet, asker data.Hash) i2np.DatabaseLookupMessage {
			return ecies(f.plains[0].hash(), asker, 0)
		}},
		{"ElGamal", &sealer{}, func(f *ffNet, asker data.Hash) i2np.DatabaseLookupMessage {
			return i2np.DatabaseLookupMessage{Key: f.plains[0].hash(), From: asker, Lookup: i2np.LookupRouterInfo,
				Encryption: i2np.ReplyElGamalAES, ReplyKey: key, SessionTags: []i2np.SessionTag{{1}}}
		}},
		{"ElGamal, unknown key", &sealer{}, func(f *ffNet, asker data.Hash) i2np.DatabaseLookupMessage {
			return i2np.DatabaseLookupMessage{Key: randHash(), From: asker, Lookup: i2np.LookupRouterInfo,
				Encryption: i2np.ReplyElGamalAES, ReplyKey: key, SessionTags: []i2np.SessionTag{{1}, {2}}}
		}},
	}
	for _, tt := range drops {
		t.Run(tt.name, func(t *testing.T) {
			var o nodeOpts
			if tt.s != nil {
				o.tune = func(c *netdb.DBConfig) { c.SealReply = tt.s.seal }
			}
			f := newFFNet(t, 3, 1, o)
			asker := randHash()
			f.ff.db.Handle(asker, lookupMsg(t, tt.lk(f, asker)))
			if s := f.n.sent(nil); len(s) != 0 {
				t.Errorf("sent %d messages, want none", len(s))
			}
			if st := f.ff.db.Stats(); st.LookupsDropped != 1 || st.LookupsAnswered != 0 {
				t.Errorf("Stats = %+v; want 1 dropped", st)
			}
			if tt.name == "ElGamal" && tt.s.calls != 0 {
				t.Error("SealReply called for an ElGamal lookup")
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	const rate = 5
	c := newClock()
	f := newFFNet(t, 3, 0, nodeOpts{clock: c.Now, tune: func(cfg *netdb.DBConfig) { cfg.PeerRate = rate }})
	x := newNode(t, f.n, nodeOpts{offline: true})
	p, q := f.ffs[0].hash(), f.ffs[1].hash()

	for range rate + 3 {
		f.ff.db.Handle(p, storeMsg(t, x.ri, 0, 0, data.Hash{}))
	}
	if st := f.ff.db.Stats(); st.StoresAccepted != rate || st.RateLimited != 3 || st.StoresRefused != 0 {
		t.Errorf("after %d stores from one peer: Stats = %+v; want %d accepted, 3 rate limited", rate+3, st, rate)
	}
	// Lookups count against the same limit.
	f.ff.db.Handle(p, lookupMsg(t, i2np.DatabaseLookupMessage{Key: x.hash(), From: p, Lookup: i2np.LookupRouterInfo}))
	if st := f.ff.db.Stats(); st.RateLimited != 4 || st.LookupsDropped != 1 || st.LookupsAnswered != 0 {
		t.Errorf("lookup over the limit: Stats = %+v; want 4 rate limited, 1 dropped", st)
	}
	if s := f.n.sent(to(p)); len(s) != 0 {
		t.Errorf("the limited peer got %d answers", len(s))
	}
	// Another peer is not limited.
	f.ff.db.Handle(q, lookupMsg(t, i2np.DatabaseLookupMessage{Key: x.hash(), From: q, Lookup: i2np.LookupRouterInfo}))
	if s := f.n.sent(to(q)); len(s) != 1 {
		t.Errorf("another peer got %d answers, want 1", len(s))
	}
	// 59 s later, still limited; a minute later, allowed again.
	c.Advance(59 * time.Second)
	f.ff.db.Handle(p, storeMsg(t, x.ri, 0, 0, data.Hash{}))
	if st := f.ff.db.Stats(); st.RateLimited != 5 {
		t.Errorf("RateLimited = %d within the minute, want 5", st.RateLimited)
	}
	c.Advance(time.Second)
	f.ff.db.Handle(p, storeMsg(t, x.ri, 0, 0, data.Hash{}))
	if st := f.ff.db.Stats(); st.RateLimited != 5 || st.StoresAccepted != rate+1 {
		t.Errorf("a minute later: Stats = %+v; want %d accepted and no more limited", st, rate+1)
	}
}

// publishNet is our router, non-floodfill, and nff floodfills that know
// one another; we know them all.
func publishNet(t *testing.T, nff int, o nodeOpts) (*memNet, *node, []*node) {
	t.Helper()
	n := newMemNet(t)
	var ffs []*node
	for range nff {
		ffs = append(ffs, newNode(t, n, nodeOpts{ff: true}))
	}
	for _, f := range ffs {
		f.learn(t, ffs...)
	}
	us := newNode(t, n, o)
	us.learn(t, ffs...)
	return n, us, ffs
}

func TestPublish(t *testing.T) {
	n, us, ffs := publishNet(t, 4, nodeOpts{})
	order := byCloseness(us.hash(), hashes(ffs))
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	got, err := us.db.Publish(ctx)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if got != order[0] {
		t.Errorf("Publish confirmed by %v, want the closest floodfill %v", got, order[0])
	}
	stores := n.sent(func(s sentMsg) bool { return s.from == us.hash() && s.m.Type == i2np.DatabaseStore })
	if len(stores) != 1 || stores[0].to != order[0] {
		t.Fatalf("we sent %d DatabaseStores, want 1 to the closest floodfill", len(stores))
	}
	ds := parseStore(t, stores[0].m)
	if ds.Key != us.hash() || ds.StoreType != data.StoreRouterInfo || !bytes.Equal(ds.Data, us.ri.Bytes()) {
		t.Errorf("published key %v type %d; want our RouterInfo", ds.Key, ds.StoreType)
	}
	if ds.ReplyToken == 0 || ds.ReplyTunnel != 0 || ds.ReplyGateway != us.hash() {
		t.Errorf("reply token %#x tunnel %d gateway %v; want a token, straight to us", ds.ReplyToken, ds.ReplyTunnel, ds.ReplyGateway)
	}
	st := us.db.Stats()
	if st.PublishedConfirmed != 1 || !st.LastPublishConfirmed.Equal(now) {
		t.Errorf("Stats = %+v; want 1 confirmed at %v", st, now)
	}
	// The floodfill floods it to the others.
	n.waitUntil(t, "every floodfill has our RouterInfo", func() bool {
		for _, f := range ffs {
			if f.db.Get(us.hash()) == nil {
				return false
			}
		}
		return true
	})
}

func TestPublishSilentFloodfill(t *testing.T) {
	profiles := profile.New(profile.Config{}, clock)
	n, us, ffs := publishNet(t, 4, nodeOpts{timeout: 100 * time.Millisecond, tune: func(c *netdb.DBConfig) { c.Profiles = profiles }})
	order := byCloseness(us.hash(), hashes(ffs))
	n.mu.Lock()
	delete(n.dbs, order[0]) // the closest never answers
	n.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	got, err := us.db.Publish(ctx)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if got != order[1] {
		t.Errorf("Publish confirmed by %v, want the second closest %v", got, order[1])
	}
	var tried []data.Hash
	for _, s := range n.sent(func(s sentMsg) bool { return s.from == us.hash() && s.m.Type == i2np.DatabaseStore }) {
		tried = append(tried, s.to)
	}
	if !equalHashes(tried, order[:2]) {
		t.Errorf("stored to %v, want %v", tried, order[:2])
	}
	if p := profiles.Get(order[0]).Store; p.Sent.Total != 1 || p.Confirmed.Total != 0 {
		t.Errorf("silent floodfill's profile: %+v; want 1 unconfirmed", p)
	}
	if p := profiles.Get(order[1]).Store; p.Sent.Total != 1 || p.Confirmed.Total != 1 {
		t.Errorf("confirming floodfill's profile: %+v; want 1 confirmed", p)
	}
	if st := us.db.Stats(); st.PublishedConfirmed != 1 {
		t.Errorf("PublishedConfirmed = %d, want 1", st.PublishedConfirmed)
	}
}

func TestPublishFails(t *testing.T) {
	t.Run("no floodfill", func(t *testing.T) {
		_, us, _ := publishNet(t, 0, nodeOpts{})
		if _, err := us.db.Publish(context.Background()); err == nil {
			t.Error("Publish with no floodfill known succeeded")
		}
	})
	t.Run("none answers", func(t *testing.T) {
		n, us, ffs := publishNet(t, 4, nodeOpts{timeout: 20 * time.Millisecond})
		n.mu.Lock()
		for _, f := range ffs {
			delete(n.dbs, f.hash())
		}
		n.mu.Unlock()
		if _, err := us.db.Publish(context.Background()); err == nil {
			t.Error("Publish with no floodfill answering succeeded")
		}
		// It gives up after three.
		if s := n.sent(ofType(i2np.DatabaseStore)); len(s) != 3 {
			t.Errorf("tried %d floodfills, want 3", len(s))
		}
		if st := us.db.Stats(); st.PublishedConfirmed != 0 || !st.LastPublishConfirmed.IsZero() {
			t.Errorf("Stats = %+v; want nothing confirmed", st)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		n, us, ffs := publishNet(t, 2, nodeOpts{})
		n.mu.Lock()
		for _, f := range ffs {
			delete(n.dbs, f.hash())
		}
		n.mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := us.db.Publish(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Publish with a canceled context: %v", err)
		}
	})
}

// searchNet is 3 floodfills that know one another and 4 routers, all in
// the network, and an asker that knows only the first floodfill.
func searchNet(t *testing.T, o nodeOpts) (n *memNet, asker *node, ffs, plains []*node) {
	t.Helper()
	n = newMemNet(t)
	for range 3 {
		ffs = append(ffs, newNode(t, n, nodeOpts{ff: true}))
	}
	for range 4 {
		plains = append(plains, newNode(t, n, nodeOpts{}))
	}
	for _, f := range ffs {
		f.learn(t, ffs...)
		f.learn(t, plains...)
	}
	for _, p := range plains {
		p.learn(t, ffs...)
	}
	asker = newNode(t, n, o)
	asker.learn(t, ffs[0])
	return n, asker, ffs, plains
}

func TestLookupRouterIterative(t *testing.T) {
	for _, parallel := range []int{1, 2} {
		for _, holder := range []int{1, 2} {
			t.Run(fmt.Sprintf("parallel=%d,holder=%d", parallel, holder), func(t *testing.T) {
				n, asker, ffs, _ := searchNet(t, nodeOpts{timeout: time.Second, tune: func(c *netdb.DBConfig) { c.Parallel = parallel }})
				// The target is known to one floodfill the asker does not
				// know.
				target := newNode(t, newMemNet(t), nodeOpts{offline: true})
				ffs[holder].learn(t, target)

				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()
				start := time.Now()
				ri, err := asker.db.LookupRouter(ctx, target.hash())
				if err != nil {
					t.Fatalf("LookupRouter (Parallel %d, held by floodfill %d): %v", parallel, holder, err)
				}
				if !bytes.Equal(ri.Bytes(), target.ri.Bytes()) {
					t.Error("LookupRouter returned another RouterInfo")
				}
				if d := time.Since(start); d >= time.Second {
					t.Errorf("LookupRouter took %v in a network that answers at once", d)
				}
				if asker.db.Get(target.hash()) == nil {
					t.Error("the RouterInfo found is not stored")
				}
				// Known now: found without a message from the asker
				// (other routers may still be answering the first one).
				fromAsker := func(s sentMsg) bool { return s.from == asker.hash() }
				before := len(n.sent(fromAsker))
				if _, err := asker.db.LookupRouter(ctx, target.hash()); err != nil {
					t.Errorf("second LookupRouter: %v", err)
				}
				if after := len(n.sent(fromAsker)); after != before {
					t.Errorf("second LookupRouter of a known router sent %d messages", after-before)
				}
			})
		}
	}
}

func TestLookupRouterNotFound(t *testing.T) {
	const timeout = 500 * time.Millisecond
	n, asker, ffs, _ := searchNet(t, nodeOpts{timeout: timeout})
	key := randHash()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	start := time.Now()
	ri, err := asker.db.LookupRouter(ctx, key)
	if !errors.Is(err, netdb.ErrNotFound) || ri != nil {
		t.Fatalf("LookupRouter of an unknown key = %v, %v; want ErrNotFound", ri, err)
	}
	if d := time.Since(start); d > 4*timeout {
		t.Errorf("LookupRouter took %v, more than its deadline of %v", d, 4*timeout)
	}
	// Every floodfill was asked, once.
	asked := map[data.Hash]int{}
	for _, s := range n.sent(func(s sentMsg) bool { return s.from == asker.hash() && s.m.Type == i2np.DatabaseLookup }) {
		lk, err := i2np.ParseDatabaseLookupMessage(s.m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if lk.Key == key {
			asked[s.to]++
			if lk.From != asker.hash() || lk.Lookup != i2np.LookupRouterInfo {
				t.Errorf("lookup from %v of type %v", lk.From, lk.Lookup)
			}
		}
	}
	for i, f := range ffs {
		if asked[f.hash()] != 1 {
			t.Errorf("floodfill %d asked %d times, want 1", i, asked[f.hash()])
		}
	}
	if len(asked) != len(ffs) {
		t.Errorf("asked %d routers, want the %d floodfills", len(asked), len(ffs))
	}
}

// TestLookupRouterSilentFloodfill: the closest floodfill never answers; the
// search moves on to the next after LookupTimeout, whatever Config.Now
// says (here it stands still).
func TestLookupRouterSilentFloodfill(t *testing.T) {
	const timeout = 200 * time.Millisecond
	n := newMemNet(t)
	a := newNode(t, n, nodeOpts{ff: true})
	b := newNode(t, n, nodeOpts{ff: true})
	target := newNode(t, n, nodeOpts{offline: true})
	a.learn(t, target)
	b.learn(t, target)
	order := byCloseness(target.hash(), []data.Hash{a.hash(), b.hash()})
	n.mu.Lock()
	delete(n.dbs, order[0])
	n.mu.Unlock()
	profiles := profile.New(profile.Config{}, clock)
	asker := newNode(t, n, nodeOpts{timeout: timeout, tune: func(c *netdb.DBConfig) {
		c.Parallel = 1
		c.Profiles = profiles
	}})
	asker.learn(t, a, b)

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	start := time.Now()
	if _, err := asker.db.LookupRouter(ctx, target.hash()); err != nil {
		t.Fatalf("LookupRouter: %v", err)
	}
	if d := time.Since(start); d < timeout || d > 3*timeout {
		t.Errorf("LookupRouter took %v; want about LookupTimeout (%v)", d, timeout)
	}
	if p := profiles.Get(order[0]).Lookup; p.Failed.Total != 1 {
		t.Errorf("silent floodfill's profile: %+v; want 1 failed lookup", p)
	}
	if p := profiles.Get(order[1]).Lookup; p.Answered.Total != 1 {
		t.Errorf("answering floodfill's profile: %+v; want 1 answered lookup", p)
	}
}

func TestLookupRouterCanceled(t *testing.T) {
	n := newMemNet(t)
	silent := newNode(t, n, nodeOpts{ff: true, offline: true})
	asker := newNode(t, n, nodeOpts{})
	asker.learn(t, silent)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := asker.db.LookupRouter(ctx, randHash())
		done <- err
	}()
	n.waitSent(t, "lookup", ofType(i2np.DatabaseLookup))
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("LookupRouter after cancel: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("LookupRouter did not return after cancel")
	}
}

func TestLookupRouterNoFloodfill(t *testing.T) {
	asker := newNode(t, newMemNet(t), nodeOpts{})
	if _, err := asker.db.LookupRouter(context.Background(), randHash()); !errors.Is(err, netdb.ErrNotFound) {
		t.Errorf("LookupRouter knowing no floodfill: %v; want ErrNotFound", err)
	}
}

func TestExplore(t *testing.T) {
	n := newMemNet(t)
	var all []*node
	for i := range 6 {
		all = append(all, newNode(t, n, nodeOpts{ff: i < 2}))
	}
	for _, nd := range all {
		nd.learn(t, all...)
	}
	newcomer := newNode(t, n, nodeOpts{timeout: time.Second})
	newcomer.learn(t, all[0])

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	calls := 0
	for {
		if routers, ffs := newcomer.db.Counts(); routers == len(all) && ffs == 2 {
			break
		}
		if ctx.Err() != nil {
			routers, ffs := newcomer.db.Counts()
			t.Fatalf("after %d Explore calls: %d routers, %d floodfills known; want %d, 2", calls, routers, ffs, len(all))
		}
		newcomer.db.Explore(ctx)
		calls++
	}
	t.Logf("learned %d routers in %d Explore calls", len(all), calls)
	for _, nd := range all {
		if got := newcomer.db.Get(nd.hash()); got == nil || !bytes.Equal(got.Bytes(), nd.ri.Bytes()) {
			t.Errorf("router %v not learned", nd.hash())
		}
	}
	// The exploratory lookups asked for what we do not know.
	for _, s := range n.sent(func(s sentMsg) bool { return s.from == newcomer.hash() && s.m.Type == i2np.DatabaseLookup }) {
		lk, err := i2np.ParseDatabaseLookupMessage(s.m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if lk.Lookup == i2np.LookupExploration && !slices.Contains(lk.Exclude, newcomer.hash()) {
			t.Error("an exploratory lookup does not exclude us")
		}
	}
}

func TestExploreNoFloodfill(t *testing.T) {
	n := newMemNet(t)
	nd := newNode(t, n, nodeOpts{})
	nd.db.Explore(context.Background())
	if s := n.sent(nil); len(s) != 0 {
		t.Errorf("Explore with no floodfill sent %d messages", len(s))
	}
}

// mutate returns b with a few random changes: a flipped bit, a truncation
// or appended bytes.
func mutate(b []byte, r []byte) []byte {
	b = bytes.Clone(b)
	if len(b) == 0 {
		return r
	}
	switch r[0] % 3 {
	case 0:
		i := int(r[1])<<8 | int(r[2])
		b[i%len(b)] ^= 1 << (r[3] % 8)
	case 1:
		b = b[:(int(r[1])<<8|int(r[2]))%len(b)]
	case 2:
		b = append(b, r[:int(r[1])%len(r)]...)
	}
	return b
}

// TestHandleMalformed feeds random and mutated payloads of every type to a
// floodfill and to a router: no panic, and every store and lookup is
// counted as accepted, refused, answered or dropped.
func TestHandleMalformed(t *testing.T) {
	f := newFFNet(t, 4, 2, nodeOpts{tune: func(c *netdb.DBConfig) { c.SealReply = (&sealer{}).seal }})
	x := newNode(t, f.n, nodeOpts{offline: true})
	ls := newLeaseSet(t, lsOpts{})
	valid := map[i2np.MessageType][][]byte{}
	add := func(b i2np.Body) {
		p, err := b.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		valid[b.Type()] = append(valid[b.Type()], p)
	}
	add(i2np.NewStore(x.ri))
	ds := i2np.NewStore(ls.ls)
	ds.ReplyToken, ds.ReplyTunnel, ds.ReplyGateway = 1, 2, randHash()
	add(ds)
	add(i2np.DatabaseLookupMessage{Key: x.hash(), From: randHash(), Lookup: i2np.LookupRouterInfo, Exclude: []data.Hash{randHash()}})
	add(i2np.DatabaseLookupMessage{Key: randHash(), From: randHash(), ReplyTunnel: 5, Lookup: i2np.LookupExploration, Encryption: i2np.ReplyECIES, RatchetTags: []i2np.RatchetTag{{1}}})
	add(i2np.DatabaseSearchReplyMessage{Key: randHash(), Peers: []data.Hash{randHash()}, From: randHash()})
	add(i2np.DeliveryStatusMessage{ID: 5, Time: now})

	types := []i2np.MessageType{i2np.DatabaseStore, i2np.DatabaseLookup, i2np.DatabaseSearchReply, i2np.DeliveryStatus, i2np.Garlic, i2np.TunnelGateway, 0, 255}
	plain := newNode(t, f.n, nodeOpts{offline: true})
	plain.learn(t, f.ffs...)
	count := map[i2np.MessageType]uint64{}
	r := make([]byte, 300)
	for i := range 2000 {
		rand.Read(r)
		typ := types[i%len(types)]
		var p []byte
		if vs := valid[typ]; len(vs) > 0 && r[4]&1 == 0 {
			p = mutate(vs[int(r[5])%len(vs)], r[6:])
		} else {
			p = bytes.Clone(r[10 : 10+int(r[7])%(len(r)-10)])
		}
		m := i2np.Message{Type: typ, ID: i2np.MessageID(i), Expiration: now.Add(time.Minute), Payload: p}
		from := randHash()
		f.ff.db.Handle(from, m)
		plain.db.Handle(from, m)
		count[typ]++
	}
	// And the valid payloads, unchanged.
	for typ, vs := range valid {
		for _, p := range vs {
			m := i2np.Message{Type: typ, ID: 1, Expiration: now.Add(time.Minute), Payload: p}
			f.ff.db.Handle(randHash(), m)
			plain.db.Handle(randHash(), m)
			count[typ]++
		}
	}
	for _, nd := range []*node{f.ff, plain} {
		st := nd.db.Stats()
		if got := st.StoresAccepted + st.StoresRefused; got != count[i2np.DatabaseStore] {
			t.Errorf("%d stores accepted and %d refused, of %d", st.StoresAccepted, st.StoresRefused, count[i2np.DatabaseStore])
		}
		if st.StoresRefused == 0 {
			t.Error("no store refused")
		}
		if got := st.LookupsAnswered + st.LookupsDropped; got != count[i2np.DatabaseLookup] {
			t.Errorf("%d lookups answered and %d dropped, of %d", st.LookupsAnswered, st.LookupsDropped, count[i2np.DatabaseLookup])
		}
		if st.LookupsDropped == 0 {
			t.Error("no lookup dropped")
		}
	}
	if st := f.ff.db.Stats(); st.LookupsAnswered == 0 || st.StoresAccepted == 0 {
		t.Errorf("floodfill: Stats = %+v; the valid lookups and stores were not answered and accepted", st)
	}
}

// FuzzHandle gives Handle of a floodfill arbitrary messages: no panic,
// and a store or lookup moves exactly one counter.
func FuzzHandle(f *testing.F) {
	n := newMemNet(f)
	ff := newNode(f, n, nodeOpts{ff: true, tune: func(c *netdb.DBConfig) {
		c.SealReply = (&sealer{}).seal
		c.PeerRate = math.MaxInt // one peer sends it all
	}})
	for range 3 {
		ff.learn(f, newNode(f, n, nodeOpts{ff: true, offline: true}))
	}
	x := newNode(f, n, nodeOpts{offline: true})
	seed := func(b i2np.Body) {
		p, err := b.AppendBinary(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(b.Type()), p)
	}
	seed(i2np.NewStore(x.ri))
	seed(i2np.DatabaseLookupMessage{Key: x.hash(), From: x.hash(), Lookup: i2np.LookupRouterInfo})
	seed(i2np.DatabaseLookupMessage{Key: randHash(), From: x.hash(), Lookup: i2np.LookupExploration, Exclude: []data.Hash{{}}})
	seed(i2np.DatabaseSearchReplyMessage{Key: randHash(), Peers: []data.Hash{randHash()}})
	seed(i2np.DeliveryStatusMessage{ID: 1, Time: now})
	f.Add(uint8(0), []byte{})
	f.Fuzz(func(t *testing.T, typ uint8, payload []byte) {
		before := ff.db.Stats()
		ff.db.Handle(x.hash(), i2np.Message{Type: i2np.MessageType(typ), Payload: payload})
		after := ff.db.Stats()
		// A rate-limited store moves only RateLimited, a limited lookup
		// LookupsDropped too (PeerRate is out of reach here).
		stores := (after.StoresAccepted - before.StoresAccepted) + (after.StoresRefused - before.StoresRefused)
		lookups := (after.LookupsAnswered - before.LookupsAnswered) + (after.LookupsDropped - before.LookupsDropped)
		limited := after.RateLimited - before.RateLimited
		var want [3]uint64 // stores, lookups, limited
		switch i2np.MessageType(typ) {
		case i2np.DatabaseStore:
			want = [3]uint64{1 - limited, 0, limited}
		case i2np.DatabaseLookup:
			want = [3]uint64{0, 1, limited}
		}
		if got := [3]uint64{stores, lookups, limited}; got != want || limited > 1 {
			t.Errorf("a %v moved stores, lookups and rate limited by %v, want %v", i2np.MessageType(typ), got, want)
		}
	})
}

func TestPublishLeaseSet(t *testing.T) {
	n, us, ffs := publishNet(t, 4, nodeOpts{})
	td := newLeaseSet(t, lsOpts{})
	order := byCloseness(td.ls.Hash(), hashes(ffs))
	var viaRoute int
	route := netdb.Route{
		ReplyGateway: us.hash(), // tunnel 0: the DeliveryStatus comes straight back
		Send: func(to data.Hash, m i2np.Message) error {
			viaRoute++
			return memSender{n: n, from: us.hash()}.Send(to, m)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	got, err := us.db.PublishLeaseSet(ctx, td.ls, route)
	if err != nil {
		t.Fatalf("PublishLeaseSet: %v", err)
	}
	if got != order[0] || viaRoute != 1 {
		t.Errorf("confirmed by %v after %d sends, want the closest floodfill %v after 1", got, viaRoute, order[0])
	}
	stores := n.sent(func(s sentMsg) bool { return s.from == us.hash() && s.m.Type == i2np.DatabaseStore })
	ds := parseStore(t, stores[0].m)
	if ds.Key != td.ls.Hash() || ds.StoreType != data.StoreLeaseSet2 || ds.ReplyToken == 0 || ds.ReplyGateway != us.hash() {
		t.Errorf("store %+v", ds)
	}
	if us.db.LeaseSet(td.ls.Hash()) == nil {
		t.Error("our own LeaseSet is not in our store")
	}
	n.waitUntil(t, "every floodfill has the LeaseSet", func() bool {
		for _, f := range ffs {
			if f.db.LeaseSet(td.ls.Hash()) == nil {
				return false
			}
		}
		return true
	})
	if _, err := us.db.PublishLeaseSet(ctx, td.ls, netdb.Route{}); err == nil {
		t.Error("PublishLeaseSet without a route succeeded")
	}
}
