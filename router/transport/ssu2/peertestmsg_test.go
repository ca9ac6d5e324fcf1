package ssu2

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func TestPeerTestLayout(t *testing.T) {
	sig := seq(64, 0xa0)
	hash := [32]byte(seq(32, 0x10))
	for _, tc := range []struct {
		p    PeerTest
		want []byte
	}{
		{PeerTest{Msg: 1, Ver: 2, Nonce: 0x01020304, Timestamp: 0x65000001, AddrPort: testV4, Signature: sig},
			cat(1, 0, 0, 2, []byte{1, 2, 3, 4}, []byte{0x65, 0, 0, 1}, v4Wire, sig)},
		{PeerTest{Msg: 2, Ver: 2, Hash: hash, Nonce: 0x01020304, Timestamp: 0x65000001, AddrPort: testV6, Signature: sig},
			cat(2, 0, 0, hash, 2, []byte{1, 2, 3, 4}, []byte{0x65, 0, 0, 1}, v6Wire, sig)},
		{PeerTest{Msg: 3, Code: PeerTestCharlieAliceUnknown, Ver: 2, Nonce: 5, Timestamp: 6, AddrPort: testV4, Signature: sig},
			cat(3, 70, 0, 2, []byte{0, 0, 0, 5}, []byte{0, 0, 0, 6}, v4Wire, sig)},
		{PeerTest{Msg: 4, Code: PeerTestBobNoCharlie, Ver: 2, Nonce: 5, Timestamp: 6, AddrPort: testV4, Signature: sig},
			cat(4, 2, 0, make([]byte, 32), 2, []byte{0, 0, 0, 5}, []byte{0, 0, 0, 6}, v4Wire, sig)},
		{PeerTest{Msg: 5, Ver: 2, Nonce: 5, Timestamp: 6, AddrPort: testV6, Signature: sig},
			cat(5, 0, 0, 2, []byte{0, 0, 0, 5}, []byte{0, 0, 0, 6}, v6Wire, sig)},
		{PeerTest{Msg: 6, Ver: 2, Nonce: 5, Timestamp: 6, AddrPort: testV4}, // no signature
			cat(6, 0, 0, 2, []byte{0, 0, 0, 5}, []byte{0, 0, 0, 6}, v4Wire)},
		{PeerTest{Msg: 7, Flag: 0x80, Ver: 2, Nonce: 5, Timestamp: 6, AddrPort: testV4, Signature: sig[:3]},
			cat(7, 0, 0x80, 2, []byte{0, 0, 0, 5}, []byte{0, 0, 0, 6}, v4Wire, sig[:3])},
	} {
		got := tc.p.Append(nil)
		if !bytes.Equal(got, tc.want) {
			t.Fatalf("msg %d: Append\n got %x\nwant %x", tc.p.Msg, got, tc.want)
		}
		p, err := ParsePeerTest(tc.want)
		if err != nil {
			t.Fatalf("msg %d: %v", tc.p.Msg, err)
		}
		if !reflect.DeepEqual(p, tc.p) {
			t.Fatalf("msg %d: parse %+v, want %+v", tc.p.Msg, p, tc.p)
		}
		// i2pd's HandlePeerTest: offset 3 (35 with a hash), nonce at
		// offset+1, asz at offset+9, signature at offset+10+asz.
		off := 3
		if tc.p.Msg == 2 || tc.p.Msg == 4 {
			off = 35
		}
		asz := int(got[off+9])
		if got[off] != 2 || binary.BigEndian.Uint32(got[off+1:]) != tc.p.Nonce || !bytes.Equal(got[off+10+asz:], tc.p.Signature) {
			t.Fatalf("msg %d: i2pd offsets", tc.p.Msg)
		}
	}
	// The hash is written for messages 2 and 4 only.
	p := PeerTest{Msg: 1, Hash: hash, Ver: 2, AddrPort: testV4, Signature: sig}
	if got := p.Append(nil); len(got) != 3+10+6+64 {
		t.Fatalf("message 1 with a hash: %d bytes", len(got))
	}
}

