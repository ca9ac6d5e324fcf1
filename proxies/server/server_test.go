package server

import (
	"github.com/i2pgo/i2pgo/proxies/proxytest"

	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

var (
	peerHash = data.HashOf([]byte("peer"))
	peerB32  = data.B32Address(peerHash)
	peerB64  = data.Base64Encode(bytes.Repeat([]byte{9}, 387))
)

// stream is an I2P stream twin: RemoteAddr "<b32>.b32.i2p:port".
type stream struct {
	net.Conn
	remote string
}

type addr string

func (a addr) Network() string { return "i2p" }
func (a addr) String() string  { return string(a) }

func (s *stream) RemoteAddr() net.Addr { return addr(s.remote) }

// peerStream also knows the peer's destination.
type peerStream struct{ *stream }

func (s peerStream) PeerDestination() (string, [32]byte) { return peerB64, peerHash }

// newStream gives the client end and the tunnel end of a stream from h.
func newStream(h data.Hash, withPeer bool) (net.Conn, net.Conn) {
	a, b := net.Pipe()
	s := &stream{Conn: b, remote: data.B32Address(h) + ":1234"}
	if withPeer {
		return a, peerStream{s}
	}
	return a, s
}

// web is the local target: it parses one request, records it and the
// bytes after it, answers, half-closes and reads until the tunnel closes.
type web struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
	rest []string
	down bool
	wg   sync.WaitGroup
}

func (w *web) Dial(ctx context.Context, network, a string) (net.Conn, error) {
	if w.down {
		return nil, errors.New("connection refused")
	}
	c, s := halfPipe()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer s.Close()
		br := bufio.NewReader(s)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		b, _ := io.ReadAll(req.Body)
		io.WriteString(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		s.(*proxytest.Conn).CloseWrite()
		rest, _ := io.ReadAll(br)
		w.mu.Lock()
		w.reqs = append(w.reqs, req)
		w.body = append(w.body, string(b))
		w.rest = append(w.rest, string(rest))
		w.mu.Unlock()
	}()
	return c, nil
}

func newHTTP(t *testing.T, cfg HTTPConfig) (*HTTPServer, *web) {
	w := &web{}
	cfg.Target = "127.0.0.1:8080"
	cfg.Dial = w.Dial
	s, err := NewHTTP(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, w
}

// roundTrip sends raw on a new stream and gives the whole answer.
func roundTrip(t *testing.T, s *HTTPServer, raw string, withPeer bool) string {
	t.Helper()
	c, sc := newStream(peerHash, withPeer)
	done := make(chan error, 1)
	go func() { done <- s.ServeConn(t.Context(), sc) }()
	go func() { io.WriteString(c, raw) }()
	out, _ := io.ReadAll(c)
	c.Close()
	<-done
	return string(out)
}

func status(t *testing.T, resp string) int {
	t.Helper()
	r, err := http.ReadResponse(bufio.NewReader(strings.NewReader(resp)), nil)
	if err != nil {
		t.Fatalf("response %q: %v", resp, err)
	}
	return r.StatusCode
}

func TestSpoofedDestHeadersNeverArrive(t *testing.T) {
	for _, withPeer := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			s, w := newHTTP(t, HTTPConfig{Hostname: "site.i2p"})
			raw := "GET / HTTP/1.1\r\nHost: evil\r\nX-I2P-DestB32: spoofed.b32.i2p\r\n" +
				"x-i2p-desthash: spoofed\r\nX-I2P-DESTB64: spoofed\r\nX-I2p-DestB32: spoofed2\r\n\r\n"
			if got := status(t, roundTrip(t, s, raw, withPeer)); got != 200 {
				t.Fatalf("status %d", got)
			}
			w.wg.Wait()
			h := w.reqs[0].Header
			if v := h.Values("X-I2P-DestB32"); len(v) != 1 || v[0] != peerB32 {
				t.Fatalf("DestB32 %q", v)
			}
			if v := h.Values("X-I2P-DestHash"); len(v) != 1 || v[0] != data.Base64Encode(peerHash[:]) {
				t.Fatalf("DestHash %q", v)
			}
			b64 := h.Values("X-I2P-DestB64")
			if withPeer && (len(b64) != 1 || b64[0] != peerB64) || !withPeer && len(b64) != 0 {
				t.Fatalf("peer %v: DestB64 %q", withPeer, b64)
			}
			if w.reqs[0].Host != "site.i2p" {
				t.Fatalf("Host %q", w.reqs[0].Host)
			}
		})
	}
}

