package noise

import (
	"sync"
	"time"
)

// ReplayFilter remembers the ephemeral keys of recent handshakes
// (ntcp2.rst and ssu2.rst, SessionRequest notes: a cache of X values with a lifetime of at
// least twice the clock-skew limit). It keeps two generations of at most
// max entries each and rotates them every ttl, so memory is bounded
// whatever the rate of handshakes.
type ReplayFilter struct {
	mu       sync.Mutex
	cur, old map[[32]byte]struct{}
	rotated  time.Time
	ttl      time.Duration
	max      int
}

func NewReplayFilter(ttl time.Duration, max int) *ReplayFilter {
	return &ReplayFilter{cur: make(map[[32]byte]struct{}), old: make(map[[32]byte]struct{}), ttl: ttl, max: max}
}

// Seen records k and reports whether it was already recorded.
func (f *ReplayFilter) Seen(k [32]byte, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rotated.IsZero() {
		f.rotated = now
	}
	if now.Sub(f.rotated) >= f.ttl || len(f.cur) >= f.max {
		f.old, f.cur = f.cur, make(map[[32]byte]struct{})
		f.rotated = now
	}
	if _, ok := f.cur[k]; ok {
		return true
	}
	if _, ok := f.old[k]; ok {
		return true
	}
	f.cur[k] = struct{}{}
	return false
}
