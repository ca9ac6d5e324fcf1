package sam

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bad input, one test each: the bridge answers RESULT=<error> with a
// MESSAGE (or the spec's bare code), or closes the socket cleanly; it
// never panics, and newEnv's cleanup checks that no session, destination
// or goroutine is left.

// TestMalformedCommands: lines that are not commands, or commands with
// missing or bad values, on a socket after HELLO. After each, the socket
// either still answers PING or was closed (where the stream cannot be
// resynchronized: a DATAGRAM SEND without a usable SIZE, or a STREAM
// command, which hands the socket over).
func TestMalformedCommands(t *testing.T) {
	e := newEnv(t, Config{})
	e.session("DATAGRAM", "d", "")
	for _, tc := range []struct {
		in, want string
		closes   bool
	}{
		{"", "", false}, // ignored
		{"   \t ", "", false},
		{"\x00\x01\x02", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="malformed command: control character in line"`, false},
		{"\xff\xfe SESSION", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="unknown command`, false},
		{"KEY=VALUE", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="malformed command: bad verb"`, false},
		{"SESSION", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="unknown command SESSION"`, false},
		{"STREAM", `STREAM STATUS RESULT=I2P_ERROR MESSAGE="unknown command STREAM"`, false},
		{"NAMING", `NAMING REPLY RESULT=I2P_ERROR MESSAGE="unknown command NAMING"`, false},
		{"DATAGRAM", `DATAGRAM STATUS RESULT=I2P_ERROR MESSAGE="unknown command DATAGRAM"`, false},
		{"HELLO", `HELLO REPLY RESULT=I2P_ERROR MESSAGE="unknown command HELLO"`, false},
		{`SESSION CREATE STYLE=STREAM ID="a b DESTINATION=TRANSIENT`, `SESSION STATUS RESULT=I2P_ERROR MESSAGE="malformed command: unterminated quote"`, false},
		{"SESSION CREATE STYLE=STREAM ID=x DESTINATION=TRANSIENT SIGNATURE_TYPE=abc", `SESSION STATUS RESULT=I2P_ERROR MESSAGE=`, false},
		{"SESSION CREATE STYLE=RAW ID=x DESTINATION=TRANSIENT PORT=99999", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="bad PORT=99999"`, false},
		{"SESSION REMOVE ID=nope", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="SESSION REMOVE needs a PRIMARY session on this socket"`, false},
		{"DEST GENERATE SIGNATURE_TYPE=bogus", `DEST REPLY RESULT=I2P_ERROR MESSAGE="unsupported signature type: \"bogus\""`, false},
		{"STREAM CONNECT ID=d DESTINATION=x TO_PORT=abc", `STREAM STATUS RESULT=I2P_ERROR MESSAGE="session d is DATAGRAM, not STREAM"`, true},
		{"STREAM FORWARD ID=d PORT=99999", `STREAM STATUS RESULT=I2P_ERROR MESSAGE=`, true},
		{"DATAGRAM SEND", `DATAGRAM STATUS RESULT=I2P_ERROR MESSAGE="missing or bad SIZE"`, true},
		{"DATAGRAM SEND DESTINATION=x SIZE=abc", `DATAGRAM STATUS RESULT=I2P_ERROR MESSAGE="missing or bad SIZE"`, true},
		{"DATAGRAM SEND DESTINATION=x SIZE=99999999", `DATAGRAM STATUS RESULT=I2P_ERROR MESSAGE="missing or bad SIZE"`, true},
		{"RAW SEND DESTINATION=x SIZE=0", `RAW STATUS RESULT=I2P_ERROR MESSAGE="missing or bad SIZE"`, true},
	} {
		c := e.hello()
		c.send(tc.in + "\nPING after\n")
		if tc.want != "" {
			if got := c.line(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
			}
		}
		if tc.closes {
			if !c.closed() {
				t.Errorf("%q: socket left open", tc.in)
			}
		} else if got := c.line(); got != "PONG after" {
			t.Errorf("%q: then PING: %q", tc.in, got)
		}
		c.c.Close()
	}
	waitFor(t, "only session d", func() bool { return e.b.NumSessions() == 1 })
}

