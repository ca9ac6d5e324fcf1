package tunnel

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// hashOf returns a patterned hash: bytes start, start+1, ...
func hashOf(start byte) data.Hash {
	var h data.Hash
	for i := range h {
		h[i] = start + byte(i)
	}
	return h
}

func hex32(start byte) string {
	h := hashOf(start)
	return hex.EncodeToString(h[:])
}

// fragmentGolden is written by hand from tunnel-message.rst, "Tunnel
// Message Delivery Instructions".
var fragmentGolden = []struct {
	name string
	hex  string
	f    Fragment
}{
	{"local whole", "00 0002 0102",
		Fragment{Last: true, Data: []byte{1, 2}}},
	{"tunnel whole", "20 0a0b0c0d" + hex32(0) + "0003 aabbcc",
		Fragment{Delivery: DeliveryInstructions{DeliveryTunnel, 0x0a0b0c0d, hashOf(0)}, Last: true, Data: []byte{0xaa, 0xbb, 0xcc}}},
	{"router whole", "40" + hex32(0xa0) + "0001 ff",
		Fragment{Delivery: DeliveryInstructions{Type: DeliveryRouter, To: hashOf(0xa0)}, Last: true, Data: []byte{0xff}}},
	{"local first", "08 11223344 0002 0000",
		Fragment{MessageID: 0x11223344, Data: []byte{0, 0}}},
	{"tunnel first", "28 00000001" + hex32(0x40) + "cafebabe 0001 01",
		Fragment{Delivery: DeliveryInstructions{DeliveryTunnel, 1, hashOf(0x40)}, MessageID: 0xcafebabe, Data: []byte{1}}},
	{"router first", "48" + hex32(0x10) + "00000000 0000",
		Fragment{Delivery: DeliveryInstructions{Type: DeliveryRouter, To: hashOf(0x10)}, Data: []byte{}}},
	{"follow-on 1", "82 11223344 0001 ee",
		Fragment{MessageID: 0x11223344, Number: 1, Data: []byte{0xee}}},
	{"follow-on 2 last", "85 11223344 0002 eeff",
		Fragment{MessageID: 0x11223344, Number: 2, Last: true, Data: []byte{0xee, 0xff}}},
	{"follow-on 63 last", "ff ffffffff 0000",
		Fragment{MessageID: 0xffffffff, Number: 63, Last: true, Data: []byte{}}},
}

func sameFragment(a, b Fragment) bool {
	return a.Delivery == b.Delivery && a.MessageID == b.MessageID && a.Number == b.Number &&
		a.Last == b.Last && bytes.Equal(a.Data, b.Data)
}

func TestFragmentGolden(t *testing.T) {
	for _, tc := range fragmentGolden {
		t.Run(tc.name, func(t *testing.T) {
			want := mustHex(tc.hex)
			got, err := tc.f.AppendBinary(nil)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("AppendBinary = %x, %v; want %x", got, err, want)
			}
			if n := tc.f.HeaderLen(); n != len(want)-len(tc.f.Data) {
				t.Errorf("HeaderLen = %d, want %d", n, len(want)-len(tc.f.Data))
			}
			in := append(bytes.Clone(want), 0x99, 0x98)
			f, rest, err := ParseFragment(in)
			if err != nil || !sameFragment(f, tc.f) || !bytes.Equal(rest, []byte{0x99, 0x98}) {
				t.Fatalf("ParseFragment = %+v, rest %x, %v; want %+v", f, rest, err, tc.f)
			}
			if cap(f.Data) != len(f.Data) {
				t.Errorf("Data capacity %d not clipped to %d", cap(f.Data), len(f.Data))
			}
		})
	}
}

func TestParseFragmentErrors(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		want      error
	}{
		{"empty", "", ErrShort},
		{"type 3", "60" + hex32(0) + "0000", ErrMalformed},
		{"delay flag", "10 0000", ErrMalformed},
		{"extended options", "04 00 0000", ErrMalformed},
		{"tunnel ID 0", "20 00000000" + hex32(0) + "0000", ErrMalformed},
		{"follow-on number 0", "80 00000001 0000", ErrMalformed},
		{"follow-on number 0 last", "81 00000001 0000", ErrMalformed},
		{"short local", "00 00", ErrShort},
		{"short router hash", "40" + hex32(0)[:62], ErrShort},
		{"short tunnel", "20 0000", ErrShort},
		{"short message ID", "08 1122", ErrShort},
		{"short follow-on", "82 11223344 00", ErrShort},
		{"size past end", "00 0003 0102", ErrShort},
		{"follow-on size past end", "83 11223344 0100" + strings.Repeat("00", 255), ErrShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, rest, err := ParseFragment(mustHex(tc.hex))
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseFragment = %+v, %x, %v; want %v", f, rest, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "tunnel: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestAppendFragmentErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    Fragment
		want error
	}{
		{"type 3", Fragment{Delivery: DeliveryInstructions{Type: 3}, Last: true}, ErrMalformed},
		{"tunnel ID 0", Fragment{Delivery: DeliveryInstructions{Type: DeliveryTunnel}, Last: true}, ErrMalformed},
		{"number 64", Fragment{Number: 64}, ErrMalformed},
		{"number -1", Fragment{Number: -1}, ErrMalformed},
		{"follow-on with delivery", Fragment{Number: 1, Delivery: DeliveryInstructions{Type: DeliveryRouter}}, ErrMalformed},
		{"too long", Fragment{Last: true, Data: make([]byte, 0x10000)}, ErrTooLarge},
	} {
		b, err := tc.f.AppendBinary([]byte{7})
		if !errors.Is(err, tc.want) || !bytes.Equal(b, []byte{7}) {
			t.Errorf("%s: AppendBinary = %x, %v; want %v and b unchanged", tc.name, b, err, tc.want)
		}
	}
}

