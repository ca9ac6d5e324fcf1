package httpproxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// pipeListener is an in-memory net.Listener.
type pipeListener struct {
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial() (net.Conn, error) {
	a, b := net.Pipe()
	select {
	case l.ch <- b:
		return a, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// seen is what the fake eepsite received.
type seen struct {
	Host, URI, Method string
	Header            http.Header
	Body              string
	TE                []string
	Close             bool
}

// fakeNet is a Dialer whose destinations are in-process HTTP handlers.
type fakeNet struct {
	mu    sync.Mutex
	sites map[string]*pipeListener // dial string -> site listener
	errs  map[string]error
	dials []string
	seen  []seen
	srv   []*http.Server
	raw   map[string]func(net.Conn) // raw stream handlers
}

func newFakeNet() *fakeNet {
	return &fakeNet{sites: map[string]*pipeListener{}, errs: map[string]error{}, raw: map[string]func(net.Conn){}}
}

func (n *fakeNet) site(t *testing.T, to string, h http.HandlerFunc) {
	ln := newPipeListener()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n.mu.Lock()
		n.seen = append(n.seen, seen{r.Host, r.RequestURI, r.Method, r.Header.Clone(), string(body), r.TransferEncoding, r.Close})
		n.mu.Unlock()
		h(w, r)
	})}
	n.mu.Lock()
	n.sites[to] = ln
	n.srv = append(n.srv, srv)
	n.mu.Unlock()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func (n *fakeNet) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	n.mu.Lock()
	n.dials = append(n.dials, fmt.Sprintf("%s:%d", to, port))
	err, ln, raw := n.errs[to], n.sites[to], n.raw[to]
	n.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("fake: %w", err)
	}
	if raw != nil {
		a, b := net.Pipe()
		go raw(b)
		return a, nil
	}
	if ln == nil {
		return nil, fmt.Errorf("fake: %w", ErrNotFound)
	}
	return ln.dial()
}

func (n *fakeNet) lastSeen(t *testing.T) seen {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.seen) == 0 {
		t.Fatal("the site saw no request")
	}
	return n.seen[len(n.seen)-1]
}

type mapResolver struct {
	mu sync.Mutex
	m  map[string]string
}

func (r *mapResolver) Resolve(_ context.Context, name string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.m[name]; ok {
		return d, nil
	}
	return "", ErrUnknownName
}

func (r *mapResolver) Add(name, dest string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[name] = dest
	return nil
}

