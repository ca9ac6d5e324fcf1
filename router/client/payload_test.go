package client

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

func payloadHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// i2pdHello is what i2pd's GzipNoCompression plus CreateDataMessage
// (libi2pd/Gzip.cpp, Datagram.cpp) write for "hello", source port 1234,
// destination port 80, raw datagram: header 1f8b 08 00, ports in MTIME,
// XFL 02, protocol in OS, one final stored block (01, LEN, NLEN), the
// data, CRC-32 0x3610a686 and length 5, little endian.
const i2pdHello = "1f8b0800 04d2 0050 02 12 01 0500 faff 68656c6c6f 86a61036 05000000"

// pythonZlib was made by Python's gzip.compress(level 9, mtime 0) of
// "I2CP payload compressed by Python zlib " x 4, with ports 1234 and 80
// and protocol 17 patched into the header: an independent deflate.
const pythonZlib = "1f8b080004d200500211f334720e502848acccc94f4c5148cecf2d284a2d2e4e4d5148aa5408a82cc9c8cf53a8cac94c52f01c0865007bfc86f79c000000"

func TestPayloadGolden(t *testing.T) {
	got, err := EncodePayload(ProtoRaw, 1234, 80, []byte("hello"), false)
	if err != nil || !bytes.Equal(got, payloadHex(i2pdHello)) {
		t.Fatalf("EncodePayload = %x, %v\nwant %x", got, err, payloadHex(i2pdHello))
	}
	proto, sp, dp, data, err := DecodePayload(payloadHex(i2pdHello), 0)
	if err != nil || proto != ProtoRaw || sp != 1234 || dp != 80 || string(data) != "hello" {
		t.Fatalf("DecodePayload = %d %d %d %q %v", proto, sp, dp, data, err)
	}
	proto, sp, dp, data, err = DecodePayload(payloadHex(pythonZlib), 0)
	if err != nil || proto != ProtoDatagram || sp != 1234 || dp != 80 ||
		string(data) != strings.Repeat("I2CP payload compressed by Python zlib ", 4) {
		t.Fatalf("Python payload = %d %d %d %q %v", proto, sp, dp, data, err)
	}
	// Our compressed form is a standard gzip member.
	z, _ := EncodePayload(ProtoStreaming, 1, 2, bytes.Repeat([]byte("abc"), 100), true)
	if len(z) > 100 {
		t.Fatalf("compressed 300 bytes to %d", len(z))
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, bytes.Repeat([]byte("abc"), 100)) || zr.Header.OS != ProtoStreaming {
		t.Fatalf("compress/gzip reads %q, %v, OS %d", plain, err, zr.Header.OS)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 1000, maxStored, maxStored + 1, DefaultMaxPayload} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 31 / 7)
		}
		for _, compress := range []bool{false, true} {
			for _, proto := range []uint8{ProtoStreaming, ProtoDatagram, ProtoRaw, ProtoDatagram2, ProtoDatagram3} {
				b, err := EncodePayload(proto, 0xfffe, 7, data, compress)
				if err != nil {
					t.Fatal(err)
				}
				p, sp, dp, got, err := DecodePayload(b, 0)
				if err != nil || p != proto || sp != 0xfffe || dp != 7 || !bytes.Equal(got, data) {
					t.Fatalf("n %d compress %v proto %d: %d %d %d, %v", n, compress, proto, p, sp, dp, err)
				}
			}
		}
	}
	if _, err := EncodePayload(ProtoRaw, 0, 0, make([]byte, DefaultMaxPayload+1), false); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestPayloadBomb(t *testing.T) {
	// 16 MiB of zeros deflate to about 16 KiB; decoding stops at the limit.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	bomb := buf.Bytes()
	if _, _, _, _, err := DecodePayload(bomb, 0); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("bomb: %v", err)
	}
	small, _ := EncodePayload(ProtoRaw, 0, 0, make([]byte, 1000), true)
	if _, _, _, _, err := DecodePayload(small, 999); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("limit 999: %v", err)
	}
	if _, _, _, d, err := DecodePayload(small, 1000); err != nil || len(d) != 1000 {
		t.Fatalf("limit 1000: %v", err)
	}
	allocs := testing.AllocsPerRun(3, func() { DecodePayload(bomb, 0) })
	if allocs > 200 {
		t.Fatalf("%v allocations per bomb", allocs)
	}
}

func TestPayloadMalformed(t *testing.T) {
	good := payloadHex(i2pdHello)
	mut := func(i int, c byte) []byte { b := bytes.Clone(good); b[i] = c; return b }
	cases := map[string][]byte{
		"empty":          nil,
		"short":          good[:18],
		"magic":          mut(0, 0x1e),
		"method":         mut(2, 9),
		"crc":            mut(len(good)-8, 0),
		"length trailer": mut(len(good)-4, 6),
		"nlen":           mut(13, 0),
		"block type 3":   mut(10, 0x07),
		"cut":            good[:len(good)-1],
		"trailing":       append(bytes.Clone(good), 0),
		"two members":    append(bytes.Clone(good), good...),
		"reserved flag":  mut(3, 0xe0),
	}
	for name, b := range cases {
		if _, _, _, _, err := DecodePayload(b, 0); !errors.Is(err, ErrPayload) {
			t.Errorf("%s: %v, want ErrPayload", name, err)
		}
	}
}

func FuzzDecodePayload(f *testing.F) {
	f.Add(payloadHex(i2pdHello), 0)
	f.Add(payloadHex(pythonZlib), 100)
	z, _ := EncodePayload(ProtoDatagram, 5, 6, bytes.Repeat([]byte{1}, 5000), true)
	f.Add(z, 0)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max %= 1 << 17
		proto, sp, dp, data, err := DecodePayload(b, max)
		if err != nil {
			if !errors.Is(err, ErrPayload) && !errors.Is(err, ErrPayloadTooLarge) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		limit := max
		if limit <= 0 {
			limit = DefaultMaxPayload
		}
		if len(data) > limit {
			t.Fatalf("%d bytes over the limit %d", len(data), limit)
		}
		for _, compress := range []bool{false, true} {
			enc, err := EncodePayload(proto, sp, dp, data, compress)
			if err != nil {
				t.Fatal(err)
			}
			p2, sp2, dp2, d2, err := DecodePayload(enc, limit)
			if err != nil || p2 != proto || sp2 != sp || dp2 != dp || !bytes.Equal(d2, data) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}

func BenchmarkDecodePayloadStored(b *testing.B) {
	p, _ := EncodePayload(ProtoRaw, 1, 2, make([]byte, 1024), false)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, _, err := DecodePayload(p, 0); err != nil {
			b.Fatal(err)
		}
	}
}
