package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"errors"
	"testing"

	"filippo.io/edwards25519"
)

type red25519SpecVector struct {
	Edsk  hexBytes `json:"edsk"`
	Edpk  hexBytes `json:"edpk"`
	Sk    hexBytes `json:"sk"`
	Vk    hexBytes `json:"vk"`
	Msg   hexBytes `json:"msg"`
	Sig   hexBytes `json:"sig"`
	Alpha hexBytes `json:"alpha"`
	Rsk   hexBytes `json:"rsk"`
	Rvk   hexBytes `json:"rvk"`
	Rsig  hexBytes `json:"rsig"`
}

func readRed25519Spec(t *testing.T) []red25519SpecVector {
	var doc struct {
		Vectors []red25519SpecVector `json:"vectors"`
	}
	readJSON(t, "red25519_spec_vectors.json", &doc)
	if len(doc.Vectors) != 10 {
		t.Fatalf("%d vectors", len(doc.Vectors))
	}
	return doc.Vectors
}

// TestRed25519SpecKeys checks key conversion, derivation and blinding
// against the red25519.rst test vectors.
func TestRed25519SpecKeys(t *testing.T) {
	for i, v := range readRed25519Spec(t) {
		fromEd, err := NewRedDSASignerFromEd25519(v.Edsk)
		if err != nil {
			t.Fatal(err)
		}
		fromSk, err := NewRedDSASigner(v.Sk)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fromEd.Public(), v.Edpk) || !bytes.Equal(fromEd.Public(), v.Vk) {
			t.Errorf("%d: CONVERT_ED25519_PRIVATE gives public %x", i+1, fromEd.Public())
		}
		if !bytes.Equal(fromSk.Public(), v.Vk) || !bytes.Equal(fromSk.Private(), fromEd.Private()) {
			t.Errorf("%d: DERIVE_PUBLIC(sk) = %x", i+1, fromSk.Public())
		}
		blinded, err := fromSk.Blind(v.Alpha)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(blinded.Private(), v.Rsk) || !bytes.Equal(blinded.Public(), v.Rvk) {
			t.Errorf("%d: RANDOMIZE_PRIVATE gives %x %x", i+1, blinded.Private(), blinded.Public())
		}
		rvk, err := BlindRedDSAPublic(v.Vk, v.Alpha)
		if err != nil || !bytes.Equal(rvk, v.Rvk) {
			t.Errorf("%d: RANDOMIZE_PUBLIC gives %x, %v", i+1, rvk, err)
		}
		// 64-byte alpha (GENERATE_ALPHA in encryptedleaseset.rst) is
		// reduced the same way.
		rvk64, err := BlindRedDSAPublic(v.Vk, append(append([]byte(nil), v.Alpha...), make([]byte, 32)...))
		if err != nil || !bytes.Equal(rvk64, v.Rvk) {
			t.Errorf("%d: 64-byte alpha gives %x, %v", i+1, rvk64, err)
		}
	}
}

// hstarVerify is red25519.rst VERIFY with the personalized, length-prefixed
// hash HStar. Deployed routers do not use it (see reddsa.go); the test
// only uses it to show that the spec's signatures were made with it.
func hstarVerify(vk, msg, sig []byte) bool {
	h := sha512.New()
	h.Write([]byte("I2P_Red25519H(x)"))
	h.Write(sig[:32])
	h.Write(vk)
	h.Write([]byte{byte(len(msg)), byte(len(msg) >> 8)})
	h.Write(msg)
	c, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	S, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	A, err1 := new(edwards25519.Point).SetBytes(vk)
	R, err2 := new(edwards25519.Point).SetBytes(sig[:32])
	if err1 != nil || err2 != nil {
		return false
	}
	p := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(c, A, edwards25519.NewScalar().Negate(S))
	p.Add(p, R)
	p.MultByCofactor(p)
	return p.Equal(edwards25519.NewIdentityPoint()) == 1
}

// TestRed25519SpecSignatures records that the signatures in red25519.rst
// follow its HStar text, which the network does not use: they verify
// under HStar and not under type 11 as deployed.
func TestRed25519SpecSignatures(t *testing.T) {
	for i, v := range readRed25519Spec(t) {
		for _, p := range []struct{ vk, sig []byte }{{v.Vk, v.Sig}, {v.Rvk, v.Rsig}} {
			if !hstarVerify(p.vk, v.Msg, p.sig) {
				t.Errorf("%d: spec signature does not verify under HStar", i+1)
			}
			if hstarVerify(p.vk, append(v.Msg, 0), p.sig) {
				t.Errorf("%d: HStar check accepts another message", i+1)
			}
			if err := Verify(SigRedDSAEd25519, p.vk, v.Msg, p.sig); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%d: spec (HStar) signature accepted as deployed RedDSA: %v", i+1, err)
			}
		}
	}
}

type reddsaSignVector struct {
	Priv hexBytes `json:"priv"`
	Pub  hexBytes `json:"pub"`
	T    hexBytes `json:"t"`
	Msg  hexBytes `json:"msg"`
	Sig  hexBytes `json:"sig"`
}

