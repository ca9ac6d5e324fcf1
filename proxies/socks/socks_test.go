package socks

import (
	"github.com/i2pgo/i2pgo/proxies/proxytest"

	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// fakeDialer answers every Dial with an in-process echo (or handler).
type fakeDialer struct {
	mu      sync.Mutex
	calls   []string // "to:port"
	err     error
	handler func(c net.Conn) // nil: echo
	half    bool             // halfPipe instead of net.Pipe
	wg      sync.WaitGroup
}

func (d *fakeDialer) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	d.mu.Lock()
	d.calls = append(d.calls, to+":"+itoa(int(port)))
	err, h := d.err, d.handler
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a, b := net.Pipe()
	if d.half {
		a, b = halfPipe()
	}
	if h == nil {
		h = func(c net.Conn) { io.Copy(c, c) }
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer b.Close()
		h(b)
	}()
	return a, nil
}

func (d *fakeDialer) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

func itoa(i int) string { return strconv.Itoa(i) }

type fakeResolver struct {
	mu    sync.Mutex
	names map[string]string
	calls []string
}

func (r *fakeResolver) Resolve(ctx context.Context, name string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, name)
	if to, ok := r.names[name]; ok {
		return to, nil
	}
	return "", errors.New("not found")
}

var (
	testB32  = data.B32Address(data.HashOf([]byte("a")))
	testB64  = data.Base64Encode(bytes.Repeat([]byte{7}, 387))
	outB32   = data.B32Address(data.HashOf([]byte("outproxy")))
	resolver = map[string]string{"site.i2p": testB64, "outproxy.i2p": outB32}
)

type env struct {
	t   *testing.T
	s   *Server
	d   *fakeDialer
	r   *fakeResolver
	ctx context.Context
}

func newEnv(t *testing.T, cfg Config) *env {
	d := &fakeDialer{}
	r := &fakeResolver{names: resolver}
	s, err := New(cfg, d, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.wg.Wait)
	return &env{t: t, s: s, d: d, r: r, ctx: t.Context()}
}

// session starts ServeConn on one end of a pipe; wait gives its error.
func (e *env) session() (net.Conn, func() error) {
	c, s := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- e.s.ServeConn(e.ctx, s) }()
	return c, func() error { return <-done }
}

func read(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d: %v", n, err)
	}
	return b
}

func write(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func connect5(host string, port uint16) []byte {
	b := []byte{5, 1, 0, 3, byte(len(host))}
	b = append(b, host...)
	return binary.BigEndian.AppendUint16(b, port)
}

// greet5 does the no-auth greeting.
func greet5(t *testing.T, c net.Conn) {
	t.Helper()
	write(t, c, []byte{5, 1, 0})
	if got := read(t, c, 2); !bytes.Equal(got, []byte{5, 0}) {
		t.Fatalf("method reply % x", got)
	}
}

// reply5 reads a reply with an IPv4 bind address and gives its code.
func reply5(t *testing.T, c net.Conn) byte {
	t.Helper()
	b := read(t, c, 10)
	if b[0] != 5 || b[3] != 1 {
		t.Fatalf("reply % x", b)
	}
	return b[1]
}

func echo(t *testing.T, c net.Conn) {
	t.Helper()
	write(t, c, []byte("ping"))
	if got := read(t, c, 4); string(got) != "ping" {
		t.Fatalf("echo %q", got)
	}
}

func TestSOCKS5ResolvesThroughResolver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		c, wait := e.session()
		greet5(t, c)
		write(t, c, connect5("Site.I2P", 80))
		if rep := reply5(t, c); rep != rep5OK {
			t.Fatalf("reply %d", rep)
		}
		echo(t, c)
		c.Close()
		if err := wait(); err == nil {
			// go-socks5 reports the closed pipe; either is fine
		}
		if got := e.d.Calls(); len(got) != 1 || got[0] != testB64+":80" {
			t.Fatalf("dial %v", got)
		}
		if len(e.r.calls) != 1 || e.r.calls[0] != "site.i2p" {
			t.Fatalf("resolver calls %v", e.r.calls)
		}
	})
}

