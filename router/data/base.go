package data

import (
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
)

// i2pBase64 is RFC 4648 base64 with the I2P alphabet: '-' and '~' replace
// '+' and '/'. Padding with '=' is required.
var i2pBase64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~").Strict()

// i2pBase32 is RFC 4648 base32, lower case, without padding, as used in
// .b32.i2p addresses.
var i2pBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Base64Encode encodes b in I2P base64 (alphabet A-Za-z0-9-~, '=' padding).
func Base64Encode(b []byte) string { return i2pBase64.EncodeToString(b) }

// Base64Decode decodes I2P base64. Padding is required, the unused bits of
// the last character must be zero, and no other characters (line breaks
// included) are accepted, so every input has one canonical encoding.
func Base64Decode(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("data: base64: line break in input")
	}
	b, err := i2pBase64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("data: base64: %w", err)
	}
	return b, nil
}

// Base32Encode encodes b in lower-case RFC 4648 base32 without padding.
func Base32Encode(b []byte) string { return i2pBase32.EncodeToString(b) }

// Base32Decode decodes RFC 4648 base32 without padding. Upper-case letters
// are accepted (host names are case-insensitive); the unused bits of the last
// character must be zero.
func Base32Decode(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n=") {
		return nil, fmt.Errorf("data: base32: invalid character in input")
	}
	s = strings.ToLower(s)
	b, err := i2pBase32.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("data: base32: %w", err)
	}
	// encoding/base32 has no strict mode: re-encode to reject non-zero
	// unused bits in the last character.
	if i2pBase32.EncodeToString(b) != s {
		return nil, fmt.Errorf("data: base32: non-canonical encoding")
	}
	return b, nil
}
