package garlic

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// legacyGolden is assembled by hand from i2np.rst "Garlic" (decrypted
// data) and "GarlicClove", in the order i2pd's
// ElGamalAESSession::CreateGarlicPayload writes them: a tunnel clove with
// a DeliveryStatus, a destination clove with a Data message, then the NULL
// certificate, message ID and expiration.
var legacyGolden = "02" +
	// clove 1: tunnel delivery
	"60" + hex32(0x50) + "0a0b0c0d" +
	// DeliveryStatus, ID 0x11223344, expiration 0x0000018c0a0b0c0d ms, 12 bytes
	"0a 11223344 0000018c0a0b0c0d 000c CK" + "0102030405060708090a0b0c" +
	"aabbccdd 0000018c0a0b0c0e 000000" +
	// clove 2: destination delivery
	"20" + hex32(0x10) +
	"14 55667788 0000018c0a0b0c0f 0008 CK" + "0000000464617461" +
	"01020304 0000018c0a0b0c10 000000" +
	// certificate, message ID, expiration
	"000000 99aabbcc 0000018c0a0b0c11"

func legacyGoldenBytes(t testing.TB) []byte {
	t.Helper()
	// Fill in the two checksums (first byte of SHA-256 of the payload).
	h := legacyGolden
	sum := func(payloadHex string) string {
		m := i2np.Message{Payload: mustHex(payloadHex)}
		b, _ := m.AppendLong(nil)
		return legacyHexByte(b[15])
	}
	h = legacyReplaceOnce(h, "CK", sum("0102030405060708090a0b0c"))
	h = legacyReplaceOnce(h, "CK", sum("0000000464617461"))
	return mustHex(h)
}

func legacyHexByte(b byte) string {
	const d = "0123456789abcdef"
	return string([]byte{d[b>>4], d[b&15]})
}

func legacyReplaceOnce(s, old, new string) string {
	i := bytes.Index([]byte(s), []byte(old))
	return s[:i] + new + s[i+len(old):]
}

func legacyGoldenValue() LegacyGarlic {
	ms := func(v uint64) time.Time { return time.UnixMilli(int64(v)).UTC() }
	return LegacyGarlic{
		Cloves: []LegacyClove{
			{Delivery: DeliveryTunnel, To: hashN(0x50), Tunnel: 0x0a0b0c0d,
				Msg: i2np.Message{Type: i2np.DeliveryStatus, ID: 0x11223344, Expiration: ms(0x18c0a0b0c0d),
					Payload: mustHex("0102030405060708090a0b0c")},
				ID: 0xaabbccdd, Expiration: 0x18c0a0b0c0e, Certificate: data.NullCertificate},
			{Delivery: DeliveryDestination, To: hashN(0x10),
				Msg: i2np.Message{Type: i2np.Data, ID: 0x55667788, Expiration: ms(0x18c0a0b0c0f),
					Payload: mustHex("0000000464617461")},
				ID: 0x01020304, Expiration: 0x18c0a0b0c10, Certificate: data.NullCertificate},
		},
		Certificate: data.NullCertificate,
		ID:          0x99aabbcc,
		Expiration:  0x18c0a0b0c11,
	}
}

func TestLegacyGarlicGolden(t *testing.T) {
	b := legacyGoldenBytes(t)
	g, err := ParseLegacyGarlic(b)
	if err != nil {
		t.Fatal(err)
	}
	want := legacyGoldenValue()
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("parsed\n%+v\nwant\n%+v", g, want)
	}
	enc, err := want.AppendBinary([]byte("prefix"))
	if err != nil || !bytes.Equal(enc[6:], b) || string(enc[:6]) != "prefix" {
		t.Fatalf("AppendBinary = %x, %v\nwant %x", enc, err, b)
	}
	// Trailing bytes are ignored.
	if g2, err := ParseLegacyGarlic(append(b, 1, 2, 3)); err != nil || !reflect.DeepEqual(g2, want) {
		t.Fatalf("with trailing bytes: %v", err)
	}
	// A local clove and no cloves at all.
	local := LegacyGarlic{Cloves: []LegacyClove{{Msg: i2np.Message{Type: i2np.Data, ID: 7, Payload: []byte{0, 0, 0, 0}}}}}
	enc, err = local.AppendBinary(nil)
	if err != nil || len(enc) != 1+1+16+4+4+8+3+3+4+8 {
		t.Fatalf("local clove: %d bytes, %v", len(enc), err)
	}
	back, err := ParseLegacyGarlic(enc)
	if err != nil || back.Cloves[0].Delivery != DeliveryLocal || back.Cloves[0].Msg.ID != 7 {
		t.Fatalf("local clove back: %+v, %v", back, err)
	}
	empty, _ := LegacyGarlic{}.AppendBinary(nil)
	if !bytes.Equal(empty, mustHex("00 000000 00000000 0000000000000000")) {
		t.Fatalf("empty garlic %x", empty)
	}
}

