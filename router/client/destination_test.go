package client

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// checkLeaseSet checks that ls is d's, signed, with a lease per usable
// inbound tunnel of its pool and the keys it should offer, and that it
// is what the floodfill holds.
func checkLeaseSet(t *testing.T, w *world, d *Destination, ls *data.LeaseSet2) {
	t.Helper()
	if ls == nil {
		t.Fatal("no LeaseSet")
	}
	if err := ls.Verify(); err != nil {
		t.Fatalf("LeaseSet does not verify: %v", err)
	}
	e, err := data.ParseEntry(data.StoreLeaseSet2, ls.Bytes())
	if err != nil || e.Verify() != nil || e.Hash() != d.Hash() {
		t.Fatalf("LeaseSet bytes: parse %v, hash %v", err, e.Hash())
	}
	if _, v1 := w.ff.get(d.Hash()).(*data.LeaseSet); !v1 { // else rewritten by the test
		if got := w.ff.get(d.Hash()); got == nil || !bytes.Equal(got.Bytes(), ls.Bytes()) {
			t.Fatal("the floodfill does not hold the current LeaseSet")
		}
	}
	ins := d.Pool().Inbound()
	if len(ls.Leases) != len(ins) {
		t.Fatalf("%d leases for %d inbound tunnels", len(ls.Leases), len(ins))
	}
	for i, tun := range ins {
		gw, id := tun.Gateway()
		l := ls.Leases[i]
		if l.Gateway != gw || l.TunnelID != id || !l.End.Equal(d.Pool().Expires(tun).Truncate(time.Second)) {
			t.Fatalf("lease %d %+v, tunnel gateway %v/%v expiring %v", i, l, gw, id, d.Pool().Expires(tun))
		}
		if l.End.After(ls.Expires) {
			t.Fatalf("lease ends %v after the LeaseSet expires %v", l.End, ls.Expires)
		}
	}
	if ls.Expires.Sub(ls.Published) > 11*time.Minute || !ls.Published.After(epoch.Add(-time.Second)) {
		t.Fatalf("published %v expires %v", ls.Published, ls.Expires)
	}
	elg := d.keys.ElGamal.Public()
	want := []data.EncryptionKey{{Type: data.CryptoX25519, Key: d.keys.Encryption.Public[:]}, {Type: data.CryptoElGamal, Key: elg[:]}}
	if d.cfg.ElGamalOnly {
		want = want[1:]
	}
	if !slices.EqualFunc(ls.EncryptionKeys, want, func(a, b data.EncryptionKey) bool { return a.Type == b.Type && bytes.Equal(a.Key, b.Key) }) {
		t.Fatalf("LeaseSet keys %v, want %v", ls.EncryptionKeys, want)
	}
}

