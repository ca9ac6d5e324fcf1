// Package proxytest has the in-memory twins that the proxies' tests share:
// a pipe whose ends can half-close, as TCP connections and I2P streams
// can, and a listener that hands out connections given to it.
package proxytest

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// Addr is a net.Addr with a fixed string.
type Addr string

func (a Addr) Network() string { return "mem" }
func (a Addr) String() string  { return string(a) }

// Pipe is net.Pipe with CloseWrite: closing one end's write side gives
// the other end EOF while it can still write back. Deadlines are not
// kept. The ends' addresses are "local" and "remote".
func Pipe() (net.Conn, net.Conn) { return PipeAddrs(Addr("local"), Addr("remote")) }

// PipeAddrs is Pipe whose first end has local address a and remote
// address b, and the second end the reverse.
func PipeAddrs(a, b net.Addr) (net.Conn, net.Conn) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	return &Conn{r: ar, w: aw, local: a, remote: b}, &Conn{r: br, w: bw, local: b, remote: a}
}

// Conn is one end of a Pipe.
type Conn struct {
	r             *io.PipeReader
	w             *io.PipeWriter
	local, remote net.Addr
}

func (c *Conn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *Conn) Write(p []byte) (int, error)      { return c.w.Write(p) }
func (c *Conn) CloseWrite() error                { return c.w.Close() }
func (c *Conn) Close() error                     { c.w.Close(); return c.r.Close() }
func (c *Conn) LocalAddr() net.Addr              { return c.local }
func (c *Conn) RemoteAddr() net.Addr             { return c.remote }
func (c *Conn) SetDeadline(time.Time) error      { return nil }
func (c *Conn) SetReadDeadline(time.Time) error  { return nil }
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }

// Listener is a net.Listener whose Accept returns the connections handed
// to Give.
type Listener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

// NewListener returns an open Listener.
func NewListener() *Listener {
	return &Listener{ch: make(chan net.Conn), closed: make(chan struct{})}
}

// Give hands c to a pending or future Accept; false if the listener is
// closed first.
func (l *Listener) Give(c net.Conn) bool { return l.GiveContext(context.Background(), c) }

// GiveContext is Give that also gives up when ctx is done.
func (l *Listener) GiveContext(ctx context.Context, c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.closed:
		return false
	case <-ctx.Done():
		return false
	}
}

// Accept waits for a connection from Give.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and Give fail; it is idempotent.
func (l *Listener) Close() error { l.once.Do(func() { close(l.closed) }); return nil }

// Addr is "listener".
func (l *Listener) Addr() net.Addr { return Addr("listener") }
