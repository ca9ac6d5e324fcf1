package i2cp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Golden encodings, built by hand from i2cp.rst.
func TestGolden(t *testing.T) {
	var h data.Hash
	for i := range h {
		h[i] = byte(i)
	}
	cases := []struct {
		m    Message
		want string // frame, hex
	}{
		{&GetDate{Version: "0.9.66"}, "00000007" + "20" + "06" + hex.EncodeToString([]byte("0.9.66"))},
		{&SetDate{Date: 0x0102030405, Version: "9"}, "0000000a" + "21" + "0000000102030405" + "0139"},
		{&GetBandwidthLimits{}, "00000000" + "08"},
		{&SessionStatus{Session: 0x1234, Status: SessionCreated}, "00000003" + "14" + "1234" + "01"},
		{&DestroySession{Session: 7}, "00000002" + "03" + "0007"},
		{&MessageStatus{Session: 1, Message: 2, Status: StatusAccepted, Size: 3, Nonce: 4}, "0000000f" + "16" + "0001" + "00000002" + "01" + "00000003" + "00000004"},
		{&MessagePayload{Session: 1, Message: 2, Payload: []byte{0xaa}}, "0000000b" + "1f" + "0001" + "00000002" + "00000001" + "aa"},
		{&Disconnect{Reason: "no"}, "00000003" + "1e" + "02" + "6e6f"},
		{&DestLookup{Hash: h}, "00000020" + "22" + hex.EncodeToString(h[:])},
		{&DestReply{Hash: h}, "00000020" + "23" + hex.EncodeToString(h[:])},
		{&HostLookup{Session: 0xffff, Request: 5, Timeout: 10000, Kind: LookupName, Name: "a.i2p"}, "00000011" + "26" + "ffff" + "00000005" + "00002710" + "01" + "05" + hex.EncodeToString([]byte("a.i2p"))},
		{&HostReply{Session: 3, Request: 5, Result: HostFailure}, "00000007" + "27" + "0003" + "00000005" + "01"},
		{&RequestVariableLeaseSet{Session: 2, Leases: []data.Lease{{Gateway: h, TunnelID: 9, End: time.UnixMilli(0x0102).UTC()}}},
			"0000002f" + "25" + "0002" + "01" + hex.EncodeToString(h[:]) + "00000009" + "0000000000000102"},
		{&ReceiveMessageEnd{Session: 1, Message: 2}, "00000006" + "07" + "0001" + "00000002"},
	}
	for _, c := range cases {
		f, err := AppendFrame(nil, c.m)
		if err != nil {
			t.Fatalf("%T: %v", c.m, err)
		}
		if got := hex.EncodeToString(f); got != c.want {
			t.Errorf("%T:\n got %s\nwant %s", c.m, got, c.want)
			continue
		}
		typ, body, err := ReadFrame(bytes.NewReader(f), nil)
		if err != nil || typ != c.m.Type() {
			t.Fatalf("%T: ReadFrame %d %v", c.m, typ, err)
		}
		back, err := Parse(typ, body)
		if err != nil {
			t.Fatalf("%T: Parse: %v", c.m, err)
		}
		if !reflect.DeepEqual(back, c.m) {
			t.Errorf("%T: round trip\n got %+v\nwant %+v", c.m, back, c.m)
		}
	}
}

// TestRoundTrip covers the messages with destinations, signatures and
// LeaseSets.
func TestRoundTrip(t *testing.T) {
	k := newKeys(t)
	cfg, err := NewSessionConfig(k, map[string]string{"inbound.length": "2", "i2cp.fastReceive": "true"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Verify(); err != nil {
		t.Fatal(err)
	}
	cls, err := AnswerLeaseSet(k, &RequestVariableLeaseSet{Session: 4, Leases: []data.Lease{{TunnelID: 1, End: time.Now().Add(5 * time.Minute)}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Message{
		&CreateSession{Config: cfg},
		&ReconfigureSession{Session: 3, Config: cfg},
		cls,
		&SendMessage{Session: 1, Destination: k.Destination, Payload: []byte("xyz"), Nonce: 5},
		&SendMessage{Session: 1, Destination: k.Destination, Payload: []byte("xyz"), Nonce: 5, Expires: true, Flags: 0x100, Expiration: 1 << 40},
		&DestReply{Destination: k.Destination},
		&HostReply{Session: 1, Request: 2, Destination: k.Destination},
		&HostLookup{Session: 1, Request: 2, Kind: LookupDestination, Destination: k.Destination},
	} {
		b, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		back, err := Parse(m.Type(), b)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		b2, err := back.AppendBinary(nil)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("%T: re-encoding differs (%v)", m, err)
		}
	}
	// The parsed config still verifies (signature over received bytes).
	b, _ := (&CreateSession{Config: cfg}).AppendBinary(nil)
	m, _ := Parse(TypeCreateSession, b)
	if err := m.(*CreateSession).Config.Verify(); err != nil {
		t.Fatal(err)
	}
	b[len(b)-70] ^= 1 // in the date
	m, _ = Parse(TypeCreateSession, b)
	if err := m.(*CreateSession).Config.Verify(); err == nil {
		t.Fatal("tampered config verified")
	}
	// CreateLeaseSet2 keys and LeaseSet survive.
	b, _ = cls.AppendBinary(nil)
	m, _ = Parse(TypeCreateLeaseSet2, b)
	c2 := m.(*CreateLeaseSet2)
	if len(c2.Keys) != 2 || c2.LeaseSet.Verify() != nil || !bytes.Equal(c2.Keys[0].Key, k.Encryption.Private[:]) {
		t.Fatalf("CreateLeaseSet2 %+v", c2)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		typ  uint8
		body []byte
		want error
	}{
		{99, nil, ErrUnknownType},
		{TypeDestroySession, []byte{0}, ErrShort},
		{TypeDestroySession, []byte{0, 1, 2}, ErrTrailing},
		{TypeMessagePayload, []byte{0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, ErrTooLarge},
		{TypeRequestVariableLeaseSet, []byte{0, 1, 17}, ErrMalformed},
	}
	for _, c := range cases {
		if _, err := Parse(c.typ, c.body); !errors.Is(err, c.want) {
			t.Errorf("type %d % x: %v, want %v", c.typ, c.body, err, c.want)
		}
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{0, 2, 0, 0, 5}), nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize frame: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(uint8(TypeGetDate), []byte{6, '0', '.', '9', '.', '6', '6'})
	f.Add(uint8(TypeHostLookup), []byte{0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 'a'})
	f.Add(uint8(TypeSendMessage), []byte{0, 1})
	f.Add(uint8(TypeCreateLeaseSet2), []byte{0, 1, 3})
	f.Fuzz(func(t *testing.T, typ uint8, b []byte) {
		m, err := Parse(typ, b)
		if err != nil {
			return
		}
		enc, err := m.AppendBinary(nil)
		if err != nil {
			return // e.g. a HostLookup of an unknown kind with its raw key is fine; others re-encode
		}
		m2, err := Parse(typ, enc)
		if err != nil {
			t.Fatalf("type %d: re-parse: %v", typ, err)
		}
		enc2, err := m2.AppendBinary(nil)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("type %d: not stable", typ)
		}
	})
}
