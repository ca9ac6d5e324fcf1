package netdb

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Limits on LeaseSets.
const (
	MaxLeaseSets    = 10000
	MaxLeaseSetSize = 8192
	// MaxLeaseSetExpiry: LS2 may not expire more than this after now
	// (Java: 18.2 h for meta, ~11 min otherwise; we take the larger).
	MaxLeaseSetExpiry = 19 * time.Hour
)

// ErrExpired is a LeaseSet that has expired.
var ErrExpired = errors.New("netdb: LeaseSet expired")

// lsTimes returns when a LeaseSet was published (zero for LS1, which has
// no date) and when it expires.
func lsTimes(e data.Entry) (published, expires time.Time) {
	switch ls := e.(type) {
	case *data.LeaseSet:
		for _, l := range ls.Leases {
			if l.End.After(expires) {
				expires = l.End
			}
		}
		// LS1 has no published date: the latest lease end orders them.
		return expires, expires
	case *data.LeaseSet2:
		return ls.Published, ls.Expires
	case *data.MetaLeaseSet:
		return ls.Published, ls.Expires
	case *data.EncryptedLeaseSet:
		return ls.Published, ls.Expires
	}
	return time.Time{}, time.Time{}
}

// leaseSets holds LeaseSets of every type by netDb key.
type leaseSets struct {
	mu sync.RWMutex
	m  map[data.Hash]data.Entry
}

// checkLeaseSet parses, verifies and date-checks a LeaseSet entry whose
// DatabaseStore key is key.
func checkLeaseSet(storeType uint8, b []byte, key data.Hash, now time.Time) (data.Entry, error) {
	if len(b) > MaxLeaseSetSize {
		return nil, fmt.Errorf("%w: LeaseSet of %d bytes", ErrTooLarge, len(b))
	}
	e, err := data.ParseEntry(storeType, b)
	if err != nil {
		return nil, err
	}
	if e.Hash() != key {
		return nil, fmt.Errorf("netdb: LeaseSet key %v does not match its content %v", key, e.Hash())
	}
	if err := e.Verify(); err != nil {
		return nil, fmt.Errorf("netdb: LeaseSet %v: %w", key, err)
	}
	pub, exp := lsTimes(e)
	if !exp.After(now) {
		return nil, fmt.Errorf("%w: %v", ErrExpired, exp)
	}
	if exp.After(now.Add(MaxLeaseSetExpiry)) || pub.After(now.Add(MaxFutureSkew+MaxLeaseSetExpiry)) {
		return nil, fmt.Errorf("%w: LeaseSet expires %v", ErrFuture, exp)
	}
	return e, nil
}

// put stores e if it is newer than what is held. It reports whether it
// was stored.
func (l *leaseSets) put(e data.Entry) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[data.Hash]data.Entry)
	}
	k := e.Hash()
	if old, ok := l.m[k]; ok {
		op, _ := lsTimes(old)
		np, _ := lsTimes(e)
		if !np.After(op) {
			return false, nil
		}
	} else if len(l.m) >= MaxLeaseSets {
		return false, ErrFull
	}
	l.m[k] = e
	return true, nil
}

func (l *leaseSets) get(k data.Hash, now time.Time) data.Entry {
	l.mu.RLock()
	defer l.mu.RUnlock()
	e := l.m[k]
	if e == nil {
		return nil
	}
	if _, exp := lsTimes(e); !exp.After(now) {
		return nil
	}
	return e
}

func (l *leaseSets) expire(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, e := range l.m {
		if _, exp := lsTimes(e); !exp.After(now) {
			delete(l.m, k)
		}
	}
}

func (l *leaseSets) count() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.m)
}

func (l *leaseSets) keys() []data.Hash {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]data.Hash, 0, len(l.m))
	for k := range l.m {
		out = append(out, k)
	}
	return out
}
