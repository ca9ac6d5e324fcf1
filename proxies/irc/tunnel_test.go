package irc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// chanListener is an in-memory net.Listener fed by tests.
type chanListener struct {
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *chanListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *chanListener) Addr() net.Addr { return fakeAddr("listener") }

// connect hands the listener a new connection and returns our end.
func (l *chanListener) connect(t *testing.T, remote string) net.Conn {
	t.Helper()
	a, b := net.Pipe()
	var c net.Conn = b
	if remote != "" {
		c = addrConn{b, fakeAddr(remote)}
	}
	l.ch <- c
	return a
}

type fakeAddr string

func (a fakeAddr) Network() string { return "i2p" }
func (a fakeAddr) String() string  { return string(a) }

type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// fakeDialer is the I2P side: each Dial to a good target hands the far end
// of a pipe to ircd.
type fakeDialer struct {
	mu    sync.Mutex
	dials []string
	bad   map[string]bool
	ircd  chan net.Conn
}

func (d *fakeDialer) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, target{to, port}.String())
	d.mu.Unlock()
	if d.bad[to] {
		return nil, errors.New("no route")
	}
	a, b := net.Pipe()
	select {
	case d.ircd <- b:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// localDialer is the server tunnel's connect to the ircd.
type localDialer struct {
	fail bool
	ircd chan net.Conn
}

func (d *localDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.fail {
		return nil, errors.New("connection refused")
	}
	a, b := net.Pipe()
	d.ircd <- b
	return a, nil
}

// readLines reads CR LF lines from c until one equals last (or EOF).
func readLines(t *testing.T, c net.Conn, last string) []string {
	t.Helper()
	var got []string
	r := bufio.NewReader(c)
	for {
		s, err := r.ReadString('\n')
		if err != nil {
			return got
		}
		s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
		got = append(got, s)
		if s == last {
			return got
		}
	}
}

func writeAsync(c net.Conn, s string) chan error {
	ch := make(chan error, 1)
	go func() { _, err := io.WriteString(c, s); ch <- err }()
	return ch
}

type clientRig struct {
	t      *testing.T
	d      *fakeDialer
	ln     *chanListener
	cancel context.CancelFunc
	served chan error
}

func startClient(t *testing.T, cfg ClientConfig) *clientRig {
	t.Helper()
	d := &fakeDialer{bad: map[string]bool{"down.b32.i2p": true}, ircd: make(chan net.Conn)}
	if cfg.Targets == nil {
		cfg.Targets = []string{"irc.b32.i2p:6667"}
	}
	c, err := NewClient(cfg, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.pick = func(int) int { return 0 }
	ctx, cancel := context.WithCancel(context.Background())
	r := &clientRig{t: t, d: d, ln: newChanListener(), cancel: cancel, served: make(chan error, 1)}
	go func() { r.served <- c.Serve(ctx, r.ln) }()
	return r
}

func (r *clientRig) stop() {
	r.t.Helper()
	r.cancel()
	if err := <-r.served; !errors.Is(err, context.Canceled) {
		r.t.Errorf("Serve returned %v", err)
	}
}

func TestClientSession(t *testing.T) {
	r := startClient(t, ClientConfig{Targets: []string{"down.b32.i2p", "irc.b32.i2p:6667"}})
	defer r.stop()
	user := r.ln.connect(t, "")
	defer user.Close()
	sent := writeAsync(user, "CAP LS 302\r\nNICK alice\r\nUSER alice 8 * :Alice Liddell\r\n"+
		"JOIN #i2p\r\nPRIVMSG #i2p :hello\r\n"+
		"PRIVMSG bob :\x01VERSION\x01\r\n"+
		"PRIVMSG bob :\x01DCC SEND secret.txt 3232235777 5000 1024\x01\r\n"+
		"NOTICE bob :DCC Send secret.txt (192.168.1.1)\r\n"+
		"PRIVMSG #i2p :\x01ACTION waves\x01\r\n"+
		"PART #i2p :my reason\r\n"+
		"QUIT :WeeChat 4.1 on 10.0.0.5\r\n")
	ircd := <-r.d.ircd
	defer ircd.Close()
	got := readLines(t, ircd, "QUIT :leaving")
	want := []string{
		"CAP LS 302", "NICK alice", "USER alice hostname localhost :Alice Liddell",
		"JOIN #i2p", "PRIVMSG #i2p :hello", "PRIVMSG #i2p :\x01ACTION waves\x01",
		"PART #i2p :leaving", "QUIT :leaving",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ircd got\n%q\nwant\n%q", got, want)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(r.d.dials, ","); g != "down.b32.i2p,irc.b32.i2p:6667" {
		t.Errorf("dials %s", g)
	}

	back := writeAsync(ircd, ":irc 001 alice :Welcome\r\n"+
		":bob!b@b PRIVMSG alice :\x01VERSION\x01\r\n"+
		":bob!b@b PRIVMSG alice :\x01DCC SEND x bob.b32.i2p 5000 1\x01\r\n"+
		":bob!b@b INVITE alice #x\r\n"+
		":bob!b@b PRIVMSG #i2p :\x01ACTION waves back\x01\r\n"+
		"PING :irc\r\n"+
		":irc 002 alice :end\r\n")
	got = readLines(t, user, ":irc 002 alice :end")
	want = []string{":irc 001 alice :Welcome", ":bob!b@b PRIVMSG #i2p :\x01ACTION waves back\x01",
		"PING 127.0.0.1", ":irc 002 alice :end"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("user got\n%q\nwant\n%q", got, want)
	}
	if err := <-back; err != nil {
		t.Fatal(err)
	}
}

func TestClientPingPong(t *testing.T) {
	r := startClient(t, ClientConfig{})
	defer r.stop()
	user := r.ln.connect(t, "")
	defer user.Close()
	writeAsync(user, "PING 12345 127.0.0.1\r\n")
	ircd := <-r.d.ircd
	defer ircd.Close()
	if got := readLines(t, ircd, "PING 12345"); len(got) != 1 {
		t.Fatalf("ircd got %q", got)
	}
	writeAsync(ircd, ":irc PONG irc :12345\r\n")
	if got := readLines(t, user, "PONG 127.0.0.1 :12345"); len(got) != 1 {
		t.Fatalf("user got %q", got)
	}
}

func TestClientAllTargetsDown(t *testing.T) {
	r := startClient(t, ClientConfig{Targets: []string{"down.b32.i2p"}})
	defer r.stop()
	user := r.ln.connect(t, "")
	defer user.Close()
	b, _ := io.ReadAll(user)
	if !strings.HasPrefix(string(b), ":down.b32.i2p 499 you :irc: dial down.b32.i2p: no route") || !strings.HasSuffix(string(b), "\r\n") {
		t.Fatalf("got %q", b)
	}
}

// Bad input: each case sends junk, then "NICK ok"; only NICK ok may reach
// the ircd.
func TestClientBadInput(t *testing.T) {
	junk := make([]byte, 0, 4096)
	for i := range 4096 {
		b := byte(i*7 + 3)
		if i%97 == 0 {
			b = '\n'
		}
		junk = append(junk, b)
	}
	for name, in := range map[string]string{
		"long line":        "PRIVMSG #a :" + strings.Repeat("x", 600) + "\r\n",
		"exactly 513":      "PRIVMSG #a :" + strings.Repeat("x", 513-2-12) + "\r\n",
		"binary junk":      string(junk) + "\n",
		"1MiB no newline":  strings.Repeat("NICK ", 1<<18) + "\n",
		"many ctcp":        strings.Repeat("PRIVMSG bob :\x01VERSION\x01\r\n", 20000),
		"bare cr smuggle":  "FOO x\rWEBIRC a b c d\r\n",
		"nul and unknowns": "\x00\x00\r\nSERVER x\r\nPROTOCTL y\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			r := startClient(t, ClientConfig{})
			defer r.stop()
			user := r.ln.connect(t, "")
			defer user.Close()
			sent := writeAsync(user, in+"NICK ok\r\n")
			ircd := <-r.d.ircd
			defer ircd.Close()
			got := readLines(t, ircd, "NICK ok")
			if len(got) != 1 || got[0] != "NICK ok" {
				t.Fatalf("ircd got %d lines, first %.80q", len(got), got)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestClientManyLines(t *testing.T) {
	r := startClient(t, ClientConfig{})
	defer r.stop()
	user := r.ln.connect(t, "")
	defer user.Close()
	const n = 20000
	var b bytes.Buffer
	for range n {
		b.WriteString("PRIVMSG #a :line\r\n")
	}
	b.WriteString("NICK done\r\n")
	writeAsync(user, b.String())
	ircd := <-r.d.ircd
	defer ircd.Close()
	if got := readLines(t, ircd, "NICK done"); len(got) != n+1 {
		t.Fatalf("ircd got %d lines", len(got))
	}
}

// A client that never finishes a line is cut off after ReadTimeout, with
// no more than the bounded buffer held meanwhile.
func TestClientNoNewlineTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startClient(t, ClientConfig{ReadTimeout: time.Minute})
		defer r.stop()
		user := r.ln.connect(t, "")
		defer user.Close()
		ircd := make(chan net.Conn, 1)
		go func() { ircd <- <-r.d.ircd }()
		io.WriteString(user, "NICK trickle")
		start := time.Now()
		n, err := user.Read(make([]byte, 16)) // returns when the tunnel closes us
		if n != 0 || err == nil {
			t.Fatalf("read %d %v", n, err)
		}
		if d := time.Since(start); d != time.Minute {
			t.Fatalf("closed after %v", d)
		}
		c := <-ircd
		if b, _ := io.ReadAll(c); len(b) != 0 {
			t.Fatalf("ircd got %q", b)
		}
	})
}

func TestNewClientErrors(t *testing.T) {
	d := &fakeDialer{}
	for _, cfg := range []ClientConfig{{}, {Targets: []string{"a:0"}}, {Targets: []string{"a:x"}}, {Targets: []string{"a"}, MaxLine: 3}} {
		if _, err := NewClient(cfg, d, nil); err == nil || !strings.HasPrefix(err.Error(), "irc: ") {
			t.Errorf("%+v: err %v", cfg, err)
		}
	}
	if _, err := NewClient(ClientConfig{Targets: []string{"a"}}, nil, nil); err == nil {
		t.Error("nil dialer accepted")
	}
}

// --- server tunnel ---

var (
	peerHash = data.Hash{1, 2, 3, 4, 5}
	peerB32  = data.Base32Encode(peerHash[:])
	peerAddr = peerB32 + ".b32.i2p:1234"
)

type serverRig struct {
	ld     *localDialer
	ln     *chanListener
	cancel context.CancelFunc
	served chan error
}

func startServer(t *testing.T, cfg ServerConfig, fail bool) *serverRig {
	t.Helper()
	cfg.Target = "127.0.0.1:6667"
	ld := &localDialer{fail: fail, ircd: make(chan net.Conn)}
	s, err := NewServer(cfg, ld, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &serverRig{ld: ld, ln: newChanListener(), cancel: cancel, served: make(chan error, 1)}
	go func() { r.served <- s.Serve(ctx, r.ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.served; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return r
}

func TestServerUserRewrite(t *testing.T) {
	r := startServer(t, ServerConfig{}, false)
	stream := r.ln.connect(t, peerAddr)
	defer stream.Close()
	writeAsync(stream, "CAP LS 302\r\nNICK alice\r\nUSER alice hostname localhost :Alice L\r\nJOIN #a\r\nPRIVMSG #a :\x01VERSION\x01\r\n")
	ircd := <-r.ld.ircd
	defer ircd.Close()
	got := readLines(t, ircd, "PRIVMSG #a :\x01VERSION\x01")
	want := []string{"CAP LS 302", "NICK alice", "USER alice " + peerB32 + ".b32.i2p localhost :Alice L", "JOIN #a", "PRIVMSG #a :\x01VERSION\x01"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ircd got\n%q\nwant\n%q", got, want)
	}
	writeAsync(ircd, ":irc 001 alice :hi\r\n")
	if got := readLines(t, stream, ":irc 001 alice :hi"); len(got) != 1 {
		t.Errorf("client got %q", got)
	}
}

func TestServerWebIRC(t *testing.T) {
	r := startServer(t, ServerConfig{WebIRCPassword: "sekrit", WebIRCGateway: "i2pgo"}, false)
	stream := r.ln.connect(t, peerAddr)
	defer stream.Close()
	ircd := <-r.ld.ircd
	defer ircd.Close()
	writeAsync(stream, "NICK alice\r\nUSER alice 0 * :A\r\n")
	got := readLines(t, ircd, "USER alice 0 * :A")
	want := []string{"WEBIRC sekrit i2pgo " + peerB32 + ".b32.i2p 127.0.0.1", "NICK alice", "USER alice 0 * :A"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ircd got\n%q\nwant\n%q", got, want)
	}
}

func TestServerUnavailable(t *testing.T) {
	r := startServer(t, ServerConfig{}, true)
	stream := r.ln.connect(t, peerAddr)
	defer stream.Close()
	writeAsync(stream, "NICK a\r\nUSER a b c :d\r\n")
	if b, _ := io.ReadAll(stream); string(b) != ErrUnavailable {
		t.Fatalf("got %q", b)
	}
}

func TestServerBadRegistration(t *testing.T) {
	for name, in := range map[string]string{
		"too many lines": strings.Repeat("NICK a\r\n", 11) + "USER a b c :d\r\n",
		"short USER":     "USER a b\r\n",
		"long line":      strings.Repeat("x", 600) + "\r\n",
		"EOF":            "NICK a\r\n",
		"blank":          "   \r\n",
	} {
		t.Run(name, func(t *testing.T) {
			s, _ := NewServer(ServerConfig{Target: "x:1"}, &localDialer{ircd: make(chan net.Conn)}, nil)
			a, b := net.Pipe()
			done := make(chan error, 1)
			go func() { done <- s.ServeConn(context.Background(), addrConn{b, fakeAddr(peerAddr)}) }()
			go func() { io.WriteString(a, in); a.Close() }()
			if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "irc: registration") {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestServerHeaderTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := NewServer(ServerConfig{Target: "x:1"}, &localDialer{ircd: make(chan net.Conn)}, nil)
		a, b := net.Pipe()
		defer a.Close()
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- s.ServeConn(context.Background(), addrConn{b, fakeAddr(peerAddr)}) }()
		io.WriteString(a, "NICK never-ending")
		if err := <-done; err == nil || time.Since(start) != DefaultHeaderTimeout {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
	})
}

func TestServerBadPeer(t *testing.T) {
	s, _ := NewServer(ServerConfig{Target: "x:1"}, &localDialer{}, nil)
	for _, addr := range []string{"1.2.3.4:5", "short.b32.i2p:1", strings.Repeat("1", 52) + ".b32.i2p:1"} {
		a, b := net.Pipe()
		a.Close()
		if err := s.ServeConn(context.Background(), addrConn{b, fakeAddr(addr)}); err == nil {
			t.Errorf("%s accepted", addr)
		}
	}
}

func TestHostnameCloak(t *testing.T) {
	mk := func(key string) *Server {
		s, err := NewServer(ServerConfig{Target: "x:1", CloakKey: key, FakeHostname: "%c.cloak"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, c := mk("pass"), mk(" pass "), mk("other")
	other := data.Hash{9}
	ha := a.Hostname(peerHash)
	if len(ha) != 52+len(".cloak") || ha != b.Hostname(peerHash) {
		t.Errorf("cloak not stable across servers with the same key: %s %s", ha, b.Hostname(peerHash))
	}
	if ha == c.Hostname(peerHash) || ha == a.Hostname(other) {
		t.Error("cloak does not depend on key and hash")
	}
	r1, r2 := mk(""), mk("")
	if r1.Hostname(peerHash) == r2.Hostname(peerHash) {
		t.Error("random cloak keys equal")
	}
	s, _ := NewServer(ServerConfig{Target: "x:1"}, nil, nil)
	if got := s.Hostname(peerHash); got != peerB32+".b32.i2p" {
		t.Errorf("default hostname %s", got)
	}
}

func TestNewServerErrors(t *testing.T) {
	for _, cfg := range []ServerConfig{
		{},
		{Target: "x:1", Method: "webirc"},
		{Target: "x:1", Method: "bogus"},
		{Target: "x:1", WebIRCPassword: "a b"},
		{Target: "x:1", FakeHostname: "a b"},
	} {
		if _, err := NewServer(cfg, nil, nil); err == nil || !strings.HasPrefix(err.Error(), "irc: ") {
			t.Errorf("%+v: err %v", cfg, err)
		}
	}
}
