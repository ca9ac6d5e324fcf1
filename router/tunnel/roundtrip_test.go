package tunnel

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/i2np"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testMsg returns a Data-typed message whose payload is n patterned bytes
// (not a valid Data body; the endpoint does not look inside).
func testMsg(r *testRNG, id i2np.MessageID, n int) i2np.Message {
	p := make([]byte, n)
	r.Read(p)
	return i2np.Message{Type: i2np.Data, ID: id, Expiration: testNow.Add(time.Minute).Truncate(time.Millisecond), Payload: p}
}

func sameMsg(a, b i2np.Message) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Expiration.Equal(b.Expiration) && bytes.Equal(a.Payload, b.Payload)
}

var deliveries = []DeliveryInstructions{
	{Type: DeliveryLocal},
	{Type: DeliveryRouter, To: hashOf(0x30)},
	{Type: DeliveryTunnel, TunnelID: 0x01020304, To: hashOf(0x60)},
}

// tunnelPath is a creator's view of a tunnel: the ciphers of its hops.
type tunnelPath struct {
	hops []*Cipher
}

func newPath(r *testRNG, n int) tunnelPath {
	var p tunnelPath
	for range n {
		p.hops = append(p.hops, NewCipher(randKeys(r)))
	}
	return p
}

// outbound sends b through the path as an outbound tunnel: the gateway
// pre-decrypts, each hop encrypts.
func (p tunnelPath) outbound(b *[BodyLen]byte) {
	DecryptLayers(p.hops, b)
	for _, h := range p.hops {
		h.EncryptLayer(b)
	}
}

// inbound sends b through the path as an inbound tunnel: each hop (the
// gateway first) encrypts, the endpoint decrypts.
func (p tunnelPath) inbound(b *[BodyLen]byte) {
	for _, h := range p.hops {
		h.EncryptLayer(b)
	}
	DecryptLayers(p.hops, b)
}

