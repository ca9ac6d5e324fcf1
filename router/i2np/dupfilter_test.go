package i2np

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestExpired(t *testing.T) {
	g := ExpirationGrace
	tests := []struct {
		name string
		exp  time.Time
		want bool
	}{
		{"zero", time.Time{}, true},
		{"epoch", time.UnixMilli(1), true},
		{"now", t0, false},
		{"expired within grace", t0.Add(-g), false},
		{"expired past grace", t0.Add(-g - time.Millisecond), true},
		{"4 minutes ahead", t0.Add(MaxExpirationAhead), false},
		{"too far ahead", t0.Add(MaxExpirationAhead + time.Millisecond), true},
		{"far future", time.Unix(1<<40, 0), true},
	}
	for _, tc := range tests {
		if got := Expired(tc.exp, t0, g); got != tc.want {
			t.Errorf("%s: Expired = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !Expired(t0.Add(-time.Second), t0, 0) || Expired(t0.Add(-time.Second), t0, 2*time.Second) {
		t.Error("grace not honoured")
	}
}

func TestDupFilterBasic(t *testing.T) {
	f := NewDupFilter(DupFilterConfig{})
	exp := t0.Add(10 * time.Second)
	if f.Seen(1, exp, t0) {
		t.Fatal("first copy reported seen")
	}
	if !f.Seen(1, exp, t0) {
		t.Fatal("second copy not reported")
	}
	// Same second, other milliseconds: the same message (one copy may have
	// crossed an NTCP2 short header, which keeps whole seconds).
	if !f.Seen(1, exp.Add(500*time.Millisecond), t0.Add(time.Second)) {
		t.Error("copy with a sub-second difference not reported")
	}
	if f.Seen(1, exp.Add(time.Second), t0) {
		t.Error("same ID, other expiration reported seen")
	}
	if f.Seen(2, exp, t0) {
		t.Error("other ID reported seen")
	}
	if f.Len() != 3 {
		t.Errorf("Len = %d, want 3", f.Len())
	}
	// Refused and not remembered.
	for _, exp := range []time.Time{{}, t0.Add(-2 * time.Minute), t0.Add(5 * time.Minute)} {
		if !f.Seen(3, exp, t0) {
			t.Errorf("expiration %v accepted", exp)
		}
	}
	if f.Len() != 3 {
		t.Errorf("Len = %d after refusals, want 3", f.Len())
	}
	// Still caught just before the copy would be refused as expired.
	if !f.Seen(1, exp, exp.Add(ExpirationGrace)) {
		t.Error("copy at the end of the grace period not reported")
	}
	if !f.Seen(1, exp, exp.Add(ExpirationGrace+time.Millisecond)) {
		t.Error("expired copy accepted")
	}
}

// TestDupFilterNeverForgets runs 20 minutes of traffic, one second at a
// time, with expirations from now-grace to now+4min, and replays earlier
// messages: every replay that Expired lets through must be caught, and
// memory must stay proportional to the live window.
func TestDupFilterNeverForgets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := NewDupFilter(DupFilterConfig{})
	type msg struct {
		id  MessageID
		exp time.Time
	}
	var sent []msg
	maxLen := 0
	const perSecond = 20
	for s := 0; s < 20*60; s++ {
		now := t0.Add(time.Duration(s)*time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
		for range perSecond {
			m := msg{MessageID(rng.Uint32()), now.Add(time.Duration(rng.Int64N(int64(ExpirationGrace+MaxExpirationAhead))) - ExpirationGrace)}
			if f.Seen(m.id, m.exp, now) {
				t.Fatalf("new message %v reported seen at %v", m, now)
			}
			sent = append(sent, m)
		}
		for range 10 {
			m := sent[rng.IntN(len(sent))]
			if !f.Seen(m.id, m.exp, now) {
				t.Fatalf("replay of %v accepted at %v (expired %v)", m, now, Expired(m.exp, now, ExpirationGrace))
			}
		}
		maxLen = max(maxLen, f.Len())
	}
	// Entries live at most grace+ahead+grace (6 min) after arrival.
	if limit := perSecond * 6 * 60; maxLen > limit {
		t.Errorf("filter held %d entries, more than %d", maxLen, limit)
	}
	if len(f.gens) > 7 {
		t.Errorf("%d generations alive", len(f.gens))
	}
	// After the traffic stops, the next message prunes everything old.
	later := t0.Add(40 * time.Minute)
	f.Seen(1, later, later)
	if f.Len() != 1 {
		t.Errorf("Len = %d after 20 quiet minutes, want 1", f.Len())
	}
}

func TestDupFilterFull(t *testing.T) {
	f := NewDupFilter(DupFilterConfig{MaxEntries: 10, Grace: 500 * time.Millisecond})
	for i := range 10 {
		if f.Seen(MessageID(i), t0, t0) {
			t.Fatalf("message %d refused", i)
		}
	}
	if !f.Seen(100, t0, t0) {
		t.Fatal("new message accepted by a full filter")
	}
	if !f.Seen(5, t0, t0) {
		t.Fatal("duplicate accepted by a full filter")
	}
	// The grace rounds up to 1 s; two seconds on, the generation is gone.
	later := t0.Add(2 * time.Second)
	if f.Seen(100, later, later) {
		t.Fatal("full filter did not recover")
	}
	if f.Len() != 1 {
		t.Errorf("Len = %d, want 1", f.Len())
	}
}

func TestDupFilterClockStepsBack(t *testing.T) {
	f := NewDupFilter(DupFilterConfig{})
	if f.Seen(1, t0.Add(time.Hour), t0.Add(time.Hour)) {
		t.Fatal()
	}
	// An hour back: the future generation is kept, the new one works.
	if f.Seen(2, t0, t0) || !f.Seen(2, t0, t0) {
		t.Error("filter broken after the clock stepped back")
	}
	if f.Len() != 2 {
		t.Errorf("Len = %d, want 2", f.Len())
	}
}

func TestDupFilterConcurrent(t *testing.T) {
	f := NewDupFilter(DupFilterConfig{})
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				// Every worker offers the same 1000 messages.
				now := t0.Add(time.Duration(i+w) * time.Millisecond)
				if !f.Seen(MessageID(i), t0.Add(time.Minute), now) {
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 1000 {
		t.Errorf("%d messages accepted, want 1000", accepted.Load())
	}
}

func BenchmarkDupFilterSeen(b *testing.B) {
	f := NewDupFilter(DupFilterConfig{})
	now := t0
	for i := range b.N {
		if i%1000 == 0 {
			now = now.Add(time.Second)
		}
		f.Seen(MessageID(i), now.Add(30*time.Second), now)
	}
}
