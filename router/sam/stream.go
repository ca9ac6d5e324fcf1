package sam

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/streaming"
)

// waiter is one STREAM ACCEPT (or one turn of a FORWARD) queued for the
// session's accept loop.
type waiter struct {
	ch   chan net.Conn // the accept loop sends the stream, or nil if the listener failed; never closed
	gone chan struct{} // closed by the requester when it stops waiting
}

func newWaiter() *waiter {
	return &waiter{ch: make(chan net.Conn), gone: make(chan struct{})}
}

// acceptLoop takes waiters in order and accepts one stream for each. A
// stream accepted for a waiter that has left is kept for the next one.
func (s *session) acceptLoop() {
	var held net.Conn
	defer func() {
		if held != nil {
			held.Close()
		}
	}()
	for {
		var w *waiter
		select {
		case w = <-s.waiters:
		case <-s.ctx.Done():
			return
		}
		if held == nil {
			c, err := s.ln.Accept()
			if err != nil && s.ctx.Err() == nil {
				s.log.Warn("stream listener failed", "err", err)
			}
			held = c
		}
		select {
		case w.ch <- held:
			held = nil
		case <-w.gone:
		case <-s.ctx.Done():
			return
		}
	}
}

// watcher notices that the client of a control socket went away while the
// bridge waits for something else. It reads at most one byte (discard:
// everything) and keeps it for the stream.
type watcher struct {
	c      net.Conn
	gone   chan struct{} // closed when the client closed or failed
	exited chan struct{} // closed when the goroutine ends; nil if there is none
	buf    [1]byte
	n      int
}

func (cc *ctlConn) watch(discard bool) *watcher {
	w := &watcher{c: cc.c, gone: make(chan struct{})}
	if cc.c.SetReadDeadline(time.Time{}) != nil {
		return w // cannot be interrupted: do not watch
	}
	w.exited = make(chan struct{})
	go func() {
		defer close(w.exited)
		var err error
		if discard {
			_, err = io.Copy(io.Discard, cc.r)
			if err == nil {
				err = io.EOF
			}
		} else {
			w.n, err = cc.r.Read(w.buf[:])
		}
		var ne net.Error
		if w.n == 0 && err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			close(w.gone)
		}
	}()
	return w
}

// stop ends the watch and returns the byte read meanwhile, if any.
func (w *watcher) stop() []byte {
	if w.exited == nil {
		return nil
	}
	w.c.SetReadDeadline(time.Unix(1, 0))
	<-w.exited
	w.c.SetReadDeadline(time.Time{})
	return w.buf[:w.n]
}

// streamSession finds the STREAM session or subsession named by ID.
func (h *handler) streamSession(cmd *Command) (*session, error) {
	id := cmd.Value("ID")
	s := h.b.lookupSession(id)
	switch {
	case s == nil:
		return nil, newError(ResultInvalidID, "")
	case s.style != styleStream:
		return nil, newError(ResultI2PError, "session "+id+" is "+s.style.String()+", not STREAM")
	}
	return s, nil
}

// resolve turns a DESTINATION= value (base64, b32 or host name) into a
// destination; failures are INVALID_KEY.
func (b *Bridge) resolve(ctx context.Context, v string) (data.Destination, error) {
	if v == "" {
		return data.Destination{}, newError(ResultInvalidKey, "missing DESTINATION")
	}
	if len(v) >= 516 && !strings.Contains(v, ".") {
		d, err := data.DestinationFromBase64(v)
		if err != nil {
			return d, &Error{Result: ResultInvalidKey, Err: err}
		}
		return d, nil
	}
	d, err := b.lookup(ctx, v)
	if err != nil {
		r, msg := resultOf(err)
		return d, &Error{Result: ResultInvalidKey, Message: string(r) + ": " + msg}
	}
	return d, nil
}