// TestLeaseSetPublishedAndRepublished: a destination builds its pool,
// signs a LeaseSet2 with a lease per inbound tunnel and both its keys,
// publishes it through one of its outbound tunnels (retrying a failed
// store, but not at once), and makes and publishes a new one whenever its
// inbound tunnels change.
func TestLeaseSetPublishedAndRepublished(t *testing.T) {
	w := newWorld(t)
	d, tn := w.dest(Config{Name: "a"})
	ctx := context.Background()
	d.maintain(ctx)
	if d.LeaseSet() != nil || d.Ready() || tn.attempts.Load() != 0 {
		t.Fatal("a LeaseSet without tunnels")
	}

	w.build()
	if in, out := d.Pool().Counts(); in != 2 || out != 2 {
		t.Fatalf("pool %d/%d, want 2/2", in, out)
	}
	w.ff.fail = 1
	d.maintain(ctx)
	if d.Ready() || tn.attempts.Load() != 1 || tn.publishes.Load() != 0 {
		t.Fatalf("after a failed store: ready %v, %d attempts", d.Ready(), tn.attempts.Load())
	}
	first := d.LeaseSet()
	w.clk.Advance(time.Second)
	d.maintain(ctx)
	if tn.attempts.Load() != 1 {
		t.Fatal("publish retried within a second")
	}
	w.clk.Advance(5 * time.Second)
	d.maintain(ctx)
	if !d.Ready() || tn.publishes.Load() != 1 || d.LeaseSet() != first {
		t.Fatalf("retry: ready %v, %d publishes", d.Ready(), tn.publishes.Load())
	}
	checkLeaseSet(t, w, d, first)
	if tn.lastOut.Pool() != d.Pool() {
		t.Fatal("LeaseSet not published through the destination's own outbound tunnel")
	}

	// Nothing changed: no new LeaseSet, no new store.
	w.clk.Advance(20 * time.Second)
	w.n.Rounds(1, nil, w.rs...)
	d.maintain(ctx)
	if d.LeaseSet() != first || tn.attempts.Load() != 2 {
		t.Fatalf("LeaseSet remade or republished without a change (%d attempts)", tn.attempts.Load())
	}

	// At 8 minutes the pool builds replacements: the inbound tunnels
	// change, so a new LeaseSet with the new leases too is published.
	w.clk.Advance(8 * time.Minute)
	w.n.Rounds(1, nil, w.rs...)
	d.maintain(ctx)
	second := d.LeaseSet()
	if second == first || len(second.Leases) != 4 || !second.Published.After(first.Published) || tn.publishes.Load() != 2 {
		t.Fatalf("after the rebuild: %d leases, %d publishes", len(second.Leases), tn.publishes.Load())
	}
	checkLeaseSet(t, w, d, second)

	// A minute before they expire the old tunnels are no longer used:
	// the LeaseSet drops their leases.
	w.clk.Advance(75 * time.Second)
	w.n.Rounds(1, nil, w.rs...)
	d.maintain(ctx)
	third := d.LeaseSet()
	if third == second || len(third.Leases) != 2 || tn.publishes.Load() != 3 {
		t.Fatalf("after the old tunnels: %d leases, %d publishes", len(third.Leases), tn.publishes.Load())
	}
	checkLeaseSet(t, w, d, third)
	for _, l := range third.Leases {
		for _, old := range first.Leases {
			if l.Gateway == old.Gateway && l.TunnelID == old.TunnelID {
				t.Fatal("an expiring tunnel is still leased")
			}
		}
	}
}

// sendFlush sends one payload from d to the destination to and delivers
// the network.
func sendFlush(t *testing.T, w *world, d *Destination, to data.Hash, proto uint8, src, dst uint16, p []byte) {
	t.Helper()
	if err := d.Send(context.Background(), to, proto, src, dst, p); err != nil {
		t.Fatalf("%s: Send: %v", d.cfg.Name, err)
	}
	w.n.Flush()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	crand.Read(b)
	return b
}

// expectGot checks the last payload in is (src, dst, p), and that it has
// n in all.
func expectGot(t *testing.T, in *inbox, n int, src, dst uint16, p []byte) {
	t.Helper()
	got := in.all()
	if len(got) != n {
		t.Fatalf("handler got %d payloads, want %d", len(got), n)
	}
	last := got[n-1]
	if last.src != src || last.dst != dst || !bytes.Equal(last.payload, p) {
		t.Fatalf("handler got ports %d→%d, %d bytes; want %d→%d, %d bytes", last.src, last.dst, len(last.payload), src, dst, len(p))
	}
}

