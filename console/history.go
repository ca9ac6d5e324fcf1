package console

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The bandwidth graph of the dashboard: the last hour of the status's
// rates, sampled every historyStep by Serve, drawn as an SVG image
// (GET /graph/bandwidth.svg; the dashboard's script reloads it).

const (
	historyStep = 10 * time.Second
	historyLen  = 360 // one hour
)

type history struct {
	mu      sync.Mutex
	in, out [historyLen]float64 // rings; guarded by mu
	n, next int                 // samples kept, next slot; guarded by mu
}

func (h *history) add(in, out float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.in[h.next], h.out[h.next] = in, out
	h.next = (h.next + 1) % historyLen
	h.n = min(h.n+1, historyLen)
}

// series returns the samples, oldest first.
func (h *history) series() (in, out []float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := (h.next - h.n + historyLen) % historyLen
	for i := range h.n {
		j := (start + i) % historyLen
		in, out = append(in, h.in[j]), append(out, h.out[j])
	}
	return in, out
}

// sample records the current rates.
func (s *Server) sample() {
	st := s.status()
	s.hist.add(float64(st.Bandwidth.InBps), float64(st.Bandwidth.OutBps))
	s.sampleTunnels()
}

// sampleLoop samples until done is closed.
func (s *Server) sampleLoop(done <-chan struct{}) {
	t := time.NewTicker(historyStep)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			s.sample()
		}
	}
}

// bandwidthSVG draws the series: inbound blue, outbound orange, over the
// last hour, scaled to the highest rate.
func bandwidthSVG(in, out []float64) string {
	const w, h, pad = 720.0, 180.0, 24.0
	peak := 1024.0
	for i := range in {
		peak = max(peak, in[i], out[i])
	}
	line := func(vs []float64) string {
		var b strings.Builder
		for i, v := range vs {
			x := w - float64(len(vs)-1-i)*(w-pad)/float64(historyLen-1)
			y := h - pad - v/peak*(h-2*pad)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		return strings.TrimSpace(b.String())
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="Bandwidth over the last hour">`, w, h)
	fmt.Fprintf(&b, `<title>Bandwidth over the last hour: in %s, out %s now, peak %s</title>`, rate(last(in)), rate(last(out)), rate(peak))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#8888a0" stroke-width="1"/>`, pad, h-pad, w, h-pad)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#8888a0" stroke-width="1" stroke-dasharray="4 4"/>`, pad, pad, w, pad)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" font-family="sans-serif" fill="#8888a0">%s</text>`, pad+4, pad-6, rate(peak))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" font-family="sans-serif" fill="#8888a0">1 hour ago</text>`, pad+4, h-6)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" font-family="sans-serif" fill="#8888a0" text-anchor="end">now</text>`, w-2, h-6)
	if len(in) > 1 {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#4a68d8" stroke-width="2" points="%s"/>`, line(in))
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#e07b1a" stroke-width="2" points="%s"/>`, line(out))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" font-family="sans-serif" fill="#4a68d8" text-anchor="end">in %s</text>`, w-120, pad-6, rate(last(in)))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" font-family="sans-serif" fill="#e07b1a" text-anchor="end">out %s</text>`, w-2, pad-6, rate(last(out)))
	b.WriteString(`</svg>`)
	return b.String()
}

func last(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1]
}

func (s *Server) graphBandwidth(w http.ResponseWriter, r *http.Request) {
	in, out := s.hist.series()
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(bandwidthSVG(in, out)))
}

// apiBandwidth gives the same series as JSON.
func (s *Server) apiBandwidth(w http.ResponseWriter, r *http.Request) {
	in, out := s.hist.series()
	if in == nil {
		in, out = []float64{}, []float64{}
	}
	s.writeJSON(w, map[string]any{"step_s": int(historyStep / time.Second), "in_bps": in, "out_bps": out})
}
