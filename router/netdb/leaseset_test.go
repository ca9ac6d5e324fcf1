package netdb_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb"
)

// testDest is a destination that signs LeaseSet2s.
type testDest struct {
	dest   data.Destination
	signer crypto.Signer
	ls     *data.LeaseSet2 // the first one signed
}

// lsOpts are the options of one LeaseSet2; zero fields get defaults.
type lsOpts struct {
	published time.Time // now
	expires   time.Time // published + 10 min
	keyBytes  int       // size of an extra encryption key of unknown type
}

// newLeaseSet makes a destination and signs a first LeaseSet2 for it.
func newLeaseSet(t testing.TB, o lsOpts) *testDest {
	t.Helper()
	s, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := data.NewDestination(crypto.SigEd25519, s.Public(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	td := &testDest{dest: d, signer: s}
	td.ls = td.sign(t, o)
	return td
}

// sign signs a LeaseSet2 of the destination with one lease.
func (td *testDest) sign(t testing.TB, o lsOpts) *data.LeaseSet2 {
	t.Helper()
	if o.published.IsZero() {
		o.published = now
	}
	if o.expires.IsZero() {
		o.expires = o.published.Add(10 * time.Minute)
	}
	key := make([]byte, 32)
	rand.Read(key)
	keys := []data.EncryptionKey{{Type: data.CryptoX25519, Key: key}}
	if o.keyBytes > 0 {
		keys = append(keys, data.EncryptionKey{Type: data.CryptoType(300), Key: make([]byte, o.keyBytes)})
	}
	ls := &data.LeaseSet2{
		LeaseSet2Header: data.LeaseSet2Header{Destination: td.dest, Published: o.published, Expires: o.expires},
		EncryptionKeys:  keys,
		Leases:          []data.Lease2{{Gateway: randHash(), TunnelID: 42, End: o.expires}},
	}
	if err := ls.Sign(td.signer); err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestLeaseSetStore(t *testing.T) {
	f := newFFNet(t, 3, 0, nodeOpts{})
	ls := newLeaseSet(t, lsOpts{}).ls
	key := ls.Hash()
	f.ff.db.Handle(f.ffs[0].hash(), storeMsg(t, ls, 0, 0, data.Hash{}))

	if n := f.ff.db.LeaseSetCount(); n != 1 {
		t.Fatalf("LeaseSetCount = %d, want 1", n)
	}
	if got := f.ff.db.LeaseSet(key); got == nil || !bytes.Equal(got.Bytes(), ls.Bytes()) || got.StoreType() != data.StoreLeaseSet2 {
		t.Errorf("LeaseSet(%v) = %v", key, got)
	}
	if keys := f.ff.db.LeaseSetKeys(); !equalHashes(keys, []data.Hash{key}) {
		t.Errorf("LeaseSetKeys = %v", keys)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	got, err := f.ff.db.LookupLeaseSet(ctx, key)
	if err != nil || !bytes.Equal(got.Bytes(), ls.Bytes()) {
		t.Errorf("LookupLeaseSet = %v, %v", got, err)
	}
	if st := f.ff.db.Stats(); st.StoresAccepted != 1 || st.StoresRefused != 0 {
		t.Errorf("Stats = %+v; want 1 accepted", st)
	}
	if s := f.n.sent(nil); len(s) != 0 {
		t.Errorf("%d messages sent for a store without reply token", len(s))
	}
}

func TestLeaseSetStoreFloods(t *testing.T) {
	f := newFFNet(t, 6, 0, nodeOpts{})
	ls := newLeaseSet(t, lsOpts{}).ls
	order := byCloseness(ls.Hash(), hashes(f.ffs))
	gw := randHash()
	f.ff.db.Handle(order[1], storeMsg(t, ls, 0x777, 0, gw))
	checkAck(t, f.n.sent(ofType(i2np.DeliveryStatus)), 0x777, gw)
	checkFlood(t, f.n.sent(ofType(i2np.DatabaseStore)), ls, []data.Hash{order[0], order[2], order[3]})
}

func TestLeaseSetRefused(t *testing.T) {
	good := newLeaseSet(t, lsOpts{})
	badSig := bytes.Clone(good.ls.Bytes())
	badSig[len(badSig)-1] ^= 1
	tests := []struct {
		name string
		ds   i2np.DatabaseStoreMessage
	}{
		{"key does not match", i2np.DatabaseStoreMessage{Key: randHash(), StoreType: data.StoreLeaseSet2, Data: good.ls.Bytes()}},
		{"key of a RouterInfo", i2np.DatabaseStoreMessage{Key: good.ls.Hash(), StoreType: data.StoreRouterInfo, Data: good.ls.Bytes()}},
		{"bad signature", i2np.DatabaseStoreMessage{Key: good.ls.Hash(), StoreType: data.StoreLeaseSet2, Data: badSig}},
		{"signed by another", i2np.NewStore(func() *data.LeaseSet2 {
			ls := good.sign(t, lsOpts{})
			raw := bytes.Clone(ls.Bytes())
			other := newLeaseSet(t, lsOpts{}).ls.Bytes()
			copy(raw[len(raw)-64:], other[len(other)-64:])
			p, err := data.ParseLeaseSet2(raw)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}())},
		{"expired", i2np.NewStore(good.sign(t, lsOpts{published: now.Add(-20 * time.Minute), expires: now.Add(-time.Second)}))},
		{"expires too late", i2np.NewStore(good.sign(t, lsOpts{published: now.Add(2 * time.Hour), expires: now.Add(20 * time.Hour)}))},
		{"too large", i2np.NewStore(good.sign(t, lsOpts{keyBytes: netdb.MaxLeaseSetSize}))},
		{"garbage", i2np.DatabaseStoreMessage{Key: good.ls.Hash(), StoreType: data.StoreLeaseSet2, Data: []byte("not a LeaseSet")}},
		{"LS1 garbage", i2np.DatabaseStoreMessage{Key: good.ls.Hash(), StoreType: data.StoreLeaseSet, Data: good.ls.Bytes()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFFNet(t, 3, 0, nodeOpts{})
			ds := tt.ds
			ds.ReplyToken, ds.ReplyGateway = 12, randHash()
			f.ff.db.Handle(f.ffs[0].hash(), msg(t, ds))
			if n := f.ff.db.LeaseSetCount(); n != 0 {
				t.Errorf("LeaseSetCount = %d, want 0", n)
			}
			if st := f.ff.db.Stats(); st.StoresRefused != 1 || st.StoresAccepted != 0 || st.Flooded != 0 {
				t.Errorf("Stats = %+v; want 1 refused", st)
			}
			if s := f.n.sent(nil); len(s) != 0 {
				t.Errorf("%d messages sent for a refused LeaseSet", len(s))
			}
		})
	}
}

// TestLeaseSetLimits checks dates just inside the limits.
func TestLeaseSetLimits(t *testing.T) {
	td := newLeaseSet(t, lsOpts{})
	for _, o := range []lsOpts{
		{published: now.Add(-time.Hour), expires: now.Add(time.Second)},
		{published: now.Add(time.Hour), expires: now.Add(netdb.MaxLeaseSetExpiry)},
	} {
		f := newFFNet(t, 0, 0, nodeOpts{})
		f.ff.db.Handle(randHash(), storeMsg(t, td.sign(t, o), 0, 0, data.Hash{}))
		if f.ff.db.LeaseSetCount() != 1 {
			t.Errorf("LeaseSet published %v expiring %v (now %v) refused", o.published, o.expires, now)
		}
	}
}

func TestLeaseSetNewerReplaces(t *testing.T) {
	td := newLeaseSet(t, lsOpts{published: now.Add(-time.Minute)})
	older, newer := td.ls, td.sign(t, lsOpts{})
	f := newFFNet(t, 4, 0, nodeOpts{})
	key := older.Hash()
	store := func(ls *data.LeaseSet2, token uint32) (floods int) {
		before := len(f.n.sent(nil))
		f.ff.db.Handle(f.ffs[0].hash(), storeMsg(t, ls, token, 0, randHash()))
		for _, s := range f.n.sent(nil)[before:] {
			if s.m.Type == i2np.DatabaseStore {
				floods++
			}
		}
		return floods
	}
	holds := func() []byte {
		if e := f.ff.db.LeaseSet(key); e != nil {
			return e.Bytes()
		}
		return nil
	}

	if n := store(older, 1); n != 3 || !bytes.Equal(holds(), older.Bytes()) {
		t.Fatalf("first LeaseSet: flooded to %d, held: %v", n, holds() != nil)
	}
	if n := store(newer, 2); n != 3 || !bytes.Equal(holds(), newer.Bytes()) {
		t.Errorf("newer LeaseSet: flooded to %d, replaced: %v; want 3, true", n, bytes.Equal(holds(), newer.Bytes()))
	}
	if n := store(older, 3); n != 0 || !bytes.Equal(holds(), newer.Bytes()) {
		t.Errorf("older LeaseSet again: flooded to %d, kept the newer: %v; want 0, true", n, bytes.Equal(holds(), newer.Bytes()))
	}
	if n := store(newer, 4); n != 0 {
		t.Errorf("the same LeaseSet again flooded to %d", n)
	}
	if n := f.ff.db.LeaseSetCount(); n != 1 {
		t.Errorf("LeaseSetCount = %d, want 1", n)
	}
}

func TestLeaseSetExpires(t *testing.T) {
	c := newClock()
	f := newFFNet(t, 0, 0, nodeOpts{clock: c.Now})
	ls := newLeaseSet(t, lsOpts{}).ls
	f.ff.db.Handle(randHash(), storeMsg(t, ls, 0, 0, data.Hash{}))
	if f.ff.db.LeaseSet(ls.Hash()) == nil {
		t.Fatal("not stored")
	}
	c.Advance(10 * time.Minute)
	if e := f.ff.db.LeaseSet(ls.Hash()); e != nil {
		t.Error("LeaseSet returned an expired LeaseSet")
	}
	if _, err := f.ff.db.LookupLeaseSet(context.Background(), ls.Hash()); !errors.Is(err, netdb.ErrNotFound) {
		t.Errorf("LookupLeaseSet of an expired LeaseSet: %v; want ErrNotFound", err)
	}
	asker := randHash()
	f.ff.db.Handle(asker, lookupMsg(t, i2np.DatabaseLookupMessage{Key: ls.Hash(), From: asker, Lookup: i2np.LookupLeaseSet}))
	sent := f.n.sent(to(asker))
	if len(sent) != 1 || sent[0].m.Type != i2np.DatabaseSearchReply {
		t.Errorf("lookup of an expired LeaseSet: sent %d messages, want a search reply", len(sent))
	}
}

func TestLeaseSetLookup(t *testing.T) {
	f := newFFNet(t, 4, 0, nodeOpts{})
	ls := newLeaseSet(t, lsOpts{}).ls
	f.ff.db.Handle(randHash(), storeMsg(t, ls, 0, 0, data.Hash{}))
	for _, tt := range []struct {
		lt    i2np.LookupType
		found bool
	}{
		{i2np.LookupLeaseSet, true},
		{i2np.LookupAny, true},
		{i2np.LookupRouterInfo, false}, // a RouterInfo lookup never returns a LeaseSet
	} {
		asker := randHash()
		f.ff.db.Handle(asker, lookupMsg(t, i2np.DatabaseLookupMessage{Key: ls.Hash(), From: asker, Lookup: tt.lt}))
		sent := f.n.sent(to(asker))
		if len(sent) != 1 {
			t.Fatalf("%v lookup: sent %d messages, want 1", tt.lt, len(sent))
		}
		if !tt.found {
			if sr := parseSearchReply(t, sent[0].m); sr.Key != ls.Hash() || len(sr.Peers) != 3 {
				t.Errorf("%v lookup: search reply for %v with %d peers", tt.lt, sr.Key, len(sr.Peers))
			}
			continue
		}
		ds := parseStore(t, sent[0].m)
		if ds.Key != ls.Hash() || ds.StoreType != data.StoreLeaseSet2 || !bytes.Equal(ds.Data, ls.Bytes()) || ds.ReplyToken != 0 {
			t.Errorf("%v lookup: answered key %v type %d; want the LeaseSet2", tt.lt, ds.Key, ds.StoreType)
		}
	}
}

// TestLookupLeaseSetIterative: a router that knows one floodfill finds a
// LeaseSet held by another; the LeaseSet, unsolicited otherwise, is kept
// because it was looked up.
func TestLookupLeaseSetIterative(t *testing.T) {
	_, asker, ffs, _ := searchNet(t, nodeOpts{timeout: time.Second})
	ls := newLeaseSet(t, lsOpts{}).ls
	ffs[2].db.Handle(randHash(), storeMsg(t, ls, 0, 0, data.Hash{}))
	if ffs[2].db.LeaseSetCount() != 1 {
		t.Fatal("LeaseSet not stored at the floodfill")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	got, err := asker.db.LookupLeaseSet(ctx, ls.Hash())
	if err != nil {
		t.Fatalf("LookupLeaseSet: %v", err)
	}
	if !bytes.Equal(got.Bytes(), ls.Bytes()) {
		t.Error("LookupLeaseSet returned another LeaseSet")
	}
	if asker.db.LeaseSetCount() != 1 {
		t.Errorf("asker holds %d LeaseSets, want 1", asker.db.LeaseSetCount())
	}
	if _, err := asker.db.LookupLeaseSet(ctx, randHash()); !errors.Is(err, netdb.ErrNotFound) {
		t.Errorf("LookupLeaseSet of an unknown key: %v; want ErrNotFound", err)
	}
}
