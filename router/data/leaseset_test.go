package data

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

func newTestDest(t testing.TB) (Destination, crypto.Signer) {
	t.Helper()
	s, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDestination(crypto.SigEd25519, s.Public(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return d, s
}

func randHash() Hash {
	var h Hash
	rand.Read(h[:])
	return h
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// checkSigned checks an entry verifies, re-parses to the same bytes, and
// fails verification after any of a few byte flips.
func checkSigned(t *testing.T, e Entry, parse func([]byte) (Entry, error)) {
	t.Helper()
	if err := e.Verify(); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	b := e.Bytes()
	p, err := parse(b)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := p.Verify(); err != nil {
		t.Fatalf("Verify parsed: %v", err)
	}
	if !bytes.Equal(p.Bytes(), b) || p.Hash() != e.Hash() || p.StoreType() != e.StoreType() {
		t.Error("parsed entry differs")
	}
	if out, err := p.AppendBinary([]byte{9}); err != nil || !bytes.Equal(out[1:], b) {
		t.Errorf("AppendBinary: %v", err)
	}
	if q, err := ParseEntry(e.StoreType(), b); err != nil || q.Hash() != e.Hash() {
		t.Errorf("ParseEntry: %v", err)
	}
	for _, i := range []int{0, 390, 391, len(b) / 2, len(b) - 65, len(b) - 1} {
		c := bytes.Clone(b)
		c[i] ^= 0x80
		q, err := parse(c)
		if err != nil {
			continue
		}
		if q.Verify() == nil {
			t.Errorf("flipped byte %d of %d: Verify passed", i, len(b))
		}
	}
	for n := 0; n < len(b); n += 7 {
		if _, err := parse(b[:n]); err == nil {
			t.Errorf("parsed %d of %d bytes", n, len(b))
		}
	}
	if _, err := parse(append(bytes.Clone(b), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
}

func TestLeaseGolden(t *testing.T) {
	var h Hash
	for i := range h {
		h[i] = byte(i)
	}
	l := Lease{Gateway: h, TunnelID: 0x01020304, End: time.UnixMilli(0x0102030405)}
	b, _ := l.AppendBinary(nil)
	if want := append(h[:], 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4, 5); !bytes.Equal(b, want) {
		t.Errorf("Lease %x", b)
	}
	l2 := Lease2{Gateway: h, TunnelID: 7, End: time.Unix(0x01020304, 0)}
	b, _ = l2.AppendBinary(nil)
	if want := append(h[:], 0, 0, 0, 7, 1, 2, 3, 4); !bytes.Equal(b, want) {
		t.Errorf("Lease2 %x", b)
	}
	m := MetaLease{Hash: h, Flags: MetaLeaseLeaseSet2, Cost: 9, End: time.Unix(5, 0)}
	b, _ = m.AppendBinary(nil)
	if want := append(h[:], 0, 0, 3, 9, 0, 0, 0, 5); !bytes.Equal(b, want) {
		t.Errorf("MetaLease %x", b)
	}
	if got, _, err := ParseMetaLease(b); err != nil || got.Hash != m.Hash || got.Flags != m.Flags || got.Cost != m.Cost || !got.End.Equal(m.End) || got.Type() != MetaLeaseLeaseSet2 {
		t.Errorf("ParseMetaLease %+v %v", got, err)
	}
}

func TestLeaseSet(t *testing.T) {
	d, s := newTestDest(t)
	now := time.Now()
	ls := &LeaseSet{
		Destination:   d,
		EncryptionKey: randBytes(256),
		SigningKey:    randBytes(32),
		Leases: []Lease{
			{Gateway: randHash(), TunnelID: 1, End: now.Add(10 * time.Minute)},
			{Gateway: randHash(), TunnelID: 2, End: now.Add(9 * time.Minute)},
		},
	}
	if err := ls.Verify(); !errors.Is(err, ErrNotSigned) {
		t.Errorf("unsigned Verify: %v", err)
	}
	if err := ls.Sign(s); err != nil {
		t.Fatal(err)
	}
	if len(ls.Bytes()) != 391+256+32+1+2*44+64 {
		t.Errorf("length %d", len(ls.Bytes()))
	}
	if !ls.Leases[0].End.Equal(now.Add(10 * time.Minute).Truncate(time.Millisecond)) {
		t.Error("lease end not truncated to ms")
	}
	checkSigned(t, ls, func(b []byte) (Entry, error) { return ParseLeaseSet(b) })
	other, _ := crypto.GenerateEd25519(rand.Reader)
	if err := ls.Sign(other); !errors.Is(err, ErrWrongSigner) {
		t.Errorf("wrong signer: %v", err)
	}
	ls.Leases = make([]Lease, 17)
	if err := ls.Sign(s); err == nil {
		t.Error("17 leases accepted")
	}
}

func TestLeaseSet2(t *testing.T) {
	d, s := newTestDest(t)
	now := time.Now()
	opts, _ := NewMapping(Pair{"_smtp._tcp", "0 999999 25"}, Pair{"_http._tcp", "0 86400 80"})
	ls := &LeaseSet2{
		LeaseSet2Header: LeaseSet2Header{Destination: d, Published: now, Expires: now.Add(10 * time.Minute)},
		Options:         opts,
		EncryptionKeys:  []EncryptionKey{{CryptoX25519, randBytes(32)}, {CryptoElGamal, randBytes(256)}, {CryptoType(300), randBytes(5)}},
		Leases:          []Lease2{{Gateway: randHash(), TunnelID: 5, End: now.Add(10 * time.Minute)}},
	}
	if err := ls.Sign(s); err != nil {
		t.Fatal(err)
	}
	if !ls.Options.IsSorted() || ls.Published.Unix() != now.Unix() || ls.Expires.Unix() != now.Add(10*time.Minute).Unix() {
		t.Error("Sign did not normalise fields")
	}
	checkSigned(t, ls, func(b []byte) (Entry, error) { return ParseLeaseSet2(b) })

	// The signature covers the type byte 3: a signature over the bare
	// bytes must not verify.
	body := ls.Bytes()[:len(ls.Bytes())-64]
	bare, _ := s.Sign(body)
	forged := append(bytes.Clone(body), bare...)
	if p, err := ParseLeaseSet2(forged); err != nil || p.Verify() == nil {
		t.Errorf("signature without type prefix verified (%v)", err)
	}
	if err := crypto.Verify(crypto.SigEd25519, s.Public(), append([]byte{3}, body...), ls.Signature); err != nil {
		t.Errorf("signature is not over 0x03||content: %v", err)
	}

	// Offline signature: the destination signs the transient key, the
	// transient key signs the leaseset.
	tr, _ := crypto.GenerateEd25519(rand.Reader)
	off, err := NewOfflineSignature(s, now.Add(24*time.Hour), crypto.SigEd25519, tr.Public())
	if err != nil {
		t.Fatal(err)
	}
	ls.Offline = &off
	if err := ls.Sign(s); !errors.Is(err, ErrWrongSigner) {
		t.Errorf("offline LS2 signed by the destination: %v", err)
	}
	if err := ls.Sign(tr); err != nil {
		t.Fatal(err)
	}
	if ls.Flags&LS2FlagOffline == 0 {
		t.Error("offline flag not set")
	}
	checkSigned(t, ls, func(b []byte) (Entry, error) { return ParseLeaseSet2(b) })
	// A bad offline signature fails Verify even though the main one is good.
	bad := *ls
	o := *ls.Offline
	o.Signature = bytes.Clone(o.Signature)
	o.Signature[0] ^= 1
	bad.Offline = &o
	if err := bad.Sign(tr); err != nil {
		t.Fatal(err)
	}
	if err := bad.Verify(); err == nil {
		t.Error("bad offline signature verified")
	}

	// Field checks.
	ls.Offline = nil
	ls.Expires = now.Add(-time.Minute)
	if err := ls.Sign(s); err == nil {
		t.Error("expires before published accepted")
	}
	ls.Expires = now.Add(19 * time.Hour)
	if err := ls.Sign(s); err == nil {
		t.Error("expires beyond 65535 s accepted")
	}
	ls.Expires = now.Add(time.Minute)
	ls.EncryptionKeys = nil
	if err := ls.Sign(s); err == nil {
		t.Error("no encryption keys accepted")
	}
	ls.EncryptionKeys = []EncryptionKey{{CryptoX25519, randBytes(31)}}
	if err := ls.Sign(s); err == nil {
		t.Error("short X25519 key accepted")
	}
}

func TestMetaLeaseSet(t *testing.T) {
	d, s := newTestDest(t)
	now := time.Now()
	ls := &MetaLeaseSet{
		LeaseSet2Header: LeaseSet2Header{Destination: d, Published: now, Expires: now.Add(18 * time.Hour), Flags: LS2FlagUnpublished},
		Leases: []MetaLease{
			{Hash: randHash(), Flags: MetaLeaseLeaseSet2, Cost: 1, End: now.Add(time.Hour)},
			{Hash: randHash(), Flags: MetaLeaseMetaLeaseSet, Cost: 2, End: now.Add(time.Hour)},
		},
		Revocations: []Hash{randHash()},
	}
	if err := ls.Sign(s); err != nil {
		t.Fatal(err)
	}
	if !ls.IsUnpublished() || len(ls.Revocations) != 1 {
		t.Error("fields")
	}
	checkSigned(t, ls, func(b []byte) (Entry, error) { return ParseMetaLeaseSet(b) })
	if err := crypto.Verify(crypto.SigEd25519, s.Public(), append([]byte{7}, ls.Bytes()[:len(ls.Bytes())-64]...), ls.Signature); err != nil {
		t.Errorf("signature is not over 0x07||content: %v", err)
	}
	ls.Leases = nil
	if err := ls.Sign(s); err == nil {
		t.Error("no meta leases accepted")
	}
}

func TestEncryptedLeaseSet(t *testing.T) {
	// The blinded key would be RedDSA (type 11); any type exercises the
	// outer layer.
	blind, _ := crypto.GenerateEd25519(rand.Reader)
	now := time.Now()
	ls := &EncryptedLeaseSet{
		BlindedSigType: crypto.SigEd25519,
		BlindedKey:     blind.Public(),
		Published:      now,
		Expires:        now.Add(10 * time.Minute),
		EncryptedData:  randBytes(300),
	}
	if err := ls.Sign(blind); err != nil {
		t.Fatal(err)
	}
	checkSigned(t, ls, func(b []byte) (Entry, error) { return ParseEncryptedLeaseSet(b) })
	if ls.Hash() != HashOf(append([]byte{0, 7}, blind.Public()...)) {
		t.Error("store hash is not SHA-256(sigtype || blinded key)")
	}
	if err := crypto.Verify(crypto.SigEd25519, blind.Public(), append([]byte{5}, ls.Bytes()[:len(ls.Bytes())-64]...), ls.Signature); err != nil {
		t.Errorf("signature is not over 0x05||content: %v", err)
	}

	tr, _ := crypto.GenerateEd25519(rand.Reader)
	off, err := NewOfflineSignature(blind, now.Add(time.Hour), crypto.SigEd25519, tr.Public())
	if err != nil {
		t.Fatal(err)
	}
	ls.Offline = &off
	if err := ls.Sign(tr); err != nil {
		t.Fatal(err)
	}
	checkSigned(t, ls, func(b []byte) (Entry, error) { return ParseEncryptedLeaseSet(b) })
	ls.EncryptedData = nil
	if err := ls.Sign(tr); err == nil {
		t.Error("empty encrypted data accepted")
	}
}

func TestParseEntryUnknownType(t *testing.T) {
	if _, err := ParseEntry(2, nil); err == nil {
		t.Error("type 2 accepted")
	}
	b := readFile(t, i2pdRouterInfos[0].file)
	e, err := ParseEntry(StoreRouterInfo, b)
	if err != nil || e.Verify() != nil || e.StoreType() != StoreRouterInfo {
		t.Errorf("RouterInfo entry: %v", err)
	}
}
