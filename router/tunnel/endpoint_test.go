package tunnel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/i2np"
)

// mkBody builds a decrypted body holding frags.
func mkBody(t testing.TB, frags ...Fragment) *[BodyLen]byte {
	t.Helper()
	var p []byte
	for _, f := range frags {
		var err error
		if p, err = f.AppendBinary(p); err != nil {
			t.Fatal(err)
		}
	}
	var b [BodyLen]byte
	if err := BuildBody(&b, [IVLen]byte{1, 2, 3}, p, bytes.NewReader(bytes.Repeat([]byte{0x77}, BodyLen))); err != nil {
		t.Fatal(err)
	}
	return &b
}

// encoded returns m with its standard header.
func encoded(t testing.TB, m i2np.Message) []byte {
	t.Helper()
	b, err := m.AppendLong(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// split cuts enc into n fragments of message id (sizes as even as can be).
func split(enc []byte, id i2np.MessageID, n int, d DeliveryInstructions) []Fragment {
	var fs []Fragment
	for i := range n {
		lo, hi := i*len(enc)/n, (i+1)*len(enc)/n
		f := Fragment{MessageID: id, Number: i, Last: i == n-1, Data: enc[lo:hi]}
		if i == 0 {
			f.Delivery = d
		}
		fs = append(fs, f)
	}
	return fs
}

// check verifies the Endpoint's bookkeeping: the list and the map hold the
// same partials, in time order, and the byte count is their sum.
func (e *Endpoint) check() error {
	n, bytes := 0, 0
	var prev *partial
	for p := e.oldest; p != nil; p = p.next {
		if p.prev != prev {
			return fmt.Errorf("broken list at %d", p.id)
		}
		if e.pending[p.id] != p {
			return fmt.Errorf("partial %d not in the map", p.id)
		}
		if prev != nil && p.created.Before(prev.created) {
			return fmt.Errorf("list out of order at %d", p.id)
		}
		size := 0
		for i, f := range p.frags {
			if (p.have>>i&1 != 0) != (f != nil) {
				return fmt.Errorf("partial %d: fragment %d bit and data disagree", p.id, i)
			}
			size += len(f)
		}
		if size != p.size || size > e.maxMsg {
			return fmt.Errorf("partial %d: size %d, counted %d, limit %d", p.id, size, p.size, e.maxMsg)
		}
		n++
		bytes += size + partialOverhead
		prev = p
	}
	if prev != e.newest || n != len(e.pending) || bytes != e.bytes {
		return fmt.Errorf("list of %d, map of %d, %d bytes counted as %d", n, len(e.pending), bytes, e.bytes)
	}
	if n > e.maxPending || bytes > e.maxBytes {
		return fmt.Errorf("%d messages, %d bytes: over the caps %d, %d", n, bytes, e.maxPending, e.maxBytes)
	}
	return nil
}

func TestEndpointOutOfOrder(t *testing.T) {
	r := testRand(20)
	m := testMsg(r, 42, 4000)
	d := DeliveryInstructions{Type: DeliveryRouter, To: hashOf(9)}
	fs := split(encoded(t, m), 42, 6, d)
	ep := NewEndpoint(EndpointConfig{})
	var got []Delivered
	var err error
	for _, i := range []int{5, 3, 3, 0, 1, 4, 1} {
		if got, err = ep.Receive(got, mkBody(t, fs[i]), testNow); err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("delivered before fragment 2")
		}
		if err := ep.check(); err != nil {
			t.Fatal(err)
		}
	}
	if got, err = ep.Receive(got, mkBody(t, fs[2]), testNow); err != nil || len(got) != 1 {
		t.Fatalf("Receive = %d messages, %v", len(got), err)
	}
	if got[0].Delivery != d || !sameMsg(got[0].Message, m) {
		t.Fatalf("got %+v", got[0])
	}
	s := ep.Stats()
	if s.DuplicateFragments != 2 || s.Delivered != 1 || s.Pending != 0 || s.PendingBytes != 0 || s.Bodies != 8 {
		t.Fatalf("stats %+v", s)
	}
}

// TestEndpointMixedBody checks that a body carrying the tail of one
// message, a whole one and the head of another yields what is complete.
func TestEndpointMixedBody(t *testing.T) {
	r := testRand(21)
	a, b, c := testMsg(r, 1, 700), testMsg(r, 2, 30), testMsg(r, 3, 900)
	fa := split(encoded(t, a), 1, 2, DeliveryInstructions{})
	fc := split(encoded(t, c), 3, 2, DeliveryInstructions{})
	ep := NewEndpoint(EndpointConfig{})
	got, err := ep.Receive(nil, mkBody(t, fa[0]), testNow)
	if err != nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	whole := Fragment{Last: true, Data: encoded(t, b)}
	got, err = ep.Receive(got, mkBody(t, fa[1], whole, fc[0]), testNow)
	if err != nil || len(got) != 2 || !sameMsg(got[0].Message, a) || !sameMsg(got[1].Message, b) {
		t.Fatalf("got %d, %v", len(got), err)
	}
	if got, err = ep.Receive(got, mkBody(t, fc[1]), testNow); err != nil || len(got) != 3 || !sameMsg(got[2].Message, c) {
		t.Fatalf("got %d, %v", len(got), err)
	}
}

func TestEndpointContradictions(t *testing.T) {
	r := testRand(22)
	enc := encoded(t, testMsg(r, 5, 3000))
	fs := split(enc, 5, 4, DeliveryInstructions{})
	early := fs[1]
	early.Last = true
	for _, tc := range []struct {
		name  string
		order []Fragment
	}{
		{"two last fragments", []Fragment{fs[3], early}},
		{"last before a later one", []Fragment{fs[2], early}},
		{"a fragment after the last", []Fragment{early, fs[2]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := NewEndpoint(EndpointConfig{})
			var err error
			for _, f := range tc.order {
				_, err = ep.Receive(nil, mkBody(t, f), testNow)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Receive = %v, want ErrMalformed", err)
			}
			if s := ep.Stats(); s.BadMessages != 1 || s.Pending != 0 || s.PendingBytes != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func TestEndpointBadMessages(t *testing.T) {
	r := testRand(23)
	good := encoded(t, testMsg(r, 7, 50))
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1 // I2NP checksum
	trailing := append(bytes.Clone(good), 0)
	ep := NewEndpoint(EndpointConfig{})
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"bad I2NP checksum", bad, i2np.ErrChecksum},
		{"trailing byte", trailing, ErrMalformed},
		{"too short", good[:10], i2np.ErrShort},
	} {
		// The good message in the same body still comes out.
		got, err := ep.Receive(nil, mkBody(t, Fragment{Last: true, Data: tc.data}, Fragment{Last: true, Data: good}), testNow)
		if !errors.Is(err, tc.want) || len(got) != 1 {
			t.Errorf("%s: Receive = %d messages, %v; want 1 and %v", tc.name, len(got), err, tc.want)
		}
	}
	// Reassembled, the same.
	fs := split(bad, 8, 3, DeliveryInstructions{})
	var err error
	for _, f := range fs {
		_, err = ep.Receive(nil, mkBody(t, f), testNow)
	}
	if !errors.Is(err, i2np.ErrChecksum) {
		t.Errorf("reassembled bad message: %v", err)
	}
	if s := ep.Stats(); s.BadMessages != 4 || s.Delivered != 3 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestEndpointBadBodies(t *testing.T) {
	r := testRand(24)
	good := Fragment{Last: true, Data: encoded(t, testMsg(r, 9, 50))}
	ep := NewEndpoint(EndpointConfig{})

	b := mkBody(t, good)
	b[IVLen] ^= 0x80
	if got, err := ep.Receive(nil, b, testNow); !errors.Is(err, ErrChecksum) || len(got) != 0 {
		t.Errorf("bad checksum: %d, %v", len(got), err)
	}
	// A good message followed by a fragment that does not parse: nothing
	// from the body is used.
	var p []byte
	p, _ = good.AppendBinary(p)
	p = append(p, 0x60, 0, 0) // delivery type 3
	var body [BodyLen]byte
	if err := BuildBody(&body, [IVLen]byte{}, p, bytes.NewReader(bytes.Repeat([]byte{1}, BodyLen))); err != nil {
		t.Fatal(err)
	}
	if got, err := ep.Receive(nil, &body, testNow); !errors.Is(err, ErrMalformed) || len(got) != 0 {
		t.Errorf("bad fragment: %d, %v", len(got), err)
	}
	// The same with a truncated fragment.
	p = p[:len(p)-3]
	p = append(p, 0x82, 0, 0, 0, 1, 0, 9, 1)
	if err := BuildBody(&body, [IVLen]byte{}, p, bytes.NewReader(bytes.Repeat([]byte{1}, BodyLen))); err != nil {
		t.Fatal(err)
	}
	if got, err := ep.Receive(nil, &body, testNow); !errors.Is(err, ErrShort) || len(got) != 0 {
		t.Errorf("short fragment: %d, %v", len(got), err)
	}
	if s := ep.Stats(); s.BadBodies != 3 || s.Delivered != 0 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestEndpointExpiry(t *testing.T) {
	r := testRand(25)
	fs := split(encoded(t, testMsg(r, 11, 2000)), 11, 3, DeliveryInstructions{})
	ep := NewEndpoint(EndpointConfig{})
	t0 := testNow
	ep.Receive(nil, mkBody(t, fs[0]), t0)
	ep.Receive(nil, mkBody(t, fs[1]), t0.Add(59*time.Second))
	ep.Expire(t0.Add(DefaultTimeout - time.Nanosecond))
	if s := ep.Stats(); s.Pending != 1 {
		t.Fatalf("expired early: %+v", s)
	}
	// The last fragment comes at 60 s: too late, the message is gone and
	// the fragment starts a new one.
	got, err := ep.Receive(nil, mkBody(t, fs[2]), t0.Add(DefaultTimeout))
	if err != nil || len(got) != 0 {
		t.Fatalf("Receive = %d, %v", len(got), err)
	}
	if s := ep.Stats(); s.Expired != 1 || s.Pending != 1 {
		t.Fatalf("stats %+v", s)
	}
	ep.Expire(t0.Add(3 * DefaultTimeout))
	if s := ep.Stats(); s.Expired != 2 || s.Pending != 0 || s.PendingBytes != 0 {
		t.Fatalf("stats %+v", s)
	}
	if err := ep.check(); err != nil {
		t.Fatal(err)
	}
	// A configured timeout.
	ep = NewEndpoint(EndpointConfig{Timeout: time.Second})
	ep.Receive(nil, mkBody(t, fs[0]), t0)
	ep.Expire(t0.Add(time.Second))
	if s := ep.Stats(); s.Expired != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestEndpointSizeLimit sends an endless message: its fragments are taken
// up to MaxMessageSize, then it is dropped.
func TestEndpointSizeLimit(t *testing.T) {
	ep := NewEndpoint(EndpointConfig{MaxMessageSize: 4096})
	chunk := make([]byte, MaxFragmentData)
	var errs int
	for n := 1; n < MaxFragments; n++ {
		_, err := ep.Receive(nil, mkBody(t, Fragment{MessageID: 1, Number: n, Data: chunk}), testNow)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatal(err)
			}
			errs++
		}
		if err := ep.check(); err != nil {
			t.Fatal(err)
		}
		if s := ep.Stats(); s.PendingBytes > 4096+partialOverhead {
			t.Fatalf("fragment %d: %d bytes pending", n, s.PendingBytes)
		}
	}
	// Fragments 1-4 fit (3984 bytes), 5 overflows and drops the message,
	// 6-9 start again, 10 overflows, ...
	if want := (MaxFragments - 1) / 5; errs != want {
		t.Errorf("%d messages dropped as too large, want %d", errs, want)
	}
	// A whole message over the limit.
	ep = NewEndpoint(EndpointConfig{MaxMessageSize: 100, MaxPendingBytes: 10})
	if _, err := ep.Receive(nil, mkBody(t, Fragment{Last: true, Data: make([]byte, 101)}), testNow); !errors.Is(err, ErrTooLarge) {
		t.Errorf("whole message over the limit: %v", err)
	}
	if ep.maxBytes != 100+partialOverhead {
		t.Errorf("MaxPendingBytes not raised to fit one message: %d", ep.maxBytes)
	}
}

// TestEndpointFlood sends fragments of ever new messages that never
// complete. The counted and the real memory stay bounded.
func TestEndpointFlood(t *testing.T) {
	const floods = 20000 // 20 MB of fragments
	for _, cfg := range []EndpointConfig{
		{},
		{MaxPending: 1000, MaxPendingBytes: 256 << 10},
		{MaxPending: 4},
	} {
		t.Run(fmt.Sprintf("%d/%d", cfg.MaxPending, cfg.MaxPendingBytes), func(t *testing.T) {
			ep := NewEndpoint(cfg)
			// A full body: the zero byte at 20, then one follow-on
			// fragment whose message ID (bytes 22-25) changes each time.
			tmpl := mkBody(t, Fragment{MessageID: 1, Number: 1, Data: make([]byte, MaxFragmentData)})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range floods {
				b := *tmpl
				b[21] = byte(0x80 | (1+i%63)<<1)
				binary.BigEndian.PutUint32(b[22:], uint32(i))
				sum := checksum(b[21:], b[:IVLen])
				copy(b[IVLen:], sum[:])
				if _, err := ep.Receive(nil, &b, testNow); err != nil {
					t.Fatal(err)
				}
				if i%997 == 0 {
					if err := ep.check(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := ep.check(); err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			s := ep.Stats()
			if s.Evicted == 0 || s.Pending > ep.maxPending || s.PendingBytes > ep.maxBytes {
				t.Fatalf("stats %+v", s)
			}
			grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			// The real heap: the counted bytes plus slack for the map.
			if limit := int64(ep.maxBytes) + 256<<10; grew > limit {
				t.Fatalf("heap grew by %d bytes, limit %d (stats %+v)", grew, limit, s)
			}
			t.Logf("%d pending, %d bytes counted, heap grew %d; %d evicted", s.Pending, s.PendingBytes, grew, s.Evicted)
			runtime.KeepAlive(ep)
		})
	}
}
