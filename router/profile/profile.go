package profile

import (
	"fmt"
	"math"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Tuning of [Profile.Score] and [Profile.IsBad]; see the package doc.
const (
	// GoodLatency is the lookup latency up to which a peer counts as fast
	// (Java FloodfillPeerSelector MAX_GOOD_RESP_TIME).
	GoodLatency = 2 * time.Second
	// FailureGrace is how long a failure newer than every reply halves the
	// score (Java NO_FAIL_LOOKUP_OK is 70 s).
	FailureGrace = 75 * time.Second
	// BadMinEvents is the least number of (decayed) failures, rejections or
	// timeouts of one kind before IsBad may report a peer.
	BadMinEvents = 5
)

const latencyWeight = 0.25 // weight of a new sample in the latency average

// Tally counts one kind of event.
type Tally struct {
	// Total is the number of events ever recorded.
	Total uint64 `json:"total"`
	// Recent is the exponentially decayed count as of Profile.AsOf: each
	// event adds 1, and the sum halves every half-life.
	Recent float64 `json:"recent"`
}

func (t *Tally) add() {
	t.Total++
	t.Recent++
}

// Lookups is what a peer did with our DatabaseLookup messages.
type Lookups struct {
	Sent     Tally `json:"sent"`
	Answered Tally `json:"answered"` // a DatabaseStore or DatabaseSearchReply came back
	Failed   Tally `json:"failed"`   // nothing came back in time
	// Latency is the moving average (weight 1/4 for each new sample) of the
	// time to an answer; meaningful once Answered.Total > 0.
	Latency      time.Duration `json:"latency_ns,omitempty"`
	LastAnswered time.Time     `json:"last_answered,omitzero"`
	LastFailed   time.Time     `json:"last_failed,omitzero"`
}

// Stores is what a peer did with our DatabaseStore messages that asked for
// a reply.
type Stores struct {
	Sent          Tally     `json:"sent"`
	Confirmed     Tally     `json:"confirmed"` // Sent minus Confirmed were never confirmed
	LastConfirmed time.Time `json:"last_confirmed,omitzero"`
	LastFailed    time.Time `json:"last_failed,omitzero"`
}

// Builds is what a peer did with our tunnel build requests.
type Builds struct {
	Requested Tally `json:"requested"` // every recorded outcome
	Accepted  Tally `json:"accepted"`
	Rejected  Tally `json:"rejected"`
	TimedOut  Tally `json:"timed_out"`
	// TestFailed counts our tunnels through the peer that were built but
	// failed their tunnel tests (the peer, or another hop, drops traffic).
	TestFailed   Tally     `json:"test_failed"`
	LastAccepted time.Time `json:"last_accepted,omitzero"`
	LastRejected time.Time `json:"last_rejected,omitzero"`
	LastTimedOut time.Time `json:"last_timed_out,omitzero"`
}

// BuildResult is the outcome of one tunnel build request to one hop.
type BuildResult uint8

// Build outcomes.
const (
	BuildAccepted BuildResult = iota // the hop's reply record said 0
	BuildRejected                    // the hop replied with a nonzero code
	BuildTimedOut                    // no usable reply before the build expired
)

// BuildResultFromReply maps a build reply record's status byte to a result:
// 0 accepts, anything else (10 probabilistic, 20 transient overload, 30
// bandwidth, 50 critical, as in tunnel-creation.html) rejects, as i2pd's
// RouterProfile::TunnelBuildResponse does.
func BuildResultFromReply(code byte) BuildResult {
	if code == 0 {
		return BuildAccepted
	}
	return BuildRejected
}

func (r BuildResult) String() string {
	switch r {
	case BuildAccepted:
		return "accepted"
	case BuildRejected:
		return "rejected"
	case BuildTimedOut:
		return "timed out"
	}
	return fmt.Sprintf("BuildResult(%d)", uint8(r))
}

// Profile is what we know of one router. It holds only values, so a copy is
// independent of the Store.
type Profile struct {
	Hash data.Hash `json:"hash"`
	// FirstHeard and LastHeard are the first and last time the peer
	// answered anything: a lookup, a store, or a build (accepting or not).
	FirstHeard time.Time `json:"first_heard,omitzero"`
	LastHeard  time.Time `json:"last_heard,omitzero"`
	// LastFailure is the last failed lookup, unconfirmed store or timed-out
	// build.
	LastFailure time.Time `json:"last_failure,omitzero"`
	// AsOf is the instant the Tally.Recent values refer to. In the Store it
	// is the time of the last record; Store.Get returns a copy decayed to
	// the current time.
	AsOf time.Time `json:"as_of"`

	Lookup Lookups `json:"lookup"`
	Store  Stores  `json:"store"`
	Build  Builds  `json:"build"`
}

// tallies lists the Recent values for decay and validation.
func (p *Profile) tallies() []*Tally {
	return []*Tally{
		&p.Lookup.Sent, &p.Lookup.Answered, &p.Lookup.Failed,
		&p.Store.Sent, &p.Store.Confirmed,
		&p.Build.Requested, &p.Build.Accepted, &p.Build.Rejected, &p.Build.TimedOut, &p.Build.TestFailed,
	}
}

// decayTo scales every Recent value by 2^(-(now-AsOf)/halfLife) and moves
// AsOf to now. A clock that went backwards decays nothing and leaves AsOf.
func (p *Profile) decayTo(now time.Time, halfLife time.Duration) {
	if p.AsOf.IsZero() {
		p.AsOf = now
		return
	}
	dt := now.Sub(p.AsOf)
	if dt <= 0 {
		return
	}
	f := math.Exp2(-float64(dt) / float64(halfLife))
	for _, t := range p.tallies() {
		t.Recent *= f
	}
	p.AsOf = now
}

func (p *Profile) heard(now time.Time) {
	if p.FirstHeard.IsZero() {
		p.FirstHeard = now
	}
	p.LastHeard = now
}

func (p *Profile) recordLookup(now time.Time, ok bool, latency time.Duration) {
	p.Lookup.Sent.add()
	if !ok {
		p.Lookup.Failed.add()
		p.Lookup.LastFailed, p.LastFailure = now, now
		return
	}
	latency = max(latency, 0)
	if p.Lookup.Answered.Total == 0 {
		p.Lookup.Latency = latency
	} else {
		p.Lookup.Latency += time.Duration(latencyWeight * float64(latency-p.Lookup.Latency))
	}
	p.Lookup.Answered.add()
	p.Lookup.LastAnswered = now
	p.heard(now)
}

func (p *Profile) recordStore(now time.Time, ok bool) {
	p.Store.Sent.add()
	if !ok {
		p.Store.LastFailed, p.LastFailure = now, now
		return
	}
	p.Store.Confirmed.add()
	p.Store.LastConfirmed = now
	p.heard(now)
}

func (p *Profile) recordBuild(now time.Time, r BuildResult) {
	p.Build.Requested.add()
	switch r {
	case BuildAccepted:
		p.Build.Accepted.add()
		p.Build.LastAccepted = now
		p.heard(now)
	case BuildRejected:
		p.Build.Rejected.add()
		p.Build.LastRejected = now
		p.heard(now)
	default:
		p.Build.TimedOut.add()
		p.Build.LastTimedOut, p.LastFailure = now, now
	}
}

func (p *Profile) recordTunnelTest(now time.Time, ok bool) {
	if ok {
		p.heard(now)
		return
	}
	p.Build.TestFailed.add()
	p.LastFailure = now
}

// storesUnconfirmed is the recent number of stores never confirmed.
func (p *Profile) storesUnconfirmed() float64 {
	return max(p.Store.Sent.Recent-p.Store.Confirmed.Recent, 0)
}

// Score returns the profile's capacity and reliability score in (0, 1),
// evaluated at p.AsOf with p's Recent values (use a copy from Store.Get, or
// Store.Score, for the current time). The formula is in the package doc.
func (p Profile) Score() float64 {
	good := p.Lookup.Answered.Recent + p.Store.Confirmed.Recent + p.Build.Accepted.Recent
	bad := p.Lookup.Failed.Recent + p.storesUnconfirmed() +
		2*p.Build.TimedOut.Recent + 0.5*p.Build.Rejected.Recent +
		p.Build.TestFailed.Recent
	reliability := (good + 1) / (good + bad + 2)

	speed := 1.0
	if p.Lookup.Answered.Total > 0 && p.Lookup.Latency > GoodLatency {
		speed = float64(GoodLatency) / float64(p.Lookup.Latency)
	}
	score := reliability * (0.8 + 0.2*speed)

	if !p.LastFailure.IsZero() && p.LastFailure.After(p.LastHeard) &&
		p.AsOf.Sub(p.LastFailure) < FailureGrace {
		score /= 2
	}
	return score
}

// IsBad reports whether the peer should not be used for now: it declines
// most builds, or leaves most builds or netDb requests unanswered. The
// rules are in the package doc; like Score it uses p's Recent values.
func (p Profile) IsBad() bool {
	b := &p.Build
	if b.Rejected.Recent >= BadMinEvents && 4*b.Accepted.Recent < b.Rejected.Recent {
		return true
	}
	if b.TimedOut.Recent >= BadMinEvents &&
		b.TimedOut.Recent > 10*(b.Accepted.Recent+b.Rejected.Recent+1) {
		return true
	}
	noReply := p.Lookup.Failed.Recent + p.storesUnconfirmed()
	reply := p.Lookup.Answered.Recent + p.Store.Confirmed.Recent
	return noReply >= BadMinEvents && noReply > 3*reply
}

// valid reports whether a profile read from disk is self-consistent.
func (p *Profile) valid() bool {
	if p.Hash.IsZero() || p.AsOf.IsZero() || p.Lookup.Latency < 0 {
		return false
	}
	for _, t := range p.tallies() {
		if t.Recent < 0 || math.IsNaN(t.Recent) || t.Recent > float64(t.Total)+1e-9 {
			return false
		}
	}
	return true
}
