package tunnel

import (
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// IVFilter defaults.
const (
	// DefaultIVFilterLog2Bits gives 2^24 bits (2 MiB) per generation,
	// 4 MiB in all: Java I2P's size for 512 KB/s to 1.5 MB/s of shared
	// bandwidth (BloomFilterIVValidator, "big" filter).
	DefaultIVFilterLog2Bits = 24
	// DefaultIVFilterHashes is the number of bits set per entry.
	DefaultIVFilterHashes = 7
	// DefaultIVFilterWindow is the life of a generation. Java I2P's
	// half-life is 10 minutes, the life of a tunnel.
	DefaultIVFilterWindow = 10 * time.Minute
)

// IVFilterConfig configures an IVFilter. The zero value means defaults.
type IVFilterConfig struct {
	// Log2Bits is the base-2 logarithm of a generation's size in bits;
	// 0 means DefaultIVFilterLog2Bits. It is clamped to 10..32. The filter
	// takes 2^Log2Bits / 4 bytes (two generations).
	Log2Bits int
	// Hashes is the number of bits set per entry; 0 means
	// DefaultIVFilterHashes. It is clamped to 1..16.
	Hashes int
	// Window is the life of a generation; 0 means DefaultIVFilterWindow.
	Window time.Duration
}

// IVFilter is the duplicate filter of a router's participating tunnels
// (tunnels-implementation.html, "Participant Processing"): a decaying
// Bloom filter of the IV XOR the first data block of every tunnel message
// received, as Java I2P keeps (BloomFilterIVValidator; i2pd keeps none).
// XORing in the first block stops colluding hops from re-tagging a message
// by swapping its IV and first block.
//
// It has two generations of m = 2^Log2Bits bits. Seen sets k = Hashes bits
// in the current one and looks in both; when Window has passed since the
// last rotation, the current generation becomes the previous one and a
// cleared one replaces it. So an entry is remembered for at least Window
// and at most 2·Window: longer than a tunnel lives, which is all a replay
// needs to be caught. A duplicate is never missed within Window. A new
// message is wrongly called a duplicate with probability at most about
//
//	2 · (1 − e^(−k·n/m))^k
//
// where n is the messages seen in one Window. With the defaults (m = 2^24,
// k = 7, 10 minutes) that is 5·10⁻⁵ at 1 MB/s of tunnel traffic (about
// 600,000 messages per window), 6·10⁻⁹ at 256 KB/s, 3·10⁻³ at 2 MB/s
// and 7·10⁻² at 4 MB/s;
// raise Log2Bits by one for each doubling of the traffic (Java I2P goes up
// to 2^27 bits per generation, 32 MB in all, from 8 MB/s). Memory is fixed
// at 2^Log2Bits / 4 bytes. The bit positions come from hash/maphash with a
// random seed, so a peer cannot aim collisions.
//
// An IVFilter is safe for concurrent use.
type IVFilter struct {
	// Set by NewIVFilter, then read-only.
	seed   maphash.Seed
	mask   uint64 // m - 1
	k      int
	window time.Duration

	mu sync.Mutex
	// Guarded by mu.
	cur, prev []uint64
	rotated   time.Time // zero until the first Seen
	seen, dup uint64
}

// NewIVFilter returns an empty filter.
func NewIVFilter(cfg IVFilterConfig) *IVFilter {
	bits := cfg.Log2Bits
	if bits == 0 {
		bits = DefaultIVFilterLog2Bits
	}
	bits = min(max(bits, 10), 32)
	k := cfg.Hashes
	if k == 0 {
		k = DefaultIVFilterHashes
	}
	k = min(max(k, 1), 16)
	w := cfg.Window
	if w <= 0 {
		w = DefaultIVFilterWindow
	}
	words := 1 << (bits - 6)
	return &IVFilter{
		seed:   maphash.MakeSeed(),
		mask:   1<<bits - 1,
		k:      k,
		window: w,
		cur:    make([]uint64, words),
		prev:   make([]uint64, words),
	}
}

// Seen reports whether the tunnel message b, as received (before this
// hop's layer), was seen before, and records it if not. A participant
// drops b if Seen returns true. now drives the rotation of generations.
func (f *IVFilter) Seen(b *[BodyLen]byte, now time.Time) bool {
	var key [IVLen]byte
	for i := range key {
		key[i] = b[i] ^ b[IVLen+i]
	}
	h := maphash.Bytes(f.seed, key[:])
	// Kirsch–Mitzenmacher: bit i is h1 + i·h2, with h2 odd so that the k
	// positions differ in any power-of-two table.
	h1, h2 := h&0xffffffff, h>>32|1
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rotateLocked(now)
	f.seen++
	inCur, inPrev := true, true
	for i := range uint64(f.k) {
		pos := (h1 + i*h2) & f.mask
		w, bit := pos>>6, uint64(1)<<(pos&63)
		inCur = inCur && f.cur[w]&bit != 0
		inPrev = inPrev && f.prev[w]&bit != 0
		f.cur[w] |= bit
	}
	if inCur || inPrev {
		f.dup++
		return true
	}
	return false
}

// rotateLocked starts a new generation if Window has passed.
func (f *IVFilter) rotateLocked(now time.Time) {
	if f.rotated.IsZero() {
		f.rotated = now
		return
	}
	d := now.Sub(f.rotated)
	if d < f.window {
		return
	}
	f.cur, f.prev = f.prev, f.cur
	clear(f.cur)
	if d >= 2*f.window {
		clear(f.prev)
	}
	f.rotated = now
}

// IVFilterStats counts what an IVFilter did.
type IVFilterStats struct {
	Seen       uint64 // calls to Seen
	Duplicates uint64 // of which reported true
}

// Stats returns the counters.
func (f *IVFilter) Stats() IVFilterStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return IVFilterStats{Seen: f.seen, Duplicates: f.dup}
}

// Participant is the data path of one participating hop that is not an
// endpoint: check the message against the router's IVFilter, then add the
// hop's layer. Forwarding it, with the next tunnel ID, is the caller's.
// A Participant is not safe for concurrent use (its Cipher is not); the
// IVFilter may be shared.
type Participant struct {
	Cipher *Cipher
	Filter *IVFilter // nil: no duplicate check
}

// Process checks b (the body of a received TunnelData message) and adds
// the layer in place. It returns an error wrapping ErrDuplicate, leaving b
// as it was, if the filter has seen b before.
func (p Participant) Process(b *[BodyLen]byte, now time.Time) error {
	if p.Filter != nil && p.Filter.Seen(b, now) {
		return fmt.Errorf("%w: IV %x", ErrDuplicate, b[:IVLen])
	}
	p.Cipher.EncryptLayer(b)
	return nil
}
