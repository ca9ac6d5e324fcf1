package i2np

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// mustHex decodes hex with optional spaces. It panics on bad input, which
// only a typo in a test table can cause.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func sameMessage(a, b Message) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Expiration.Equal(b.Expiration) &&
		a.Expiration.IsZero() == b.Expiration.IsZero() && bytes.Equal(a.Payload, b.Payload)
}

// The golden vectors were computed independently of this package, with
// Python's struct and hashlib, from the layout in i2np.rst.
var longGolden = []struct {
	name string
	msg  Message
	hex  string
}{
	{
		name: "DeliveryStatus",
		msg: Message{
			Type:       DeliveryStatus,
			ID:         0x01020304,
			Expiration: time.UnixMilli(1704067200123).UTC(), // 2024-01-01T00:00:00.123Z
			Payload:    mustHex("0a0b0c0d 0000018cc2506d60"),
		},
		hex: "0a 01020304 0000018cc251f47b 000c c8 0a0b0c0d0000018cc2506d60",
	},
	{
		name: "empty payload, no expiration",
		msg:  Message{Type: Data, ID: 0xdeadbeef},
		hex:  "14 deadbeef 0000000000000000 0000 e3",
	},
}

func TestLongGolden(t *testing.T) {
	for _, tc := range longGolden {
		t.Run(tc.name, func(t *testing.T) {
			want := mustHex(tc.hex)
			got, err := tc.msg.AppendLong(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendLong:\n got %x\nwant %x", got, want)
			}
			trailer := []byte{0xff, 0xfe}
			m, rest, err := ParseLong(append(want, trailer...))
			if err != nil {
				t.Fatal(err)
			}
			if !sameMessage(m, tc.msg) {
				t.Errorf("ParseLong = %+v, want %+v", m, tc.msg)
			}
			if !bytes.Equal(rest, trailer) {
				t.Errorf("rest = %x, want %x", rest, trailer)
			}
		})
	}
}

func TestShortGolden(t *testing.T) {
	msg := Message{
		Type:       TunnelData,
		ID:         0x01020304,
		Expiration: time.Unix(1704067200, 0).UTC(),
		Payload:    []byte("abc"),
	}
	want := mustHex("12 01020304 65920080 616263")
	got, err := msg.AppendShort(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendShort:\n got %x\nwant %x", got, want)
	}
	m, err := ParseShort(want)
	if err != nil {
		t.Fatal(err)
	}
	if !sameMessage(m, msg) {
		t.Errorf("ParseShort = %+v, want %+v", m, msg)
	}
}

func TestShortTruncatesToSeconds(t *testing.T) {
	msg := Message{Type: Garlic, Expiration: time.UnixMilli(1704067200999)}
	b, err := msg.AppendShort(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseShort(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1704067200, 0); !m.Expiration.Equal(want) {
		t.Errorf("expiration = %v, want %v", m.Expiration, want)
	}
}

func TestParseLongErrors(t *testing.T) {
	good := mustHex(longGolden[0].hex)
	badSum := bytes.Clone(good)
	badSum[15] ^= 1
	badPayload := bytes.Clone(good)
	badPayload[len(badPayload)-1] ^= 1
	farExp := bytes.Clone(good)
	farExp[5] = 0x80 // expiration >= 2^63 ms
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"15 bytes", good[:15], ErrShort},
		{"payload cut", good[:len(good)-1], ErrSize},
		{"header only", good[:16], ErrSize},
		{"checksum", badSum, ErrChecksum},
		{"payload changed", badPayload, ErrChecksum},
		{"expiration", farExp, ErrExpiration},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseLong(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "i2np: ") {
				t.Errorf("error %q lacks the i2np: prefix", err)
			}
		})
	}
}

func TestParseShortErrors(t *testing.T) {
	for n := range ShortHeaderLen {
		if _, err := ParseShort(make([]byte, n)); !errors.Is(err, ErrShort) {
			t.Errorf("ParseShort(%d bytes) err = %v, want ErrShort", n, err)
		}
	}
	m, err := ParseShort(make([]byte, ShortHeaderLen))
	if err != nil || len(m.Payload) != 0 || !m.Expiration.IsZero() {
		t.Errorf("ParseShort(9 zero bytes) = %+v, %v", m, err)
	}
}