// testDest makes a base64 destination (DSA, null certificate) and its b32.
func testDest(t *testing.T, seed byte) (string, string) {
	b := make([]byte, 387)
	for i := range 384 {
		b[i] = seed + byte(i*7)
	}
	s := data.Base64Encode(b)
	d, err := data.DestinationFromBase64(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, d.B32()
}

type env struct {
	t   *testing.T
	p   *Proxy
	ln  *pipeListener
	net *fakeNet
	res *mapResolver
}

func start(t *testing.T, cfg Config, book bool) *env {
	t.Helper()
	e := &env{t: t, ln: newPipeListener(), net: newFakeNet(), res: &mapResolver{m: map[string]string{}}}
	deps := Deps{Dialer: e.net, Resolver: e.res}
	if book {
		deps.Book = e.res
	}
	if cfg.CSRFSecret == nil {
		cfg.CSRFSecret = []byte("test secret")
	}
	p, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, e.ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return e
}

// browser is one raw connection to the proxy.
type browser struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (e *env) browser() *browser {
	c, err := e.ln.dial()
	if err != nil {
		e.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	e.t.Cleanup(func() { c.Close() })
	return &browser{t: e.t, c: c, br: bufio.NewReader(c)}
}

func (b *browser) send(s string) {
	b.t.Helper()
	go b.c.Write([]byte(s)) // net.Pipe is synchronous: don't block on a proxy that replies early
}

func (b *browser) resp(method string) (*http.Response, string) {
	b.t.Helper()
	resp, err := http.ReadResponse(b.br, &http.Request{Method: method})
	if err != nil {
		b.t.Fatalf("reading response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("reading body: %v", err)
	}
	return resp, string(body)
}

func (e *env) do(req string) (*http.Response, string) {
	e.t.Helper()
	b := e.browser()
	b.send(req)
	method, _, _ := strings.Cut(req, " ")
	return b.resp(method)
}

func okSite(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from "+r.Host) }

// A curl/browser-like request full of curlHeaders headers.
const curlHeaders = "Accept: text/html,application/xhtml+xml\r\n" +
	"Accept-Language: de-CH,de;q=0.9\r\nAccept-Charset: utf-8\r\nAccept-Encoding: gzip\r\n" +
	"User-Agent: curl/8.5.0 (x86_64-pc-linux-gnu)\r\nReferer: http://other.i2p/page\r\n" +
	"Via: 1.1 corp-proxy\r\nX-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Host: me.example\r\n" +
	"X-Forwarded-Server: me\r\nX-Forwarded-Proto: http\r\nForwarded: for=192.0.2.7\r\n" +
	"X-Real-IP: 192.0.2.7\r\nFrom: user@example.com\r\nProxy-Connection: keep-alive\r\n" +
	"Proxy-Authorization: Basic dXNlcjpwdw==\r\nX-Requested-With: XMLHttpRequest\r\n" +
	"Sec-CH-UA-Platform: \"Linux\"\r\nAuthorization: NTLM TlRMTVNTUAAB\r\nKeep-Alive: 300\r\n" +
	"Cookie: a=b\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"

func TestHeadersFiltered(t *testing.T) {
	e := start(t, Config{}, false)
	dest, b32 := testDest(t, 1)
	e.res.m["example.i2p"] = dest
	e.net.site(t, dest, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Proxy-Authenticate", "Basic")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Site", "yes")
		okSite(w, r)
	})
	resp, body := e.do("GET http://example.i2p/a/b?x=1#frag HTTP/1.1\r\nHost: example.i2p\r\n" + curlHeaders + "\r\n")
	if resp.StatusCode != 200 || body != "hello from "+b32 {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	s := e.net.lastSeen(t)
	if s.Host != b32 || s.URI != "/a/b?x=1" || !s.Close {
		t.Errorf("host %q uri %q close %v", s.Host, s.URI, s.Close)
	}
	if got := s.Header.Get("User-Agent"); got != DefaultUserAgent {
		t.Errorf("User-Agent %q", got)
	}
	if got := s.Header.Get("Accept"); got != acceptHTML {
		t.Errorf("Accept %q", got)
	}
	if got := s.Header.Get("Accept-Encoding"); got != "gzip" {
		t.Errorf("Accept-Encoding %q", got)
	}
	if got := s.Header.Get("Cookie"); got != "a=b" {
		t.Errorf("Cookie %q", got)
	}
	for _, h := range []string{"Accept-Language", "Accept-Charset", "Referer", "Via", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Server", "X-Forwarded-Proto", "Forwarded", "X-Real-Ip", "From",
		"Proxy-Connection", "Proxy-Authorization", "X-Requested-With", "Sec-Ch-Ua-Platform",
		"Authorization", "Keep-Alive", "X-Secret"} {
		if v, ok := s.Header[http.CanonicalHeaderKey(h)]; ok {
			t.Errorf("site saw %s: %q", h, v)
		}
	}
	if got := e.net.dials; len(got) != 1 || got[0] != dest+":80" {
		t.Errorf("dials %q", got)
	}
	for _, h := range []string{"Proxy-Authenticate", "Keep-Alive"} {
		if resp.Header.Get(h) != "" {
			t.Errorf("browser saw %s", h)
		}
	}
	if resp.Header.Get("X-Site") != "yes" || resp.Close {
		t.Errorf("response headers %v close %v", resp.Header, resp.Close)
	}
}

func TestRefererSameHost(t *testing.T) {
	e := start(t, Config{}, false)
	_, b32 := testDest(t, 2)
	e.net.site(t, b32, okSite)
	e.do("GET http://" + b32 + "/x HTTP/1.1\r\nHost: " + b32 + "\r\nReferer: http://" + b32 + "/from?q=1\r\n\r\n")
	if got := e.net.lastSeen(t).Header.Get("Referer"); got != "/from?q=1" {
		t.Errorf("Referer %q", got)
	}
}

func TestAccept(t *testing.T) {
	for in, want := range map[string]string{
		"image/avif,image/webp,*/*": acceptImg,
		"text/css,*/*;q=0.1":        acceptCSS,
		"application/json":          "application/json",
		"text/html,image/png":       "text/html,image/png",
	} {
		if got := normalizeAccept(in); got != want {
			t.Errorf("%q: got %q want %q", in, got, want)
		}
	}
}

func TestB33AndOriginForm(t *testing.T) {
	e := start(t, Config{}, false)
	b33 := data.B33Address{SigType: 7, BlindedSigType: 11, PublicKey: bytes.Repeat([]byte{9}, 32)}.String()
	if _, err := data.ParseB33Address(b33); err != nil {
		t.Fatalf("b33 test vector: %v", err)
	}
	e.net.site(t, b33, okSite)
	resp, _ := e.do("GET /p HTTP/1.1\r\nHost: " + strings.ToUpper(b33) + "\r\n\r\n")
	if resp.StatusCode != 200 || e.net.lastSeen(t).Host != b33 {
		t.Fatalf("status %d host %q", resp.StatusCode, e.net.lastSeen(t).Host)
	}
}

func TestBase64Path(t *testing.T) {
	e := start(t, Config{}, false)
	dest, b32 := testDest(t, 3)
	e.net.site(t, dest, okSite)
	resp, _ := e.do("GET http://i2p/" + dest + "/in/side?q HTTP/1.1\r\nHost: i2p\r\n\r\n")
	s := e.net.lastSeen(t)
	if resp.StatusCode != 200 || s.Host != b32 || s.URI != "/in/side?q" {
		t.Fatalf("status %d host %q uri %q", resp.StatusCode, s.Host, s.URI)
	}
}

func TestMethodsAndBodies(t *testing.T) {
	e := start(t, Config{}, false)
	_, b32 := testDest(t, 4)
	e.net.site(t, b32, okSite)
	big := strings.Repeat("0123456789abcdef", 10000)
	for _, m := range []string{"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST"} {
		b := e.browser()
		b.send(m + " http://" + b32 + "/m HTTP/1.1\r\nHost: x\r\nContent-Length: " + fmt.Sprint(len(big)) + "\r\n\r\n" + big)
		resp, _ := b.resp(m)
		s := e.net.lastSeen(t)
		if resp.StatusCode != 200 || s.Method != m || s.Body != big {
			t.Errorf("%s: status %d method %q body %d bytes", m, resp.StatusCode, s.Method, len(s.Body))
		}
	}
	// chunked upload with a trailer, then a second request on the same connection
	b := e.browser()
	b.send("POST http://" + b32 + "/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n" +
		"GET http://" + b32 + "/after HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, _ := b.resp("POST")
	s := e.net.lastSeen(t)
	if resp.StatusCode != 200 || s.Body != "hello, world" || len(s.TE) != 1 || s.TE[0] != "chunked" {
		t.Fatalf("chunked: %d %q %v", resp.StatusCode, s.Body, s.TE)
	}
	if resp, _ := b.resp("GET"); resp.StatusCode != 200 || e.net.lastSeen(t).URI != "/after" {
		t.Fatalf("after chunked: %d %q", resp.StatusCode, e.net.lastSeen(t).URI)
	}
}

func TestExpectContinue(t *testing.T) {
	e := start(t, Config{}, false)
	_, b32 := testDest(t, 5)
	e.net.site(t, b32, okSite)
	b := e.browser()
	b.send("POST http://" + b32 + "/ HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")
	line, _ := b.br.ReadString('\n')
	if !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("got %q", line)
	}
	b.br.ReadString('\n')
	if resp, _ := b.resp("POST"); resp.StatusCode != 200 || e.net.lastSeen(t).Body != "abc" {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if _, ok := e.net.lastSeen(t).Header["Expect"]; ok {
		t.Error("Expect forwarded")
	}
}

func TestKeepAliveTransport(t *testing.T) {
	e := start(t, Config{}, false)
	_, b32 := testDest(t, 6)
	e.net.site(t, b32, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" { // no Content-Length: chunked to the browser
			w.Write([]byte("part1 "))
			w.(http.Flusher).Flush()
			w.Write([]byte("part2"))
			return
		}
		okSite(w, r)
	})
	dials := 0
	var mu sync.Mutex
	tr := &http.Transport{
		Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: "proxy:4444"}),
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			mu.Lock()
			dials++
			mu.Unlock()
			return e.ln.dial()
		},
	}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, path := range []string{"/1", "/stream", "/3", "/4"} {
		resp, err := cl.Get("http://" + b32 + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%d: %d", i, resp.StatusCode)
		}
		if path == "/stream" && string(body) != "part1 part2" {
			t.Fatalf("stream body %q", body)
		}
	}
	if dials != 1 {
		t.Errorf("%d browser connections for 4 requests, want 1", dials)
	}
	// an error page keeps the connection too
	resp, err := cl.Get("http://nobody.i2p/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if dials != 1 {
		t.Errorf("error page closed the connection")
	}
}

