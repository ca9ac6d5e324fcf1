package streaming

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// wait lets bubble time pass.
func wait(d time.Duration) { <-time.After(d) }

// checkNoGoroutines fails if goroutines of the bubble other than the test's
// own are still alive once the bubble settles. runtime.NumGoroutine also
// counts goroutines outside the bubble, which come and go, so the stacks
// decide.
func checkNoGoroutines(t *testing.T, base int) {
	t.Helper()
	synctest.Wait()
	if runtime.NumGoroutine() <= base {
		return
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if !strings.Contains(header, "synctest bubble") || strings.Contains(g, "checkNoGoroutines") ||
			strings.Contains(g, "testingSynctestTest") || strings.Contains(g, "internal/synctest.Run") {
			continue
		}
		leaked = append(leaked, g)
	}
	if len(leaked) > 0 {
		t.Errorf("%d goroutines left in the bubble:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
}

// dialAccept opens one stream from a to b on port 80.
func dialAccept(t *testing.T, n *testNet) (client, server *Conn) {
	t.Helper()
	l, err := n.b.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	c, err := n.a.Dial(context.Background(), n.sb.dest, 80)
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return c.(*Conn), r.c.(*Conn)
}

func TestDialAcceptEcho(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		n := newTestNet(t, Config{}, Config{}, linkConfig{latency: 50 * time.Millisecond}, linkConfig{latency: 50 * time.Millisecond})
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		c, s := dialAccept(t, n)
		if got, want := c.RemoteAddr().String(), n.sb.dest.B32()+":80"; got != want {
			t.Errorf("RemoteAddr %q, want %q", got, want)
		}
		if got, want := s.RemoteAddr().String(), n.sa.dest.B32()+":0"; got != want {
			t.Errorf("server RemoteAddr %q, want %q", got, want)
		}
		if !strings.HasSuffix(s.LocalAddr().String(), ".b32.i2p:80") || s.LocalAddr().Network() != "i2p" {
			t.Errorf("LocalAddr %v", s.LocalAddr())
		}
		go func() { io.Copy(s, s); s.Close() }()
		msg := []byte("hello, i2p")
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo %q", got)
		}
		if st := c.Stats(); st.RTT < 100*time.Millisecond || st.RTT > 150*time.Millisecond {
			t.Errorf("RTT %v, want about 100ms", st.RTT)
		}
		c.CloseWrite()
		if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
			t.Fatalf("ReadAll after CloseWrite: %q, %v", b, err)
		}
		c.Close()
		wait(time.Second)
		// Both sides closed and acknowledged: nothing lingers.
		for _, m := range []*Manager{n.a, n.b} {
			if k := m.NumConns(); k != 0 {
				t.Errorf("%d connections left: %s", k, m.dump())
			}
		}
	})
}

// transfer writes size random bytes from one end and checks the hash at
// the other, returning the elapsed (bubble) time.
func transfer(t *testing.T, c, s *Conn, size int) time.Duration {
	t.Helper()
	src := make([]byte, size)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	want := sha256.Sum256(src)
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		for off := 0; off < len(src); {
			k := min(len(src)-off, 1+r.IntN(64<<10))
			if _, err := c.Write(src[off : off+k]); err != nil {
				errc <- err
				return
			}
			off += k
		}
		errc <- c.Close()
	}()
	h := sha256.New()
	nr, err := io.Copy(h, s)
	if err != nil {
		t.Fatalf("read after %d bytes: %v", nr, err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if nr != int64(size) {
		t.Fatalf("read %d bytes, want %d", nr, size)
	}
	if got := [32]byte(h.Sum(nil)); got != want {
		t.Fatal("sha256 mismatch")
	}
	return time.Since(start)
}

// TestTransferUnderLoss is the acceptance test: 10 MiB over a link that
// drops 5 % of the packets each way and reorders some arrive intact.
func TestTransferUnderLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		lc := linkConfig{latency: 20 * time.Millisecond, loss: 0.05, reorder: 0.03}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		c, s := dialAccept(t, n)
		const size = 10 << 20
		d := transfer(t, c, s, size)
		st := c.Stats()
		sent, dropped, _ := n.ab.stats()
		t.Logf("10 MiB in %v (bubble time, %.1f MB/s), %d packets a->b, %d dropped, %d retransmits, window %.1f, rtt %v, rto %v",
			d, float64(size)/d.Seconds()/1e6, sent, dropped, st.Retransmits, st.Window, st.RTT, st.RTO)
		s.Close()
	})
}

