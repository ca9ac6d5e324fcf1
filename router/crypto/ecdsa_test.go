package crypto

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

var ecdsaTypes = []SigType{SigECDSASHA256P256, SigECDSASHA384P384, SigECDSASHA512P521}

// TestWycheproofECDSA runs the Wycheproof IEEE P1363 (r || s) vectors, which
// are exactly I2P's encoding, through Verify.
func TestWycheproofECDSA(t *testing.T) {
	files := map[SigType]string{
		SigECDSASHA256P256: "ecdsa_secp256r1_sha256_p1363_test.json.gz",
		SigECDSASHA384P384: "ecdsa_secp384r1_sha384_p1363_test.json.gz",
		SigECDSASHA512P521: "ecdsa_secp521r1_sha512_p1363_test.json.gz",
	}
	for st, name := range files {
		var f wycheproofFile
		readJSON(t, "wycheproof/"+name, &f)
		n := 0
		for _, g := range f.TestGroups {
			pub := []byte(g.PublicKey.Uncompressed)
			if len(pub) != 1+st.PublicKeyLen() || pub[0] != 4 {
				t.Fatalf("%s: bad key %x", name, pub)
			}
			pub = pub[1:]
			for _, tc := range g.Tests {
				n++
				err := Verify(st, pub, tc.Msg, tc.Sig)
				switch {
				case tc.Result == "valid" && err != nil:
					t.Errorf("%s #%d (%s): valid signature rejected: %v", name, tc.TcID, tc.Comment, err)
				case tc.Result == "invalid" && err == nil:
					t.Errorf("%s #%d (%s): invalid signature accepted", name, tc.TcID, tc.Comment)
				}
			}
		}
		if n < 200 {
			t.Errorf("%s: only %d tests", name, n)
		}
	}
}

func TestECDSARoundTrip(t *testing.T) {
	for _, st := range ecdsaTypes {
		s, err := GenerateECDSA(st, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Type() != st || len(s.Public()) != st.PublicKeyLen() || len(s.Private()) != st.PrivateKeyLen() {
			t.Fatalf("%v: bad signer", st)
		}
		s2, err := NewECDSASigner(st, s.Private())
		if err != nil || !bytes.Equal(s2.Public(), s.Public()) {
			t.Fatalf("%v: reloaded signer differs: %v", st, err)
		}
		for _, msg := range [][]byte{nil, []byte("destination"), make([]byte, 3000)} {
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(st, s.Public(), msg, sig); err != nil {
				t.Fatalf("%v: %v", st, err)
			}
			if err := Verify(st, s.Public(), append(msg, 0), sig); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%v: other message: %v", st, err)
			}
			if err := Verify(st, s.Public(), msg, flip(sig, len(sig)-1)); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%v: changed signature: %v", st, err)
			}
		}
	}
}

func TestECDSABadInputs(t *testing.T) {
	for _, st := range ecdsaTypes {
		s, err := GenerateECDSA(st, nil)
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("x")
		sig, _ := s.Sign(msg)
		n := st.SignatureLen() / 2
		order := ecdsaCurve(st).Params().N
		nb := make([]byte, n)
		order.FillBytes(nb)
		rPlusN := new(big.Int).Add(new(big.Int).SetBytes(sig[:n]), order)
		bigR := make([]byte, n)
		if rPlusN.BitLen() <= 8*n {
			rPlusN.FillBytes(bigR)
		} else {
			copy(bigR, nb)
		}
		for name, bad := range map[string][]byte{
			"r=0":   append(make([]byte, n), sig[n:]...),
			"s=0":   append(append([]byte(nil), sig[:n]...), make([]byte, n)...),
			"r=N":   append(append([]byte(nil), nb...), sig[n:]...),
			"s=N":   append(append([]byte(nil), sig[:n]...), nb...),
			"r+N":   append(bigR, sig[n:]...),
			"zeros": make([]byte, 2*n),
		} {
			if err := Verify(st, s.Public(), msg, bad); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%v %s: %v", st, name, err)
			}
		}
		// Keys off the curve, at infinity (all zeros) or with
		// coordinates beyond the field.
		pub := s.Public()
		for name, k := range map[string][]byte{
			"off curve": flip(pub, len(pub)-1),
			"zeros":     make([]byte, len(pub)),
			"ones":      bytesOf(0xff, len(pub)),
		} {
			if err := Verify(st, k, msg, sig); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%v %s key: %v", st, name, err)
			}
		}
		if _, err := NewECDSASigner(st, make([]byte, st.PrivateKeyLen())); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%v zero private key: %v", st, err)
		}
		if _, err := NewECDSASigner(st, nb); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%v private key N: %v", st, err)
		}
	}
	if _, err := NewECDSASigner(SigEd25519, make([]byte, 32)); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("Ed25519 as ECDSA: %v", err)
	}
	if _, err := NewECDSASigner(SigECDSASHA256P256, make([]byte, 31)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short key: %v", err)
	}
}