// TestUnknownSessionIDs: every command that names a session, with an ID
// that no session has (or none at all).
func TestUnknownSessionIDs(t *testing.T) {
	e := newEnv(t, Config{})
	_, destA := e.session("STREAM", "a", "")
	p := e.hello()
	if got := p.cmd("SESSION CREATE STYLE=PRIMARY ID=p DESTINATION=TRANSIENT"); !strings.HasPrefix(got, "SESSION STATUS RESULT=OK") {
		t.Fatal(got)
	}
	for _, in := range []string{
		"STREAM CONNECT ID=nope DESTINATION=" + destA,
		"STREAM CONNECT DESTINATION=" + destA,
		"STREAM CONNECT ID= DESTINATION=" + destA,
		"STREAM ACCEPT ID=nope",
		"STREAM ACCEPT",
		"STREAM FORWARD ID=nope PORT=1234",
	} {
		c := e.hello()
		if got := c.cmd(in); !strings.HasPrefix(got, "STREAM STATUS RESULT=INVALID_ID") {
			t.Errorf("%.40q: %q", in, got)
		}
		if !c.closed() {
			t.Errorf("%.40q: socket left open", in)
		}
	}
	// SESSION REMOVE of a subsession that is not there.
	if got := p.cmd("SESSION REMOVE ID=nope"); !strings.HasPrefix(got, "SESSION STATUS RESULT=INVALID_ID") {
		t.Errorf("SESSION REMOVE ID=nope: %q", got)
	}
	if got := p.cmd("SESSION REMOVE ID=a"); !strings.HasPrefix(got, "SESSION STATUS RESULT=INVALID_ID") {
		t.Errorf("SESSION REMOVE of another socket's session: %q", got)
	}
	if n := e.b.NumSessions(); n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
}

// TestDuplicateSessionIDs: sockets racing to create sessions with one ID;
// exactly one wins, the others get DUPLICATED_ID, and when the winner's
// socket closes the ID is free again.
func TestDuplicateSessionIDs(t *testing.T) {
	e := newEnv(t, Config{})
	const n = 8
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = e.hello()
	}
	replies := make([]string, n)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			c.c.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(c.c, "SESSION CREATE STYLE=STREAM ID=same DESTINATION=TRANSIENT\n")
			replies[i], _ = c.r.ReadString('\n')
		})
	}
	wg.Wait()
	winner := -1
	for i, r := range replies {
		switch {
		case strings.HasPrefix(r, "SESSION STATUS RESULT=OK DESTINATION="):
			if winner >= 0 {
				t.Errorf("sockets %d and %d both created ID=same", winner, i)
			}
			winner = i
		case r != "SESSION STATUS RESULT=DUPLICATED_ID\n":
			t.Errorf("socket %d: %q", i, r)
		}
	}
	if winner < 0 {
		t.Fatal("no socket created ID=same")
	}
	if got := e.b.NumSessions(); got != 1 {
		t.Errorf("%d sessions, want 1", got)
	}
	if got := e.n.numDests(); got != 1 {
		t.Errorf("%d destinations, want 1", got)
	}
	clients[winner].c.Close()
	waitFor(t, "the session to close", func() bool { return e.b.NumSessions() == 0 })
	e.session("STREAM", "same", "")
}

