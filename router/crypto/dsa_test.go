package crypto

import (
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"math/big"
	"testing"
)

// dsaSignForTest signs digest with x in I2P's group (FIPS 186, as Java I2P
// DSAEngine.signIt does). Only tests sign DSA.
func dsaSignForTest(t *testing.T, x *big.Int, digest []byte) []byte {
	t.Helper()
	for {
		k, err := rand.Int(rand.Reader, dsaQ)
		if err != nil {
			t.Fatal(err)
		}
		if k.Sign() == 0 {
			continue
		}
		r := new(big.Int).Exp(dsaG, k, dsaP)
		r.Mod(r, dsaQ)
		s := new(big.Int).Mul(x, r)
		s.Add(s, new(big.Int).SetBytes(digest))
		s.Mul(s, new(big.Int).ModInverse(k, dsaQ))
		s.Mod(s, dsaQ)
		if r.Sign() == 0 || s.Sign() == 0 {
			continue
		}
		sig := make([]byte, 40)
		r.FillBytes(sig[:20])
		s.FillBytes(sig[20:])
		return sig
	}
}

func dsaKeyForTest(t *testing.T) (x *big.Int, pub []byte) {
	t.Helper()
	x, err := rand.Int(rand.Reader, dsaQ)
	if err != nil {
		t.Fatal(err)
	}
	pub = make([]byte, 128)
	new(big.Int).Exp(dsaG, x, dsaP).FillBytes(pub)
	return x, pub
}

func TestDSAGroup(t *testing.T) {
	// cryptography.rst: p is 1024 bits, q 160 bits, g has order q.
	if dsaP.BitLen() != 1024 || dsaQ.BitLen() != 160 || !dsaP.ProbablyPrime(20) || !dsaQ.ProbablyPrime(20) {
		t.Fatal("bad p or q")
	}
	if new(big.Int).Mod(new(big.Int).Sub(dsaP, big.NewInt(1)), dsaQ).Sign() != 0 {
		t.Fatal("q does not divide p-1")
	}
	if new(big.Int).Exp(dsaG, dsaQ, dsaP).Cmp(big.NewInt(1)) != 0 {
		t.Fatal("g^q != 1")
	}
}

func TestDSARoundTrip(t *testing.T) {
	x, pub := dsaKeyForTest(t)
	for _, msg := range [][]byte{nil, []byte("I2P"), make([]byte, 5000)} {
		d := sha1.Sum(msg)
		sig := dsaSignForTest(t, x, d[:])
		if err := Verify(SigDSASHA1, pub, msg, sig); err != nil {
			t.Fatal(err)
		}
		if err := Verify(SigDSASHA1, pub, append(msg, 1), sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("other message: %v", err)
		}
	}
}

func TestDSARanges(t *testing.T) {
	x, pub := dsaKeyForTest(t)
	msg := []byte("range")
	d := sha1.Sum(msg)
	good := dsaSignForTest(t, x, d[:])
	q := make([]byte, 20)
	dsaQ.FillBytes(q)
	ff := bytesOf(0xff, 20)
	zero := make([]byte, 20)
	for name, sig := range map[string][]byte{
		"r=0":  append(append([]byte(nil), zero...), good[20:]...),
		"s=0":  append(append([]byte(nil), good[:20]...), zero...),
		"r=q":  append(append([]byte(nil), q...), good[20:]...),
		"s=q":  append(append([]byte(nil), good[:20]...), q...),
		"r=ff": append(append([]byte(nil), ff...), good[20:]...),
		"all0": make([]byte, 40),
	} {
		if err := Verify(SigDSASHA1, pub, msg, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p := make([]byte, 128)
	dsaP.FillBytes(p)
	one := make([]byte, 128)
	one[127] = 1
	for name, y := range map[string][]byte{"y=0": make([]byte, 128), "y=1": one, "y=p": p, "y=ff": bytesOf(0xff, 128)} {
		if err := Verify(SigDSASHA1, y, msg, good); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func bytesOf(b byte, n int) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = b
	}
	return s
}
