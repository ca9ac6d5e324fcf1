package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/proxies"
	"github.com/i2pgo/i2pgo/router"
)

func testStatus() router.Status {
	return router.Status{
		RouterHash: "abc~def=",
		NetID:      2,
		Version:    "0.9.66",
		UptimeS:    42,
		Peers:      router.PeerStatus{NTCP2: 3, SSU2: 4, Inbound: 5, Outbound: 2},
		NetDB:      router.NetDBStatus{Routers: 100, Floodfills: 10, LeaseSets: 7},
		Tunnels:    router.TunnelStatus{Exploratory: 4, Client: 6, Participating: 9, BuildSuccess: 0.5},
		Bandwidth:  router.BandwidthStatus{InBps: 1000, OutBps: 2000},
	}
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg, Deps{Status: testStatus})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get runs one request through the handler with the given Host header.
func get(h http.Handler, host, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = host
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestStatus(t *testing.T) {
	s := newServer(t, Config{})
	rec := get(s.Handler(), "127.0.0.1:7657", "/api/status")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The field names are a public contract.
	for _, k := range []string{"router_hash", "netid", "version", "uptime_s", "peers", "netdb", "tunnels", "bandwidth"} {
		if _, ok := got[k]; !ok {
			t.Errorf("status lacks %q; has %v", k, keys(got))
		}
	}
	nested := map[string][]string{
		"peers":     {"inbound", "ntcp2", "outbound", "ssu2"},
		"netdb":     {"floodfills", "leasesets", "routers"},
		"tunnels":   {"build_success", "client", "exploratory", "participating"},
		"bandwidth": {"in_bps", "out_bps"},
	}
	// Status may grow new fields (router/status.go: "extend it, never
	// rename"), so these are the keys that must be there, not all of them.
	for k, want := range nested {
		m, _ := got[k].(map[string]any)
		for _, w := range want {
			if _, ok := m[w]; !ok {
				t.Errorf("%s lacks %q; has %v", k, w, keys(m))
			}
		}
	}
	want := map[string]any{"router_hash": "abc~def=", "netid": 2.0, "version": "0.9.66", "uptime_s": 42.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if v := got["peers"].(map[string]any)["ssu2"]; v != 4.0 {
		t.Errorf("peers.ssu2 = %v", v)
	}
	if v := got["tunnels"].(map[string]any)["build_success"]; v != 0.5 {
		t.Errorf("tunnels.build_success = %v", v)
	}
	if v := got["bandwidth"].(map[string]any)["out_bps"]; v != 2000.0 {
		t.Errorf("bandwidth.out_bps = %v", v)
	}

	// And the round trip into the Go type.
	var st router.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || !reflect.DeepEqual(st, testStatus()) {
		t.Errorf("decoded %+v, %v", st, err)
	}
}

func TestPeers(t *testing.T) {
	var peers []router.PeerInfo
	s, err := New(Config{}, Deps{Status: testStatus, Peers: func() []router.PeerInfo { return peers }})
	if err != nil {
		t.Fatal(err)
	}
	rec := get(s.Handler(), "localhost:7657", "/api/peers")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no peers: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	peers = []router.PeerInfo{{Router: "abc=", Transport: "NTCP2", Outbound: true, AgeS: 5, BytesIn: 1, BytesOut: 2}}
	rec = get(s.Handler(), "localhost:7657", "/api/peers")
	var got []router.PeerInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !reflect.DeepEqual(got, peers) {
		t.Errorf("peers = %+v, %v; body %s", got, err, rec.Body)
	}
	if rec := get(s.Handler(), "evil.example", "/api/peers"); rec.Code != http.StatusForbidden {
		t.Errorf("foreign Host: %d", rec.Code)
	}

	// Without Deps.Peers the route is absent.
	if rec := get(newServer(t, Config{}).Handler(), "localhost:7657", "/api/peers"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /api/peers without Deps.Peers = %d, want 404", rec.Code)
	}
}

func TestStatusEncodeError(t *testing.T) {
	s, err := New(Config{}, Deps{Status: func() router.Status {
		st := testStatus()
		st.Tunnels.BuildSuccess = nanValue()
		return st
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rec := get(s.Handler(), "localhost:7657", "/api/status"); rec.Code != http.StatusInternalServerError {
		t.Errorf("NaN status: code %d", rec.Code)
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestIndex(t *testing.T) {
	s := newServer(t, Config{})
	rec := get(s.Handler(), "localhost:7657", "/")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if body := rec.Body.String(); !strings.Contains(body, "<h1>Dashboard</h1>") || !strings.Contains(body, `<span class="state-ok">OK</span>`) {
		t.Errorf("body = %q", body)
	}
	if rec := get(s.Handler(), "localhost:7657", "/nope"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nope = %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/status", nil)
	req.Host = "localhost:7657"
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("POST /api/status without a CSRF token = %d", rec.Code)
	}
	req = httptest.NewRequest(http.MethodPost, "/api/status", nil)
	req.Host = "localhost:7657"
	req.Header.Set(CSRFHeader, s.csrf)
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/status = %d", rec.Code)
	}
}

func TestHostCheck(t *testing.T) {
	tests := []struct {
		listen string
		ok     []string
		bad    []string
	}{
		{
			listen: "127.0.0.1:7657",
			ok:     []string{"127.0.0.1:7657", "localhost:7657", "LocalHost:7657", "[::1]:7657"},
			bad: []string{"", "evil.example", "evil.example:7657", "localhost", "127.0.0.1",
				"localhost:7658", "127.0.0.2:7657", "localhost.:7657", "[::1]", "0.0.0.0:7657", "127.0.0.1:7657.evil.example"},
		},
		{
			listen: "192.0.2.7:8000",
			ok:     []string{"192.0.2.7:8000", "localhost:8000", "127.0.0.1:8000", "[::1]:8000"},
			bad:    []string{"192.0.2.7:7657", "example.org:8000"},
		},
		{
			listen: "[::1]:9000",
			ok:     []string{"[::1]:9000", "localhost:9000", "127.0.0.1:9000"},
			bad:    []string{"::1:9000", "[::2]:9000"},
		},
		{
			listen: "localhost:80",
			ok:     []string{"localhost", "localhost:80", "127.0.0.1", "[::1]", "[::1]:80"},
			bad:    []string{"example.org", "localhost:8080"},
		},
	}
	for _, tc := range tests {
		cfg := Config{Listen: tc.listen}
		h := func(s *Server) http.Handler { return s.Handler() }
		if strings.HasPrefix(tc.listen, "192.") { // not loopback: needs the password
			cfg.Password = testPasswordHash(t)
			h = func(s *Server) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.SetBasicAuth("admin", "secret")
					s.Handler().ServeHTTP(w, r)
				})
			}
		}
		s := newServer(t, cfg)
		for _, host := range tc.ok {
			for _, path := range []string{"/", "/api/status"} {
				if rec := get(h(s), host, path); rec.Code != http.StatusOK {
					t.Errorf("listen %s, Host %q, %s: %d, want 200", tc.listen, host, path, rec.Code)
				}
			}
		}
		for _, host := range tc.bad {
			for _, path := range []string{"/", "/api/status", "/nope"} {
				rec := get(s.Handler(), host, path)
				if rec.Code != http.StatusForbidden {
					t.Errorf("listen %s, Host %q, %s: %d, want 403", tc.listen, host, path, rec.Code)
				}
				if strings.Contains(rec.Body.String(), "router_hash") {
					t.Errorf("listen %s, Host %q: status leaked in a refusal", tc.listen, host)
				}
			}
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newServer(t, Config{})
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'self'",
		"Referrer-Policy":         "same-origin",
	}
	for _, tc := range []struct{ host, path string }{
		{"localhost:7657", "/"},
		{"localhost:7657", "/api/status"},
		{"localhost:7657", "/missing"},
		{"evil.example", "/api/status"},
	} {
		rec := get(s.Handler(), tc.host, tc.path)
		for k, v := range want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("Host %s %s (%d): %s = %q, want %q", tc.host, tc.path, rec.Code, k, got, v)
			}
		}
	}
}

func TestNew(t *testing.T) {
	for _, listen := range []string{"7657", ":7657", "127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:-1", "[::1"} {
		if _, err := New(Config{Listen: listen}, Deps{Status: testStatus}); err == nil || !strings.HasPrefix(err.Error(), "console: ") {
			t.Errorf("New(listen %q) err = %v", listen, err)
		}
	}
	if _, err := New(Config{}, Deps{}); err == nil {
		t.Error("New with no Status func succeeded")
	}
	s := newServer(t, Config{})
	if s.Addr() != DefaultListen {
		t.Errorf("Addr() = %q, want %q", s.Addr(), DefaultListen)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close before Listen: %v", err)
	}
}

// TestPortInUse is the one test that binds a real socket: a port already
// in use can only be shown with one.
func TestPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("cannot bind loopback: %v", err)
	}
	defer busy.Close()
	addr := busy.Addr().String()

	s := newServer(t, Config{Listen: addr})
	err = s.Listen()
	if err == nil {
		t.Fatal("Listen on a busy port succeeded")
	}
	if !strings.Contains(err.Error(), addr) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Listen err = %v, want one naming %s and wrapping EADDRINUSE", err, addr)
	}
	if err := s.Run(t.Context()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Run err = %v, want EADDRINUSE", err)
	}
}