// TestLongLines: lines of 100 kB, before HELLO, on a socket without a
// session and on a session's socket, and a SIZE beyond the datagram
// maximum: I2P_ERROR with a MESSAGE, then the socket is closed, and a
// session whose socket it was is gone with its destination.
func TestLongLines(t *testing.T) {
	e := newEnv(t, Config{})
	long := strings.Repeat("x", 100<<10)
	c := e.dial()
	c.send("HELLO VERSION " + long + "\n")
	if got := c.line(); got != `HELLO REPLY RESULT=I2P_ERROR MESSAGE="command line too long"` {
		t.Errorf("long HELLO: %q", got)
	}
	if !c.closed() {
		t.Error("socket left open after a long HELLO")
	}
	c = e.hello()
	c.send("PING " + long + "\n")
	if got := c.line(); got != `SESSION STATUS RESULT=I2P_ERROR MESSAGE="command line too long"` {
		t.Errorf("long PING: %q", got)
	}
	if !c.closed() {
		t.Error("socket left open after a long PING")
	}
	s, _ := e.session("DATAGRAM", "d", "")
	s.send("DATAGRAM SEND DESTINATION=" + long + " SIZE=1\nx")
	if got := s.line(); got != `SESSION STATUS RESULT=I2P_ERROR MESSAGE="command line too long"` {
		t.Errorf("long DATAGRAM SEND: %q", got)
	}
	if !s.closed() {
		t.Error("session socket left open after a long line")
	}
	waitFor(t, "session d to close", func() bool { return e.b.NumSessions() == 0 && e.n.numDests() == 0 })
	s, destB := e.session("DATAGRAM", "d2", "")
	s.send(fmt.Sprintf("DATAGRAM SEND DESTINATION=%s SIZE=%d\n", destB, 100<<10))
	if got := s.line(); got != `DATAGRAM STATUS RESULT=I2P_ERROR MESSAGE="missing or bad SIZE"` {
		t.Errorf("SIZE of 100 kB: %q", got)
	}
	if !s.closed() {
		t.Error("session socket left open after a bad SIZE")
	}
}

// TestClientVanishesMidStream: the accepting client resets its socket in
// the middle of a stream; the connecting client sees the stream end, and
// nothing is left behind. (TestClientVanishes has the connecting side.)
func TestClientVanishesMidStream(t *testing.T) {
	e := newEnv(t, Config{})
	e.session("STREAM", "a", "")
	_, destB := e.session("STREAM", "b", "")
	acc := e.hello()
	if got := acc.cmd("STREAM ACCEPT ID=b"); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	con := e.hello()
	if got := con.cmd("STREAM CONNECT ID=a DESTINATION=" + destB); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	acc.line()
	// Data flows one way, then the acceptor vanishes while more is sent.
	con.send(strings.Repeat("y", 50000))
	buf := make([]byte, 1000)
	acc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := acc.r.Read(buf); err != nil {
		t.Fatal(err)
	}
	acc.c.(*net.TCPConn).SetLinger(0)
	acc.c.Close()
	con.c.SetDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, err := con.c.Write(buf); err != nil {
			break
		}
		if _, err := con.r.Read(buf); err != nil {
			break // the bridge closed the connector's socket
		}
	}
}

// TestClientVanishesMidCommand: a client that closes its socket while
// SESSION CREATE waits for tunnels, or while STREAM CONNECT waits for the
// peer, ends the wait at once; no session or destination is left.
func TestClientVanishesMidCommand(t *testing.T) {
	e := newEnv(t, Config{})
	_, destB := e.session("STREAM", "b", "")
	e.session("STREAM", "a", "")
	e.n.mu.Lock()
	e.n.hold = make(chan struct{})
	e.n.mu.Unlock()
	defer close(e.n.hold)

	c := e.hello()
	c.send("SESSION CREATE STYLE=STREAM ID=gone DESTINATION=TRANSIENT\n")
	waitFor(t, "SESSION CREATE to wait for tunnels", func() bool { return e.n.numHolding() == 1 })
	c.c.Close()
	waitFor(t, "SESSION CREATE to give up", func() bool { return e.n.numHolding() == 0 })
	if e.b.lookupSession("gone") != nil {
		t.Error("session gone is registered after its socket closed")
	}

	c = e.hello()
	c.send("STREAM CONNECT ID=a DESTINATION=" + destB + "\n")
	waitFor(t, "STREAM CONNECT to wait for the peer", func() bool { return e.n.numHolding() == 1 })
	c.c.Close()
	waitFor(t, "STREAM CONNECT to give up", func() bool { return e.n.numHolding() == 0 })
	if n := e.b.NumSessions(); n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
}
