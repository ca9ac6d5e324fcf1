package garlic

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRatchetExpire walks the timeouts of ecies.rst "Parameters" on the
// fake clock of testing/synctest.
func TestRatchetExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		alice, bob := newParties(t, RatchetConfig{RatchetAfter: 3})
		carol := testKey(t, 3)
		handshake(t, alice, bob, time.Now())
		// One DH ratchet from Alice to Bob: Bob keeps both tag sets.
		for i := uint32(10); i < 20; i++ {
			send(t, alice, bob, i, time.Now(), "ES")
			send(t, bob, alice, 100+i, time.Now(), "ES")
		}
		bs := bob.session(t, alice.kp.Public)
		if len(bs.recv) < 2 {
			t.Fatalf("Bob has %d tag sets, want a previous one", len(bs.recv))
		}
		var old []*inTagSet // replaced, so kept for PrevTagSetTimeout
		old = append(old, bs.recv[:len(bs.recv)-1]...)
		kept := func(ts *inTagSet) bool {
			for _, o := range bs.recv {
				if o == ts {
					return true
				}
			}
			return false
		}
		// An NS to Carol, who never answers.
		if _, err := alice.r.Encrypt(carol.Public, nil, time.Now()); err != nil {
			t.Fatal(err)
		}

		time.Sleep(2 * time.Minute)
		send(t, alice, bob, 30, time.Now(), "ES")
		bob.r.Expire(time.Now())
		alice.r.Expire(time.Now())
		for _, ts := range old {
			if !kept(ts) {
				t.Errorf("after 2 minutes Bob dropped tag set %d", ts.id)
			}
		}
		if alice.r.Stats().Peers != 2 {
			t.Errorf("Carol's NS dropped before NSRTimeout")
		}

		time.Sleep(time.Minute + time.Second)
		bob.r.Expire(time.Now())
		alice.r.Expire(time.Now())
		for _, ts := range old {
			if kept(ts) || len(ts.tags) != 0 {
				t.Errorf("after 3 minutes Bob keeps tag set %d", ts.id)
			}
		}
		if st := alice.r.Stats(); st.Peers != 1 {
			t.Errorf("Carol's NS kept past NSRTimeout: %+v", st)
		}
		send(t, alice, bob, 31, time.Now(), "ES")

		// Idle past SendTimeout: Alice starts over; Bob's session is older
		// than RestartAfter, so he answers.
		time.Sleep(8*time.Minute + time.Second)
		send(t, alice, bob, 32, time.Now(), "NS")
		if !bob.r.Pending(alice.kp.Public) {
			t.Error("Bob owes no NSR to the new NS")
		}
		if st := bob.r.Stats().ReplayKeys; st != 1 {
			t.Errorf("replay filter holds %d keys, want 1", st)
		}

		// Nothing for RecvTimeout: all gone, the replay filter too.
		time.Sleep(10*time.Minute + time.Second)
		for name, r := range map[string]*Ratchet{"Alice": alice.r, "Bob": bob.r} {
			r.Expire(time.Now())
			if st := r.Stats(); st != (RatchetStats{}) {
				t.Errorf("%s after expiry: %+v", name, st)
			}
		}
	})
}