func TestHTTP10(t *testing.T) {
	e := start(t, Config{}, false)
	_, b32 := testDest(t, 7)
	e.net.site(t, b32, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("a"))
		w.(http.Flusher).Flush()
		w.Write([]byte("b"))
	})
	b := e.browser()
	b.send("GET http://" + b32 + "/ HTTP/1.0\r\n\r\n")
	resp, body := b.resp("GET")
	if resp.StatusCode != 200 || body != "ab" || !resp.Close {
		t.Fatalf("%d %q close=%v", resp.StatusCode, body, resp.Close)
	}
}

var titleRE = regexp.MustCompile(`<h3>([^<]*)</h3>`)

func checkPage(t *testing.T, resp *http.Response, body string, status int, title string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d", resp.StatusCode, status)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	m := titleRE.FindStringSubmatch(body)
	if m == nil || m[1] != title {
		t.Errorf("title %q, want %q", m, title)
	}
	if strings.Contains(body, "<script") {
		t.Errorf("unescaped value in page: %s", body)
	}
}

func TestErrorPages(t *testing.T) {
	e := start(t, Config{}, false)
	jdest, _ := testDest(t, 8)
	e.res.m["stats.i2p"] = jdest
	_, nf := testDest(t, 9)
	_, to := testDest(t, 10)
	_, nr := testDest(t, 11)
	_, rs := testDest(t, 12)
	_, other := testDest(t, 13)
	e.net.errs[nf] = ErrNotFound
	e.net.errs[to] = ErrTimeout
	e.net.errs[nr] = ErrNotReady
	e.net.errs[rs] = ErrRefused
	e.net.errs[other] = errors.New("something")
	cases := []struct {
		req    string
		status int
		title  string
	}{
		{"GET http://unknown.i2p/<script>x</script>?a=<script> HTTP/1.1\r\nHost: h\r\n\r\n", 500, "Website Unknown"},
		{"GET http://" + nf + "/ HTTP/1.1\r\nHost: h\r\n\r\n", 504, "Website Unreachable"},
		{"GET http://" + to + "/ HTTP/1.1\r\nHost: h\r\n\r\n", 504, "Website Timed Out"},
		{"GET http://" + nr + "/ HTTP/1.1\r\nHost: h\r\n\r\n", 503, "Tunnels Not Ready"},
		{"GET http://" + rs + "/ HTTP/1.1\r\nHost: h\r\n\r\n", 502, "Connection Reset"},
		{"GET http://" + other + "/ HTTP/1.1\r\nHost: h\r\n\r\n", 504, "Website Unreachable"},
		{"GET http://short.b32.i2p/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "Invalid Destination"},
		{"GET http://bad_name!.i2p/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "Invalid Destination"},
		{"GET http://a b/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "Bad Request"},
		{"GET http://x.i2p:99999/ HTTP/1.1\r\nHost: h\r\n\r\n", 403, "Invalid Request URI"},
		{"GET http://www.example.com/ HTTP/1.1\r\nHost: h\r\n\r\n", 503, "No Outproxy Configured"},
		{"GET http://[2001:db8::1]/ HTTP/1.1\r\nHost: h\r\n\r\n", 503, "No Outproxy Configured"},
		{"GET http://localhost:7657/ HTTP/1.1\r\nHost: h\r\n\r\n", 403, "Request Denied"},
		{"GET http://192.168.1.1/ HTTP/1.1\r\nHost: h\r\n\r\n", 403, "Request Denied"},
		{"GET http://intranet/ HTTP/1.1\r\nHost: h\r\n\r\n", 403, "Request Denied"},
		{"GET ftp://x.i2p/ HTTP/1.1\r\nHost: h\r\n\r\n", 403, "Non-HTTP Protocol"},
		{"GET http://proxy.i2p/ HTTP/1.1\r\nHost: h\r\n\r\n", 200, "I2P HTTP Proxy"},
		{"GET http://proxy.i2p/nothing HTTP/1.1\r\nHost: h\r\n\r\n", 404, "Not Found"},
	}
	for _, c := range cases {
		resp, body := e.do(c.req)
		checkPage(t, resp, body, c.status, c.title)
		if c.title == "Website Unknown" {
			if !strings.Contains(body, `href="http://stats.i2p/cgi-bin/jump.cgi?a=unknown.i2p/%3Cscript%3Ex%3C/script%3E?a=&lt;script&gt;"`) {
				t.Errorf("no jump link: %s", body)
			}
			if strings.Contains(body, "no.i2p") {
				t.Errorf("jump server that does not resolve is listed")
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	e := start(t, Config{MaxHeaderBytes: 1024, MaxHeaderLines: 10, HeaderTimeout: 200 * time.Millisecond}, false)
	_, b32 := testDest(t, 14)
	e.net.site(t, b32, okSite)
	u := "http://" + b32 + "/"
	cases := []struct {
		name, req string
		status    int
	}{
		{"garbage", "HELLO\r\n\r\n", 400},
		{"two spaces", "GET  / HTTP/1.1\r\n\r\n", 400},
		{"version", "GET " + u + " HTTP/2.0\r\n\r\n", 505},
		{"no colon", "GET " + u + " HTTP/1.1\r\nHost x\r\n\r\n", 400},
		{"space before colon", "GET " + u + " HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"obs-fold", "GET " + u + " HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400},
		{"control char", "GET " + u + " HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400},
		{"oversized", "GET " + u + " HTTP/1.1\r\nX: " + strings.Repeat("a", 2000) + "\r\n\r\n", 431},
		{"too many", "GET " + u + " HTTP/1.1\r\n" + strings.Repeat("X: a\r\n", 11) + "\r\n", 431},
		{"bad length", "POST " + u + " HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
		{"length twice", "POST " + u + " HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
		{"TE and CL", "POST " + u + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
		{"TE gzip", "POST " + u + " HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{"no host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a.i2p\r\nHost: b.i2p\r\n\r\n", 400},
		{"CONNECT no port", "CONNECT " + b32 + " HTTP/1.1\r\n\r\n", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := e.browser()
			b.send(c.req)
			resp, _ := b.resp("GET")
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
		})
	}
	t.Run("slow header", func(t *testing.T) {
		b := e.browser()
		b.send("GET " + u + " HTTP/1.1\r\nHost: x\r\n") // never finished
		resp, _ := b.resp("GET")
		if resp.StatusCode != 408 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
	t.Run("short body", func(t *testing.T) {
		b := e.browser()
		b.send("POST " + u + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
		b.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		// The proxy waits for the rest (ReadTimeout); closing our side ends it.
		time.AfterFunc(100*time.Millisecond, func() { b.c.Close() })
		io.ReadAll(b.br)
	})
}

func TestConnect(t *testing.T) {
	e := start(t, Config{}, false)
	_, b32 := testDest(t, 15)
	e.net.raw[b32] = func(c net.Conn) { // an echo "TLS server"
		defer c.Close()
		io.Copy(c, c)
	}
	b := e.browser()
	b.send("CONNECT " + b32 + ":443 HTTP/1.1\r\nHost: " + b32 + ":443\r\nUser-Agent: x\r\n\r\nearly")
	line, _ := b.br.ReadString('\n')
	if line != "HTTP/1.1 200 Connection established\r\n" {
		t.Fatalf("got %q", line)
	}
	for l, _ := b.br.ReadString('\n'); l != "\r\n"; l, _ = b.br.ReadString('\n') {
	}
	buf := make([]byte, 5)
	io.ReadFull(b.br, buf)
	if string(buf) != "early" {
		t.Fatalf("echo %q", buf)
	}
	b.send("more")
	buf = buf[:4]
	io.ReadFull(b.br, buf)
	if string(buf) != "more" {
		t.Fatalf("echo %q", buf)
	}
	if got := e.net.dials; got[len(got)-1] != b32+":443" {
		t.Errorf("dial %q", got)
	}

	for req, status := range map[string]int{
		"CONNECT " + b32 + ":80 HTTP/1.1\r\n\r\n":                          403,
		"CONNECT www.example.com:443 HTTP/1.1\r\n\r\n":                     503,
		"CONNECT unknown.i2p:443 HTTP/1.1\r\n\r\n":                         500,
		"CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n":                           403,
		"CONNECT " + b32 + ":443 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc": 400,
	} {
		resp, _ := e.do(req)
		if resp.StatusCode != status {
			t.Errorf("%q: %d, want %d", req, resp.StatusCode, status)
		}
	}
}

func TestConnectMode(t *testing.T) {
	e := start(t, Config{Mode: ModeConnect, ConnectPorts: []uint16{443, 8443}}, false)
	_, b32 := testDest(t, 16)
	e.net.raw[b32] = func(c net.Conn) { c.Write([]byte("hi")); c.Close() }
	resp, body := e.do("GET http://" + b32 + "/ HTTP/1.1\r\nHost: x\r\n\r\n")
	checkPage(t, resp, body, 405, "Method Not Allowed")
	b := e.browser()
	b.send("CONNECT " + b32 + ":8443 HTTP/1.1\r\n\r\n")
	all, _ := io.ReadAll(b.br)
	if !strings.HasPrefix(string(all), "HTTP/1.1 200 ") || !strings.HasSuffix(string(all), "\r\n\r\nhi") {
		t.Fatalf("got %q", all)
	}
}

func TestOutproxy(t *testing.T) {
	e := start(t, Config{Outproxy: "exit.i2p"}, false)
	dest, _ := testDest(t, 17)
	e.res.m["exit.i2p"] = dest
	e.net.site(t, dest, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "clearnet") })
	resp, body := e.do("GET http://www.example.com/x?y HTTP/1.1\r\nHost: www.example.com\r\n" + curlHeaders + "\r\n")
	if resp.StatusCode != 200 || body != "clearnet" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	s := e.net.lastSeen(t)
	if s.URI != "http://www.example.com/x?y" || s.Host != "www.example.com" ||
		s.Header.Get("User-Agent") != OutproxyUserAgent || s.Header.Get("X-Forwarded-For") != "" {
		t.Errorf("outproxy saw %+v", s)
	}
	if got := e.net.dials[len(e.net.dials)-1]; got != dest+":0" {
		t.Errorf("dial %q", got)
	}
}

var formRE = regexp.MustCompile(`name="(host|dest|url|token)" value="([^"]*)"`)

func TestAddressHelper(t *testing.T) {
	e := start(t, Config{}, true)
	dest, b32 := testDest(t, 18)
	e.net.site(t, dest, okSite)
	e.net.site(t, b32, okSite)

	// Unknown name: the confirmation page with a form.
	resp, body := e.do("GET http://new.i2p/p?a=1&i2paddresshelper=" + url.QueryEscape(dest) + " HTTP/1.1\r\nHost: new.i2p\r\n\r\n")
	checkPage(t, resp, body, 409, "New Host Name with Address Helper")
	form := url.Values{}
	for _, m := range formRE.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	if form.Get("host") != "new.i2p" || form.Get("dest") != dest || form.Get("url") != "http://new.i2p/p?a=1" || form.Get("token") == "" {
		t.Fatalf("form %v", form)
	}
	if len(e.net.dials) != 0 {
		t.Error("dialled before confirmation")
	}
	// Nothing was remembered: the name is still unknown.
	resp, _ = e.do("GET http://new.i2p/ HTTP/1.1\r\nHost: new.i2p\r\n\r\n")
	if resp.StatusCode != 500 {
		t.Fatalf("unconfirmed name: %d", resp.StatusCode)
	}

	post := func(f url.Values) *http.Response {
		enc := f.Encode()
		resp, _ := e.do("POST http://proxy.i2p/add HTTP/1.1\r\nHost: proxy.i2p\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
			fmt.Sprint(len(enc)) + "\r\n\r\n" + enc)
		return resp
	}
	bad := url.Values{"host": {"new.i2p"}, "dest": {dest}, "url": {"http://new.i2p/"}, "action": {"save"}}
	if resp := post(bad); resp.StatusCode != 403 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	bad.Set("token", form.Get("token")[:10]+"AAAA"+form.Get("token")[14:])
	if resp := post(bad); resp.StatusCode != 403 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
	other, _ := testDest(t, 19)
	bad.Set("token", form.Get("token"))
	bad.Set("dest", other) // token bound to the destination
	if resp := post(bad); resp.StatusCode != 403 {
		t.Errorf("token for another dest: %d", resp.StatusCode)
	}
	if _, ok := e.res.m["new.i2p"]; ok {
		t.Fatal("saved without a valid token")
	}
	form.Set("action", "save")
	resp = post(form)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "http://new.i2p/p?a=1" {
		t.Fatalf("save: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if e.res.m["new.i2p"] != dest {
		t.Fatal("not saved to the book")
	}
	// Known with the same destination: redirect without the helper.
	resp, _ = e.do("GET http://new.i2p/p?i2paddresshelper=" + b32 + "&a=1 HTTP/1.1\r\nHost: new.i2p\r\n\r\n")
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "http://new.i2p/p?a=1" {
		t.Fatalf("same: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Known with another destination: conflict.
	_, ob32 := testDest(t, 20)
	resp, body = e.do("GET http://new.i2p/p?i2paddresshelper=" + ob32 + " HTTP/1.1\r\nHost: new.i2p\r\n\r\n")
	checkPage(t, resp, body, 409, "Destination Key Conflict")
	if !strings.Contains(body, `href="http://`+ob32+`/p"`) || !strings.Contains(body, `href="http://new.i2p/p"`) {
		t.Errorf("conflict links: %s", body)
	}
	// Now the name works.
	resp, _ = e.do("GET http://new.i2p/ HTTP/1.1\r\nHost: new.i2p\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("after save: %d", resp.StatusCode)
	}
	// A bad helper key.
	resp, body = e.do("GET http://x.i2p/?i2paddresshelper=garbage HTTP/1.1\r\nHost: x.i2p\r\n\r\n")
	checkPage(t, resp, body, 404, "Helper Key Not Resolvable")
}

func TestAddressHelperContinueNoBook(t *testing.T) {
	e := start(t, Config{}, false)
	dest, _ := testDest(t, 21)
	e.net.site(t, dest, okSite)
	_, body := e.do("GET http://temp.i2p/?i2paddresshelper=" + url.QueryEscape(dest) + " HTTP/1.1\r\nHost: temp.i2p\r\n\r\n")
	if strings.Contains(body, `value="save"`) {
		t.Error("save offered without a Book")
	}
	form := url.Values{"action": {"continue"}}
	for _, m := range formRE.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	enc := form.Encode()
	resp, _ := e.do("POST http://proxy.i2p/add HTTP/1.1\r\nHost: proxy.i2p\r\nContent-Length: " + fmt.Sprint(len(enc)) + "\r\n\r\n" + enc)
	if resp.StatusCode != 303 {
		t.Fatalf("continue: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET http://temp.i2p/ HTTP/1.1\r\nHost: temp.i2p\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("remembered name: %d", resp.StatusCode)
	}
}

func TestTokenExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	p, err := New(Config{CSRFSecret: []byte("k")}, Deps{Dialer: newFakeNet(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tok := p.token("a.i2p", "d", now)
	if !p.checkToken(tok, "A.i2p", "d") || p.checkToken(tok, "b.i2p", "d") {
		t.Fatal("token binding")
	}
	now = now.Add(2 * time.Hour)
	if p.checkToken(tok, "a.i2p", "d") {
		t.Fatal("expired token accepted")
	}
}

func TestServeShutdown(t *testing.T) {
	e := &env{t: t, ln: newPipeListener(), net: newFakeNet()}
	p, err := New(Config{}, Deps{Dialer: e.net})
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, e.ln) }()
	b := e.browser()
	b.send("GET http://x")
	for p.Stats().Active == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := b.br.ReadByte(); err == nil {
		t.Fatal("connection still open")
	}
	if p.Stats().Active != 0 || p.Stats().Conns != 1 {
		t.Fatalf("stats %+v", p.Stats())
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Config{}, Deps{}); err == nil {
		t.Error("no dialer accepted")
	}
	if _, err := New(Config{Outproxy: "www.example.com"}, Deps{Dialer: newFakeNet()}); err == nil {
		t.Error("clearnet outproxy accepted")
	}
	if _, err := New(Config{UserAgent: "a\r\nb"}, Deps{Dialer: newFakeNet()}); err == nil {
		t.Error("bad UA accepted")
	}
}
