package i2np

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/i2pgo/i2pgo/router/data"
)

// Errors of the message bodies, besides ErrShort and ErrSize of the
// headers. Returned errors wrap them with details; test with errors.Is.
var (
	// ErrTrailing means bytes follow a message body whose layout is
	// complete. Java I2P and i2pd ignore such bytes but neither sends
	// them; refusing them keeps parse → append the identity.
	ErrTrailing = errors.New("i2np: trailing bytes")
	// ErrMalformed means a field holds a value the spec forbids: a record
	// count outside 1..8, an unknown DatabaseStore type, a bad gzip
	// stream, a tunnel ID of 0 where the spec says nonzero, and the like.
	ErrMalformed = errors.New("i2np: malformed message")
	// ErrUnknownType means ParsePayload got a type it has no codec for.
	ErrUnknownType = errors.New("i2np: unknown message type")
)

// reader walks a payload. The first failure sticks: later reads return zero
// values and err keeps the first error. It never allocates, so a length
// read from the input is always checked against the input first.
type reader struct {
	b    []byte
	err  error
	what string // message name for errors
}

func (r *reader) short(n int) bool {
	if r.err != nil {
		return true
	}
	if n < 0 || len(r.b) < n {
		r.err = fmt.Errorf("%w: %s needs %d more bytes, have %d", ErrShort, r.what, n, len(r.b))
		return true
	}
	return false
}

// bytes returns the next n bytes, aliasing the input, capacity clipped.
func (r *reader) bytes(n int) []byte {
	if r.short(n) {
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u8() uint8 {
	if r.short(1) {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() uint16 {
	if r.short(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *reader) u32() uint32 {
	if r.short(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) u64() uint64 {
	if r.short(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) hash() data.Hash {
	var h data.Hash
	copy(h[:], r.bytes(32))
	return h
}

// hashes reads n hashes into a new slice, after checking that the input
// holds them all.
func (r *reader) hashes(n int) []data.Hash {
	if n == 0 || r.short(32*n) {
		return nil
	}
	hs := make([]data.Hash, n)
	for i := range hs {
		copy(hs[i][:], r.b[32*i:])
	}
	r.b = r.b[32*n:]
	return hs
}

// malformed records an ErrMalformed failure unless one is already recorded.
func (r *reader) malformed(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %s", ErrMalformed, r.what, fmt.Sprintf(format, args...))
	}
}

// end returns the first error, or ErrTrailing if input is left over.
func (r *reader) end() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d bytes after %s", ErrTrailing, len(r.b), r.what)
	}
	return nil
}

func appendHashes(b []byte, hs []data.Hash) []byte {
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}
