package router

import (
	"sync"
	"time"
)

// bandwidth turns byte counters into rates over the last few seconds.
type bandwidth struct {
	mu              sync.Mutex
	lastT           time.Time
	lastIn, lastOut uint64
	rateIn, rateOut float64 // bytes/s, exponentially smoothed
}

func (b *bandwidth) sample(now time.Time, in, out uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.lastT.IsZero() {
		dt := now.Sub(b.lastT).Seconds()
		if dt > 0 {
			const alpha = 0.3
			b.rateIn = alpha*float64(in-b.lastIn)/dt + (1-alpha)*b.rateIn
			b.rateOut = alpha*float64(out-b.lastOut)/dt + (1-alpha)*b.rateOut
		}
	}
	b.lastT, b.lastIn, b.lastOut = now, in, out
}

func (b *bandwidth) rates() (in, out int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(b.rateIn), int64(b.rateOut)
}
