package garlic

import (
	"bytes"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/i2np"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// seeded returns a deterministic random source.
func seeded(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func testKey(t testing.TB, seed byte) crypto.X25519KeyPair {
	t.Helper()
	kp, err := crypto.GenerateX25519(seeded(seed))
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

type party struct {
	kp crypto.X25519KeyPair
	r  *Ratchet
}

func newParties(t testing.TB, cfg RatchetConfig) (alice, bob party) {
	t.Helper()
	alice.kp, bob.kp = testKey(t, 1), testKey(t, 2)
	ca, cb := cfg, cfg
	ca.Rand, cb.Rand = seeded(11), seeded(12)
	alice.r, bob.r = NewRatchet(alice.kp, ca), NewRatchet(bob.kp, cb)
	return alice, bob
}

// dataClove is a Garlic Clove block carrying an I2NP Data message whose
// ID is id.
func dataClove(t testing.TB, id uint32, size int) Block {
	t.Helper()
	m := i2np.Message{Type: i2np.Data, ID: i2np.MessageID(id), Expiration: t0.Add(time.Minute), Payload: bytes.Repeat([]byte{byte(id)}, size)}
	b, err := Clove{Delivery: DeliveryLocal, Msg: m}.Block()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cloveIDs returns the message IDs of the cloves among blocks.
func cloveIDs(t testing.TB, blocks []Block) []uint32 {
	t.Helper()
	var ids []uint32
	for _, b := range blocks {
		if b.Type != BlockGarlicClove {
			continue
		}
		c, err := b.Clove()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, uint32(c.Msg.ID))
	}
	return ids
}

// kindOf classifies msg as r would receive it.
func kindOf(r *Ratchet, msg []byte) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.tags.m[tagValue(msg)]
	switch {
	case !ok:
		return "NS"
	case ref.ts.kind == kindNSR:
		return "NSR"
	}
	return "ES"
}

// send encrypts a clove with id from `from` to `to` and decrypts it there,
// checking the kind of message and the clove.
func send(t testing.TB, from, to party, id uint32, now time.Time, wantKind string) []Block {
	t.Helper()
	msg, err := from.r.Encrypt(to.kp.Public, []Block{dataClove(t, id, 32)}, now)
	if err != nil {
		t.Fatalf("Encrypt %d: %v", id, err)
	}
	if k := kindOf(to.r, msg); wantKind != "" && k != wantKind {
		t.Fatalf("message %d is %s, want %s", id, k, wantKind)
	}
	blocks, peer, err := to.r.Decrypt(msg, now)
	if err != nil {
		t.Fatalf("Decrypt %d: %v", id, err)
	}
	if peer != from.kp.Public {
		t.Fatalf("message %d: peer %x, want %x", id, peer[:4], from.kp.Public[:4])
	}
	if ids := cloveIDs(t, blocks); len(ids) != 1 || ids[0] != id {
		t.Fatalf("message %d: cloves %v", id, ids)
	}
	return blocks
}

func (p party) session(t testing.TB, peer [KeyLen]byte) *session {
	t.Helper()
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	pr := p.r.peers[peer]
	if pr == nil || pr.out == nil {
		t.Fatalf("no established session with %x", peer[:4])
	}
	return pr.out
}

func handshake(t testing.TB, alice, bob party, now time.Time) {
	t.Helper()
	send(t, alice, bob, 1, now, "NS")
	if !bob.r.Pending(alice.kp.Public) {
		t.Fatal("Bob owes no NSR after an NS")
	}
	send(t, bob, alice, 2, now, "NSR")
	if !alice.r.Pending(bob.kp.Public) {
		t.Fatal("Alice owes no ES after an NSR")
	}
	send(t, alice, bob, 3, now, "ES")
	if alice.r.Pending(bob.kp.Public) || bob.r.Pending(alice.kp.Public) {
		t.Fatal("Pending after the handshake")
	}
	send(t, bob, alice, 4, now, "ES")
}

func TestRatchetHandshake(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	handshake(t, alice, bob, t0)
	for i := uint32(5); i < 40; i++ {
		send(t, alice, bob, i, t0, "ES")
		send(t, bob, alice, 1000+i, t0, "ES")
	}
	as, bs := alice.session(t, bob.kp.Public), bob.session(t, alice.kp.Public)
	if !as.alice || bs.alice {
		t.Error("roles swapped")
	}
	if as.send.chain.nextTag != 36 || bs.send.chain.nextTag != 36 {
		t.Errorf("sent %d and %d ES", as.send.chain.nextTag, bs.send.chain.nextTag)
	}
	st := bob.r.Stats()
	if st.Peers != 1 || st.Sessions != 1 || st.Established != 1 {
		t.Errorf("Bob's stats %+v", st)
	}
}

// TestRatchetSizes checks the overheads of ecies.rst: 96, 72 and 24 bytes.
func TestRatchetSizes(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	blk := dataClove(t, 7, 100)
	plen := func(ns bool) (lo, hi int) {
		n := BlockHeaderLen + len(blk.Data) + BlockHeaderLen // clove, padding header
		if ns {
			n += 7
		}
		return n, n + maxPad - 1
	}
	check := func(msg []byte, overhead int, ns bool) {
		t.Helper()
		lo, hi := plen(ns)
		if len(msg) < overhead+lo || len(msg) > overhead+hi {
			t.Errorf("message of %d bytes, want %d+[%d,%d]", len(msg), overhead, lo, hi)
		}
	}
	ns, _ := alice.r.Encrypt(bob.kp.Public, []Block{blk}, t0)
	check(ns, 96, true)
	bob.r.Decrypt(ns, t0)
	nsr, _ := bob.r.Encrypt(alice.kp.Public, []Block{blk}, t0)
	check(nsr, 72, false)
	alice.r.Decrypt(nsr, t0)
	es, _ := alice.r.Encrypt(bob.kp.Public, []Block{blk}, t0)
	check(es, 24, false)
}

// TestRatchetDHRatchets runs enough messages with a low RatchetAfter that
// both directions go through several NextKey exchanges.
func TestRatchetDHRatchets(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{RatchetAfter: 5, TagWindowMin: 4, TagWindowMax: 16})
	handshake(t, alice, bob, t0)
	id := uint32(100)
	for round := range 60 {
		// Alice sends bursts, Bob answers each with one or two.
		for range 3 + round%3 {
			id++
			send(t, alice, bob, id, t0, "ES")
		}
		for range 1 + round%2 {
			id++
			send(t, bob, alice, id, t0, "ES")
		}
	}
	as, bs := alice.session(t, bob.kp.Public), bob.session(t, alice.kp.Public)
	t.Logf("Alice sends on tag set %d, Bob on %d", as.send.id, bs.send.id)
	if as.send.id < 8 || bs.send.id < 4 {
		t.Errorf("tag sets: Alice %d, Bob %d; want several ratchets each", as.send.id, bs.send.id)
	}
	// The receivers agree with the senders on the tag set IDs: the same,
	// or one ahead while the sender waits for the reverse key.
	agree := func(recv []*inTagSet, send *outTagSet, fwd *fwdRatchet) bool {
		got := recv[len(recv)-1].id
		return got == send.id || fwd != nil && got == fwd.newID
	}
	if !agree(bs.recv, as.send, as.fwd) {
		t.Errorf("Bob receives on tag set %d, Alice sends on %d", bs.recv[len(bs.recv)-1].id, as.send.id)
	}
	if !agree(as.recv, bs.send, bs.fwd) {
		t.Errorf("Alice receives on tag set %d, Bob sends on %d", as.recv[len(as.recv)-1].id, bs.send.id)
	}
	// Key IDs follow the spec's table: tag set = 1 + sender ID + receiver ID.
	if as.send.id != 1+as.myOBKeyID+as.hisIBKeyID {
		t.Errorf("tag set %d from key IDs %d and %d", as.send.id, as.myOBKeyID, as.hisIBKeyID)
	}
	if len(bs.recv) > maxInTagSets {
		t.Errorf("Bob keeps %d tag sets", len(bs.recv))
	}
}

// TestRatchetNextKeyLoss loses messages carrying NextKey blocks, in both
// directions; the exchange must still complete.
func TestRatchetNextKeyLoss(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{RatchetAfter: 3, TagWindowMin: 8, TagWindowMax: 32})
	handshake(t, alice, bob, t0)
	id := uint32(10)
	lost := 0
	for range 200 {
		id++
		as := alice.session(t, bob.kp.Public)
		msg, err := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, id, 8)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if as.fwd != nil && id%3 == 0 { // lose a third of Alice's forward keys
			lost++
		} else if _, _, err := bob.r.Decrypt(msg, t0); err != nil {
			t.Fatalf("Bob: %v", err)
		}
		id++
		bs := bob.session(t, alice.kp.Public)
		msg, err = bob.r.Encrypt(alice.kp.Public, []Block{dataClove(t, id, 8)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if bs.rev != nil && id%4 == 0 { // and a quarter of Bob's reverse keys
			lost++
			continue
		}
		if _, _, err := alice.r.Decrypt(msg, t0); err != nil {
			t.Fatalf("Alice: %v", err)
		}
	}
	as := alice.session(t, bob.kp.Public)
	if lost == 0 || as.send.id < 10 {
		t.Errorf("lost %d, Alice's tag set %d", lost, as.send.id)
	}
}

func TestRatchetOutOfOrder(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	handshake(t, alice, bob, t0)
	var msgs [][]byte
	for i := range 60 {
		m, err := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, uint32(100+i), 16)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	// Message 1 of tag set 0 was the handshake's; these are 1..60. The
	// window at N is 24 + N/4, so message 40 is beyond it at first.
	if _, _, err := bob.r.Decrypt(msgs[40], t0); err == nil {
		t.Fatal("a message beyond the look-ahead decrypted")
	}
	order := rand.New(rand.NewPCG(3, 4)).Perm(20)
	for _, i := range order {
		if _, _, err := bob.r.Decrypt(msgs[i], t0); err != nil {
			t.Fatalf("message %d out of order: %v", i, err)
		}
	}
	// The window at 20 is 29: each block of 10 may arrive in any order.
	for lo := 20; lo < 60; lo += 10 {
		for _, i := range rand.New(rand.NewPCG(uint64(lo), 4)).Perm(10) {
			if _, _, err := bob.r.Decrypt(msgs[lo+9-i], t0); err != nil {
				t.Fatalf("message %d out of order: %v", lo+9-i, err)
			}
		}
	}
	if _, _, err := bob.r.Decrypt(msgs[5], t0); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed ES: %v, want ErrReplay", err)
	}
	// Bob has consumed the cached keys: none left behind.
	bs := bob.session(t, alice.kp.Public)
	if n := len(bs.recv[0].keys); n != 0 {
		t.Errorf("%d skipped keys cached after all arrived", n)
	}
}

