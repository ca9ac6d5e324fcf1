package data

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// testInner signs a LeaseSet2 of the destination of s, published at pub.
func testInner(tb testing.TB, s crypto.Signer, pub time.Time) *LeaseSet2 {
	tb.Helper()
	dest, err := NewDestination(s.Type(), s.Public(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	ls := &LeaseSet2{
		LeaseSet2Header: LeaseSet2Header{Destination: dest, Published: pub, Expires: pub.Add(600 * time.Second), Flags: LS2FlagBlinded},
		EncryptionKeys:  []EncryptionKey{{CryptoX25519, randBytes(32)}},
		Leases:          []Lease2{{Gateway: randHash(), TunnelID: 7, End: pub.Add(600 * time.Second)}, {Gateway: randHash(), TunnelID: 8, End: pub.Add(590 * time.Second)}},
	}
	if err := ls.Sign(s); err != nil {
		tb.Fatal(err)
	}
	return ls
}

func b33Of(s crypto.Signer, secret string) B33Address {
	a := B33Address{SigType: s.Type(), BlindedSigType: BlindedSigType, PublicKey: s.Public()}
	if secret != "" {
		a.Flags |= B33FlagSecret
	}
	return a
}

// reparse returns the EncryptedLeaseSet as a peer receives it.
func reparse(tb testing.TB, ls *EncryptedLeaseSet) *EncryptedLeaseSet {
	tb.Helper()
	p, err := ParseEncryptedLeaseSet(ls.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestEncryptedLSVectors decrypts the Python-made EncryptedLeaseSets and,
// where the randomness is only the two salts, re-makes the encrypted data
// byte for byte.
func TestEncryptedLSVectors(t *testing.T) {
	for _, v := range loadELSVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			els, err := ParseEncryptedLeaseSet(unhex(t, v.EncryptedLS))
			if err != nil {
				t.Fatal(err)
			}
			if err := els.Verify(); err != nil {
				t.Fatal(err)
			}
			if h := els.Hash(); h.String() != hashFromHex(t, v.StoreHash).String() {
				t.Errorf("Hash = %v, want %s", h, v.StoreHash)
			}
			addr, err := ParseB33Address(v.B33)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(v.Published, 0)
			inner := unhex(t, v.Inner)
			var auths []*ClientAuth
			if v.Auth == nil {
				auths = []*ClientAuth{nil}
			} else {
				typ := AuthPSK
				if v.Auth.Type == "DH" {
					typ = AuthDH
				}
				for _, k := range v.Auth.Keys {
					a := &ClientAuth{Type: typ}
					copy(a.Key[:], unhex(t, k))
					auths = append(auths, a)
				}
				if _, err := els.DecryptEntry(addr, v.Secret, nil, now); !errors.Is(err, ErrAuthRequired) {
					t.Errorf("no client key: %v, want ErrAuthRequired", err)
				}
				other := &ClientAuth{Type: typ}
				other.Key[0] = 0x99
				if _, err := els.DecryptEntry(addr, v.Secret, other, now); !errors.Is(err, ErrAuthRequired) {
					t.Errorf("unlisted client key: %v, want ErrAuthRequired", err)
				}
			}
			for _, a := range auths {
				e, err := els.DecryptEntry(addr, v.Secret, a, now)
				if err != nil {
					t.Fatal(err)
				}
				if e.StoreType() != inner[0] || !bytes.Equal(e.Bytes(), inner[1:]) {
					t.Fatalf("inner = %d %x\nwant %x", e.StoreType(), e.Bytes(), inner)
				}
			}
			if v.Auth != nil {
				return
			}
			// Encrypt side: same salts give the same ciphertext.
			in, err := ParseLeaseSet2(inner[1:])
			if err != nil {
				t.Fatal(err)
			}
			salts := append(unhex(t, v.OuterSalt), unhex(t, v.InnerSalt)...)
			mine, err := EncryptLeaseSet(in, v.signer(t), v.Secret, bytes.NewReader(salts))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mine.EncryptedData, unhex(t, v.EncryptedData)) {
				t.Fatalf("EncryptedData = %x\nwant %x", mine.EncryptedData, v.EncryptedData)
			}
			// Everything but the (randomized RedDSA) signature is identical.
			if got, want := mine.Bytes()[:len(mine.Bytes())-64], els.Bytes()[:len(els.Bytes())-64]; !bytes.Equal(got, want) {
				t.Fatalf("unsigned outer layer = %x\nwant %x", got, want)
			}
		})
	}
}

