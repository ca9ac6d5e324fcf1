package ntcp2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

// ErrFrameLength is a de-obfuscated frame length outside 16..65535.
var ErrFrameLength = errors.New("ntcp2: bad frame length")

// lengthMask is one direction's SipHash chain for frame-length obfuscation
// (ntcp2.rst, "SipHash obfuscated length"): IV[n] = SipHash-2-4(k, IV[n-1]),
// mask = low 16 bits of IV[n] read as a little-endian integer.
type lengthMask struct {
	k0, k1 uint64
	iv     [8]byte
}

func newLengthMask(sipkeys [32]byte) lengthMask {
	var m lengthMask
	m.k0 = binary.LittleEndian.Uint64(sipkeys[0:8])
	m.k1 = binary.LittleEndian.Uint64(sipkeys[8:16])
	copy(m.iv[:], sipkeys[16:24])
	return m
}

func (m *lengthMask) next() uint16 {
	v := crypto.SipHash24(m.k0, m.k1, m.iv[:])
	binary.LittleEndian.PutUint64(m.iv[:], v)
	return uint16(v)
}

// frameCipher is one direction of the data phase.
type frameCipher struct {
	cs   *noise.CipherState
	mask lengthMask
}

// dataKeys derives the data-phase keys from the final chaining key and
// handshake hash (ntcp2.rst, "Key Derivation Function (KDF) (for data
// phase)"). ab is Alice to Bob.
func dataKeys(ck, h [32]byte) (ab, ba frameCipher) {
	temp := noise.HMAC(ck[:], nil)
	kab := noise.HMAC(temp[:], []byte{1})
	kba := noise.HMAC(temp[:], kab[:], []byte{2})
	askMaster := noise.HMAC(temp[:], []byte("ask"), []byte{1})
	temp2 := noise.HMAC(askMaster[:], h[:], []byte("siphash"))
	sipMaster := noise.HMAC(temp2[:], []byte{1})
	temp3 := noise.HMAC(sipMaster[:], nil)
	sipAB := noise.HMAC(temp3[:], []byte{1})
	sipBA := noise.HMAC(temp3[:], sipAB[:], []byte{2})
	ab = frameCipher{cs: noise.NewCipherState(kab), mask: newLengthMask(sipAB)}
	ba = frameCipher{cs: noise.NewCipherState(kba), mask: newLengthMask(sipBA)}
	return
}

// seal appends a whole frame (obfuscated length, ciphertext, MAC) for the
// plaintext blocks p to dst.
func (f *frameCipher) seal(dst, p []byte) ([]byte, error) {
	if len(p) > MaxPayload {
		return nil, fmt.Errorf("%w: payload %d", ErrFrameLength, len(p))
	}
	n := len(p) + noise.Overhead
	l := uint16(n) ^ f.mask.next()
	dst = append(dst, byte(l>>8), byte(l))
	return f.cs.Encrypt(dst, nil, p)
}

// readFrame reads one frame from r into buf (grown as needed) and returns the
// decrypted payload, which aliases buf.
func (f *frameCipher) readFrame(r io.Reader, buf []byte) (payload, newBuf []byte, err error) {
	var lb [2]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, buf, err
	}
	n := int(binary.BigEndian.Uint16(lb[:]) ^ f.mask.next())
	if n < noise.Overhead {
		return nil, buf, fmt.Errorf("%w: %d", ErrFrameLength, n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, buf, err
	}
	p, err := f.cs.Decrypt(buf[:0], nil, buf)
	if err != nil {
		return nil, buf, err
	}
	return p, buf, nil
}
