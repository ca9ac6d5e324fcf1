package tunnel

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
)

// ParseBody checks a decrypted tunnel message (the IV and 1008 bytes, as
// left by the last layer removed) and returns its fragments: the bytes
// after the first zero byte that follows the checksum. The result aliases
// b. Walk it with ParseFragment.
//
// It returns an error wrapping ErrMalformed if there is no zero byte after
// the checksum, and ErrChecksum if the first 4 bytes of SHA-256(fragments
// || IV) differ from the checksum. The padding is not checked to be
// nonzero: the first zero ends it, as in Java I2P and i2pd.
func ParseBody(b *[BodyLen]byte) ([]byte, error) {
	const start = IVLen + ChecksumLen
	z := bytes.IndexByte(b[start:], 0)
	if z < 0 {
		return nil, fmt.Errorf("%w: no zero byte after the padding", ErrMalformed)
	}
	frags := b[start+z+1:]
	if sum := checksum(frags, b[:IVLen]); !bytes.Equal(sum[:], b[IVLen:start]) {
		return nil, fmt.Errorf("%w: body says %x, fragments hash to %x", ErrChecksum, b[IVLen:start], sum)
	}
	return frags, nil
}

// checksum returns the first 4 bytes of SHA-256(frags || iv).
func checksum(frags, iv []byte) [ChecksumLen]byte {
	var buf [MaxPayload + IVLen]byte
	n := copy(buf[:], frags)
	n += copy(buf[n:], iv)
	sum := sha256.Sum256(buf[:n])
	return [ChecksumLen]byte(sum[:ChecksumLen])
}

// BuildBody fills b with a tunnel message before any layer: iv, the
// checksum, nonzero padding, a zero byte, then frags (encoded fragments,
// at most MaxPayload bytes) at the end. frags may overlap b: it is moved
// into place first. The padding bytes are read from rand; a zero read
// becomes 1. It fails with ErrTooLarge if frags is longer than MaxPayload,
// and returns rand's error if it fails.
func BuildBody(b *[BodyLen]byte, iv [IVLen]byte, frags []byte, rand io.Reader) error {
	if len(frags) > MaxPayload {
		return fmt.Errorf("%w: %d bytes of fragments, room for %d", ErrTooLarge, len(frags), MaxPayload)
	}
	zero := BodyLen - len(frags) - 1
	copy(b[zero+1:], frags) // first, in case frags is already in place
	frags = b[zero+1:]
	b[zero] = 0
	pad := b[IVLen+ChecksumLen : zero]
	if len(pad) > 0 {
		if _, err := io.ReadFull(rand, pad); err != nil {
			return fmt.Errorf("tunnel: padding: %w", err)
		}
		for i, c := range pad {
			if c == 0 {
				pad[i] = 1
			}
		}
	}
	copy(b[:IVLen], iv[:])
	sum := checksum(frags, iv[:])
	copy(b[IVLen:], sum[:])
	return nil
}
