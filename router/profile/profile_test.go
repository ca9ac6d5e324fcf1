package profile

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// clock is a manual clock for the Store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func hash(s string) data.Hash { return data.HashOf([]byte(s)) }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRecordLookup(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	h := hash("ff")
	t0 := c.Now()
	s.RecordLookup(h, true, 400*time.Millisecond)
	c.Advance(time.Second)
	s.RecordLookup(h, true, 800*time.Millisecond)
	c.Advance(time.Second)
	s.RecordLookup(h, false, time.Hour) // latency of a failure is ignored

	p := s.Get(h)
	if p.Hash != h {
		t.Fatalf("Hash = %v", p.Hash)
	}
	l := p.Lookup
	if l.Sent.Total != 3 || l.Answered.Total != 2 || l.Failed.Total != 1 {
		t.Errorf("totals sent/answered/failed = %d/%d/%d, want 3/2/1", l.Sent.Total, l.Answered.Total, l.Failed.Total)
	}
	if want := 400*time.Millisecond + (800*time.Millisecond-400*time.Millisecond)/4; l.Latency != want {
		t.Errorf("Latency = %v, want %v", l.Latency, want)
	}
	if !p.FirstHeard.Equal(t0) || !p.LastHeard.Equal(t0.Add(time.Second)) {
		t.Errorf("FirstHeard %v LastHeard %v", p.FirstHeard, p.LastHeard)
	}
	if !l.LastAnswered.Equal(t0.Add(time.Second)) || !l.LastFailed.Equal(t0.Add(2*time.Second)) ||
		!p.LastFailure.Equal(t0.Add(2*time.Second)) {
		t.Errorf("LastAnswered %v LastFailed %v LastFailure %v", l.LastAnswered, l.LastFailed, p.LastFailure)
	}
	if !p.AsOf.Equal(c.Now()) {
		t.Errorf("AsOf = %v, want now", p.AsOf)
	}
}

func TestRecordStore(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	h := hash("ff")
	s.RecordStore(h, false)
	if p := s.Get(h); !p.FirstHeard.IsZero() || p.LastFailure.IsZero() || p.Store.LastFailed.IsZero() {
		t.Errorf("after a failed store: %+v", p)
	}
	c.Advance(time.Minute)
	s.RecordStore(h, true)
	p := s.Get(h)
	if p.Store.Sent.Total != 2 || p.Store.Confirmed.Total != 1 {
		t.Errorf("sent/confirmed = %d/%d", p.Store.Sent.Total, p.Store.Confirmed.Total)
	}
	if !p.Store.LastConfirmed.Equal(c.Now()) || !p.FirstHeard.Equal(c.Now()) {
		t.Errorf("LastConfirmed %v FirstHeard %v", p.Store.LastConfirmed, p.FirstHeard)
	}
}

func TestRecordTunnelBuild(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	h := hash("hop")
	s.RecordTunnelBuild(h, BuildResultFromReply(0))
	s.RecordTunnelBuild(h, BuildResultFromReply(30))
	s.RecordTunnelBuild(h, BuildResultFromReply(10))
	s.RecordTunnelBuild(h, BuildTimedOut)
	b := s.Get(h).Build
	if b.Requested.Total != 4 || b.Accepted.Total != 1 || b.Rejected.Total != 2 || b.TimedOut.Total != 1 {
		t.Errorf("requested/accepted/rejected/timed out = %d/%d/%d/%d",
			b.Requested.Total, b.Accepted.Total, b.Rejected.Total, b.TimedOut.Total)
	}
	if b.LastAccepted.IsZero() || b.LastRejected.IsZero() || b.LastTimedOut.IsZero() {
		t.Errorf("last times not set: %+v", b)
	}
	p := s.Get(h)
	if p.LastHeard.IsZero() || p.LastFailure.IsZero() {
		t.Error("rejections count as heard, timeouts as failures")
	}
	for r, want := range map[BuildResult]string{BuildAccepted: "accepted", BuildRejected: "rejected", BuildTimedOut: "timed out", 9: "BuildResult(9)"} {
		if r.String() != want {
			t.Errorf("%d.String() = %q", r, r.String())
		}
	}
}

