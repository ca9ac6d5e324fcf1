package garlic

import (
	"errors"
	"testing"
)

// ratchetFixture is a deterministic Alice and Bob after a handshake, with
// messages of every kind not yet delivered: a second NSR for Alice, an ES
// each way, a bound and an unbound NS from Carol to Bob.
func ratchetFixture(t testing.TB) (alice, bob party, msgs [][]byte) {
	alice, bob = newParties(t, RatchetConfig{RatchetAfter: 2})
	enc := func(from, to party, id uint32, extra ...Block) []byte {
		m, err := from.r.Encrypt(to.kp.Public, append([]Block{dataClove(t, id, 16)}, extra...), t0)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	dec := func(to party, m []byte) {
		if _, _, err := to.r.Decrypt(m, t0); err != nil {
			t.Fatal(err)
		}
	}
	dec(bob, enc(alice, bob, 1))
	nsr1 := enc(bob, alice, 2)
	nsr2 := enc(bob, alice, 3)
	dec(alice, nsr1)
	dec(bob, enc(alice, bob, 4))
	dec(alice, enc(bob, alice, 5))
	for i := uint32(6); i < 10; i++ { // into a DH ratchet
		dec(bob, enc(alice, bob, i))
		dec(alice, enc(bob, alice, 100+i))
	}
	ack := Block{Type: BlockACKRequest, Data: []byte{0}}
	carol := party{kp: testKey(t, 3)}
	carol.r = NewRatchet(carol.kp, RatchetConfig{Rand: seeded(13)})
	unbound, err := carol.r.EncryptUnbound(bob.kp.Public, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	msgs = [][]byte{nsr2, enc(alice, bob, 20, ack), enc(bob, alice, 21), enc(carol, bob, 22), unbound}
	return alice, bob, msgs
}

// FuzzRatchetDecrypt feeds arbitrary garlic data to both ends of a fresh
// fixture. Decrypt must not panic, and what it accepts once it must refuse
// the second time.
func FuzzRatchetDecrypt(f *testing.F) {
	_, _, msgs := ratchetFixture(f)
	for _, m := range msgs {
		f.Add(m)
	}
	f.Add(make([]byte, 24))
	f.Add(make([]byte, 103))
	f.Fuzz(func(t *testing.T, b []byte) {
		alice, bob, _ := ratchetFixture(t)
		for _, pp := range [][2]party{{alice, bob}, {bob, alice}} {
			p, other := pp[0], pp[1]
			blocks, _, err := p.r.Decrypt(b, t0)
			if err != nil {
				continue
			}
			if _, err := ParseBlocks(joinBlocks(t, blocks)); err != nil {
				t.Fatalf("accepted payload does not reparse: %v", err)
			}
			if _, _, err := p.r.Decrypt(b, t0); !errors.Is(err, ErrReplay) {
				t.Fatalf("second Decrypt of an accepted message: %v, want ErrReplay", err)
			}
			// The ratchet still works after whatever the input did.
			if _, err := p.r.Encrypt(other.kp.Public, nil, t0); err != nil {
				t.Fatalf("Encrypt after the input: %v", err)
			}
		}
	})
}

func BenchmarkRatchetES(b *testing.B) {
	alice, bob := newParties(b, RatchetConfig{})
	handshake(b, alice, bob, t0)
	blk := []Block{dataClove(b, 1, 1024)}
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		m, err := alice.r.Encrypt(bob.kp.Public, blk, t0)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := bob.r.Decrypt(m, t0); err != nil {
			b.Fatal(err)
		}
		if bob.r.Pending(alice.kp.Public) { // the reverse key of a DH ratchet
			m, err := bob.r.Encrypt(alice.kp.Public, nil, t0)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := alice.r.Decrypt(m, t0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkRatchetNS(b *testing.B) {
	cfg := RatchetConfig{MaxReplayKeys: 1 << 22}
	alice, bob := newParties(b, cfg)
	blk := []Block{dataClove(b, 1, 1024)}
	b.ReportAllocs()
	for b.Loop() {
		m, err := alice.r.Encrypt(bob.kp.Public, blk, t0)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := bob.r.Decrypt(m, t0); err != nil {
			b.Fatal(err)
		}
	}
}
