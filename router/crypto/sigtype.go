package crypto

import (
	stdcrypto "crypto"
	"crypto/ed25519"
	_ "crypto/sha1" // registers SHA-1 for SigDSASHA1.HashFunc
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"fmt"
	"io"
)

// SigType is an I2P signature type code (common-structures.rst, "Key Certificates").
type SigType uint16

// Signature types, by their code in a key certificate.
const (
	SigDSASHA1         SigType = 0
	SigECDSASHA256P256 SigType = 1
	SigECDSASHA384P384 SigType = 2
	SigECDSASHA512P521 SigType = 3
	SigRSASHA2562048   SigType = 4
	SigRSASHA3843072   SigType = 5
	SigRSASHA5124096   SigType = 6
	SigEd25519         SigType = 7
	SigEd25519ph       SigType = 8
	SigRedDSAEd25519   SigType = 11
)

// Errors that callers branch on.
var (
	ErrBadSignature       = errors.New("crypto: signature verification failed")
	ErrUnsupportedSigType = errors.New("crypto: unsupported signature type")
	ErrKeyLength          = errors.New("crypto: wrong key length")
	ErrInvalidKey         = errors.New("crypto: invalid key")
)

type sigInfo struct {
	name    string
	pubLen  int
	privLen int
	sigLen  int
	hash    stdcrypto.Hash
}

// sigTable lists the lengths in bytes of each type's public key, private key
// and signature (common-structures.rst: SigningPublicKey, SigningPrivateKey,
// Signature), and the hash the type applies to the message (Java I2P
// SigType: "SHA-1", "SHA-256", ...).
var sigTable = map[SigType]sigInfo{
	SigDSASHA1:         {"DSA_SHA1", 128, 20, 40, stdcrypto.SHA1},
	SigECDSASHA256P256: {"ECDSA_SHA256_P256", 64, 32, 64, stdcrypto.SHA256},
	SigECDSASHA384P384: {"ECDSA_SHA384_P384", 96, 48, 96, stdcrypto.SHA384},
	SigECDSASHA512P521: {"ECDSA_SHA512_P521", 132, 66, 132, stdcrypto.SHA512},
	SigRSASHA2562048:   {"RSA_SHA256_2048", 256, 512, 256, stdcrypto.SHA256},
	SigRSASHA3843072:   {"RSA_SHA384_3072", 384, 768, 384, stdcrypto.SHA384},
	SigRSASHA5124096:   {"RSA_SHA512_4096", 512, 1024, 512, stdcrypto.SHA512},
	SigEd25519:         {"EdDSA_SHA512_Ed25519", 32, 32, 64, stdcrypto.SHA512},
	SigEd25519ph:       {"EdDSA_SHA512_Ed25519ph", 32, 32, 64, stdcrypto.SHA512},
	SigRedDSAEd25519:   {"RedDSA_SHA512_Ed25519", 32, 32, 64, stdcrypto.SHA512},
}

// Known reports whether t is a signature type this package knows the sizes of.
func (t SigType) Known() bool { _, ok := sigTable[t]; return ok }

// PublicKeyLen is the length of a signing public key of type t, or -1.
func (t SigType) PublicKeyLen() int {
	if i, ok := sigTable[t]; ok {
		return i.pubLen
	}
	return -1
}

// PrivateKeyLen is the length of a signing private key of type t, or -1.
func (t SigType) PrivateKeyLen() int {
	if i, ok := sigTable[t]; ok {
		return i.privLen
	}
	return -1
}

// SignatureLen is the length of a signature of type t, or -1.
func (t SigType) SignatureLen() int {
	if i, ok := sigTable[t]; ok {
		return i.sigLen
	}
	return -1
}

// HashFunc is the hash type t is defined over, or 0 for an unknown type.
// For the types VerifyHash accepts, it is the digest VerifyHash expects;
// for EdDSA and RedDSA it is the hash inside the algorithm.
func (t SigType) HashFunc() stdcrypto.Hash { return sigTable[t].hash }

func (t SigType) String() string {
	if i, ok := sigTable[t]; ok {
		return i.name
	}
	return fmt.Sprintf("SigType(%d)", uint16(t))
}

