package garlic

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

func hashN(n byte) data.Hash {
	var h data.Hash
	for i := range h {
		h[i] = n + byte(i)
	}
	return h
}

// cloveGolden are hand-assembled from ecies.rst "Garlic Clove" and i2np.rst
// "Garlic Clove Delivery Instructions".
var cloveGolden = []struct {
	name  string
	hex   string
	clove Clove
}{
	{"local", "00 02 01020304 65920080 626f6479",
		Clove{Msg: i2np.Message{Type: i2np.DatabaseLookup, ID: 0x01020304,
			Expiration: time.Unix(0x65920080, 0).UTC(), Payload: []byte("body")}}},
	{"local, no expiration, empty body", "00 0a 00000001 00000000",
		Clove{Msg: i2np.Message{Type: i2np.DeliveryStatus, ID: 1, Payload: []byte{}}}},
	{"destination", "20" + hex32(0x10) + "14 11121314 65920081 64617461",
		Clove{Delivery: DeliveryDestination, To: hashN(0x10), Msg: i2np.Message{Type: i2np.Data,
			ID: 0x11121314, Expiration: time.Unix(0x65920081, 0).UTC(), Payload: []byte("data")}}},
	{"router", "40" + hex32(0x30) + "0a 21222324 00000000 a0a1",
		Clove{Delivery: DeliveryRouter, To: hashN(0x30), Msg: i2np.Message{Type: i2np.DeliveryStatus,
			ID: 0x21222324, Payload: []byte{0xa0, 0xa1}}}},
	{"tunnel", "60" + hex32(0x50) + "0a0b0c0d 01 31323334 65920082 73",
		Clove{Delivery: DeliveryTunnel, To: hashN(0x50), Tunnel: 0x0a0b0c0d, Msg: i2np.Message{Type: i2np.DatabaseStore,
			ID: 0x31323334, Expiration: time.Unix(0x65920082, 0).UTC(), Payload: []byte("s")}}},
}

// hex32 is hashN(n) in hex.
func hex32(n byte) string {
	h := hashN(n)
	return hex.EncodeToString(h[:])
}

func TestCloveGolden(t *testing.T) {
	for _, tc := range cloveGolden {
		t.Run(tc.name, func(t *testing.T) {
			b := mustHex(tc.hex)
			c, err := ParseClove(b)
			if err != nil {
				t.Fatal(err)
			}
			if !sameClove(c, tc.clove) {
				t.Fatalf("got %+v\nwant %+v", c, tc.clove)
			}
			enc, err := AppendClove([]byte{0xee}, tc.clove)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc[1:], b) || enc[0] != 0xee {
				t.Fatalf("AppendClove\n got %x\nwant ee%x", enc, b)
			}
			blk, err := tc.clove.Block()
			if err != nil || blk.Type != BlockGarlicClove || !bytes.Equal(blk.Data, b) {
				t.Fatalf("Block() = %v, %v", blk, err)
			}
			c2, err := blk.Clove()
			if err != nil || !sameClove(c2, tc.clove) {
				t.Fatalf("Block().Clove() = %+v, %v", c2, err)
			}
		})
	}
}

func TestCloveReservedBitsIgnored(t *testing.T) {
	b := mustHex("4f" + hex32(0x30) + "0a 21222324 00000000")
	c, err := ParseClove(b)
	if err != nil || c.Delivery != DeliveryRouter || c.To != hashN(0x30) {
		t.Fatalf("ParseClove = %+v, %v", c, err)
	}
}

func TestCloveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrShort},
		{"no header", "00 02 01020304 659200", ErrShort},
		{"router hash cut", "40 0001", ErrShort},
		{"tunnel id cut", "60" + hex32(0) + "0000", ErrShort},
		{"router header cut", "40" + hex32(0) + "0a 00", ErrShort},
		{"tunnel id zero", "60" + hex32(0) + "00000000 0a 00000001 00000000", ErrMalformed},
		{"encrypted flag", "80 0a 00000001 00000000", ErrMalformed},
		{"delay flag", "10 0a 00000001 00000000", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseClove(mustHex(tc.hex))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "garlic: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
	if _, err := (Block{Type: BlockPadding}).Clove(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Clove of padding: %v", err)
	}
}

func TestAppendCloveErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clove Clove
		want  error
	}{
		{"bad delivery", Clove{Delivery: 4}, ErrMalformed},
		{"tunnel zero", Clove{Delivery: DeliveryTunnel}, ErrMalformed},
		{"too big", Clove{Msg: i2np.Message{Payload: make([]byte, MaxBlockData)}}, ErrSize},
		{"expiration", Clove{Msg: i2np.Message{Expiration: time.Unix(1<<33, 0)}}, i2np.ErrExpiration},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := AppendClove([]byte{1, 2}, tc.clove)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !bytes.Equal(b, []byte{1, 2}) {
				t.Fatalf("failed append left %x", b)
			}
		})
	}
	// The largest clove that fits a block.
	c := Clove{Msg: i2np.Message{Payload: make([]byte, MaxBlockData-1-i2np.ShortHeaderLen)}}
	if b, err := AppendClove(nil, c); err != nil || len(b) != MaxBlockData {
		t.Fatalf("largest clove: %d bytes, %v", len(b), err)
	}
}

func TestCloveIgnoresUnusedFields(t *testing.T) {
	c := Clove{Delivery: DeliveryLocal, To: hashN(1), Tunnel: 7, Msg: i2np.Message{Type: 1}}
	b, err := AppendClove(nil, c)
	if err != nil || len(b) != 1+i2np.ShortHeaderLen {
		t.Fatalf("local clove with To and Tunnel set: %x, %v", b, err)
	}
	c = Clove{Delivery: DeliveryRouter, To: hashN(1), Tunnel: 7, Msg: i2np.Message{Type: 1}}
	b, err = AppendClove(nil, c)
	if err != nil || len(b) != 1+32+i2np.ShortHeaderLen {
		t.Fatalf("router clove with Tunnel set: %x, %v", b, err)
	}
}

func TestDeliveryTypeString(t *testing.T) {
	for d, want := range map[DeliveryType]string{
		DeliveryLocal: "local", DeliveryDestination: "destination", DeliveryRouter: "router",
		DeliveryTunnel: "tunnel", 4: "DeliveryType(4)",
	} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", uint8(d), got, want)
		}
	}
}

func sameClove(a, b Clove) bool {
	return a.Delivery == b.Delivery && a.To == b.To && a.Tunnel == b.Tunnel &&
		a.Msg.Type == b.Msg.Type && a.Msg.ID == b.Msg.ID &&
		a.Msg.Expiration.Equal(b.Msg.Expiration) && a.Msg.Expiration.IsZero() == b.Msg.Expiration.IsZero() &&
		bytes.Equal(a.Msg.Payload, b.Msg.Payload)
}
