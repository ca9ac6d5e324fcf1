package garlic

import "time"

// replayFilter remembers the ephemeral keys of the New Session messages
// accepted in the last window, in arrival order, to refuse them a second
// time (ecies.rst, "Replay Prevention"). Keys are the Elligator2-decoded
// ones: the two random top bits, and the choice between a key's two
// representatives, would otherwise let an attacker vary a replay.
//
// It holds at most max keys. When it is full of keys younger than the
// window, add fails: a flood of valid New Sessions then stops new sessions
// instead of opening a hole for replays.
type replayFilter struct {
	window time.Duration
	max    int
	seen   map[[32]byte]struct{}
	ring   []replayEntry // oldest at head
	head   int
	n      int
}

type replayEntry struct {
	key [32]byte
	at  time.Time
}

func newReplayFilter(window time.Duration, max int) *replayFilter {
	return &replayFilter{window: window, max: max, seen: make(map[[32]byte]struct{})}
}

// has reports whether key was added within the window.
func (f *replayFilter) has(key [32]byte) bool {
	_, ok := f.seen[key]
	return ok
}

// expire forgets the keys added before now - window.
func (f *replayFilter) expire(now time.Time) {
	for f.n > 0 {
		e := &f.ring[f.head]
		if now.Sub(e.at) <= f.window {
			return
		}
		delete(f.seen, e.key)
		*e = replayEntry{}
		f.head = (f.head + 1) % len(f.ring)
		f.n--
	}
}

// add records key; it reports false if the filter is full.
func (f *replayFilter) add(key [32]byte, now time.Time) bool {
	f.expire(now)
	if f.n == f.max {
		return false
	}
	if f.n == len(f.ring) { // grow the ring, keeping order
		grown := make([]replayEntry, min(max(2*len(f.ring), 64), f.max))
		for i := range f.n {
			grown[i] = f.ring[(f.head+i)%len(f.ring)]
		}
		f.ring, f.head = grown, 0
	}
	f.ring[(f.head+f.n)%len(f.ring)] = replayEntry{key: key, at: now}
	f.n++
	f.seen[key] = struct{}{}
	return true
}

// len is the number of keys held.
func (f *replayFilter) len() int { return f.n }