func TestTransferMTU1730(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 10 * time.Millisecond}
		n := newTestNet(t, Config{MTU: 1730}, Config{}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		if c.Stats().MSS != 1730 || s.Stats().MSS != 1730 {
			t.Errorf("MSS %d/%d, want 1730 both ways", c.Stats().MSS, s.Stats().MSS)
		}
		var maxLen int
		n.ab.update(func(lc *linkConfig) {
			lc.drop = func(p *Packet) bool { maxLen = max(maxLen, len(p.Payload)); return false }
		})
		transfer(t, c, s, 1<<20)
		if maxLen != 1730 {
			t.Errorf("largest payload %d, want 1730", maxLen)
		}
	})
}

// A peer that answers the SYN but never acknowledges data: the sender
// gives up after MaxResends and its buffers stay bounded.
func TestNeverAcked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		lc := linkConfig{latency: 10 * time.Millisecond}
		blackhole := lc
		blackhole.drop = func(p *Packet) bool { return !p.Flags.Has(FlagSynchronize) }
		cfg := Config{SendBuffer: 64 << 10, MaxResends: 5}
		n := newTestNet(t, cfg, Config{}, lc, blackhole)
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		c, _ := dialAccept(t, n)
		start := time.Now()
		var written int
		buf := make([]byte, 32<<10)
		var err error
		for {
			var k int
			k, err = c.Write(buf)
			written += k
			if err != nil {
				break
			}
		}
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("Write error %v, want ErrTimeout", err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("error %v is not a net.Error timeout", err)
		}
		if written > cfg.SendBuffer {
			t.Errorf("Write took %d bytes, send buffer is %d", written, cfg.SendBuffer)
		}
		if _, err := c.Read(buf); !errors.Is(err, ErrTimeout) {
			t.Errorf("Read error %v", err)
		}
		// 5 sends, the RTO (from the 20 ms handshake RTT) doubling each time.
		if d := time.Since(start); d < time.Second || d > 10*time.Second {
			t.Errorf("gave up after %v", d)
		}
		if k := n.a.NumConns(); k != 0 {
			t.Errorf("%d connections left on the sender", k)
		}
		sent, _, _ := n.ab.stats()
		if sent > 200 {
			t.Errorf("sent %d packets", sent)
		}
	})
}

// Thousands of SYNs, valid and forged, from one peer: the listener keeps
// at most Backlog connections and nothing panics.
func TestSynFlood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		lc := linkConfig{latency: time.Millisecond}
		cfg := Config{Backlog: 16, MaxConns: 32}
		n := newTestNet(t, Config{}, cfg, lc, lc)
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		if _, err := n.b.Listen(0); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(9, 9))
		forged, valid := 0, 0
		for i := range 3000 {
			p := Packet{
				ReceiveStreamID: r.Uint32() | 1,
				Flags:           FlagSynchronize | FlagFromIncluded | FlagMaxPacketSizeIncl | FlagNoAck,
				From:            n.sa.dest,
				MaxPacketSize:   1812,
				NACKs:           HashNACKs(n.sb.dest.Hash()),
				Payload:         []byte("GET / HTTP/1.0\r\n\r\n"),
			}
			b, err := p.AppendSigned(nil, n.sa.signer)
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				b[len(b)-len(p.Payload)-1] ^= 1 // break the signature
				forged++
			} else {
				valid++
			}
			n.b.HandlePacket(1, 80, b)
			if i%3 == 0 {
				n.b.HandlePacket(1, 80, b) // duplicates too
			}
			if k := n.b.NumConns(); k > cfg.Backlog {
				t.Fatalf("after %d SYNs: %d connections, backlog %d", i+1, k, cfg.Backlog)
			}
		}
		if k := n.b.NumConns(); k != cfg.Backlog {
			t.Errorf("%d connections, want the backlog %d full", k, cfg.Backlog)
		}
		t.Logf("%d forged, %d valid SYNs: %d connections", forged, valid, n.b.NumConns())
	})
}