// TestRatchetLostNSR: Alice sends three NS, Bob's NSRs to the first are
// lost, and the handshake completes on a later one.
func TestRatchetLostNSR(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	for i := uint32(1); i <= 3; i++ {
		send(t, alice, bob, i, t0, "NS")
	}
	// Bob answers the newest NS twice; the first NSR is lost.
	if _, err := bob.r.Encrypt(alice.kp.Public, []Block{dataClove(t, 50, 8)}, t0); err != nil {
		t.Fatal(err)
	}
	send(t, bob, alice, 51, t0, "NSR")
	send(t, alice, bob, 4, t0, "ES")
	send(t, bob, alice, 52, t0, "ES")
	bs := bob.session(t, alice.kp.Public)
	if len(bs.replies) != 0 || len(bs.recv) != 1 {
		t.Errorf("Bob kept %d replies and %d tag sets", len(bs.replies), len(bs.recv))
	}
	// Bob dropped the older, unanswered NS sessions.
	if st := bob.r.Stats(); st.Sessions != 1 {
		t.Errorf("Bob has %d sessions", st.Sessions)
	}
	// Alice's two other NS sessions still wait for NSRs until NSRTimeout.
	if st := alice.r.Stats(); st.Sessions != 3 || st.Established != 1 {
		t.Errorf("Alice's stats %+v", st)
	}
}

