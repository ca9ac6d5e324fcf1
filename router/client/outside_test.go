package client

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// TestSignedOutside runs a destination as I2CP does: the router has only
// the Destination, an outside signer makes the LeaseSet, payloads go
// both ways undecoded.
func TestSignedOutside(t *testing.T) {
	w := newWorld(t)
	ka := w.keys() // the "client" holds these
	var calls int
	var mu sync.Mutex
	var got [][]byte
	fail := true
	sign := func(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []PrivateKey, error) {
		calls++
		if fail {
			fail = false
			return nil, nil, errors.New("client went away")
		}
		pub := ka.ElGamal.Public()
		ls := &data.LeaseSet2{LeaseSet2Header: data.LeaseSet2Header{Destination: ka.Destination, Published: w.now().Truncate(time.Second)},
			EncryptionKeys: []data.EncryptionKey{{Type: data.CryptoX25519, Key: ka.Encryption.Public[:]}, {Type: data.CryptoElGamal, Key: pub[:]}},
			Leases:         leases}
		for _, l := range leases {
			if l.End.After(ls.Expires) {
				ls.Expires = l.End
			}
		}
		if err := ls.Sign(ka.Signer); err != nil {
			return nil, nil, err
		}
		return ls, []PrivateKey{{Type: data.CryptoX25519, Key: ka.Encryption.Private[:]}, {Type: data.CryptoElGamal, Key: ka.ElGamal.Bytes()}}, nil
	}
	if _, err := New(Config{Keys: &Keys{Destination: ka.Destination}}, nil); err == nil {
		t.Fatal("New took keys without a signer and no SignLeaseSet")
	}
	a, _ := w.dest(Config{Name: "a", Keys: &Keys{Destination: ka.Destination}, SignLeaseSet: sign})
	b, _ := w.dest(Config{Name: "b"})
	a.HandlePayloads(func(p []byte) {
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	})
	inB := newInbox(b, ProtoRaw)
	w.build()
	a.maintain(context.Background()) // the signer fails once
	if a.LeaseSet() != nil || calls != 1 {
		t.Fatalf("LeaseSet after a failed signing: %v, %d calls", a.LeaseSet() != nil, calls)
	}
	w.clk.Advance(republishAfter)
	w.ready(a, b)
	if calls != 2 || a.Signer() != nil {
		t.Fatalf("%d calls; Signer %v", calls, a.Signer())
	}
	a.maintain(context.Background())
	if calls != 2 {
		t.Fatalf("signed again with the same tunnels: %d calls", calls)
	}

	body, _ := EncodePayload(ProtoRaw, 3, 4, []byte("from the client"), false)
	if err := a.SendPayload(context.Background(), b.Hash(), body); err != nil {
		t.Fatal(err)
	}
	w.n.Flush()
	expectGot(t, inB, 1, 3, 4, []byte("from the client"))
	sendFlush(t, w, b, a.Hash(), ProtoRaw, 5, 6, []byte("to the client"))
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d payloads at a", len(got))
	}
	proto, sp, dp, p, err := DecodePayload(got[0], 0)
	if err != nil || proto != ProtoRaw || sp != 5 || dp != 6 || !bytes.Equal(p, []byte("to the client")) {
		t.Fatalf("payload %d %d %d %q %v", proto, sp, dp, p, err)
	}
}

// TestSignedOutsideUnpublished: an unpublished LeaseSet (the client's
// i2cp.dontPublishLeaseSet) is used but not stored at floodfills.
func TestSignedOutsideUnpublished(t *testing.T) {
	w := newWorld(t)
	ka := w.keys()
	sign := func(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []PrivateKey, error) {
		ls := &data.LeaseSet2{LeaseSet2Header: data.LeaseSet2Header{Destination: ka.Destination, Published: w.now().Truncate(time.Second),
			Expires: w.now().Add(5 * time.Minute).Truncate(time.Second), Flags: data.LS2FlagUnpublished},
			EncryptionKeys: []data.EncryptionKey{{Type: data.CryptoX25519, Key: ka.Encryption.Public[:]}}, Leases: leases}
		if err := ls.Sign(ka.Signer); err != nil {
			return nil, nil, err
		}
		return ls, []PrivateKey{{Type: data.CryptoX25519, Key: ka.Encryption.Private[:]}}, nil
	}
	a, tn := w.dest(Config{Name: "a", Keys: &Keys{Destination: ka.Destination}, SignLeaseSet: sign})
	w.build()
	a.maintain(context.Background())
	if a.LeaseSet() == nil || !a.LeaseSet().IsUnpublished() {
		t.Fatal("no unpublished LeaseSet")
	}
	if n := tn.publishes.Load(); n != 0 {
		t.Fatalf("%d publishes of an unpublished LeaseSet", n)
	}
	// A LeaseSet without the private key of its X25519 key is refused,
	// and so is one of another destination.
	kb := w.keys()
	noKey := func(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []PrivateKey, error) {
		ls := &data.LeaseSet2{LeaseSet2Header: data.LeaseSet2Header{Destination: kb.Destination, Published: w.now().Truncate(time.Second),
			Expires: w.now().Add(5 * time.Minute).Truncate(time.Second)},
			EncryptionKeys: []data.EncryptionKey{{Type: data.CryptoX25519, Key: kb.Encryption.Public[:]}}, Leases: leases}
		if err := ls.Sign(kb.Signer); err != nil {
			return nil, nil, err
		}
		return ls, nil, nil
	}
	b, _ := w.dest(Config{Name: "b", Keys: &Keys{Destination: kb.Destination}, SignLeaseSet: noKey})
	c, _ := w.dest(Config{Name: "c", Keys: &Keys{Destination: w.keys().Destination}, SignLeaseSet: sign})
	w.build()
	b.maintain(context.Background())
	c.maintain(context.Background())
	if b.LeaseSet() != nil || c.LeaseSet() != nil {
		t.Fatal("a LeaseSet without its private key, or of another destination, was taken")
	}
}
