package console

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
)

// Per-tunnel traffic graphs: the tunnel manager's rows each show a small
// graph of the tunnel's bytes per second over the last hour, sampled with
// the bandwidth graph (historyStep). Tunnels that are gone are dropped at
// the next sample.

type tunnelHistory struct {
	mu    sync.Mutex
	last  map[string][2]uint64 // the byte counters at the last sample; guarded by mu
	rates map[string]*history  // guarded by mu
}

// sampleTunnels records each tunnel's rate since the last sample.
func (s *Server) sampleTunnels() {
	if s.i2ptun == nil {
		return
	}
	h := &s.thist
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last, h.rates = map[string][2]uint64{}, map[string]*history{}
	}
	seen := map[string]bool{}
	step := historyStep.Seconds()
	for _, t := range s.i2ptun() {
		seen[t.Name] = true
		now := [2]uint64{t.BytesIn, t.BytesOut}
		prev, ok := h.last[t.Name]
		h.last[t.Name] = now
		if !ok || now[0] < prev[0] || now[1] < prev[1] { // new, or restarted
			continue
		}
		r := h.rates[t.Name]
		if r == nil {
			r = &history{}
			h.rates[t.Name] = r
		}
		r.add(float64(now[0]-prev[0])/step, float64(now[1]-prev[1])/step)
	}
	for name := range h.last {
		if !seen[name] {
			delete(h.last, name)
			delete(h.rates, name)
		}
	}
}

// sparkSVG is a 160×36 graph of in (blue) and out (orange).
func sparkSVG(in, out []float64) string {
	const w, h = 160.0, 36.0
	peak := 1.0
	for i := range in {
		peak = max(peak, in[i], out[i])
	}
	line := func(vs []float64) string {
		var b strings.Builder
		for i, v := range vs {
			x := w - float64(len(vs)-1-i)*w/float64(historyLen-1)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, h-2-v/peak*(h-4))
		}
		return strings.TrimSpace(b.String())
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="Traffic over the last hour">`, w, h)
	fmt.Fprintf(&b, `<title>Last hour: in %s, out %s now, peak %s</title>`, rate(last(in)), rate(last(out)), rate(peak))
	fmt.Fprintf(&b, `<line x1="0" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#8888a0" stroke-width="1"/>`, h-1, w, h-1)
	if len(in) > 1 {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#4a68d8" stroke-width="1.5" points="%s"/>`, line(in))
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#e07b1a" stroke-width="1.5" points="%s"/>`, line(out))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func (s *Server) graphTunnel(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	s.thist.mu.Lock()
	hist := s.thist.rates[name]
	_, known := s.thist.last[name]
	s.thist.mu.Unlock()
	if !known {
		known = s.tunnelExists(name)
	}
	if !known {
		http.NotFound(w, r)
		return
	}
	var in, out []float64
	if hist != nil {
		in, out = hist.series()
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(sparkSVG(in, out)))
}

func (s *Server) tunnelExists(name string) bool {
	if s.i2ptun == nil {
		return false
	}
	for _, t := range s.i2ptun() {
		if t.Name == name {
			return true
		}
	}
	return false
}
