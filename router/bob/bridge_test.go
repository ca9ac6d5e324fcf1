package bob

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/sam"
)

// env is a bridge served on an in-memory listener, with a fake I2P and a
// fake local TCP.
type env struct {
	t      *testing.T
	b      *Bridge
	net    *fakeNet
	tcp    *memTCP
	ln     *chanListener
	cancel context.CancelFunc
	served chan error
}

// newEnv starts a bridge. Run it inside synctest.Test: the bubble checks
// at its end that every goroutine has exited.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, net: newFakeNet(), tcp: newMemTCP(), ln: newChanListener("bob", nil), served: make(chan error, 1)}
	b, err := New(Config{Listen: e.tcp.Listen, Dial: e.tcp.Dial}, e.net, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.served <- b.Serve(ctx, e.ln) }()
	t.Cleanup(e.close)
	return e
}

// close ends Serve and checks that it returned.
func (e *env) close() {
	e.cancel()
	select {
	case err := <-e.served:
		if !errors.Is(err, context.Canceled) {
			e.t.Errorf("Serve = %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		e.t.Error("Serve did not return")
	}
	e.served <- nil // close is idempotent
	if n := e.net.numDests(); n != 0 {
		e.t.Errorf("%d destinations left open", n)
	}
}

type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// dial opens a command session and reads the greeting.
func (e *env) dial() *client {
	e.t.Helper()
	c, err := e.ln.deliver(context.Background(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	cl := &client{t: e.t, c: c, r: bufio.NewReader(c)}
	e.t.Cleanup(func() { c.Close() })
	if g := cl.line(); g != "BOB 00.00.10" {
		e.t.Fatalf("greeting %q", g)
	}
	if g := cl.line(); g != "OK" {
		e.t.Fatalf("greeting %q", g)
	}
	return cl
}

func (c *client) line() string {
	c.t.Helper()
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading a reply: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// do sends a command and returns its one-line reply.
func (c *client) do(line string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.c, line+"\n"); err != nil {
		c.t.Fatal(err)
	}
	return c.line()
}

// want sends a command and checks the reply.
func (c *client) want(line, reply string) {
	c.t.Helper()
	if got := c.do(line); got != reply {
		c.t.Errorf("%q: got %q, want %q", line, got, reply)
	}
}

// wantPrefix sends a command and checks that the reply starts with
// prefix; it returns the rest.
func (c *client) wantPrefix(line, prefix string) string {
	c.t.Helper()
	got := c.do(line)
	if !strings.HasPrefix(got, prefix) {
		c.t.Errorf("%q: got %q, want %q...", line, got, prefix)
		return ""
	}
	return strings.TrimPrefix(got, prefix)
}

// closed checks that the server closed the session.
func (c *client) closed() {
	c.t.Helper()
	if s, err := c.r.ReadString('\n'); err == nil {
		c.t.Errorf("session open, read %q", s)
	}
}

func TestGreetingHelpAndBadInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.dial()
		c.wantPrefix("help", "OK COMMANDS: clear getdest getkeys getnick help inhost")
		c.want("help start", "OK start - Starts the current nicknamed tunnel.")
		c.want("HELP Quit", "OK quit - Quits this session with BOB.")
		c.want("help nosuch", "ERROR No such command")
		c.want("visit", "OK")
		c.want("frobnicate", "ERROR unknown command")
		c.want("", "ERROR empty command line")
		c.want("   \t ", "ERROR empty command line")
		c.want("set\x00nick a", "ERROR invalid command line")
		c.want("\xff\xfe", "ERROR invalid command line")
		c.want(strings.Repeat("x", 70<<10), "ERROR line too long")
		c.want("setnick "+strings.Repeat("y", 65<<10), "ERROR line too long")
		c.want("verify", "ERROR not in BASE64 format")
		c.want("verify AAAA", "ERROR not in BASE64 format")
		k := genKeys(t)
		c.want("verify "+k.Destination.Base64(), "OK")
		// Commands that need a nickname.
		for _, cmd := range []string{"newkeys", "getkeys", "getdest", "setkeys " + mustB64(t, k), "inhost 127.0.0.1", "inport 1234",
			"outhost 127.0.0.1", "outport 80", "quiet", "option a=b", "start", "stop", "status", "show", "showprops"} {
			c.want(cmd, "ERROR no nickname has been set")
		}
		c.want("getnick", "ERROR no nickname has been set")
		c.want("getnick nosuch", "ERROR no nickname has been set")
		c.want("setnick", "ERROR no nickname has been set")
		c.want("clear", "OK cleared")
		c.want("list", "OK Listing done")
		c.want("lookup", "ERROR empty lookup address")
		c.want("lookup nosuch.i2p", "ERROR Address Not found")
		c.want("lookuplocal nosuch.i2p", "ERROR Local LeaseSet Not found")
		c.want("quit", "OK Bye!")
		c.closed()

		c = e.dial()
		if _, err := io.WriteString(c.c, "zap\n"); err != nil {
			t.Fatal(err)
		}
		c.closed()

		// A client that vanishes in the middle of a line.
		c = e.dial()
		io.WriteString(c.c, "setnick half")
		c.c.Close()
		synctest.Wait()
		if n := len(e.b.Tunnels()); n != 0 {
			t.Errorf("%d tunnels after a vanished client", n)
		}
	})
}

func genKeys(t *testing.T) *sam.PrivateKeys {
	t.Helper()
	k, err := sam.GenerateKeys(sam.SigEd25519, data.CryptoElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustB64(t *testing.T, k *sam.PrivateKeys) string {
	t.Helper()
	s, err := k.Base64()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.dial()
		c.want("setnick a", "OK Nickname set to a")
		c.want("getkeys", "ERROR keys are not set")
		c.want("getdest", "ERROR keys are not set")
		dest := c.wantPrefix("newkeys", "OK ")
		d, err := data.DestinationFromBase64(dest)
		if err != nil {
			t.Fatalf("newkeys gave %q: %v", dest, err)
		}
		if d.SigType() != 7 || d.CryptoType() != data.CryptoElGamal {
			t.Errorf("newkeys: types %v, %v", d.SigType(), d.CryptoType())
		}
		c.want("getdest", "OK "+dest)
		keys := c.wantPrefix("getkeys", "OK ")
		k, err := sam.PrivateKeysFromBase64(keys)
		if err != nil {
			t.Fatalf("getkeys: %v", err)
		}
		if k.Destination.Base64() != dest {
			t.Error("getkeys: keys of another destination")
		}

		// The keys round trip through setkeys on another nickname.
		c2 := e.dial()
		c2.want("setnick b", "OK Nickname set to b")
		c2.want("setkeys "+keys, "OK "+dest)
		c2.want("getkeys", "OK "+keys)
		c2.want("getdest", "OK "+dest)
		c2.want("setkeys", "ERROR invalid keys")
		c2.want("setkeys garbage", "ERROR invalid keys")
		c2.want("setkeys "+dest, "ERROR invalid keys") // a destination alone
		c2.want("getkeys", "OK "+keys)
		// DSA_SHA1 keys parse but cannot run here.
		dsa, err := data.NewDestination(0, payload(128), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		blob, _ := dsa.AppendBinary(nil)
		blob = append(append(blob, payload(256)...), payload(20)...)
		if _, err := sam.ParsePrivateKeys(blob); err != nil {
			t.Fatalf("DSA keys: %v", err)
		}
		c2.want("setkeys "+data.Base64Encode(blob), "ERROR unsupported signature type: only Ed25519 (7) keys can run")
		c2.want("getkeys", "OK "+keys)

		// Types.
		x := c.wantPrefix("newkeys 7 4", "OK ")
		if d, err := data.DestinationFromBase64(x); err != nil || d.CryptoType() != data.CryptoX25519 {
			t.Errorf("newkeys 7 4: %v, %v", d.CryptoType(), err)
		}
		c.wantPrefix("newkeys EdDSA_SHA512_Ed25519", "OK ")
		c.wantPrefix("newkeys 0", "ERROR ")
		c.wantPrefix("newkeys 7 9", "ERROR ")
		c.wantPrefix("newkeys 7 x", "ERROR bad crypto type")
		c.wantPrefix("newkeys 1 2 3", "ERROR ")
		c.wantPrefix("newkeys nonsense", "ERROR ")
	})
}

func TestSettingsListStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.dial()
		c.want("setnick ear", "OK Nickname set to ear")
		c.want("status ear", "OK DATA NICKNAME: ear STARTING: false RUNNING: false STOPPING: false KEYS: false QUIET: false INPORT: not_set INHOST: not_set OUTPORT: not_set OUTHOST: not_set")
		c.want("inhost 127.0.0.1", "OK inhost set")
		c.want("inhost", "ERROR empty inhost")
		c.want("inport 37337", "OK inbound port set")
		c.want("inport", "ERROR empty inport")
		c.want("inport 0", "ERROR port out of range")
		c.want("inport 65536", "ERROR port out of range")
		c.want("inport -1", "ERROR port out of range")
		c.want("inport x", "ERROR port out of range")
		c.want("outhost localhost", "OK outhost set")
		c.want("outport 19", "OK outbound port set")
		c.want("quiet", "OK Quiet set")
		c.want("quiet maybe", "ERROR quiet takes true or false")
		c.want("option inbound.length=1", "OK option inbound.length set to 1")
		c.want("option outbound.length=2 i2cp.leaseSetEncType=4,0", "OK option outbound.length set to 2, i2cp.leaseSetEncType set to 4,0")
		c.want("option", "ERROR malformed")
		c.want("option novalue", "ERROR malformed")
		c.want("option =x", "ERROR malformed")
		c.want("showprops", "OK i2cp.leaseSetEncType=4,0 inbound.length=1 outbound.length=2")
		want := "DATA NICKNAME: ear STARTING: false RUNNING: false STOPPING: false KEYS: false QUIET: true INPORT: 37337 INHOST: 127.0.0.1 OUTPORT: 19 OUTHOST: localhost"
		c.want("status ear", "OK "+want)
		c.want("status", "OK "+want)
		c.want("show", "OK "+want)
		c.want("status nosuch", "ERROR no nickname has been set")
		c.want("quiet false", "OK Quiet set")

		// A second session sees the nickname, may select it, may not
		// create it again.
		c2 := e.dial()
		c2.want("setnick ear", "ERROR nickname in use")
		c2.want("setnick mouth", "OK Nickname set to mouth")
		c2.want("list", strings.Replace(want, "QUIET: true", "QUIET: false", 1))
		if l := c2.line(); !strings.HasPrefix(l, "DATA NICKNAME: mouth ") {
			t.Errorf("list: %q", l)
		}
		if l := c2.line(); l != "OK Listing done" {
			t.Errorf("list: %q", l)
		}
		c2.want("getnick ear", "OK Nickname set to ear")
		c2.want("inport 40000", "OK inbound port set")
		c.wantPrefix("status", "OK DATA NICKNAME: ear STARTING: false RUNNING: false STOPPING: false KEYS: false QUIET: false INPORT: 40000 ")
		// The same session may setnick its own unstarted nickname again.
		c.want("setnick ear", "OK Nickname set to ear")
		c.want("setnick two words", "ERROR nickname may not contain blanks")

		// Tunnels never started go with the session that made them.
		c.want("quit", "OK Bye!")
		c.closed()
		synctest.Wait()
		c2.want("getnick ear", "ERROR no nickname has been set")
		c2.want("getnick mouth", "OK Nickname set to mouth")
		c2.want("clear", "OK cleared")
		c2.want("list", "OK Listing done")
		c2.want("inport 1", "ERROR no nickname has been set")
	})
}

func TestStartStopErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.dial()
		c.want("setnick t", "OK Nickname set to t")
		c.want("stop", "ERROR tunnel is inactive")
		c.want("start", "ERROR Keys must be set.")
		c.wantPrefix("newkeys", "OK ")
		c.want("start", "ERROR (inhost):inport or outhost:outport must be set.")
		c.want("inport 5000", "OK inbound port set")
		// The port is taken.
		other, err := e.tcp.Listen(context.Background(), "127.0.0.1:5000")
		if err != nil {
			t.Fatal(err)
		}
		c.want("start", "ERROR could not listen on 127.0.0.1:5000: fake: address in use")
		other.Close()
		c.want("start", "OK Tunnel starting")
		synctest.Wait()
		c.wantPrefix("status", "OK DATA NICKNAME: t STARTING: false RUNNING: true STOPPING: false KEYS: true ")
		c.want("start", "ERROR tunnel is active")
		for _, cmd := range []string{"newkeys", "setkeys " + mustB64(t, genKeys(t)), "inport 1", "inhost x", "outport 1", "outhost x", "quiet", "option a=b"} {
			c.want(cmd, "ERROR tunnel is active")
		}
		if cfg := e.net.lastConfig(); cfg.Nickname != "bob:t" || cfg.Keys == nil {
			t.Errorf("destination config %+v", cfg)
		}
		c.want("stop", "OK Tunnel stopping")
		c.want("stop", "ERROR tunnel is inactive")
		if e.tcp.listening("127.0.0.1:5000") {
			t.Error("inport still listening after stop")
		}
		if n := e.net.numDests(); n != 0 {
			t.Errorf("%d destinations after stop", n)
		}
		// Started tunnels outlive their session; another session stops
		// them.
		c.want("start", "OK Tunnel starting")
		c.want("quit", "OK Bye!")
		synctest.Wait()
		c2 := e.dial()
		c2.want("getnick t", "OK Nickname set to t")
		c2.wantPrefix("status", "OK DATA NICKNAME: t STARTING: false RUNNING: true ")
		c2.want("clear", "OK cleared")
		c2.want("list", "OK Listing done")
		if n := e.net.numDests(); n != 0 {
			t.Errorf("%d destinations after clear", n)
		}
		// A destination that fails to start leaves the tunnel stopped.
		e.net.failNew = errors.New("no tunnels")
		c2.want("setnick f", "OK Nickname set to f")
		c2.wantPrefix("newkeys", "OK ")
		c2.want("outport 80", "OK outbound port set")
		c2.want("start", "OK Tunnel starting")
		synctest.Wait()
		c2.wantPrefix("status", "OK DATA NICKNAME: f STARTING: false RUNNING: false STOPPING: false KEYS: true ")
		c2.want("stop", "ERROR tunnel is inactive")
	})
}

