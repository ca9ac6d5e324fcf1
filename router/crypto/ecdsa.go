package crypto

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
)

// ecdsaCurve is the curve of an ECDSA signature type, or nil.
func ecdsaCurve(t SigType) elliptic.Curve {
	switch t {
	case SigECDSASHA256P256:
		return elliptic.P256()
	case SigECDSASHA384P384:
		return elliptic.P384()
	case SigECDSASHA512P521:
		return elliptic.P521()
	}
	return nil
}

// parseECDSAPublic decodes an I2P ECDSA public key, X || Y with each
// coordinate big-endian and padded to half the key length
// (common-structures.rst, SigningPublicKey notes). It rejects points not on
// the curve and the point at infinity.
func parseECDSAPublic(t SigType, pub []byte) (*ecdsa.PublicKey, error) {
	b := make([]byte, 1+len(pub))
	b[0] = 4 // SEC 1 uncompressed point
	copy(b[1:], pub)
	k, err := ecdsa.ParseUncompressedPublicKey(ecdsaCurve(t), b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v public key: %v", ErrInvalidKey, t, err)
	}
	return k, nil
}

// verifyECDSA checks an ECDSA signature r || s (each big-endian, padded to
// half the signature length) over digest.
func verifyECDSA(t SigType, pub, digest, sig []byte) error {
	k, err := parseECDSAPublic(t, pub)
	if err != nil {
		return err
	}
	n := len(sig) / 2
	r := new(big.Int).SetBytes(sig[:n])
	s := new(big.Int).SetBytes(sig[n:])
	// ecdsa.Verify rejects r, s outside [1, N-1].
	if !ecdsa.Verify(k, digest, r, s) {
		return ErrBadSignature
	}
	return nil
}

// ECDSASigner signs with an ECDSA key of type 1, 2 or 3.
type ECDSASigner struct {
	t    SigType
	key  *ecdsa.PrivateKey
	pub  []byte // X || Y
	priv []byte // big-endian scalar
}

// NewECDSASigner wraps priv, an I2P ECDSA SigningPrivateKey: the secret
// scalar, big-endian, padded to t.PrivateKeyLen() bytes.
func NewECDSASigner(t SigType, priv []byte) (*ECDSASigner, error) {
	c := ecdsaCurve(t)
	if c == nil {
		return nil, fmt.Errorf("%w: %v is not ECDSA", ErrUnsupportedSigType, t)
	}
	if len(priv) != t.PrivateKeyLen() {
		return nil, ErrKeyLength
	}
	k, err := ecdsa.ParseRawPrivateKey(c, priv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return newECDSASigner(t, k)
}

// GenerateECDSA makes a new ECDSA signer of type t. Since Go 1.26
// crypto/ecdsa draws the key from the system's secure source and ignores
// rand (see ecdsa.GenerateKey), so rand is accepted only for symmetry with
// the other Generate functions.
func GenerateECDSA(t SigType, rand io.Reader) (*ECDSASigner, error) {
	c := ecdsaCurve(t)
	if c == nil {
		return nil, fmt.Errorf("%w: %v is not ECDSA", ErrUnsupportedSigType, t)
	}
	k, err := ecdsa.GenerateKey(c, rand)
	if err != nil {
		return nil, err
	}
	return newECDSASigner(t, k)
}

func newECDSASigner(t SigType, k *ecdsa.PrivateKey) (*ECDSASigner, error) {
	pub, err := k.PublicKey.Bytes() // 0x04 || X || Y, each padded
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	priv, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return &ECDSASigner{t: t, key: k, pub: pub[1:], priv: priv}, nil
}

func (s *ECDSASigner) Type() SigType { return s.t }

// Public is X || Y, each big-endian and padded to half the key length.
func (s *ECDSASigner) Public() []byte { return append([]byte(nil), s.pub...) }

// Private is the secret scalar, big-endian, padded to the type's
// SigningPrivateKey length.
func (s *ECDSASigner) Private() []byte { return append([]byte(nil), s.priv...) }

// Sign hashes msg with the type's hash and returns r || s.
func (s *ECDSASigner) Sign(msg []byte) ([]byte, error) {
	h := s.t.HashFunc().New()
	h.Write(msg)
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, h.Sum(nil))
	if err != nil {
		return nil, err
	}
	n := s.t.SignatureLen() / 2
	sig := make([]byte, 2*n)
	r.FillBytes(sig[:n])
	ss.FillBytes(sig[n:])
	return sig, nil
}
