package tunnel

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func randBody(r *testRNG) *[BodyLen]byte {
	var b [BodyLen]byte
	r.Read(b[:])
	return &b
}

func TestIVFilterDuplicates(t *testing.T) {
	r := testRand(30)
	f := NewIVFilter(IVFilterConfig{})
	now := testNow
	a, b := randBody(r), randBody(r)
	if f.Seen(a, now) || f.Seen(b, now) {
		t.Fatal("new bodies reported seen")
	}
	if !f.Seen(a, now) || !f.Seen(b, now.Add(time.Second)) {
		t.Fatal("repeated bodies not caught")
	}
	// The key is IV XOR first block: swapping them is the same message;
	// changing the data after the first block is not a new one either.
	c := *a
	copy(c[:IVLen], a[IVLen:2*IVLen])
	copy(c[IVLen:], a[:IVLen])
	c[500] ^= 1
	if !f.Seen(&c, now) {
		t.Fatal("IV and first block swapped: not caught")
	}
	// Any change in the IV or first block is a new message.
	d := *a
	d[2*IVLen-1] ^= 1
	if f.Seen(&d, now) {
		t.Fatal("changed first block reported seen")
	}
	if s := f.Stats(); s.Seen != 6 || s.Duplicates != 3 {
		t.Fatalf("stats %+v", s)
	}
}

// TestIVFilterWindow checks that an entry lives at least one window and at
// most two.
func TestIVFilterWindow(t *testing.T) {
	r := testRand(31)
	const w = DefaultIVFilterWindow
	f := NewIVFilter(IVFilterConfig{Log2Bits: 16})
	t0 := testNow
	early, late := randBody(r), randBody(r)
	f.Seen(early, t0)                   // first call: the clock starts
	f.Seen(late, t0.Add(w-time.Second)) // same generation
	// Rotation at w: both move to the previous generation.
	if !f.Seen(early, t0.Add(w)) {
		t.Fatal("forgotten at one window")
	}
	// The duplicate check put early back in the current generation; late
	// was not touched. At 2w the previous generation (late) is dropped.
	if !f.Seen(early, t0.Add(2*w)) {
		t.Fatal("re-seen entry forgotten")
	}
	if f.Seen(late, t0.Add(2*w)) {
		t.Fatal("remembered past two windows")
	}
	// A gap of two windows or more clears everything.
	if f.Seen(randBody(r), t0.Add(2*w)) {
		t.Fatal("new body seen")
	}
	if f.Seen(early, t0.Add(5*w)) || f.Seen(late, t0.Add(5*w)) {
		t.Fatal("remembered across a long gap")
	}
}

// TestIVFilterFalsePositives fills a small filter to its design load and
// checks the false-positive rate against the bound in the doc.
func TestIVFilterFalsePositives(t *testing.T) {
	r := testRand(32)
	// m = 2^16, k = 7, n = 4000: (1-e^(-7·4000/65536))^7 ≈ 6·10⁻⁴ per
	// generation.
	f := NewIVFilter(IVFilterConfig{Log2Bits: 16, Hashes: 7})
	for range 4000 {
		if f.Seen(randBody(r), testNow) {
			// A false positive while filling is possible but rare.
			t.Log("false positive while filling")
		}
	}
	// Each trial inserts too, so the load grows to n = 5000, where the
	// bound is (1-e^(-7·5000/65536))^7 ≈ 2·10⁻³: about 1 expected in
	// 1000 trials.
	fp := 0
	const trials = 1000
	for range trials {
		if f.Seen(randBody(r), testNow) {
			fp++
		}
	}
	if fp > 10 {
		t.Fatalf("%d false positives in %d", fp, trials)
	}
	t.Logf("%d false positives in %d", fp, trials)
}

func TestIVFilterConfigClamps(t *testing.T) {
	for _, tc := range []struct {
		cfg      IVFilterConfig
		words, k int
	}{
		{IVFilterConfig{}, 1 << (DefaultIVFilterLog2Bits - 6), DefaultIVFilterHashes},
		{IVFilterConfig{Log2Bits: 1, Hashes: 100}, 1 << 4, 16},
		{IVFilterConfig{Log2Bits: -5, Hashes: -1}, 1 << 4, 1},
	} {
		f := NewIVFilter(tc.cfg)
		if len(f.cur) != tc.words || len(f.prev) != tc.words || f.k != tc.k || f.window != DefaultIVFilterWindow {
			t.Errorf("%+v: %d words, k %d, window %v", tc.cfg, len(f.cur), f.k, f.window)
		}
	}
}

func TestIVFilterConcurrent(t *testing.T) {
	f := NewIVFilter(IVFilterConfig{Log2Bits: 20})
	var wg sync.WaitGroup
	dups := make([]int, 4)
	for g := range 4 {
		wg.Go(func() {
			r := testRand(40) // the same bodies in every goroutine
			for range 500 {
				if f.Seen(randBody(r), testNow) {
					dups[g]++
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, d := range dups {
		total += d
	}
	// Each of the 500 bodies is new exactly once (no false positives
	// expected at this load).
	if total != 3*500 {
		t.Fatalf("%d duplicates, want %d", total, 3*500)
	}
}

func TestParticipant(t *testing.T) {
	r := testRand(33)
	k := randKeys(r)
	p := Participant{Cipher: NewCipher(k), Filter: NewIVFilter(IVFilterConfig{Log2Bits: 16})}
	b := randBody(r)
	orig := *b
	if err := p.Process(b, testNow); err != nil {
		t.Fatal(err)
	}
	want := orig
	NewCipher(k).EncryptLayer(&want)
	if *b != want {
		t.Fatal("Process did not add the layer")
	}
	again := orig
	if err := p.Process(&again, testNow); !errors.Is(err, ErrDuplicate) || again != orig {
		t.Fatalf("replay: %v, body changed %v", err, again != orig)
	}
	// Without a filter, no check.
	p.Filter = nil
	if err := p.Process(&again, testNow); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkIVFilter(b *testing.B) {
	f := NewIVFilter(IVFilterConfig{})
	var body [BodyLen]byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body[0], body[1], body[2] = byte(i), byte(i>>8), byte(i>>16)
		f.Seen(&body, testNow)
	}
}