func TestGetUnknownAndCopy(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	h := hash("nobody")
	p := s.Get(h)
	if p.Hash != h || !p.AsOf.Equal(c.Now()) || p.Lookup.Sent.Total != 0 {
		t.Errorf("unknown: %+v", p)
	}
	if got := s.Score(h); got != 0.5 {
		t.Errorf("unknown Score = %v, want 0.5", got)
	}
	if s.IsBad(h) || s.Len() != 0 {
		t.Error("unknown peer bad, or Get created a profile")
	}

	s.RecordLookup(h, true, time.Second)
	p = s.Get(h)
	p.Lookup.Answered.Total = 99
	p.Lookup.Answered.Recent = 99
	if q := s.Get(h); q.Lookup.Answered.Total != 1 {
		t.Error("changing Get's result changed the store")
	}
	s.RecordLookup(data.Hash{}, true, 0)
	if s.Len() != 1 {
		t.Error("zero hash recorded")
	}
}

func TestDecay(t *testing.T) {
	c := newClock()
	s := New(Config{HalfLife: time.Hour}, c.Now)
	h := hash("ff")
	for range 4 {
		s.RecordLookup(h, true, time.Second)
	}
	c.Advance(time.Hour)
	p := s.Get(h)
	if !near(p.Lookup.Answered.Recent, 2) || !near(p.Lookup.Sent.Recent, 2) || p.Lookup.Answered.Total != 4 {
		t.Errorf("after one half-life: recent %v, total %d", p.Lookup.Answered.Recent, p.Lookup.Answered.Total)
	}
	c.Advance(time.Hour)
	s.RecordLookup(h, false, 0)
	p = s.Get(h)
	if !near(p.Lookup.Answered.Recent, 1) || !near(p.Lookup.Failed.Recent, 1) || !near(p.Lookup.Sent.Recent, 2) {
		t.Errorf("after two half-lives and a failure: answered %v failed %v sent %v",
			p.Lookup.Answered.Recent, p.Lookup.Failed.Recent, p.Lookup.Sent.Recent)
	}
	// Get does not change the stored values: decaying twice is the same
	// as decaying once.
	c.Advance(30 * time.Minute)
	a := s.Get(h).Lookup.Failed.Recent
	b := s.Get(h).Lookup.Failed.Recent
	if !near(a, b) || !near(a, math.Sqrt2/2) {
		t.Errorf("half an half-life later: %v, %v; want %v", a, b, math.Sqrt2/2)
	}
}

func TestDecayClockBackwards(t *testing.T) {
	p := Profile{Hash: hash("x")}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.decayTo(now, time.Hour)
	p.recordLookup(now, true, 0)
	p.decayTo(now.Add(-time.Hour), time.Hour)
	if p.Lookup.Answered.Recent != 1 || !p.AsOf.Equal(now) {
		t.Errorf("clock went back: recent %v AsOf %v", p.Lookup.Answered.Recent, p.AsOf)
	}
}

func TestScore(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	good, bad, unknown, slow := hash("good"), hash("bad"), hash("unknown"), hash("slow")
	for range 10 {
		s.RecordLookup(good, true, 300*time.Millisecond)
		s.RecordStore(good, true)
		s.RecordTunnelBuild(good, BuildAccepted)
		s.RecordLookup(bad, false, 0)
		s.RecordLookup(slow, true, 8*time.Second)
	}
	c.Advance(2 * FailureGrace) // past the fresh-failure penalty
	sg, sb, su, ss := s.Score(good), s.Score(bad), s.Score(unknown), s.Score(slow)
	t.Logf("good %.3f slow %.3f unknown %.3f bad %.3f", sg, ss, su, sb)
	if !(sg > ss && ss > su && su > sb) {
		t.Errorf("want good > slow > unknown > bad: %v %v %v %v", sg, ss, su, sb)
	}
	for _, v := range []float64{sg, sb, su, ss} {
		if v <= 0 || v >= 1 {
			t.Errorf("score %v outside (0, 1)", v)
		}
	}
	// n (decayed) answers at 8 s: reliability (n+1)/(n+2), speed 1/4.
	n := s.Get(slow).Lookup.Answered.Recent
	if want := (n + 1) / (n + 2) * (0.8 + 0.2*0.25); n < 9.5 || !near(ss, want) {
		t.Errorf("slow = %v, want %v", ss, want)
	}
	// Timeouts weigh more than rejections.
	rej, tmo := hash("rej"), hash("tmo")
	s.RecordTunnelBuild(rej, BuildRejected)
	s.RecordTunnelBuild(tmo, BuildTimedOut)
	c.Advance(2 * FailureGrace)
	if s.Score(rej) <= s.Score(tmo) {
		t.Errorf("rejected %v <= timed out %v", s.Score(rej), s.Score(tmo))
	}
}

