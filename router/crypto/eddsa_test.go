package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"errors"
	"testing"
)

type rfc8032Vector struct {
	Name string   `json:"name"`
	Alg  string   `json:"alg"` // Ed25519 or Ed25519ph
	Seed hexBytes `json:"seed"`
	Pub  hexBytes `json:"pub"`
	Msg  hexBytes `json:"msg"`
	Sig  hexBytes `json:"sig"`
}

func readRFC8032(t testing.TB) []rfc8032Vector {
	var doc struct {
		Vectors []rfc8032Vector `json:"vectors"`
	}
	readJSON(t, "rfc8032_vectors.json", &doc)
	return doc.Vectors
}

// TestRFC8032Ed25519 checks types 7 and 11 (RedDSA is verified as Ed25519)
// and the Ed25519 signer against RFC 8032 section 7.1.
func TestRFC8032Ed25519(t *testing.T) {
	n := 0
	for _, v := range readRFC8032(t) {
		if v.Alg != "Ed25519" {
			continue
		}
		n++
		s, err := NewEd25519Signer(v.Seed)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := s.Sign(v.Msg)
		if !bytes.Equal(s.Public(), v.Pub) || !bytes.Equal(sig, v.Sig) {
			t.Errorf("%s: signer gives %x %x", v.Name, s.Public(), sig)
		}
		for _, st := range []SigType{SigEd25519, SigRedDSAEd25519} {
			if err := Verify(st, v.Pub, v.Msg, v.Sig); err != nil {
				t.Errorf("%s as %v: %v", v.Name, st, err)
			}
			if err := Verify(st, v.Pub, append(v.Msg, 0), v.Sig); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s as %v, longer message: %v", v.Name, st, err)
			}
			if err := Verify(st, v.Pub, v.Msg, flip(v.Sig, 40)); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s as %v, changed S: %v", v.Name, st, err)
			}
		}
	}
	if n != 4 {
		t.Fatalf("%d Ed25519 vectors", n)
	}
}

// TestEd25519ph pins down what type 8 means (see ed25519ph.go): RFC 8032
// "TEST SHA(abc)", plain Ed25519 over SHA-512("abc"), is a valid type 8
// signature of "abc", and RFC 8032 Ed25519ph "TEST abc" is not.
func TestEd25519ph(t *testing.T) {
	var sha, ph *rfc8032Vector
	vs := readRFC8032(t)
	for i := range vs {
		switch vs[i].Name {
		case "RFC 8032 section 7.1 -----TEST SHA(abc)":
			sha = &vs[i]
		case "RFC 8032 section 7.3 -----TEST abc":
			ph = &vs[i]
		}
	}
	if sha == nil || ph == nil {
		t.Fatal("vectors missing")
	}
	abc := []byte("abc")
	d := sha512.Sum512(abc)
	if !bytes.Equal(d[:], sha.Msg) {
		t.Fatal("TEST SHA(abc) message is not SHA-512(abc)")
	}
	if err := Verify(SigEd25519ph, sha.Pub, abc, sha.Sig); err != nil {
		t.Errorf("TEST SHA(abc) as type 8: %v", err)
	}
	if err := VerifyHash(SigEd25519ph, sha.Pub, d[:], sha.Sig); err != nil {
		t.Errorf("TEST SHA(abc) as type 8, VerifyHash: %v", err)
	}
	if err := Verify(SigEd25519ph, sha.Pub, []byte("abd"), sha.Sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("type 8, other message: %v", err)
	}
	// The RFC 8032 Ed25519ph vector is right (Go's crypto/ed25519 accepts
	// it with the dom2 prefix) but is not an I2P type 8 signature.
	if err := ed25519.VerifyWithOptions(ed25519.PublicKey(ph.Pub), d[:], ph.Sig, &ed25519.Options{Hash: stdcrypto.SHA512}); err != nil {
		t.Fatalf("RFC 8032 Ed25519ph vector: %v", err)
	}
	if !bytes.Equal(ph.Msg, abc) || !bytes.Equal(ph.Pub, sha.Pub) {
		t.Fatal("unexpected RFC 8032 Ed25519ph vector")
	}
	if err := Verify(SigEd25519ph, ph.Pub, abc, ph.Sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("RFC 8032 Ed25519ph accepted as type 8: %v", err)
	}
}

func TestWycheproofEd25519(t *testing.T) {
	var f wycheproofFile
	readJSON(t, "wycheproof/ed25519_test.json.gz", &f)
	n := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			for _, st := range []SigType{SigEd25519, SigRedDSAEd25519} {
				err := Verify(st, g.PublicKey.Pk, tc.Msg, tc.Sig)
				switch {
				case tc.Result == "valid" && err != nil:
					t.Errorf("#%d (%s) as %v: valid signature rejected: %v", tc.TcID, tc.Comment, st, err)
				case tc.Result == "invalid" && err == nil:
					t.Errorf("#%d (%s) as %v: invalid signature accepted", tc.TcID, tc.Comment, st)
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d tests", n)
	}
}
