package console

import (
	"strings"
	"sync"
	"testing"

	"github.com/i2pgo/i2pgo/proxies"
)

func TestTunnelGraphs(t *testing.T) {
	var mu sync.Mutex
	tuns := []proxies.TunnelStatus{{Name: "web site", Type: "httpserver", State: "running"}}
	s, err := New(Config{}, Deps{Status: testStatus, I2PTunnels: func() []proxies.TunnelStatus {
		mu.Lock()
		defer mu.Unlock()
		return append([]proxies.TunnelStatus(nil), tuns...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	// Before any sample: an empty graph for a known tunnel, 404 for others.
	if rec := get(h, "127.0.0.1:7657", "/graph/tunnel/web%20site.svg"); rec.Code != 200 || strings.Contains(rec.Body.String(), "<polyline") {
		t.Errorf("first graph: %d %s", rec.Code, rec.Body.String())
	}
	if rec := get(h, "127.0.0.1:7657", "/graph/tunnel/nope.svg"); rec.Code != 404 {
		t.Errorf("unknown tunnel: %d", rec.Code)
	}
	for i := range 4 {
		mu.Lock()
		tuns[0].BytesIn, tuns[0].BytesOut = uint64(i)*10_000, uint64(i)*1_000
		mu.Unlock()
		s.sample()
	}
	in, out := s.thist.rates["web site"].series()
	if len(in) != 3 || in[2] != 1000 || out[2] != 100 {
		t.Errorf("rates %v %v", in, out)
	}
	rec := get(h, "127.0.0.1:7657", "/graph/tunnel/web%20site.svg")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || strings.Count(rec.Body.String(), "<polyline") != 2 {
		t.Errorf("graph: %d %s", rec.Code, rec.Body.String())
	}
	// A restart (counters back to 0) is not a negative rate; a removed
	// tunnel's history is dropped.
	mu.Lock()
	tuns[0].BytesIn, tuns[0].BytesOut = 0, 0
	mu.Unlock()
	s.sample()
	if in, _ := s.thist.rates["web site"].series(); len(in) != 3 {
		t.Errorf("after a restart: %v", in)
	}
	mu.Lock()
	tuns = nil
	mu.Unlock()
	s.sample()
	if len(s.thist.rates) != 0 || len(s.thist.last) != 0 {
		t.Errorf("history of a removed tunnel kept: %v", s.thist.last)
	}
	if body := get(h, "127.0.0.1:7657", "/i2ptunnels").Body.String(); strings.Contains(body, "/graph/tunnel/") {
		t.Error("a graph for no tunnel")
	}
	mu.Lock()
	tuns = []proxies.TunnelStatus{{Name: "a", Type: "client", State: "running"}}
	mu.Unlock()
	if body := get(h, "127.0.0.1:7657", "/i2ptunnels").Body.String(); !strings.Contains(body, `src="/graph/tunnel/a.svg"`) {
		t.Error("the list has no graph")
	}
}