func hashFromHex(tb testing.TB, s string) Hash {
	var h Hash
	copy(h[:], unhex(tb, s))
	return h
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	ed, _ := crypto.GenerateEd25519(rand.Reader)
	red, _ := crypto.GenerateRedDSA(rand.Reader)
	now := time.Now().Truncate(time.Second)
	dh1, _ := crypto.GenerateX25519(rand.Reader)
	dh2, _ := crypto.GenerateX25519(rand.Reader)
	var psk1, psk2 [32]byte
	rand.Read(psk1[:])
	rand.Read(psk2[:])
	type authCase struct {
		name   string
		server *ServerAuth
		client *ClientAuth
	}
	auths := []authCase{
		{"none", nil, nil},
		{"DH", &ServerAuth{Type: AuthDH, Keys: [][32]byte{dh1.Public, dh2.Public}}, &ClientAuth{Type: AuthDH, Key: dh2.Private}},
		{"PSK", &ServerAuth{Type: AuthPSK, Keys: [][32]byte{psk1, psk2}}, &ClientAuth{Type: AuthPSK, Key: psk1}},
	}
	for _, s := range []crypto.Signer{ed, red} {
		for _, secret := range []string{"", "s3cret"} {
			for _, ac := range auths {
				t.Run(s.Type().String()+"/"+secret+"/"+ac.name, func(t *testing.T) {
					inner := testInner(t, s, now)
					els, err := EncryptEntry(inner, s, secret, ac.server, nil)
					if err != nil {
						t.Fatal(err)
					}
					got := reparse(t, els)
					addr, err := ParseB33Address(b33Of(s, secret).String())
					if err != nil {
						t.Fatal(err)
					}
					key, _ := addr.Key(now, secret)
					if got.Hash() != key {
						t.Errorf("store hash %v, lookup key %v", got.Hash(), key)
					}
					e, err := got.DecryptEntry(addr, secret, ac.client, now)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(e.Bytes(), inner.Bytes()) {
						t.Fatal("inner LeaseSet differs")
					}
					if ac.server == nil {
						ls2, err := got.Decrypt(addr, secret, now)
						if err != nil || !bytes.Equal(ls2.Bytes(), inner.Bytes()) {
							t.Fatalf("Decrypt: %v", err)
						}
					} else if _, err := got.Decrypt(addr, secret, now); !errors.Is(err, ErrAuthRequired) {
						t.Errorf("Decrypt without client key: %v, want ErrAuthRequired", err)
					}
				})
			}
		}
	}
}

func TestDecryptWrongSecretOrDestination(t *testing.T) {
	s, _ := crypto.GenerateEd25519(rand.Reader)
	other, _ := crypto.GenerateEd25519(rand.Reader)
	now := time.Now()
	els, err := EncryptLeaseSet(testInner(t, s, now), s, "right", nil)
	if err != nil {
		t.Fatal(err)
	}
	els = reparse(t, els)
	if _, err := els.Decrypt(b33Of(s, "wrong"), "wrong", now); !errors.Is(err, ErrCannotDecrypt) {
		t.Errorf("wrong secret: %v, want ErrCannotDecrypt", err)
	}
	if _, err := els.Decrypt(b33Of(s, ""), "", now); !errors.Is(err, ErrCannotDecrypt) {
		t.Errorf("no secret: %v, want ErrCannotDecrypt", err)
	}
	if _, err := els.Decrypt(b33Of(s, "right"), "", now); !errors.Is(err, ErrSecretRequired) {
		t.Errorf("address flags a secret, none given: %v, want ErrSecretRequired", err)
	}
	if _, err := els.Decrypt(b33Of(other, "right"), "right", now); !errors.Is(err, ErrCannotDecrypt) {
		t.Errorf("other destination: %v, want ErrCannotDecrypt", err)
	}
	if _, err := els.Decrypt(b33Of(s, "right"), "right", now); err != nil {
		t.Errorf("right secret: %v", err)
	}
	if _, err := els.Decrypt(B33Address{SigType: crypto.SigEd25519, BlindedSigType: crypto.SigEd25519, PublicKey: s.Public()}, "right", now); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("blinded type 7 in address: %v", err)
	}
	if _, err := EncryptLeaseSet(testInner(t, s, now), other, "", nil); !errors.Is(err, ErrWrongSigner) {
		t.Errorf("encrypt with another signer: %v, want ErrWrongSigner", err)
	}
	if _, err := EncryptLeaseSet(&LeaseSet2{}, s, "", nil); !errors.Is(err, ErrNotSigned) {
		t.Errorf("encrypt unsigned: %v, want ErrNotSigned", err)
	}
}