// Random bytes and mutated packets into HandlePacket: no panic.
func TestHandleGarbage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		go io.Copy(io.Discard, s)
		r := rand.New(rand.NewPCG(5, 6))
		valid := []byte{}
		n.ab.update(func(lc *linkConfig) {
			lc.drop = func(p *Packet) bool {
				if len(valid) == 0 {
					valid, _ = p.AppendBinary(nil)
				}
				return false
			}
		})
		c.Write([]byte("x"))
		synctest.Wait()
		st := c.Stats()
		for i := range 20000 {
			var b []byte
			switch i % 3 {
			case 0:
				b = make([]byte, r.IntN(600))
				for j := range b {
					b[j] = byte(r.Uint32())
				}
			case 1: // a valid packet with bytes flipped, aimed at the live stream
				b = bytes.Clone(valid)
				for range 1 + r.IntN(4) {
					b[r.IntN(len(b))] = byte(r.Uint32())
				}
			case 2: // the header of a live stream, random tail
				b = make([]byte, MinHeaderLen+r.IntN(100))
				for j := range b {
					b[j] = byte(r.Uint32())
				}
				b[0], b[1], b[2], b[3] = byte(st.PeerID>>24), byte(st.PeerID>>16), byte(st.PeerID>>8), byte(st.PeerID)
			}
			n.b.HandlePacket(uint16(r.Uint32()), uint16(r.Uint32()), b)
			n.a.HandlePacket(0, 0, b)
		}
	})
}

func TestHalfClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		lc := linkConfig{latency: 30 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		c, s := dialAccept(t, n)
		// The client sends a request and closes its write side.
		c.Write([]byte("request"))
		c.CloseWrite()
		if _, err := c.Write([]byte("more")); !errors.Is(err, ErrWriteClosed) {
			t.Errorf("Write after CloseWrite: %v", err)
		}
		req, err := io.ReadAll(s)
		if err != nil || string(req) != "request" {
			t.Fatalf("server read %q, %v", req, err)
		}
		// The server can still answer on its half.
		s.Write([]byte("response"))
		s.Close()
		resp, err := io.ReadAll(c)
		if err != nil || string(resp) != "response" {
			t.Fatalf("client read %q, %v", resp, err)
		}
		wait(time.Second)
		if n.a.NumConns()+n.b.NumConns() != 0 {
			t.Errorf("connections left: %d %d", n.a.NumConns(), n.b.NumConns())
		}
		c.Close()
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read after Close: %v", err)
		}
	})
}

func TestReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 30 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		c.Write([]byte("data"))
		buf := make([]byte, 4)
		if _, err := io.ReadFull(s, buf); err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { _, err := s.Read(buf); done <- err }()
		c.Reset()
		if err := <-done; !errors.Is(err, ErrReset) {
			t.Errorf("Read on reset stream: %v", err)
		}
		if _, err := s.Write(buf); !errors.Is(err, ErrReset) {
			t.Errorf("Write on reset stream: %v", err)
		}
		if _, err := c.Write(buf); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after our Reset: %v", err)
		}
		wait(time.Second)
		if n.a.NumConns()+n.b.NumConns() != 0 {
			t.Errorf("connections left")
		}
	})
}

