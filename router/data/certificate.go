package data

import (
	"encoding/binary"
	"fmt"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// CertType is a Certificate type code.
type CertType uint8

// Certificate types (common-structures.rst "Certificate").
const (
	CertNull     CertType = 0
	CertHashCash CertType = 1
	CertHidden   CertType = 2
	CertSigned   CertType = 3
	CertMultiple CertType = 4
	CertKey      CertType = 5
)

func (t CertType) String() string {
	switch t {
	case CertNull:
		return "NULL"
	case CertHashCash:
		return "HASHCASH"
	case CertHidden:
		return "HIDDEN"
	case CertSigned:
		return "SIGNED"
	case CertMultiple:
		return "MULTIPLE"
	case CertKey:
		return "KEY"
	}
	return fmt.Sprintf("CertType(%d)", uint8(t))
}

// CryptoType is an encryption public key type code, as in a key certificate
// or a LeaseSet2 key list (common-structures.rst "PublicKey").
type CryptoType uint16

// Encryption key types.
const (
	CryptoElGamal         CryptoType = 0
	CryptoP256            CryptoType = 1
	CryptoP384            CryptoType = 2
	CryptoP521            CryptoType = 3
	CryptoX25519          CryptoType = 4
	CryptoMLKEM512X25519  CryptoType = 5
	CryptoMLKEM768X25519  CryptoType = 6
	CryptoMLKEM1024X25519 CryptoType = 7
)

var cryptoTable = [...]struct {
	name string
	len  int
}{
	{"ElGamal", 256},
	{"P256", 64},
	{"P384", 96},
	{"P521", 132},
	{"X25519", 32},
	{"MLKEM512_X25519", 32},
	{"MLKEM768_X25519", 32},
	{"MLKEM1024_X25519", 32},
}

// Known reports whether the key length of t is known.
func (t CryptoType) Known() bool { return int(t) < len(cryptoTable) }

// PublicKeyLen is the length of a public key of type t, or -1 if unknown.
func (t CryptoType) PublicKeyLen() int {
	if !t.Known() {
		return -1
	}
	return cryptoTable[t].len
}

func (t CryptoType) String() string {
	if !t.Known() {
		return fmt.Sprintf("CryptoType(%d)", uint16(t))
	}
	return cryptoTable[t].name
}

// Sizes of the key area of a KeysAndCert.
const (
	keyAreaLen        = 384
	cryptoSlotLen     = 256 // PublicKey field without a key certificate
	signingSlotLen    = 128 // SigningPublicKey field without a key certificate
	keyCertHeaderLen  = 4
	signedCertLen     = 40
	signedCertHashLen = 72
)

// Certificate is a certificate: a type and a payload (common-structures.rst
// "Certificate").
type Certificate struct {
	Type    CertType
	Payload []byte
}

// NullCertificate is the NULL certificate.
var NullCertificate = Certificate{Type: CertNull}

// NewKeyCertificate builds a KEY certificate for the two key types. Signing
// keys longer than 128 bytes and encryption keys longer than 256 bytes
// spill over into the certificate; pass that excess as the extra bytes
// (excess signing key data, then excess encryption key data).
func NewKeyCertificate(sig crypto.SigType, enc CryptoType, excess []byte) Certificate {
	p := make([]byte, keyCertHeaderLen, keyCertHeaderLen+len(excess))
	binary.BigEndian.PutUint16(p[0:], uint16(sig))
	binary.BigEndian.PutUint16(p[2:], uint16(enc))
	return Certificate{Type: CertKey, Payload: append(p, excess...)}
}

// SigType is the signing key type: from a KEY certificate, or DSA_SHA1 for
// every other certificate.
func (c Certificate) SigType() crypto.SigType {
	if c.Type == CertKey && len(c.Payload) >= keyCertHeaderLen {
		return crypto.SigType(binary.BigEndian.Uint16(c.Payload))
	}
	return crypto.SigDSASHA1
}

// CryptoType is the encryption key type: from a KEY certificate, or ElGamal
// for every other certificate.
func (c Certificate) CryptoType() CryptoType {
	if c.Type == CertKey && len(c.Payload) >= keyCertHeaderLen {
		return CryptoType(binary.BigEndian.Uint16(c.Payload[2:]))
	}
	return CryptoElGamal
}

// excessLens returns how many bytes of signing and encryption key spill into
// a key certificate for these types.
func excessLens(sig crypto.SigType, enc CryptoType) (sigExcess, encExcess int) {
	if n := sig.PublicKeyLen(); n > signingSlotLen {
		sigExcess = n - signingSlotLen
	}
	if n := enc.PublicKeyLen(); n > cryptoSlotLen {
		encExcess = n - cryptoSlotLen
	}
	return
}

// check enforces the payload length of each certificate type, as the spec
// asks ("prohibit excess data in Certificates").
func (c Certificate) check() error {
	n := len(c.Payload)
	if n > 65535 {
		return fmt.Errorf("%w: certificate payload of %d bytes", ErrMalformed, n)
	}
	switch c.Type {
	case CertNull, CertHidden:
		if n != 0 {
			return fmt.Errorf("%w: %v certificate with %d-byte payload", ErrMalformed, c.Type, n)
		}
	case CertSigned:
		if n != signedCertLen && n != signedCertHashLen {
			return fmt.Errorf("%w: SIGNED certificate with %d-byte payload, want 40 or 72", ErrMalformed, n)
		}
	case CertKey:
		if n < keyCertHeaderLen {
			return fmt.Errorf("%w: KEY certificate with %d-byte payload, want at least 4", ErrMalformed, n)
		}
		sig, enc := c.SigType(), c.CryptoType()
		if !sig.Known() {
			// The key length is unknown, so the excess cannot be checked;
			// KeysAndCert rejects the type.
			return nil
		}
		se, ee := excessLens(sig, enc)
		if want := keyCertHeaderLen + se + ee; n != want && (enc.Known() || n < want) {
			return fmt.Errorf("%w: KEY certificate (%v, %v) with %d-byte payload, want %d", ErrMalformed, sig, enc, n, want)
		}
	}
	return nil
}

// Len is the encoded length: 3 plus the payload.
func (c Certificate) Len() int { return 3 + len(c.Payload) }

// AppendBinary appends type, 2-byte length and payload.
func (c Certificate) AppendBinary(b []byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return b, err
	}
	b = append(b, byte(c.Type), byte(len(c.Payload)>>8), byte(len(c.Payload)))
	return append(b, c.Payload...), nil
}

// ParseCertificate reads a Certificate and returns the remaining bytes. The
// payload length must suit the type: 0 for NULL and HIDDEN, 40 or 72 for
// SIGNED, and for KEY the 4-byte header plus exactly the excess key data
// the two types need.
func ParseCertificate(b []byte) (Certificate, []byte, error) {
	r := reader{b: b, what: "Certificate"}
	c := Certificate{Type: CertType(r.u8())}
	n := int(r.u16())
	c.Payload = r.copyBytes(n)
	if r.err != nil {
		return Certificate{}, b, r.err
	}
	if n == 0 {
		c.Payload = nil
	}
	if err := c.check(); err != nil {
		return Certificate{}, b, err
	}
	return c, r.b, nil
}