// TestRatchetBothWays: two destinations on two routers exchange payloads
// over ECIES-X25519-AEAD-Ratchet, NS then NSR then ES, through their
// tunnels and the transit hops. The first message carries the sender's
// LeaseSet, so the receiver answers without a lookup.
func TestRatchetBothWays(t *testing.T) {
	w := newWorld(t)
	ka, kb := w.keys(), w.keys()
	ea, eb := garlic.NewRatchet(ka.Encryption, garlic.RatchetConfig{}), garlic.NewRatchet(kb.Encryption, garlic.RatchetConfig{})
	a, an := w.dest(Config{Name: "a", Keys: ka, E2E: ea})
	b, bn := w.dest(Config{Name: "b", Keys: kb, E2E: eb})
	inA, inB := newInbox(a, ProtoDatagram), newInbox(b, ProtoDatagram)
	rawB := newInbox(b, ProtoRaw)
	w.ready(a, b)

	// NS: a looks b up; b learns a's LeaseSet from the message.
	text := bytes.Repeat([]byte("garlic "), 400) // compressed on the wire
	sendFlush(t, w, a, b.Hash(), ProtoDatagram, 1111, 2222, text)
	expectGot(t, inB, 1, 1111, 2222, text)
	if an.lookups.Load() != 1 || b.Stats().Remotes != 1 {
		t.Fatalf("a made %d lookups; b knows %d remotes", an.lookups.Load(), b.Stats().Remotes)
	}
	if st := eb.Stats(); st.Sessions != 1 || st.Established != 0 {
		t.Fatalf("b's ratchet after the NS: %+v", st)
	}

	// NSR: b answers at once, with no lookup.
	noise := randomBytes(3000) // incompressible: stored blocks
	sendFlush(t, w, b, a.Hash(), ProtoDatagram, 2222, 1111, noise)
	expectGot(t, inA, 1, 2222, 1111, noise)
	if bn.lookups.Load() != 0 {
		t.Fatalf("b looked a up %d times; a's LeaseSet should have come with its message", bn.lookups.Load())
	}
	if st := ea.Stats(); st.Established != 1 {
		t.Fatalf("a's ratchet after the NSR: %+v", st)
	}

	// ES from a confirms the session at b.
	sendFlush(t, w, a, b.Hash(), ProtoDatagram, 1, 2, []byte("es"))
	expectGot(t, inB, 2, 1, 2, []byte("es"))
	if st := eb.Stats(); st.Established != 1 {
		t.Fatalf("b's ratchet after the ES: %+v", st)
	}

	// More each way, of several sizes, and one of another protocol.
	for i, n := range []int{0, 1, 64, 65, 1000, 20_000} {
		p := randomBytes(n)
		sendFlush(t, w, a, b.Hash(), ProtoDatagram, uint16(i), 7, p)
		expectGot(t, inB, 3+i, uint16(i), 7, p)
		sendFlush(t, w, b, a.Hash(), ProtoDatagram, 7, uint16(i), p)
		expectGot(t, inA, 2+i, 7, uint16(i), p)
	}
	sendFlush(t, w, a, b.Hash(), ProtoRaw, 5, 6, []byte("raw"))
	expectGot(t, rawB, 1, 5, 6, []byte("raw"))
	if len(inB.all()) != 8 {
		t.Fatal("a raw payload reached the datagram handler")
	}
	if an.lookups.Load() != 1 || bn.lookups.Load() != 0 {
		t.Fatalf("lookups a %d b %d, want 1 and 0", an.lookups.Load(), bn.lookups.Load())
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Sent != 9 || sb.Received != 9 || sb.Sent != 7 || sa.Received != 7 || sa.Dropped+sb.Dropped != 0 {
		t.Fatalf("stats a %+v b %+v", sa, sb)
	}
	if st := w.n.Stats(); st.Overflow+st.Faulted != 0 {
		t.Fatalf("network %+v", st)
	}
}

// leaseSet1Of turns a LeaseSet2 of keys k into the original LeaseSet with
// k's ElGamal key and the same leases.
func leaseSet1Of(t *testing.T, k *Keys) func(data.Entry) data.Entry {
	return func(e data.Entry) data.Entry {
		ls2 := e.(*data.LeaseSet2)
		elg := k.ElGamal.Public()
		ls := &data.LeaseSet{Destination: ls2.Destination, EncryptionKey: elg[:], SigningKey: make([]byte, 32)}
		for _, l := range ls2.Leases {
			ls.Leases = append(ls.Leases, data.Lease{Gateway: l.Gateway, TunnelID: l.TunnelID, End: l.End})
		}
		if err := ls.Sign(k.Signer); err != nil {
			t.Error(err)
		}
		return ls
	}
}

// TestElGamalOnlyRemote: a destination whose LeaseSet (a LeaseSet2 with
// only an ElGamal key, or an original LeaseSet) offers only ElGamal is
// sent ElGamal/AES+SessionTags garlic: a New Session message delivering
// tags with a DeliveryStatus clove that the receiver sends back to us
// through our inbound tunnel, which confirms the tags, so the next
// message is an Existing Session one. The receiver answers over the
// ratchet (our LeaseSet offers X25519), without a lookup.
func TestElGamalOnlyRemote(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		name := "LeaseSet2"
		if v1 {
			name = "LeaseSet1"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			a, _ := w.dest(Config{Name: "a"})
			kb := w.keys()
			b, bn := w.dest(Config{Name: "b", Keys: kb, ElGamalOnly: true})
			if v1 {
				bn.rewrite = leaseSet1Of(t, kb)
			}
			var sizes []int // the garlic sizes that reach b
			bn.tap = func(m i2np.Message) {
				if g, err := i2np.ParseGarlicMessage(m.Payload); err == nil && m.Type == i2np.Garlic {
					sizes = append(sizes, len(g.Data))
				}
			}
			inA, inB := newInbox(a, ProtoDatagram), newInbox(b, ProtoDatagram)
			w.ready(a, b)
			checkLeaseSet(t, w, b, b.LeaseSet())
			if _, isV1 := w.ff.get(b.Hash()).(*data.LeaseSet); isV1 != v1 {
				t.Fatalf("floodfill holds a %T", w.ff.get(b.Hash()))
			}

			msg := []byte("to an ElGamal-only destination")
			sendFlush(t, w, a, b.Hash(), ProtoDatagram, 80, 443, msg)
			expectGot(t, inB, 1, 80, 443, msg)
			if len(sizes) != 1 || sizes[0]%16 != garlic.ElGamalBlockLen%16 {
				t.Fatalf("garlic sizes %v: want one New Session message (514+16n bytes)", sizes)
			}
			sendFlush(t, w, a, b.Hash(), ProtoDatagram, 1, 2, msg)
			expectGot(t, inB, 2, 1, 2, msg)
			if len(sizes) != 2 || sizes[1]%16 != 0 {
				t.Fatalf("garlic sizes %v: the second message should use a confirmed tag (32+16n bytes)", sizes)
			}
			// b answers over the ratchet, having a's LeaseSet from the
			// first message.
			sendFlush(t, w, b, a.Hash(), ProtoDatagram, 2, 1, []byte("ratchet back"))
			expectGot(t, inA, 1, 2, 1, []byte("ratchet back"))
			if bn.lookups.Load() != 0 {
				t.Fatalf("b made %d lookups", bn.lookups.Load())
			}
			for i := range 3 {
				p := randomBytes(100 * i)
				sendFlush(t, w, a, b.Hash(), ProtoDatagram, 3, 4, p)
				expectGot(t, inB, 3+i, 3, 4, p)
			}
			for i, n := range sizes[1:] {
				if n%16 != 0 {
					t.Fatalf("message %d of %d bytes: not an Existing Session message (sizes %v)", i+2, n, sizes)
				}
			}
			if a.Stats().Dropped+b.Stats().Dropped != 0 {
				t.Fatalf("dropped: a %+v b %+v", a.Stats(), b.Stats())
			}
		})
	}
}