// A forged RESET (bad signature) is ignored.
func TestForgedReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 10 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		_, mallory := newIdentity(t)
		sst := s.Stats()
		p := Packet{SendStreamID: sst.PeerID, ReceiveStreamID: sst.LocalID, SequenceNum: 5, Flags: FlagReset}
		b, _ := p.AppendSigned(nil, mallory)
		n.a.HandlePacket(80, 0, b)
		p.Flags = FlagClose
		b, _ = p.AppendSigned(nil, mallory)
		n.a.HandlePacket(80, 0, b)
		go func() { s.Write([]byte("still here")); s.Close() }()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "still here" {
			t.Fatalf("read %q, %v", got, err)
		}
	})
}

func TestRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 10 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer n.close()
		if _, err := n.b.Listen(22); err != nil {
			t.Fatal(err)
		}
		_, err := n.a.Dial(context.Background(), n.sb.dest, 80)
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("Dial to a closed port: %v", err)
		}
		if _, err := n.b.Listen(22); !errors.Is(err, ErrPortInUse) {
			t.Errorf("second Listen: %v", err)
		}
	})
}

func TestConnectTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		lc := linkConfig{latency: 10 * time.Millisecond, loss: 1}
		n := newTestNet(t, Config{ConnectTimeout: 20 * time.Second}, Config{}, lc, lc)
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		start := time.Now()
		_, err := n.a.Dial(context.Background(), n.sb.dest, 80)
		if !errors.Is(err, ErrConnectTimeout) {
			t.Fatalf("Dial: %v", err)
		}
		if d := time.Since(start); d != 20*time.Second {
			t.Errorf("Dial gave up after %v", d)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		if _, err := n.a.Dial(ctx, n.sb.dest, 80); !errors.Is(err, context.Canceled) {
			t.Errorf("Dial with canceled ctx: %v", err)
		}
		if k := n.a.NumConns(); k != 0 {
			t.Errorf("%d connections left", k)
		}
	})
}

func TestDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 10 * time.Millisecond}
		n := newTestNet(t, Config{SendBuffer: 8 << 10}, Config{ReceiveBuffer: 8 << 10}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		buf := make([]byte, 64<<10)

		start := time.Now()
		c.SetReadDeadline(start.Add(time.Second))
		_, err := c.Read(buf)
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("Read past deadline: %v", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Read returned after %v", d)
		}
		// Still past: fails at once. Cleared: works again.
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("second Read: %v", err)
		}
		c.SetReadDeadline(time.Time{})
		s.Write([]byte("ok"))
		if k, err := c.Read(buf); err != nil || string(buf[:k]) != "ok" {
			t.Errorf("Read after clearing: %q %v", buf[:k], err)
		}

		// Nobody reads at s: Write blocks once both buffers are full.
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		total := 0
		for {
			k, err := c.Write(buf)
			total += k
			if err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Write: %v", err)
				}
				break
			}
		}
		if total > 64<<10 {
			t.Errorf("wrote %d bytes into 8 KiB buffers", total)
		}
		// A deadline in the past interrupts a blocked Write.
		c.SetWriteDeadline(time.Time{})
		errc := make(chan error)
		go func() { _, err := c.Write(buf); errc <- err }()
		synctest.Wait()
		c.SetDeadline(time.Now().Add(-time.Second))
		if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("blocked Write: %v", err)
		}
		// The reader drains everything, and the choke lifts.
		c.SetDeadline(time.Time{})
		go func() { c.Write([]byte("tail")); c.Close() }()
		got, err := io.ReadAll(s)
		if err != nil || !bytes.HasSuffix(got, []byte("tail")) || len(got) != total+4 {
			t.Errorf("drained %d bytes (want %d), %v", len(got), total+4, err)
		}
	})
}

