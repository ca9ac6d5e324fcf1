package sam

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

func TestHello(t *testing.T) {
	e := newEnv(t, Config{})
	for _, tc := range []struct{ in, want string }{
		{"HELLO VERSION", "HELLO REPLY RESULT=OK VERSION=3.3"},
		{"HELLO VERSION MIN=3.0 MAX=3.1", "HELLO REPLY RESULT=OK VERSION=3.1"},
		{"HELLO VERSION MIN=3.1 MAX=3.2\r", "HELLO REPLY RESULT=OK VERSION=3.2"},
		{"hello version   max=3", "HELLO REPLY RESULT=OK VERSION=3.3"},
		{"HELLO VERSION MAX=3", "HELLO REPLY RESULT=OK VERSION=3.3"},
		{"HELLO VERSION MIN=3", "HELLO REPLY RESULT=OK VERSION=3.3"},
		{"HELLO VERSION MIN=3.1 MAX=4.0", "HELLO REPLY RESULT=OK VERSION=3.3"},
		{"HELLO VERSION MIN=3.4", "HELLO REPLY RESULT=NOVERSION"},
		{"HELLO VERSION MIN=1.0 MAX=2.0", "HELLO REPLY RESULT=NOVERSION"},
		{"HELLO VERSION MIN=3.2 MAX=3.1", "HELLO REPLY RESULT=NOVERSION"},
		{"HELLO VERSION MAX=x.y", `HELLO REPLY RESULT=I2P_ERROR MESSAGE="bad version x.y"`},
		{"SESSION CREATE STYLE=STREAM", `HELLO REPLY RESULT=I2P_ERROR MESSAGE="expected HELLO VERSION"`},
		{`HELLO VERSION MIN="3.0`, `HELLO REPLY RESULT=I2P_ERROR MESSAGE="malformed command: unterminated quote"`},
	} {
		c := e.dial()
		if got := c.cmd(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
		if !strings.Contains(tc.want, "RESULT=OK") && !c.closed() {
			t.Errorf("%q: socket left open after failure", tc.in)
		}
	}
}

func TestHelloAuth(t *testing.T) {
	e := newEnv(t, Config{User: "alice", Password: `p "w"`})
	c := e.dial()
	if got := c.cmd(`HELLO VERSION USER=alice PASSWORD="p \"w\""`); got != "HELLO REPLY RESULT=OK VERSION=3.3" {
		t.Errorf("good password: %q", got)
	}
	for _, in := range []string{"HELLO VERSION", "HELLO VERSION USER=alice PASSWORD=pw", `HELLO VERSION USER=bob PASSWORD="p \"w\""`} {
		c := e.dial()
		if got := c.cmd(in); got != `HELLO REPLY RESULT=I2P_ERROR MESSAGE="authorization failed"` {
			t.Errorf("%q: %q", in, got)
		}
	}
}

func TestPingQuit(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.hello()
	if got := c.cmd("PING 12345 abc"); got != "PONG 12345 abc" {
		t.Errorf("PING: %q", got)
	}
	if got := c.cmd("PING"); got != "PONG" {
		t.Errorf("PING: %q", got)
	}
	c.send("PONG whatever\n")
	if got := c.cmd("FOO BAR"); got != `SESSION STATUS RESULT=I2P_ERROR MESSAGE="unknown command FOO BAR"` {
		t.Errorf("unknown: %q", got)
	}
	c.send("QUIT\n")
	if !c.closed() {
		t.Error("QUIT left the socket open")
	}
}

// pump sends n random bytes on w and checks that r gives back the same,
// in both directions at once, then half-closes.
func exchange(t *testing.T, a, b net.Conn, ar, br io.Reader, n int) {
	t.Helper()
	var wg sync.WaitGroup
	check := func(name string, w net.Conn, r io.Reader) {
		defer wg.Done()
		payload := make([]byte, n)
		rand.Read(payload)
		want := sha256.Sum256(payload)
		var werr error
		wdone := make(chan struct{})
		go func() {
			defer close(wdone)
			_, werr = w.Write(payload)
			w.(*net.TCPConn).CloseWrite()
		}()
		h := sha256.New()
		got, err := io.Copy(h, r)
		<-wdone
		if werr != nil || err != nil || got != int64(n) || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Errorf("%s: %d bytes, write err %v, read err %v, hash match %v", name, got, werr, err,
				bytes.Equal(h.Sum(nil), want[:]))
		}
	}
	a.SetDeadline(time.Now().Add(20 * time.Second))
	b.SetDeadline(time.Now().Add(20 * time.Second))
	wg.Add(2)
	go check("a->b", a, br)
	go check("b->a", b, ar)
	wg.Wait()
}

