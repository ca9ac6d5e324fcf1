package sam

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// env is a bridge serving on a loopback TCP socket over a fakeNet.
type env struct {
	t    *testing.T
	b    *Bridge
	n    *fakeNet
	addr string
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	before := runtime.NumGoroutine()
	n := newFakeNet()
	b, err := New(cfg, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Serve = %v, want context.Canceled", err)
		}
		if s := b.NumSessions(); s != 0 {
			t.Errorf("%d sessions left after Serve", s)
		}
		if d := n.numDests(); d != 0 {
			t.Errorf("%d destinations left open after Serve", d)
		}
		checkGoroutines(t, before)
	})
	return &env{t: t, b: b, n: n, addr: ln.Addr().String()}
}

// checkGoroutines waits for the goroutine count to fall back to before.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutines: %d before, %d after:\n%s", before, n, buf)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor polls cond until it holds or 5 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// client is a SAM client written from the spec.
type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (e *env) dial() *client {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return &client{t: e.t, c: c, r: bufio.NewReader(c)}
}

// hello dials and completes HELLO at the highest version.
func (e *env) hello() *client {
	e.t.Helper()
	c := e.dial()
	if got := c.cmd("HELLO VERSION MIN=3.0 MAX=3.3"); got != "HELLO REPLY RESULT=OK VERSION=3.3" {
		e.t.Fatalf("HELLO: %q", got)
	}
	return c
}

func (c *client) send(s string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// line reads one reply line, without "\n".
func (c *client) line() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read reply: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

func (c *client) cmd(line string) string {
	c.t.Helper()
	c.send(line + "\n")
	return c.line()
}

// closed reports whether the bridge closed the socket (EOF, no more data).
func (c *client) closed() bool {
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.r.ReadByte()
	return err != nil
}

// field returns KEY's value in a reply line.
func field(t *testing.T, line, key string) string {
	t.Helper()
	cmd, err := ParseCommand(line)
	if err != nil {
		t.Fatalf("reply %q: %v", line, err)
	}
	v, ok := cmd.Get(key)
	if !ok {
		t.Fatalf("reply %q has no %s", line, key)
	}
	return v
}

// session opens a control socket with a transient session and returns it
// with the destination's base64.
func (e *env) session(style, id string, extra string) (*client, string) {
	e.t.Helper()
	c := e.hello()
	r := c.cmd("SESSION CREATE STYLE=" + style + " ID=" + id + " DESTINATION=TRANSIENT SIGNATURE_TYPE=7 " + extra)
	if !strings.HasPrefix(r, "SESSION STATUS RESULT=OK DESTINATION=") {
		e.t.Fatalf("SESSION CREATE %s: %q", id, r)
	}
	k, err := PrivateKeysFromBase64(field(e.t, r, "DESTINATION"))
	if err != nil {
		e.t.Fatal(err)
	}
	return c, k.Destination.Base64()
}

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