// TestRatchetLateNSR: Bob answers Alice's first NS late, after Alice's
// second NS was answered and established; the late NSR is decrypted but
// changes nothing.
func TestRatchetLateNSR(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	bob2 := party{kp: bob.kp, r: NewRatchet(bob.kp, RatchetConfig{Rand: seeded(33)})} // a Bob that got only NS 1
	ns1, _ := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, 1, 8)}, t0)
	if _, _, err := bob2.r.Decrypt(ns1, t0); err != nil {
		t.Fatal(err)
	}
	send(t, alice, bob, 2, t0, "NS")
	send(t, bob, alice, 3, t0, "NSR")
	late, err := bob2.r.Encrypt(alice.kp.Public, []Block{dataClove(t, 4, 8)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := alice.r.Decrypt(late, t0); err != nil {
		t.Fatalf("late NSR: %v", err)
	}
	send(t, alice, bob, 5, t0, "ES") // still on the second NS's session
}

func TestRatchetReplayNS(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	ns, err := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, 1, 8)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.r.Decrypt(ns, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.r.Decrypt(ns, t0.Add(time.Second)); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed NS: %v, want ErrReplay", err)
	}
	// Other top bits, and the key's other representative, are the same key.
	flipped := bytes.Clone(ns)
	flipped[31] ^= 0xc0
	if _, _, err := bob.r.Decrypt(flipped, t0); !errors.Is(err, ErrReplay) {
		t.Errorf("NS with other top bits: %v, want ErrReplay", err)
	}
	aepk, _ := crypto.Elligator2Decode([32]byte(ns[:32]))
	alt := bytes.Clone(ns)
	for _, tw := range []byte{0, 1} {
		if r, _ := crypto.Elligator2Encode(aepk, tw); r[31]&0x3f == ns[31]&0x3f && bytes.Equal(r[:31], ns[:31]) {
			continue
		} else {
			copy(alt, r[:])
		}
	}
	if bytes.Equal(alt, ns) {
		t.Fatal("no other representative")
	}
	if _, _, err := bob.r.Decrypt(alt, t0); !errors.Is(err, ErrReplay) {
		t.Errorf("NS with the other representative: %v, want ErrReplay", err)
	}
	// An NSR replayed.
	nsr, _ := bob.r.Encrypt(alice.kp.Public, nil, t0)
	if _, _, err := alice.r.Decrypt(nsr, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := alice.r.Decrypt(nsr, t0); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed NSR: %v, want ErrReplay", err)
	}
	es, _ := alice.r.Encrypt(bob.kp.Public, nil, t0)
	if _, _, err := bob.r.Decrypt(es, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.r.Decrypt(es, t0); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed ES: %v, want ErrReplay", err)
	}
}