// resign replaces the encrypted data of els (layer 1 plaintext l1, salt
// zero) and signs it again with the blinded key: what a publisher with a
// bug, or an attacker holding the blinded key, could produce.
func resign(tb testing.TB, s crypto.Signer, els *EncryptedLeaseSet, l1 []byte) *EncryptedLeaseSet {
	tb.Helper()
	bs, err := BlindSigner(s, els.Published, "")
	if err != nil {
		tb.Fatal(err)
	}
	sub := subcredential(s.Type(), s.Public(), els.BlindedKey)
	pub, _ := seconds(els.Published)
	input := binary.BigEndian.AppendUint32(sub[:], pub)
	data := make([]byte, 32+len(l1))
	key, iv := layerKeys(data[:32], input, "ELS2_L1K")
	chacha(data[32:], l1, key, iv)
	c := *els
	c.EncryptedData = data
	if err := c.Sign(bs); err != nil {
		tb.Fatal(err)
	}
	return reparse(tb, &c)
}

// layer1 decrypts the layer 1 plaintext of els.
func layer1(tb testing.TB, s crypto.Signer, els *EncryptedLeaseSet) []byte {
	sub := subcredential(s.Type(), s.Public(), els.BlindedKey)
	pub, _ := seconds(els.Published)
	input := binary.BigEndian.AppendUint32(sub[:], pub)
	key, iv := layerKeys(els.EncryptedData[:32], input, "ELS2_L1K")
	l1 := make([]byte, len(els.EncryptedData)-32)
	chacha(l1, els.EncryptedData[32:], key, iv)
	return l1
}