// Verify checks sig over msg with the public key pub of type t. It returns
// nil, or an error wrapping ErrBadSignature, ErrInvalidKey, ErrKeyLength or
// ErrUnsupportedSigType. It never panics on any input.
//
// For every type but EdDSA_SHA512_Ed25519 and RedDSA_SHA512_Ed25519,
// Verify(t, pub, msg, sig) is VerifyHash(t, pub, H(msg), sig) with H =
// t.HashFunc(). The doc comment of this package says how each type is
// checked and where that differs from a literal reading of the specs.
func Verify(t SigType, pub, msg, sig []byte) error {
	if err := checkLengths(t, pub, sig); err != nil {
		return err
	}
	switch t {
	case SigEd25519, SigRedDSAEd25519:
		// RedDSA signatures are verified exactly as Ed25519 ones; see
		// reddsa.go.
		if !ed25519.Verify(ed25519.PublicKey(pub), msg, sig) {
			return ErrBadSignature
		}
		return nil
	default:
		h := t.HashFunc().New()
		h.Write(msg)
		return verifyDigest(t, pub, h.Sum(nil), sig)
	}
}

// VerifyHash checks sig over a message whose digest under t.HashFunc() is
// digest. It is the form su3 files are checked in (Java SU3File hashes the
// signed bytes with the type's hash and passes the digest to DSAEngine's
// "raw" verify). It accepts every type but EdDSA_SHA512_Ed25519 and
// RedDSA_SHA512_Ed25519, whose hash is part of the algorithm and has no
// prehashed form. Errors are as for Verify.
func VerifyHash(t SigType, pub, digest, sig []byte) error {
	if err := checkLengths(t, pub, sig); err != nil {
		return err
	}
	if t == SigEd25519 || t == SigRedDSAEd25519 {
		return fmt.Errorf("%w: %v has no prehashed form", ErrUnsupportedSigType, t)
	}
	if len(digest) != t.HashFunc().Size() {
		return fmt.Errorf("%w: %v digest is %d bytes, want %d", ErrBadSignature, t, len(digest), t.HashFunc().Size())
	}
	return verifyDigest(t, pub, digest, sig)
}

func checkLengths(t SigType, pub, sig []byte) error {
	if !t.Known() {
		return fmt.Errorf("%w: %d", ErrUnsupportedSigType, uint16(t))
	}
	if len(pub) != t.PublicKeyLen() {
		return fmt.Errorf("%w: %v public key is %d bytes, want %d", ErrKeyLength, t, len(pub), t.PublicKeyLen())
	}
	if len(sig) != t.SignatureLen() {
		return fmt.Errorf("%w: %v signature is %d bytes, want %d", ErrBadSignature, t, len(sig), t.SignatureLen())
	}
	return nil
}

// verifyDigest checks a signature of any type but Ed25519 and RedDSA over
// a digest of the right length. The lengths of pub and sig are checked.
func verifyDigest(t SigType, pub, digest, sig []byte) error {
	switch t {
	case SigDSASHA1:
		return verifyDSA(pub, digest, sig)
	case SigECDSASHA256P256, SigECDSASHA384P384, SigECDSASHA512P521:
		return verifyECDSA(t, pub, digest, sig)
	case SigRSASHA2562048, SigRSASHA3843072, SigRSASHA5124096:
		return verifyRSA(t, pub, digest, sig)
	case SigEd25519ph:
		return verifyEd25519ph(pub, digest, sig)
	}
	return fmt.Errorf("%w: %v", ErrUnsupportedSigType, t)
}

// Signer signs messages with one private key.
type Signer interface {
	Type() SigType
	// Public is the signing public key in I2P wire format.
	Public() []byte
	Sign(msg []byte) ([]byte, error)
}

// Ed25519Signer signs with an Ed25519 key (type 7).
type Ed25519Signer struct{ key ed25519.PrivateKey }

// NewEd25519Signer wraps seed, a 32-byte Ed25519 private key (the I2P
// SigningPrivateKey form).
func NewEd25519Signer(seed []byte) (*Ed25519Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, ErrKeyLength
	}
	return &Ed25519Signer{key: ed25519.NewKeyFromSeed(seed)}, nil
}

// GenerateEd25519 makes a new Ed25519 signer from rand.
func GenerateEd25519(rand io.Reader) (*Ed25519Signer, error) {
	_, k, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, err
	}
	return &Ed25519Signer{key: k}, nil
}

func (s *Ed25519Signer) Type() SigType                   { return SigEd25519 }
func (s *Ed25519Signer) Public() []byte                  { return []byte(s.key.Public().(ed25519.PublicKey)) }
func (s *Ed25519Signer) Seed() []byte                    { return s.key.Seed() }
func (s *Ed25519Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }
