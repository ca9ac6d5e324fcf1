package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// testStream is the deterministic random stream of
// testdata/gen_elgamal.py: SHA-256(seed || counter), 4-byte big-endian
// counter from 0.
type testStream struct {
	seed []byte
	ctr  uint32
	buf  []byte
}

func (s *testStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) {
		h := sha256.Sum256(binary.BigEndian.AppendUint32(append([]byte(nil), s.seed...), s.ctr))
		s.buf = append(s.buf, h[:]...)
		s.ctr++
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

type elgVectors struct {
	Encrypt []struct {
		Seed       hexBytes `json:"seed"`
		Private    hexBytes `json:"private"`
		Public     hexBytes `json:"public"`
		Data       hexBytes `json:"data"`
		Ciphertext hexBytes `json:"ciphertext"`
	} `json:"encrypt"`
	Decrypt []struct {
		Data       hexBytes `json:"data"`
		Ciphertext hexBytes `json:"ciphertext"`
	} `json:"decrypt"`
}

func TestElGamalPrime(t *testing.T) {
	if !elgP.ProbablyPrime(20) || elgP.BitLen() != 2048 {
		t.Fatal("p is not a 2048-bit prime")
	}
	q := new(big.Int).Rsh(elgP, 1)
	if !q.ProbablyPrime(20) {
		t.Fatal("p is not a safe prime")
	}
}

// TestElGamalVectors checks key generation and encryption byte for byte
// against the Python implementation of testdata/gen_elgamal.py, with the
// same random stream, and decrypts its blocks.
func TestElGamalVectors(t *testing.T) {
	var v elgVectors
	readJSON(t, "elgamal_vectors.json", &v)
	if len(v.Encrypt) == 0 || len(v.Decrypt) == 0 {
		t.Fatal("no vectors")
	}
	var first *ElGamalPrivateKey
	for i, tc := range v.Encrypt {
		s := &testStream{seed: tc.Seed}
		k, err := GenerateElGamal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(k.Bytes(), tc.Private) {
			t.Fatalf("%d: private key differs", i)
		}
		pub := k.Public()
		if !bytes.Equal(pub[:], tc.Public) {
			t.Fatalf("%d: public key differs", i)
		}
		ct, err := pub.Encrypt(s, tc.Data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ct[:], tc.Ciphertext) {
			t.Fatalf("%d: ciphertext differs\n got %x\nwant %x", i, ct, tc.Ciphertext)
		}
		k2, err := NewElGamalPrivateKey(tc.Private)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := k2.Decrypt(tc.Ciphertext)
		if err != nil || !bytes.Equal(pt[:], tc.Data) {
			t.Fatalf("%d: Decrypt = %x, %v", i, pt, err)
		}
		if i == 0 {
			first = k2
		}
	}
	for i, tc := range v.Decrypt {
		pt, err := first.Decrypt(tc.Ciphertext)
		if err != nil || !bytes.Equal(pt[:], tc.Data) {
			t.Fatalf("decrypt vector %d: %x, %v", i, pt, err)
		}
	}
}

func TestElGamalRoundTrip(t *testing.T) {
	k, err := GenerateElGamal(nil)
	if err != nil {
		t.Fatal(err)
	}
	kp := k.Public()
	pub, err := ParseElGamalPublicKey(kp[:])
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, ElGamalPlaintextLen)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for range 3 {
		ct, err := pub.Encrypt(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		if ct[0] != 0 || ct[257] != 0 {
			t.Fatalf("padding bytes %#x %#x", ct[0], ct[257])
		}
		pt, err := k.Decrypt(ct[:])
		if err != nil || !bytes.Equal(pt[:], data) {
			t.Fatalf("Decrypt = %x, %v", pt, err)
		}
	}
	// Another key cannot decrypt it.
	other, _ := GenerateElGamal(nil)
	ct, _ := pub.Encrypt(nil, data)
	if _, err := other.Decrypt(ct[:]); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: %v", err)
	}
	// Private key bytes round trip.
	k2, err := NewElGamalPrivateKey(k.Bytes())
	if err != nil || k2.Public() != k.Public() {
		t.Fatalf("NewElGamalPrivateKey: %v", err)
	}
	if s := k.String() + k.GoString(); strings.Contains(s, k.x.Text(16)[:8]) {
		t.Fatal("String shows the private key")
	}
}

