package ssu2

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// codecRouter is a test router: an Ed25519 identity, its hash and signer.
type codecRouter struct {
	id   data.RouterIdentity
	hash [32]byte
	priv ed25519.PrivateKey
}

func newCodecRouter(tb testing.TB, seed byte) codecRouter {
	tb.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	id, err := data.NewRouterIdentity(crypto.SigEd25519, priv.Public().(ed25519.PublicKey), data.CryptoX25519,
		bytes.Repeat([]byte{seed ^ 0x55}, 32), bytes.NewReader(bytes.Repeat([]byte{seed}, 512)))
	if err != nil {
		tb.Fatal(err)
	}
	return codecRouter{id: id, hash: [32]byte(id.Hash()), priv: priv}
}

func (r codecRouter) sign(msg []byte) ([]byte, error) { return ed25519.Sign(r.priv, msg), nil }

// cat concatenates byte slices and single bytes.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case []byte:
			b = append(b, v...)
		case string:
			b = append(b, v...)
		case int:
			b = append(b, byte(v))
		case [32]byte:
			b = append(b, v[:]...)
		default:
			panic("cat: bad part")
		}
	}
	return b
}

func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

var (
	testV4   = netip.MustParseAddrPort("192.0.2.1:8080")                                // port 0x1f90
	testV6   = netip.MustParseAddrPort("[2001:db8::1]:65534")                           // port 0xfffe
	testV4in = netip.MustParseAddrPort("[::ffff:198.51.100.7]:1")                       // 18 bytes on the wire
	v4Wire   = []byte{6, 0x1f, 0x90, 192, 0, 2, 1}                                      // asz port ip
	v6Wire   = cat(18, 0xff, 0xfe, []byte{0x20, 0x01, 0x0d, 0xb8}, make([]byte, 11), 1) // asz port ip
)

func TestRelayRequestLayout(t *testing.T) {
	sig := seq(64, 0x80)
	for _, tc := range []struct {
		ap   netip.AddrPort
		wire []byte
	}{{testV4, v4Wire}, {testV6, v6Wire}} {
		r := RelayRequest{Nonce: 0x01020304, RelayTag: 0x0a0b0c0d, Timestamp: 0x65000001, Ver: 2, AddrPort: tc.ap, Signature: sig}
		want := cat(0, // flag
			[]byte{1, 2, 3, 4},             // nonce
			[]byte{0x0a, 0x0b, 0x0c, 0x0d}, // relay tag
			[]byte{0x65, 0, 0, 1},          // timestamp
			2,                              // ver
			tc.wire,
			sig)
		got := r.Append(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("%v: Append\n got %x\nwant %x", tc.ap, got, want)
		}
		p, err := ParseRelayRequest(want)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, r) {
			t.Fatalf("parse: %+v, want %+v", p, r)
		}
		// i2pd's HandleRelayRequest: relay tag at data+5, nonce at data+1.
		if p.RelayTag != 0x0a0b0c0d || p.Nonce != 0x01020304 {
			t.Fatal("tag/nonce offsets")
		}
		// Append appends.
		if got := r.Append([]byte{9, 9}); !bytes.Equal(got, cat(9, 9, want)) {
			t.Fatal("Append does not append")
		}
	}
}

