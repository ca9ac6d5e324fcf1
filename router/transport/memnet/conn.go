package memnet

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// pair is what the two halves of a connection share.
type pair struct {
	reset atomic.Bool // set once, by a DropConn draw or a listener's Close
	rto   time.Duration
}

// half is one direction of a connection: the writer's conn appends
// segments, the reader's conn reads them once they are due.
type half struct {
	n    *Network
	link Link
	p    *pair

	// notify wakes the reader: data, FIN, reset or a deadline change.
	// Capacity 1, never closed.
	notify chan struct{}

	mu        sync.Mutex // guards the fields below
	segs      []seg
	busyUntil time.Time // when the link is free for the next byte (bandwidth)
	lastAt    time.Time // when the last segment is due (order)
	fin       bool      // the writer closed
	rclosed   bool      // the reader closed: writes fail
}

type seg struct {
	b   []byte
	at  time.Time // readable from then on
	fin bool
}

func newHalf(n *Network, l Link, p *pair) *half {
	return &half{n: n, link: l, p: p, notify: make(chan struct{}, 1)}
}

func (h *half) wake() {
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// conn is one end of a connection.
type conn struct {
	local, remote tcpAddr
	in, out       *half
	done          chan struct{} // closed by Close
	once          sync.Once

	dmu      sync.Mutex // guards the deadlines
	rdl, wdl time.Time
}

func (c *conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.local, Addr: c.remote, Err: err}
}

// Read reads what has arrived. One goroutine at a time should read.
func (c *conn) Read(b []byte) (int, error) {
	h := c.in
	for {
		select {
		case <-c.done:
			return 0, c.opErr("read", net.ErrClosed)
		default:
		}
		if h.p.reset.Load() {
			return 0, c.opErr("read", ErrReset)
		}
		now := time.Now()
		wait := time.Duration(-1)
		h.mu.Lock()
		if len(h.segs) > 0 {
			s := &h.segs[0]
			if !s.at.After(now) {
				if s.fin {
					h.mu.Unlock()
					return 0, io.EOF
				}
				n := copy(b, s.b)
				s.b = s.b[n:]
				if len(s.b) == 0 {
					h.segs[0] = seg{}
					h.segs = h.segs[1:]
				}
				h.mu.Unlock()
				return n, nil
			}
			wait = s.at.Sub(now)
		}
		h.mu.Unlock()
		c.dmu.Lock()
		dl := c.rdl
		c.dmu.Unlock()
		if !dl.IsZero() {
			if !dl.After(now) {
				return 0, c.opErr("read", os.ErrDeadlineExceeded)
			}
			if d := dl.Sub(now); wait < 0 || d < wait {
				wait = d
			}
		}
		var tc <-chan time.Time
		var t *time.Timer
		if wait >= 0 {
			t = time.NewTimer(wait)
			tc = t.C
		}
		select {
		case <-h.notify:
		case <-tc:
		case <-c.done:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// Write sends b: it never blocks; the bytes become readable at the other
// end as the link's latency, bandwidth and loss say.
func (c *conn) Write(b []byte) (int, error) {
	select {
	case <-c.done:
		return 0, c.opErr("write", net.ErrClosed)
	default:
	}
	now := time.Now()
	c.dmu.Lock()
	dl := c.wdl
	c.dmu.Unlock()
	if !dl.IsZero() && !dl.After(now) {
		return 0, c.opErr("write", os.ErrDeadlineExceeded)
	}
	h := c.out
	if h.p.reset.Load() {
		return 0, c.opErr("write", ErrReset)
	}
	h.mu.Lock()
	if h.rclosed {
		h.mu.Unlock()
		return 0, c.opErr("write", ErrReset)
	}
	for off := 0; off < len(b); off += MSS {
		chunk := b[off:min(off+MSS, len(b))]
		start := h.busyUntil
		if start.Before(now) {
			start = now
		}
		if bw := h.link.Bandwidth; bw > 0 {
			start = start.Add(time.Duration(int64(len(chunk)) * int64(time.Second) / int64(bw)))
		}
		h.busyUntil = start
		at := start.Add(h.link.Latency)
		if h.n.draw(h.link.Loss) {
			h.n.lost.Add(1)
			if h.n.draw(h.link.DropConn) {
				h.mu.Unlock()
				h.n.resets.Add(1)
				c.reset()
				return off, c.opErr("write", ErrReset)
			}
			at = at.Add(h.p.rto)
		}
		if at.Before(h.lastAt) {
			at = h.lastAt
		}
		h.lastAt = at
		h.segs = append(h.segs, seg{b: append([]byte(nil), chunk...), at: at})
	}
	h.mu.Unlock()
	h.n.bytes.Add(uint64(len(b)))
	h.wake()
	return len(b), nil
}

// reset breaks the connection at both ends.
func (c *conn) reset() {
	c.in.p.reset.Store(true)
	c.in.wake()
	c.out.wake()
}

// Close sends a FIN (the peer reads what is in flight, then io.EOF) and
// makes the peer's further writes fail. It is idempotent.
func (c *conn) Close() error {
	c.once.Do(func() {
		close(c.done)
		now := time.Now()
		h := c.out
		h.mu.Lock()
		if !h.fin {
			h.fin = true
			at := now.Add(h.link.Latency)
			if at.Before(h.lastAt) {
				at = h.lastAt
			}
			h.segs = append(h.segs, seg{at: at, fin: true})
		}
		h.mu.Unlock()
		h.wake()
		c.in.mu.Lock()
		c.in.rclosed = true
		c.in.segs = nil
		c.in.mu.Unlock()
	})
	return nil
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	c.rdl, c.wdl = t, t
	c.dmu.Unlock()
	c.in.wake()
	return nil
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	c.rdl = t
	c.dmu.Unlock()
	c.in.wake()
	return nil
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.dmu.Lock()
	c.wdl = t
	c.dmu.Unlock()
	return nil
}