func TestElGamalMalformed(t *testing.T) {
	k, _ := GenerateElGamal(&testStream{seed: []byte("malformed")})
	pub := k.Public()
	data := make([]byte, ElGamalPlaintextLen)
	good, err := pub.Encrypt(&testStream{seed: []byte("m")}, data)
	if err != nil {
		t.Fatal(err)
	}
	mut := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good[:]...)
		return f(b)
	}
	pBytes := elgP.FillBytes(make([]byte, 256))
	cases := map[string][]byte{
		"empty":     nil,
		"short":     good[:513],
		"long":      append(good[:], 0),
		"pad0":      mut(func(b []byte) []byte { b[0] = 1; return b }),
		"pad257":    mut(func(b []byte) []byte { b[257] = 1; return b }),
		"a zero":    mut(func(b []byte) []byte { clear(b[1:257]); return b }),
		"a = p":     mut(func(b []byte) []byte { copy(b[1:257], pBytes); return b }),
		"b = p":     mut(func(b []byte) []byte { copy(b[258:], pBytes); return b }),
		"a ff":      mut(func(b []byte) []byte { copy(b[1:257], bytes.Repeat([]byte{0xff}, 256)); return b }),
		"bit flip":  mut(func(b []byte) []byte { b[300] ^= 1; return b }),
		"all zeros": make([]byte, ElGamalCiphertextLen),
	}
	for name, ct := range cases {
		if _, err := k.Decrypt(ct); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
	// m with a zero first byte is refused even when the hash matches:
	// build it by hand with k = 1 (a = g, b = y*m).
	m := make([]byte, 255)
	h := sha256.Sum256(m[33:])
	copy(m[1:], h[:])
	y := new(big.Int).SetBytes(pub[:])
	b := new(big.Int).Mul(y, new(big.Int).SetBytes(m))
	b.Mod(b, elgP)
	ct := make([]byte, 514)
	elgG.FillBytes(ct[1:257])
	b.FillBytes(ct[258:])
	if _, err := k.Decrypt(ct); !errors.Is(err, ErrDecrypt) {
		t.Errorf("zero first byte: %v", err)
	}
	m[0] = 0xff
	b = new(big.Int).Mul(y, new(big.Int).SetBytes(m))
	b.Mod(b, elgP)
	b.FillBytes(ct[258:])
	if _, err := k.Decrypt(ct); err != nil {
		t.Errorf("0xff first byte: %v", err)
	}

	if _, err := pub.Encrypt(nil, data[:221]); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short plaintext: %v", err)
	}
	for name, y := range map[string][]byte{
		"zero": make([]byte, 256), "one": big.NewInt(1).FillBytes(make([]byte, 256)),
		"p-1": elgPm1.FillBytes(make([]byte, 256)), "p": pBytes,
	} {
		if _, err := ParseElGamalPublicKey(y); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("public key %s: %v", name, err)
		}
		var bad ElGamalPublicKey
		copy(bad[:], y)
		if _, err := bad.Encrypt(nil, data); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Encrypt to %s: %v", name, err)
		}
	}
	if _, err := ParseElGamalPublicKey(make([]byte, 255)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short public key: %v", err)
	}
	for name, x := range map[string][]byte{
		"zero": make([]byte, 256), "p-1": elgPm1.FillBytes(make([]byte, 256)),
	} {
		if _, err := NewElGamalPrivateKey(x); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("private key %s: %v", name, err)
		}
	}
	if _, err := NewElGamalPrivateKey(make([]byte, 32)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short private key: %v", err)
	}
}

// FuzzElGamalDecrypt feeds arbitrary blocks to Decrypt, which must not
// panic and must reject anything it did not make except by chance.
func FuzzElGamalDecrypt(f *testing.F) {
	k, _ := GenerateElGamal(&testStream{seed: []byte("fuzz")})
	pub := k.Public()
	good, _ := pub.Encrypt(&testStream{seed: []byte("fuzz ct")}, make([]byte, ElGamalPlaintextLen))
	f.Add(good[:])
	f.Add(make([]byte, ElGamalCiphertextLen))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := k.Decrypt(ct)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("error %v does not wrap ErrDecrypt", err)
			}
			return
		}
		if len(ct) != ElGamalCiphertextLen {
			t.Fatalf("accepted a block of %d bytes", len(ct))
		}
		again, err := k.Decrypt(ct)
		if err != nil || again != pt {
			t.Fatalf("second Decrypt = %x, %v", again, err)
		}
	})
}

func BenchmarkElGamalDecrypt(b *testing.B) {
	k, _ := GenerateElGamal(nil)
	pub := k.Public()
	ct, _ := pub.Encrypt(nil, make([]byte, ElGamalPlaintextLen))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Decrypt(ct[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkElGamalEncrypt(b *testing.B) {
	k, _ := GenerateElGamal(nil)
	pub := k.Public()
	data := make([]byte, ElGamalPlaintextLen)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pub.Encrypt(nil, data); err != nil {
			b.Fatal(err)
		}
	}
}