func TestRelayRequestSignature(t *testing.T) {
	alice, bob, charlie := newCodecRouter(t, 1), newCodecRouter(t, 2), newCodecRouter(t, 3)
	r := RelayRequest{Nonce: 77, RelayTag: 0xdeadbeef, Timestamp: 1700000000, Ver: 2, AddrPort: testV6}
	if err := r.Sign(bob.hash, charlie.hash, alice.sign); err != nil {
		t.Fatal(err)
	}
	wire := r.Append(nil)
	// Built independently, as i2pd's Introduce: prologue, bhash, chash,
	// then the 14 + asz bytes after the flag.
	msg := cat("RelayRequestData", bob.hash, charlie.hash, wire[1:1+14+18])
	if !bytes.Equal(r.SignedData(bob.hash, charlie.hash), msg) {
		t.Fatalf("SignedData\n got %x\nwant %x", r.SignedData(bob.hash, charlie.hash), msg)
	}
	if !ed25519.Verify(alice.priv.Public().(ed25519.PublicKey), msg, wire[1+14+18:]) {
		t.Fatal("signature is not over the spec's data or not at the end")
	}
	if len(wire) != 1+14+18+64 {
		t.Fatalf("length %d", len(wire))
	}
	p, err := ParseRelayRequest(wire)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(bob.hash, charlie.hash, alice.id.Verify); err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(charlie.hash, bob.hash, alice.id.Verify); err == nil {
		t.Fatal("verified with the hashes swapped")
	}
	if err := p.Verify(bob.hash, charlie.hash, bob.id.Verify); err == nil {
		t.Fatal("verified with the wrong key")
	}
	q := p
	q.AddrPort = netip.AddrPortFrom(p.AddrPort.Addr(), p.AddrPort.Port()+1)
	if err := q.Verify(bob.hash, charlie.hash, alice.id.Verify); err == nil {
		t.Fatal("verified a changed port")
	}
	q = p
	q.Signature = nil
	if err := q.Verify(bob.hash, charlie.hash, alice.id.Verify); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("no signature: %v", err)
	}
	// Signer errors and bad signatures are reported.
	boom := errors.New("boom")
	if err := q.Sign(bob.hash, charlie.hash, func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("signer error: %v", err)
	}
	if err := q.Sign(bob.hash, charlie.hash, func([]byte) ([]byte, error) { return nil, nil }); err == nil {
		t.Fatal("empty signature accepted")
	}
}

func TestRelayIntro(t *testing.T) {
	alice, bob, charlie := newCodecRouter(t, 1), newCodecRouter(t, 2), newCodecRouter(t, 3)
	r := RelayRequest{Nonce: 0x11223344, RelayTag: 5, Timestamp: 1700000001, Ver: 2, AddrPort: testV4}
	if err := r.Sign(bob.hash, charlie.hash, alice.sign); err != nil {
		t.Fatal(err)
	}
	req := r.Append(nil)
	in := r.Intro(alice.hash)
	wire := in.Append(nil)
	// i2pd's CreateRelayIntroBlock: flag, Alice's hash, the request after
	// its flag.
	if want := cat(0, alice.hash, req[1:]); !bytes.Equal(wire, want) {
		t.Fatalf("RelayIntro\n got %x\nwant %x", wire, want)
	}
	// i2pd's HandleRelayIntro offsets.
	if wire[46] != 6 || !bytes.Equal(wire[1:33], alice.hash[:]) || !bytes.Equal(wire[47+6:], r.Signature) {
		t.Fatal("i2pd offsets")
	}
	msg := cat("RelayRequestData", bob.hash, charlie.hash, wire[33:47], wire[47:47+6])
	if !ed25519.Verify(alice.priv.Public().(ed25519.PublicKey), msg, wire[47+6:]) {
		t.Fatal("independent verification")
	}
	p, err := ParseRelayIntro(wire)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, in) {
		t.Fatalf("parse %+v, want %+v", p, in)
	}
	if !reflect.DeepEqual(p.Request(), r) {
		t.Fatalf("Request %+v, want %+v", p.Request(), r)
	}
	if err := p.Verify(bob.hash, charlie.hash, alice.id.Verify); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.SignedData(bob.hash, charlie.hash), msg) {
		t.Fatal("SignedData")
	}
	p.AliceHash[0] ^= 1 // not signed
	if err := p.Verify(bob.hash, charlie.hash, alice.id.Verify); err != nil {
		t.Fatal(err)
	}
	p.RelayTag++
	if err := p.Verify(bob.hash, charlie.hash, alice.id.Verify); err == nil {
		t.Fatal("verified a changed tag")
	}
}