func TestStartingState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		gate := make(chan struct{})
		e.net.gate = gate
		c := e.dial()
		c.want("setnick s", "OK Nickname set to s")
		c.wantPrefix("newkeys", "OK ")
		c.want("outport 80", "OK outbound port set")
		c.want("start", "OK Tunnel starting")
		synctest.Wait()
		c.wantPrefix("status", "OK DATA NICKNAME: s STARTING: true RUNNING: false ")
		// stop while starting
		c.want("stop", "OK Tunnel stopping")
		c.wantPrefix("status", "OK DATA NICKNAME: s STARTING: false RUNNING: false STOPPING: false ")
		c.want("start", "OK Tunnel starting")
		close(gate)
		synctest.Wait()
		c.wantPrefix("status", "OK DATA NICKNAME: s STARTING: false RUNNING: true ")
		// Serve's end stops it (newEnv's cleanup checks).
	})
}

// payload returns n random bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// exchange writes out on c while reading len(in) bytes, and checks them.
// Call it from the test's goroutine.
func exchange(t *testing.T, c io.ReadWriter, out, in []byte) {
	t.Helper()
	if err := tryExchange(c, out, in); err != nil {
		t.Fatal(err)
	}
}

func tryExchange(c io.ReadWriter, out, in []byte) error {
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(out)
		errc <- err
	}()
	got := make([]byte, len(in))
	_, rerr := io.ReadFull(c, got)
	if cl, ok := c.(io.Closer); ok && rerr != nil {
		cl.Close() // unblocks the writer
	}
	werr := <-errc
	switch {
	case rerr != nil:
		return fmt.Errorf("reading: %w", rerr)
	case werr != nil:
		return fmt.Errorf("writing: %w", werr)
	case sha256.Sum256(got) != sha256.Sum256(in):
		return errors.New("data differs")
	}
	return nil
}

