// Package kad is the Kademlia geometry of the I2P network database
// (how-network-database.html, lastupdated 2025-03, "Kademlia Closeness
// Metric" and "Floodfill Selection"): the daily routing key, the XOR
// metric, and the choice of the k closest hashes to a key. It holds pure
// functions only: no I/O, no clock, no state.
//
// # Routing key
//
// The netDb never measures distance to a key directly. Each day it measures
// to the key's routing key
//
//	RoutingKey(h, t) = SHA-256(h[0:32] || yyyyMMdd)
//
// where yyyyMMdd is the UTC date of t as 8 ASCII digits, e.g. "20261123".
// Floodfill router hashes are used as they are; only the searched or stored
// key is transformed. The whole keyspace therefore "rotates" at 00:00 UTC.
// Routing keys never appear on the wire.
//
// Java I2P (net.i2p.data.router.RouterKeyGenerator: SimpleDateFormat
// "yyyyMMdd", Locale.US, GMT calendar) and i2pd 2.45.1 (Identity.cpp
// CreateRoutingKey with Timestamp.cpp GetDateString: gmtime_r, then
// "%04i%02i%02i") compute the same 40-byte input. Both take the date from
// their network-adjusted clock, so callers pass that clock's time, not the
// raw system time. testdata/routingkey_vectors.txt holds keys computed by
// Python's hashlib and cross-checked with the JDK and with the C library
// the way each implementation formats the date (see testdata/README.md).
//
// # Midnight
//
// After the rotation the new closest floodfills have not yet received any
// store, so lookups may fail for a while (the spec calls "handoffs at
// midnight" a topic for further study). Java I2P mitigates this when it
// floods (FloodfillNetworkDatabaseFacade.flood): in the last 45 minutes of
// the UTC day a RouterInfo, and in the last 10 minutes a LeaseSet whose
// leases outlive midnight, is also stored to a few floodfills closest to
// tomorrow's routing key. This is Java behaviour, not a spec requirement;
// i2pd 2.45.1 does not do it. [RoutingKeys] returns tomorrow's key inside
// the wider [RouterInfoAdvance] window; LeaseSet code tests [UntilMidnight]
// against [LeaseSetAdvance] and calls [NextRoutingKey] itself.
//
// # Metric
//
// Distance is the bytewise XOR of two hashes read as a 256-bit big-endian
// integer, so comparing distances is comparing the XOR arrays
// lexicographically. [Bucket] is the length of the common bit prefix, the
// k-bucket index of Kademlia.
package kad

import (
	"crypto/sha256"
	"math/bits"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// RouterInfoAdvance is how long before UTC midnight Java I2P also floods a
// RouterInfo to the floodfills closest to tomorrow's routing key
// (NEXT_RKEY_RI_ADVANCE_TIME). [RoutingKeys] uses it.
const RouterInfoAdvance = 45 * time.Minute

// LeaseSetAdvance is the same window for LeaseSets
// (NEXT_RKEY_LS_ADVANCE_TIME). Java applies it only when the LeaseSet's
// latest lease expires after midnight.
const LeaseSetAdvance = 10 * time.Minute

const day = 24 * time.Hour

// RoutingKey returns SHA-256(h || yyyyMMdd), the routing key of h for the
// UTC date of t. Years outside 0000..9999 are written modulo 10000 (neither
// Java nor i2pd defines them).
func RoutingKey(h data.Hash, t time.Time) data.Hash {
	var buf [len(h) + 8]byte
	copy(buf[:], h[:])
	putDate(buf[len(h):], t)
	return sha256.Sum256(buf[:])
}

// NextRoutingKey returns the routing key of h for the UTC day after t's.
func NextRoutingKey(h data.Hash, t time.Time) data.Hash {
	return RoutingKey(h, t.UTC().Truncate(day).Add(day))
}

// UntilMidnight returns the time from t to the next 00:00 UTC, in (0, 24h].
func UntilMidnight(t time.Time) time.Duration {
	t = t.UTC()
	return t.Truncate(day).Add(day).Sub(t)
}

// RoutingKeys returns today's routing key of h and, when t is less than
// [RouterInfoAdvance] before UTC midnight, tomorrow's as well: the keys a
// store of h should target so that lookups keep succeeding just after the
// rotation. The first element is always today's key.
func RoutingKeys(h data.Hash, t time.Time) []data.Hash {
	today := RoutingKey(h, t)
	if UntilMidnight(t) < RouterInfoAdvance {
		return []data.Hash{today, NextRoutingKey(h, t)}
	}
	return []data.Hash{today}
}

// putDate writes the UTC date of t as 8 ASCII digits yyyyMMdd into b.
func putDate(b []byte, t time.Time) {
	y, m, d := t.UTC().Date()
	y %= 10000
	if y < 0 {
		y += 10000
	}
	put := func(b []byte, v int) {
		for i := len(b) - 1; i >= 0; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(b[0:4], y)
	put(b[4:6], int(m))
	put(b[6:8], d)
}

// Distance returns a XOR b, the Kademlia distance between a and b.
func Distance(a, b data.Hash) data.Hash {
	var d data.Hash
	for i := range d {
		d[i] = a[i] ^ b[i]
	}
	return d
}

// Compare returns -1 if a is closer to target than b, +1 if b is closer,
// and 0 if a == b. It is a total order on hashes for a fixed target, for use
// with slices.SortFunc.
func Compare(target, a, b data.Hash) int {
	for i := range target {
		da, db := a[i]^target[i], b[i]^target[i]
		if da != db {
			if da < db {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Closer reports whether a is strictly closer to target than b.
func Closer(target, a, b data.Hash) bool { return Compare(target, a, b) < 0 }

// Bucket returns the number of leading bits a and b share, from 0 (the first
// bit differs) to 256 (a == b). Hashes in the same Kademlia k-bucket of a
// have the same Bucket(a, ·).
func Bucket(a, b data.Hash) int {
	for i := range a {
		if x := a[i] ^ b[i]; x != 0 {
			return i*8 + bits.LeadingZeros8(x)
		}
	}
	return len(a) * 8
}
