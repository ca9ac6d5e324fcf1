package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

// pipe listens on b and dials it from a; it returns both ends.
func pipe(t *testing.T, n *Network, a, b string) (client, server net.Conn) {
	t.Helper()
	ln, err := n.Host(b).Listen("tcp", b+":7000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	client, err = n.Host(a).DialContext(context.Background(), "tcp", b+":7000")
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Default: Link{Latency: 50 * time.Millisecond}})
		t0 := time.Now()
		c, s := pipe(t, n, "10.0.0.1", "10.0.0.2")
		if d := time.Since(t0); d != 100*time.Millisecond {
			t.Errorf("connect took %v, want one round trip (100ms)", d)
		}
		if c.LocalAddr().String() != s.RemoteAddr().String() || s.LocalAddr().String() != "10.0.0.2:7000" {
			t.Errorf("addresses %v %v %v", c.LocalAddr(), s.RemoteAddr(), s.LocalAddr())
		}
		t1 := time.Now()
		c.Write([]byte("hello"))
		buf := make([]byte, 16)
		k, err := s.Read(buf)
		if err != nil || string(buf[:k]) != "hello" {
			t.Fatalf("read %q, %v", buf[:k], err)
		}
		if d := time.Since(t1); d != 50*time.Millisecond {
			t.Errorf("delivery took %v, want 50ms", d)
		}
		c.Close()
		if _, err := s.Read(buf); err != io.EOF {
			t.Errorf("after Close: %v, want EOF", err)
		}
		if _, err := s.Write([]byte("x")); !errors.Is(err, ErrReset) {
			t.Errorf("write to a closed peer: %v, want ErrReset", err)
		}
	})
}

func TestPerLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Default: Link{Latency: time.Millisecond}, Link: func(from, to string) (Link, bool) {
			if from == "10.0.0.2" {
				return Link{Latency: 30 * time.Millisecond}, true
			}
			return Link{}, false
		}})
		c, s := pipe(t, n, "10.0.0.1", "10.0.0.2")
		buf := make([]byte, 4)
		t0 := time.Now()
		s.Write([]byte("back"))
		c.Read(buf)
		if d := time.Since(t0); d != 30*time.Millisecond {
			t.Errorf("2 to 1 took %v, want 30ms", d)
		}
		t0 = time.Now()
		c.Write([]byte("fwd"))
		s.Read(buf)
		if d := time.Since(t0); d != time.Millisecond {
			t.Errorf("1 to 2 took %v, want 1ms", d)
		}
	})
}

func TestBandwidth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Default: Link{Latency: 10 * time.Millisecond, Bandwidth: 100_000}})
		c, s := pipe(t, n, "10.0.0.1", "10.0.0.2")
		t0 := time.Now()
		c.Write(make([]byte, 50_000)) // 0.5 s on the wire
		got, err := io.ReadFull(s, make([]byte, 50_000))
		if err != nil || got != 50_000 {
			t.Fatal(got, err)
		}
		if d := time.Since(t0); d != 510*time.Millisecond {
			t.Errorf("50 kB at 100 kB/s took %v, want 510ms", d)
		}
	})
}

func TestLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Default: Link{Latency: 10 * time.Millisecond, Loss: 1}})
		c, s := pipe(t, n, "10.0.0.1", "10.0.0.2")
		t0 := time.Now()
		c.Write([]byte("a"))
		c.Write([]byte("b"))
		buf := make([]byte, 2)
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "ab" {
			t.Fatalf("%q %v", buf, err)
		}
		// RTO 200 ms + RTT 20 ms, plus the latency.
		if d := time.Since(t0); d != 230*time.Millisecond {
			t.Errorf("lost segment took %v, want 230ms", d)
		}
		if st := n.Stats(); st.SegmentsLost != 2 {
			t.Errorf("lost %d segments, want 2", st.SegmentsLost)
		}
	})
}

func TestDropConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Default: Link{Loss: 1, DropConn: 1}})
		c, s := pipe(t, n, "10.0.0.1", "10.0.0.2")
		if _, err := c.Write([]byte("a")); !errors.Is(err, ErrReset) {
			t.Errorf("write: %v, want ErrReset", err)
		}
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, ErrReset) {
			t.Errorf("peer read: %v, want ErrReset", err)
		}
	})
}

func TestRefusedAndDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Default: Link{Latency: 5 * time.Millisecond}})
		t0 := time.Now()
		_, err := n.Host("10.0.0.1").DialContext(context.Background(), "tcp", "10.0.0.9:1")
		if !errors.Is(err, ErrRefused) || time.Since(t0) != 10*time.Millisecond {
			t.Errorf("dial nowhere: %v after %v", err, time.Since(t0))
		}
		c, _ := pipe(t, n, "10.0.0.1", "10.0.0.2")
		c.SetReadDeadline(time.Now().Add(time.Second))
		t0 = time.Now()
		_, err = c.Read(make([]byte, 1))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() || time.Since(t0) != time.Second {
			t.Errorf("read past deadline: %v after %v", err, time.Since(t0))
		}
		if _, err := n.Host("10.0.0.2").Listen("tcp", "10.0.0.2:7000"); !errors.Is(err, ErrAddrInUse) {
			t.Errorf("second listen: %v", err)
		}
		if _, err := n.Host("10.0.0.2").Listen("tcp", "10.0.0.3:7000"); err == nil {
			t.Error("listened on another host's address")
		}
	})
}

func TestCloseWakesReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{})
		c, _ := pipe(t, n, "10.0.0.1", "10.0.0.2")
		errc := make(chan error)
		go func() {
			_, err := c.Read(make([]byte, 1))
			errc <- err
		}()
		synctest.Wait()
		c.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after own Close: %v", err)
		}
	})
}
