package streaming

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

var update = flag.Bool("update", false, "rewrite testdata/*.hex")

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// equalPackets compares two packets field by field (nil and empty slices
// are equal).
func equalPackets(a, b *Packet) bool {
	if a.SendStreamID != b.SendStreamID || a.ReceiveStreamID != b.ReceiveStreamID ||
		a.SequenceNum != b.SequenceNum || a.AckThrough != b.AckThrough ||
		!slices.Equal(a.NACKs, b.NACKs) || a.ResendDelay != b.ResendDelay || a.Flags != b.Flags ||
		!bytes.Equal(a.Signature, b.Signature) || !bytes.Equal(a.Payload, b.Payload) ||
		!a.From.Equal(b.From.KeysAndCert) {
		return false
	}
	if a.Flags.Has(FlagDelayRequested) && a.DelayRequested != b.DelayRequested ||
		a.Flags.Has(FlagMaxPacketSizeIncl) && a.MaxPacketSize != b.MaxPacketSize {
		return false
	}
	if (a.Offline == nil) != (b.Offline == nil) {
		return false
	}
	if a.Offline != nil {
		x, _ := a.Offline.AppendBinary(nil)
		y, _ := b.Offline.AppendBinary(nil)
		if !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// fixedIdentity returns an Ed25519 destination from a fixed seed and
// padding, so that encodings and signatures are reproducible.
func fixedIdentity(t testing.TB, seedByte byte) (data.Destination, *crypto.Ed25519Signer) {
	t.Helper()
	seed := bytes.Repeat([]byte{seedByte}, 32)
	s, err := crypto.NewEd25519Signer(seed)
	if err != nil {
		t.Fatal(err)
	}
	d, err := data.NewDestination(crypto.SigEd25519, s.Public(), bytes.NewReader(bytes.Repeat([]byte{0x5a}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return d, s
}

// Golden packets written by hand from streaming.rst and from how i2pd
// 2.45.1 (libi2pd/Streaming.cpp) lays them out; see testdata/README.md.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want Packet
	}{{
		// Stream::SendQuickAck: sequence 0, ackThrough, NACKs, no flags.
		name: "i2pd quick ack with NACKs",
		hex: `01020304 05060708 00000000 0000000a
		      02 00000007 00000009
		      00 0000 0000`,
		want: Packet{SendStreamID: 0x01020304, ReceiveStreamID: 0x05060708, AckThrough: 10, NACKs: []uint32{7, 9}},
	}, {
		// Stream::HandlePing: 22 zero bytes but receiveStreamID (the
		// ping's sendStreamID) and ECHO at offset 18, then the payload.
		name: "i2pd pong",
		hex:  `00000000 deadbeef 00000000 00000000 00 00 0200 0000 70696e67`,
		want: Packet{ReceiveStreamID: 0xdeadbeef, Flags: FlagEcho, Payload: []byte("ping")},
	}, {
		// A follow-on data packet (Stream::SendBuffer): flags 0, no
		// options, resendDelay = RTO/1000.
		name: "i2pd data",
		hex:  `0000beef 0000cafe 00000005 00000003 00 09 0000 0000 6869`,
		want: Packet{SendStreamID: 0xbeef, ReceiveStreamID: 0xcafe, SequenceNum: 5, AckThrough: 3, ResendDelay: 9, Payload: []byte("hi")},
	}, {
		// Choke (streaming.rst DELAY_REQUESTED > 60000) on a plain ACK.
		name: "choke",
		hex:  `00000001 00000002 00000000 00000004 00 00 0040 0002 ea61`,
		want: Packet{SendStreamID: 1, ReceiveStreamID: 2, AckThrough: 4, Flags: FlagDelayRequested, DelayRequested: DelayChoke},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustHex(t, tc.hex)
			p, err := ParsePacket(b)
			if err != nil {
				t.Fatal(err)
			}
			if !equalPackets(&p, &tc.want) {
				t.Errorf("parsed %+v\nwant   %+v", p, tc.want)
			}
			enc, err := tc.want.AppendBinary(nil)
			if err != nil || !bytes.Equal(enc, b) {
				t.Errorf("encoded %x, %v\nwant    %x", enc, err, b)
			}
		})
	}
}

// i2pdSyn builds, byte by byte in the order of i2pd's Stream::SendBuffer,
// the SYN i2pd 2.45.1 sends: flags SYN|FROM|SIG|MAX_PACKET_SIZE|NO_ACK,
// no NACKs (the 0.9.58 hash is newer), options FROM, MTU, signature, and
// the signature over the packet with the signature zeroed.
func i2pdSyn(t testing.TB, from data.Destination, s *crypto.Ed25519Signer, payload []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 0)          // sendStreamID
	b = binary.BigEndian.AppendUint32(b, 0x11223344) // receiveStreamID
	b = binary.BigEndian.AppendUint32(b, 0)          // sequence
	b = binary.BigEndian.AppendUint32(b, 0)          // ack through (NO_ACK)
	b = append(b, 0, 9)                              // NACK count, resend delay (RTO 9000 ms / 1000)
	b = binary.BigEndian.AppendUint16(b, 0x0001|0x0020|0x0008|0x0080|0x0400)
	optAt := len(b)
	b = append(b, 0, 0)
	b = append(b, from.Bytes()...)
	b = binary.BigEndian.AppendUint16(b, 1812) // STREAMING_MTU_RATCHETS
	sigAt := len(b)
	b = append(b, make([]byte, 64)...)
	binary.BigEndian.PutUint16(b[optAt:], uint16(len(b)-optAt-2))
	b = append(b, payload...)
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(s.Seed()), b)
	copy(b[sigAt:], sig)
	return b
}

