package data

import (
	"encoding/binary"
	"fmt"
)

// reader walks a byte slice. The first failure sticks: later reads return
// zero values, and err reports the first one. It never allocates, so an
// untrusted length is checked against the input before anything is kept.
type reader struct {
	b   []byte
	err error
	// what names the structure being parsed, for error messages.
	what string
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
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

// bytes returns the next n bytes, aliasing the input.
func (r *reader) bytes(n int) []byte {
	if r.short(n) {
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

// copyBytes returns a copy of the next n bytes.
func (r *reader) copyBytes(n int) []byte {
	p := r.bytes(n)
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
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

func (r *reader) hash() Hash {
	var h Hash
	copy(h[:], r.bytes(32))
	return h
}
