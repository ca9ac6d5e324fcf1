package crypto

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"

	crand "crypto/rand"
)

// ElGamal-2048 as I2P uses it (cryptography.rst, "ElGamal"): the 2048-bit
// MODP group of RFC 3526 section 3 with generator 2, one 222-byte block
// per encryption.
//
// The plaintext block is a nonzero byte, SHA-256 of the data and the data:
//
//	+----+----+----+----+----+----+----+----+
//	|nonz|          SHA-256(data) (32)      |
//	+----+                                  +
//	~                                       ~
//	+    +----+----+----+----+----+----+----+
//	|    |  data (222) ...
//	+----+----+-//
//
// and the ciphertext is the two values a = g^k and b = y^k * m, each
// written as a 256-byte big-endian number after one zero byte:
//
//	0x00 || a (256) || 0x00 || b (256)     514 bytes
//
// That is the form of Java I2P's ElGamalEngine (always 514 bytes) and of
// i2pd's ElGamalEncrypt (libi2pd/Crypto.cpp). Older i2pd had a
// zeroPadding flag: with it the 514-byte form above, used by garlic
// (ElGamal/AES+SessionTags); without it a 512-byte a || b, used only by
// the ElGamal tunnel build records, which are gone from the network
// (tunnel-creation-ecies.rst). i2pd 2.45.1 keeps only the 514-byte form,
// and so does this package.
//
// The nonzero first byte is random, as Java has made it since 0.9.28
// (i2pd writes 0xFF); decryption only checks that it is nonzero, which is
// what Java's leading-zero stripping amounts to. The zero bytes at 0 and
// 257 must be zero: both implementations write them so.
//
// Timing: math/big's modular exponentiation is a fixed 4-bit window
// Montgomery ladder, so the sequence of multiplications depends only on
// the exponent's length, but its table lookups and reductions are not
// constant-time (Java decrypts with modPowCT, i2pd with OpenSSL's
// BN_mod_exp, which is constant-time for secret exponents). Decryption
// therefore blinds the exponent: it raises a to (p-1-x) + r(p-1) for a
// fresh 64-bit r, which gives the same result (Fermat) and a different
// exponent every time.

// Lengths of ElGamal keys and blocks.
const (
	// ElGamalKeyLen is the length of an ElGamal public or private key.
	ElGamalKeyLen = 256
	// ElGamalPlaintextLen is the length of the data in one block.
	ElGamalPlaintextLen = 222
	// ElGamalCiphertextLen is the length of an encrypted block.
	ElGamalCiphertextLen = 514
)

// ErrDecrypt means an ElGamal block did not decrypt: a value out of
// range, nonzero padding, or a hash that does not match (the block was
// made for another key, or altered).
var ErrDecrypt = errors.New("crypto: ElGamal decryption failed")

// The RFC 3526 2048-bit MODP prime, as printed in cryptography.rst.
const elgPHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AACAA68FFFFFFFFFFFFFFFF"

var (
	elgP   = mustHex(elgPHex)
	elgG   = big.NewInt(2)
	elgPm1 = new(big.Int).Sub(elgP, big.NewInt(1))
	elgPm2 = new(big.Int).Sub(elgP, big.NewInt(2))
	bigOne = big.NewInt(1)
)

// ElGamalPublicKey is a 256-byte ElGamal public key y = g^x mod p, big
// endian, as in a LeaseSet or an old RouterIdentity. Use
// ParseElGamalPublicKey to check one from the wire; Encrypt checks again.
type ElGamalPublicKey [ElGamalKeyLen]byte

// ParseElGamalPublicKey checks that b is 256 bytes holding a value y with
// 1 < y < p-1 and returns it as a key. It fails with ErrKeyLength or
// ErrInvalidKey.
func ParseElGamalPublicKey(b []byte) (ElGamalPublicKey, error) {
	var k ElGamalPublicKey
	if len(b) != ElGamalKeyLen {
		return k, fmt.Errorf("%w: ElGamal public key of %d bytes, want %d", ErrKeyLength, len(b), ElGamalKeyLen)
	}
	copy(k[:], b)
	if _, err := k.value(); err != nil {
		return ElGamalPublicKey{}, err
	}
	return k, nil
}