// streamConnect handles STREAM CONNECT. FROM_PORT and TO_PORT default
// to the session's (SESSION CREATE's FROM_PORT and TO_PORT).
func (h *handler) streamConnect(cmd *Command) {
	const prefix = "STREAM STATUS"
	silent, err := parseBool(cmd, "SILENT")
	fail := func(err error) {
		if !silent {
			h.cc.reply(prefix, err)
		}
	}
	if err != nil {
		fail(err)
		return
	}
	s, err := h.streamSession(cmd)
	if err != nil {
		fail(err)
		return
	}
	toPort, err := parseUint(cmd, "TO_PORT", 16, uint64(s.toPort))
	if err != nil {
		fail(err)
		return
	}
	fromPort, err := parseUint(cmd, "FROM_PORT", 16, uint64(s.fromPort))
	if err != nil {
		fail(err)
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.b.cfg.ConnectTimeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	unwatch := h.watchClose()
	to, err := h.b.resolve(ctx, cmd.Value("DESTINATION"))
	if err != nil {
		unwatch()
		fail(err)
		return
	}
	conn, err := s.dest.Dial(ctx, to, uint16(fromPort), uint16(toPort))
	unwatch()
	if err != nil {
		var e *Error
		switch {
		case errors.As(err, &e):
		case errors.Is(err, context.DeadlineExceeded):
			err = &Error{Result: ResultTimeout, Err: err}
		default:
			err = &Error{Result: ResultCantReachPeer, Err: err}
		}
		fail(err)
		return
	}
	if !silent {
		if err := h.cc.reply(prefix, nil); err != nil {
			conn.Close()
			return
		}
	}
	h.log.Debug("stream connected", "session", s.id)
	Pipe(h.ctx, s.ctx, h.cc.c, h.cc.r, nil, conn)
}

// streamAccept handles STREAM ACCEPT.
func (h *handler) streamAccept(cmd *Command) {
	const prefix = "STREAM STATUS"
	silent, err := parseBool(cmd, "SILENT")
	fail := func(err error) {
		if !silent {
			h.cc.reply(prefix, err)
		}
	}
	if err != nil {
		fail(err)
		return
	}
	s, err := h.streamSession(cmd)
	if err != nil {
		fail(err)
		return
	}
	s.mu.Lock()
	if s.forwarding {
		s.mu.Unlock()
		fail(newError(ResultI2PError, "a STREAM FORWARD is active on "+s.id))
		return
	}
	s.accepting++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.accepting--
		s.mu.Unlock()
	}()
	if !silent {
		if h.cc.reply(prefix, nil) != nil {
			return
		}
	}
	w := newWaiter()
	wt := h.cc.watch(false)
	var conn net.Conn
	queued := false
	for !queued || conn == nil {
		send := s.waiters
		if queued {
			send = nil
		}
		select {
		case send <- w:
			queued = true
		case conn = <-w.ch:
			if conn == nil {
				close(w.gone)
				wt.stop()
				fail(newError(ResultI2PError, "stream listener failed"))
				return
			}
		case <-wt.gone:
			close(w.gone)
			wt.stop()
			return
		case <-s.ctx.Done():
			close(w.gone)
			wt.stop()
			fail(newError(ResultI2PError, "session closed"))
			return
		case <-h.ctx.Done():
			close(w.gone)
			wt.stop()
			return
		}
	}
	early := wt.stop()
	if !silent {
		if h.cc.writeLine(peerLine(h.cc, conn)) != nil {
			conn.Close()
			return
		}
	}
	h.log.Debug("stream accepted", "session", s.id)
	Pipe(h.ctx, s.ctx, h.cc.c, h.cc.r, early, conn)
}

// peerLine is the "$destination[ FROM_PORT=n TO_PORT=n]" line of an
// accepted stream.
func peerLine(cc *ctlConn, c net.Conn) string {
	peer, from := addrOf(c.RemoteAddr())
	_, to := addrOf(c.LocalAddr())
	return peer.Base64() + cc.ports(from, to)
}