func TestHostAndHopByHop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, w := newHTTP(t, HTTPConfig{Hostname: "site.i2p"})
		raw := "GET http://other.i2p/a?b HTTP/1.1\r\nHost: other.i2p\r\nConnection: keep-alive, X-Secret, Content-Length\r\n" +
			"X-Secret: 1\r\nKeep-Alive: 300\r\nProxy-Connection: keep-alive\r\nUpgrade: websocket\r\nTE: trailers\r\n" +
			"Proxy-Authorization: Basic x\r\nX-Accept-Encoding: x-i2p-gzip\r\nAccept: */*\r\n\r\n"
		if got := status(t, roundTrip(t, s, raw, true)); got != 200 {
			t.Fatalf("status %d", got)
		}
		w.wg.Wait()
		r := w.reqs[0]
		if r.Host != "site.i2p" || r.RequestURI != "/a?b" {
			t.Fatalf("host %q uri %q", r.Host, r.RequestURI)
		}
		for _, k := range []string{"X-Secret", "Keep-Alive", "Proxy-Connection", "Upgrade", "Te", "Proxy-Authorization", "X-Accept-Encoding"} {
			if v := r.Header.Values(k); len(v) != 0 {
				t.Errorf("%s passed: %q", k, v)
			}
		}
		if !r.Close || r.Header.Get("Connection") != "close" || r.Header.Get("Accept") != "*/*" {
			t.Fatalf("header %v", r.Header)
		}
	})
}

func TestHeadErrors(t *testing.T) {
	long := strings.Repeat("a", 9000)
	many := strings.Repeat("X-A: 1\r\n", 61)
	cases := []struct {
		name, raw string
		cfg       HTTPConfig
		want      int
	}{
		{"garbage", "hello\r\n\r\n", HTTPConfig{}, 400},
		{"no colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", HTTPConfig{}, 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", HTTPConfig{}, 400},
		{"folding", "GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", HTTPConfig{}, 400},
		{"nul", "GET / HTTP/1.1\r\nHost: x\x00\r\n\r\n", HTTPConfig{}, 400},
		{"no host", "GET / HTTP/1.1\r\n\r\n", HTTPConfig{}, 400},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HTTPConfig{}, 400},
		{"cl and te", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", HTTPConfig{}, 400},
		{"differing cl", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", HTTPConfig{}, 400},
		{"bad cl", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n", HTTPConfig{}, 400},
		{"gzip te", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HTTPConfig{}, 501},
		{"http2", "PRI * HTTP/2.0\r\n\r\n", HTTPConfig{}, 505},
		{"long uri", "GET /" + long + " HTTP/1.1\r\n\r\n", HTTPConfig{}, 414},
		{"long header", "GET / HTTP/1.1\r\nX-A: " + long + long + "\r\n\r\n", HTTPConfig{}, 431},
		{"big head", "GET / HTTP/1.1\r\n" + strings.Repeat("X-A: "+long[:1000]+"\r\n", 20) + "\r\n", HTTPConfig{}, 431},
		{"many headers", "GET / HTTP/1.1\r\nHost: a\r\n" + many + "\r\n", HTTPConfig{}, 431},
		{"truncated", "GET / HTTP/1.1\r\nHost: a\r\n", HTTPConfig{}, 400},
		{"inproxy", "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", HTTPConfig{RejectInproxy: true}, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, w := newHTTP(t, tc.cfg)
				c, sc := newStream(peerHash, true)
				if tc.name == "truncated" { // the client half-closes
					hc, hs := halfPipe()
					c, sc = hc, &halfStream{hs.(*proxytest.Conn), peerB32 + ":1"}
				}
				done := make(chan error, 1)
				go func() { done <- s.ServeConn(t.Context(), sc) }()
				go func() {
					io.WriteString(c, tc.raw)
					if pc, ok := c.(*proxytest.Conn); ok {
						pc.CloseWrite()
					}
				}()
				out, _ := io.ReadAll(c)
				c.Close()
				err := <-done
				if got := status(t, string(out)); got != tc.want {
					t.Fatalf("status %d, want %d", got, tc.want)
				}
				var se *StatusError
				if !errors.As(err, &se) || se.Code != tc.want || !strings.HasPrefix(err.Error(), "server: ") {
					t.Fatalf("err %v", err)
				}
				if len(w.reqs) != 0 {
					t.Fatal("request reached the web server")
				}
			})
		})
	}
}

func TestSlowClient408(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newHTTP(t, HTTPConfig{HeaderTimeout: 15 * time.Second})
		c, sc := newStream(peerHash, true)
		done := make(chan error, 1)
		go func() { done <- s.ServeConn(t.Context(), sc) }()
		start := time.Now()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow")
		out, _ := io.ReadAll(c)
		if got := status(t, string(out)); got != 408 {
			t.Fatalf("status %d", got)
		}
		if d := time.Since(start); d != 15*time.Second {
			t.Fatalf("after %v", d)
		}
		<-done
	})
}

// Bodies are framed exactly: what follows the first request (here a
// second, spoofing request) never reaches the web server.
func TestBodyFramingNoSmuggling(t *testing.T) {
	evil := "GET /evil HTTP/1.1\r\nHost: a\r\nX-I2P-DestB32: spoofed.b32.i2p\r\n\r\n"
	cases := []struct{ name, raw, body string }{
		{"content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" + evil, "hello"},
		{"chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-I2P-DestB32: spoofed\r\n\r\n" + evil, "hello"},
		{"no body", "GET / HTTP/1.1\r\nHost: a\r\n\r\n" + evil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, w := newHTTP(t, HTTPConfig{})
				if got := status(t, roundTrip(t, s, tc.raw, true)); got != 200 {
					t.Fatalf("status %d", got)
				}
				w.wg.Wait()
				if len(w.reqs) != 1 || w.body[0] != tc.body {
					t.Fatalf("reqs %d body %q", len(w.reqs), w.body)
				}
				if strings.Contains(w.rest[0], "evil") || strings.Contains(w.rest[0], "spoofed") {
					t.Fatalf("after the request: %q", w.rest[0])
				}
				if v := w.reqs[0].Header.Values("X-I2P-DestB32"); len(v) != 1 || v[0] != peerB32 {
					t.Fatalf("DestB32 %q", v)
				}
				if tc.name == "chunked" && len(w.reqs[0].Trailer) != 0 {
					t.Fatalf("trailer %v", w.reqs[0].Trailer)
				}
			})
		})
	}
}