func TestRatchetStaleNS(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	ns, _ := alice.r.Encrypt(bob.kp.Public, nil, t0)
	for _, now := range []time.Time{t0.Add(5*time.Minute + time.Second), t0.Add(-2*time.Minute - time.Second)} {
		if _, _, err := bob.r.Decrypt(ns, now); !errors.Is(err, ErrStale) {
			t.Errorf("NS at %v: %v, want ErrStale", now.Sub(t0), err)
		}
	}
	if _, _, err := bob.r.Decrypt(ns, t0.Add(4*time.Minute)); err != nil {
		t.Errorf("NS 4 minutes old: %v", err)
	}
}

func TestRatchetUnbound(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	msg, err := alice.r.EncryptUnbound(bob.kp.Public, []Block{dataClove(t, 9, 40), {Type: BlockACKRequest, Data: []byte{0}}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	blocks, peer, err := bob.r.Decrypt(msg, t0)
	if err != nil {
		t.Fatal(err)
	}
	if peer != ([KeyLen]byte{}) {
		t.Errorf("unbound NS from %x", peer)
	}
	if ids := cloveIDs(t, blocks); len(ids) != 1 || ids[0] != 9 {
		t.Errorf("cloves %v", ids)
	}
	for _, b := range blocks {
		if b.Type == BlockACKRequest {
			t.Error("ACK Request left in an NS")
		}
	}
	if st := bob.r.Stats(); st.Sessions != 0 || st.Peers != 0 {
		t.Errorf("unbound NS left state: %+v", st)
	}
	if st := alice.r.Stats(); st.Sessions != 0 {
		t.Errorf("EncryptUnbound left state: %+v", st)
	}
	if _, _, err := bob.r.Decrypt(msg, t0); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed unbound NS: %v", err)
	}
}

func TestRatchetAck(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	handshake(t, alice, bob, t0)
	msg, err := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, 20, 8), {Type: BlockACKRequest, Data: []byte{0}}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.r.Decrypt(msg, t0); err != nil {
		t.Fatal(err)
	}
	if !bob.r.Pending(alice.kp.Public) {
		t.Fatal("no ACK pending")
	}
	reply, err := bob.r.Encrypt(alice.kp.Public, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if bob.r.Pending(alice.kp.Public) {
		t.Error("ACK still pending after an ES")
	}
	blocks, _, err := alice.r.Decrypt(reply, t0)
	if err != nil {
		t.Fatal(err)
	}
	var acks []Block
	for _, b := range blocks {
		if b.Type == BlockACK {
			acks = append(acks, b)
		}
	}
	// Alice's ES numbers: 0 was message 3 of the handshake, so this is 1.
	if len(acks) != 1 || !bytes.Equal(acks[0].Data, []byte{0, 0, 0, 1}) {
		t.Errorf("ACK blocks %v, want tag set 0 N 1", acks)
	}
}

func TestRatchetTermination(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	handshake(t, alice, bob, t0)
	msg, err := alice.r.Encrypt(bob.kp.Public, []Block{{Type: BlockTermination, Data: []byte{0}}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.r.Decrypt(msg, t0); err != nil {
		t.Fatal(err)
	}
	// Both ends start over with an NS.
	send(t, bob, alice, 30, t0, "NS")
	next, _ := alice.r.Encrypt(bob.kp.Public, nil, t0)
	if k := kindOf(bob.r, next); k != "NSR" {
		t.Errorf("Alice's next message is %s, want NSR to Bob's NS", k)
	}
}

// TestRatchetRestart: Alice loses her state; her new NS to Bob, whose
// session is older than RestartAfter, starts a new one.
func TestRatchetRestart(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	handshake(t, alice, bob, t0)
	now := t0.Add(time.Minute)
	alice2 := party{kp: alice.kp, r: NewRatchet(alice.kp, RatchetConfig{Rand: seeded(44)})}
	// Within RestartAfter the NS is delivered but the session stands.
	send(t, alice2, bob, 40, now, "NS")
	send(t, bob, alice, 41, now, "ES")
	now = t0.Add(4 * time.Minute)
	send(t, alice2, bob, 42, now, "NS")
	send(t, bob, alice2, 43, now, "NSR")
	send(t, alice2, bob, 44, now, "ES")
	send(t, bob, alice2, 45, now, "ES")
}

// TestRatchetCollision: Alice and Bob send each other an NS at once.
func TestRatchetCollision(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	nsA, _ := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, 1, 8)}, t0)
	nsB, _ := bob.r.Encrypt(alice.kp.Public, []Block{dataClove(t, 2, 8)}, t0)
	if _, _, err := bob.r.Decrypt(nsA, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := alice.r.Decrypt(nsB, t0); err != nil {
		t.Fatal(err)
	}
	send(t, alice, bob, 3, t0, "NSR")
	// Bob is established on his own NS now, and answers Alice's NS no
	// more: Alice's NS session will time out, and both use Bob's.
	send(t, bob, alice, 4, t0, "ES")
	for i := uint32(5); i < 15; i++ {
		send(t, alice, bob, i, t0, "ES")
		send(t, bob, alice, 100+i, t0, "ES")
	}
}

func TestRatchetCallerBlocks(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	for _, bad := range [][]Block{
		{{Type: BlockDateTime, Data: make([]byte, 4)}},
		{{Type: BlockNextKey, Data: make([]byte, 3)}},
		{PaddingBlock(1), dataClove(t, 1, 1)},
		{{Type: BlockTermination, Data: []byte{0}}, dataClove(t, 1, 1)},
	} {
		if _, err := alice.r.Encrypt(bob.kp.Public, bad, t0); err == nil {
			t.Errorf("Encrypt(%v) accepted", bad)
		}
	}
	big := Block{Type: BlockGarlicClove, Data: make([]byte, MaxBlockData)}
	if _, err := alice.r.Encrypt(bob.kp.Public, []Block{big}, t0); !errors.Is(err, ErrSize) {
		t.Errorf("oversized payload: %v, want ErrSize", err)
	}
	// The caller's Padding replaces ours.
	msg, err := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, 1, 1), PaddingBlock(100)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	blocks, _, err := bob.r.Decrypt(msg, t0)
	if err != nil {
		t.Fatal(err)
	}
	if last := blocks[len(blocks)-1]; last.Type != BlockPadding || len(last.Data) != 100 {
		t.Errorf("last block %v of %d bytes", last.Type, len(last.Data))
	}
}

