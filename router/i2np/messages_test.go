package i2np

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestSmallMessageErrors(t *testing.T) {
	tg := func(tunnel uint32, inner []byte, extra ...byte) []byte {
		p := appendU32(nil, tunnel)
		p = append(p, byte(len(inner)>>8), byte(len(inner)))
		p = append(p, inner...)
		return append(p, extra...)
	}
	ds := mustHex("0a 01020304 0000018cc251f47b 000c 1c deadbeef0000018cc251f47b")
	badSum := bytes.Clone(ds)
	badSum[15] ^= 1
	tests := []struct {
		name    string
		typ     MessageType
		payload []byte
		want    error
	}{
		{"DeliveryStatus short", DeliveryStatus, make([]byte, 11), ErrShort},
		{"DeliveryStatus long", DeliveryStatus, make([]byte, 13), ErrTrailing},
		{"DeliveryStatus time past int64", DeliveryStatus, mustHex("00000001 8000000000000000"), ErrExpiration},
		{"Garlic empty", Garlic, nil, ErrShort},
		{"Garlic length past the end", Garlic, mustHex("00000003 0102"), ErrShort},
		{"Garlic huge length", Garlic, mustHex("ffffffff 0102"), ErrShort},
		{"Garlic trailing", Garlic, mustHex("00000001 0102"), ErrTrailing},
		{"Data length past the end", Data, mustHex("00000003 0102"), ErrShort},
		{"Data trailing", Data, mustHex("00000000 00"), ErrTrailing},
		{"TunnelData short", TunnelData, make([]byte, TunnelDataLen-1), ErrShort},
		{"TunnelData long", TunnelData, make([]byte, TunnelDataLen+1), ErrTrailing},
		{"TunnelData tunnel 0", TunnelData, make([]byte, TunnelDataLen), ErrMalformed},
		{"TunnelGateway empty", TunnelGateway, nil, ErrShort},
		{"TunnelGateway tunnel 0", TunnelGateway, tg(0, ds), ErrMalformed},
		{"TunnelGateway length past the end", TunnelGateway, tg(1, ds)[:len(ds)+5], ErrShort},
		{"TunnelGateway trailing", TunnelGateway, tg(1, ds, 0), ErrTrailing},
		{"TunnelGateway bytes after the wrapped message", TunnelGateway, tg(1, append(bytes.Clone(ds), 0)), ErrTrailing},
		{"TunnelGateway wrapped checksum", TunnelGateway, tg(1, badSum), ErrChecksum},
		{"TunnelGateway wrapped too short", TunnelGateway, tg(1, ds[:10]), ErrShort},
		{"TunnelGateway wrapped size", TunnelGateway, tg(1, ds[:20]), ErrSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParsePayload(tc.typ, tc.payload)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			if b != nil {
				t.Errorf("got a body %v with the error", b)
			}
		})
	}
}

func TestSmallMessageAppendErrors(t *testing.T) {
	big := make([]byte, MaxPayload-3)
	tests := []struct {
		name string
		body Body
		want error
	}{
		{"DeliveryStatus before the epoch", DeliveryStatusMessage{Time: time.Unix(-1, 0)}, ErrExpiration},
		{"Garlic too big", GarlicMessage{Data: big}, ErrSize},
		{"Data too big", DataMessage{Data: big}, ErrSize},
		{"TunnelData tunnel 0", TunnelDataMessage{}, ErrMalformed},
		{"TunnelGateway tunnel 0", TunnelGatewayMessage{}, ErrMalformed},
		{"TunnelGateway too big", TunnelGatewayMessage{TunnelID: 1, Message: Message{Payload: make([]byte, MaxPayload-21)}}, ErrSize},
		{"TunnelGateway bad expiration", TunnelGatewayMessage{TunnelID: 1, Message: Message{Expiration: time.Unix(-5, 0)}}, ErrExpiration},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.body.AppendBinary([]byte("pre"))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			if string(b) != "pre" {
				t.Errorf("failed AppendBinary left %q", b)
			}
		})
	}
	// The largest that fit.
	for _, body := range []Body{
		GarlicMessage{Data: big[:MaxPayload-4]},
		DataMessage{Data: big[:MaxPayload-4]},
		TunnelGatewayMessage{TunnelID: 1, Message: Message{Payload: make([]byte, MaxPayload-22)}},
	} {
		enc, err := body.AppendBinary(nil)
		if err != nil || len(enc) != MaxPayload {
			t.Errorf("%T: %d bytes, %v", body, len(enc), err)
		}
		if _, err := NewMessage(1, time.Time{}, body); err != nil {
			t.Errorf("NewMessage(%T): %v", body, err)
		}
	}
}