// A name the DNS cannot know succeeds only if go-socks5 never asks the
// DNS: its default DNSResolver would answer "host unreachable".
func TestSOCKS5NoDNS(t *testing.T) {
	if _, _, err := (noResolver{}).Resolve(t.Context(), "example.com"); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		for _, host := range []string{testB32, "site.i2p"} {
			c, wait := e.session()
			greet5(t, c)
			write(t, c, connect5(host, 443))
			if rep := reply5(t, c); rep != rep5OK {
				t.Fatalf("%s: reply %d", host, rep)
			}
			c.Close()
			wait()
		}
		got := e.d.Calls()
		if len(got) != 2 || got[0] != testB32+":443" || got[1] != testB64+":443" {
			t.Fatalf("dials %v", got)
		}
		if len(e.r.calls) != 1 {
			t.Fatalf("resolver calls %v (b32 must not be resolved)", e.r.calls)
		}
	})
}

func TestSOCKS5Refusals(t *testing.T) {
	ip4 := []byte{5, 1, 0, 1, 93, 184, 216, 34, 0, 80}
	ip6 := append(append([]byte{5, 1, 0, 4}, net.ParseIP("2001:db8::1")...), 0, 80)
	cases := []struct {
		name string
		cfg  Config
		req  []byte
		want byte
	}{
		{"clearnet name", Config{}, connect5("example.com", 80), rep5NotAllowed},
		{"ipv4", Config{}, ip4, rep5NotAllowed},
		{"ipv6", Config{}, ip6, rep5NotAllowed},
		{"localhost", Config{Outproxy: "outproxy.i2p"}, connect5("localhost", 80), rep5NotAllowed},
		{"loopback", Config{Outproxy: "outproxy.i2p"}, []byte{5, 1, 0, 1, 127, 0, 0, 1, 0, 80}, rep5NotAllowed},
		{"port 0", Config{}, connect5("site.i2p", 0), rep5NotAllowed},
		{"empty name", Config{}, connect5("", 80), rep5NotAllowed},
		{"unknown .i2p", Config{}, connect5("nosuch.i2p", 80), rep5HostUnreach},
		{"bad b32", Config{}, connect5("abc.b32.i2p", 80), rep5HostUnreach},
		{"bind", Config{}, append([]byte{5, 2, 0, 3, 8}, "site.i2p\x00\x50"...), rep5CmdNotSupp},
		{"udp associate", Config{}, []byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0}, rep5CmdNotSupp},
		{"unknown command", Config{}, append([]byte{5, 9, 0, 3, 8}, "site.i2p\x00\x50"...), rep5CmdNotSupp},
		{"unknown address type", Config{}, []byte{5, 1, 0, 9}, rep5AddrNotSupp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, tc.cfg)
				c, wait := e.session()
				greet5(t, c)
				write(t, c, tc.req)
				if rep := reply5(t, c); rep != tc.want {
					t.Fatalf("reply %#x, want %#x", rep, tc.want)
				}
				c.Close()
				wait()
				if tc.want != rep5HostUnreach && len(e.d.Calls()) != 0 {
					t.Fatalf("dialed %v", e.d.Calls())
				}
			})
		})
	}
}

