package tunnel

import (
	"bytes"
	"testing"

	"github.com/i2pgo/i2pgo/router/i2np"
)

func FuzzParseDeliveryInstructions(f *testing.F) {
	for _, tc := range fragmentGolden {
		f.Add(mustHex(tc.hex))
	}
	f.Add(mustHex("10 0000"))
	f.Add(mustHex("04 00 0000"))
	f.Add(mustHex("60 0000"))
	f.Add(mustHex("81 00000000 0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, rest, err := ParseFragment(b)
		if err != nil {
			return
		}
		used := b[:len(b)-len(rest)]
		if n := fr.HeaderLen() + len(fr.Data); n != len(used) {
			t.Fatalf("HeaderLen+data = %d, consumed %d", n, len(used))
		}
		enc, err := fr.AppendBinary(nil)
		if err != nil {
			t.Fatalf("AppendBinary of a parsed fragment: %v", err)
		}
		// The reserved bits 1-0 of a first fragment's flag are dropped.
		want := bytes.Clone(used)
		if want[0]&flagFollowOn == 0 {
			want[0] &^= 0x03
		}
		if !bytes.Equal(enc, want) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", used, enc)
		}
		again, rest2, err := ParseFragment(enc)
		if err != nil || len(rest2) != 0 || !sameFragment(again, fr) {
			t.Fatalf("reparse = %+v, %v; want %+v", again, err, fr)
		}
	})
}

// FuzzEndpoint feeds an Endpoint arbitrary bodies. Each chunk of the input
// is either a raw 1024-byte body (first byte odd) or, more usefully, up to
// MaxPayload bytes of fragments framed with a valid checksum (first byte
// even), so the fuzzer gets past ParseBody. The Endpoint must not panic,
// must keep its bookkeeping and caps, and must deliver only messages that
// parse.
func FuzzEndpoint(f *testing.F) {
	r := testRand(50)
	g := NewGateway(GatewayConfig{Rand: r})
	var seed []byte
	for i, n := range []int{10, 900, 2500} {
		bodies, _ := g.Put(nil, deliveries[i], testMsg(r, i2np.MessageID(i+1), n))
		bodies, _ = g.Flush(bodies)
		for _, b := range bodies {
			frags, _ := ParseBody(&b)
			seed = append(seed, 0, byte(len(frags)>>8), byte(len(frags)))
			seed = append(seed, frags...)
		}
	}
	f.Add(seed)
	f.Add(append([]byte{1}, make([]byte, BodyLen)...))
	f.Add([]byte{0, 0, 7, 0x82, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		ep := NewEndpoint(EndpointConfig{MaxPending: 4, MaxPendingBytes: 16 << 10, MaxMessageSize: 8 << 10})
		var b [BodyLen]byte
		for len(in) > 0 {
			mode := in[0]
			in = in[1:]
			if mode&1 == 1 {
				n := copy(b[:], in)
				clear(b[n:])
				in = in[n:]
			} else {
				if len(in) < 2 {
					return
				}
				n := min(int(in[0])<<8|int(in[1]), MaxPayload, len(in)-2)
				frags := in[2 : 2+n]
				in = in[2+n:]
				if err := BuildBody(&b, [IVLen]byte{mode}, frags, bytes.NewReader(bytes.Repeat([]byte{0xaa}, BodyLen))); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := ep.Receive(nil, &b, testNow)
			for _, d := range got {
				enc, err := d.Message.AppendLong(nil)
				if err != nil {
					t.Fatalf("delivered message does not encode: %v", err)
				}
				if len(enc) > ep.maxMsg {
					t.Fatalf("delivered %d bytes, limit %d", len(enc), ep.maxMsg)
				}
				if d.Delivery.Type > DeliveryRouter {
					t.Fatalf("delivered with %v", d.Delivery.Type)
				}
			}
			if err := ep.check(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzGateway packs arbitrary messages and checks they come out of an
// Endpoint unchanged.
func FuzzGateway(f *testing.F) {
	f.Add([]byte{0, 10, 0, 1, 3, 200, 2, 20, 0})
	f.Add([]byte{0, 250, 250, 1, 0, 0, 2, 255, 255})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := testRand(51)
		g := NewGateway(GatewayConfig{Rand: r})
		ep := NewEndpoint(EndpointConfig{})
		var sent []Delivered
		var bodies [][BodyLen]byte
		for id := i2np.MessageID(1); len(in) >= 3; id++ {
			d := deliveries[int(in[0])%len(deliveries)]
			n := int(in[1])<<8 | int(in[2])
			in = in[3:]
			m := testMsg(r, id, n)
			var err error
			bodies, err = g.Put(bodies, d, m)
			if n+i2np.LongHeaderLen > MaxMessageSize {
				if err == nil {
					t.Fatalf("%d bytes accepted", n)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			sent = append(sent, Delivered{d, m})
		}
		bodies, _ = g.Flush(bodies)
		var got []Delivered
		for i := range bodies {
			var err error
			if got, err = ep.Receive(got, &bodies[i], testNow); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != len(sent) {
			t.Fatalf("sent %d, got %d", len(sent), len(got))
		}
		for i := range got {
			if got[i].Delivery != sent[i].Delivery || !sameMsg(got[i].Message, sent[i].Message) {
				t.Fatalf("message %d differs", i)
			}
		}
	})
}
