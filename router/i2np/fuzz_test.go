package i2np

import (
	"bytes"
	"testing"
)

func FuzzParseLong(f *testing.F) {
	for _, tc := range longGolden {
		f.Add(mustHex(tc.hex))
	}
	f.Add(append(mustHex(longGolden[1].hex), mustHex(longGolden[0].hex)...))
	f.Add(make([]byte, LongHeaderLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, rest, err := ParseLong(b)
		if err != nil {
			return
		}
		if len(rest) > len(b)-LongHeaderLen {
			t.Fatalf("rest of %d bytes from %d input bytes", len(rest), len(b))
		}
		enc, err := m.AppendLong(nil)
		if err != nil {
			t.Fatalf("AppendLong of a parsed message: %v", err)
		}
		if !bytes.Equal(enc, b[:len(b)-len(rest)]) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b[:len(b)-len(rest)], enc)
		}
		m2, rest2, err := ParseLong(enc)
		if err != nil || len(rest2) != 0 || !sameMessage(m, m2) {
			t.Fatalf("reparse = %+v, %d bytes left, %v; want %+v", m2, len(rest2), err, m)
		}
	})
}

func FuzzParseShort(f *testing.F) {
	f.Add(mustHex("12 01020304 65920080 616263"))
	f.Add(make([]byte, ShortHeaderLen))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseShort(b)
		if err != nil {
			return
		}
		enc, err := m.AppendShort(nil)
		if err != nil {
			if len(b) > ShortHeaderLen+MaxShortPayload {
				return // longer than a block can be
			}
			t.Fatalf("AppendShort of a parsed message: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, enc)
		}
		m2, err := ParseShort(enc)
		if err != nil || !sameMessage(m, m2) {
			t.Fatalf("reparse = %+v, %v; want %+v", m2, err, m)
		}
	})
}
