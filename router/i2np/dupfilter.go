package i2np

import (
	"sync"
	"time"
)

// Expiration limits for received messages.
const (
	// ExpirationGrace is how long after its expiration a message is still
	// taken, for clock skew: Java I2P's Router.CLOCK_FUDGE_FACTOR and
	// i2pd's I2NP_MESSAGE_CLOCK_SKEW are both 60 s.
	ExpirationGrace = 60 * time.Second
	// MaxExpirationAhead is how far in the future an expiration may be.
	// Java I2P's MessageValidator allows 4 minutes, i2pd 3 (three times
	// its clock skew); we take the more lenient. Without such a bound no
	// duplicate filter of bounded memory could cover a message's life.
	MaxExpirationAhead = 4 * time.Minute
)

// Expired reports whether a message expiring at exp must be dropped at now:
// it expired more than grace ago, it expires more than MaxExpirationAhead
// from now, or exp is the zero time (a 0 on the wire, which Java I2P and
// i2pd both read as the epoch, long past).
func Expired(exp, now time.Time, grace time.Duration) bool {
	return exp.IsZero() || now.Sub(exp) > grace || exp.Sub(now) > MaxExpirationAhead
}

// DefaultDupFilterEntries is the default cap of a DupFilter.
const DefaultDupFilterEntries = 1 << 20

// DupFilterConfig configures a DupFilter. The zero value means defaults.
type DupFilterConfig struct {
	// Grace is passed to Expired; 0 means ExpirationGrace. It is rounded
	// up to whole seconds.
	Grace time.Duration
	// MaxEntries caps the remembered messages; 0 means
	// DefaultDupFilterEntries.
	MaxEntries int
}

// DupFilter drops duplicate and expired I2NP messages, as Java I2P's
// MessageValidator does. A message is identified by its ID and its
// expiration in whole seconds (Java mixes the expiration into the key too),
// so the same ID with another expiration is a different message.
//
// Entries are kept in generations by expiration, not by arrival: a
// generation holds the expirations of one span of Grace, and is dropped as
// a whole once every expiration in it is more than Grace past. Since Seen
// refuses any message that Expired refuses, a message is remembered for
// as long as a copy of it could be accepted: no duplicate goes undetected,
// whatever the arrival times. At most (Grace+MaxExpirationAhead)/Grace+2
// generations, 7 by default, are alive at a time.
//
// Under steady traffic an entry is dropped at most
// Grace+MaxExpirationAhead+Grace after its arrival (6 minutes by default),
// usually much sooner, as messages expire seconds to a minute after they
// are sent; generations are dropped when Seen opens a new one. Memory is bounded by MaxEntries: roughly
// 24 bytes per entry in Go's maps, so about 24 MiB at the default of 2^20,
// which a router reaches only at some 3,000 new messages per second
// sustained. When full, Seen reports every new message as seen (fail
// closed) until a generation ages out, rather than forgetting live entries
// and letting replays in. TunnelData messages, whose IDs change at each
// hop and whose replays the tunnel IV filter catches, should not be passed
// through it (Java I2P checks only their expiration, InNetMessagePool.add).
//
// A DupFilter is safe for concurrent use.
type DupFilter struct {
	// Set by NewDupFilter, then read-only.
	grace int64 // seconds; also the span of a generation
	max   int   // entries

	mu sync.Mutex
	// Guarded by mu: the generations by index exp/grace, and the total
	// number of entries in them.
	gens map[int64]map[uint64]struct{}
	n    int
}

// NewDupFilter returns an empty filter.
func NewDupFilter(cfg DupFilterConfig) *DupFilter {
	grace := cfg.Grace
	if grace <= 0 {
		grace = ExpirationGrace
	}
	g := int64((grace + time.Second - 1) / time.Second)
	limit := cfg.MaxEntries
	if limit <= 0 {
		limit = DefaultDupFilterEntries
	}
	return &DupFilter{
		grace: g,
		max:   limit,
		gens:  make(map[int64]map[uint64]struct{}),
	}
}

// Seen reports whether the message with this ID and expiration must be
// dropped at now, and remembers it if not. It reports true for a
// duplicate, for a message Expired refuses (with the filter's grace;
// such a message is not remembered), and for any new message while the
// filter is full.
func (f *DupFilter) Seen(id MessageID, exp, now time.Time) bool {
	if Expired(exp, now, time.Duration(f.grace)*time.Second) {
		return true
	}
	s := exp.Unix()
	key := uint64(id)<<32 | uint64(uint32(s))
	g := floorDiv(s, f.grace)
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen := f.gens[g]; gen != nil {
		if _, dup := gen[key]; dup {
			return true
		}
	}
	if f.n >= f.max {
		f.pruneLocked(now)
		if f.n >= f.max {
			return true
		}
	}
	gen := f.gens[g]
	if gen == nil {
		f.pruneLocked(now)
		gen = make(map[uint64]struct{})
		f.gens[g] = gen
	}
	gen[key] = struct{}{}
	f.n++
	return false
}

// pruneLocked drops the generations whose every expiration is more than
// grace before now. Seen calls it when it opens a generation or is full.
func (f *DupFilter) pruneLocked(now time.Time) {
	t := now.Unix()
	for g, gen := range f.gens {
		// The latest expiration in g is before (g+1)*grace seconds.
		if (g+2)*f.grace <= t {
			f.n -= len(gen)
			delete(f.gens, g)
		}
	}
}

// Len returns the number of messages remembered.
func (f *DupFilter) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