func TestAppendErrors(t *testing.T) {
	big := Message{Payload: make([]byte, MaxPayload+1)}
	if _, err := big.AppendLong(nil); !errors.Is(err, ErrSize) {
		t.Errorf("AppendLong(%d bytes) err = %v, want ErrSize", len(big.Payload), err)
	}
	ok := Message{Payload: make([]byte, MaxPayload)}
	if b, err := ok.AppendLong(nil); err != nil || len(b) != LongHeaderLen+MaxPayload {
		t.Errorf("AppendLong(MaxPayload) = %d bytes, %v", len(b), err)
	}
	short := Message{Payload: make([]byte, MaxShortPayload+1)}
	if _, err := short.AppendShort(nil); !errors.Is(err, ErrSize) {
		t.Errorf("AppendShort(%d bytes) err = %v, want ErrSize", len(short.Payload), err)
	}
	short.Payload = short.Payload[:MaxShortPayload]
	if b, err := short.AppendShort(nil); err != nil || len(b) != math.MaxUint16 {
		t.Errorf("AppendShort(MaxShortPayload) = %d bytes, %v", len(b), err)
	}

	for _, exp := range []time.Time{
		time.Unix(-1, 0),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(math.MaxInt64/1000, 999e6),
		time.Unix(math.MaxInt64, 0),
	} {
		if _, err := (Message{Expiration: exp}).AppendLong(nil); !errors.Is(err, ErrExpiration) {
			t.Errorf("AppendLong(expiration %v) err = %v, want ErrExpiration", exp, err)
		}
	}
	for _, exp := range []time.Time{time.Unix(-1, 0), time.Unix(math.MaxUint32+1, 0)} {
		if _, err := (Message{Expiration: exp}).AppendShort(nil); !errors.Is(err, ErrExpiration) {
			t.Errorf("AppendShort(expiration %v) err = %v, want ErrExpiration", exp, err)
		}
	}
	// The largest values each header can carry still round-trip.
	long := Message{Expiration: time.UnixMilli(math.MaxInt64).UTC()}
	b, err := long.AppendLong(nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, _, err := ParseLong(b); err != nil || !sameMessage(m, long) {
		t.Errorf("max Date round trip = %+v, %v", m, err)
	}
	short = Message{Expiration: time.Unix(math.MaxUint32, 0).UTC()}
	if b, err = short.AppendShort(nil); err != nil {
		t.Fatal(err)
	}
	if m, err := ParseShort(b); err != nil || !sameMessage(m, short) {
		t.Errorf("max short expiration round trip = %+v, %v", m, err)
	}
}

func TestAppendDoesNotClobberPrefix(t *testing.T) {
	prefix := []byte{1, 2, 3}
	b, err := longGolden[0].msg.AppendLong(bytes.Clone(prefix))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:3], prefix) || !bytes.Equal(b[3:], mustHex(longGolden[0].hex)) {
		t.Errorf("AppendLong with prefix = %x", b)
	}
}

func TestPayloadAliasesInput(t *testing.T) {
	in := mustHex(longGolden[0].hex)
	in = append(in, 0xaa) // a following byte that must stay out of reach
	m, _, err := ParseLong(in)
	if err != nil {
		t.Fatal(err)
	}
	if cap(m.Payload) != len(m.Payload) {
		t.Errorf("payload cap %d > len %d: appending would overwrite the next message", cap(m.Payload), len(m.Payload))
	}
	in[LongHeaderLen] ^= 0xff
	if m.Payload[0] != in[LongHeaderLen] {
		t.Error("payload does not alias the input")
	}
}

func TestRoundTrip(t *testing.T) {
	now := time.Now()
	for _, m := range []Message{
		{Type: DatabaseStore, ID: 1, Expiration: now, Payload: []byte{0}},
		{Type: MessageType(255), ID: math.MaxUint32, Expiration: now.Add(time.Minute), Payload: bytes.Repeat([]byte{7}, 1000)},
		{Type: MessageType(0)},
	} {
		b, err := m.AppendLong(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, rest, err := ParseLong(b)
		if err != nil || len(rest) != 0 {
			t.Fatalf("ParseLong: %v, %d bytes left", err, len(rest))
		}
		want := m
		if !want.Expiration.IsZero() {
			want.Expiration = want.Expiration.Truncate(time.Millisecond)
		}
		if !sameMessage(got, want) {
			t.Errorf("long round trip = %+v, want %+v", got, want)
		}

		if b, err = m.AppendShort(nil); err != nil {
			t.Fatal(err)
		}
		if got, err = ParseShort(b); err != nil {
			t.Fatal(err)
		}
		if !want.Expiration.IsZero() {
			want.Expiration = time.Unix(m.Expiration.Unix(), 0)
		}
		if !sameMessage(got, want) {
			t.Errorf("short round trip = %+v, want %+v", got, want)
		}
	}
}

func TestMessageTypeString(t *testing.T) {
	for typ, want := range map[MessageType]string{
		DatabaseStore:            "DatabaseStore",
		DatabaseLookup:           "DatabaseLookup",
		DatabaseSearchReply:      "DatabaseSearchReply",
		DeliveryStatus:           "DeliveryStatus",
		Garlic:                   "Garlic",
		TunnelData:               "TunnelData",
		TunnelGateway:            "TunnelGateway",
		Data:                     "Data",
		TunnelBuild:              "TunnelBuild",
		TunnelBuildReply:         "TunnelBuildReply",
		VariableTunnelBuild:      "VariableTunnelBuild",
		VariableTunnelBuildReply: "VariableTunnelBuildReply",
		ShortTunnelBuild:         "ShortTunnelBuild",
		OutboundTunnelBuildReply: "OutboundTunnelBuildReply",
		0:                        "Type(0)",
		4:                        "Type(4)",
		27:                       "Type(27)",
		255:                      "Type(255)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("MessageType(%d).String() = %q, want %q", uint8(typ), got, want)
		}
	}
	// The numbers are the wire contract: pin them.
	if DatabaseStore != 1 || DeliveryStatus != 10 || Garlic != 11 || TunnelData != 18 ||
		ShortTunnelBuild != 25 || OutboundTunnelBuildReply != 26 {
		t.Error("message type numbers changed")
	}
}