// garlicMsg wraps garlic data in a Garlic message.
func garlicMsg(t *testing.T, g []byte) i2np.Message {
	t.Helper()
	m, err := i2np.NewMessage(randomMessageID(), epoch.Add(time.Minute), i2np.GarlicMessage{Data: g})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustMessage(t *testing.T, b i2np.Body) i2np.Message {
	t.Helper()
	m, err := i2np.NewMessage(randomMessageID(), epoch.Add(time.Minute), b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeliverBadInput feeds the destination's deliver path what a
// hostile or broken peer could send: no panic, nothing reaches a
// handler or the remote cache, and each message is counted as dropped.
// A good message afterwards still gets through.
func TestDeliverBadInput(t *testing.T) {
	w := newWorld(t)
	d, _ := w.dest(Config{Name: "victim"})
	in := newInbox(d, ProtoDatagram)
	var gw data.Hash
	now := w.now()

	// A peer with a ratchet session to d, and another destination whose
	// LeaseSets the peer forges.
	pk, err := crypto.GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	peer := garlic.NewRatchet(pk, garlic.RatchetConfig{})
	seal := func(blocks ...garlic.Block) []byte {
		t.Helper()
		g, err := peer.Encrypt(d.keys.Encryption.Public, blocks, now)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	clove := func(c garlic.Clove) garlic.Block {
		t.Helper()
		b, err := c.Block()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dataClove := func(body []byte) garlic.Block {
		return clove(garlic.Clove{Delivery: garlic.DeliveryLocal, Msg: mustMessage(t, i2np.DataMessage{Data: body})})
	}
	good, err := EncodePayload(ProtoDatagram, 1, 2, []byte("good"), false)
	if err != nil {
		t.Fatal(err)
	}
	other := w.keys()
	ls := &data.LeaseSet2{
		LeaseSet2Header: data.LeaseSet2Header{Destination: other.Destination, Published: now, Expires: now.Add(10 * time.Minute)},
		EncryptionKeys:  []data.EncryptionKey{{Type: data.CryptoX25519, Key: other.Encryption.Public[:]}},
		Leases:          []data.Lease2{{Gateway: gw, TunnelID: 1, End: now.Add(10 * time.Minute)}},
	}
	if err := ls.Sign(other.Signer); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(ls.Bytes())
	tampered[len(tampered)-70] ^= 1 // in the lease, before the signature
	store := func(key data.Hash, typ uint8, b []byte) garlic.Block {
		return clove(garlic.Clove{Delivery: garlic.DeliveryLocal, Msg: mustMessage(t, i2np.DatabaseStoreMessage{Key: key, StoreType: typ, Data: b})})
	}
	unsupported := &data.LeaseSet2{
		LeaseSet2Header: ls.LeaseSet2Header,
		EncryptionKeys:  []data.EncryptionKey{{Type: 1, Key: make([]byte, 64)}}, // ECIES-P256: not ours
		Leases:          ls.Leases,
	}
	if err := unsupported.Sign(other.Signer); err != nil {
		t.Fatal(err)
	}

	// ElGamal garlic to d whose payload is not a legacy garlic.
	elgPeer := garlic.NewElGamalSessions(nil, garlic.ElGamalConfig{})
	dElg := d.keys.ElGamal.Public()
	elgJunk, _, err := elgPeer.Encrypt(dElg[:], []byte("not a garlic structure"), now)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		m    i2np.Message
	}{
		{"not a garlic", mustMessage(t, i2np.DataMessage{Data: good})},
		{"empty garlic", i2np.Message{Type: i2np.Garlic}},
		{"garlic length past the end", i2np.Message{Type: i2np.Garlic, Payload: []byte{0, 0, 1, 0, 9}}},
		{"random bytes", garlicMsg(t, randomBytes(300))},
		{"random New Session sized", garlicMsg(t, randomBytes(garlic.ElGamalBlockLen+64))},
		{"random Existing Session sized", garlicMsg(t, randomBytes(32+64))},
		{"ElGamal garlic with a bad payload", garlicMsg(t, elgJunk)},
		{"clove that does not parse", garlicMsg(t, seal(garlic.Block{Type: garlic.BlockGarlicClove, Data: []byte{0x60, 1, 2}}))},
		{"Data clove with a bad I2NP body", garlicMsg(t, seal(clove(garlic.Clove{Delivery: garlic.DeliveryLocal, Msg: i2np.Message{Type: i2np.Data, ID: 1, Expiration: now.Add(time.Minute), Payload: []byte{0, 0, 0, 9}}})))},
		{"Data clove that is not gzip", garlicMsg(t, seal(dataClove([]byte("plain text, no gzip header"))))},
		{"Data clove with a bad CRC", garlicMsg(t, seal(dataClove(append(bytes.Clone(good[:len(good)-8]), 1, 2, 3, 4, 5, 6, 7, 8))))},
		{"Data clove for another destination", garlicMsg(t, seal(clove(garlic.Clove{Delivery: garlic.DeliveryDestination, To: other.Destination.Hash(), Msg: mustMessage(t, i2np.DataMessage{Data: good})})))},
		{"clove for a router", garlicMsg(t, seal(clove(garlic.Clove{Delivery: garlic.DeliveryRouter, To: gw, Msg: mustMessage(t, i2np.DataMessage{Data: good})})))},
		{"Data clove for an unhandled protocol", garlicMsg(t, seal(dataClove(mustPayload(t, 99))))},
		{"DatabaseStore with a tampered LeaseSet", garlicMsg(t, seal(store(other.Destination.Hash(), data.StoreLeaseSet2, tampered)))},
		{"DatabaseStore under another key", garlicMsg(t, seal(store(d.Hash(), data.StoreLeaseSet2, ls.Bytes())))},
		{"DatabaseStore of garbage", garlicMsg(t, seal(store(other.Destination.Hash(), data.StoreLeaseSet2, randomBytes(200))))},
		{"DatabaseStore of a RouterInfo type", garlicMsg(t, seal(store(other.Destination.Hash(), data.StoreRouterInfo, randomBytes(200))))},
		{"DatabaseStore of a LeaseSet without a usable key", garlicMsg(t, seal(store(other.Destination.Hash(), data.StoreLeaseSet2, unsupported.Bytes())))},
	}
	for _, tc := range cases {
		before := d.Stats()
		d.deliver(gw, tc.m)
		after := d.Stats()
		if after.Dropped != before.Dropped+1 {
			t.Errorf("%s: dropped %d → %d, want one more", tc.name, before.Dropped, after.Dropped)
		}
		if after.Remotes != 0 || len(in.all()) != 0 {
			t.Fatalf("%s: reached the destination: %d remotes, %d payloads", tc.name, after.Remotes, len(in.all()))
		}
	}

	// Corrupted copies of a good message: every one fails to open.
	valid := seal(dataClove(good))
	for i := range 200 {
		g := bytes.Clone(valid)
		g[i*7%len(g)] ^= byte(1 + i%255)
		d.deliver(gw, garlicMsg(t, g))
	}
	if len(in.all()) != 0 {
		t.Fatal("a corrupted garlic was opened")
	}
	// The good one still opens.
	before := d.Stats().Dropped
	d.deliver(gw, garlicMsg(t, valid))
	expectGot(t, in, 1, 1, 2, []byte("good"))
	if d.Stats().Dropped != before {
		t.Fatal("the good message counted as dropped")
	}
}

func mustPayload(t *testing.T, proto uint8) []byte {
	t.Helper()
	p, err := EncodePayload(proto, 1, 2, []byte("x"), false)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSendErrors: Send fails cleanly before tunnels, for an unknown
// destination, and after Close.
func TestSendErrors(t *testing.T) {
	w := newWorld(t)
	a, _ := w.dest(Config{Name: "a"})
	b, _ := w.dest(Config{Name: "b"})
	ctx := context.Background()
	if err := a.Send(ctx, b.Hash(), ProtoDatagram, 0, 0, nil); err == nil {
		t.Fatal("Send to a destination with no LeaseSet")
	}
	w.ready(a, b)
	var nobody data.Hash
	nobody[0] = 1
	if err := a.Send(ctx, nobody, ProtoDatagram, 0, 0, nil); err == nil {
		t.Fatal("Send to an unknown destination")
	}
	a.Close()
	if err := a.Send(ctx, b.Hash(), ProtoDatagram, 0, 0, nil); err != ErrClosed {
		t.Fatalf("Send after Close: %v", err)
	}
	if err := a.Run(ctx); err != ErrClosed {
		t.Fatalf("Run after Close: %v", err)
	}
	if in, out := a.Pool().Counts(); in+out != 0 {
		t.Fatal("closed destination still has tunnels")
	}
}