func TestRatchetOneTimeTag(t *testing.T) {
	_, bob := newParties(t, RatchetConfig{MaxOneTimeTags: 2})
	var tag [TagLen]byte
	var key [KeyLen]byte
	binary.BigEndian.PutUint64(tag[:], 0x0102030405060708)
	key[0] = 9
	if err := bob.r.AddTag(tag, key, t0.Add(time.Minute), t0); err != nil {
		t.Fatal(err)
	}
	p, _ := AppendBlock(nil, dataClove(t, 77, 10))
	msg := SealWithTag(key, tag, p)
	blocks, peer, err := bob.r.Decrypt(msg, t0)
	if err != nil || peer != ([KeyLen]byte{}) {
		t.Fatalf("Decrypt = %v, %x", err, peer)
	}
	if ids := cloveIDs(t, blocks); len(ids) != 1 || ids[0] != 77 {
		t.Errorf("cloves %v", ids)
	}
	if _, _, err := bob.r.Decrypt(msg, t0); err == nil {
		t.Error("one-time tag used twice")
	}
	for i := range 2 {
		tag[0] = byte(i + 1)
		if err := bob.r.AddTag(tag, key, t0.Add(time.Minute), t0); err != nil {
			t.Fatal(err)
		}
	}
	tag[0] = 9
	if err := bob.r.AddTag(tag, key, t0.Add(time.Minute), t0); !errors.Is(err, ErrBusy) {
		t.Errorf("third tag: %v, want ErrBusy", err)
	}
	if err := bob.r.AddTag(tag, key, t0.Add(time.Minute), t0.Add(2*time.Minute)); err != nil {
		t.Errorf("after expiry: %v", err)
	}
}