func TestRelayResponseLayout(t *testing.T) {
	sig := seq(64, 0x40)
	accept := RelayResponse{Code: 0, Nonce: 0x01020304, Timestamp: 0x65000002, Ver: 2, AddrPort: testV6, Signature: sig, Token: 0x1122334455667788}
	wantAccept := cat(0, 0, // flag, code
		[]byte{1, 2, 3, 4}, []byte{0x65, 0, 0, 2}, 2, v6Wire, sig,
		[]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88})
	bobReject := RelayResponse{Code: RelayBobRelayTagNotFound, Nonce: 9, Timestamp: 0x65000003, Ver: 2, Signature: sig}
	wantBobReject := cat(0, 5, []byte{0, 0, 0, 9}, []byte{0x65, 0, 0, 3}, 2, 0, sig)
	charlieReject := RelayResponse{Code: RelayCharlieAliceUnknown, Nonce: 10, Timestamp: 0x65000004, Ver: 2, Signature: sig}
	wantCharlieReject := cat(0, 70, []byte{0, 0, 0, 10}, []byte{0x65, 0, 0, 4}, 2, 0, sig)
	short := RelayResponse{Code: RelayReject, Nonce: 11}
	wantShort := cat(0, 128, []byte{0, 0, 0, 11})
	v4Accept := RelayResponse{Nonce: 1, Timestamp: 2, Ver: 2, AddrPort: testV4, Signature: sig[:1], Token: 3}
	wantV4Accept := cat(0, 0, []byte{0, 0, 0, 1}, []byte{0, 0, 0, 2}, 2, v4Wire, sig[:1], []byte{0, 0, 0, 0, 0, 0, 0, 3})
	for _, tc := range []struct {
		r    RelayResponse
		want []byte
	}{{accept, wantAccept}, {bobReject, wantBobReject}, {charlieReject, wantCharlieReject}, {short, wantShort}, {v4Accept, wantV4Accept}} {
		got := tc.r.Append(nil)
		if !bytes.Equal(got, tc.want) {
			t.Fatalf("code %d: Append\n got %x\nwant %x", tc.r.Code, got, tc.want)
		}
		p, err := ParseRelayResponse(tc.want)
		if err != nil {
			t.Fatalf("code %d: %v", tc.r.Code, err)
		}
		if !reflect.DeepEqual(p, tc.r) {
			t.Fatalf("parse %+v, want %+v", p, tc.r)
		}
	}
	// A token on a rejection is not written.
	r := bobReject
	r.Token = 5
	if got := r.Append(nil); !bytes.Equal(got, wantBobReject) {
		t.Fatal("token written on a rejection")
	}
	if !accept.SignedByCharlie() || bobReject.SignedByCharlie() || !charlieReject.SignedByCharlie() || !short.SignedByCharlie() {
		t.Fatal("SignedByCharlie")
	}
}

func TestRelayResponseSignature(t *testing.T) {
	bob, charlie := newCodecRouter(t, 2), newCodecRouter(t, 3)
	// Charlie accepts: signs with Bob's hash; Bob forwards as is; Alice
	// verifies with Bob's hash and Charlie's key (i2pd HandleRelayResponse:
	// buf+2, 10+csz bytes; signature at 12+csz; token the last 8 bytes).
	r := RelayResponse{Nonce: 0xcafe, Timestamp: 1700000002, Ver: 2, AddrPort: testV4, Token: 0x0102030405060708}
	if err := r.Sign(bob.hash, charlie.sign); err != nil {
		t.Fatal(err)
	}
	wire := r.Append(nil)
	csz := int(wire[11])
	msg := cat("RelayAgreementOK", bob.hash, wire[2:12+csz])
	if !bytes.Equal(r.SignedData(bob.hash), msg) {
		t.Fatal("SignedData")
	}
	if !ed25519.Verify(charlie.priv.Public().(ed25519.PublicKey), msg, wire[12+csz:len(wire)-8]) {
		t.Fatal("independent verification")
	}
	p, err := ParseRelayResponse(wire)
	if err != nil {
		t.Fatal(err)
	}
	if p.Token != r.Token || !bytes.Equal(wire[len(wire)-8:], []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatal("token")
	}
	if err := p.Verify(bob.hash, charlie.id.Verify); err != nil {
		t.Fatal(err)
	}
	p.Token++ // not signed
	if err := p.Verify(bob.hash, charlie.id.Verify); err != nil {
		t.Fatal(err)
	}
	p.Timestamp++
	if err := p.Verify(bob.hash, charlie.id.Verify); err == nil {
		t.Fatal("verified a changed timestamp")
	}

	// Bob rejects: signs with his own hash, csz 0, no token.
	rej := RelayResponse{Code: RelayBobRelayTagNotFound, Nonce: 3, Timestamp: 1700000003, Ver: 2}
	if err := rej.Sign(bob.hash, bob.sign); err != nil {
		t.Fatal(err)
	}
	wire = rej.Append(nil)
	msg = cat("RelayAgreementOK", bob.hash, []byte{0, 0, 0, 3}, wire[6:10], 2, 0)
	if !bytes.Equal(rej.SignedData(bob.hash), msg) {
		t.Fatalf("reject SignedData\n got %x\nwant %x", rej.SignedData(bob.hash), msg)
	}
	if !bytes.Equal(wire[12:], ed25519.Sign(bob.priv, msg)) || len(wire) != 12+64 {
		t.Fatal("reject layout")
	}
	p, err = ParseRelayResponse(wire)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(bob.hash, bob.id.Verify); err != nil {
		t.Fatal(err)
	}
}

