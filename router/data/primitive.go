package data

import (
	"fmt"
	"time"
)

// ParseInteger reads an n-byte (1..8) big-endian unsigned Integer and
// returns the remaining bytes.
func ParseInteger(b []byte, n int) (uint64, []byte, error) {
	if n < 1 || n > 8 {
		return 0, b, fmt.Errorf("data: integer width %d, want 1..8", n)
	}
	if len(b) < n {
		return 0, b, fmt.Errorf("%w: integer needs %d bytes, have %d", ErrShort, n, len(b))
	}
	var v uint64
	for _, c := range b[:n] {
		v = v<<8 | uint64(c)
	}
	return v, b[n:], nil
}

// AppendInteger appends v as an n-byte (1..8) big-endian Integer. It fails if
// v does not fit.
func AppendInteger(b []byte, v uint64, n int) ([]byte, error) {
	if n < 1 || n > 8 {
		return b, fmt.Errorf("data: integer width %d, want 1..8", n)
	}
	if n < 8 && v>>(8*n) != 0 {
		return b, fmt.Errorf("data: integer %d does not fit in %d bytes", v, n)
	}
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b, nil
}

// TunnelID identifies a tunnel at one hop (common-structures.rst "TunnelId").
type TunnelID uint32

// Date is an I2P Date: milliseconds since the Unix epoch, 0 meaning unknown
// or null (common-structures.rst "Date").
type Date uint64

// DateOf converts t to a Date, truncating to the millisecond. The zero
// time.Time, and any time before the epoch, gives 0.
func DateOf(t time.Time) Date {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return 0
	}
	return Date(t.UnixMilli())
}

// Time converts d to a time.Time; 0 gives the zero time.Time.
func (d Date) Time() time.Time {
	if d == 0 || d > 1<<63-1 {
		return time.Time{}
	}
	return time.UnixMilli(int64(d)).UTC()
}

// IsZero reports whether d is the null date.
func (d Date) IsZero() bool { return d == 0 }

func (d Date) String() string {
	if d == 0 {
		return "null"
	}
	return d.Time().Format(time.RFC3339Nano)
}

// AppendBinary appends the 8-byte form.
func (d Date) AppendBinary(b []byte) ([]byte, error) { return AppendInteger(b, uint64(d), 8) }

// ParseDate reads an 8-byte Date and returns the remaining bytes.
func ParseDate(b []byte) (Date, []byte, error) {
	v, rest, err := ParseInteger(b, 8)
	return Date(v), rest, err
}

// seconds converts t to the 4-byte seconds form of LeaseSet2 (rolls over in
// 2106); the zero time gives 0.
func seconds(t time.Time) (uint32, error) {
	if t.IsZero() {
		return 0, nil
	}
	s := t.Unix()
	if s < 0 || s > 1<<32-1 {
		return 0, fmt.Errorf("data: time %v does not fit in 4-byte seconds", t)
	}
	return uint32(s), nil
}

func fromSeconds(s uint32) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

// MaxStringLen is the longest I2P String, in bytes.
const MaxStringLen = 255

// ParseString reads an I2P String (a length byte, then that many bytes) and
// returns it with the remaining bytes. The content is kept as raw bytes and
// is not checked to be UTF-8, so it re-encodes identically.
func ParseString(b []byte) (string, []byte, error) {
	r := reader{b: b, what: "String"}
	n := int(r.u8())
	s := r.bytes(n)
	if r.err != nil {
		return "", b, r.err
	}
	return string(s), r.b, nil
}

// AppendString appends s as an I2P String. It fails if s is longer than
// 255 bytes.
func AppendString(b []byte, s string) ([]byte, error) {
	if len(s) > MaxStringLen {
		return b, fmt.Errorf("%w: string of %d bytes, max %d", ErrMalformed, len(s), MaxStringLen)
	}
	b = append(b, byte(len(s)))
	return append(b, s...), nil
}
