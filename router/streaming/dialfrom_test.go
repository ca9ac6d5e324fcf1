package streaming

import (
	"context"
	"net"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// TestDialFromPort: DialFrom's source port reaches the peer, whose
// accepted stream's RemoteAddr carries it, and the reply comes back.
func TestDialFromPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		n := newTestNet(t, Config{}, Config{}, linkConfig{latency: 20 * time.Millisecond}, linkConfig{latency: 20 * time.Millisecond})
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		l, err := n.b.Listen(80)
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan net.Conn, 1)
		go func() {
			c, _ := l.Accept()
			ch <- c
		}()
		c, err := n.a.DialFrom(context.Background(), n.sb.dest, 1234, 80)
		if err != nil {
			t.Fatal(err)
		}
		s := <-ch
		if s == nil {
			t.Fatal("no accepted stream")
		}
		if got, want := s.RemoteAddr().String(), n.sa.dest.B32()+":1234"; got != want {
			t.Errorf("server RemoteAddr %q, want %q", got, want)
		}
		if got, want := c.LocalAddr().(Addr).Port, uint16(1234); got != want {
			t.Errorf("client LocalAddr port %d, want %d", got, want)
		}
		if _, err := s.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		if _, err := c.Read(b); err != nil || b[0] != 'x' {
			t.Fatalf("read %q, %v", b, err)
		}
		c.Close()
		s.Close()
		wait(time.Second)
	})
}
