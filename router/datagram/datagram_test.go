package datagram

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

type golden struct {
	SenderSeed     hexBytes `json:"sender_seed"`
	TransientSeed  hexBytes `json:"transient_seed"`
	ToHash         hexBytes `json:"to_hash"`
	OfflineExpires int64    `json:"offline_expires"`
	Destination    hexBytes `json:"destination"`
	Vectors        []struct {
		Name    string   `json:"name"`
		Proto   uint8    `json:"proto"`
		Payload hexBytes `json:"payload"`
		Hex     hexBytes `json:"hex"`
	} `json:"vectors"`
}

func readGolden(tb testing.TB) golden {
	tb.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		tb.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatal(err)
	}
	return g
}

// fixture is the golden file's keys as Go values.
type fixture struct {
	g         golden
	from      data.Destination
	signer    *crypto.Ed25519Signer
	transient *crypto.Ed25519Signer
	offline   data.OfflineSignature
	to        data.Hash
	opts      data.Mapping
}

func newFixture(tb testing.TB) fixture {
	tb.Helper()
	g := readGolden(tb)
	from, rest, err := data.ParseDestination(g.Destination)
	if err != nil || len(rest) != 0 {
		tb.Fatalf("destination: %v", err)
	}
	s, _ := crypto.NewEd25519Signer(g.SenderSeed)
	ts, _ := crypto.NewEd25519Signer(g.TransientSeed)
	off, err := data.NewOfflineSignature(s, time.Unix(g.OfflineExpires, 0), crypto.SigEd25519, ts.Public())
	if err != nil {
		tb.Fatal(err)
	}
	opts, err := data.NewMapping(data.Pair{Key: "a", Value: "b"}, data.Pair{Key: "foo", Value: "bar"})
	if err != nil {
		tb.Fatal(err)
	}
	return fixture{g: g, from: from, signer: s, transient: ts, offline: off, to: data.Hash(g.ToHash), opts: opts}
}

func TestGolden(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_800_000_000, 0)
	if len(f.g.Vectors) != 8 {
		t.Fatalf("%d vectors", len(f.g.Vectors))
	}
	for _, v := range f.g.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			d, err := Parse(v.Proto, v.Hex)
			if err != nil {
				t.Fatal(err)
			}
			if d.Protocol() != v.Proto || !bytes.Equal(d.Data(), v.Payload) {
				t.Fatalf("protocol %d, payload %x", d.Protocol(), d.Data())
			}
			enc, err := d.AppendBinary(nil)
			if err != nil || !bytes.Equal(enc, v.Hex) {
				t.Fatalf("AppendBinary differs: %v", err)
			}
			var built Datagram
			switch d := d.(type) {
			case Datagram1:
				if err := d.Verify(); err != nil {
					t.Fatal(err)
				}
				if !d.From.Equal(f.from.KeysAndCert) {
					t.Fatal("from differs")
				}
				built, err = NewDatagram1(f.from, f.signer, v.Payload)
			case Datagram2:
				if err := d.Verify(f.to, now); err != nil {
					t.Fatal(err)
				}
				if err := d.Verify(data.HashOf([]byte("someone else")), now); !errors.Is(err, ErrSignature) {
					t.Fatalf("verified for another recipient: %v", err)
				}
				var opts data.Mapping
				if d.Flags&FlagOptions != 0 {
					opts = f.opts
					if !reflect.DeepEqual(d.Options.Pairs(), f.opts.Pairs()) {
						t.Fatalf("options %v", d.Options.Pairs())
					}
				}
				var off *data.OfflineSignature
				s := crypto.Signer(f.signer)
				if d.Flags&FlagOffline != 0 {
					off, s = &f.offline, f.transient
					if o := d.Offline; !o.Expires.Equal(f.offline.Expires) || o.TransientType != f.offline.TransientType ||
						!bytes.Equal(o.TransientKey, f.offline.TransientKey) || !bytes.Equal(o.Signature, f.offline.Signature) {
						t.Fatalf("offline %+v", d.Offline)
					}
				}
				built, err = NewDatagram2(f.from, s, f.to, opts, off, v.Payload)
			case Datagram3:
				if d.From != f.from.Hash() {
					t.Fatal("from hash differs")
				}
				var opts data.Mapping
				if d.Flags&FlagOptions != 0 {
					opts = f.opts
				}
				built = NewDatagram3(f.from.Hash(), opts, v.Payload)
			default:
				t.Fatalf("type %T", d)
			}
			if err != nil {
				t.Fatal(err)
			}
			enc, err = built.AppendBinary(nil)
			if err != nil || !bytes.Equal(enc, v.Hex) {
				t.Fatalf("rebuilt differs: %v\n got %x\nwant %x", err, enc, v.Hex)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_800_000_000, 0)
	for _, n := range []int{0, 1, 1000, MaxDatagram1Size - f.from.Len() - 64} {
		payload := bytes.Repeat([]byte{byte(n)}, n)
		d1, err := NewDatagram1(f.from, f.signer, payload)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := d1.AppendBinary(nil)
		p1, err := ParseDatagram1(b)
		if err != nil || p1.Verify() != nil || !bytes.Equal(p1.Payload, payload) {
			t.Fatalf("Datagram1 of %d: %v", n, err)
		}
		d2, err := NewDatagram2(f.from, f.signer, f.to, f.opts, nil, payload)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = d2.AppendBinary(nil)
		p2, err := ParseDatagram2(b)
		if err != nil || p2.Verify(f.to, now) != nil || !bytes.Equal(p2.Payload, payload) {
			t.Fatalf("Datagram2 of %d: %v", n, err)
		}
		// A built datagram verifies before encoding too.
		if err := d2.Verify(f.to, now); err != nil {
			t.Fatal(err)
		}
		d3 := NewDatagram3(f.from.Hash(), data.Mapping{}, payload)
		b, _ = d3.AppendBinary(nil)
		p3, err := ParseDatagram3(b)
		if err != nil || !reflect.DeepEqual(p3, Datagram3{From: f.from.Hash(), Flags: 3, Payload: payload}) {
			t.Fatalf("Datagram3 of %d: %+v, %v", n, p3, err)
		}
		r, err := ParseRaw(payload)
		if err != nil || !bytes.Equal(r.Data(), payload) {
			t.Fatal(err)
		}
	}
	// Unknown flag bits are kept and still verify (they are signed).
	g := f.g.Vectors[2].Hex // datagram2 plain
	b := append([]byte(nil), g...)
	b[f.from.Len()] = 0x80
	if d, err := ParseDatagram2(b); err != nil || d.Flags != 0x8002 {
		t.Fatalf("high flag bits: %+v, %v", d, err)
	} else if err := d.Verify(f.to, now); !errors.Is(err, ErrSignature) {
		t.Fatalf("flag bits are not covered by the signature: %v", err)
	}
}

