package console

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/i2pgo/i2pgo/proxies"
)

var (
	hashOnce sync.Once
	hash     string
)

// testPasswordHash is the bcrypt hash of "secret" (cost 4).
func testPasswordHash(t *testing.T) string {
	hashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		hash = string(h)
	})
	return hash
}

func TestPassword(t *testing.T) {
	if _, err := New(Config{Listen: "0.0.0.0:7657"}, Deps{Status: testStatus}); err == nil || !strings.Contains(err.Error(), "console.password") {
		t.Errorf("non-loopback listen without a password: %v", err)
	}
	if _, err := New(Config{Listen: "192.0.2.1:7657", Password: "secret"}, Deps{Status: testStatus}); err == nil || !strings.Contains(err.Error(), "bcrypt") {
		t.Errorf("a plain password accepted: %v", err)
	}
	for _, l := range []string{"127.0.0.1:7657", "localhost:7657", "[::1]:7657", "127.0.0.5:7657"} {
		if _, err := New(Config{Listen: l}, Deps{Status: testStatus}); err != nil {
			t.Errorf("loopback %s: %v", l, err)
		}
	}
	s, err := New(Config{Listen: "127.0.0.1:7657", Password: testPasswordHash(t)}, Deps{Status: testStatus})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, pass string
		set        bool
		want       int
	}{
		{set: false, want: 401},
		{"admin", "wrong", true, 401},
		{"admin", "", true, 401},
		{"admin", "secret", true, 200},
		{"anyone", "secret", true, 200},
		{"admin", "secret", true, 200}, // cached
	} {
		req := httptest.NewRequest("GET", "/api/status", nil)
		req.Host = "127.0.0.1:7657"
		if tc.set {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%q/%q: %d, want %d", tc.user, tc.pass, rec.Code, tc.want)
		}
		if rec.Code == 401 && !strings.Contains(rec.Header().Get("WWW-Authenticate"), "Basic") {
			t.Error("401 without WWW-Authenticate")
		}
		if rec.Code == 401 && strings.Contains(rec.Body.String(), "router_hash") {
			t.Error("status leaked without the password")
		}
	}
}

