package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"testing"
)

// TestWycheproofRSA runs the Wycheproof RSASSA-PKCS1-v1_5 vectors. I2P
// keys always have e = 65537, so groups with other exponents are skipped.
// Verify also accepts the su3 form, 00 01 FF..FF 00 || digest with no
// DigestInfo (see rsa.go). Wycheproof has such signatures among its invalid
// ones (e.g. 2048-bit #238, commented "using PKCS#1 encryption padding"
// though its padding is 00 01); the test finds them by decoding the
// signature and expects them to be accepted.
func TestWycheproofRSA(t *testing.T) {
	files := map[SigType]string{
		SigRSASHA2562048: "rsa_signature_2048_sha256_test.json.gz",
		SigRSASHA3843072: "rsa_signature_3072_sha384_test.json.gz",
		SigRSASHA5124096: "rsa_signature_4096_sha512_test.json.gz",
	}
	for st, name := range files {
		var f wycheproofFile
		readJSON(t, "wycheproof/"+name, &f)
		n, su3 := 0, 0
		for _, g := range f.TestGroups {
			if !bytes.Equal(g.PublicKey.PublicExponent, []byte{1, 0, 1}) {
				continue
			}
			pub := bytes.TrimLeft(g.PublicKey.Modulus, "\x00")
			if len(pub) != st.PublicKeyLen() {
				t.Fatalf("%s: modulus is %d bytes", name, len(pub))
			}
			for _, tc := range g.Tests {
				n++
				want := tc.Result
				if isSU3Form(st, pub, tc.Msg, tc.Sig) {
					su3++
					want = "valid"
				}
				err := Verify(st, pub, tc.Msg, tc.Sig)
				switch {
				case want == "valid" && err != nil:
					t.Errorf("%s #%d (%s): valid signature rejected: %v", name, tc.TcID, tc.Comment, err)
				case want == "invalid" && err == nil:
					t.Errorf("%s #%d (%s): invalid signature accepted", name, tc.TcID, tc.Comment)
				}
			}
		}
		if n < 100 || su3 == 0 {
			t.Errorf("%s: only %d tests, %d in su3 form", name, n, su3)
		}
		t.Logf("%s: %d tests, %d in su3 form", name, n, su3)
	}
}

// isSU3Form reports whether sig^65537 mod pub is 00 01 FF..FF 00 || H(msg),
// computed independently of rsa.go.
func isSU3Form(st SigType, pub, msg, sig []byte) bool {
	n := new(big.Int).SetBytes(pub)
	s := new(big.Int).SetBytes(sig)
	if len(sig) != len(pub) || s.Cmp(n) >= 0 {
		return false
	}
	em := new(big.Int).Exp(s, big.NewInt(65537), n).FillBytes(make([]byte, len(pub)))
	h := st.HashFunc().New()
	h.Write(msg)
	want := append([]byte{0, 1}, bytesOf(0xff, len(pub)-3-h.Size())...)
	want = append(want, 0)
	return bytes.Equal(em, h.Sum(want))
}

// TestRSAForms signs with Go's crypto/rsa in both encodings I2P uses and
// checks that Verify and VerifyHash accept each and nothing else.
func TestRSAForms(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	st := SigRSASHA2562048
	pub := key.N.FillBytes(make([]byte, 256))
	msg := []byte("su3 content")
	digest := stdcrypto.SHA256.New()
	digest.Write(msg)
	d := digest.Sum(nil)
	for _, h := range []stdcrypto.Hash{0, stdcrypto.SHA256} {
		sig, err := rsa.SignPKCS1v15(nil, key, h, d)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(st, pub, msg, sig); err != nil {
			t.Errorf("hash %v: %v", h, err)
		}
		if err := VerifyHash(st, pub, d, sig); err != nil {
			t.Errorf("hash %v: VerifyHash: %v", h, err)
		}
		if err := Verify(st, pub, []byte("other"), sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("hash %v: other message: %v", h, err)
		}
		if err := Verify(SigRSASHA5124096, append(pub, pub...), msg, append(sig, sig...)); err == nil {
			t.Errorf("hash %v: accepted under another type", h)
		}
	}
	// A DigestInfo for the wrong hash must fail.
	wrong, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA512, append(d, d...))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(st, pub, msg, wrong); !errors.Is(err, ErrBadSignature) {
		t.Errorf("SHA-512 DigestInfo: %v", err)
	}
	// Signature values at or above the modulus.
	for name, sig := range map[string][]byte{"n": pub, "ff": bytesOf(0xff, 256), "0": make([]byte, 256)} {
		if err := Verify(st, pub, msg, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("s=%s: %v", name, err)
		}
	}
	// Bad moduli.
	even := new(big.Int).Add(key.N, big.NewInt(1)).FillBytes(make([]byte, 256))
	short := append([]byte{0}, pub[1:]...)
	for name, k := range map[string][]byte{"even": even, "leading zero": short, "zero": make([]byte, 256)} {
		if err := Verify(st, k, msg, pub); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s modulus: %v", name, err)
		}
	}
}