func TestVerifyFailures(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_800_000_000, 0)
	d1, _ := NewDatagram1(f.from, f.signer, []byte("payload"))
	b, _ := d1.AppendBinary(nil)
	b[len(b)-1] ^= 1
	p1, _ := ParseDatagram1(b)
	if err := p1.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("altered Datagram1: %v", err)
	}
	// Offline: expired, and an offline signature not made by From.
	d2, err := NewDatagram2(f.from, f.transient, f.to, data.Mapping{}, &f.offline, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Verify(f.to, f.offline.Expires); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	forged := f.offline
	forged.Signature = bytes.Clone(forged.Signature)
	forged.Signature[0] ^= 1
	d2, _ = NewDatagram2(f.from, f.transient, f.to, data.Mapping{}, &forged, []byte("x"))
	if err := d2.Verify(f.to, now); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged offline: %v", err)
	}
	// Wrong signers.
	if _, err := NewDatagram1(f.from, f.transient, nil); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("Datagram1 wrong signer: %v", err)
	}
	if _, err := NewDatagram2(f.from, f.signer, f.to, data.Mapping{}, &f.offline, nil); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("Datagram2 offline with the destination key: %v", err)
	}
	if _, err := NewDatagram2(f.from, f.transient, f.to, data.Mapping{}, nil, nil); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("Datagram2 with the transient key and no offline signature: %v", err)
	}
	if err := (Datagram2{From: f.from}).Verify(f.to, now); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unsigned Datagram2: %v", err)
	}
	// DSA senders sign SHA-256 of the payload.
	if m := datagram1Message(crypto.SigDSASHA1, []byte("abc")); len(m) != 32 {
		t.Fatal("DSA message is not a hash")
	}
}

func TestSizes(t *testing.T) {
	f := newFixture(t)
	over := make([]byte, MaxDatagram1Size)
	if _, err := NewDatagram1(f.from, f.signer, over); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big Datagram1: %v", err)
	}
	if _, err := NewDatagram2(f.from, f.signer, f.to, data.Mapping{}, nil, make([]byte, MaxSize)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big Datagram2: %v", err)
	}
	max2 := MaxSize - f.from.Len() - 2 - 64
	d2, err := NewDatagram2(f.from, f.signer, f.to, data.Mapping{}, nil, make([]byte, max2))
	if err != nil {
		t.Fatalf("largest Datagram2: %v", err)
	}
	if b, _ := d2.AppendBinary(nil); len(b) != MaxSize {
		t.Fatalf("largest Datagram2 is %d bytes", len(b))
	}
	if _, err := NewDatagram3(f.from.Hash(), data.Mapping{}, make([]byte, MaxSize-33)).AppendBinary(nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big Datagram3: %v", err)
	}
	for _, proto := range []uint8{ProtoRaw, ProtoDatagram1, ProtoDatagram2, ProtoDatagram3} {
		if _, err := Parse(proto, make([]byte, MaxSize+1)); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Parse(%d) of MaxSize+1: %v", proto, err)
		}
	}
	if _, err := (Raw{Payload: make([]byte, MaxSize+1)}).AppendBinary(nil); !errors.Is(err, ErrTooLarge) {
		t.Fatal("big raw")
	}
}