// pipeListener is an in-memory net.Listener; Dial connects to it.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{} // closed by Close
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7657} }

func (l *pipeListener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestServeAndShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newServer(t, Config{})
		ln := newPipeListener()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, ln) }()

		tr := &http.Transport{DialContext: ln.Dial}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		resp, err := client.Get("http://127.0.0.1:7657/api/status")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"router_hash":"abc~def="`) {
			t.Fatalf("GET /api/status = %d %s", resp.StatusCode, body)
		}

		if err := s.Serve(ctx, newPipeListener()); err == nil {
			t.Error("a second Serve succeeded")
		}

		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v after cancel, want nil", err)
		}
		if _, err := ln.Dial(t.Context(), "", ""); !errors.Is(err, net.ErrClosed) {
			t.Errorf("listener still open after shutdown: %v", err)
		}
	})
}

func TestShutdownTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		entered := make(chan struct{})
		release := make(chan struct{})
		s, err := New(Config{}, Deps{Status: func() router.Status {
			close(entered)
			<-release
			return testStatus()
		}})
		if err != nil {
			t.Fatal(err)
		}
		ln := newPipeListener()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, ln) }()

		tr := &http.Transport{DialContext: ln.Dial}
		defer tr.CloseIdleConnections()
		got := make(chan error, 1)
		go func() {
			resp, err := (&http.Client{Transport: tr}).Get("http://localhost:7657/api/status")
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			got <- err
		}()
		<-entered

		start := time.Now()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		if d := time.Since(start); d != shutdownTimeout {
			t.Errorf("shutdown took %v, want %v", d, shutdownTimeout)
		}
		close(release)
		if err := <-got; err == nil {
			t.Error("request in flight past the shutdown timeout succeeded")
		}
	})
}

func TestListRoutes(t *testing.T) {
	s, err := New(Config{}, Deps{
		Status:       func() router.Status { return router.Status{} },
		NetDBRouters: func() []router.RouterEntry { return []router.RouterEntry{{Hash: "abc", Caps: "XfR"}} },
		Tunnels:      func() []router.TunnelInfo { return nil },
		I2PTunnels: func() []proxies.TunnelStatus {
			return []proxies.TunnelStatus{{Name: "site", Type: "server", State: "running", Target: "127.0.0.1:80", B32: "x.b32.i2p"}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/api/netdb/routers":  `"caps":"XfR"`,
		"/api/router/tunnels": `[]`,
		"/api/tunnels":        `[{"name":"site","type":"server","state":"running","target":"127.0.0.1:80","b32":"x.b32.i2p","connections":0,"bytes_in":0,"bytes_out":0}]`,
	} {
		req := httptest.NewRequest("GET", "http://127.0.0.1:7657"+path, nil)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d %q, want 200 containing %s", path, rec.Code, rec.Body.String(), want)
		}
	}
}