// TestRatchetManyNS floods Bob with New Sessions from distinct keys and
// Alice with sessions to distinct peers: the state stays within the limits.
func TestRatchetManyNS(t *testing.T) {
	n := 3000
	if testing.Short() || raceEnabled {
		n = 1000
	}
	cfg := RatchetConfig{MaxPeers: 64, MaxTags: 4096, MaxReplayKeys: n + 10}
	bob := party{kp: testKey(t, 2)}
	bob.r = NewRatchet(bob.kp, cfg)
	alice := NewRatchet(testKey(t, 1), cfg)
	rng := seeded(5)
	for i := range n {
		kp, err := crypto.GenerateX25519(rng)
		if err != nil {
			t.Fatal(err)
		}
		a := NewRatchet(kp, RatchetConfig{Rand: rng})
		ns, err := a.Encrypt(bob.kp.Public, []Block{dataClove(t, uint32(i), 8)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, peer, err := bob.r.Decrypt(ns, t0); err != nil || peer != kp.Public {
			t.Fatalf("NS %d: %v", i, err)
		}
		if i%4 == 0 { // answer some, which makes tags
			if _, err := bob.r.Encrypt(kp.Public, nil, t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := alice.Encrypt(kp.Public, nil, t0); err != nil {
			t.Fatal(err)
		}
	}
	for name, r := range map[string]*Ratchet{"Bob": bob.r, "Alice": alice} {
		st := r.Stats()
		t.Logf("%s: %+v", name, st)
		if st.Peers > cfg.MaxPeers || st.Tags > cfg.MaxTags || st.Sessions > cfg.MaxPeers*DefaultMaxSessionsPerPeer {
			t.Errorf("%s over the limits: %+v", name, st)
		}
	}
	// The replay filter refuses, rather than forgets, past its limit.
	small := NewRatchet(bob.kp, RatchetConfig{MaxReplayKeys: 16})
	var err error
	for i := 0; i < 17 && err == nil; i++ {
		ns, _ := alice.EncryptUnbound(bob.kp.Public, nil, t0)
		_, _, err = small.Decrypt(ns, t0)
	}
	if !errors.Is(err, ErrBusy) {
		t.Errorf("17th NS with a 16-key filter: %v, want ErrBusy", err)
	}
}

func TestRatchetMalformed(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{})
	handshake(t, alice, bob, t0)
	es, _ := alice.r.Encrypt(bob.kp.Public, []Block{dataClove(t, 1, 8)}, t0)
	ns, _ := NewRatchet(testKey(t, 9), RatchetConfig{}).Encrypt(bob.kp.Public, nil, t0)
	cases := map[string][]byte{
		"empty":        nil,
		"short":        make([]byte, 23),
		"tag only":     es[:TagLen+MACLen-1],
		"ES bitflip":   func() []byte { b := bytes.Clone(es); b[len(b)-1] ^= 1; return b }(),
		"ES truncated": es[:len(es)-1],
		"NS bitflip":   func() []byte { b := bytes.Clone(ns); b[40] ^= 1; return b }(),
		"NS short":     ns[:minNS-1],
		"garbage":      bytes.Repeat([]byte{0x55}, 200),
	}
	for name, m := range cases {
		if _, _, err := bob.r.Decrypt(m, t0); err == nil {
			t.Errorf("%s: decrypted", name)
		}
	}
	// The genuine ES still decrypts after the forgeries with its tag.
	if _, _, err := bob.r.Decrypt(es, t0); err != nil {
		t.Errorf("genuine ES after forgeries: %v", err)
	}
}

func ExampleRatchet() {
	aliceKey, _ := crypto.GenerateX25519(nil)
	bobKey, _ := crypto.GenerateX25519(nil)
	alice := NewRatchet(aliceKey, RatchetConfig{})
	bob := NewRatchet(bobKey, RatchetConfig{})
	now := time.Now()
	ns, _ := alice.Encrypt(bobKey.Public, nil, now) // New Session
	_, from, _ := bob.Decrypt(ns, now)
	fmt.Println(from == aliceKey.Public, bob.Pending(aliceKey.Public))
	nsr, _ := bob.Encrypt(from, nil, now) // New Session Reply
	alice.Decrypt(nsr, now)
	es, _ := alice.Encrypt(bobKey.Public, nil, now) // Existing Session
	_, _, err := bob.Decrypt(es, now)
	fmt.Println(err)
	// Output:
	// true true
	// <nil>
}

// TestRatchetConcurrent sends both ways from several goroutines at once,
// for the race detector; a few messages in flight stay within the window.
func TestRatchetConcurrent(t *testing.T) {
	alice, bob := newParties(t, RatchetConfig{RatchetAfter: 20, Rand: nil})
	alice.r.cfg.Rand, bob.r.cfg.Rand = crand.Reader, crand.Reader // ChaCha8 is not safe for concurrent use
	handshake(t, alice, bob, t0)
	errc := make(chan error, 8)
	for g := range 4 {
		from, to := alice, bob
		if g%2 == 1 {
			from, to = bob, alice
		}
		go func() {
			for i := range 100 {
				m, err := from.r.Encrypt(to.kp.Public, []Block{dataClove(t, uint32(g<<16|i), 64)}, t0)
				if err == nil {
					_, _, err = to.r.Decrypt(m, t0)
				}
				if err != nil {
					errc <- fmt.Errorf("goroutine %d message %d: %w", g, i, err)
					return
				}
			}
			errc <- nil
		}()
	}
	for range 4 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	if as := alice.session(t, bob.kp.Public); as.send.id == 0 {
		t.Error("no DH ratchet under concurrent use")
	}
}
