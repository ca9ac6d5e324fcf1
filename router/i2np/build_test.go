package i2np

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

func TestBuildMessageErrors(t *testing.T) {
	counted := func(n int, size int, extra int) []byte {
		return append([]byte{byte(n)}, make([]byte, n*size+extra)...)
	}
	tests := []struct {
		name    string
		typ     MessageType
		payload []byte
		want    error
	}{
		{"TunnelBuild 7 records", TunnelBuild, make([]byte, 7*BuildRecordLen), ErrShort},
		{"TunnelBuild short", TunnelBuild, make([]byte, 8*BuildRecordLen-1), ErrShort},
		{"TunnelBuild long", TunnelBuild, make([]byte, 8*BuildRecordLen+1), ErrTrailing},
		{"TunnelBuildReply empty", TunnelBuildReply, nil, ErrShort},
		{"VariableTunnelBuild empty", VariableTunnelBuild, nil, ErrShort},
		{"VariableTunnelBuild 0 records", VariableTunnelBuild, []byte{0}, ErrMalformed},
		{"VariableTunnelBuild 9 records", VariableTunnelBuild, counted(9, BuildRecordLen, 0), ErrMalformed},
		{"VariableTunnelBuild short", VariableTunnelBuild, counted(4, BuildRecordLen, -1), ErrShort},
		{"VariableTunnelBuild long", VariableTunnelBuild, counted(4, BuildRecordLen, 1), ErrTrailing},
		{"VariableTunnelBuild short records", VariableTunnelBuild, counted(4, ShortBuildRecordLen, 0), ErrShort},
		{"VariableTunnelBuildReply 255 records", VariableTunnelBuildReply, counted(1, BuildRecordLen, 0)[1:], ErrMalformed},
		{"ShortTunnelBuild 0 records", ShortTunnelBuild, []byte{0}, ErrMalformed},
		{"ShortTunnelBuild long records", ShortTunnelBuild, counted(2, BuildRecordLen, 0), ErrTrailing},
		{"ShortTunnelBuild short", ShortTunnelBuild, counted(8, ShortBuildRecordLen, -1), ErrShort},
		{"OutboundTunnelBuildReply 9 records", OutboundTunnelBuildReply, counted(9, ShortBuildRecordLen, 0), ErrMalformed},
		{"OutboundTunnelBuildReply long", OutboundTunnelBuildReply, counted(1, ShortBuildRecordLen, 1), ErrTrailing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParsePayload(tc.typ, tc.payload); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBuildMessageAppendErrors(t *testing.T) {
	for _, body := range []Body{
		TunnelBuildMessage{Records: records(7)},
		TunnelBuildReplyMessage{Records: records(9)},
		VariableTunnelBuildMessage{},
		VariableTunnelBuildReplyMessage{Records: records(9)},
		ShortTunnelBuildMessage{},
		OutboundTunnelBuildReplyMessage{Records: shortRecords(9)},
	} {
		b, err := body.AppendBinary([]byte("pre"))
		if !errors.Is(err, ErrMalformed) || string(b) != "pre" {
			t.Errorf("%T with %d records: %q, %v", body, reflect.ValueOf(body).Field(0).Len(), b, err)
		}
	}
	// Every count from 1 to 8 round-trips.
	for n := 1; n <= MaxBuildRecords; n++ {
		for _, body := range []Body{
			VariableTunnelBuildMessage{Records: records(n)},
			ShortTunnelBuildMessage{Records: shortRecords(n)},
		} {
			enc, err := body.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParsePayload(body.Type(), enc)
			if err != nil || !reflect.DeepEqual(got, body) {
				t.Errorf("%T of %d: %v", body, n, err)
			}
		}
	}
}

func TestBuildRecordAccessors(t *testing.T) {
	var r BuildRecord
	copy(r[:], pattern(BuildRecordLen, 0))
	if r.ToPeer() != [16]byte(pattern(16, 0)) || r.EphemeralKey() != [32]byte(pattern(32, 16)) {
		t.Errorf("BuildRecord: %x %x", r.ToPeer(), r.EphemeralKey())
	}
	var s ShortBuildRecord
	copy(s[:], pattern(ShortBuildRecordLen, 100))
	if s.ToPeer() != [16]byte(pattern(16, 100)) || s.EphemeralKey() != [32]byte(pattern(32, 116)) {
		t.Errorf("ShortBuildRecord: %x %x", s.ToPeer(), s.EphemeralKey())
	}
}

// TestBuildRecordOffsets pins the fields i2pd reads at fixed offsets
// (libi2pd/I2NPProtocol.h, ECIES_BUILD_REQUEST_RECORD_* and
// SHORT_REQUEST_RECORD_*).
func TestBuildRecordOffsets(t *testing.T) {
	long, err := goldenRecords["BuildRequest"].rec.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		at   int
		want []byte
	}{
		{"next ident", 8, hb(0x20)},
		{"layer key", 40, hb(0x40)},
		{"IV key", 72, hb(0x60)},
		{"reply key", 104, hb(0x80)},
		{"reply IV", 136, pattern(16, 0xa0)},
		{"flags", 152, []byte{0x80}},
		{"request time", 156, mustHex("01b15980")},
		{"expiration", 160, mustHex("00000258")},
		{"next message ID", 164, mustHex("0badf00d")},
		{"options", 168, mustHex("0010")},
	}
	for _, c := range checks {
		if got := long[c.at : c.at+len(c.want)]; !bytes.Equal(got, c.want) {
			t.Errorf("long %s at %d: %x, want %x", c.name, c.at, got, c.want)
		}
	}
	short, err := goldenRecords["ShortBuildRequest"].rec.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	checks = []struct {
		name string
		at   int
		want []byte
	}{
		{"next ident", 8, hb(0x33)},
		{"flags", 40, []byte{0x40}},
		{"layer encryption", 43, []byte{0}},
		{"request time", 44, mustHex("01b15981")},
		{"next message ID", 52, mustHex("12345678")},
		{"options", 56, mustHex("0000")},
	}
	for _, c := range checks {
		if got := short[c.at : c.at+len(c.want)]; !bytes.Equal(got, c.want) {
			t.Errorf("short %s at %d: %x, want %x", c.name, c.at, got, c.want)
		}
	}
}

func TestBuildRecordErrors(t *testing.T) {
	long := mustHex(goldenRow(t, "BuildRequest"))
	short := mustHex(goldenRow(t, "ShortBuildRequest"))
	resp := mustHex(goldenRow(t, "BuildResponse"))
	sresp := mustHex(goldenRow(t, "ShortBuildResponse"))
	with := func(b []byte, at int, v ...byte) []byte {
		b = bytes.Clone(b)
		copy(b[at:], v)
		return b
	}
	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		want  error
	}{
		{"BuildRequest short", parseErr(ParseBuildRequest), long[:463], ErrShort},
		{"BuildRequest long", parseErr(ParseBuildRequest), append(bytes.Clone(long), 0), ErrTrailing},
		{"BuildRequest options overrun", parseErr(ParseBuildRequest), with(long, 168, 0x01, 0x27), ErrMalformed},
		{"BuildRequest options overrun is data.ErrShort", parseErr(ParseBuildRequest), with(long, 168, 0x01, 0x27), data.ErrShort},
		{"BuildRequest bad mapping", parseErr(ParseBuildRequest), with(long, 168, 0x00, 0x04, 1, 'a', '-', 0), ErrMalformed},
		{"ShortBuildRequest short", parseErr(ParseShortBuildRequest), short[:1], ErrShort},
		{"ShortBuildRequest long", parseErr(ParseShortBuildRequest), append(bytes.Clone(short), 0), ErrTrailing},
		{"ShortBuildRequest options overrun", parseErr(ParseShortBuildRequest), with(short, 56, 0x00, 0x61), ErrMalformed},
		{"BuildResponse short", parseErr(ParseBuildResponse), resp[:511], ErrShort},
		{"BuildResponse options reach the reply byte", parseErr(ParseBuildResponse), with(resp, 0, 0x01, 0xfe), ErrMalformed},
		{"ShortBuildResponse long", parseErr(ParseShortBuildResponse), append(bytes.Clone(sresp), 0), ErrTrailing},
		{"ShortBuildResponse options reach the reply byte", parseErr(ParseShortBuildResponse), with(sresp, 0, 0x00, 0xc8), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.parse(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// The longest options that fit: 199 bytes of mapping in a short reply.
	ok := with(sresp, 0, 0x00, 0xc7)
	copy(ok[2:], append(append([]byte{195}, strings.Repeat("k", 195)...), '=', 0, ';'))
	if p, err := ParseShortBuildResponse(ok); err != nil || len(p.Padding) != 0 || p.Options.Len() != 1 {
		t.Errorf("199-byte options: %v, %d bytes of padding", err, len(p.Padding))
	}
}

func parseErr[T any](parse func([]byte) (T, error)) func([]byte) error {
	return func(b []byte) error { _, err := parse(b); return err }
}

func goldenRow(t *testing.T, name string) string {
	for _, r := range goldenRows {
		if r.name == name {
			return r.want
		}
	}
	t.Fatalf("no golden row %q", name)
	return ""
}

func TestBuildRecordAppendErrors(t *testing.T) {
	bigOpts := mustMapping("k", strings.Repeat("v", 255), "l", strings.Repeat("v", 255))
	tests := []struct {
		name string
		rec  interface{ AppendBinary([]byte) ([]byte, error) }
		want error
	}{
		{"BuildRequest more flags", BuildRequest{MoreFlags: 1 << 24}, ErrMalformed},
		{"BuildRequest time before the epoch", BuildRequest{RequestTime: time.Unix(-60, 0)}, ErrMalformed},
		{"BuildRequest time past 32 bits", BuildRequest{RequestTime: time.Unix((1<<32)*60, 0)}, ErrMalformed},
		{"BuildRequest negative expiration", BuildRequest{Expiration: -time.Second}, ErrMalformed},
		{"BuildRequest expiration past 32 bits", BuildRequest{Expiration: (1 << 32) * time.Second}, ErrMalformed},
		{"BuildRequest options too big", BuildRequest{Options: bigOpts}, ErrSize},
		{"BuildRequest padding too long", BuildRequest{Padding: make([]byte, 295)}, ErrSize},
		{"ShortBuildRequest padding too long", ShortBuildRequest{Padding: make([]byte, 97)}, ErrSize},
		{"ShortBuildRequest options too big", ShortBuildRequest{Options: mustMapping("k", strings.Repeat("v", 92))}, ErrSize},
		{"ShortBuildRequest negative expiration", ShortBuildRequest{Expiration: -time.Second}, ErrMalformed},
		{"BuildResponse padding too long", BuildResponse{Padding: make([]byte, 510)}, ErrSize},
		{"ShortBuildResponse padding too long", ShortBuildResponse{Padding: make([]byte, 200)}, ErrSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.rec.AppendBinary([]byte("pre"))
			if !errors.Is(err, tc.want) || string(b) != "pre" {
				t.Errorf("got %q, %v; want %v", b, err, tc.want)
			}
		})
	}
	// The limits themselves fit.
	for _, rec := range []interface{ AppendBinary([]byte) ([]byte, error) }{
		BuildRequest{Padding: make([]byte, 294)},
		ShortBuildRequest{Options: mustMapping("k", strings.Repeat("v", 91))}, // 96-byte mapping
		ShortBuildRequest{Padding: make([]byte, 96)},
		BuildResponse{Padding: make([]byte, 509)},
		ShortBuildResponse{Padding: make([]byte, 199)},
		BuildRequest{RequestTime: time.Unix((1<<32-1)*60+59, 0), Expiration: (1<<32 - 1) * time.Second},
	} {
		if _, err := rec.AppendBinary(nil); err != nil {
			t.Errorf("%T: %v", rec, err)
		}
	}
}

// TestBuildRecordPadding checks the random fill after short padding and
// the truncation of times.
func TestBuildRecordPadding(t *testing.T) {
	q := ShortBuildRequest{ReceiveTunnel: 1, Padding: []byte{1, 2, 3},
		RequestTime: time.Date(2024, 1, 1, 12, 34, 56, 789, time.UTC), Expiration: 600*time.Second + 999*time.Millisecond}
	a, err := q.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != ShortBuildRequestLen || len(b) != ShortBuildRequestLen {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	if !bytes.Equal(a[:61], b[:61]) || bytes.Equal(a[61:], b[61:]) {
		t.Errorf("fill is not random:\n%x\n%x", a, b)
	}
	p, err := ParseShortBuildRequest(a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Padding, a[58:]) || !bytes.HasPrefix(p.Padding, []byte{1, 2, 3}) {
		t.Errorf("padding %x", p.Padding)
	}
	if want := time.Date(2024, 1, 1, 12, 34, 0, 0, time.UTC); !p.RequestTime.Equal(want) || p.Expiration != 600*time.Second {
		t.Errorf("time %v expiration %v", p.RequestTime, p.Expiration)
	}
	// A zero time is 0 and back.
	if z, _ := (ShortBuildRequest{}).AppendBinary(nil); !bytes.Equal(z[44:48], []byte{0, 0, 0, 0}) {
		t.Errorf("zero time as %x", z[44:48])
	} else if p, err := ParseShortBuildRequest(z); err != nil || !p.RequestTime.IsZero() {
		t.Errorf("0 parsed as %v, %v", p.RequestTime, err)
	}
	r, err := BuildResponse{Reply: ReplyRejectBandwidth}.AppendBinary(nil)
	if err != nil || len(r) != BuildResponseLen || r[511] != 30 || r[0] != 0 || r[1] != 0 {
		t.Errorf("response %d bytes, %v", len(r), err)
	}
}