// TestBodyGolden checks a TunnelData body built by hand from
// tunnel-message.rst, "Tunnel Message (Decrypted)": IV 00..0f, 982 bytes of
// 0xaa padding, the zero byte, and one local, unfragmented Data message
// (type 20, ID 1, no expiration, payload 00000001 78). The checksum was
// computed with Python's hashlib: SHA-256(fragments || IV)[:4].
func TestBodyGolden(t *testing.T) {
	const (
		iv    = "000102030405060708090a0b0c0d0e0f"
		sum   = "ca027b88"
		frags = "00 0015 14 00000001 0000000000000000 0005 e7 0000000178"
	)
	fr := mustHex(frags)
	want := mustHex(iv + sum + strings.Repeat("aa", MaxPayload-len(fr)) + "00" + frags)
	if len(want) != BodyLen {
		t.Fatalf("hand-built body is %d bytes", len(want))
	}
	var b [BodyLen]byte
	if err := BuildBody(&b, [IVLen]byte(mustHex(iv)), fr, bytes.NewReader(bytes.Repeat([]byte{0xaa}, BodyLen))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:], want) {
		t.Fatalf("BuildBody:\n got %x\nwant %x", b, want)
	}
	got, err := ParseBody(&b)
	if err != nil || !bytes.Equal(got, fr) {
		t.Fatalf("ParseBody = %x, %v; want %x", got, err, fr)
	}
	f, rest, err := ParseFragment(got)
	if err != nil || len(rest) != 0 || f.Delivery.Type != DeliveryLocal || !f.Last {
		t.Fatalf("ParseFragment = %+v, %x, %v", f, rest, err)
	}
	m, _, err := i2np.ParseLong(f.Data)
	if err != nil || m.Type != i2np.Data || m.ID != 1 || !bytes.Equal(m.Payload, mustHex("0000000178")) {
		t.Fatalf("ParseLong = %+v, %v", m, err)
	}
	ep := NewEndpoint(EndpointConfig{})
	out, err := ep.Receive(nil, &b, time.Unix(0, 0))
	if err != nil || len(out) != 1 || out[0].Message.ID != 1 {
		t.Fatalf("Endpoint.Receive = %+v, %v", out, err)
	}

	// Every single-bit change is caught: in the checksum, the fragments or
	// the IV by the checksum; in the zero byte by the checksum or a missing
	// zero; in the padding only if it makes a zero (not here: 0xaa^bit≠0).
	for i := range BodyLen * 8 {
		c := b
		c[i/8] ^= 1 << (i % 8)
		_, err := ParseBody(&c)
		inPad := i/8 >= IVLen+ChecksumLen && i/8 < BodyLen-len(fr)-1
		if inPad != (err == nil) {
			t.Fatalf("bit %d flipped: ParseBody error %v", i, err)
		}
	}
}

func TestParseBodyNoZero(t *testing.T) {
	var b [BodyLen]byte
	for i := range b {
		b[i] = 0xff
	}
	b[3] = 0  // in the IV: not the end of the padding
	b[17] = 0 // in the checksum: neither
	if _, err := ParseBody(&b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ParseBody = %v, want ErrMalformed", err)
	}
	b[BodyLen-1] = 0 // zero last: no fragments
	sum := checksum(nil, b[:IVLen])
	copy(b[IVLen:], sum[:])
	if f, err := ParseBody(&b); err != nil || len(f) != 0 {
		t.Fatalf("ParseBody = %x, %v; want no fragments", f, err)
	}
}

func TestBuildBodyErrors(t *testing.T) {
	var b [BodyLen]byte
	if err := BuildBody(&b, [IVLen]byte{}, make([]byte, MaxPayload+1), nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("BuildBody of %d bytes = %v, want ErrTooLarge", MaxPayload+1, err)
	}
	if err := BuildBody(&b, [IVLen]byte{}, nil, bytes.NewReader(nil)); err == nil {
		t.Error("BuildBody with a failing rand succeeded")
	}
	// A full body reads no padding.
	if err := BuildBody(&b, [IVLen]byte{}, make([]byte, MaxPayload), bytes.NewReader(nil)); err != nil {
		t.Errorf("BuildBody of a full body: %v", err)
	}
	// Zero padding bytes from rand become 1.
	if err := BuildBody(&b, [IVLen]byte{}, nil, bytes.NewReader(make([]byte, BodyLen))); err != nil {
		t.Fatal(err)
	}
	if bytes.IndexByte(b[IVLen+ChecksumLen:BodyLen-1], 0) >= 0 || b[BodyLen-1] != 0 {
		t.Errorf("padding has a zero, or the body does not end with one: %x", b[IVLen+ChecksumLen:])
	}
}

