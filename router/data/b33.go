package data

import (
	"fmt"
	"hash/crc32"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Flags of a B33Address (b32encrypted.rst).
const (
	B33FlagTwoByteSigTypes = 0x01 // sig types are 2 bytes each
	B33FlagSecret          = 0x02 // a secret is required to decrypt the leaseset
	B33FlagAuth            = 0x04 // per-client authorization is required
)

// B33Address is the content of a "b33" address (b32encrypted.rst): the
// ".b32.i2p" name of an encrypted leaseset, 56 or more base32 characters.
// It carries the destination's unblinded signing public key, its signature
// type, the blinded signature type and flags.
type B33Address struct {
	// Flags holds B33FlagSecret and B33FlagAuth. B33FlagTwoByteSigTypes
	// is set by AppendBinary when a sig type does not fit in one byte, and
	// may also be set to force the two-byte form.
	Flags          uint8
	SigType        crypto.SigType // type of PublicKey
	BlindedSigType crypto.SigType // type of the blinded key
	PublicKey      []byte         // unblinded signing public key
}

// AppendBinary appends the binary form with the CRC-32 checksum applied:
// flags and sig types, then the key; CRC-32 of everything after byte 3,
// little-endian, XORed into bytes 0..2.
func (a B33Address) AppendBinary(b []byte) ([]byte, error) {
	if a.Flags&^(B33FlagTwoByteSigTypes|B33FlagSecret|B33FlagAuth) != 0 {
		return b, fmt.Errorf("%w: b33 flags %#x", ErrMalformed, a.Flags)
	}
	if n := a.SigType.PublicKeyLen(); n < 0 || n != len(a.PublicKey) {
		return b, fmt.Errorf("%w: b33 public key is %d bytes for %v", ErrMalformed, len(a.PublicKey), a.SigType)
	}
	flags := a.Flags
	if a.SigType > 0xff || a.BlindedSigType > 0xff {
		flags |= B33FlagTwoByteSigTypes
	}
	start := len(b)
	b = append(b, flags)
	if flags&B33FlagTwoByteSigTypes != 0 {
		b = append(b, byte(a.SigType>>8), byte(a.SigType), byte(a.BlindedSigType>>8), byte(a.BlindedSigType))
	} else {
		b = append(b, byte(a.SigType), byte(a.BlindedSigType))
	}
	b = append(b, a.PublicKey...)
	d := b[start:]
	sum := crc32.ChecksumIEEE(d[3:])
	d[0] ^= byte(sum)
	d[1] ^= byte(sum >> 8)
	d[2] ^= byte(sum >> 16)
	return b, nil
}

// String returns the "<56+ chars>.b32.i2p" host name, or "" if a is invalid.
func (a B33Address) String() string {
	b, err := a.AppendBinary(nil)
	if err != nil {
		return ""
	}
	return Base32Encode(b) + B32Suffix
}

// ParseB33 decodes the binary form of a b33 address, checksum applied. The
// signing key type must be known so the key length is known, and the input
// must end with the key (secrets and private keys are never in the address).
func ParseB33(b []byte) (B33Address, error) {
	var a B33Address
	if len(b) < 35 {
		return a, fmt.Errorf("%w: b33 address is %d bytes, want at least 35", ErrShort, len(b))
	}
	d := append([]byte(nil), b...)
	sum := crc32.ChecksumIEEE(d[3:])
	d[0] ^= byte(sum)
	d[1] ^= byte(sum >> 8)
	d[2] ^= byte(sum >> 16)
	a.Flags = d[0]
	if a.Flags&^(B33FlagTwoByteSigTypes|B33FlagSecret|B33FlagAuth) != 0 {
		return a, fmt.Errorf("%w: b33 flags %#x (corrupt address or unsupported options)", ErrMalformed, a.Flags)
	}
	rest := d[3:]
	if a.Flags&B33FlagTwoByteSigTypes != 0 {
		a.SigType = crypto.SigType(d[1])<<8 | crypto.SigType(d[2])
		a.BlindedSigType = crypto.SigType(d[3])<<8 | crypto.SigType(d[4])
		rest = d[5:]
	} else {
		a.SigType = crypto.SigType(d[1])
		a.BlindedSigType = crypto.SigType(d[2])
	}
	n := a.SigType.PublicKeyLen()
	if n < 0 {
		return a, fmt.Errorf("%w: b33 signature type %d", ErrUnsupportedSigType, uint16(a.SigType))
	}
	if !a.BlindedSigType.Known() {
		return a, fmt.Errorf("%w: b33 blinded signature type %d", ErrUnsupportedSigType, uint16(a.BlindedSigType))
	}
	if len(rest) < n {
		return a, fmt.Errorf("%w: b33 public key needs %d bytes, have %d", ErrShort, n, len(rest))
	}
	if len(rest) > n {
		return a, fmt.Errorf("%w: %d bytes after the b33 public key", ErrTrailing, len(rest)-n)
	}
	a.PublicKey = rest
	return a, nil
}

// ParseB33Address parses an encrypted-leaseset host name
// "<56+ chars>.b32.i2p" (case insensitive).
func ParseB33Address(host string) (B33Address, error) {
	name, ok := cutSuffixFold(host, B32Suffix)
	if !ok {
		return B33Address{}, fmt.Errorf("data: %q does not end in %s", host, B32Suffix)
	}
	if len(name) < 56 {
		return B33Address{}, fmt.Errorf("data: b33 address has %d characters, want at least 56", len(name))
	}
	b, err := Base32Decode(name)
	if err != nil {
		return B33Address{}, err
	}
	return ParseB33(b)
}