func TestScoreRecentWeighsMore(t *testing.T) {
	c := newClock()
	s := New(Config{HalfLife: time.Hour}, c.Now)
	improving, worsening := hash("improving"), hash("worsening")
	for range 5 {
		s.RecordLookup(improving, false, 0)
		s.RecordLookup(worsening, true, time.Second)
	}
	c.Advance(3 * time.Hour)
	for range 5 {
		s.RecordLookup(improving, true, time.Second)
		s.RecordLookup(worsening, false, 0)
	}
	c.Advance(2 * FailureGrace)
	si, sw := s.Score(improving), s.Score(worsening)
	if si <= 0.5 || sw >= 0.5 {
		t.Errorf("same totals, recent behaviour should decide: improving %v, worsening %v", si, sw)
	}
}

func TestScoreFreshFailure(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	h := hash("ff")
	for range 20 {
		s.RecordLookup(h, true, time.Second)
	}
	c.Advance(time.Second)
	before := s.Score(h)
	s.RecordLookup(h, false, 0)
	fresh := s.Score(h)
	c.Advance(FailureGrace)
	later := s.Score(h)
	if fresh >= before/1.9 {
		t.Errorf("fresh failure: %v, before %v: want about halved", fresh, before)
	}
	if later <= fresh || later >= before {
		t.Errorf("after the grace: %v, want between %v and %v", later, fresh, before)
	}
	// A reply after the failure lifts the penalty at once.
	s.RecordLookup(h, false, 0)
	c.Advance(time.Second)
	s.RecordLookup(h, true, time.Second)
	if got := s.Score(h); got < before*0.8 {
		t.Errorf("answer after failure: %v", got)
	}
}

func TestIsBad(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  func(s *Store, h data.Hash)
		bad  bool
	}{
		{"nothing", func(*Store, data.Hash) {}, false},
		{"4 declines", func(s *Store, h data.Hash) { repeat(4, func() { s.RecordTunnelBuild(h, BuildRejected) }) }, false},
		{"5 declines", func(s *Store, h data.Hash) { repeat(5, func() { s.RecordTunnelBuild(h, BuildRejected) }) }, true},
		{"10 declines 2 accepts", func(s *Store, h data.Hash) {
			repeat(10, func() { s.RecordTunnelBuild(h, BuildRejected) })
			repeat(2, func() { s.RecordTunnelBuild(h, BuildAccepted) })
		}, true},
		{"10 declines 3 accepts", func(s *Store, h data.Hash) {
			repeat(10, func() { s.RecordTunnelBuild(h, BuildRejected) })
			repeat(3, func() { s.RecordTunnelBuild(h, BuildAccepted) })
		}, false},
		{"10 build timeouts", func(s *Store, h data.Hash) { repeat(10, func() { s.RecordTunnelBuild(h, BuildTimedOut) }) }, false},
		{"11 build timeouts", func(s *Store, h data.Hash) { repeat(11, func() { s.RecordTunnelBuild(h, BuildTimedOut) }) }, true},
		{"11 build timeouts 1 accept", func(s *Store, h data.Hash) {
			repeat(11, func() { s.RecordTunnelBuild(h, BuildTimedOut) })
			s.RecordTunnelBuild(h, BuildAccepted)
		}, false},
		{"4 lookup failures", func(s *Store, h data.Hash) { repeat(4, func() { s.RecordLookup(h, false, 0) }) }, false},
		{"5 lookup failures", func(s *Store, h data.Hash) { repeat(5, func() { s.RecordLookup(h, false, 0) }) }, true},
		{"3 lookup 3 store failures 1 answer", func(s *Store, h data.Hash) {
			repeat(3, func() { s.RecordLookup(h, false, 0) })
			repeat(3, func() { s.RecordStore(h, false) })
			s.RecordLookup(h, true, time.Second)
		}, true},
		{"6 failures 2 answers", func(s *Store, h data.Hash) {
			repeat(6, func() { s.RecordLookup(h, false, 0) })
			repeat(2, func() { s.RecordStore(h, true) })
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{}, newClock().Now)
			h := hash(tc.name)
			tc.rec(s, h)
			if got := s.IsBad(h); got != tc.bad {
				t.Errorf("IsBad = %v, want %v (%+v)", got, tc.bad, s.Get(h))
			}
		})
	}
}

func TestIsBadRecovers(t *testing.T) {
	c := newClock()
	s := New(Config{HalfLife: time.Hour}, c.Now)
	h := hash("ff")
	repeat(8, func() { s.RecordLookup(h, false, 0) })
	if !s.IsBad(h) {
		t.Fatal("not bad after 8 failures")
	}
	c.Advance(time.Hour) // 4 recent failures left
	if s.IsBad(h) {
		t.Error("still bad after a half-life")
	}
}

func repeat(n int, f func()) {
	for range n {
		f()
	}
}