func TestEmptyData(t *testing.T) {
	for _, typ := range []MessageType{Garlic, Data} {
		b, err := ParsePayload(typ, []byte{0, 0, 0, 0})
		if err != nil {
			t.Fatal(err)
		}
		enc, err := b.AppendBinary(nil)
		if err != nil || !bytes.Equal(enc, []byte{0, 0, 0, 0}) {
			t.Errorf("%v: %x, %v", typ, enc, err)
		}
	}
}

func TestAliasing(t *testing.T) {
	p := mustHex("00000003 616263")
	g, err := ParseGarlicMessage(p)
	if err != nil {
		t.Fatal(err)
	}
	if &g.Data[0] != &p[4] || cap(g.Data) != 3 {
		t.Error("Garlic data does not alias the payload with clipped capacity")
	}
	td := make([]byte, TunnelDataLen)
	td[3] = 1
	m, err := ParseTunnelDataMessage(td)
	if err != nil {
		t.Fatal(err)
	}
	td[4] = 9
	if m.Data[0] != 0 {
		t.Error("TunnelData aliases the payload")
	}
}

func TestParsePayloadUnknown(t *testing.T) {
	for _, typ := range []MessageType{0, 4, 9, 12, 17, 27, 224, 255} {
		if _, err := ParsePayload(typ, make([]byte, 100)); !errors.Is(err, ErrUnknownType) {
			t.Errorf("type %d: %v, want ErrUnknownType", typ, err)
		}
	}
}

// TestNewMessage goes through both headers: body → message → wire → body.
func TestNewMessage(t *testing.T) {
	for name, body := range goldenBodies {
		t.Run(name, func(t *testing.T) {
			m, err := NewMessage(0x01020304, goldenTime, body)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type != body.Type() {
				t.Fatalf("type %v, want %v", m.Type, body.Type())
			}
			long, err := m.AppendLong(nil)
			if err != nil {
				t.Fatal(err)
			}
			m2, rest, err := ParseLong(long)
			if err != nil || len(rest) != 0 {
				t.Fatal(err, len(rest))
			}
			got, err := m2.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, body) {
				t.Errorf("got\n %+v\nwant\n %+v", got, body)
			}
			short, err := m.AppendShort(nil)
			if err != nil {
				t.Fatal(err)
			}
			m3, err := ParseShort(short)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := m3.Parse(); err != nil || !reflect.DeepEqual(got, body) {
				t.Errorf("short header: got %+v, %v", got, err)
			}
		})
	}
	if _, err := NewMessage(1, time.Time{}, DatabaseLookupMessage{Lookup: 9}); !errors.Is(err, ErrMalformed) {
		t.Errorf("NewMessage of a bad body: %v", err)
	}
}

func TestDeliveryStatusTimes(t *testing.T) {
	for _, ms := range []uint64{0, 1, 2, 1704067200123, math.MaxInt64} {
		p := appendU32(nil, 7)
		p = append(p, byte(ms>>56), byte(ms>>48), byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms))
		m, err := ParseDeliveryStatusMessage(p)
		if err != nil {
			t.Fatalf("%d: %v", ms, err)
		}
		if (ms == 0) != m.Time.IsZero() {
			t.Errorf("%d: time %v", ms, m.Time)
		}
		enc, err := m.AppendBinary(nil)
		if err != nil || !bytes.Equal(enc, p) {
			t.Errorf("%d: re-encoded %x, %v", ms, enc, err)
		}
	}
}