func testdataHex(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var sb strings.Builder
		for i := 0; i < len(got); i += 32 {
			sb.WriteString(hex.EncodeToString(got[i:min(i+32, len(got))]) + "\n")
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return mustHex(t, string(b))
}

func TestI2pdSyn(t *testing.T) {
	from, s := fixedIdentity(t, 1)
	raw := i2pdSyn(t, from, s, []byte("GET / HTTP/1.1\r\n"))
	if want := testdataHex(t, "syn_i2pd.hex", raw); !bytes.Equal(raw, want) {
		t.Fatalf("built SYN differs from testdata/syn_i2pd.hex")
	}
	p, err := ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.ReceiveStreamID != 0x11223344 || !p.Flags.Has(FlagSynchronize|FlagFromIncluded|FlagSignatureIncluded|FlagNoAck|FlagMaxPacketSizeIncl) ||
		p.MaxPacketSize != 1812 || !p.From.Equal(from.KeysAndCert) || string(p.Payload) != "GET / HTTP/1.1\r\n" || len(p.Signature) != 64 {
		t.Errorf("parsed %+v", p)
	}
	if err := p.VerifyFrom(raw, time.Now()); err != nil {
		t.Errorf("VerifyFrom: %v", err)
	}
	if _, ok := p.NACKHash(); ok {
		t.Error("i2pd SYN has no replay hash")
	}
	enc, err := p.AppendBinary(nil)
	if err != nil || !bytes.Equal(enc, raw) {
		t.Errorf("re-encoding differs: %v", err)
	}
	// Our signing gives the same bytes (Ed25519 is deterministic).
	p.Signature = nil
	ours, err := p.AppendSigned(nil, s)
	if err != nil || !bytes.Equal(ours, raw) {
		t.Errorf("AppendSigned differs: %v", err)
	}
	// Any flipped bit breaks the signature.
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x80
		q, err := ParsePacket(bad)
		if err != nil {
			continue
		}
		if q.VerifyFrom(bad, time.Now()) == nil {
			t.Fatalf("flip at %d still verifies", i)
		}
	}
}

