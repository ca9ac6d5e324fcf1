package data

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Key blinding for encrypted LeaseSets (encryptedleaseset.rst, "Blinding
// Key Derivation", 2025-05, 0.9.66), byte for byte as i2pd 2.45.1
// (libi2pd/Blinding.cpp BlindedPublicKey) and Java I2P
// (net/i2p/crypto/Blinding.java) do it:
//
//	keydata  = A || stA(2) || stA'(2)        stA = 7 or 11, stA' = 11
//	salt     = SHA-256("I2PGenerateAlpha" || keydata)
//	seed     = HKDF-SHA256(salt, "yyyyMMdd" || secret, "i2pblinding1", 64)
//	alpha    = seed (little-endian) mod L
//	A'       = A + [alpha]B               (BLIND_PUBKEY, for clients)
//	a'       = (a + alpha) mod L           (BLIND_PRIVKEY, for the owner)
//	storeKey = SHA-256(stA'(2) || A')      (the netDb key)
//
// where "yyyyMMdd" is the UTC date. For an Ed25519 (type 7) destination a is
// the clamped left half of SHA-512(seed), for RedDSA (type 11) it is the
// private scalar itself; the blinded key is always RedDSA (type 11).
//
// Which day: the publisher blinds with the date of the Published time it
// writes into the EncryptedLeaseSet, and caps Expires at the next UTC
// midnight (i2pd LocalEncryptedLeaseSet2), so a blinded key is only ever
// valid on its own day. A reader checks the blinded key against the date of
// that Published field (i2pd LeaseSet2::ReadFromBufferEncrypted, Java
// EncryptedLeaseSet.blind with _published set). Lookups use the current UTC
// date (i2pd BlindedPublicKey::GetStoreHash with no date, Java BlindData,
// which recomputes when the routing key rolls over at midnight): in the
// first seconds after midnight a lookup for today's key can fail until the
// publisher has republished under the new day, just as for i2pd and Java.
//
// The secret: Java appends the UTF-8 secret to the date string when the
// b33 address has B33FlagSecret. i2pd 2.45.1 does not implement secrets
// (GenerateAlpha hashes the date only), so a non-empty secret works only
// with Java peers and i2pgo.

// BlindedSigType is the signature type of every blinded key.
const BlindedSigType = crypto.SigRedDSAEd25519

// MaxSecretLen bounds the UTF-8 length of the optional blinding secret
// (Java Blinding.encode refuses secrets of more than 255 bytes).
const MaxSecretLen = 255

// DateString is the 8-character "yyyyMMdd" UTC date of t that key blinding
// hashes.
func DateString(t time.Time) string { return t.UTC().Format("20060102") }

// canBlind reports whether keys of type t can be blinded (Ed25519 and
// RedDSA only, encryptedleaseset.rst "Goals").
func canBlind(t crypto.SigType) bool {
	return t == crypto.SigEd25519 || t == crypto.SigRedDSAEd25519
}

func checkBlindable(sigType crypto.SigType, pub []byte, secret string) error {
	if !canBlind(sigType) {
		return fmt.Errorf("%w: cannot blind %v keys, only Ed25519 and RedDSA", ErrUnsupportedSigType, sigType)
	}
	if len(pub) != 32 {
		return fmt.Errorf("%w: %v public key of %d bytes", ErrMalformed, sigType, len(pub))
	}
	if len(secret) > MaxSecretLen {
		return fmt.Errorf("%w: blinding secret of %d bytes, max %d", ErrMalformed, len(secret), MaxSecretLen)
	}
	return nil
}

// keydata is A || stA || stA', the input of the alpha salt and of the
// credential.
func keydata(sigType crypto.SigType, pub []byte) []byte {
	b := append(make([]byte, 0, len(pub)+4), pub...)
	b = binary.BigEndian.AppendUint16(b, uint16(sigType))
	return binary.BigEndian.AppendUint16(b, uint16(BlindedSigType))
}

// personalHash is H(p, d) = SHA-256(p || d).
func personalHash(p string, d ...[]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(p))
	for _, b := range d {
		h.Write(b)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// blindingAlpha is GENERATE_ALPHA: the 64-byte HKDF output, which the
// crypto package reduces mod L.
func blindingAlpha(sigType crypto.SigType, pub []byte, t time.Time, secret string) ([]byte, error) {
	if err := checkBlindable(sigType, pub, secret); err != nil {
		return nil, err
	}
	salt := personalHash("I2PGenerateAlpha", keydata(sigType, pub))
	ikm := append([]byte(DateString(t)), secret...)
	return hkdf.Key(sha256.New, ikm, salt[:], "i2pblinding1", 64)
}

// BlindPublicKey returns the blinded public key (type 11, BlindedSigType) of
// a destination's signing public key pub, of type 7 (Ed25519) or 11
// (RedDSA), for the UTC day of t and the optional secret ("" for none).
func BlindPublicKey(sigType crypto.SigType, pub []byte, t time.Time, secret string) ([]byte, error) {
	alpha, err := blindingAlpha(sigType, pub, t, secret)
	if err != nil {
		return nil, err
	}
	b, err := crypto.BlindRedDSAPublic(pub, alpha)
	if err != nil {
		return nil, fmt.Errorf("data: blinding %v key: %w", sigType, err)
	}
	return b, nil
}

// BlindSigner returns the blinded signer (type 11) for the UTC day of t, for
// the destination's owner: s must be a *crypto.Ed25519Signer or a
// *crypto.RedDSASigner. Its public key equals BlindPublicKey(s.Type(),
// s.Public(), t, secret).
func BlindSigner(s crypto.Signer, t time.Time, secret string) (*crypto.RedDSASigner, error) {
	var red *crypto.RedDSASigner
	switch s := s.(type) {
	case *crypto.Ed25519Signer:
		var err error
		if red, err = crypto.NewRedDSASignerFromEd25519(s.Seed()); err != nil {
			return nil, fmt.Errorf("data: blinding Ed25519 key: %w", err)
		}
	case *crypto.RedDSASigner:
		red = s
	default:
		return nil, fmt.Errorf("%w: cannot blind a %T (%v) signer, only Ed25519 and RedDSA", ErrUnsupportedSigType, s, s.Type())
	}
	alpha, err := blindingAlpha(s.Type(), s.Public(), t, secret)
	if err != nil {
		return nil, err
	}
	b, err := red.Blind(alpha)
	if err != nil {
		return nil, fmt.Errorf("data: blinding %v key: %w", s.Type(), err)
	}
	return b, nil
}

// EncryptedLeaseSetKey is the netDb key (store hash) under which the
// encrypted LeaseSet of the destination with signing key pub is stored on
// the UTC day of t: SHA-256 of the blinded sig type (2 bytes) and the
// blinded public key. Lookups pass the current time.
func EncryptedLeaseSetKey(sigType crypto.SigType, pub []byte, t time.Time, secret string) (Hash, error) {
	b, err := BlindPublicKey(sigType, pub, t, secret)
	if err != nil {
		return Hash{}, err
	}
	return BlindedStoreHash(BlindedSigType, b), nil
}

// Key returns the netDb key of the encrypted LeaseSet of the destination in
// a on the UTC day of t (see EncryptedLeaseSetKey).
func (a B33Address) Key(t time.Time, secret string) (Hash, error) {
	if a.BlindedSigType != BlindedSigType {
		return Hash{}, fmt.Errorf("%w: b33 blinded signature type %v", ErrUnsupportedSigType, a.BlindedSigType)
	}
	return EncryptedLeaseSetKey(a.SigType, a.PublicKey, t, secret)
}

// subcredential is H("subcredential", H("credential", keydata) || A').
func subcredential(sigType crypto.SigType, pub, blinded []byte) [32]byte {
	cred := personalHash("credential", keydata(sigType, pub))
	return personalHash("subcredential", cred[:], blinded)
}