func TestOutboundTunnel(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		name := "loud"
		if quiet {
			name = "quiet"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testOutbound(t, quiet) })
		})
	}
}

func testOutbound(t *testing.T, quiet bool) {
	e := newEnv(t)
	// The local server: it reports the first line (unless quiet), then
	// sends its data and reads the client's.
	srvData, cliData := payload(300<<10), payload(200<<10)
	srv, err := e.tcp.Listen(context.Background(), "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	first := make(chan string, 1)
	srvDone := make(chan struct{})
	go func() {
		defer close(srvDone)
		c, err := srv.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		if !quiet {
			l, _ := br.ReadString('\n')
			first <- l
		}
		if err := tryExchange(struct {
			io.Reader
			io.Writer
		}{br, c}, srvData, cliData); err != nil {
			t.Error("local server:", err)
		}
	}()

	c := e.dial()
	c.want("setnick mouth", "OK Nickname set to mouth")
	dest := c.wantPrefix("newkeys", "OK ")
	c.want("outhost 127.0.0.1", "OK outhost set")
	c.want("outport 8080", "OK outbound port set")
	if quiet {
		c.want("quiet", "OK Quiet set")
	}
	c.want("start", "OK Tunnel starting")
	synctest.Wait()

	// A peer destination on the fake I2P opens a stream.
	peer, err := e.net.NewDestination(context.Background(), sam.DestinationConfig{Keys: genKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	to, _ := data.DestinationFromBase64(dest)
	s, err := peer.Dial(context.Background(), to, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, s, cliData, srvData)
	s.Close()
	<-srvDone
	if !quiet {
		if l := <-first; l != peer.Destination().Base64()+"\n" {
			t.Errorf("first line %q, want the peer's destination", l)
		}
	}

	// A stream to a tunnel whose outhost does not answer is closed.
	srv.Close()
	s, err = peer.Dial(context.Background(), to, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(make([]byte, 1)); err == nil {
		t.Error("stream to a dead outhost stayed open")
	}
	s.Close()
}

func TestInboundTunnel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		// A server destination on the fake I2P: it sends its data and
		// reads the client's on each stream.
		srvData, cliData := payload(256<<10), payload(128<<10)
		srvDest, err := e.net.NewDestination(context.Background(), sam.DestinationConfig{Keys: genKeys(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer srvDest.Close()
		e.net.names["server.i2p"] = srvDest.Destination()
		il, err := srvDest.Listen(0)
		if err != nil {
			t.Fatal(err)
		}
		srvDone := make(chan struct{})
		var from []string
		ok := 0
		go func() {
			defer close(srvDone)
			for {
				s, err := il.Accept()
				if err != nil {
					return
				}
				d, _ := s.(peerDestination).PeerDestination()
				from = append(from, d)
				if tryExchange(s, srvData, cliData) == nil {
					ok++
				}
				s.Close()
			}
		}()

		c := e.dial()
		c.want("setnick ear", "OK Nickname set to ear")
		dest := c.wantPrefix("newkeys", "OK ")
		c.want("inhost 127.0.0.1", "OK inhost set")
		c.want("inport 37337", "OK inbound port set")
		c.want("start", "OK Tunnel starting")
		synctest.Wait()

		for _, target := range []string{srvDest.Destination().Base64() + "\n", "server.i2p\r\n", srvDest.Destination().B32() + "\n"} {
			lc, err := e.tcp.Dial(context.Background(), "127.0.0.1:37337")
			if err != nil {
				t.Fatal(err)
			}
			// The destination line and the first data in one write.
			exchange(t, lc, append([]byte(target), cliData...), srvData)
			lc.Close()
		}
		// Garbage, a name that does not resolve, an overlong line: closed.
		for _, target := range []string{"nosuch.i2p\n", strings.Repeat("z", 70<<10) + "\n"} {
			lc, err := e.tcp.Dial(context.Background(), "127.0.0.1:37337")
			if err != nil {
				t.Fatal(err)
			}
			go io.WriteString(lc, target)
			if _, err := lc.Read(make([]byte, 1)); err == nil {
				t.Errorf("%.20q: connection stayed open", target)
			}
			lc.Close()
		}
		// A client that never sends its line is closed after
		// AddressTimeout.
		lc, err := e.tcp.Dial(context.Background(), "127.0.0.1:37337")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := lc.Read(make([]byte, 1)); err == nil {
			t.Error("silent connection stayed open")
		}
		if d := time.Since(start); d != 60*time.Second {
			t.Errorf("silent connection closed after %v", d)
		}
		lc.Close()

		// A client that vanishes mid-stream.
		lc, err = e.tcp.Dial(context.Background(), "127.0.0.1:37337")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			io.WriteString(lc, "server.i2p\n")
			lc.Write(cliData[:1000])
			lc.Close()
		}()
		synctest.Wait()

		c.want("stop", "OK Tunnel stopping")
		il.Close()
		<-srvDone
		for _, d := range from {
			if d != dest {
				t.Errorf("stream from %.20s, want the tunnel's destination", d)
			}
		}
		if len(from) != 4 || ok != 3 {
			t.Errorf("%d streams reached the server, %d exchanged all; want 4, 3", len(from), ok)
		}
	})
}

// TestStopClosesConnections: stop ends open connections of both sides.
func TestStopClosesConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		srvDest, err := e.net.NewDestination(context.Background(), sam.DestinationConfig{Keys: genKeys(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer srvDest.Close()
		il, _ := srvDest.Listen(0)
		defer il.Close()
		go func() {
			for {
				s, err := il.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(s, s); s.Close() }()
			}
		}()
		c := e.dial()
		c.want("setnick x", "OK Nickname set to x")
		c.wantPrefix("newkeys", "OK ")
		c.want("inport 2000", "OK inbound port set")
		c.want("start", "OK Tunnel starting")
		synctest.Wait()
		lc, err := e.tcp.Dial(context.Background(), "127.0.0.1:2000")
		if err != nil {
			t.Fatal(err)
		}
		defer lc.Close()
		msg := []byte("hello over i2p")
		exchange(t, lc, append([]byte(srvDest.Destination().Base64()+"\n"), msg...), msg)
		c.want("stop", "OK Tunnel stopping")
		if _, err := lc.Read(make([]byte, 1)); err == nil {
			t.Error("connection open after stop")
		}
		// It starts again on the same port.
		c.want("start", "OK Tunnel starting")
		synctest.Wait()
		lc2, err := e.tcp.Dial(context.Background(), "127.0.0.1:2000")
		if err != nil {
			t.Fatal(err)
		}
		defer lc2.Close()
		exchange(t, lc2, append([]byte(srvDest.Destination().Base64()+"\n"), msg...), msg)
		// Serve's end (cleanup) closes lc2's tunnel.
	})
}

// TestNoGoroutineLeak runs a session with a tunnel outside a synctest
// bubble and counts goroutines after Serve returns.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		e := &env{t: t, net: newFakeNet(), tcp: newMemTCP(), ln: newChanListener("bob", nil), served: make(chan error, 1)}
		b, err := New(Config{Listen: e.tcp.Listen, Dial: e.tcp.Dial}, e.net, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.b = b
		ctx, cancel := context.WithCancel(context.Background())
		e.cancel = cancel
		go func() { e.served <- b.Serve(ctx, e.ln) }()
		c := e.dial()
		c.want("setnick x", "OK Nickname set to x")
		c.wantPrefix("newkeys", "OK ")
		c.want("inport 2000", "OK inbound port set")
		c.want("outport 2001", "OK outbound port set")
		c.want("start", "OK Tunnel starting")
		lc, err := e.tcp.Dial(context.Background(), "127.0.0.1:2000")
		if err != nil {
			t.Fatal(err)
		}
		defer lc.Close()
		e.close()
		c.c.Close()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		synctest.Wait()
		if err := e.b.Serve(context.Background(), newChanListener("x", nil)); !errors.Is(err, ErrServing) {
			t.Errorf("second Serve = %v", err)
		}
	})
	if _, err := New(Config{}, nil, nil); err == nil {
		t.Error("New with nil Network")
	}
}

func TestReadLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want []string
		err  error
	}{
		{"a\nb\r\nc\n", 10, []string{"a", "b", "c"}, io.EOF},
		{"abc", 10, nil, io.ErrUnexpectedEOF},
		{"", 10, nil, io.EOF},
		{"0123456789\nok\n", 10, nil, errLineTooLong},
		{"012345678\nok\n", 10, []string{"012345678", "ok"}, io.EOF},
		{strings.Repeat("x", 10000) + "\nok\n", 9000, nil, errLineTooLong},
	} {
		br := bufio.NewReaderSize(bytes.NewBufferString(tc.in), 16)
		var got []string
		var err error
		for {
			var l string
			l, err = readLine(br, tc.max)
			if err != nil {
				break
			}
			got = append(got, l)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || !errors.Is(err, tc.err) {
			t.Errorf("%.20q: %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	// After a long line the next is read.
	br := bufio.NewReaderSize(bytes.NewBufferString(strings.Repeat("x", 100)+"\nok\n"), 16)
	if _, err := readLine(br, 50); err != errLineTooLong {
		t.Fatal(err)
	}
	if l, err := readLine(br, 50); l != "ok" || err != nil {
		t.Errorf("after a long line: %q, %v", l, err)
	}
}