func TestSignedClose(t *testing.T) {
	from, s := fixedIdentity(t, 2)
	// Stream::SendClose: CLOSE|SIGNATURE_INCLUDED, option size = the
	// signature length, the signature only.
	p := Packet{SendStreamID: 0x0a0b0c0d, ReceiveStreamID: 0x01020304, SequenceNum: 7, AckThrough: 6, Flags: FlagClose}
	raw, err := p.AppendSigned(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	want := testdataHex(t, "close_ed25519.hex", raw)
	if !bytes.Equal(raw, want) {
		t.Fatalf("CLOSE %x\nwant %x", raw, want)
	}
	if got := hex.EncodeToString(raw[:22]); got != "0a0b0c0d0102030400000007000000060000000a0040" {
		t.Errorf("header %s", got)
	}
	q, err := ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.VerifySignature(raw, from.SigType(), from.SigningKey()); err != nil {
		t.Error(err)
	}
	other, _ := fixedIdentity(t, 3)
	if err := q.VerifySignature(raw, other.SigType(), other.SigningKey()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("verified with the wrong key: %v", err)
	}
}

func TestOfflineSignature(t *testing.T) {
	dest, ds := fixedIdentity(t, 4)
	tr, _ := crypto.NewEd25519Signer(bytes.Repeat([]byte{9}, 32))
	now := time.Unix(1_700_000_000, 0)
	off, err := data.NewOfflineSignature(ds, now.Add(time.Hour), crypto.SigEd25519, tr.Public())
	if err != nil {
		t.Fatal(err)
	}
	p := Packet{ReceiveStreamID: 5, Flags: FlagSynchronize | FlagFromIncluded | FlagOfflineSignature | FlagNoAck, From: dest, Offline: &off, Payload: []byte("x")}
	raw, err := p.AppendSigned(nil, tr)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !equalPackets(&q, &Packet{ReceiveStreamID: 5, Flags: p.Flags | FlagSignatureIncluded, From: dest, Offline: &off, Payload: []byte("x"), Signature: q.Signature}) {
		t.Errorf("parsed %+v", q)
	}
	if err := q.VerifyFrom(raw, now); err != nil {
		t.Errorf("VerifyFrom: %v", err)
	}
	if err := q.VerifyFrom(raw, now.Add(2*time.Hour)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("expired offline signature: %v", err)
	}
	// Signed by the destination key instead of the transient one.
	raw2, _ := p.AppendSigned(nil, ds)
	q2, _ := ParsePacket(raw2)
	if err := q2.VerifyFrom(raw2, now); err == nil {
		t.Error("packet signed by the wrong key verifies")
	}
	// A forged offline block.
	bad := off
	bad.Signature = bytes.Clone(off.Signature)
	bad.Signature[0] ^= 1
	p.Offline = &bad
	raw3, _ := p.AppendSigned(nil, tr)
	q3, _ := ParsePacket(raw3)
	if err := q3.VerifyFrom(raw3, now); err == nil {
		t.Error("forged offline block verifies")
	}
	// OFFLINE without FROM is malformed.
	if _, err := (Packet{Flags: FlagOfflineSignature, Offline: &off}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("append offline without from: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	from, s := fixedIdentity(t, 5)
	syn, _ := Packet{ReceiveStreamID: 1, Flags: FlagSynchronize | FlagFromIncluded, From: from}.AppendSigned(nil, s)
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"21 bytes", make([]byte, 21), ErrShort},
		{"nacks past end", mustHex(t, "00000000 00000000 00000000 00000000 02 00000001 00 0000 0000"), ErrShort},
		{"option size past end", mustHex(t, "00000000 00000000 00000000 00000000 00 00 0000 0005 0102"), ErrShort},
		{"delay without data", mustHex(t, "00000000 00000000 00000000 00000000 00 00 0040 0001 01"), ErrShort},
		{"max size without data", mustHex(t, "00000000 00000000 00000000 00000000 00 00 0080 0000"), ErrShort},
		{"signature flag, no bytes", mustHex(t, "00000000 00000000 00000000 00000000 00 00 0008 0000"), ErrShort},
		{"bad from", mustHex(t, "00000000 00000000 00000000 00000000 00 00 0020 0003 010203"), ErrMalformed},
		{"offline without from", mustHex(t, "00000000 00000000 00000000 00000000 00 00 0800 0000"), ErrMalformed},
		{"signature too short for from", syn[: len(syn)-1 : len(syn)-1], ErrShort},
	} {
		if tc.name == "signature too short for from" {
			// Shorten the option size too, so that the signature is
			// 63 bytes for an Ed25519 FROM.
			b := bytes.Clone(tc.b)
			binary.BigEndian.PutUint16(b[20:], binary.BigEndian.Uint16(b[20:])-1)
			tc.b, tc.want = b, ErrMalformed
		}
		if _, err := ParsePacket(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := (Packet{NACKs: make([]uint32, 256)}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("256 NACKs: %v", err)
	}
	if _, err := (Packet{Flags: FlagFromIncluded}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("from flag without from: %v", err)
	}
	if _, err := (Packet{Flags: FlagSignatureIncluded}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("signature flag without signature: %v", err)
	}
	// Extra option bytes without a signature are skipped.
	p, err := ParsePacket(mustHex(t, "00000000 00000000 00000000 00000000 00 00 0000 0002 aaaa 6869"))
	if err != nil || string(p.Payload) != "hi" {
		t.Errorf("extra options: %+v %v", p, err)
	}
}

func TestNACKHash(t *testing.T) {
	d, _ := fixedIdentity(t, 6)
	p := Packet{NACKs: HashNACKs(d.Hash())}
	if h, ok := p.NACKHash(); !ok || h != d.Hash() {
		t.Error("hash does not round-trip")
	}
	b, _ := p.AppendBinary(nil)
	if !bytes.Equal(b[17:17+32], func() []byte { h := d.Hash(); return h[:] }()) || b[16] != 8 {
		t.Errorf("NACK field %x", b[16:17+32])
	}
}

// randomPacket makes a packet with random fields and options.
func randomPacket(r *rand.Rand, from data.Destination, off *data.OfflineSignature) Packet {
	p := Packet{
		SendStreamID:    r.Uint32(),
		ReceiveStreamID: r.Uint32(),
		SequenceNum:     r.Uint32(),
		AckThrough:      r.Uint32(),
		ResendDelay:     uint8(r.Uint32()),
		Flags:           Flags(r.Uint32()) &^ (FlagFromIncluded | FlagOfflineSignature | FlagSignatureIncluded | FlagDelayRequested | FlagMaxPacketSizeIncl),
	}
	if n := r.IntN(300); n <= MaxNACKs && n%3 == 0 {
		p.NACKs = make([]uint32, n/3)
		for i := range p.NACKs {
			p.NACKs[i] = r.Uint32()
		}
	}
	if r.IntN(2) == 0 {
		p.Flags |= FlagDelayRequested
		p.DelayRequested = uint16(r.Uint32())
	}
	if r.IntN(2) == 0 {
		p.Flags |= FlagMaxPacketSizeIncl
		p.MaxPacketSize = uint16(r.Uint32())
	}
	if r.IntN(2) == 0 {
		p.Flags |= FlagFromIncluded
		p.From = from
		if r.IntN(2) == 0 {
			p.Flags |= FlagOfflineSignature
			p.Offline = off
		}
	}
	if r.IntN(2) == 0 {
		p.Flags |= FlagSignatureIncluded
		p.Signature = make([]byte, 64)
		for i := range p.Signature {
			p.Signature[i] = byte(r.Uint32())
		}
	}
	p.Payload = make([]byte, r.IntN(100))
	for i := range p.Payload {
		p.Payload[i] = byte(r.Uint32())
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	from, ds := fixedIdentity(t, 7)
	tr, _ := crypto.NewEd25519Signer(bytes.Repeat([]byte{8}, 32))
	off, _ := data.NewOfflineSignature(ds, time.Unix(2e9, 0), crypto.SigEd25519, tr.Public())
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		p := randomPacket(r, from, &off)
		b, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatalf("%d: append: %v", i, err)
		}
		q, err := ParsePacket(b)
		if err != nil {
			t.Fatalf("%d: parse %x: %v", i, b, err)
		}
		if !equalPackets(&p, &q) {
			t.Fatalf("%d: round trip\n got %+v\nwant %+v", i, q, p)
		}
		b2, _ := q.AppendBinary(nil)
		if !bytes.Equal(b, b2) {
			t.Fatalf("%d: re-encoding differs", i)
		}
	}
}

// An incoming SYN from an offline-signed destination opens a connection,
// and its CLOSE, signed by the transient key, verifies.
func TestOfflineSignedPeer(t *testing.T) {
	b, bs := newIdentity(t)
	m := NewManager(&testSession{dest: b, signer: bs}, Config{}, nil)
	defer m.Close()
	l, _ := m.Listen(0)
	dest, ds := fixedIdentity(t, 10)
	tr, _ := crypto.NewEd25519Signer(bytes.Repeat([]byte{11}, 32))
	off, _ := data.NewOfflineSignature(ds, time.Now().Add(time.Hour), crypto.SigEd25519, tr.Public())
	syn := Packet{ReceiveStreamID: 77, Flags: FlagSynchronize | FlagFromIncluded | FlagOfflineSignature | FlagNoAck, From: dest, Offline: &off, Payload: []byte("hello")}
	raw, _ := syn.AppendSigned(nil, tr)
	m.HandlePacket(0, 80, raw)
	nc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := nc.(*Conn)
	buf := make([]byte, 5)
	if _, err := c.Read(buf); err != nil || string(buf) != "hello" {
		t.Fatalf("Read %q %v", buf, err)
	}
	cl := Packet{SendStreamID: c.Stats().LocalID, ReceiveStreamID: 77, SequenceNum: 1, AckThrough: 0, Flags: FlagClose}
	raw, _ = cl.AppendSigned(nil, tr)
	m.HandlePacket(0, 80, raw)
	if _, err := c.Read(buf); err == nil || err.Error() != "EOF" {
		t.Errorf("Read after CLOSE: %v", err)
	}
	if c.RemoteAddr().String() != dest.B32()+":0" {
		t.Errorf("RemoteAddr %v", c.RemoteAddr())
	}
}

// A SYN replayed to another destination (NACKs hold someone else's hash)
// is dropped.
func TestSynReplay(t *testing.T) {
	b, bs := newIdentity(t)
	m := NewManager(&testSession{dest: b, signer: bs}, Config{}, nil)
	defer m.Close()
	m.Listen(0)
	a, as := newIdentity(t)
	charlie, _ := newIdentity(t)
	syn := Packet{ReceiveStreamID: 1, Flags: FlagSynchronize | FlagFromIncluded | FlagNoAck, From: a, NACKs: HashNACKs(charlie.Hash())}
	raw, _ := syn.AppendSigned(nil, as)
	m.HandlePacket(0, 80, raw)
	if m.NumConns() != 0 {
		t.Error("replayed SYN accepted")
	}
	syn.NACKs = HashNACKs(b.Hash())
	raw, _ = syn.AppendSigned(nil, as)
	m.HandlePacket(0, 80, raw)
	if m.NumConns() != 1 {
		t.Error("SYN with our hash refused")
	}
}