// TestRelayMalformed: every truncation of the fixed part, bad endpoint
// sizes and oversized signatures are errors.
func TestRelayMalformed(t *testing.T) {
	sig := seq(64, 1)
	req := RelayRequest{Nonce: 1, RelayTag: 2, Timestamp: 3, Ver: 2, AddrPort: testV6, Signature: sig}
	reqWire := req.Append(nil)
	introWire := req.Intro([32]byte{7}).Append(nil)
	acc := RelayResponse{Nonce: 1, Timestamp: 2, Ver: 2, AddrPort: testV6, Signature: sig, Token: 4}
	accWire := acc.Append(nil)
	rej := RelayResponse{Code: 65, Nonce: 1, Timestamp: 2, Ver: 2, AddrPort: testV4, Signature: sig}
	rejWire := rej.Append(nil)

	type parser func([]byte) error
	pReq := func(b []byte) error { _, err := ParseRelayRequest(b); return err }
	pIntro := func(b []byte) error { _, err := ParseRelayIntro(b); return err }
	pResp := func(b []byte) error { _, err := ParseRelayResponse(b); return err }
	for _, tc := range []struct {
		name   string
		parse  parser
		wire   []byte
		minLen int // shortest accepted truncation
		ok     func(n int) bool
	}{
		{"request", pReq, reqWire, 1 + 14 + 18 + 1, nil},
		{"intro", pIntro, introWire, 33 + 14 + 18 + 1, nil},
		{"accept", pResp, accWire, 12 + 18 + 1 + 8, nil},
		// A rejection may end after the nonce, or anywhere after csz's endpoint.
		{"reject", pResp, rejWire, 12 + 6, func(n int) bool { return n == 6 }},
	} {
		for n := 0; n < len(tc.wire); n++ {
			err := tc.parse(tc.wire[:n])
			want := n >= tc.minLen || tc.ok != nil && tc.ok(n)
			if (err == nil) != want {
				t.Errorf("%s truncated to %d: err %v", tc.name, n, err)
			}
			if err != nil && !errors.Is(err, ErrRelayBlock) {
				t.Errorf("%s truncated to %d: %v does not wrap ErrRelayBlock", tc.name, n, err)
			}
		}
		if err := tc.parse(tc.wire); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		// A signature longer than the maximum.
		long := append(append([]byte(nil), tc.wire...), make([]byte, MaxRelaySignatureLen)...)
		if err := tc.parse(long); !errors.Is(err, ErrRelayBlock) {
			t.Errorf("%s with a long signature: %v", tc.name, err)
		}
	}

	// Bad endpoint sizes; asz sits at offset 14 (request), 46 (intro), 11
	// (response).
	for _, sz := range []byte{0, 1, 2, 5, 7, 16, 17, 19, 255} {
		for _, tc := range []struct {
			name  string
			parse parser
			wire  []byte
			off   int
		}{{"request", pReq, reqWire, 14}, {"intro", pIntro, introWire, 46}, {"accept", pResp, accWire, 11}, {"reject", pResp, rejWire, 11}} {
			b := append([]byte(nil), tc.wire...)
			b[tc.off] = sz
			err := tc.parse(b)
			if tc.name == "reject" && sz == 0 {
				if err != nil { // csz 0: port and IP are taken as signature
					t.Errorf("reject with csz 0: %v", err)
				}
				continue
			}
			if !errors.Is(err, ErrRelayBlock) {
				t.Errorf("%s with endpoint size %d: %v", tc.name, sz, err)
			}
		}
	}
	// An IPv6 size with only an IPv4 endpoint after it.
	b := append([]byte(nil), reqWire[:14]...)
	b = append(b, 18, 0, 1, 1, 2, 3, 4) // claims 18, has 6
	if _, err := ParseRelayRequest(b); err == nil {
		t.Error("short IPv6 endpoint accepted")
	}
}