func (k *ElGamalPublicKey) value() (*big.Int, error) {
	y := new(big.Int).SetBytes(k[:])
	if y.Cmp(bigOne) <= 0 || y.Cmp(elgPm1) >= 0 {
		return nil, fmt.Errorf("%w: ElGamal public key out of range", ErrInvalidKey)
	}
	return y, nil
}

// String returns a short prefix of the key's base64, as
// X25519KeyPair.String does.
func (k ElGamalPublicKey) String() string {
	return "ElGamal:" + base64.RawStdEncoding.EncodeToString(k[:6])
}

// LogValue is the short form of String.
func (k ElGamalPublicKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Encrypt encrypts one 222-byte block of data to k and returns the
// 514-byte ciphertext. The random nonzero byte and the ephemeral exponent
// k in [1, p-2] are read from rand (nil means crypto/rand.Reader), which
// makes the output reproducible for a fixed rand. It fails with
// ErrKeyLength if data is not 222 bytes, ErrInvalidKey if k is out of
// range, and with rand's error.
func (k ElGamalPublicKey) Encrypt(rand io.Reader, data []byte) ([ElGamalCiphertextLen]byte, error) {
	var out [ElGamalCiphertextLen]byte
	if len(data) != ElGamalPlaintextLen {
		return out, fmt.Errorf("%w: ElGamal plaintext of %d bytes, want %d", ErrKeyLength, len(data), ElGamalPlaintextLen)
	}
	y, err := k.value()
	if err != nil {
		return out, err
	}
	if rand == nil {
		rand = crand.Reader
	}
	var m [1 + sha256.Size + ElGamalPlaintextLen]byte
	for m[0] == 0 {
		if _, err := io.ReadFull(rand, m[:1]); err != nil {
			return out, fmt.Errorf("crypto: ElGamal random byte: %w", err)
		}
	}
	h := sha256.Sum256(data)
	copy(m[1:], h[:])
	copy(m[1+sha256.Size:], data)
	e, err := randExponent(rand)
	if err != nil {
		return out, err
	}
	a := new(big.Int).Exp(elgG, e, elgP)
	b := new(big.Int).Exp(y, e, elgP)
	b.Mul(b, new(big.Int).SetBytes(m[:]))
	b.Mod(b, elgP)
	a.FillBytes(out[1:257])
	b.FillBytes(out[258:514])
	return out, nil
}

// randExponent returns a uniform value in [1, p-2] from 256 bytes of rand
// at a time, by rejection (almost never needed: p is within 2^-63 of
// 2^2048).
func randExponent(rand io.Reader) (*big.Int, error) {
	var buf [ElGamalKeyLen]byte
	e := new(big.Int)
	for {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return nil, fmt.Errorf("crypto: ElGamal random exponent: %w", err)
		}
		e.SetBytes(buf[:])
		if e.Sign() > 0 && e.Cmp(elgPm2) <= 0 {
			return e, nil
		}
	}
}

// ElGamalPrivateKey is an ElGamal private key x with its public key. Its
// String, GoString and LogValue show only the public key's prefix.
type ElGamalPrivateKey struct {
	x   *big.Int
	pub ElGamalPublicKey
}

// GenerateElGamal makes a key pair with a full 2048-bit exponent, uniform
// in [1, p-2], from rand (nil means crypto/rand.Reader). Java I2P and i2pd
// on 64-bit machines also use full exponents (cryptography.rst, "Short
// Exponent").
func GenerateElGamal(rand io.Reader) (*ElGamalPrivateKey, error) {
	if rand == nil {
		rand = crand.Reader
	}
	x, err := randExponent(rand)
	if err != nil {
		return nil, err
	}
	return newElGamalPrivateKey(x), nil
}