// TestRoundTripSizes sends one message of every size class, alone, through
// outbound and inbound tunnels of 0 to 3 hops, and checks what comes out.
func TestRoundTripSizes(t *testing.T) {
	r := testRand(10)
	var sizes []int
	for n := 0; n <= 2100; n += 7 {
		sizes = append(sizes, n)
	}
	for _, d := range deliveries {
		one := min(MaxFragmentData, MaxPayload-d.Len()-2) - i2np.LongHeaderLen // largest unfragmented
		sizes = append(sizes, one-1, one, one+1)
	}
	// The largest local message that would fit a body whole: Java I2P
	// refuses fragments over 996 bytes, so it is split.
	sizes = append(sizes, MaxPayload-3-i2np.LongHeaderLen)
	max := MaxMessageSize - i2np.LongHeaderLen
	sizes = append(sizes, max-MaxFragmentData, max-1, max, max+1)
	for n := 2100; n < 64<<10; n += 997 {
		sizes = append(sizes, n)
	}
	id := i2np.MessageID(0)
	for hops := range 4 {
		path := newPath(r, hops)
		for _, d := range deliveries {
			g := NewGateway(GatewayConfig{Rand: r})
			ep := NewEndpoint(EndpointConfig{})
			for _, n := range sizes {
				id++
				m := testMsg(r, id, n)
				bodies, err := g.Put(nil, d, m)
				if n > max {
					if !errors.Is(err, ErrTooLarge) || len(bodies) != 0 || g.Buffered() != 0 {
						t.Fatalf("%v, %d bytes: Put = %d bodies, %v; want ErrTooLarge", d.Type, n, len(bodies), err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%v, %d bytes: Put: %v", d.Type, n, err)
				}
				if bodies, err = g.Flush(bodies); err != nil {
					t.Fatal(err)
				}
				if want := fragmentsFor(d, n+i2np.LongHeaderLen); len(bodies) != want {
					t.Fatalf("%v, %d bytes: %d bodies, want %d", d.Type, n, len(bodies), want)
				}
				var got []Delivered
				for i := range bodies {
					if id%2 == 0 {
						path.outbound(&bodies[i])
					} else {
						path.inbound(&bodies[i])
					}
					if got, err = ep.Receive(got, &bodies[i], testNow); err != nil {
						t.Fatalf("%v, %d bytes, %d hops: Receive: %v", d.Type, n, hops, err)
					}
				}
				if len(got) != 1 || got[0].Delivery != d || !sameMsg(got[0].Message, m) {
					t.Fatalf("%v, %d bytes, %d hops: got %d messages, want the one sent", d.Type, n, hops, len(got))
				}
			}
			if s := ep.Stats(); s.Pending != 0 || s.PendingBytes != 0 || s.BadBodies+s.BadMessages != 0 {
				t.Fatalf("endpoint left with %+v", s)
			}
		}
	}
}

// fragmentsFor is how many bodies a message of n bytes (header included)
// takes alone: one if it fits, else a full first fragment and follow-ons.
func fragmentsFor(d DeliveryInstructions, n int) int {
	if n <= MaxFragmentData && d.Len()+2+n <= MaxPayload {
		return 1
	}
	rest := n - maxFirstData(d)
	return 1 + (rest+MaxFragmentData-1)/MaxFragmentData
}

// TestRoundTripStream packs many messages of mixed sizes, delivering them
// with reordered bodies, and checks every message arrives once, intact.
func TestRoundTripStream(t *testing.T) {
	r := testRand(11)
	path := newPath(r, 3)
	g := NewGateway(GatewayConfig{Rand: r})
	ep := NewEndpoint(EndpointConfig{})
	sent := map[i2np.MessageID]Delivered{}
	var bodies [][BodyLen]byte
	var err error
	var total int
	for i := range 2000 {
		id := i2np.MessageID(i + 1)
		var n int
		switch i % 10 {
		case 0:
			n = r.IntN(20000)
		case 1, 2:
			n = 900 + r.IntN(1200)
		default:
			n = r.IntN(400)
		}
		d := deliveries[r.IntN(len(deliveries))]
		m := testMsg(r, id, n)
		sent[id] = Delivered{Delivery: d, Message: m}
		total += n + i2np.LongHeaderLen + d.Len() + 2
		if bodies, err = g.Put(bodies, d, m); err != nil {
			t.Fatal(err)
		}
		if r.IntN(50) == 0 {
			if bodies, err = g.Flush(bodies); err != nil {
				t.Fatal(err)
			}
		}
	}
	if bodies, err = g.Flush(bodies); err != nil {
		t.Fatal(err)
	}
	// Packing efficiency: the bodies are mostly full.
	if eff := float64(total) / float64(len(bodies)*MaxPayload); eff < 0.9 {
		t.Errorf("packing used %.1f%% of %d bodies", 100*eff, len(bodies))
	}
	// Reorder within windows of 16, as a network might.
	for i := 0; i < len(bodies); i += 16 {
		w := bodies[i:min(i+16, len(bodies))]
		r.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
	}
	var got []Delivered
	for i := range bodies {
		path.outbound(&bodies[i])
		if got, err = ep.Receive(got, &bodies[i], testNow); err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("got %d messages, want %d (stats %+v)", len(got), len(sent), ep.Stats())
	}
	for _, d := range got {
		want, ok := sent[d.Message.ID]
		if !ok || d.Delivery != want.Delivery || !sameMsg(d.Message, want.Message) {
			t.Fatalf("message %d differs or repeats", d.Message.ID)
		}
		delete(sent, d.Message.ID)
	}
	t.Logf("%d messages in %d bodies, %.1f%% full", 2000, len(bodies), 100*float64(total)/float64(len(bodies)*MaxPayload))
}

// TestGatewayPacking checks the packing rules on small cases.
func TestGatewayPacking(t *testing.T) {
	r := testRand(12)
	local := DeliveryInstructions{}
	put := func(g *Gateway, n int) [][BodyLen]byte {
		t.Helper()
		b, err := g.Put(nil, local, testMsg(r, 7, n-i2np.LongHeaderLen))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	g := NewGateway(GatewayConfig{Rand: r})
	if b := put(g, 100); len(b) != 0 || g.Buffered() != 103 {
		t.Fatalf("small message: %d bodies, %d buffered", len(b), g.Buffered())
	}
	// Fits exactly: the body closes.
	if b := put(g, MaxPayload-103-3); len(b) != 1 || g.Buffered() != 0 {
		t.Fatalf("exact fit: %d bodies, %d buffered", len(b), g.Buffered())
	}
	// A message that would fit an empty body is not split: the open body
	// closes first.
	put(g, 500)
	if b := put(g, 600); len(b) != 1 || g.Buffered() != 603 {
		t.Fatalf("no split: %d bodies, %d buffered", len(b), g.Buffered())
	}
	// A large message starts in the open body.
	b := put(g, 2000)
	if len(b) != 2 {
		t.Fatalf("large message: %d bodies", len(b))
	}
	first := MaxPayload - 603 - 7
	if g.Buffered() != 2000-first-MaxFragmentData+FollowOnHeaderLen {
		t.Fatalf("large message: %d buffered", g.Buffered())
	}
	// ... but not when less than minFirstData of it would fit there.
	g = NewGateway(GatewayConfig{Rand: r})
	put(g, MaxPayload-3-7-minFirstData+1)
	if b := put(g, 1900); len(b) != 2 || g.Buffered() != 1900-(MaxPayload-7)+FollowOnHeaderLen {
		t.Fatalf("large message after a nearly full body: %d bodies, %d buffered", len(b), g.Buffered())
	}
	// The largest message starts in an open body too.
	g = NewGateway(GatewayConfig{Rand: r})
	put(g, 20)
	b = put(g, MaxMessageSize)
	first = MaxPayload - 23 - 7
	follow := (MaxMessageSize - first + MaxFragmentData - 1) / MaxFragmentData
	if len(b) != follow || g.Buffered() != FollowOnHeaderLen+MaxMessageSize-first-(follow-1)*MaxFragmentData {
		t.Fatalf("largest message: %d bodies, %d buffered", len(b), g.Buffered())
	}
	// Local messages of 997 to 1000 bytes would fit a body whole, but go
	// in two fragments.
	g = NewGateway(GatewayConfig{Rand: r})
	if b := put(g, MaxPayload-3); len(b) != 1 || g.Buffered() != FollowOnHeaderLen+MaxPayload-3-MaxFragmentData {
		t.Fatalf("1000-byte local message: %d bodies, %d buffered", len(b), g.Buffered())
	}
}

// TestGatewayMessageIDZero checks that a fragmented message with I2NP ID 0
// gets a nonzero fragment ID and still arrives.
func TestGatewayMessageIDZero(t *testing.T) {
	r := testRand(13)
	g := NewGateway(GatewayConfig{Rand: r})
	m := testMsg(r, 0, 3000)
	bodies, err := g.Put(nil, DeliveryInstructions{}, m)
	if err == nil {
		bodies, err = g.Flush(bodies)
	}
	if err != nil {
		t.Fatal(err)
	}
	frags, _ := ParseBody(&bodies[0])
	f, _, _ := ParseFragment(frags)
	if f.Last || f.MessageID == 0 {
		t.Fatalf("first fragment %+v", f)
	}
	ep := NewEndpoint(EndpointConfig{})
	var got []Delivered
	for i := range bodies {
		got, _ = ep.Receive(got, &bodies[i], testNow)
	}
	if len(got) != 1 || !sameMsg(got[0].Message, m) {
		t.Fatalf("got %d messages", len(got))
	}
}

type failReader struct{ n int }

func (f *failReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("rand failed")
	}
	n := min(len(p), f.n)
	f.n -= n
	clear(p[:n])
	return n, nil
}

func TestGatewayErrors(t *testing.T) {
	r := testRand(14)
	g := NewGateway(GatewayConfig{Rand: &failReader{n: 16 + 10}})
	if _, err := g.Put(nil, DeliveryInstructions{Type: 3}, testMsg(r, 1, 10)); !errors.Is(err, ErrMalformed) {
		t.Errorf("type 3: %v", err)
	}
	if _, err := g.Put(nil, DeliveryInstructions{Type: DeliveryTunnel, To: hashOf(1)}, testMsg(r, 1, 10)); !errors.Is(err, ErrMalformed) {
		t.Errorf("tunnel ID 0: %v", err)
	}
	if _, err := g.Put(nil, DeliveryInstructions{}, i2np.Message{Payload: make([]byte, 70000)}); !errors.Is(err, i2np.ErrSize) {
		t.Errorf("unencodable: %v", err)
	}
	// Rand fails in the middle of a fragmented message: nothing comes out
	// and the gateway is empty and usable.
	dst := make([][BodyLen]byte, 1)
	out, err := g.Put(dst, DeliveryInstructions{}, testMsg(r, 2, 5000))
	if err == nil || len(out) != 1 || g.Buffered() != 0 {
		t.Fatalf("failing rand: %d bodies, %v, %d buffered", len(out), err, g.Buffered())
	}
	g.rand = r
	if _, err := g.Put(nil, DeliveryInstructions{}, testMsg(r, 3, 5000)); err != nil {
		t.Fatal(err)
	}
	g.rand = &failReader{}
	if out, err := g.Flush(nil); err == nil || len(out) != 0 || g.Buffered() != 0 {
		t.Fatalf("Flush with failing rand: %d bodies, %v", len(out), err)
	}
	if out, err := g.Flush(nil); err != nil || len(out) != 0 {
		t.Fatalf("Flush of nothing: %d, %v", len(out), err)
	}
}

func TestDeliveryTypeString(t *testing.T) {
	for d, want := range map[DeliveryType]string{DeliveryLocal: "local", DeliveryTunnel: "tunnel", DeliveryRouter: "router", 3: "DeliveryType(3)"} {
		if got := d.String(); got != want {
			t.Errorf("String = %q, want %q", got, want)
		}
	}
}

// BenchmarkGatewayEndpoint is the whole data path for a 1 KB and a 16 KB
// message: pack, 3 outbound layers removed at the gateway and added by the
// hops, reassembly.
func BenchmarkGatewayEndpoint(b *testing.B) {
	for _, n := range []int{1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("%dKiB", n>>10), func(b *testing.B) {
			r := testRand(15)
			path := newPath(r, 3)
			g := NewGateway(GatewayConfig{Rand: r})
			ep := NewEndpoint(EndpointConfig{})
			m := testMsg(r, 1, n)
			var bodies [][BodyLen]byte
			var got []Delivered
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				m.ID++
				var err error
				bodies, err = g.Put(bodies[:0], DeliveryInstructions{}, m)
				if err == nil {
					bodies, err = g.Flush(bodies)
				}
				if err != nil {
					b.Fatal(err)
				}
				got = got[:0]
				for i := range bodies {
					path.outbound(&bodies[i])
					if got, err = ep.Receive(got, &bodies[i], testNow); err != nil {
						b.Fatal(err)
					}
				}
				if len(got) != 1 {
					b.Fatal("lost")
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