func TestRelayV4MappedKept(t *testing.T) {
	r := RelayRequest{Nonce: 1, Ver: 2, AddrPort: testV4in, Signature: []byte{1}}
	w := r.Append(nil)
	if w[14] != 18 {
		t.Fatalf("v4-mapped address written with size %d", w[14])
	}
	p, err := ParseRelayRequest(w)
	if err != nil || p.AddrPort != testV4in || !bytes.Equal(p.Append(nil), w) {
		t.Fatalf("v4-mapped round trip: %v %v", p.AddrPort, err)
	}
	// Invalid endpoints are written as size 0 and rejected.
	r.AddrPort = netip.AddrPort{}
	if _, err := ParseRelayRequest(r.Append(nil)); err == nil {
		t.Fatal("size 0 accepted in a RelayRequest")
	}
	// Zones are dropped.
	r.AddrPort = netip.MustParseAddrPort("[fe80::1%eth0]:5")
	p, err = ParseRelayRequest(r.Append(nil))
	if err != nil || p.AddrPort != netip.MustParseAddrPort("[fe80::1]:5") {
		t.Fatalf("zone: %v %v", p.AddrPort, err)
	}
}

func TestRelayParseDoesNotAlias(t *testing.T) {
	r := RelayRequest{Nonce: 1, Ver: 2, AddrPort: testV4, Signature: []byte{1, 2, 3}}
	w := r.Append(nil)
	p, err := ParseRelayRequest(w)
	if err != nil {
		t.Fatal(err)
	}
	for i := range w {
		w[i] = 0xff
	}
	if !bytes.Equal(p.Signature, []byte{1, 2, 3}) {
		t.Fatal("signature aliases the input")
	}
}

func relaySeeds(f *testing.F) [][]byte {
	sig := seq(64, 3)
	req := RelayRequest{Nonce: 1, RelayTag: 2, Timestamp: 3, Ver: 2, AddrPort: testV4, Signature: sig}
	req6 := req
	req6.AddrPort = testV6
	return [][]byte{
		req.Append(nil), req6.Append(nil),
		req.Intro([32]byte{1, 2}).Append(nil), req6.Intro([32]byte{3}).Append(nil),
		RelayResponse{Nonce: 1, Timestamp: 2, Ver: 2, AddrPort: testV4, Signature: sig, Token: 5}.Append(nil),
		RelayResponse{Nonce: 1, Timestamp: 2, Ver: 2, AddrPort: testV6, Signature: sig, Token: 5}.Append(nil),
		RelayResponse{Code: 5, Nonce: 1, Timestamp: 2, Ver: 2, Signature: sig}.Append(nil),
		RelayResponse{Code: 128, Nonce: 1}.Append(nil),
		{}, {0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6},
	}
}

func FuzzParseRelayRequest(f *testing.F) {
	for _, s := range relaySeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRelayRequest(b)
		if err != nil {
			return
		}
		enc := r.Append(nil)
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs\n got %x\nwant %x", enc, b)
		}
		r2, err := ParseRelayRequest(enc)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, r, r2)
		}
		_ = r.SignedData([32]byte{}, [32]byte{})
	})
}

func FuzzParseRelayIntro(f *testing.F) {
	for _, s := range relaySeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRelayIntro(b)
		if err != nil {
			return
		}
		enc := r.Append(nil)
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs\n got %x\nwant %x", enc, b)
		}
		r2, err := ParseRelayIntro(enc)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, r, r2)
		}
		_ = r.SignedData([32]byte{}, [32]byte{})
	})
}

func FuzzParseRelayResponse(f *testing.F) {
	for _, s := range relaySeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRelayResponse(b)
		if err != nil {
			return
		}
		enc := r.Append(nil)
		// The one ambiguity: a full-length rejection with zero timestamp,
		// ver, csz and no signature is written in the short form.
		if !bytes.Equal(enc, b) && !(r.short() && len(b) == 12) {
			t.Fatalf("re-encoding differs\n got %x\nwant %x", enc, b)
		}
		r2, err := ParseRelayResponse(enc)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, r, r2)
		}
		_ = r.SignedData([32]byte{})
	})
}