// vectors is testdata/vectors.json; see testdata/README.md.
type vectors struct {
	Hops []struct {
		Layer, IV string
	}
	Messages []struct {
		Delivery string
		TunnelID uint32 `json:"tunnel_id"`
		To       string
		I2NP     string
	}
	Rand   string
	Bodies []struct {
		Plain     string
		Fragments []string
		Inbound   []string
		Outbound  string
	}
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v vectors) ciphers() []*Cipher {
	var hops []*Cipher
	for _, h := range v.Hops {
		hops = append(hops, NewCipher(LayerKeys{Layer: [32]byte(mustHex(h.Layer)), IV: [32]byte(mustHex(h.IV))}))
	}
	return hops
}

func (v vectors) delivery(i int) DeliveryInstructions {
	m := v.Messages[i]
	d := DeliveryInstructions{TunnelID: data.TunnelID(m.TunnelID)}
	switch m.Delivery {
	case "tunnel":
		d.Type = DeliveryTunnel
	case "router":
		d.Type = DeliveryRouter
	}
	if m.To != "" {
		d.To = data.Hash(mustHex(m.To))
	}
	return d
}

// TestPythonVectors checks the layers, the body framing, the fragments,
// the Gateway's packing and the Endpoint against testdata/vectors.json,
// made by an independent Python implementation.
func TestPythonVectors(t *testing.T) {
	v := loadVectors(t)
	hops := v.ciphers()

	// Gateway: the same messages and random stream give the same bodies.
	g := NewGateway(GatewayConfig{Rand: bytes.NewReader(mustHex(v.Rand))})
	var bodies [][BodyLen]byte
	for i, m := range v.Messages {
		msg, rest, err := i2np.ParseLong(mustHex(m.I2NP))
		if err != nil || len(rest) != 0 {
			t.Fatalf("message %d: %v", i, err)
		}
		if bodies, err = g.Put(bodies, v.delivery(i), msg); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	bodies, err := g.Flush(bodies)
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != len(v.Bodies) {
		t.Fatalf("gateway made %d bodies, want %d", len(bodies), len(v.Bodies))
	}

	ep := NewEndpoint(EndpointConfig{})
	var got []Delivered
	for i, vb := range v.Bodies {
		plain := [BodyLen]byte(mustHex(vb.Plain))
		if bodies[i] != plain {
			t.Fatalf("body %d from the gateway:\n got %x\nwant %x", i, bodies[i], plain)
		}
		frags, err := ParseBody(&plain)
		if err != nil {
			t.Fatalf("body %d: ParseBody: %v", i, err)
		}
		for j, want := range vb.Fragments {
			f, rest, err := ParseFragment(frags)
			if err != nil {
				t.Fatalf("body %d fragment %d: %v", i, j, err)
			}
			if enc, _ := f.AppendBinary(nil); !bytes.Equal(enc, mustHex(want)) {
				t.Fatalf("body %d fragment %d re-encodes to %x, want %s", i, j, enc, want)
			}
			frags = rest
		}
		if len(frags) != 0 {
			t.Fatalf("body %d: %d bytes after the fragments", i, len(frags))
		}

		// Inbound: the gateway and each hop add a layer.
		b := plain
		for j, h := range hops {
			h.EncryptLayer(&b)
			if want := [BodyLen]byte(mustHex(vb.Inbound[j])); b != want {
				t.Fatalf("body %d after layer %d:\n got %x\nwant %x", i, j, b, want)
			}
		}
		DecryptLayers(hops, &b)
		if b != plain {
			t.Fatalf("body %d: inbound endpoint did not recover the plaintext", i)
		}

		// Outbound: the gateway removes the layers in advance.
		b = plain
		DecryptLayers(hops, &b)
		if want := [BodyLen]byte(mustHex(vb.Outbound)); b != want {
			t.Fatalf("body %d outbound gateway:\n got %x\nwant %x", i, b, want)
		}
		for _, h := range hops {
			h.EncryptLayer(&b)
		}
		if b != plain {
			t.Fatalf("body %d: outbound endpoint did not recover the plaintext", i)
		}
		if got, err = ep.Receive(got, &b, time.Unix(1700000000, 0)); err != nil {
			t.Fatalf("body %d: Receive: %v", i, err)
		}
	}
	if len(got) != len(v.Messages) {
		t.Fatalf("endpoint delivered %d messages, want %d", len(got), len(v.Messages))
	}
	for i, d := range got {
		enc, err := d.Message.AppendLong(nil)
		if err != nil || !bytes.Equal(enc, mustHex(v.Messages[i].I2NP)) || d.Delivery != v.delivery(i) {
			t.Errorf("delivered %d: %v %x, %v; want %v %s", i, d.Delivery, enc, err, v.delivery(i), v.Messages[i].I2NP)
		}
	}
}