// TestRedDSASignVectors reproduces, byte for byte, signatures made with
// i2pd's SignRedDSA algorithm for a given T (testdata/gen_reddsa.py).
func TestRedDSASignVectors(t *testing.T) {
	var doc struct {
		Vectors []reddsaSignVector `json:"vectors"`
	}
	readJSON(t, "reddsa_sign_vectors.json", &doc)
	if len(doc.Vectors) < 4 {
		t.Fatalf("%d vectors", len(doc.Vectors))
	}
	for i, v := range doc.Vectors {
		s, err := NewRedDSASigner(v.Priv)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Public(), v.Pub) {
			t.Errorf("%d: public key %x", i, s.Public())
		}
		s.rand = bytes.NewReader(v.T)
		sig, err := s.Sign(v.Msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sig, v.Sig) {
			t.Errorf("%d: signature %x, want %x", i, sig, v.Sig)
		}
		if err := Verify(SigRedDSAEd25519, v.Pub, v.Msg, v.Sig); err != nil {
			t.Errorf("%d: %v", i, err)
		}
		if err := Verify(SigRedDSAEd25519, v.Pub, append(v.Msg, 0), v.Sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%d: other message: %v", i, err)
		}
		if err := Verify(SigRedDSAEd25519, v.Pub, v.Msg, flip(v.Sig, 3)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%d: changed R: %v", i, err)
		}
	}
}

// zeroReader is an endless run of zeros.
type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// countReader yields 0, 1, 2, ... as bytes, endlessly.
type countReader struct{ n byte }

func (c *countReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = c.n
		c.n++
	}
	return len(b), nil
}

func TestRedDSARoundTrip(t *testing.T) {
	s, err := GenerateRedDSA(nil)
	if err != nil {
		t.Fatal(err)
	}
	var _ Signer = s
	if s.Type() != SigRedDSAEd25519 || len(s.Public()) != 32 || len(s.Private()) != 32 {
		t.Fatal("bad signer")
	}
	again, err := NewRedDSASigner(s.Private())
	if err != nil || !bytes.Equal(again.Public(), s.Public()) {
		t.Fatalf("reloaded signer differs: %v", err)
	}
	alpha := make([]byte, 64)
	alpha[0], alpha[40] = 7, 9
	b, err := s.Blind(alpha)
	if err != nil {
		t.Fatal(err)
	}
	bpub, err := BlindRedDSAPublic(s.Public(), alpha)
	if err != nil || !bytes.Equal(bpub, b.Public()) {
		t.Fatalf("BLIND_PUBKEY != DERIVE_PUBLIC(BLIND_PRIVKEY): %v", err)
	}
	for _, msg := range [][]byte{nil, []byte("encrypted leaseset"), make([]byte, 70000)} {
		sig1, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		sig2, _ := s.Sign(msg)
		if bytes.Equal(sig1, sig2) {
			t.Error("two signatures are equal; T is not random")
		}
		for _, sig := range [][]byte{sig1, sig2} {
			if err := Verify(SigRedDSAEd25519, s.Public(), msg, sig); err != nil {
				t.Fatal(err)
			}
			if !ed25519.Verify(s.Public(), msg, sig) {
				t.Error("not a valid Ed25519 signature")
			}
			if err := Verify(SigRedDSAEd25519, bpub, msg, sig); err == nil {
				t.Error("verifies under the blinded key")
			}
		}
		bsig, _ := b.Sign(msg)
		if err := Verify(SigRedDSAEd25519, bpub, msg, bsig); err != nil {
			t.Errorf("blinded: %v", err)
		}
		if err := Verify(SigRedDSAEd25519, s.Public(), msg, bsig); err == nil {
			t.Error("blinded signature verifies under the unblinded key")
		}
	}
	// Key generation reads 64 bytes and reduces them mod L.
	g1, _ := GenerateRedDSA(&countReader{})
	g2, _ := GenerateRedDSA(&countReader{})
	var b64 [64]byte
	(&countReader{}).Read(b64[:])
	want, _ := edwards25519.NewScalar().SetUniformBytes(b64[:])
	if !bytes.Equal(g1.Private(), g2.Private()) || !bytes.Equal(g1.Private(), want.Bytes()) {
		t.Error("GenerateRedDSA is not 64 bytes mod L")
	}
}

func TestRedDSABadKeys(t *testing.T) {
	if _, err := GenerateRedDSA(zeroReader{}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("zero scalar: %v", err)
	}
	// L itself, which reduces to zero.
	lBytes := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	if _, err := NewRedDSASigner(lBytes); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("scalar L: %v", err)
	}
	if _, err := NewRedDSASigner(make([]byte, 31)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short key: %v", err)
	}
	if _, err := NewRedDSASignerFromEd25519(make([]byte, 33)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("long seed: %v", err)
	}
	s, _ := GenerateRedDSA(nil)
	if _, err := s.Blind(make([]byte, 48)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("48-byte alpha: %v", err)
	}
	// alpha = -a blinds to zero.
	var a edwards25519.Scalar
	if _, err := a.SetCanonicalBytes(s.Private()); err != nil {
		t.Fatal(err)
	}
	neg := edwards25519.NewScalar().Negate(&a).Bytes()
	if _, err := s.Blind(neg); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("blind to zero: %v", err)
	}
	if _, err := BlindRedDSAPublic(s.Public(), neg); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("blind public to identity: %v", err)
	}
	bad := make([]byte, 32) // y = 2 is not the y of any curve point
	bad[0] = 2
	if _, err := BlindRedDSAPublic(bad, make([]byte, 32)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("invalid point: %v", err)
	}
}