func TestStreamConnectAccept(t *testing.T) {
	e := newEnv(t, Config{})
	_, destA := e.session("STREAM", "a", "inbound.quantity=3 i2cp.leaseSetEncType=4,0")
	_, destB := e.session("STREAM", "b", "")
	if got := e.n.cfgs[0].Options; got["inbound.quantity"] != "3" || got["i2cp.leaseSetEncType"] != "4,0" || len(got) != 2 {
		t.Errorf("options passed to the router: %v", got)
	}
	if !e.n.cfgs[0].Transient {
		t.Error("TRANSIENT not reported")
	}
	bDest, _ := data.DestinationFromBase64(destB)
	e.n.mu.Lock()
	e.n.names["b.i2p"] = bDest
	e.n.mu.Unlock()

	for _, target := range []string{destB, "b.i2p", bDest.B32()} {
		acc := e.hello()
		if got := acc.cmd("STREAM ACCEPT ID=b"); got != "STREAM STATUS RESULT=OK" {
			t.Fatalf("ACCEPT: %q", got)
		}
		con := e.hello()
		if got := con.cmd("STREAM CONNECT ID=a DESTINATION=" + target + " FROM_PORT=1234 TO_PORT=80"); got != "STREAM STATUS RESULT=OK" {
			t.Fatalf("CONNECT %s: %q", target[:8], got)
		}
		if got, want := acc.line(), destA+" FROM_PORT=1234 TO_PORT=80"; got != want {
			t.Fatalf("ACCEPT peer line %q, want %q", got, want)
		}
		exchange(t, con.c, acc.c, con.r, acc.r, 300<<10)
	}

	// SILENT on both sides: no STATUS, no peer line; data sent right after
	// CONNECT is not lost.
	acc := e.hello()
	acc.send("STREAM ACCEPT ID=b SILENT=true\n")
	con := e.hello()
	con.send("STREAM CONNECT ID=a SILENT=true DESTINATION=" + destB + "\nhello")
	buf := make([]byte, 5)
	acc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(acc.r, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("silent stream: %q %v", buf, err)
	}
	exchange(t, con.c, acc.c, con.r, acc.r, 1000)
}

func TestConcurrentAccept(t *testing.T) {
	e := newEnv(t, Config{})
	e.session("STREAM", "a", "")
	_, destB := e.session("STREAM", "b", "")
	// An ACCEPT whose client leaves must not swallow a stream.
	gone := e.hello()
	if got := gone.cmd("STREAM ACCEPT ID=b"); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	gone.c.Close()
	var accs []*client
	for range 3 {
		acc := e.hello()
		if got := acc.cmd("STREAM ACCEPT ID=b"); got != "STREAM STATUS RESULT=OK" {
			t.Fatal(got)
		}
		accs = append(accs, acc)
	}
	var cons []*client
	for range 3 {
		con := e.hello()
		if got := con.cmd("STREAM CONNECT ID=a DESTINATION=" + destB); got != "STREAM STATUS RESULT=OK" {
			t.Fatal(got)
		}
		cons = append(cons, con)
	}
	// Each connector says who it is; each acceptor must see one of them.
	seen := make(map[string]bool)
	for i, con := range cons {
		con.send(fmt.Sprintf("conn%d\n", i))
	}
	for _, acc := range accs {
		acc.line() // peer line
		seen[acc.line()] = true
	}
	if len(seen) != 3 {
		t.Errorf("acceptors saw %v", seen)
	}
}

func TestStreamForward(t *testing.T) {
	e := newEnv(t, Config{})
	// The session's FROM_PORT is the default of its CONNECTs.
	_, destA := e.session("STREAM", "a", "FROM_PORT=1234")
	_, destB := e.session("STREAM", "b", "")
	for _, silent := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		fwd := e.hello()
		if got := fwd.cmd(fmt.Sprintf("STREAM FORWARD ID=b PORT=%d HOST=127.0.0.1 SILENT=%v", port, silent)); got != "STREAM STATUS RESULT=OK" {
			t.Fatalf("FORWARD: %q", got)
		}
		// A second FORWARD or an ACCEPT is refused while it runs.
		if got := e.hello().cmd("STREAM ACCEPT ID=b"); !strings.HasPrefix(got, "STREAM STATUS RESULT=I2P_ERROR MESSAGE=") {
			t.Errorf("ACCEPT during FORWARD: %q", got)
		}
		con := e.hello()
		if got := con.cmd("STREAM CONNECT ID=a TO_PORT=7 DESTINATION=" + destB); got != "STREAM STATUS RESULT=OK" {
			t.Fatalf("CONNECT: %q", got)
		}
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
		lc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		lr := io.Reader(lc)
		if !silent {
			br := &client{t: t, c: lc, r: newBufReader(lc)}
			if got, want := br.line(), destA+" FROM_PORT=1234 TO_PORT=7"; got != want {
				t.Errorf("forwarded peer line %q, want %q", got, want)
			}
			lr = br.r
		}
		exchange(t, con.c, lc, con.r, lr, 100<<10)
		lc.Close()
		ln.Close()
		fwd.c.Close()
		// The FORWARD ends with its socket; ACCEPT works again.
		waitFor(t, "forward to end", func() bool {
			s := e.b.lookupSession("b")
			s.mu.Lock()
			defer s.mu.Unlock()
			return !s.forwarding
		})
	}
}