func TestSOCKS5DialError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		e.d.err = errors.New("no leaseset")
		c, wait := e.session()
		greet5(t, c)
		write(t, c, connect5(testB32, 80))
		if rep := reply5(t, c); rep != rep5HostUnreach {
			t.Fatalf("reply %d", rep)
		}
		c.Close()
		if err := wait(); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestSOCKS5Auth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{Username: "u", Password: "p"})
		// No acceptable method.
		c, wait := e.session()
		write(t, c, []byte{5, 1, 0})
		if got := read(t, c, 2); !bytes.Equal(got, []byte{5, 0xff}) {
			t.Fatalf("% x", got)
		}
		c.Close()
		wait()
		// Wrong and right password.
		for _, pw := range []string{"x", "p"} {
			c, wait := e.session()
			write(t, c, []byte{5, 1, 2})
			read(t, c, 2)
			write(t, c, append([]byte{1, 1, 'u', byte(len(pw))}, pw...))
			got := read(t, c, 2)
			if want := map[string]byte{"x": 1, "p": 0}[pw]; got[1] != want {
				t.Fatalf("pw %q: % x", pw, got)
			}
			if pw == "p" {
				write(t, c, connect5("site.i2p", 80))
				if rep := reply5(t, c); rep != 0 {
					t.Fatalf("reply %d", rep)
				}
				echo(t, c)
			}
			c.Close()
			wait()
		}
		// SOCKS 4 cannot authenticate.
		c, wait = e.session()
		write(t, c, append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 0}, "site.i2p\x00"...))
		if got := read(t, c, 8); got[1] != rep4Rejected {
			t.Fatalf("% x", got)
		}
		c.Close()
		wait()
	})
}

// fakeOutproxy plays a SOCKS 5 server and records the request.
func fakeOutproxy(got chan<- []byte, rep byte) func(net.Conn) {
	return func(c net.Conn) {
		b := make([]byte, 3)
		io.ReadFull(c, b)
		c.Write([]byte{5, 0})
		h := make([]byte, 4)
		io.ReadFull(c, h)
		var addr []byte
		switch h[3] {
		case 1:
			addr = make([]byte, 4+2)
		case 4:
			addr = make([]byte, 16+2)
		case 3:
			l := make([]byte, 1)
			io.ReadFull(c, l)
			addr = make([]byte, int(l[0])+2)
		}
		io.ReadFull(c, addr)
		got <- append(h, addr...)
		c.Write([]byte{5, rep, 0, 1, 0, 0, 0, 0, 0, 0})
		if rep == 0 {
			io.Copy(c, c)
		}
	}
}

func TestOutproxy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{Outproxy: "outproxy.i2p"})
		got := make(chan []byte, 4)
		e.d.handler = fakeOutproxy(got, 0)
		// A name: passed on unresolved (no DNS here).
		c, wait := e.session()
		greet5(t, c)
		write(t, c, connect5("example.com", 443))
		if rep := reply5(t, c); rep != 0 {
			t.Fatalf("reply %d", rep)
		}
		echo(t, c)
		c.Close()
		wait()
		if r := <-got; !bytes.Equal(r, append([]byte{5, 1, 0, 3}, "example.com\x01\xbb"...)) {
			t.Fatalf("outproxy got % x", r)
		}
		// SOCKS 4 with an IPv4 address.
		c, wait = e.session()
		write(t, c, []byte{4, 1, 0, 80, 93, 184, 216, 34, 'u', 0})
		if r := read(t, c, 8); r[1] != rep4Granted {
			t.Fatalf("% x", r)
		}
		echo(t, c)
		c.Close()
		wait()
		if r := <-got; !bytes.Equal(r, []byte{5, 1, 0, 1, 93, 184, 216, 34, 0, 80}) {
			t.Fatalf("outproxy got % x", r)
		}
		for _, call := range e.d.Calls() {
			if call != outB32+":0" {
				t.Fatalf("dialed %s", call)
			}
		}
		// The outproxy refuses: the client hears "connection refused".
		e.d.handler = fakeOutproxy(got, rep5Refused)
		c, wait = e.session()
		greet5(t, c)
		write(t, c, connect5("example.com", 80))
		if rep := reply5(t, c); rep != rep5Refused {
			t.Fatalf("reply %d", rep)
		}
		c.Close()
		wait()
	})
}