func addrOf(a net.Addr) (data.Destination, uint16) {
	switch a := a.(type) {
	case streaming.Addr:
		return a.Dest, a.Port
	case *streaming.Addr:
		if a != nil {
			return a.Dest, a.Port
		}
	}
	return data.Destination{}, 0
}

// streamForward handles STREAM FORWARD: until this socket closes, every
// incoming stream is connected to HOST:PORT.
func (h *handler) streamForward(cmd *Command) {
	const prefix = "STREAM STATUS"
	silent, err := parseBool(cmd, "SILENT")
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	s, err := h.streamSession(cmd)
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	port, err := parseUint(cmd, "PORT", 16, 0)
	if err == nil && port == 0 {
		err = newError(ResultI2PError, "missing PORT")
	}
	if ssl, _ := parseBool(cmd, "SSL"); err == nil && ssl {
		err = newError(ResultI2PError, "SSL=true is not supported")
	}
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	host := cmd.Value("HOST")
	if host == "" {
		host = "127.0.0.1"
		if ta, ok := h.cc.c.RemoteAddr().(*net.TCPAddr); ok {
			host = ta.IP.String()
		}
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	s.mu.Lock()
	if s.forwarding || s.accepting > 0 {
		s.mu.Unlock()
		h.cc.reply(prefix, newError(ResultI2PError, "a STREAM ACCEPT or FORWARD is active on "+s.id))
		return
	}
	s.forwarding = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.forwarding = false
		s.mu.Unlock()
	}()
	if h.cc.reply(prefix, nil) != nil {
		return
	}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	wt := h.cc.watch(true)
	defer wt.stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for {
		w := newWaiter()
		select {
		case s.waiters <- w:
		case <-wt.gone:
			return
		case <-ctx.Done():
			return
		}
		var conn net.Conn
		select {
		case conn = <-w.ch:
		case <-wt.gone:
			close(w.gone)
			return
		case <-ctx.Done():
			close(w.gone)
			return
		}
		if conn == nil {
			return
		}
		// Streams already forwarded outlive the FORWARD socket; they end
		// with the session or the bridge.
		wg.Go(func() { h.forwardOne(ctx, s, conn, addr, silent) })
	}
}

// forwardOne connects one incoming stream to the client's server.
func (h *handler) forwardOne(ctx context.Context, s *session, conn net.Conn, addr string, silent bool) {
	d := net.Dialer{Timeout: h.b.cfg.ForwardDialTimeout}
	local, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		h.log.Debug("forward dial failed", "session", s.id, "err", err)
		conn.Close()
		return
	}
	if !silent {
		if _, err := local.Write([]byte(peerLine(h.cc, conn) + "\n")); err != nil {
			local.Close()
			conn.Close()
			return
		}
	}
	Pipe(h.ctx, s.ctx, local, local, nil, conn)
}

// Pipe copies between a local socket a (read through ar, which may hold
// buffered bytes) and b, sending prefix to b first, until both
// directions end or ctx or sctx is done. EOF on one side half-closes the
// other when it can; then both are closed. The SAM streams and BOB's
// tunnels use it.
func Pipe(ctx, sctx context.Context, a net.Conn, ar io.Reader, prefix []byte, b net.Conn) {
	closeBoth := func() {
		a.Close()
		b.Close()
	}
	stop1 := context.AfterFunc(ctx, closeBoth)
	defer stop1()
	stop2 := context.AfterFunc(sctx, closeBoth)
	defer stop2()
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		if len(prefix) > 0 {
			_, err = b.Write(prefix)
		}
		if err == nil {
			_, err = io.Copy(b, ar)
		}
		if err != nil {
			closeBoth()
		} else {
			closeWrite(b)
		}
	})
	if _, err := io.Copy(a, b); err != nil {
		closeBoth()
	} else {
		closeWrite(a)
	}
	wg.Wait()
	closeBoth()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}
