package crypto

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

type opensslVector struct {
	Type int      `json:"type"`
	Form string   `json:"form"` // standard, digestinfo or su3
	Pub  hexBytes `json:"pub"`
	Priv hexBytes `json:"priv"`
	Msg  hexBytes `json:"msg"`
	Sig  hexBytes `json:"sig"`
}

// TestOpenSSLVectors checks DSA, ECDSA and RSA signatures made by OpenSSL
// (testdata/gen_openssl.py) and that any change to message, signature or
// key makes them fail.
func TestOpenSSLVectors(t *testing.T) {
	var doc struct {
		Vectors []opensslVector `json:"vectors"`
	}
	readJSON(t, "openssl_vectors.json", &doc)
	seen := map[SigType]map[string]bool{}
	for i, v := range doc.Vectors {
		st := SigType(v.Type)
		if seen[st] == nil {
			seen[st] = map[string]bool{}
		}
		seen[st][v.Form] = true
		if err := Verify(st, v.Pub, v.Msg, v.Sig); err != nil {
			t.Errorf("%d %v %s: %v", i, st, v.Form, err)
			continue
		}
		h := st.HashFunc().New()
		h.Write(v.Msg)
		digest := h.Sum(nil)
		if err := VerifyHash(st, v.Pub, digest, v.Sig); err != nil {
			t.Errorf("%d %v %s: VerifyHash: %v", i, st, v.Form, err)
		}
		// Tampering.
		if err := Verify(st, v.Pub, append(v.Msg, 0), v.Sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%d %v: longer message: %v", i, st, err)
		}
		if err := VerifyHash(st, v.Pub, flip(digest, 0), v.Sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%d %v: other digest: %v", i, st, err)
		}
		for _, j := range []int{0, len(v.Sig)/2 - 1, len(v.Sig) / 2, len(v.Sig) - 1} {
			if err := Verify(st, v.Pub, v.Msg, flip(v.Sig, j)); err == nil {
				t.Errorf("%d %v: signature with byte %d changed verifies", i, st, j)
			}
		}
		if err := Verify(st, flip(v.Pub, len(v.Pub)-2), v.Msg, v.Sig); err == nil {
			t.Errorf("%d %v: changed key verifies", i, st)
		}
		// Private keys, where given, must match the public key.
		switch {
		case st == SigDSASHA1:
			y := new(big.Int).Exp(dsaG, new(big.Int).SetBytes(v.Priv), dsaP)
			if y.Cmp(new(big.Int).SetBytes(v.Pub)) != 0 {
				t.Errorf("%d: DSA y != g^x", i)
			}
		case ecdsaCurve(st) != nil:
			s, err := NewECDSASigner(st, v.Priv)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.Public(), v.Pub) || !bytes.Equal(s.Private(), v.Priv) {
				t.Errorf("%d %v: signer keys differ from OpenSSL's", i, st)
			}
		}
	}
	for _, st := range []SigType{0, 1, 2, 3} {
		if !seen[st]["standard"] {
			t.Errorf("no vector for %v", st)
		}
	}
	for _, st := range []SigType{4, 5, 6} {
		if !seen[st]["su3"] || !seen[st]["digestinfo"] {
			t.Errorf("missing RSA form for %v", st)
		}
	}
}