func TestParseErrors(t *testing.T) {
	f := newFixture(t)
	v := f.g.Vectors
	dg1, dg2, dg2off, dg3opt := v[0].Hex, v[2].Hex, v[4].Hex, v[7].Hex
	n := f.from.Len()
	set := func(b []byte, i int, c byte) []byte { b = bytes.Clone(b); b[i] = c; return b }
	cases := []struct {
		name  string
		proto uint8
		b     []byte
		want  error
	}{
		{"proto 6", 6, dg1, ErrMalformed},
		{"d1 empty", ProtoDatagram1, nil, ErrShort},
		{"d1 no signature", ProtoDatagram1, dg1[:n+10], ErrShort},
		{"d1 bad cert", ProtoDatagram1, set(dg1, 386, 3), ErrMalformed},
		{"d2 no flags", ProtoDatagram2, dg2[:n+1], ErrShort},
		{"d2 version 3", ProtoDatagram2, set(dg2, n+1, 3), ErrMalformed},
		{"d2 no signature", ProtoDatagram2, dg2[:n+2+10], ErrShort},
		{"d2 options flag, no mapping", ProtoDatagram2, set(dg2, n+1, 0x12)[:n+3], ErrShort},
		{"d2 offline cut", ProtoDatagram2, dg2off[:n+2+20], ErrShort},
		{"d2 offline bad type", ProtoDatagram2, set(dg2off, n+2+5, 99), ErrMalformed},
		{"d3 empty", ProtoDatagram3, nil, ErrShort},
		{"d3 no flags", ProtoDatagram3, dg3opt[:33], ErrShort},
		{"d3 version 2", ProtoDatagram3, set(dg3opt, 33, 0x12), ErrMalformed},
		{"d3 bad mapping", ProtoDatagram3, set(dg3opt, 35, 0xff), ErrShort},
	}
	for _, tc := range cases {
		if _, err := Parse(tc.proto, tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Encoding checks.
	if _, err := (Datagram1{}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty Datagram1: %v", err)
	}
	if _, err := (Datagram1{From: f.from, Signature: []byte{1}}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("short signature: %v", err)
	}
	if _, err := (Datagram3{Flags: 3, Options: f.opts}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("options without the flag: %v", err)
	}
	if _, err := (Datagram2{From: f.from, Flags: 0x22, Signature: make([]byte, 64)}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("offline flag without offline: %v", err)
	}
	// A Datagram2 built from fields (not parsed) encodes from them.
	d := Datagram2{From: f.from, Flags: 2, Payload: []byte("p"), Signature: make([]byte, 64)}
	b, err := d.AppendBinary(nil)
	if err != nil || len(b) != n+2+1+64 {
		t.Errorf("field-built Datagram2: %d bytes, %v", len(b), err)
	}
}

// fuzzCheck re-encodes what a parser accepted and parses it again.
func fuzzCheck(t *testing.T, proto uint8, b []byte) {
	d, err := Parse(proto, b)
	if err != nil {
		return
	}
	enc, err := d.AppendBinary(nil)
	if err != nil {
		t.Fatalf("AppendBinary of a parsed %T: %v", d, err)
	}
	if !bytes.Equal(enc, b) {
		t.Fatalf("re-encoding differs:\n in %x\nout %x", b, enc)
	}
	again, err := Parse(proto, enc)
	if err != nil || !bytes.Equal(again.Data(), d.Data()) {
		t.Fatalf("reparse: %v", err)
	}
	switch d := d.(type) {
	case Datagram1:
		_ = d.Verify()
	case Datagram2:
		_ = d.Verify(data.Hash{}, time.Unix(0, 0))
	}
}

func addSeeds(f *testing.F, proto uint8) {
	for _, v := range readGolden(f).Vectors {
		if v.Proto == proto {
			f.Add([]byte(v.Hex))
		}
	}
	f.Add([]byte{})
}

func FuzzParseDatagram1(f *testing.F) {
	addSeeds(f, ProtoDatagram1)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, ProtoDatagram1, b) })
}

func FuzzParseDatagram2(f *testing.F) {
	addSeeds(f, ProtoDatagram2)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, ProtoDatagram2, b) })
}

func FuzzParseDatagram3(f *testing.F) {
	addSeeds(f, ProtoDatagram3)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, ProtoDatagram3, b) })
}

func FuzzParseRaw(f *testing.F) {
	f.Add([]byte("raw"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, ProtoRaw, b) })
}
