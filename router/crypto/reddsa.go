package crypto

import (
	crand "crypto/rand"
	"crypto/sha512"
	"fmt"
	"io"

	"filippo.io/edwards25519"
)

// RedDSA_SHA512_Ed25519 (type 11) as deployed.
//
// Keys: the private key is a scalar a mod L, 32 bytes little-endian; the
// public key is [a]B in Ed25519 encoding (red25519.rst, "Encoding and
// decoding").
//
// Signatures: deployed routers do not use the personalized, length-prefixed
// hash HStar that red25519.rst writes out ("I2P_Red25519H(x)" || ... ||
// len_u16(M) || M). They differ from Ed25519 only in the nonce:
//
//	T = 80 random bytes
//	r = SHA-512(T || A || M) mod L,  R = [r]B
//	S = (r + SHA-512(R || A || M) * a) mod L
//
// and verification is Ed25519 verification. Sources: Java I2P
// net/i2p/crypto/eddsa/RedDSAEngine.java (digestInitSign feeds 64+16 random
// bytes and A into the digest; everything else is EdDSAEngine), i2pd
// libi2pd/Ed25519.cpp Ed25519::SignRedDSA, and i2pd libi2pd/Signature.h
// ("typedef EDDSA25519Verifier RedDSA25519Verifier"). cryptography.rst says
// the same in words: "Standard EdDSA ... but with different private keys,
// and minor modifications to signing". The signatures in the red25519.rst
// test vectors verify only under HStar; the tests check that, and use the
// vectors' key material (sk, vk, alpha, rsk, rvk), which does not depend on
// the hash.

// RedDSASigner signs with a RedDSA_SHA512_Ed25519 key (type 11).
type RedDSASigner struct {
	a    edwards25519.Scalar
	pub  [32]byte
	rand io.Reader // source of T; nil means crypto/rand.Reader
}

// NewRedDSASigner wraps priv, a 32-byte little-endian RedDSA private
// scalar (the I2P SigningPrivateKey form). A value not below L, such as a
// clamped Ed25519 scalar, is reduced mod L; zero is rejected.
func NewRedDSASigner(priv []byte) (*RedDSASigner, error) {
	if len(priv) != 32 {
		return nil, ErrKeyLength
	}
	a, err := wideScalar(priv)
	if err != nil {
		return nil, err
	}
	return newRedDSASigner(a)
}

// NewRedDSASignerFromEd25519 returns the RedDSA signer for an Ed25519 key
// given as its 32-byte seed (the I2P SigningPrivateKey of type 7): the
// scalar is CONVERT_ED25519_PRIVATE(seed) (red25519.rst), and the public
// key equals the Ed25519 public key. Encrypted LeaseSets use it to blind
// Ed25519 Destinations.
func NewRedDSASignerFromEd25519(seed []byte) (*RedDSASigner, error) {
	if len(seed) != 32 {
		return nil, ErrKeyLength
	}
	h := sha512.Sum512(seed)
	var a edwards25519.Scalar
	if _, err := a.SetBytesWithClamping(h[:32]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return newRedDSASigner(&a)
}

// GenerateRedDSA makes a new RedDSA signer whose scalar is 64 bytes from
// rand reduced mod L, as Java I2P RedKeyPairGenerator does. A nil rand
// means crypto/rand.Reader. Signatures always draw T from crypto/rand.
func GenerateRedDSA(rand io.Reader) (*RedDSASigner, error) {
	if rand == nil {
		rand = crand.Reader
	}
	var b [64]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return nil, err
	}
	a, err := wideScalar(b[:])
	if err != nil {
		return nil, err
	}
	return newRedDSASigner(a)
}

func newRedDSASigner(a *edwards25519.Scalar) (*RedDSASigner, error) {
	if a.Equal(edwards25519.NewScalar()) == 1 {
		return nil, fmt.Errorf("%w: zero RedDSA scalar", ErrInvalidKey)
	}
	s := &RedDSASigner{a: *a}
	copy(s.pub[:], new(edwards25519.Point).ScalarBaseMult(a).Bytes())
	return s, nil
}

func (s *RedDSASigner) Type() SigType { return SigRedDSAEd25519 }

// Public is the 32-byte public key [a]B.
func (s *RedDSASigner) Public() []byte { return append([]byte(nil), s.pub[:]...) }

// Private is the private scalar, reduced mod L, 32 bytes little-endian.
func (s *RedDSASigner) Private() []byte { return s.a.Bytes() }

// Sign returns R || S as deployed routers make it (see the comment at the
// top of this file). The signature verifies with Verify(SigRedDSAEd25519,
// ...) and, equally, as an Ed25519 signature.
func (s *RedDSASigner) Sign(msg []byte) ([]byte, error) {
	rand := s.rand
	if rand == nil {
		rand = crand.Reader
	}
	var t [80]byte
	if _, err := io.ReadFull(rand, t[:]); err != nil {
		return nil, err
	}
	h := sha512.New()
	h.Write(t[:])
	h.Write(s.pub[:])
	h.Write(msg)
	r, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()

	h.Reset()
	h.Write(R)
	h.Write(s.pub[:])
	h.Write(msg)
	c, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	S := edwards25519.NewScalar().MultiplyAdd(c, &s.a, r)
	return append(R, S.Bytes()...), nil
}

// Blind returns the signer for the blinded private key (a + alpha) mod L:
// RANDOMIZE_PRIVATE in red25519.rst, BLIND_PRIVKEY in
// encryptedleaseset.rst. alpha is 32 or 64 bytes, little-endian, and is
// reduced mod L (encryptedleaseset.rst GENERATE_ALPHA yields 64 bytes).
func (s *RedDSASigner) Blind(alpha []byte) (*RedDSASigner, error) {
	al, err := alphaScalar(alpha)
	if err != nil {
		return nil, err
	}
	return newRedDSASigner(edwards25519.NewScalar().Add(&s.a, al))
}

// BlindRedDSAPublic returns the blinded public key pub + [alpha]B:
// RANDOMIZE_PUBLIC in red25519.rst, BLIND_PUBKEY in encryptedleaseset.rst.
// alpha is as for Blind. For a signer s,
// BlindRedDSAPublic(s.Public(), alpha) equals the public key of s.Blind(alpha).
func BlindRedDSAPublic(pub, alpha []byte) ([]byte, error) {
	if len(pub) != 32 {
		return nil, ErrKeyLength
	}
	al, err := alphaScalar(alpha)
	if err != nil {
		return nil, err
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: RedDSA public key: %v", ErrInvalidKey, err)
	}
	A.Add(A, new(edwards25519.Point).ScalarBaseMult(al))
	if A.Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, fmt.Errorf("%w: blinded RedDSA key is the identity", ErrInvalidKey)
	}
	return A.Bytes(), nil
}

func alphaScalar(alpha []byte) (*edwards25519.Scalar, error) {
	if len(alpha) != 32 && len(alpha) != 64 {
		return nil, fmt.Errorf("%w: alpha is %d bytes, want 32 or 64", ErrKeyLength, len(alpha))
	}
	return wideScalar(alpha)
}

// wideScalar reduces a little-endian value of at most 64 bytes mod L.
func wideScalar(b []byte) (*edwards25519.Scalar, error) {
	var wide [64]byte
	copy(wide[:], b)
	s, err := edwards25519.NewScalar().SetUniformBytes(wide[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return s, nil
}
