package socks

import (
	"bufio"
	"io"
	"net"
	"sync"
)

// readerSize bounds what is buffered from a client before its request is
// complete (the longest SOCKS 4a request is 1+1+2+4+256+256 bytes).
const readerSize = 1024

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, readerSize) }

type closeWriter interface{ CloseWrite() error }

// join copies client→target and target→client until both directions
// end; cr is the client's buffered reader. When one direction ends, its
// destination is half-closed if it can be, else both are closed; an error
// closes both. join owns its goroutine: it returns after it.
func join(client net.Conn, cr io.Reader, target net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := io.Copy(client, target)
		if err != nil || !tryCloseWrite(client) {
			client.Close()
			target.Close()
		}
	}()
	_, err := io.Copy(target, cr)
	if err != nil || !tryCloseWrite(target) {
		client.Close()
		target.Close()
	}
	wg.Wait()
}

func tryCloseWrite(c net.Conn) bool {
	cw, ok := c.(closeWriter)
	return ok && cw.CloseWrite() == nil
}

// guard counts the calls into a session's connections, so that the
// session can wait, after closing them, until go-socks5's copy goroutines
// have left them.
type guard struct {
	mu     sync.Mutex
	cond   sync.Cond
	n      int  // calls under way
	closed bool // no new calls
}

func newGuard() *guard {
	g := &guard{}
	g.cond.L = &g.mu
	return g
}

func (g *guard) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.n++
	return true
}

func (g *guard) exit() {
	g.mu.Lock()
	g.n--
	if g.n == 0 {
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}

// closeAndWait refuses new calls and waits for the calls under way; the
// caller must have closed the connections so that those return.
func (g *guard) closeAndWait() {
	g.mu.Lock()
	g.closed = true
	for g.n > 0 {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

// guardedConn is a net.Conn whose Read and Write go through a guard.
// Read comes from r (the client's buffered reader, or the conn itself).
// LocalAddr is always a *net.TCPAddr (127.0.0.1:1, as Java replies),
// because go-socks5 asserts that type on the dialed conn. CloseWrite
// half-closes when the conn can, else closes it: a conn that cannot
// half-close would otherwise keep the session open until the far end
// closes (I2P streams and TCP can).
type guardedConn struct {
	net.Conn
	r io.Reader
	g *guard
}

var bindAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}

func (c *guardedConn) LocalAddr() net.Addr { return bindAddr }

func (c *guardedConn) Read(b []byte) (int, error) {
	if !c.g.enter() {
		return 0, net.ErrClosed
	}
	defer c.g.exit()
	return c.r.Read(b)
}

func (c *guardedConn) Write(b []byte) (int, error) {
	if !c.g.enter() {
		return 0, net.ErrClosed
	}
	defer c.g.exit()
	return c.Conn.Write(b)
}

func (c *guardedConn) CloseWrite() error {
	if !c.g.enter() {
		return net.ErrClosed
	}
	defer c.g.exit()
	if cw, ok := c.Conn.(closeWriter); ok {
		if err := cw.CloseWrite(); err == nil {
			return nil
		}
	}
	return c.Conn.Close()
}
