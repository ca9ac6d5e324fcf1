package data

import (
	"bytes"
	"fmt"
	"io"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// KeysAndCert is the 384-byte key area plus a Certificate
// (common-structures.rst "KeysAndCert"), the body of both RouterIdentity and
// Destination. It keeps its original bytes: Bytes and Hash use them, and the
// key accessors return slices of them, which callers must not modify.
//
// Key area layout with a KEY certificate: the encryption key at the start
// (up to 256 bytes), the signing key right-aligned at the end of the 384
// bytes (up to 128 bytes), padding between. Longer signing keys (P521, RSA)
// fill the 128-byte slot [256:384] and continue in the certificate after its
// 4-byte header; longer encryption keys would continue after that.
type KeysAndCert struct {
	raw    []byte
	hash   Hash
	cert   Certificate
	encKey []byte // nil when the encryption type is unknown
	sigKey []byte
}

// KeysAndCertMinLen is the length with a NULL certificate.
const KeysAndCertMinLen = keyAreaLen + 3

// ParseKeysAndCert reads a KeysAndCert and returns the remaining bytes. It
// fails on signature types whose key length is unknown. The result does not
// alias b.
func ParseKeysAndCert(b []byte) (KeysAndCert, []byte, error) {
	if len(b) < KeysAndCertMinLen {
		return KeysAndCert{}, b, fmt.Errorf("%w: KeysAndCert needs %d bytes, have %d", ErrShort, KeysAndCertMinLen, len(b))
	}
	cert, rest, err := ParseCertificate(b[keyAreaLen:])
	if err != nil {
		return KeysAndCert{}, b, err
	}
	raw := append([]byte(nil), b[:len(b)-len(rest)]...)
	k, err := newKeysAndCert(raw, cert)
	if err != nil {
		return KeysAndCert{}, b, err
	}
	return k, rest, nil
}

// newKeysAndCert slices the keys out of raw, a complete encoding whose
// certificate cert has been parsed.
func newKeysAndCert(raw []byte, cert Certificate) (KeysAndCert, error) {
	sig, enc := cert.SigType(), cert.CryptoType()
	sigLen := sig.PublicKeyLen()
	if sigLen < 0 {
		return KeysAndCert{}, fmt.Errorf("%w: %d in key certificate", ErrUnsupportedSigType, uint16(sig))
	}
	k := KeysAndCert{raw: raw, hash: HashOf(raw), cert: cert}
	area := raw[:keyAreaLen:keyAreaLen]
	sigExcess, encExcess := excessLens(sig, enc)
	excess := cert.Payload
	if cert.Type == CertKey {
		excess = cert.Payload[keyCertHeaderLen:]
	}
	if sigExcess == 0 {
		k.sigKey = area[keyAreaLen-sigLen:]
	} else {
		key := make([]byte, 0, sigLen)
		key = append(key, area[cryptoSlotLen:]...)
		k.sigKey = append(key, excess[:sigExcess]...)
	}
	if n := enc.PublicKeyLen(); n >= 0 {
		if encExcess == 0 {
			k.encKey = area[:n:n]
		} else {
			key := make([]byte, 0, n)
			key = append(key, area[:cryptoSlotLen]...)
			k.encKey = append(key, excess[sigExcess:sigExcess+encExcess]...)
		}
	}
	return k, nil
}

// NewKeysAndCert builds a KeysAndCert with a KEY certificate (or a NULL one
// for ElGamal with DSA_SHA1, the canonical form). encPub may be nil, as for
// a Destination, whose encryption key field is unused: then that field is
// filled like the padding.
//
// Padding follows the Proposal 161 guidelines Java I2P and i2pd use since
// 0.9.57: 32 bytes read from padding, repeated over the gap (and over an
// omitted encryption key), so the structure compresses well.
func NewKeysAndCert(sigType crypto.SigType, sigPub []byte, cryptoType CryptoType, encPub []byte, padding io.Reader) (KeysAndCert, error) {
	sigLen := sigType.PublicKeyLen()
	if sigLen < 0 {
		return KeysAndCert{}, fmt.Errorf("%w: %d", ErrUnsupportedSigType, uint16(sigType))
	}
	if len(sigPub) != sigLen {
		return KeysAndCert{}, fmt.Errorf("data: %v signing key is %d bytes, want %d", sigType, len(sigPub), sigLen)
	}
	encLen := cryptoType.PublicKeyLen()
	if encLen < 0 {
		return KeysAndCert{}, fmt.Errorf("data: unknown crypto type %d", uint16(cryptoType))
	}
	if encPub != nil && len(encPub) != encLen {
		return KeysAndCert{}, fmt.Errorf("data: %v encryption key is %d bytes, want %d", cryptoType, len(encPub), encLen)
	}
	sigExcess, encExcess := excessLens(sigType, cryptoType)

	var area [keyAreaLen]byte
	// Fill the gap between the two keys, and the encryption key field
	// too when there is no key for it.
	padStart := min(encLen, cryptoSlotLen)
	if encPub == nil {
		padStart = 0
	}
	padEnd := keyAreaLen - min(sigLen, signingSlotLen)
	if padEnd > padStart {
		var seed [32]byte
		if _, err := io.ReadFull(padding, seed[:]); err != nil {
			return KeysAndCert{}, fmt.Errorf("data: reading padding: %w", err)
		}
		for i := padStart; i < padEnd; i += len(seed) {
			copy(area[i:padEnd], seed[:])
		}
	}
	copy(area[:], encPub[:min(len(encPub), cryptoSlotLen)])
	copy(area[padEnd:], sigPub)

	cert := NullCertificate
	if sigType != crypto.SigDSASHA1 || cryptoType != CryptoElGamal {
		var excess []byte
		if sigExcess > 0 {
			excess = append(excess, sigPub[signingSlotLen:]...)
		}
		if encExcess > 0 {
			excess = append(excess, encPub[cryptoSlotLen:]...)
		}
		cert = NewKeyCertificate(sigType, cryptoType, excess)
	}
	raw, err := cert.AppendBinary(area[:])
	if err != nil {
		return KeysAndCert{}, err
	}
	return newKeysAndCert(raw, cert)
}

// AppendBinary appends the original bytes.
func (k KeysAndCert) AppendBinary(b []byte) ([]byte, error) {
	if k.raw == nil {
		return b, fmt.Errorf("%w: empty KeysAndCert", ErrMalformed)
	}
	return append(b, k.raw...), nil
}

// Bytes returns the encoded form. Do not modify it.
func (k KeysAndCert) Bytes() []byte { return k.raw }

// Len is the encoded length.
func (k KeysAndCert) Len() int { return len(k.raw) }

// Hash is the SHA-256 of Bytes: the router hash of a RouterIdentity, the
// destination hash of a Destination.
func (k KeysAndCert) Hash() Hash { return k.hash }

// Certificate returns the certificate.
func (k KeysAndCert) Certificate() Certificate { return k.cert }

// SigType is the signing key type.
func (k KeysAndCert) SigType() crypto.SigType { return k.cert.SigType() }

// CryptoType is the encryption key type.
func (k KeysAndCert) CryptoType() CryptoType { return k.cert.CryptoType() }

// SigningKey is the signing public key, reassembled from the key area and
// the certificate if it spills over.
func (k KeysAndCert) SigningKey() []byte { return k.sigKey }

// EncryptionKey is the encryption public key, or nil if its type is unknown.
// For a Destination it is unused and may be random data.
func (k KeysAndCert) EncryptionKey() []byte { return k.encKey }

// IsZero reports whether k is the zero value.
func (k KeysAndCert) IsZero() bool { return k.raw == nil }

// Equal reports whether k and o have the same encoding.
func (k KeysAndCert) Equal(o KeysAndCert) bool { return bytes.Equal(k.raw, o.raw) }

// Verify checks sig over msg with the signing key.
func (k KeysAndCert) Verify(msg, sig []byte) error {
	return crypto.Verify(k.SigType(), k.sigKey, msg, sig)
}

// RouterIdentity identifies a router (common-structures.rst
// "RouterIdentity"). Its Hash is the router hash.
type RouterIdentity struct{ KeysAndCert }

// ParseRouterIdentity reads a RouterIdentity and returns the remaining bytes.
func ParseRouterIdentity(b []byte) (RouterIdentity, []byte, error) {
	k, rest, err := ParseKeysAndCert(b)
	return RouterIdentity{k}, rest, err
}

// NewRouterIdentity builds a router identity, normally Ed25519 with X25519
// (crypto type 4); see NewKeysAndCert.
func NewRouterIdentity(sigType crypto.SigType, sigPub []byte, cryptoType CryptoType, encPub []byte, padding io.Reader) (RouterIdentity, error) {
	if encPub == nil {
		return RouterIdentity{}, fmt.Errorf("data: a router identity needs an encryption key")
	}
	k, err := NewKeysAndCert(sigType, sigPub, cryptoType, encPub, padding)
	return RouterIdentity{k}, err
}

// Destination is a client endpoint (common-structures.rst "Destination").
// Its Hash is the destination hash, the key of its leasesets in the netDb.
type Destination struct{ KeysAndCert }

// ParseDestination reads a Destination and returns the remaining bytes.
func ParseDestination(b []byte) (Destination, []byte, error) {
	k, rest, err := ParseKeysAndCert(b)
	return Destination{k}, rest, err
}

// NewDestination builds a destination with an unused (padding-filled)
// ElGamal public key field, as Java I2P and i2pd do.
func NewDestination(sigType crypto.SigType, sigPub []byte, padding io.Reader) (Destination, error) {
	k, err := NewKeysAndCert(sigType, sigPub, CryptoElGamal, nil, padding)
	return Destination{k}, err
}

// DestinationFromBase64 parses the I2P base64 form of a destination, as in
// hosts.txt, SAM and I2CP. Nothing may follow the destination.
func DestinationFromBase64(s string) (Destination, error) {
	b, err := Base64Decode(s)
	if err != nil {
		return Destination{}, err
	}
	d, rest, err := ParseDestination(b)
	if err != nil {
		return Destination{}, err
	}
	if len(rest) != 0 {
		return Destination{}, fmt.Errorf("%w: %d bytes after the destination", ErrTrailing, len(rest))
	}
	return d, nil
}

// Base64 returns the I2P base64 form of the encoding.
func (k KeysAndCert) Base64() string { return Base64Encode(k.raw) }

// B32 returns the destination's "<52 chars>.b32.i2p" address.
func (d Destination) B32() string { return B32Address(d.Hash()) }