func TestLegacyGarlicErrors(t *testing.T) {
	good := legacyGoldenBytes(t)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"count too high", mut(func(b []byte) []byte { b[0] = 9; return b }), ErrShort},
		{"count 255", mut(func(b []byte) []byte { b[0] = 255; return b }), ErrShort},
		{"cut in trailer", good[:len(good)-1], ErrShort},
		{"cut in clove", good[:60], ErrShort},
		{"encrypted flag", mut(func(b []byte) []byte { b[1] |= 0x80; return b }), ErrMalformed},
		{"delay flag", mut(func(b []byte) []byte { b[1] |= 0x10; return b }), ErrMalformed},
		{"tunnel 0", mut(func(b []byte) []byte { copy(b[34:38], []byte{0, 0, 0, 0}); return b }), ErrMalformed},
		{"checksum", mut(func(b []byte) []byte { b[38+15] ^= 1; return b }), ErrMalformed},
		{"clove certificate", mut(func(b []byte) []byte { b[38+16+12+12+2] = 1; return b }), ErrMalformed},
	}
	for _, tc := range cases {
		if _, err := ParseLegacyGarlic(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// The reserved bits are ignored.
	g, err := ParseLegacyGarlic(mut(func(b []byte) []byte { b[1] |= 0x0f; return b }))
	if err != nil || g.Cloves[0].Delivery != DeliveryTunnel {
		t.Errorf("reserved bits: %v", err)
	}
	// Encoding errors.
	bad := legacyGoldenValue()
	bad.Cloves[0].Tunnel = 0
	if _, err := bad.AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("append tunnel 0: %v", err)
	}
	bad = legacyGoldenValue()
	bad.Cloves[1].Delivery = 4
	if _, err := bad.AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("append delivery 4: %v", err)
	}
	if _, err := (LegacyGarlic{Cloves: make([]LegacyClove, 256)}).AppendBinary(nil); !errors.Is(err, ErrSize) {
		t.Errorf("256 cloves: %v", err)
	}
	bad = legacyGoldenValue()
	bad.Cloves[0].Msg.Payload = make([]byte, i2np.MaxPayload+1)
	if out, err := bad.AppendBinary([]byte{1}); !errors.Is(err, i2np.ErrSize) || len(out) != 1 {
		t.Errorf("oversized message: %v, %d bytes left", err, len(out))
	}
}

// TestLegacyGarlicThroughSessions sends a legacy garlic through the
// ElGamal/AES sessions, as the client layer will.
func TestLegacyGarlicThroughSessions(t *testing.T) {
	p := newElgPair(t, ElGamalConfig{})
	now := time.Unix(1_800_000_000, 0)
	o, err := p.a.Prepare(p.bPub, now)
	if err != nil {
		t.Fatal(err)
	}
	g := legacyGoldenValue()
	g.Cloves[0].Msg.Payload, err = i2np.DeliveryStatusMessage{ID: i2np.MessageID(o.AckID), Time: now}.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := g.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := p.a.Seal(o, plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.b.Decrypt(msg, now)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseLegacyGarlic(got)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := i2np.ParseDeliveryStatusMessage(back.Cloves[0].Msg.Payload)
	if err != nil || uint32(ds.ID) != o.AckID {
		t.Fatalf("DeliveryStatus %+v, %v", ds, err)
	}
	if !p.a.Confirm(uint32(ds.ID), now) {
		t.Fatal("Confirm")
	}
}

func FuzzParseLegacyGarlic(f *testing.F) {
	f.Add(legacyGoldenBytes(f))
	empty, _ := LegacyGarlic{}.AppendBinary(nil)
	f.Add(empty)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseLegacyGarlic(b)
		if err != nil {
			return
		}
		enc, err := g.AppendBinary(nil)
		if err != nil {
			t.Fatalf("AppendBinary of a parsed garlic: %v", err)
		}
		// The same bytes, but for the flags' reserved bits (ignored)
		// and trailing bytes (dropped).
		if len(enc) > len(b) {
			t.Fatalf("re-encoding of %d bytes from %d", len(enc), len(b))
		}
		again, err := ParseLegacyGarlic(enc)
		if err != nil || !reflect.DeepEqual(again, g) {
			t.Fatalf("reparse = %+v, %v; want %+v", again, err, g)
		}
	})
}