func TestStreamErrors(t *testing.T) {
	e := newEnv(t, Config{})
	e.session("STREAM", "a", "")
	e.session("DATAGRAM", "d", "")
	for _, tc := range []struct{ in, want string }{
		{"STREAM CONNECT ID=nope DESTINATION=x.i2p", "STREAM STATUS RESULT=INVALID_ID"},
		{"STREAM ACCEPT ID=nope", "STREAM STATUS RESULT=INVALID_ID"},
		{"STREAM CONNECT ID=a DESTINATION=unknown.i2p", `STREAM STATUS RESULT=INVALID_KEY MESSAGE="KEY_NOT_FOUND: fake: not found"`},
		{"STREAM CONNECT ID=a DESTINATION=" + strings.Repeat("A", 600), "STREAM STATUS RESULT=INVALID_KEY MESSAGE="},
		{"STREAM CONNECT ID=d DESTINATION=x.i2p", `STREAM STATUS RESULT=I2P_ERROR MESSAGE="session d is DATAGRAM, not STREAM"`},
		{"STREAM FORWARD ID=a", `STREAM STATUS RESULT=I2P_ERROR MESSAGE="missing PORT"`},
	} {
		c := e.hello()
		if got := c.cmd(tc.in); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%.40q: got %q, want %q", tc.in, got, tc.want)
		}
		if !c.closed() {
			t.Errorf("%.40q: socket left open", tc.in)
		}
	}
	// CONNECT to a destination that does not listen.
	k, _ := GenerateKeys(SigEd25519, 0, rand.Reader)
	d, _ := e.n.NewDestination(t.Context(), DestinationConfig{Keys: k})
	defer d.Close()
	c := e.hello()
	if got := c.cmd("STREAM CONNECT ID=a DESTINATION=" + k.Destination.Base64()); got != `STREAM STATUS RESULT=CANT_REACH_PEER MESSAGE="fake: connection refused"` {
		t.Errorf("refused: %q", got)
	}
}

func TestDatagramsOnSocket(t *testing.T) {
	e := newEnv(t, Config{})
	for _, st := range []string{"DATAGRAM", "DATAGRAM2", "DATAGRAM3"} {
		a, destA := e.session(st, "a"+st, "FROM_PORT=11 TO_PORT=22")
		b, destB := e.session(st, "b"+st, "")
		payload := "hello\nworld\x00"
		a.send(fmt.Sprintf("DATAGRAM SEND DESTINATION=%s SIZE=%d\n%s", destB, len(payload), payload))
		want := destA
		if st == "DATAGRAM3" {
			d, _ := data.DestinationFromBase64(destA)
			h := d.Hash()
			want = data.Base64Encode(h[:])
		}
		if got, w := b.line(), fmt.Sprintf("DATAGRAM RECEIVED DESTINATION=%s SIZE=%d FROM_PORT=11 TO_PORT=22", want, len(payload)); got != w {
			t.Fatalf("%s: %q, want %q", st, got, w)
		}
		buf := make([]byte, len(payload))
		if _, err := io.ReadFull(b.r, buf); err != nil || string(buf) != payload {
			t.Fatalf("%s payload %q %v", st, buf, err)
		}
		// Per-datagram ports override the session's; the socket stays usable.
		a.send(fmt.Sprintf("DATAGRAM SEND DESTINATION=%s SIZE=1 FROM_PORT=5 TO_PORT=6\nx", destB))
		if got := b.line(); !strings.HasSuffix(got, "SIZE=1 FROM_PORT=5 TO_PORT=6") {
			t.Errorf("%s: %q", st, got)
		}
		b.r.ReadByte()
		if got := a.cmd("NAMING LOOKUP NAME=ME"); got != "NAMING REPLY RESULT=OK NAME=ME VALUE="+destA {
			t.Errorf("after send: %q", got)
		}
	}

	// RAW, with the protocol.
	a, _ := e.session("RAW", "ra", "PROTOCOL=200")
	b, destB := e.session("RAW", "rb", "PROTOCOL=200")
	a.send("RAW SEND DESTINATION=" + destB + " SIZE=3 TO_PORT=9\nabc")
	if got := b.line(); got != "RAW RECEIVED SIZE=3 FROM_PORT=0 TO_PORT=9 PROTOCOL=200" {
		t.Errorf("RAW: %q", got)
	}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(b.r, buf); err != nil || string(buf) != "abc" {
		t.Errorf("RAW payload %q %v", buf, err)
	}
	// A raw datagram of another protocol is not for rb.
	a.send("RAW SEND DESTINATION=" + destB + " SIZE=3 PROTOCOL=201\nabc")
	if got := b.cmd("PING"); got != "PONG" {
		t.Errorf("protocol 201 delivered: %q", got)
	}
	// Errors.
	if got := a.cmd("DATAGRAM SEND DESTINATION=" + destB + " SIZE=1\nx"); got != `DATAGRAM STATUS RESULT=I2P_ERROR MESSAGE="DATAGRAM SEND on a RAW session"` {
		t.Errorf("DATAGRAM SEND on RAW: %q", got)
	}
	if got := a.cmd("RAW SEND DESTINATION=nowhere.i2p SIZE=1\nx"); !strings.HasPrefix(got, "RAW STATUS RESULT=INVALID_KEY") {
		t.Errorf("unknown destination: %q", got)
	}
	if got := a.cmd("RAW SEND DESTINATION=" + destB + " SIZE=1 PROTOCOL=6\nx"); got != `RAW STATUS RESULT=I2P_ERROR MESSAGE="PROTOCOL=6 not allowed"` {
		t.Errorf("protocol 6: %q", got)
	}
	if got := a.cmd("RAW SEND DESTINATION=" + destB + " SIZE=zz"); got != `RAW STATUS RESULT=I2P_ERROR MESSAGE="missing or bad SIZE"` || !a.closed() {
		t.Errorf("bad SIZE: %q", got)
	}
}

