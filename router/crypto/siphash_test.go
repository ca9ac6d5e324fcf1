package crypto

import (
	"encoding/binary"
	"testing"
)

// TestSipHash24Vectors checks the first entries of the reference vectors of
// the SipHash paper (Appendix A / vectors.h): key 00..0f, message 00..(n-1).
func TestSipHash24Vectors(t *testing.T) {
	want := []uint64{
		0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
		0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
		0x93f5f5799a932462, 0x9e0082df0ba9e4b0,
	}
	var key [16]byte
	for i := range key {
		key[i] = byte(i)
	}
	k0 := binary.LittleEndian.Uint64(key[:8])
	k1 := binary.LittleEndian.Uint64(key[8:])
	msg := make([]byte, 0, 16)
	for i, w := range want {
		if got := SipHash24(k0, k1, msg); got != w {
			t.Errorf("len %d: got %#x want %#x", i, got, w)
		}
		msg = append(msg, byte(i))
	}
}