// TestPeerTestFlow runs the signatures of messages 1-7 as i2pd does.
func TestPeerTestFlow(t *testing.T) {
	alice, bob, charlie := newCodecRouter(t, 1), newCodecRouter(t, 2), newCodecRouter(t, 3)

	// 1: Alice to Bob, signed by Alice: prologue, bhash, ver..IP.
	m1 := PeerTest{Msg: 1, Ver: 2, Nonce: 0x0badf00d, Timestamp: 1700000000, AddrPort: testV6}
	if err := m1.Sign(bob.hash, nil, alice.sign); err != nil {
		t.Fatal(err)
	}
	w1 := m1.Append(nil)
	msgA := cat("PeerTestValidate", bob.hash, w1[3:3+10+18])
	if !bytes.Equal(m1.SignedData(bob.hash, nil), msgA) {
		t.Fatal("message 1 SignedData")
	}
	if !ed25519.Verify(alice.priv.Public().(ed25519.PublicKey), msgA, w1[3+10+18:]) {
		t.Fatal("message 1 independent verification")
	}

	// 2: Bob to Charlie, Alice's hash and message 1's data unmodified.
	p1, err := ParsePeerTest(w1)
	if err != nil {
		t.Fatal(err)
	}
	m2 := p1
	m2.Msg, m2.Hash = 2, alice.hash
	w2 := m2.Append(nil)
	if !bytes.Equal(w2, cat(2, 0, 0, alice.hash, w1[3:])) {
		t.Fatal("message 2 is not message 1 forwarded")
	}
	p2, err := ParsePeerTest(w2)
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Verify(bob.hash, nil, alice.id.Verify); err != nil {
		t.Fatalf("Charlie verifying message 2: %v", err)
	}
	if err := p2.Verify(bob.hash, &alice.hash, alice.id.Verify); err == nil {
		t.Fatal("Alice's signature verified as Charlie's form")
	}

	// 3: Charlie to Bob, same data, Charlie's signature with Alice's hash.
	m3 := PeerTest{Msg: 3, Code: PeerTestAccept, Ver: p2.Ver, Nonce: p2.Nonce, Timestamp: p2.Timestamp, AddrPort: p2.AddrPort}
	if err := m3.Sign(bob.hash, &p2.Hash, charlie.sign); err != nil {
		t.Fatal(err)
	}
	w3 := m3.Append(nil)
	msgC := cat("PeerTestValidate", bob.hash, alice.hash, w3[3:3+10+18])
	if !bytes.Equal(m3.SignedData(bob.hash, &alice.hash), msgC) {
		t.Fatal("message 3 SignedData")
	}
	if !bytes.Equal(w3[3+10+18:], ed25519.Sign(charlie.priv, msgC)) {
		t.Fatal("message 3 signature")
	}

	// 4: Bob to Alice with Charlie's hash; Alice verifies with her own.
	p3, err := ParsePeerTest(w3)
	if err != nil {
		t.Fatal(err)
	}
	m4 := p3
	m4.Msg, m4.Hash = 4, charlie.hash
	p4, err := ParsePeerTest(m4.Append(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p4.Hash != charlie.hash {
		t.Fatal("message 4 hash")
	}
	if err := p4.Verify(bob.hash, &alice.hash, charlie.id.Verify); err != nil {
		t.Fatalf("Alice verifying message 4: %v", err)
	}
	if err := p4.Verify(bob.hash, nil, charlie.id.Verify); err == nil {
		t.Fatal("Charlie's signature verified without Alice's hash")
	}

	// 5, 6, 7 carry Charlie's signed data and signature (i2pd).
	for _, n := range []uint8{5, 6, 7} {
		m := p4
		m.Msg, m.Hash = n, [32]byte{}
		p, err := ParsePeerTest(m.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(bob.hash, &alice.hash, charlie.id.Verify); err != nil {
			t.Fatalf("message %d: %v", n, err)
		}
	}

	// Bob rejects: message 4 with a zero hash, code 2 and Alice's data.
	rej := p1
	rej.Msg, rej.Code = 4, PeerTestBobNoCharlie
	wr := rej.Append(nil)
	if !bytes.Equal(wr, cat(4, 2, 0, make([]byte, 32), w1[3:])) {
		t.Fatal("Bob's rejection")
	}
	pr, err := ParsePeerTest(wr)
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.Verify(bob.hash, nil, alice.id.Verify); err != nil {
		t.Fatal(err)
	}

	// No signature.
	m6 := PeerTest{Msg: 6, Ver: 2, AddrPort: testV4}
	if err := m6.Verify(bob.hash, nil, alice.id.Verify); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("unsigned: %v", err)
	}
}

func TestPeerTestMalformed(t *testing.T) {
	sig := seq(64, 1)
	for msg := uint8(1); msg <= 7; msg++ {
		p := PeerTest{Msg: msg, Ver: 2, Hash: [32]byte{1}, Nonce: 1, Timestamp: 2, AddrPort: testV6, Signature: sig}
		w := p.Append(nil)
		hdr := 3
		if msg == 2 || msg == 4 {
			hdr = 35
		}
		minLen := hdr + 10 + 18
		if msg <= 4 {
			minLen++ // signature required
		}
		for n := 0; n < len(w); n++ {
			_, err := ParsePeerTest(w[:n])
			if (err == nil) != (n >= minLen) {
				t.Errorf("msg %d truncated to %d: %v", msg, n, err)
			}
			if err != nil && !errors.Is(err, ErrPeerTestBlock) {
				t.Errorf("msg %d truncated to %d: %v does not wrap ErrPeerTestBlock", msg, n, err)
			}
		}
		for _, sz := range []byte{0, 1, 5, 7, 17, 19, 255} {
			b := append([]byte(nil), w...)
			b[hdr+9] = sz
			if _, err := ParsePeerTest(b); !errors.Is(err, ErrPeerTestBlock) {
				t.Errorf("msg %d endpoint size %d: %v", msg, sz, err)
			}
		}
		long := append(append([]byte(nil), w...), make([]byte, MaxRelaySignatureLen)...)
		if _, err := ParsePeerTest(long); !errors.Is(err, ErrPeerTestBlock) {
			t.Errorf("msg %d long signature: %v", msg, err)
		}
	}
	for _, msg := range []byte{0, 8, 255} {
		p := PeerTest{Msg: 1, Ver: 2, AddrPort: testV4, Signature: sig}
		w := p.Append(nil)
		w[0] = msg
		if _, err := ParsePeerTest(w); !errors.Is(err, ErrPeerTestBlock) {
			t.Errorf("message number %d: %v", msg, err)
		}
	}
}

func FuzzParsePeerTest(f *testing.F) {
	sig := seq(64, 9)
	for msg := uint8(1); msg <= 7; msg++ {
		f.Add(PeerTest{Msg: msg, Ver: 2, Hash: [32]byte{msg}, Nonce: 1, Timestamp: 2, AddrPort: testV4, Signature: sig}.Append(nil))
		f.Add(PeerTest{Msg: msg, Code: 64, Ver: 2, Nonce: 1, Timestamp: 2, AddrPort: testV6, Signature: sig[:1]}.Append(nil))
	}
	f.Add([]byte{})
	f.Add([]byte{5, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 18})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePeerTest(b)
		if err != nil {
			return
		}
		enc := p.Append(nil)
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs\n got %x\nwant %x", enc, b)
		}
		p2, err := ParsePeerTest(enc)
		if err != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, p, p2)
		}
		h := [32]byte{}
		_ = p.SignedData(h, &h)
	})
}
