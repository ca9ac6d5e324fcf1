package data

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// countingReader returns 0, 1, 2, ... so padding is recognisable.
type countingReader struct{ n byte }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

func TestNewRouterIdentityLayout(t *testing.T) {
	sig := bytes.Repeat([]byte{0xee}, 32)
	enc := bytes.Repeat([]byte{0xcc}, 32)
	id, err := NewRouterIdentity(crypto.SigEd25519, sig, CryptoX25519, enc, &countingReader{})
	if err != nil {
		t.Fatal(err)
	}
	b := id.Bytes()
	if len(b) != 391 {
		t.Fatalf("len %d", len(b))
	}
	if !bytes.Equal(b[:32], enc) || !bytes.Equal(b[352:384], sig) {
		t.Error("keys misplaced")
	}
	// 10 copies of the same 32 padding bytes (Proposal 161).
	seed := b[32:64]
	for i := 0; i < 32; i++ {
		if seed[i] != byte(i) {
			t.Fatalf("padding seed %x", seed)
		}
	}
	for i := 32; i < 352; i += 32 {
		if !bytes.Equal(b[i:i+32], seed) {
			t.Errorf("padding copy at %d", i)
		}
	}
	if !bytes.Equal(b[384:], []byte{5, 0, 4, 0, 7, 0, 4}) {
		t.Errorf("cert %x", b[384:])
	}
	if id.Hash() != HashOf(b) || id.SigType() != crypto.SigEd25519 || id.CryptoType() != CryptoX25519 {
		t.Error("accessors")
	}
	if !bytes.Equal(id.EncryptionKey(), enc) || !bytes.Equal(id.SigningKey(), sig) {
		t.Error("key accessors")
	}
	got, rest, err := ParseRouterIdentity(append(bytes.Clone(b), 1, 2))
	if err != nil || !bytes.Equal(rest, []byte{1, 2}) || !got.Equal(id.KeysAndCert) {
		t.Errorf("parse: %v", err)
	}
	if _, err := NewRouterIdentity(crypto.SigEd25519, sig, CryptoX25519, nil, rand.Reader); err == nil {
		t.Error("router identity without encryption key accepted")
	}
	if _, err := NewRouterIdentity(crypto.SigEd25519, sig[:31], CryptoX25519, enc, rand.Reader); err == nil {
		t.Error("short signing key accepted")
	}
	if _, err := NewRouterIdentity(crypto.SigType(99), sig, CryptoX25519, enc, rand.Reader); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("unknown sig type: %v", err)
	}
}

func TestNewDestinationLayout(t *testing.T) {
	sig := bytes.Repeat([]byte{0xee}, 32)
	d, err := NewDestination(crypto.SigEd25519, sig, &countingReader{})
	if err != nil {
		t.Fatal(err)
	}
	b := d.Bytes()
	// 11 copies over the unused ElGamal field and the padding.
	for i := 0; i < 352; i += 32 {
		if !bytes.Equal(b[i:i+32], b[:32]) {
			t.Errorf("copy at %d", i)
		}
	}
	if !bytes.Equal(b[352:384], sig) || !bytes.Equal(b[384:], []byte{5, 0, 4, 0, 7, 0, 0}) {
		t.Error("layout")
	}
	if len(d.EncryptionKey()) != 256 {
		t.Error("ElGamal field")
	}
}

func TestI2pdDestination(t *testing.T) {
	b := readFile(t, "testdata/i2pd-r1-proxy.destination.dat")
	d, _, err := ParseDestination(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.SigType() != crypto.SigEd25519 || d.CryptoType() != CryptoElGamal {
		t.Errorf("types %v %v", d.SigType(), d.CryptoType())
	}
	if !bytes.Equal(d.SigningKey(), b[352:384]) || !bytes.Equal(d.EncryptionKey(), b[:256]) {
		t.Error("keys")
	}
	if out, _ := d.AppendBinary(nil); !bytes.Equal(out, b) {
		t.Error("round trip")
	}
}

func TestKeysAndCertExcess(t *testing.T) {
	for _, tc := range []struct {
		sig    crypto.SigType
		enc    CryptoType
		excess int
		pad    int
	}{
		{crypto.SigECDSASHA512P521, CryptoElGamal, 4, 0},
		{crypto.SigRSASHA2562048, CryptoElGamal, 128, 0},
		{crypto.SigRSASHA5124096, CryptoElGamal, 384, 0},
		{crypto.SigECDSASHA256P256, CryptoElGamal, 0, 64},
		{crypto.SigECDSASHA384P384, CryptoElGamal, 0, 32},
		{crypto.SigEd25519, CryptoElGamal, 0, 96},
		{crypto.SigDSASHA1, CryptoElGamal, 0, 0},
		{crypto.SigECDSASHA512P521, CryptoX25519, 4, 224},
	} {
		sig := make([]byte, tc.sig.PublicKeyLen())
		rand.Read(sig)
		enc := make([]byte, tc.enc.PublicKeyLen())
		rand.Read(enc)
		k, err := NewKeysAndCert(tc.sig, sig, tc.enc, enc, rand.Reader)
		if err != nil {
			t.Fatalf("%v/%v: %v", tc.sig, tc.enc, err)
		}
		cert := k.Certificate()
		if tc.sig == crypto.SigDSASHA1 {
			if cert.Type != CertNull || k.Len() != 387 {
				t.Errorf("DSA/ElGamal should use a NULL cert: %v", cert.Type)
			}
		} else if len(cert.Payload) != 4+tc.excess {
			t.Errorf("%v: payload %d, want %d", tc.sig, len(cert.Payload), 4+tc.excess)
		}
		if !bytes.Equal(k.SigningKey(), sig) || !bytes.Equal(k.EncryptionKey(), enc) {
			t.Errorf("%v/%v: keys differ", tc.sig, tc.enc)
		}
		if tc.excess > 0 && !bytes.Equal(k.Bytes()[256:384], sig[:128]) {
			t.Errorf("%v: signing key does not fill [256:384]", tc.sig)
		}
		// Parse it back.
		p, rest, err := ParseKeysAndCert(k.Bytes())
		if err != nil || len(rest) != 0 || !bytes.Equal(p.SigningKey(), sig) || !bytes.Equal(p.EncryptionKey(), enc) {
			t.Errorf("%v/%v: parse: %v", tc.sig, tc.enc, err)
		}
		// A certificate with one byte too many or too few is refused.
		if tc.sig != crypto.SigDSASHA1 {
			b := bytes.Clone(k.Bytes())
			b[386]++
			if _, _, err := ParseKeysAndCert(append(b, 0)); err == nil {
				t.Errorf("%v: excess byte accepted", tc.sig)
			}
		}
	}
}

func TestKeysAndCertRejects(t *testing.T) {
	b := make([]byte, 391)
	copy(b[384:], []byte{5, 0, 4, 0, 99, 0, 4}) // sig type 99
	if _, _, err := ParseKeysAndCert(b); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("unknown sig type: %v", err)
	}
	if _, _, err := ParseKeysAndCert(b[:386]); !errors.Is(err, ErrShort) {
		t.Errorf("short: %v", err)
	}
	// Unknown crypto type: accepted, no encryption key.
	copy(b[384:], []byte{5, 0, 4, 0, 7, 0, 99})
	k, _, err := ParseKeysAndCert(b)
	if err != nil || k.EncryptionKey() != nil || len(k.SigningKey()) != 32 {
		t.Errorf("unknown crypto type: %v", err)
	}
}
