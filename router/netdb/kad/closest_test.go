package kad

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// closestRef is the obvious reference: dedupe, filter, sort all, cut.
func closestRef(target data.Hash, candidates []data.Hash, k int, exclude func(data.Hash) bool) []data.Hash {
	var c []data.Hash
	seen := map[data.Hash]bool{}
	for _, h := range candidates {
		if seen[h] || (exclude != nil && exclude(h)) {
			continue
		}
		seen[h] = true
		c = append(c, h)
	}
	slices.SortFunc(c, func(a, b data.Hash) int { return Compare(target, a, b) })
	if k < len(c) {
		c = c[:max(k, 0)]
	}
	if len(c) == 0 {
		return nil
	}
	return c
}

func randHash(r *rand.Rand) data.Hash {
	var h data.Hash
	for i := range h {
		h[i] = byte(r.Uint32())
	}
	return h
}

// randCandidates returns n hashes, some near target (sharing a prefix with
// it, to exercise ties in the leading bytes) and some repeated.
func randCandidates(r *rand.Rand, target data.Hash, n int) []data.Hash {
	c := make([]data.Hash, 0, n)
	for len(c) < n {
		h := randHash(r)
		switch r.IntN(4) {
		case 0:
			copy(h[:r.IntN(32)], target[:]) // shares a prefix with target
		case 1:
			if len(c) > 0 {
				h = c[r.IntN(len(c))] // duplicate
			}
		}
		c = append(c, h)
	}
	return c
}

func TestClosestMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 1000 {
		target := randHash(r)
		n := r.IntN(300)
		if iter%20 == 0 {
			n = r.IntN(3000)
		}
		cands := randCandidates(r, target, n)
		k := r.IntN(80) - 2
		var excluded map[data.Hash]bool
		var exclude func(data.Hash) bool
		if r.IntN(2) == 0 && n > 0 {
			excluded = map[data.Hash]bool{}
			for range r.IntN(n/2 + 1) {
				excluded[cands[r.IntN(n)]] = true
			}
			if r.IntN(3) == 0 {
				excluded[target] = true
			}
			exclude = func(h data.Hash) bool { return excluded[h] }
		}
		orig := slices.Clone(cands)
		got := Closest(target, cands, k, exclude)
		want := closestRef(target, cands, k, exclude)
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d (n=%d k=%d): Closest differs from reference\n got %x\nwant %x", iter, n, k, got, want)
		}
		if !slices.Equal(cands, orig) {
			t.Fatalf("iter %d: candidates modified", iter)
		}
		checkClosestProperties(t, target, cands, k, excluded, got)
	}
}

// checkClosestProperties states what Closest promises without a reference
// implementation.
func checkClosestProperties(t *testing.T, target data.Hash, cands []data.Hash, k int, excluded map[data.Hash]bool, got []data.Hash) {
	t.Helper()
	eligible := map[data.Hash]bool{}
	for _, c := range cands {
		if !excluded[c] {
			eligible[c] = true
		}
	}
	if want := min(max(k, 0), len(eligible)); len(got) != want {
		t.Fatalf("len = %d, want %d", len(got), want)
	}
	in := map[data.Hash]bool{}
	for i, h := range got {
		if !eligible[h] {
			t.Fatalf("result %x is excluded or not a candidate", h)
		}
		if in[h] {
			t.Fatalf("result %x repeated", h)
		}
		in[h] = true
		if i > 0 && !Closer(target, got[i-1], h) {
			t.Fatalf("result not strictly ascending at %d", i)
		}
	}
	if len(got) == 0 {
		return
	}
	worst := got[len(got)-1]
	for h := range eligible {
		if !in[h] && Closer(target, h, worst) {
			t.Fatalf("left out %x, closer than returned %x", h, worst)
		}
	}
}

func TestClosestEdgeCases(t *testing.T) {
	target := data.HashOf([]byte("t"))
	a, b := data.HashOf([]byte("a")), data.HashOf([]byte("b"))
	if got := Closest(target, nil, 3, nil); got != nil {
		t.Errorf("no candidates: %v", got)
	}
	if got := Closest(target, []data.Hash{a, b}, 0, nil); got != nil {
		t.Errorf("k=0: %v", got)
	}
	if got := Closest(target, []data.Hash{a, b}, -1, nil); got != nil {
		t.Errorf("k<0: %v", got)
	}
	all := func(data.Hash) bool { return true }
	if got := Closest(target, []data.Hash{a, b}, 2, all); got != nil {
		t.Errorf("all excluded: %v", got)
	}
	got := Closest(target, []data.Hash{a, a, a}, 2, nil)
	if !slices.Equal(got, []data.Hash{a}) {
		t.Errorf("duplicates: %x", got)
	}
	// The target itself is at distance zero.
	got = Closest(target, []data.Hash{a, target, b}, 1, nil)
	if !slices.Equal(got, []data.Hash{target}) {
		t.Errorf("target among candidates: %x", got)
	}
}

// TestClosestHeapDuplicates drives the heap path (k small, many
// candidates) with many copies of the nearest hashes.
func TestClosestHeapDuplicates(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	target := randHash(r)
	var cands []data.Hash
	near := make([]data.Hash, 5)
	for i := range near {
		near[i] = target
		near[i][31] ^= byte(i + 1)
	}
	for range 200 {
		cands = append(cands, randHash(r), near[r.IntN(len(near))])
	}
	got := Closest(target, cands, 8, nil)
	want := closestRef(target, cands, 8, nil)
	if !slices.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
	if !slices.Equal(got[:5], []data.Hash{near[0], near[1], near[2], near[3], near[4]}) {
		t.Fatalf("nearest five not first: %x", got)
	}
}

// TestClosestExcludeLazy checks that exclude is not consulted for
// candidates that cannot make the cut when the candidate set is large.
func TestClosestExcludeLazy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	target := randHash(r)
	cands := make([]data.Hash, 10000)
	for i := range cands {
		cands[i] = randHash(r)
	}
	calls := 0
	Closest(target, cands, 3, func(data.Hash) bool { calls++; return false })
	if calls > 200 {
		t.Errorf("exclude called %d times for 10000 candidates and k=3", calls)
	}
}

func FuzzClosest(f *testing.F) {
	f.Add([]byte{0x80}, uint8(3), uint8(0))
	f.Add(make([]byte, 32*20), uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, k uint8, excl uint8) {
		var target data.Hash
		n := copy(target[:], raw)
		raw = raw[n:]
		var cands []data.Hash
		for len(raw) > 0 {
			var h data.Hash
			n := copy(h[:], raw)
			raw = raw[n:]
			cands = append(cands, h)
		}
		exclude := func(h data.Hash) bool { return excl != 0 && h[0]%excl == 0 }
		got := Closest(target, cands, int(k), exclude)
		want := closestRef(target, cands, int(k), exclude)
		if !slices.Equal(got, want) {
			t.Fatalf("got %x\nwant %x", got, want)
		}
	})
}

func BenchmarkClosest(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	cands := make([]data.Hash, 5000)
	for i := range cands {
		cands[i] = randHash(r)
	}
	target := randHash(r)
	for _, k := range []int{3, 16, 1000} {
		b.Run("k="+strconv.Itoa(k), func(b *testing.B) {
			for b.Loop() {
				Closest(target, cands, k, nil)
			}
		})
	}
}

func BenchmarkRoutingKey(b *testing.B) {
	h := data.HashOf([]byte("x"))
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		RoutingKey(h, at)
	}
}
