package data

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
)

// Hash is a SHA-256 digest (common-structures.rst, "Hash"). It names router
// identities, destinations and netDb keys.
type Hash [32]byte

// HashOf returns the SHA-256 of b.
func HashOf(b []byte) Hash { return Hash(sha256.Sum256(b)) }

// String returns the 44-character I2P base64 form.
func (h Hash) String() string { return Base64Encode(h[:]) }

// Base32 returns the 52-character lower-case base32 form, without suffix.
func (h Hash) Base32() string { return Base32Encode(h[:]) }

// IsZero reports whether h is all zeros.
func (h Hash) IsZero() bool { return h == Hash{} }

// LogValue logs the first 6 base64 characters, as the Java router console
// abbreviates hashes.
func (h Hash) LogValue() slog.Value { return slog.StringValue(h.String()[:6]) }

// MarshalText returns the base64 form.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses the base64 form.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := HashFromBase64(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// AppendBinary appends the 32 hash bytes.
func (h Hash) AppendBinary(b []byte) ([]byte, error) { return append(b, h[:]...), nil }

// ParseHash reads a 32-byte hash and returns the remaining bytes.
func ParseHash(b []byte) (Hash, []byte, error) {
	r := reader{b: b, what: "Hash"}
	h := r.hash()
	return h, r.b, r.err
}

// HashFromBase64 parses the 44-character base64 form of a hash.
func HashFromBase64(s string) (Hash, error) {
	var h Hash
	if len(s) != 44 {
		return h, fmt.Errorf("data: hash: base64 form is %d characters, want 44", len(s))
	}
	b, err := Base64Decode(s)
	if err != nil {
		return h, err
	}
	copy(h[:], b)
	return h, nil
}

// HashFromBase32 parses the 52-character base32 form of a hash (without the
// .b32.i2p suffix).
func HashFromBase32(s string) (Hash, error) {
	var h Hash
	if len(s) != 52 {
		return h, fmt.Errorf("data: hash: base32 form is %d characters, want 52", len(s))
	}
	b, err := Base32Decode(s)
	if err != nil {
		return h, err
	}
	copy(h[:], b)
	return h, nil
}

// B32Suffix ends every base32 I2P host name.
const B32Suffix = ".b32.i2p"

// B32Address returns "<52 base32 characters>.b32.i2p" for a destination hash.
func B32Address(h Hash) string { return h.Base32() + B32Suffix }

// ParseB32Address parses a standard "<52 chars>.b32.i2p" host name (case
// insensitive) into the destination hash. Longer names are encrypted
// leaseset addresses: see ParseB33Address.
func ParseB32Address(host string) (Hash, error) {
	name, ok := cutSuffixFold(host, B32Suffix)
	if !ok {
		return Hash{}, fmt.Errorf("data: %q does not end in %s", host, B32Suffix)
	}
	return HashFromBase32(name)
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}
