package streaming

import (
	"bytes"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// FuzzParsePacket checks that ParsePacket never panics and that what it
// accepts survives parse → append → parse unchanged.
func FuzzParsePacket(f *testing.F) {
	from, s := fixedIdentity(f, 1)
	f.Add(i2pdSyn(f, from, s, []byte("payload")))
	for _, h := range []string{
		"01020304 05060708 00000000 0000000a 02 00000007 00000009 00 0000 0000",
		"00000000 deadbeef 00000000 00000000 00 00 0200 0000 70696e67",
		"00000001 00000002 00000000 00000004 00 00 0040 0002 ea61",
	} {
		f.Add(mustHex(f, h))
	}
	c, _ := Packet{SendStreamID: 1, ReceiveStreamID: 2, SequenceNum: 3, Flags: FlagClose}.AppendSigned(nil, s)
	f.Add(c)
	tr, _ := crypto.NewEd25519Signer(bytes.Repeat([]byte{9}, 32))
	off, _ := data.NewOfflineSignature(s, time.Unix(2e9, 0), crypto.SigEd25519, tr.Public())
	o, _ := Packet{Flags: FlagSynchronize | FlagFromIncluded | FlagOfflineSignature, From: from, Offline: &off}.AppendSigned(nil, tr)
	f.Add(o)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePacket(b)
		if err != nil {
			return
		}
		enc, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatalf("append of a parsed packet: %v", err)
		}
		q, err := ParsePacket(enc)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if !equalPackets(&p, &q) {
			t.Fatalf("round trip\n got %+v\nwant %+v", q, p)
		}
		enc2, _ := q.AppendBinary(nil)
		if !bytes.Equal(enc, enc2) {
			t.Fatal("encoding not stable")
		}
		if p.Flags.Has(FlagSignatureIncluded) {
			_ = p.VerifyFrom(b, time.Unix(1e9, 0)) // must not panic
		}
	})
}