func TestDatagramsOverUDP(t *testing.T) {
	e := newEnv(t, Config{})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	udpDone := make(chan error, 1)
	go func() { udpDone <- e.b.ServeUDP(ctx, pc) }()
	waitFor(t, "ServeUDP", func() bool { return e.b.udpConn() != nil })
	defer func() {
		pc.Close()
		<-udpDone
	}()
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sinkPort := sink.LocalAddr().(*net.UDPAddr).Port
	recv := func() string {
		buf := make([]byte, 70000)
		sink.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _, err := sink.ReadFrom(buf)
		if err != nil {
			t.Fatalf("UDP receive: %v", err)
		}
		return string(buf[:n])
	}
	sendUDP := func(s string) {
		if _, err := sink.WriteTo([]byte(s), pc.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}

	_, destA := e.session("DATAGRAM", "ua", "")
	_, destB := e.session("DATAGRAM", "ub", "PORT="+strconv.Itoa(sinkPort)+" HOST=127.0.0.1")
	big := strings.Repeat("z", 30000)
	sendUDP("3.0 ua " + destB + " FROM_PORT=3 TO_PORT=4\n" + big)
	if got, want := recv(), destA+" FROM_PORT=3 TO_PORT=4\n"+big; got != want {
		t.Errorf("repliable forward: %.120q", got)
	}

	_, _ = e.session("RAW", "ra", "")
	_, destRB := e.session("RAW", "rb", "PORT="+strconv.Itoa(sinkPort)+" HOST=127.0.0.1 HEADER=true")
	_, destRC := e.session("RAW", "rc", "PORT="+strconv.Itoa(sinkPort))
	sendUDP("3.2 ra " + destRB + " TO_PORT=8\nraw1")
	if got := recv(); got != "FROM_PORT=0 TO_PORT=8 PROTOCOL=18\nraw1" {
		t.Errorf("raw forward with header: %q", got)
	}
	d, _ := data.DestinationFromBase64(destRC)
	sendUDP("3.3 ra " + d.B32() + "\nraw2") // b32 without a lookup, HOST defaulted
	if got := recv(); got != "raw2" {
		t.Errorf("raw forward: %q", got)
	}
	// Garbage and unknown sessions are dropped; the socket keeps working.
	sendUDP("garbage")
	sendUDP("3.0 nobody " + destB + "\nx")
	sendUDP("4.0 ua " + destB + "\nx")
	sendUDP("3.0 ua " + destB + "\nlast")
	if got := recv(); got != destA+" FROM_PORT=0 TO_PORT=0\nlast" {
		t.Errorf("after garbage: %.80q", got)
	}
}

func TestPrimary(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.hello()
	r := p.cmd("SESSION CREATE STYLE=PRIMARY ID=p DESTINATION=TRANSIENT SIGNATURE_TYPE=7 inbound.length=1")
	if !strings.HasPrefix(r, "SESSION STATUS RESULT=OK DESTINATION=") {
		t.Fatal(r)
	}
	pk, _ := PrivateKeysFromBase64(field(t, r, "DESTINATION"))
	destP := pk.Destination.Base64()
	for _, tc := range []struct{ in, want string }{
		{"SESSION ADD STYLE=STREAM ID=ps FROM_PORT=80", `SESSION STATUS RESULT=OK ID="ps" MESSAGE="ADD ps"`},
		{"SESSION ADD STYLE=DATAGRAM ID=pd LISTEN_PORT=53", `SESSION STATUS RESULT=OK ID="pd" MESSAGE="ADD pd"`},
		{"SESSION ADD STYLE=DATAGRAM ID=pd0", `SESSION STATUS RESULT=OK ID="pd0" MESSAGE="ADD pd0"`},
		{"SESSION ADD STYLE=RAW ID=pr PROTOCOL=100", `SESSION STATUS RESULT=OK ID="pr" MESSAGE="ADD pr"`},
		{"SESSION ADD STYLE=DATAGRAM ID=pd2 LISTEN_PORT=53", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="a subsession pd already listens on that port and protocol"`},
		{"SESSION ADD STYLE=STREAM ID=pd", "SESSION STATUS RESULT=DUPLICATED_ID"},
		{"SESSION ADD STYLE=STREAM ID=px DESTINATION=TRANSIENT", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="DESTINATION not allowed in SESSION ADD"`},
		{"SESSION ADD STYLE=STREAM ID=px LISTEN_PORT=5", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="LISTEN_PORT of a STREAM session must be 0 or FROM_PORT"`},
		{"SESSION ADD STYLE=PRIMARY ID=px", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="missing or bad STYLE"`},
	} {
		if got := p.cmd(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := e.hello().cmd("STREAM ACCEPT ID=p"); got != `STREAM STATUS RESULT=I2P_ERROR MESSAGE="session p is PRIMARY, not STREAM"` {
		t.Errorf("ACCEPT on primary: %q", got)
	}
	// A stream to port 80 reaches ps, while datagrams reach pd and pd0 by port.
	_, destC := e.session("STREAM", "c", "")
	acc := e.hello()
	if got := acc.cmd("STREAM ACCEPT ID=ps"); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	con := e.hello()
	if got := con.cmd("STREAM CONNECT ID=c FROM_PORT=1234 TO_PORT=80 DESTINATION=" + destP); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	if got := acc.line(); got != destC+" FROM_PORT=1234 TO_PORT=80" {
		t.Errorf("peer line %q", got)
	}
	exchange(t, con.c, acc.c, con.r, acc.r, 64<<10)

	dg, destD := e.session("DATAGRAM", "dg", "")
	rw, _ := e.session("RAW", "rw", "PROTOCOL=100")
	dg.send("DATAGRAM SEND DESTINATION=" + destP + " SIZE=2 TO_PORT=53\nq1")
	if got := p.line(); got != "DATAGRAM RECEIVED DESTINATION="+destD+" SIZE=2 FROM_PORT=0 TO_PORT=53" {
		t.Errorf("to pd: %q", got)
	}
	buf := make([]byte, 2)
	io.ReadFull(p.r, buf)
	dg.send("DATAGRAM SEND DESTINATION=" + destP + " SIZE=2 TO_PORT=54\nq2")
	if got := p.line(); got != "DATAGRAM RECEIVED DESTINATION="+destD+" SIZE=2 FROM_PORT=0 TO_PORT=54" {
		t.Errorf("to pd0: %q", got)
	}
	io.ReadFull(p.r, buf)
	rw.send("RAW SEND DESTINATION=" + destP + " SIZE=2\nr1")
	if got := p.line(); got != "RAW RECEIVED SIZE=2 FROM_PORT=0 TO_PORT=0 PROTOCOL=100" {
		t.Errorf("to pr: %q", got)
	}
	io.ReadFull(p.r, buf)
	// Sending from a subsession on the primary's socket, with ID.
	p.send("DATAGRAM SEND ID=pd DESTINATION=" + destD + " SIZE=2\nhi")
	if got := dg.line(); got != "DATAGRAM RECEIVED DESTINATION="+destP+" SIZE=2 FROM_PORT=0 TO_PORT=0" {
		t.Errorf("from pd: %q", got)
	}
	io.ReadFull(dg.r, buf)

	if got := p.cmd("SESSION REMOVE ID=pd"); got != `SESSION STATUS RESULT=OK ID="pd" MESSAGE="REMOVE pd"` {
		t.Errorf("REMOVE: %q", got)
	}
	if got := p.cmd("SESSION REMOVE ID=pd"); got != "SESSION STATUS RESULT=INVALID_ID" {
		t.Errorf("REMOVE again: %q", got)
	}
	// Port 53 now falls to the wildcard subsession pd0.
	dg.send("DATAGRAM SEND DESTINATION=" + destP + " SIZE=2 TO_PORT=53\nq3")
	if got := p.line(); !strings.HasSuffix(got, "TO_PORT=53") {
		t.Errorf("after REMOVE: %q", got)
	}
	io.ReadFull(p.r, buf)
	n := e.b.NumSessions()
	p.c.Close()
	waitFor(t, "subsessions to close", func() bool { return e.b.NumSessions() == n-4 })
}

func TestNamingLookup(t *testing.T) {
	e := newEnv(t, Config{})
	c, destA := e.session("STREAM", "a", "")
	d, _ := data.DestinationFromBase64(destA)
	e.n.mu.Lock()
	e.n.names["a.i2p"] = d
	e.n.mu.Unlock()
	other := e.hello()
	for _, tc := range []struct {
		c        *client
		in, want string
	}{
		{c, "NAMING LOOKUP NAME=ME", "NAMING REPLY RESULT=OK NAME=ME VALUE=" + destA},
		{other, "NAMING LOOKUP NAME=ME", `NAMING REPLY RESULT=I2P_ERROR NAME=ME MESSAGE="NAME=ME needs a session on this socket"`},
		{other, "NAMING LOOKUP NAME=a.i2p", "NAMING REPLY RESULT=OK NAME=a.i2p VALUE=" + destA},
		{other, "NAMING LOOKUP NAME=a.i2p OPTIONS=true", "NAMING REPLY RESULT=OK NAME=a.i2p VALUE=" + destA},
		{other, "NAMING LOOKUP NAME=" + d.B32(), "NAMING REPLY RESULT=OK NAME=" + d.B32() + " VALUE=" + destA},
		{other, "NAMING LOOKUP NAME=" + destA, "NAMING REPLY RESULT=OK NAME=" + destA + " VALUE=" + destA},
		{other, "NAMING LOOKUP NAME=nope.i2p", `NAMING REPLY RESULT=KEY_NOT_FOUND NAME=nope.i2p MESSAGE="fake: not found"`},
		{other, "NAMING LOOKUP", `NAMING REPLY RESULT=INVALID_KEY NAME="" MESSAGE="missing NAME"`},
	} {
		if got := tc.c.cmd(tc.in); got != tc.want {
			t.Errorf("%.60q: got %.200q", tc.in, got)
		}
	}
	if got := other.cmd("NAMING LOOKUP NAME=" + strings.Repeat("B", 520)); !strings.HasPrefix(got, "NAMING REPLY RESULT=INVALID_KEY NAME=BBBB") {
		t.Errorf("bad base64: %.100q", got)
	}
}

func TestDestGenerate(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.hello()
	for _, arg := range []string{"", " SIGNATURE_TYPE=7", " SIGNATURE_TYPE=EdDSA_SHA512_Ed25519", " SIGNATURE_TYPE=7 CRYPTO_TYPE=4"} {
		r := c.cmd("DEST GENERATE" + arg)
		if !strings.HasPrefix(r, "DEST REPLY PUB=") {
			t.Fatalf("%q: %q", arg, r)
		}
		pub, priv := field(t, r, "PUB"), field(t, r, "PRIV")
		k, err := PrivateKeysFromBase64(priv)
		if err != nil {
			t.Fatal(err)
		}
		if k.Destination.Base64() != pub || uint16(k.Destination.SigType()) != 7 {
			t.Fatalf("PRIV does not hold PUB")
		}
		if want := 256; strings.Contains(arg, "CRYPTO_TYPE=4") {
			want = 32
			if len(k.EncryptionKey) != want || k.Destination.CryptoType() != data.CryptoX25519 {
				t.Errorf("CRYPTO_TYPE=4: %d-byte key, type %d", len(k.EncryptionKey), k.Destination.CryptoType())
			}
		} else if len(k.EncryptionKey) != want {
			t.Errorf("encryption key %d bytes", len(k.EncryptionKey))
		}
		s := e.hello()
		r = s.cmd("SESSION CREATE STYLE=STREAM ID=g" + strconv.Itoa(len(arg)) + " DESTINATION=" + priv)
		if r != "SESSION STATUS RESULT=OK DESTINATION="+priv {
			t.Fatalf("SESSION CREATE with generated key: %.80q", r)
		}
		if got := s.cmd("NAMING LOOKUP NAME=ME"); got != "NAMING REPLY RESULT=OK NAME=ME VALUE="+pub {
			t.Errorf("ME: %.80q", got)
		}
		if e.n.cfgs[len(e.n.cfgs)-1].Transient {
			t.Error("persistent key reported transient")
		}
		// The same key again is DUPLICATED_DEST.
		if got := e.hello().cmd("SESSION CREATE STYLE=STREAM ID=dup DESTINATION=" + priv); got != "SESSION STATUS RESULT=DUPLICATED_DEST" {
			t.Errorf("same key twice: %q", got)
		}
		s.c.Close()
	}
	for _, arg := range []string{"SIGNATURE_TYPE=1", "SIGNATURE_TYPE=DSA_SHA1", "SIGNATURE_TYPE=bogus", "CRYPTO_TYPE=9"} {
		if got := c.cmd("DEST GENERATE " + arg); !strings.HasPrefix(got, "DEST REPLY RESULT=I2P_ERROR MESSAGE=") {
			t.Errorf("%s: %q", arg, got)
		}
	}
}

func TestSessionErrors(t *testing.T) {
	e := newEnv(t, Config{})
	c, _ := e.session("STREAM", "a", "")
	if got := c.cmd("SESSION CREATE STYLE=STREAM ID=b DESTINATION=TRANSIENT"); got != `SESSION STATUS RESULT=I2P_ERROR MESSAGE="a session already exists on this socket"` {
		t.Errorf("second session: %q", got)
	}
	if got := c.cmd("STREAM ACCEPT ID=a"); !strings.HasPrefix(got, "STREAM STATUS RESULT=I2P_ERROR") {
		t.Errorf("STREAM on the session socket: %q", got)
	}
	k, _ := GenerateKeys(SigEd25519, 0, rand.Reader)
	good, _ := k.AppendBinary(nil)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	for _, tc := range []struct{ in, want string }{
		{"SESSION CREATE STYLE=STREAM ID=a DESTINATION=TRANSIENT", "SESSION STATUS RESULT=DUPLICATED_ID"},
		{"SESSION CREATE STYLE=BOGUS ID=x DESTINATION=TRANSIENT", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="missing or bad STYLE"`},
		{"SESSION CREATE STYLE=STREAM DESTINATION=TRANSIENT", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="missing or bad ID"`},
		{"SESSION CREATE STYLE=STREAM ID=x", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="missing DESTINATION"`},
		{"SESSION CREATE STYLE=STREAM ID=x DESTINATION=AAAA", "SESSION STATUS RESULT=INVALID_KEY MESSAGE="},
		{"SESSION CREATE STYLE=STREAM ID=x DESTINATION=" + data.Base64Encode(bad), `SESSION STATUS RESULT=INVALID_KEY MESSAGE="invalid private keys: signing key does not match the destination"`},
		{"SESSION CREATE STYLE=STREAM ID=x DESTINATION=" + data.Base64Encode(good[:len(good)-1]), "SESSION STATUS RESULT=INVALID_KEY MESSAGE="},
		{"SESSION CREATE STYLE=STREAM ID=x DESTINATION=TRANSIENT SIGNATURE_TYPE=3", "SESSION STATUS RESULT=I2P_ERROR MESSAGE="},
		{"SESSION CREATE STYLE=RAW ID=x DESTINATION=TRANSIENT PROTOCOL=17", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="PROTOCOL=17 not allowed"`},
		{"SESSION CREATE STYLE=RAW ID=x DESTINATION=TRANSIENT FROM_PORT=70000", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="bad FROM_PORT=70000"`},
		{"SESSION ADD STYLE=STREAM ID=x", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="SESSION ADD needs a PRIMARY session on this socket"`},
		{`SESSION CREATE STYLE=STREAM ID="x`, `SESSION STATUS RESULT=I2P_ERROR MESSAGE="malformed command: unterminated quote"`},
		{`NAMING LOOKUP NAME="x`, `NAMING REPLY RESULT=I2P_ERROR MESSAGE="malformed command: unterminated quote"`},
		{"=", `SESSION STATUS RESULT=I2P_ERROR MESSAGE="malformed command: bad verb"`},
		{"HELLO VERSION", `HELLO REPLY RESULT=I2P_ERROR MESSAGE="HELLO already done"`},
	} {
		s := e.hello()
		if got := s.cmd(tc.in); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%.70q: got %q, want %q", tc.in, got, tc.want)
		}
		// The socket stays usable after an error.
		if got := s.cmd("PING x"); got != "PONG x" {
			t.Errorf("%.70q: then PING: %q", tc.in, got)
		}
	}
	if n := e.b.NumSessions(); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

func TestLongLine(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.hello()
	c.send("NAMING LOOKUP NAME=" + strings.Repeat("x", 100<<10) + "\n")
	if got := c.line(); got != `SESSION STATUS RESULT=I2P_ERROR MESSAGE="command line too long"` {
		t.Errorf("long line: %q", got)
	}
	if !c.closed() {
		t.Error("socket left open after a long line")
	}
	c = e.dial()
	c.send(strings.Repeat("H", 100<<10))
	if got := c.line(); got != `HELLO REPLY RESULT=I2P_ERROR MESSAGE="command line too long"` {
		t.Errorf("long HELLO: %q", got)
	}
}

func TestHelloTimeout(t *testing.T) {
	e := newEnv(t, Config{HelloTimeout: 50 * time.Millisecond})
	c := e.dial()
	if got := c.line(); got != `HELLO REPLY RESULT=I2P_ERROR MESSAGE="timeout waiting for HELLO"` {
		t.Errorf("HELLO timeout: %q", got)
	}
	c = e.hello()
	if got := c.line(); got != `SESSION STATUS RESULT=I2P_ERROR MESSAGE="timeout waiting for a command"` {
		t.Errorf("command timeout: %q", got)
	}
	c = e.hello()
	if got := c.cmd("PING"); got != "PONG" {
		t.Fatal(got)
	}
}

// A client that vanishes mid-stream, mid-accept or mid-session leaves no
// session, destination or goroutine behind (newEnv's cleanup checks).
func TestClientVanishes(t *testing.T) {
	e := newEnv(t, Config{})
	ca, _ := e.session("STREAM", "a", "")
	cb, destB := e.session("STREAM", "b", "")
	acc := e.hello()
	acc.cmd("STREAM ACCEPT ID=b")
	con := e.hello()
	if got := con.cmd("STREAM CONNECT ID=a DESTINATION=" + destB); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	acc.line()
	con.send(strings.Repeat("x", 10000))
	con.c.(*net.TCPConn).SetLinger(0)
	con.c.Close() // reset, mid-stream
	acc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, acc.r)
	if err != nil {
		t.Errorf("acceptor: %v after %d bytes", err, n)
	}
	// An acceptor whose session's control socket vanishes is told so.
	acc = e.hello()
	acc.cmd("STREAM ACCEPT ID=b")
	cb.c.Close()
	if got := acc.line(); got != `STREAM STATUS RESULT=I2P_ERROR MESSAGE="session closed"` {
		t.Errorf("ACCEPT after session close: %q", got)
	}
	waitFor(t, "session b to close", func() bool { return e.b.NumSessions() == 1 })
	// A half-written DATAGRAM SEND.
	d, _ := e.session("DATAGRAM", "d", "")
	d.send("DATAGRAM SEND DESTINATION=x SIZE=100\nabc")
	d.c.Close()
	ca.c.Close()
	waitFor(t, "sessions to close", func() bool { return e.b.NumSessions() == 0 })
}

// SAM 3.0 and 3.1 clients get no FROM_PORT/TO_PORT; MASTER is PRIMARY;
// STOP and EXIT close.
func TestOldVersions(t *testing.T) {
	e := newEnv(t, Config{})
	old := func() *client {
		c := e.dial()
		if got := c.cmd("HELLO VERSION MIN=3.0 MAX=3.1"); got != "HELLO REPLY RESULT=OK VERSION=3.1" {
			t.Fatal(got)
		}
		return c
	}
	_, destA := e.session("STREAM", "a", "")
	sb := old()
	r := sb.cmd("SESSION CREATE STYLE=MASTER ID=b DESTINATION=TRANSIENT")
	k, err := PrivateKeysFromBase64(field(t, r, "DESTINATION"))
	if err != nil {
		t.Fatal(r, err)
	}
	if got := sb.cmd("SESSION ADD STYLE=STREAM ID=bs"); got != `SESSION STATUS RESULT=OK ID="bs" MESSAGE="ADD bs"` {
		t.Fatal(got)
	}
	if got := sb.cmd("SESSION ADD STYLE=DATAGRAM ID=bd"); got != `SESSION STATUS RESULT=OK ID="bd" MESSAGE="ADD bd"` {
		t.Fatal(got)
	}
	acc := old()
	acc.cmd("STREAM ACCEPT ID=bs")
	con := e.hello()
	if got := con.cmd("STREAM CONNECT ID=a DESTINATION=" + k.Destination.Base64()); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	if got := acc.line(); got != destA {
		t.Errorf("3.1 peer line: %.60q", got)
	}
	d, destD := e.session("DATAGRAM", "d", "")
	d.send("DATAGRAM SEND DESTINATION=" + k.Destination.Base64() + " SIZE=1\nx")
	if got := sb.line(); got != "DATAGRAM RECEIVED DESTINATION="+destD+" SIZE=1" {
		t.Errorf("3.1 DATAGRAM RECEIVED: %.60q", got)
	}
	for _, q := range []string{"STOP", "EXIT", "quit"} {
		c := old()
		c.send(q + "\n")
		if !c.closed() {
			t.Errorf("%s left the socket open", q)
		}
	}
}

// A client that stops reading its datagrams is disconnected after
// WriteTimeout, and its session closed.
func TestSlowClient(t *testing.T) {
	e := newEnv(t, Config{WriteTimeout: 200 * time.Millisecond, DatagramQueue: 4})
	a, _ := e.session("RAW", "a", "")
	_, destB := e.session("RAW", "b", "")
	big := strings.Repeat("x", 60000)
	for i := 0; e.b.NumSessions() == 2; i++ {
		if i > 2000 {
			t.Fatal("slow client never disconnected")
		}
		a.send("RAW SEND DESTINATION=" + destB + " SIZE=60000\n" + big)
		time.Sleep(time.Millisecond)
	}
	// The sender's socket still works (after any "no route" errors for
	// datagrams sent as b went away).
	a.send("PING\n")
	for {
		got := a.line()
		if got == "PONG" {
			break
		}
		if !strings.HasPrefix(got, "RAW STATUS RESULT=I2P_ERROR") {
			t.Fatalf("sender: %q", got)
		}
	}
}

// Bytes an acceptor sends before its stream arrives are not lost.
func TestAcceptEarlyData(t *testing.T) {
	e := newEnv(t, Config{})
	e.session("STREAM", "a", "")
	_, destB := e.session("STREAM", "b", "")
	acc := e.hello()
	if got := acc.cmd("STREAM ACCEPT ID=b"); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	acc.send("early bytes")
	con := e.hello()
	if got := con.cmd("STREAM CONNECT ID=a DESTINATION=" + destB); got != "STREAM STATUS RESULT=OK" {
		t.Fatal(got)
	}
	acc.line()
	buf := make([]byte, len("early bytes"))
	con.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(con.r, buf); err != nil || string(buf) != "early bytes" {
		t.Errorf("early data: %q, %v", buf, err)
	}
}
