//go:build interop

package interop

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The BOB tests: our BOB bridge's two kinds of tunnel against i2pd.
//   - outbound (outhost/outport): i2pd r4's SAM bridge opens a stream to
//     our tunnel's b32; the stream reaches a local TCP server here, which
//     first reads the peer's destination line (not quiet).
//   - inbound (inhost/inport): a local client sends an i2pd server
//     tunnel's b32 (on r3) to the tunnel's port, then talks to it.
// Each sends bobSize bytes both ways and checks their sha256.

const bobSize = 1 << 20

var bobB64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~")

// bobB32 is the b32 address of a base64 destination.
func bobB32(b64 string) (string, error) {
	b, err := bobB64.DecodeString(b64)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:])) + ".b32.i2p", nil
}

// bobSession is a BOB command session.
type bobSession struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialBOB(addr string) (*bobSession, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	s := &bobSession{c: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	for _, want := range []string{"BOB 00.00.10", "OK"} {
		l, err := s.r.ReadString('\n')
		if err != nil || strings.TrimSpace(l) != want {
			c.Close()
			return nil, fmt.Errorf("greeting %q, %v", l, err)
		}
	}
	c.SetDeadline(time.Time{})
	return s, nil
}

// do sends a command and returns its reply line.
func (s *bobSession) do(cmd string) string {
	s.t.Helper()
	s.c.SetDeadline(time.Now().Add(time.Minute))
	defer s.c.SetDeadline(time.Time{})
	if _, err := io.WriteString(s.c, cmd+"\n"); err != nil {
		s.t.Fatalf("BOB %q: %v", cmd, err)
	}
	l, err := s.r.ReadString('\n')
	if err != nil {
		s.t.Fatalf("BOB %q: %v", cmd, err)
	}
	return strings.TrimSuffix(l, "\n")
}

// ok sends a command that must succeed and returns what follows "OK".
func (s *bobSession) ok(cmd string) string {
	s.t.Helper()
	r := s.do(cmd)
	if r != "OK" && !strings.HasPrefix(r, "OK ") {
		s.t.Fatalf("BOB %q: %q", cmd, r)
	}
	return strings.TrimPrefix(strings.TrimPrefix(r, "OK"), " ")
}

// bobStartTunnel defines and starts a tunnel with 1-hop tunnels and
// returns its destination.
func bobStartTunnel(t *testing.T, s *bobSession, nick string, settings ...string) string {
	t.Helper()
	s.ok("setnick " + nick)
	dest := s.ok("newkeys")
	s.ok("option inbound.length=1 outbound.length=1 inbound.quantity=2 outbound.quantity=2")
	for _, c := range settings {
		s.ok(c)
	}
	if r := s.ok("start"); r != "Tunnel starting" {
		t.Errorf("start: OK %q", r)
	}
	return dest
}

// bobWaitRunning polls status until the tunnel is RUNNING.
func bobWaitRunning(t *testing.T, s *bobSession, nick string, since time.Time) {
	t.Helper()
	waitFor(t, 4*time.Minute, "BOB tunnel "+nick+" running", func() (bool, string) {
		st := s.ok("status " + nick)
		return strings.Contains(st, "RUNNING: true"), st
	})
	t.Logf("BOB tunnel %s running after %v", nick, time.Since(since).Round(100*time.Millisecond))
}

// bobExchange sends out on c while reading n bytes; it returns the sha256
// of what it read.
func bobExchange(c net.Conn, r io.Reader, out []byte, n int) ([32]byte, error) {
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(out)
		errc <- err
	}()
	h := sha256.New()
	_, rerr := io.CopyN(h, r, int64(n))
	if rerr != nil {
		c.Close()
	}
	werr := <-errc
	return [32]byte(h.Sum(nil)), errors.Join(rerr, werr)
}

// bobDataServer accepts one connection at a time on a free port; on each
// it reads the first line if firstLine, then sends its data while reading
// bobSize bytes, and reports the line and the received sha256.
type bobResult struct {
	line string
	sum  [32]byte
	err  error
}

func bobDataServer(t *testing.T, firstLine bool, data []byte) (int, chan bobResult) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	res := make(chan bobResult, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Minute))
				br := bufio.NewReader(c)
				var r bobResult
				if firstLine {
					if r.line, r.err = br.ReadString('\n'); r.err != nil {
						res <- r
						return
					}
				}
				r.sum, r.err = bobExchange(c, br, data, bobSize)
				res <- r
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, res
}