func TestSOCKS4(t *testing.T) {
	long := strings.Repeat("a", 300)
	cases := []struct {
		name string
		req  []byte
		want byte
	}{
		{"4a name", append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 'u', 0}, "site.i2p\x00"...), rep4Granted},
		{"4a b32", append([]byte{4, 1, 0, 80, 0, 0, 0, 9, 0}, testB32+"\x00"...), rep4Granted},
		{"4 ipv4 without outproxy", []byte{4, 1, 0, 80, 10, 0, 0, 1, 0}, rep4Rejected},
		{"4a clearnet", append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 0}, "example.com\x00"...), rep4Rejected},
		{"bind", append([]byte{4, 2, 0, 80, 0, 0, 0, 1, 0}, "site.i2p\x00"...), rep4Rejected},
		{"port 0", append([]byte{4, 1, 0, 0, 0, 0, 0, 1, 0}, "site.i2p\x00"...), rep4Rejected},
		{"long user", append([]byte{4, 1, 0, 80, 0, 0, 0, 1}, long+"\x00"...), rep4Rejected},
		{"long host", append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 0}, long+".i2p\x00"...), rep4Rejected},
		{"empty 4a host", []byte{4, 1, 0, 80, 0, 0, 0, 1, 0, 0}, rep4Rejected},
		{"unknown name", append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 0}, "nosuch.i2p\x00"...), rep4Rejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{})
				c, wait := e.session()
				go c.Write(tc.req) // may stop being read early
				r := read(t, c, 8)
				if r[0] != 0 || r[1] != tc.want {
					t.Fatalf("reply % x, want code %#x", r, tc.want)
				}
				if tc.want == rep4Granted {
					echo(t, c)
				}
				c.Close()
				wait()
			})
		})
	}
}

// Truncated or wrong input: the session ends with an error, without a
// success reply and without panicking.
func TestBadInput(t *testing.T) {
	cases := map[string][]byte{
		"version 6":            {6, 1, 0},
		"version 0":            {0},
		"truncated greeting":   {5, 3, 0},
		"no methods":           {5},
		"request bad version":  {5, 1, 0, 4, 1, 0, 3},
		"truncated request":    {5, 1, 0, 5, 1, 0, 3, 20, 'a'},
		"truncated socks4":     {4, 1, 0},
		"truncated socks4 usr": {4, 1, 0, 80, 0, 0, 0, 1, 'u', 's'},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{})
				c, wait := e.session()
				var out bytes.Buffer
				rd := make(chan struct{})
				go func() { io.Copy(&out, c); close(rd) }()
				c.Write(in)
				synctest.Wait()
				c.Close()
				<-rd
				if err := wait(); err == nil {
					t.Fatal("no error")
				}
				if b := out.Bytes(); len(b) > 3 && b[len(b)-9] == 0 {
					t.Fatalf("success reply % x", b)
				}
				if len(e.d.Calls()) != 0 {
					t.Fatal("dialed")
				}
			})
		})
	}
}

func TestHTTPOnSOCKSPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		c, wait := e.session()
		go c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		b, _ := io.ReadAll(c)
		if !strings.HasPrefix(string(b), "HTTP/1.1 400") {
			t.Fatalf("%q", b)
		}
		wait()
	})
}

// A client that sends part of its request and stalls is closed after
// HandshakeTimeout.
func TestSlowClient(t *testing.T) {
	for name, in := range map[string][]byte{
		"nothing":       nil,
		"socks5 half":   {5, 1},
		"socks5 greet":  {5, 1, 0},
		"socks4a stall": {4, 1, 0, 80, 0, 0, 0, 1, 'u'},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{HandshakeTimeout: 5 * time.Second})
				c, wait := e.session()
				go io.Copy(io.Discard, c)
				if len(in) > 0 {
					write(t, c, in)
				}
				start := time.Now()
				err := wait()
				// go-socks5 flattens errors with %v: match the text.
				if err == nil || !strings.Contains(err.Error(), "timeout") {
					t.Fatalf("err %v", err)
				}
				if d := time.Since(start); d < 4*time.Second || d > 6*time.Second {
					t.Fatalf("closed after %v", d)
				}
				c.Close()
			})
		})
	}
}

type chanListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *chanListener) Close() error   { l.once.Do(func() { close(l.closed) }); return nil }
func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{} }

func (l *chanListener) dial() net.Conn {
	a, b := net.Pipe()
	l.ch <- b
	return a
}

func TestServeMaxConnsAndShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{}
		s, err := New(Config{MaxConns: 1}, d, &fakeResolver{names: resolver}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ln := newChanListener()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, ln) }()

		c1 := ln.dial()
		greet5(t, c1)
		write(t, c1, connect5("site.i2p", 80))
		if rep := reply5(t, c1); rep != 0 {
			t.Fatalf("reply %d", rep)
		}
		c2 := ln.dial()
		if _, err := c2.Read(make([]byte, 1)); err == nil {
			t.Fatal("second client not closed")
		}
		echo(t, c1)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if _, err := c1.Read(make([]byte, 1)); err == nil {
			t.Fatal("client not closed at shutdown")
		}
		d.wg.Wait()
	})
}

func TestNew(t *testing.T) {
	d, r := &fakeDialer{}, &fakeResolver{}
	bad := []Config{
		{Outproxy: "example.com"},
		{Password: "p"},
		{HandshakeTimeout: -1},
		{Username: strings.Repeat("u", 256)},
	}
	for _, c := range bad {
		if _, err := New(c, d, r, nil); err == nil || !strings.HasPrefix(err.Error(), "socks: ") {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := New(Config{}, nil, r, nil); err == nil {
		t.Error("nil dialer accepted")
	}
	if _, err := New(Config{Outproxy: outB32}, d, r, nil); err != nil {
		t.Error(err)
	}
}

// halfPipe is net.Pipe with CloseWrite, as I2P streams and TCP have.
func halfPipe() (net.Conn, net.Conn) { return proxytest.PipeAddrs(&net.UnixAddr{}, &net.UnixAddr{}) }

// A client that half-closes still gets the whole answer, which the far
// end sends only after it saw EOF; both SOCKS versions.
func TestHalfClose(t *testing.T) {
	for _, v := range []int{4, 5} {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, Config{})
			e.d.half = true
			e.d.handler = func(c net.Conn) {
				b, _ := io.ReadAll(c)
				c.Write(append([]byte("got:"), b...))
			}
			c, s := halfPipe()
			done := make(chan error, 1)
			go func() { done <- e.s.ServeConn(e.ctx, s) }()
			if v == 5 {
				greet5(t, c)
				write(t, c, connect5("site.i2p", 80))
				if rep := reply5(t, c); rep != 0 {
					t.Fatalf("reply %d", rep)
				}
			} else {
				write(t, c, append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 0}, testB32+"\x00"...))
				if r := read(t, c, 8); r[1] != rep4Granted {
					t.Fatalf("% x", r)
				}
			}
			write(t, c, []byte("hello"))
			c.(*proxytest.Conn).CloseWrite()
			got, _ := io.ReadAll(c)
			if string(got) != "got:hello" {
				t.Fatalf("v%d: %q", v, got)
			}
			<-done
		})
	}
}

// b33 addresses go to the Dialer as they are, never to the Resolver.
func TestB33(t *testing.T) {
	b33 := data.B33Address{SigType: 7, BlindedSigType: 11, PublicKey: bytes.Repeat([]byte{3}, 32)}.String()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		c, wait := e.session()
		greet5(t, c)
		write(t, c, connect5(strings.ToUpper(b33), 80))
		if rep := reply5(t, c); rep != 0 {
			t.Fatalf("reply %d", rep)
		}
		c.Close()
		wait()
		if got := e.d.Calls(); len(got) != 1 || got[0] != b33+":80" || len(e.r.calls) != 0 {
			t.Fatalf("dials %v, lookups %v", got, e.r.calls)
		}
	})
	s := &Server{}
	if _, err := s.classify("a"+b33, netip.Addr{}, 80); !errors.Is(err, ErrUnknownHost) {
		t.Fatalf("bad b33: %v", err)
	}
}