// NewElGamalPrivateKey takes a 256-byte big-endian private key x, as
// stored by Java and i2pd (short-exponent keys are zero-padded on the
// left), and computes its public key. It fails with ErrKeyLength, or with
// ErrInvalidKey unless 0 < x < p-1.
func NewElGamalPrivateKey(b []byte) (*ElGamalPrivateKey, error) {
	if len(b) != ElGamalKeyLen {
		return nil, fmt.Errorf("%w: ElGamal private key of %d bytes, want %d", ErrKeyLength, len(b), ElGamalKeyLen)
	}
	x := new(big.Int).SetBytes(b)
	if x.Sign() == 0 || x.Cmp(elgPm1) >= 0 {
		return nil, fmt.Errorf("%w: ElGamal private key out of range", ErrInvalidKey)
	}
	return newElGamalPrivateKey(x), nil
}

func newElGamalPrivateKey(x *big.Int) *ElGamalPrivateKey {
	k := &ElGamalPrivateKey{x: x}
	new(big.Int).Exp(elgG, x, elgP).FillBytes(k.pub[:])
	return k
}

// Public returns the public key.
func (k *ElGamalPrivateKey) Public() ElGamalPublicKey { return k.pub }

// Bytes returns the 256-byte private key, zero-padded on the left.
func (k *ElGamalPrivateKey) Bytes() []byte { return k.x.FillBytes(make([]byte, ElGamalKeyLen)) }

func (k *ElGamalPrivateKey) String() string { return "private " + k.pub.String() }

// GoString is String, so that %#v does not print the key.
func (k *ElGamalPrivateKey) GoString() string { return k.String() }

// LogValue is String.
func (k *ElGamalPrivateKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Decrypt decrypts a 514-byte block made for k and returns its 222 bytes
// of data. Every failure (wrong length, values out of range, nonzero
// padding bytes, a zero first byte or a hash mismatch) returns an error
// wrapping ErrDecrypt; the checks after the exponentiation are done
// without early exits on the data.
func (k *ElGamalPrivateKey) Decrypt(ct []byte) ([ElGamalPlaintextLen]byte, error) {
	var out [ElGamalPlaintextLen]byte
	if len(ct) != ElGamalCiphertextLen {
		return out, fmt.Errorf("%w: block of %d bytes, want %d", ErrDecrypt, len(ct), ElGamalCiphertextLen)
	}
	if ct[0] != 0 || ct[257] != 0 {
		return out, fmt.Errorf("%w: nonzero padding byte", ErrDecrypt)
	}
	a := new(big.Int).SetBytes(ct[1:257])
	b := new(big.Int).SetBytes(ct[258:514])
	if a.Sign() == 0 || a.Cmp(elgP) >= 0 || b.Cmp(elgP) >= 0 {
		return out, fmt.Errorf("%w: value out of range", ErrDecrypt)
	}
	// e = (p-1-x) + r(p-1); a^e = a^(p-1-x) = a^-x mod p.
	var rb [8]byte
	crand.Read(rb[:]) // never fails (crypto/rand, Go 1.24+)
	e := new(big.Int).SetBytes(rb[:])
	e.Mul(e, elgPm1)
	e.Add(e, elgPm1)
	e.Sub(e, k.x)
	s := new(big.Int).Exp(a, e, elgP)
	s.Mul(s, b)
	s.Mod(s, elgP)
	if s.BitLen() > 8*(1+sha256.Size+ElGamalPlaintextLen) {
		return out, fmt.Errorf("%w: plaintext too large", ErrDecrypt)
	}
	var m [1 + sha256.Size + ElGamalPlaintextLen]byte
	s.FillBytes(m[:])
	h := sha256.Sum256(m[1+sha256.Size:])
	ok := subtle.ConstantTimeCompare(h[:], m[1:1+sha256.Size]) &^ subtle.ConstantTimeByteEq(m[0], 0)
	if ok != 1 {
		return out, fmt.Errorf("%w: hash mismatch", ErrDecrypt)
	}
	copy(out[:], m[1+sha256.Size:])
	return out, nil
}