// i2pdSAMStream opens a STREAM session on i2pd's SAM bridge at addr and
// connects it to b32. It returns the stream, the session's private keys
// and a func closing the session.
func i2pdSAMStream(addr, b32 string) (net.Conn, *bufio.Reader, string, func(), error) {
	hello := func() (net.Conn, *bufio.Reader, error) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return nil, nil, err
		}
		br := bufio.NewReaderSize(c, 64<<10)
		c.SetDeadline(time.Now().Add(3 * time.Minute))
		io.WriteString(c, "HELLO VERSION MIN=3.1 MAX=3.1\n")
		if l, err := br.ReadString('\n'); err != nil || !strings.Contains(l, "RESULT=OK") {
			c.Close()
			return nil, nil, fmt.Errorf("HELLO: %q, %v", l, err)
		}
		return c, br, nil
	}
	sc, sbr, err := hello()
	if err != nil {
		return nil, nil, "", nil, err
	}
	var id [4]byte
	rand.Read(id[:])
	sid := fmt.Sprintf("bobtest-%x", id)
	io.WriteString(sc, "SESSION CREATE STYLE=STREAM ID="+sid+" DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0 inbound.length=1 outbound.length=1 inbound.quantity=2 outbound.quantity=2\n")
	l, err := sbr.ReadString('\n')
	if err != nil || !strings.Contains(l, "RESULT=OK") {
		sc.Close()
		return nil, nil, "", nil, fmt.Errorf("SESSION CREATE: %q, %v", l, err)
	}
	sc.SetDeadline(time.Time{})
	priv := ""
	for _, f := range strings.Fields(l) {
		if v, ok := strings.CutPrefix(f, "DESTINATION="); ok {
			priv = v
		}
	}
	closeSession := func() { sc.Close() }
	c, br, err := hello()
	if err != nil {
		closeSession()
		return nil, nil, "", nil, err
	}
	io.WriteString(c, "STREAM CONNECT ID="+sid+" DESTINATION="+b32+" SILENT=false\n")
	l, err = br.ReadString('\n')
	if err != nil || !strings.Contains(l, "RESULT=OK") {
		c.Close()
		closeSession()
		return nil, nil, "", nil, fmt.Errorf("STREAM CONNECT: %q, %v", strings.TrimSpace(l), err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	return c, br, priv, closeSession, nil
}

func TestBOB(t *testing.T) {
	// The i2pd server tunnel for the inbound test takes a while: start it
	// first.
	srvData := make([]byte, bobSize)
	rand.Read(srvData)
	srvPort, srvRes := bobDataServer(t, false, srvData)
	type made struct {
		b32 string
		err error
	}
	i2pdSrv := make(chan made, 1)
	go func() {
		b32, err := i2pdServer(3, "bobsrv", srvPort, "server")
		i2pdSrv <- made{b32, err}
	}()
	t.Cleanup(func() { <-i2pdSrv }) // the i2pd-net command has ended

	bobPort := freePort(t)
	start := time.Now()
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: fmt.Sprintf("bob:\n  enabled: true\n  listen: 127.0.0.1:%d\n", bobPort)})
	bobAddr := fmt.Sprintf("127.0.0.1:%d", bobPort)
	waitFor(t, time.Minute, "i2pgo BOB bridge greets", func() (bool, string) {
		s, err := dialBOB(bobAddr)
		if err != nil {
			return false, err.Error()
		}
		s.c.Close()
		return true, ""
	})
	n.waitJoined(t, 2*time.Minute)
	t.Logf("i2pgo up and joined after %v", time.Since(start).Round(100*time.Millisecond))

	s, err := dialBOB(bobAddr)
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	defer s.c.Close()

	// Outbound: streams from I2P to a local server.
	outData := make([]byte, bobSize)
	rand.Read(outData)
	outPort, outRes := bobDataServer(t, true, outData)
	started := time.Now()
	outDest := bobStartTunnel(t, s, "bobout", "outhost 127.0.0.1", fmt.Sprintf("outport %d", outPort))
	// Inbound: a local port whose connections go to I2P.
	inPort := freePort(t)
	bobStartTunnel(t, s, "bobin", "inhost 127.0.0.1", fmt.Sprintf("inport %d", inPort))
	bobWaitRunning(t, s, "bobout", started)
	bobWaitRunning(t, s, "bobin", started)
	if l := s.do("list"); !strings.HasPrefix(l, "DATA NICKNAME: bobin ") {
		t.Errorf("list: %q", l)
	}
	s.r.ReadString('\n')
	if l, _ := s.r.ReadString('\n'); l != "OK Listing done\n" {
		t.Errorf("list end: %q", l)
	}

	t.Run("Outbound", func(t *testing.T) {
		b32, err := bobB32(outDest)
		if err != nil {
			t.Fatal(err)
		}
		cliData := make([]byte, bobSize)
		rand.Read(cliData)
		begin := time.Now()
		var last error
		deadline := time.Now().Add(3 * time.Minute)
		for try := 1; ; try++ {
			c, br, priv, closeSession, err := i2pdSAMStream(fmt.Sprintf("127.0.0.1:%d", mustAtoi(netBase)+456), b32)
			if err != nil {
				last = err
				if time.Now().After(deadline) {
					t.Fatalf("i2pd r4 SAM to %s: %v", b32, last)
				}
				t.Logf("try %d: %v", try, err)
				time.Sleep(3 * time.Second)
				continue
			}
			t0 := time.Now()
			sum, err := bobExchange(c, br, cliData, bobSize)
			if err != nil {
				c.Close()
				closeSession()
				t.Fatalf("stream through the BOB outbound tunnel: %v", err)
			}
			if sum != sha256.Sum256(outData) {
				t.Fatal("data from the BOB outbound tunnel's server differs")
			}
			// Keep the stream and the session until the server has
			// everything: i2pd drops a closed session's unsent data.
			var r bobResult
			select {
			case r = <-outRes:
			case <-time.After(2 * time.Minute):
				t.Fatal("local server reported nothing")
			}
			c.Close()
			closeSession()
			if r.err != nil {
				t.Fatalf("local server: %v", r.err)
			}
			if r.sum != sha256.Sum256(cliData) {
				t.Fatal("data reaching the local server differs")
			}
			// The first line is the peer's destination: a prefix of its
			// private keys.
			peer := strings.TrimSuffix(r.line, "\n")
			pb, err1 := bobB64.DecodeString(peer)
			kb, err2 := bobB64.DecodeString(priv)
			if err1 != nil || err2 != nil || len(pb) < 387 || !bytes.HasPrefix(kb, pb) {
				t.Errorf("first line %.40q... is not the peer's destination (%v, %v)", peer, err1, err2)
			}
			t.Logf("outbound: %d bytes each way in %v (first stream after %v, try %d)", bobSize, time.Since(t0).Round(time.Millisecond), time.Since(begin).Round(100*time.Millisecond), try)
			break
		}
	})

	t.Run("Inbound", func(t *testing.T) {
		var m made
		select {
		case m = <-i2pdSrv:
			i2pdSrv <- m
		case <-time.After(10 * time.Minute):
			t.Fatal("i2pd-net server did not finish")
		}
		if m.err != nil || !strings.HasSuffix(m.b32, ".b32.i2p") {
			t.Fatalf("i2pd-net server: %q, %v", m.b32, m.err)
		}
		cliData := make([]byte, bobSize)
		rand.Read(cliData)
		begin := time.Now()
		deadline := time.Now().Add(3 * time.Minute)
		for try := 1; ; try++ {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", inPort), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Minute))
			t0 := time.Now()
			io.WriteString(c, m.b32+"\n")
			sum, err := bobExchange(c, c, cliData, bobSize)
			c.Close()
			if err != nil {
				// The stream failed (LeaseSet not found yet, or i2pd
				// dropped it): the server may have seen part of it.
				select {
				case <-srvRes:
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("inbound tunnel to %s: %v", m.b32, err)
				}
				t.Logf("try %d: %v", try, err)
				time.Sleep(3 * time.Second)
				continue
			}
			if sum != sha256.Sum256(srvData) {
				t.Fatal("data from the i2pd server tunnel differs")
			}
			select {
			case r := <-srvRes:
				if r.err != nil || r.sum != sha256.Sum256(cliData) {
					t.Fatalf("i2pd server tunnel's local server: %v, sha256 match %v", r.err, r.sum == sha256.Sum256(cliData))
				}
			case <-time.After(time.Minute):
				t.Fatal("local server behind i2pd reported nothing")
			}
			t.Logf("inbound: %d bytes each way in %v (first stream after %v, try %d)", bobSize, time.Since(t0).Round(time.Millisecond), time.Since(begin).Round(100*time.Millisecond), try)
			break
		}
		// The bridge's lookup finds it too (the router has its LeaseSet
		// now).
		if d := s.do("lookup " + m.b32); !strings.HasPrefix(d, "OK ") {
			t.Errorf("lookup %s: %q", m.b32, d)
		} else if b, _ := bobB32(strings.TrimPrefix(d, "OK ")); b != m.b32 {
			t.Errorf("lookup %s gave the destination of %s", m.b32, b)
		}
	})

	// stop and clear end both tunnels.
	for _, nick := range []string{"bobout", "bobin"} {
		s.ok("getnick " + nick)
		if r := s.ok("stop"); r != "Tunnel stopping" {
			t.Errorf("stop %s: %q", nick, r)
		}
		s.ok("clear")
	}
	if r := s.do("list"); r != "OK Listing done" {
		t.Errorf("list after clear: %q", r)
	}
	if _, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", inPort), time.Second); err == nil {
		t.Error("inport still open after stop")
	}
	s.ok("quit")
}

func mustAtoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