func TestDecryptTampered(t *testing.T) {
	s, _ := crypto.GenerateRedDSA(rand.Reader)
	now := time.Now()
	els, err := EncryptLeaseSet(testInner(t, s, now), s, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := b33Of(s, "")
	raw := els.Bytes()
	// Layer 0: any flipped byte breaks the outer signature (or the parse).
	for i := 0; i < len(raw); i += 7 {
		b := bytes.Clone(raw)
		b[i] ^= 0x20
		p, err := ParseEncryptedLeaseSet(b)
		if err != nil {
			continue
		}
		if _, err := p.Decrypt(addr, "", now); err == nil {
			t.Fatalf("byte %d flipped: decrypted", i)
		}
	}
	l1 := layer1(t, s, els)
	// Layer 1: unknown auth scheme; DH auth with a truncated client list.
	bad := bytes.Clone(l1)
	bad[0] = 0x05
	if _, err := resign(t, s, els, bad).Decrypt(addr, "", now); !errors.Is(err, ErrMalformed) {
		t.Errorf("auth scheme 010: %v, want ErrMalformed", err)
	}
	bad = bytes.Clone(l1)
	bad[0] = 0x01
	binary.BigEndian.PutUint16(bad[33:35], 0xffff)
	if _, err := resign(t, s, els, bad).Decrypt(addr, "", now); !errors.Is(err, ErrMalformed) {
		t.Errorf("65535 DH clients: %v, want ErrMalformed", err)
	}
	// Layer 2: a flipped byte of the inner ciphertext.
	for _, i := range []int{33, 33 + 1 + 100, len(l1) - 1} {
		bad = bytes.Clone(l1)
		bad[i] ^= 1
		if _, err := resign(t, s, els, bad).Decrypt(addr, "", now); err == nil {
			t.Errorf("layer 1 byte %d flipped: decrypted", i)
		}
	}
	if _, err := resign(t, s, els, l1[:40]).Decrypt(addr, "", now); err == nil {
		t.Error("truncated layer 2 decrypted")
	}
	if _, err := resign(t, s, els, l1).Decrypt(addr, "", now); err != nil {
		t.Errorf("re-signed untouched layer 1: %v", err)
	}
	// An inner LeaseSet of another destination under our blinded key.
	other, _ := crypto.GenerateEd25519(rand.Reader)
	oi := testInner(t, other, now)
	forged := append(bytes.Clone(l1[:33]), StoreLeaseSet2)
	forged = append(forged, oi.Bytes()...)
	sub := subcredential(s.Type(), s.Public(), els.BlindedKey)
	pub, _ := seconds(els.Published)
	input := binary.BigEndian.AppendUint32(sub[:], pub)
	key, iv := layerKeys(forged[1:33], input, "ELS2_L2K")
	chacha(forged[33:], forged[33:], key, iv)
	if _, err := resign(t, s, els, forged).Decrypt(addr, "", now); !errors.Is(err, ErrCannotDecrypt) {
		t.Errorf("inner LeaseSet of another destination: %v, want ErrCannotDecrypt", err)
	}
}

// TestEncryptedLSMidnight: Expires is capped at the next UTC midnight, a
// reader checks the blinded key of the Published day, and the lookup key
// of the next day differs.
func TestEncryptedLSMidnight(t *testing.T) {
	s, _ := crypto.GenerateEd25519(rand.Reader)
	midnight := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	pub := midnight.Add(-5 * time.Minute)
	els, err := EncryptLeaseSet(testInner(t, s, pub), s, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	els = reparse(t, els)
	if !els.Expires.Equal(midnight) {
		t.Errorf("Expires = %v, want %v", els.Expires.UTC(), midnight)
	}
	if !els.Published.Equal(pub) {
		t.Errorf("Published = %v, want %v", els.Published.UTC(), pub)
	}
	addr := b33Of(s, "")
	today, _ := addr.Key(pub, "")
	tomorrow, _ := addr.Key(midnight, "")
	if els.Hash() != today || els.Hash() == tomorrow {
		t.Error("store hash is not the Published day's lookup key")
	}
	// Still decryptable one second before midnight, expired after.
	if _, err := els.Decrypt(addr, "", midnight.Add(-time.Second)); err != nil {
		t.Errorf("before midnight: %v", err)
	}
	if _, err := els.Decrypt(addr, "", midnight.Add(time.Second)); !errors.Is(err, ErrExpired) {
		t.Errorf("after midnight: %v, want ErrExpired", err)
	}
	// With a zero now, no expiry check, and the Published day is used.
	if _, err := els.Decrypt(addr, "", time.Time{}); err != nil {
		t.Errorf("zero now: %v", err)
	}
	// An inner LeaseSet that ends before midnight keeps its own Expires.
	pub2 := midnight.Add(-time.Hour)
	els2, err := EncryptLeaseSet(testInner(t, s, pub2), s, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !els2.Expires.Equal(pub2.Add(600 * time.Second)) {
		t.Errorf("Expires = %v, want %v", els2.Expires.UTC(), pub2.Add(600*time.Second))
	}
}

func TestEncryptMetaLeaseSet(t *testing.T) {
	s, _ := crypto.GenerateEd25519(rand.Reader)
	now := time.Now()
	dest, _ := NewDestination(s.Type(), s.Public(), rand.Reader)
	meta := &MetaLeaseSet{LeaseSet2Header: LeaseSet2Header{Destination: dest, Published: now, Expires: now.Add(time.Hour)},
		Leases: []MetaLease{{Hash: randHash(), Flags: 3, Cost: 1, End: now.Add(time.Hour)}}}
	if err := meta.Sign(s); err != nil {
		t.Fatal(err)
	}
	els, err := EncryptEntry(meta, s, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	els = reparse(t, els)
	e, err := els.DecryptEntry(b33Of(s, ""), "", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := e.(*MetaLeaseSet); !ok || !bytes.Equal(m.Bytes(), meta.Bytes()) {
		t.Fatalf("inner = %T", e)
	}
	if _, err := els.Decrypt(b33Of(s, ""), "", now); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decrypt of a MetaLeaseSet: %v", err)
	}
}

func TestEncryptLimits(t *testing.T) {
	s, _ := crypto.GenerateEd25519(rand.Reader)
	inner := testInner(t, s, time.Now())
	if _, err := EncryptEntry(inner, s, "", &ServerAuth{Type: AuthPSK}, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("PSK without clients: %v", err)
	}
	if _, err := EncryptEntry(inner, s, "", &ServerAuth{Type: AuthPSK, Keys: make([][32]byte, 2000)}, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("2000 clients: %v", err)
	}
	if _, err := EncryptEntry(inner, s, "", &ServerAuth{Type: AuthType(9), Keys: make([][32]byte, 1)}, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("auth type 9: %v", err)
	}
	if _, err := EncryptLeaseSet(inner, s, "", bytes.NewReader(nil)); err == nil {
		t.Error("empty rand accepted")
	}
	ec, _ := crypto.GenerateECDSA(crypto.SigType(1), rand.Reader)
	ei := testInner(t, ec, time.Now())
	if _, err := EncryptLeaseSet(ei, ec, "", nil); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("ECDSA destination: %v", err)
	}
}

// FuzzDecryptLeaseSet feeds arbitrary bytes to the decryption: as a whole
// EncryptedLeaseSet (mode 0), and as a layer 1 plaintext that is encrypted
// and signed correctly, so that the auth data and layer 2 parsing are
// reached (mode 1).
func FuzzDecryptLeaseSet(f *testing.F) {
	s := fixedSigner(f, 6)
	now := time.Unix(1800000000, 0)
	els, err := EncryptLeaseSet(testInner(f, s, now), s, "", nil)
	if err != nil {
		f.Fatal(err)
	}
	addr := b33Of(s, "")
	l1 := layer1(f, s, els)
	f.Add(byte(0), els.Bytes())
	f.Add(byte(1), l1)
	for _, v := range loadELSVectors(f) {
		f.Add(byte(0), unhex(f, v.EncryptedLS))
	}
	f.Add(byte(1), append([]byte{0x01}, make([]byte, 34+40)...))
	f.Add(byte(1), append([]byte{0x03}, make([]byte, 34+40+33)...))
	bs, err := BlindSigner(s, now, "")
	if err != nil {
		f.Fatal(err)
	}
	auth := &ClientAuth{Type: AuthPSK}
	f.Fuzz(func(t *testing.T, mode byte, b []byte) {
		var p *EncryptedLeaseSet
		var err error
		if mode&1 == 0 {
			if p, err = ParseEncryptedLeaseSet(b); err != nil {
				return
			}
		} else {
			if len(b) == 0 || len(b) > 4096 {
				return
			}
			c := &EncryptedLeaseSet{BlindedSigType: BlindedSigType, BlindedKey: bs.Public(), Published: now, Expires: now.Add(time.Minute)}
			sub := subcredential(s.Type(), s.Public(), c.BlindedKey)
			pub, _ := seconds(now)
			input := binary.BigEndian.AppendUint32(sub[:], pub)
			c.EncryptedData = make([]byte, 32+len(b))
			key, iv := layerKeys(c.EncryptedData[:32], input, "ELS2_L1K")
			chacha(c.EncryptedData[32:], b, key, iv)
			if err := c.Sign(bs); err != nil {
				t.Fatal(err)
			}
			p = c
		}
		for _, a := range []*ClientAuth{nil, auth} {
			e, err := p.DecryptEntry(addr, "", a, now)
			if err != nil {
				continue
			}
			if err := e.Verify(); err != nil {
				t.Fatalf("decrypted an inner entry that does not verify: %v", err)
			}
		}
	})
}

func BenchmarkEncryptLeaseSet(b *testing.B) {
	s, _ := crypto.GenerateEd25519(rand.Reader)
	inner := testInner(b, s, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncryptLeaseSet(inner, s, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptLeaseSet(b *testing.B) {
	s, _ := crypto.GenerateEd25519(rand.Reader)
	now := time.Now()
	els, err := EncryptLeaseSet(testInner(b, s, now), s, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	els = reparse(b, els)
	addr := b33Of(s, "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := els.Decrypt(addr, "", now); err != nil {
			b.Fatal(err)
		}
	}
}
