package sam

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/i2pgo/i2pgo/router/data"
)

// Signature type codes (common-structures.rst "Key Certificates"). The
// bridge names them here because it may not import router/crypto.
const (
	SigDSASHA1 uint16 = 0
	SigEd25519 uint16 = 7
	SigRedDSA  uint16 = 11
)

// sigTypeNames are the names SIGNATURE_TYPE accepts (Java's SigType enum,
// matched without regard to case), with their codes.
var sigTypeNames = map[string]uint16{
	"DSA_SHA1":               0,
	"ECDSA_SHA256_P256":      1,
	"ECDSA_SHA384_P384":      2,
	"ECDSA_SHA512_P521":      3,
	"RSA_SHA256_2048":        4,
	"RSA_SHA384_3072":        5,
	"RSA_SHA512_4096":        6,
	"EDDSA_SHA512_ED25519":   7,
	"ED25519":                7,
	"EDDSA_SHA512_ED25519PH": 8,
	"REDDSA_SHA512_ED25519":  11,
}

// ParseSigType reads a SIGNATURE_TYPE value: a number or a name, in any
// case. It does not check that the type can be generated.
func ParseSigType(s string) (uint16, error) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), nil
	}
	if t, ok := sigTypeNames[strings.ToUpper(s)]; ok {
		return t, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnsupportedSigType, s)
}

// encPrivLen is the private key length stored for a destination's
// encryption type, as Java's PrivateKeyFile and i2pd's PrivateKeys do.
func encPrivLen(t data.CryptoType) int {
	switch t {
	case data.CryptoElGamal:
		return 256
	case data.CryptoX25519:
		return 32
	}
	return -1
}

// PrivateKeys is SAM's $privkey (the I2P "Private Key File" format):
//
//	Destination (387+ bytes) | encryption private key | signing private key
//
// The encryption private key is 256 bytes for crypto type 0 (ElGamal; the
// field has been unused since 0.6 and may be random or zero) and 32 bytes
// for type 4 (X25519). The signing private key's length follows the
// destination's signature type (32 for Ed25519). A signing key of all
// zeros announces an offline signature block, which this codec refuses
// (ErrOfflineKeys).
//
// PrivateKeys is key material: its LogValue shows only the b32 address.
type PrivateKeys struct {
	Destination   data.Destination
	EncryptionKey []byte
	SigningKey    []byte
}

// ParsePrivateKeys decodes the binary form of a $privkey. Nothing may follow
// the signing key. The result does not alias b. For Ed25519 it also checks
// that the private key belongs to the destination.
func ParsePrivateKeys(b []byte) (*PrivateKeys, error) {
	d, rest, err := data.ParseDestination(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKeys, err)
	}
	encLen := encPrivLen(d.CryptoType())
	if encLen < 0 {
		return nil, fmt.Errorf("%w %d", ErrUnsupportedCryptoType, uint16(d.CryptoType()))
	}
	sigLen := d.SigType().PrivateKeyLen()
	if sigLen < 0 {
		return nil, fmt.Errorf("%w %d", ErrUnsupportedSigType, uint16(d.SigType()))
	}
	if len(rest) < encLen+sigLen {
		return nil, fmt.Errorf("%w: %d bytes of private keys, want %d", ErrBadKeys, len(rest), encLen+sigLen)
	}
	k := &PrivateKeys{
		Destination:   d,
		EncryptionKey: bytes.Clone(rest[:encLen]),
		SigningKey:    bytes.Clone(rest[encLen : encLen+sigLen]),
	}
	rest = rest[encLen+sigLen:]
	if allZero(k.SigningKey) {
		return nil, ErrOfflineKeys
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadKeys, len(rest))
	}
	if uint16(d.SigType()) == SigEd25519 {
		pub := ed25519.NewKeyFromSeed(k.SigningKey).Public().(ed25519.PublicKey)
		if subtle.ConstantTimeCompare(pub, d.SigningKey()) != 1 {
			return nil, fmt.Errorf("%w: signing key does not match the destination", ErrBadKeys)
		}
	}
	return k, nil
}

// PrivateKeysFromBase64 decodes a $privkey in I2P base64.
func PrivateKeysFromBase64(s string) (*PrivateKeys, error) {
	b, err := data.Base64Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKeys, err)
	}
	return ParsePrivateKeys(b)
}

// AppendBinary appends the binary $privkey.
func (k *PrivateKeys) AppendBinary(b []byte) ([]byte, error) {
	d := k.Destination
	if d.IsZero() {
		return b, fmt.Errorf("%w: no destination", ErrBadKeys)
	}
	if n := encPrivLen(d.CryptoType()); n != len(k.EncryptionKey) {
		return b, fmt.Errorf("%w: encryption key of %d bytes, want %d", ErrBadKeys, len(k.EncryptionKey), n)
	}
	if n := d.SigType().PrivateKeyLen(); n != len(k.SigningKey) {
		return b, fmt.Errorf("%w: signing key of %d bytes, want %d", ErrBadKeys, len(k.SigningKey), n)
	}
	b, err := d.AppendBinary(b)
	if err != nil {
		return b, err
	}
	b = append(b, k.EncryptionKey...)
	return append(b, k.SigningKey...), nil
}

// Base64 returns the $privkey in I2P base64, as SESSION STATUS and DEST
// REPLY send it.
func (k *PrivateKeys) Base64() (string, error) {
	b, err := k.AppendBinary(nil)
	if err != nil {
		return "", err
	}
	return data.Base64Encode(b), nil
}

// LogValue shows the destination's b32 address and never the keys.
func (k *PrivateKeys) LogValue() slog.Value {
	return slog.StringValue(k.Destination.B32())
}

// String is LogValue's text, so that %v cannot leak the keys either.
func (k *PrivateKeys) String() string { return k.Destination.B32() }

// GenerateKeys makes new keys for a destination of signature type sig and
// encryption type enc (ElGamal or X25519), reading randomness from rand.
// Only Ed25519 (7) signing keys can be generated. For ElGamal, the
// destination's unused public key field is padding and the stored private
// key is 256 random bytes (samv3.html allows random or zero); for X25519 it
// is a real key pair.
func GenerateKeys(sig uint16, enc data.CryptoType, rand io.Reader) (*PrivateKeys, error) {
	if sig != SigEd25519 {
		return nil, fmt.Errorf("%w %d: only Ed25519 (7) can be generated", ErrUnsupportedSigType, sig)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("sam: generating keys: %w", err)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	k := &PrivateKeys{SigningKey: seed}
	var err error
	switch enc {
	case data.CryptoElGamal:
		k.EncryptionKey = make([]byte, 256)
		if _, err := io.ReadFull(rand, k.EncryptionKey); err != nil {
			return nil, fmt.Errorf("sam: generating keys: %w", err)
		}
		k.Destination, err = data.NewDestination(7, pub, rand)
	case data.CryptoX25519:
		var priv *ecdh.PrivateKey
		priv, err = ecdh.X25519().GenerateKey(rand)
		if err != nil {
			return nil, fmt.Errorf("sam: generating keys: %w", err)
		}
		k.EncryptionKey = priv.Bytes()
		var kc data.KeysAndCert
		kc, err = data.NewKeysAndCert(7, pub, data.CryptoX25519, priv.PublicKey().Bytes(), rand)
		k.Destination = data.Destination{KeysAndCert: kc}
	default:
		return nil, fmt.Errorf("%w %d", ErrUnsupportedCryptoType, uint16(enc))
	}
	if err != nil {
		return nil, fmt.Errorf("sam: generating keys: %w", err)
	}
	return k, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