func TestLogRing(t *testing.T) {
	ring := NewLogRing(3, slog.LevelInfo)
	var next strings.Builder
	log := slog.New(ring.Handler(slog.NewTextHandler(&next, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log.Debug("not kept")
	log.With("component", "x").Info("one", "peer", "a b")
	log.WithGroup("g").Warn("two", "k", 1)
	log.Error("three", "err", "boom")
	log.Info("four", "long", strings.Repeat("y", 3*maxLogLine))
	if !strings.Contains(next.String(), "not kept") || !strings.Contains(next.String(), "four") {
		t.Errorf("next handler missed records: %s", next.String())
	}
	got := ring.Lines(slog.LevelDebug, 0)
	if len(got) != 3 || !strings.HasPrefix(got[0].Message, "four long=y") || len(got[0].Message) > maxLogLine+10 ||
		got[1].Message != "three err=boom" || got[2].Message != "two g.k=1" || got[2].Level != "WARN" {
		t.Errorf("ring: %+v", got)
	}
	if got := ring.Lines(slog.LevelError, 0); len(got) != 1 || got[0].Message != "three err=boom" {
		t.Errorf("errors only: %+v", got)
	}
	if got := ring.Lines(slog.LevelDebug, 1); len(got) != 1 {
		t.Errorf("limit 1: %d lines", len(got))
	}
	r2 := NewLogRing(10, nil)
	slog.New(r2.Handler(slog.DiscardHandler)).With("component", "c").Info("hello", "peer", "p q")
	if l := r2.Lines(slog.LevelInfo, 0); len(l) != 1 || l[0].Message != `hello component=c peer="p q"` {
		t.Errorf("with attrs: %+v", l)
	}
}

func TestLogsPageAndControl(t *testing.T) {
	ring := NewLogRing(100, slog.LevelDebug)
	log := slog.New(ring.Handler(slog.DiscardHandler))
	log.Info("router started", "version", "0.1")
	log.Warn("<script>alert(1)</script>")
	var stops, restarts atomic.Int32
	s, err := New(Config{}, Deps{Status: testStatus, Logs: ring, Shutdown: func(restart bool) {
		if restart {
			restarts.Add(1)
		} else {
			stops.Add(1)
		}
	}, I2PTunnels: func() []proxies.TunnelStatus {
		return []proxies.TunnelStatus{{Name: `we"ird`, Type: "httpclient", State: "running", BytesIn: 7}}
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	body := get(h, "127.0.0.1:7657", "/logs").Body.String()
	if !strings.Contains(body, "router started version=0.1") || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("logs page:\n%.2000s", body)
	}
	if body := get(h, "127.0.0.1:7657", "/logs?level=warn").Body.String(); strings.Contains(body, "router started") {
		t.Error("level filter")
	}
	if rec := get(h, "127.0.0.1:7657", "/logs?level=<b>"); rec.Code != 400 || !strings.Contains(rec.Body.String(), `role="alert"`) || strings.Contains(rec.Body.String(), "<b>") {
		t.Errorf("bad level: %d", rec.Code)
	}
	if rec := get(h, "127.0.0.1:7657", "/api/logs?level=info&limit=1"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `alert(1)`) {
		t.Errorf("api logs: %d %s", rec.Code, rec.Body.String())
	}
	if rec := get(h, "127.0.0.1:7657", "/api/logs?limit=99999"); rec.Code != 400 {
		t.Errorf("api logs bad limit: %d", rec.Code)
	}

	// Dashboard has the graph and the control forms, with tokens.
	body = get(h, "127.0.0.1:7657", "/").Body.String()
	if !strings.Contains(body, `src="/graph/bandwidth.svg"`) || !strings.Contains(body, `action="/shutdown"`) || !strings.Contains(body, `action="/restart"`) {
		t.Errorf("dashboard:\n%.3000s", body)
	}
	if rec := postForm(h, "/shutdown", "", url.Values{}); rec.Code != 403 || stops.Load() != 0 {
		t.Errorf("shutdown without token: %d, %d stops", rec.Code, stops.Load())
	}
	if rec := postForm(h, "/restart", s.csrf, url.Values{}); rec.Code != 200 || restarts.Load() != 1 || !strings.Contains(rec.Body.String(), "restarting") {
		t.Errorf("restart: %d, %d restarts", rec.Code, restarts.Load())
	}
	req := httptest.NewRequest("POST", "/api/shutdown", nil)
	req.Host = "127.0.0.1:7657"
	req.Header.Set(CSRFHeader, s.csrf)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 202 || stops.Load() != 1 {
		t.Errorf("api shutdown: %d, %d stops", rec.Code, stops.Load())
	}

	// The graph and /metrics.
	s.hist.add(1000, 2000)
	s.hist.add(3000, 500)
	rec = get(h, "127.0.0.1:7657", "/graph/bandwidth.svg")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || strings.Count(rec.Body.String(), "<polyline") != 2 {
		t.Errorf("graph: %d %s", rec.Code, rec.Body.String())
	}
	if rec := get(h, "127.0.0.1:7657", "/api/bandwidth"); !strings.Contains(rec.Body.String(), `"in_bps":[1000,3000]`) {
		t.Errorf("api bandwidth: %s", rec.Body.String())
	}
	rec = get(h, "127.0.0.1:7657", "/metrics")
	m := rec.Body.String()
	for _, want := range []string{
		"# TYPE i2pgo_peers_ntcp2 gauge\ni2pgo_peers_ntcp2 3\n",
		"# TYPE i2pgo_netdb_routers gauge\ni2pgo_netdb_routers 100\n",
		"i2pgo_tunnels_build_success_ratio 0.5\n",
		`i2pgo_i2ptunnel_received_bytes_total{tunnel="we\"ird",type="httpclient"} 7` + "\n",
		`i2pgo_i2ptunnel_up{tunnel="we\"ird",type="httpclient"} 1` + "\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Errorf("metrics content type %q", rec.Header().Get("Content-Type"))
	}
	if strings.Count(m, "# TYPE i2pgo_i2ptunnel_up ") != 1 {
		t.Error("a metric family's TYPE line repeated")
	}
}

func TestNoControl(t *testing.T) {
	s := newServer(t, Config{})
	if rec := postForm(s.Handler(), "/shutdown", s.csrf, url.Values{}); rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("shutdown without Deps.Shutdown: %d", rec.Code)
	}
	if body := get(s.Handler(), "127.0.0.1:7657", "/").Body.String(); strings.Contains(body, `action="/shutdown"`) {
		t.Error("shutdown button without Deps.Shutdown")
	}
}