// A reader that stalls chokes the sender; memory stays within the
// receive buffer; reading resumes the flow.
func TestChoke(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 20 * time.Millisecond}
		const rb = 32 << 10
		n := newTestNet(t, Config{}, Config{ReceiveBuffer: rb}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		go func() {
			c.Write(make([]byte, 1<<20))
			c.Close()
		}()
		wait(10 * time.Second)
		s.mu.Lock()
		held, choking := s.readBytes+s.oooBytes, s.chokingPeer
		s.mu.Unlock()
		if held > rb || !choking {
			t.Errorf("receiver holds %d bytes (cap %d), choking %v", held, rb, choking)
		}
		if !c.Stats().Choked {
			t.Errorf("sender not choked")
		}
		got, err := io.ReadAll(s)
		if err != nil || len(got) != 1<<20 {
			t.Errorf("read %d, %v", len(got), err)
		}
	})
}

func TestListenerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 10 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer n.close()
		l, _ := n.b.Listen(80)
		c, err := n.a.Dial(context.Background(), n.sb.dest, 80)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error)
		go func() {
			_, err := c.Read(make([]byte, 1))
			errc <- err
		}()
		synctest.Wait()
		l.Close() // resets the unaccepted connection
		if err := <-errc; !errors.Is(err, ErrReset) {
			t.Errorf("Read: %v", err)
		}
		if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v", err)
		}
		if _, err := n.b.Listen(80); err != nil {
			t.Errorf("Listen after Close: %v", err)
		}
	})
}

func TestIdleAndKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 10 * time.Millisecond}
		cfg := Config{IdleTimeout: time.Minute, KeepAlive: 20 * time.Second}
		n := newTestNet(t, cfg, cfg, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		// Keepalives keep an idle but live stream open.
		wait(10 * time.Minute)
		if _, err := c.Write([]byte("alive")); err != nil {
			t.Fatalf("Write after 10 idle minutes: %v", err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(s, buf); err != nil {
			t.Fatal(err)
		}
		// Cut the link: the idle timeout (or the keepalive's resends) ends it.
		n.ab.update(func(lc *linkConfig) { lc.loss = 1 })
		n.ba.update(func(lc *linkConfig) { lc.loss = 1 })
		_, err := c.Read(buf)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Read on a dead link: %v", err)
		}
	})
}

func TestPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 25 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer n.close()
		rtt, err := n.a.Ping(context.Background(), n.sb.dest)
		if err != nil || rtt != 50*time.Millisecond {
			t.Fatalf("Ping: %v, %v", rtt, err)
		}
		n.b.cfg.NoPingReply = true
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := n.a.Ping(ctx, n.sb.dest); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Ping with replies off: %v", err)
		}
	})
}

func TestManagerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := runtime.NumGoroutine()
		lc := linkConfig{latency: 10 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer func() { n.close(); checkNoGoroutines(t, base) }()
		var conns []*Conn
		l, _ := n.b.Listen(80)
		for range 5 {
			c, err := n.a.Dial(context.Background(), n.sb.dest, 80)
			if err != nil {
				t.Fatal(err)
			}
			s, err := l.Accept()
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c.(*Conn), s.(*Conn))
		}
		n.a.Close()
		wait(time.Second)
		for i, c := range conns {
			_, err := c.Read(make([]byte, 1))
			if i%2 == 0 && !errors.Is(err, net.ErrClosed) || i%2 == 1 && !errors.Is(err, ErrReset) {
				t.Errorf("conn %d: Read %v", i, err)
			}
		}
		if _, err := n.a.Dial(context.Background(), n.sb.dest, 80); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Dial after Close: %v", err)
		}
		if n.a.NumConns()+n.b.NumConns() != 0 {
			t.Errorf("connections left")
		}
	})
}

func TestConfig(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil || c.MTU != 1812 || c.MaxWindow != 128 || c.InitialRTO != 9*time.Second {
		t.Errorf("defaults %+v, %v", c, err)
	}
	for _, bad := range []Config{{MTU: 10}, {MaxWindow: -1}, {SendBuffer: 100}, {MinRTO: time.Second, MaxRTO: time.Millisecond}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	d, s := newIdentity(t)
	m := NewManager(&testSession{dest: d, signer: s}, Config{MTU: 1}, nil)
	if _, err := m.Listen(1); err == nil {
		t.Error("Listen with a bad config")
	}
}