func TestTargetDown503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, w := newHTTP(t, HTTPConfig{})
		w.down = true
		if got := status(t, roundTrip(t, s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true)); got != 503 {
			t.Fatalf("status %d", got)
		}
	})
}

func TestLimits(t *testing.T) {
	req := "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	t.Run("per minute", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, w := newHTTP(t, HTTPConfig{Config: Config{MaxConnsPerMinute: 2}})
			for i, want := range []int{200, 200, 429} {
				if got := status(t, roundTrip(t, s, req, true)); got != want {
					t.Fatalf("request %d: %d, want %d", i, got, want)
				}
			}
			time.Sleep(time.Minute)
			if got := status(t, roundTrip(t, s, req, true)); got != 200 {
				t.Fatalf("after a minute: %d", got)
			}
			w.wg.Wait()
		})
	})
	t.Run("concurrent per peer and total", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, _ := newHTTP(t, HTTPConfig{Config: Config{MaxConnsPerPeer: 1, MaxConns: 2}})
			// One stream of peer A stays open (its head unfinished).
			a, sa := newStream(peerHash, true)
			done := make(chan error, 3)
			go func() { done <- s.ServeConn(t.Context(), sa) }()
			io.WriteString(a, "GET")
			if got := status(t, roundTrip(t, s, req, true)); got != 429 {
				t.Fatalf("second stream of one peer: %d", got)
			}
			// Peer B takes the last place; peer C finds none.
			b, sb := newStream(data.HashOf([]byte("b")), false)
			go func() { done <- s.ServeConn(t.Context(), sb) }()
			io.WriteString(b, "GET")
			c, sc := newStream(data.HashOf([]byte("c")), false)
			go func() { done <- s.ServeConn(t.Context(), sc) }()
			out, _ := io.ReadAll(c)
			if got := status(t, string(out)); got != 503 {
				t.Fatalf("over MaxConns: %d", got)
			}
			if err := <-done; !errors.Is(err, ErrTooMany) {
				t.Fatalf("err %v", err)
			}
			a.Close()
			b.Close()
			<-done
			<-done
		})
	})
}

func TestPlainServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		s, err := New(Config{Target: "127.0.0.1:22", Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, srv := halfPipe()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer srv.Close()
				b, _ := io.ReadAll(srv)
				srv.Write(append([]byte("got:"), b...))
			}()
			return c, nil
		}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Half-close passes through: the target answers after EOF.
		c, sc := halfPipe()
		done := make(chan error, 1)
		go func() { done <- s.ServeConn(t.Context(), &halfStream{sc.(*proxytest.Conn), peerB32 + ":1"}) }()
		io.WriteString(c, "hello")
		c.(*proxytest.Conn).CloseWrite()
		out, _ := io.ReadAll(c)
		if string(out) != "got:hello" {
			t.Fatalf("%q", out)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// A stream without an I2P peer is refused.
		c2, sc2 := net.Pipe()
		if err := s.ServeConn(t.Context(), sc2); !errors.Is(err, ErrNoPeer) {
			t.Fatalf("err %v", err)
		}
		c2.Close()
		wg.Wait()
	})
}

func TestServeShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newHTTP(t, HTTPConfig{})
		ln := &chanListener{ch: make(chan net.Conn), closed: make(chan struct{})}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, ln) }()
		c, sc := newStream(peerHash, true)
		ln.ch <- sc
		io.WriteString(c, "GET")
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("stream open after shutdown")
		}
	})
}

func TestNewChecks(t *testing.T) {
	for _, c := range []HTTPConfig{{}, {Config: Config{Target: "nohost"}}, {Config: Config{Target: "a:1"}, Hostname: "a b"}, {Config: Config{Target: "a:1"}, MaxHeaders: -1}} {
		if _, err := NewHTTP(c, nil); err == nil || !strings.HasPrefix(err.Error(), "server: ") {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := New(Config{Target: "127.0.0.1:80"}, nil); err != nil {
		t.Error(err)
	}
}

type chanListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
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
func (l *chanListener) Addr() net.Addr { return addr("x") }

// halfPipe is net.Pipe with CloseWrite, as I2P streams and TCP have.
func halfPipe() (net.Conn, net.Conn) { return proxytest.PipeAddrs(addr("local"), addr("remote")) }

type halfStream struct {
	*proxytest.Conn
	remote string
}

func (s *halfStream) RemoteAddr() net.Addr { return addr(s.remote) }
