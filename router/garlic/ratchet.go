package garlic

// The ratchet sessions of ECIES destinations; the package doc describes
// the messages and the session rules.

import (
	crand "crypto/rand"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

// Errors of the ratchet sessions; they wrap nothing and are returned
// wrapped with details.
var (
	// ErrReplay means a message was seen before: its tag was used, or an
	// NS with the same ephemeral key arrived within the replay window.
	ErrReplay = errors.New("garlic: replayed message")
	// ErrStale means an NS's DateTime is outside the allowed clock skew.
	ErrStale = errors.New("garlic: message time out of range")
	// ErrBusy means a limit refused the message: the NS replay filter or
	// the one-time tag table is full.
	ErrBusy = errors.New("garlic: ratchet limits reached")
)

// Defaults of RatchetConfig, from ecies.rst "Parameters" where it has one.
const (
	DefaultMaxPeers             = 1024
	DefaultMaxSessionsPerPeer   = 4
	DefaultMaxRepliesPerSession = 8
	DefaultMaxTags              = 1 << 17
	DefaultMaxReplayKeys        = 1 << 14
	DefaultMaxOneTimeTags       = 1024
	DefaultRatchetAfter         = 4096
	DefaultTagWindowMin         = 24
	DefaultTagWindowMax         = 160
	DefaultNSRTimeout           = 3 * time.Minute
	DefaultSendTimeout          = 8 * time.Minute
	DefaultRecvTimeout          = 10 * time.Minute
	DefaultPrevTagSetTimeout    = 3 * time.Minute
	DefaultRestartAfter         = 3 * time.Minute
	DefaultMaxSkewPast          = 5 * time.Minute
	DefaultMaxSkewFuture        = 2 * time.Minute
	// nsrTags is the NSR tag set's window, fixed at 12 (tsmin = tsmax).
	nsrTags = 12
	// maxInTagSets is how many receiving ES tag sets a session keeps.
	maxInTagSets = 4
	// maxAcks is how many ACKs wait for the next ES (Java sends at most
	// 16 in one block).
	maxAcks = 16
)

// RatchetConfig tunes a Ratchet. The zero value of each field means its
// default; out-of-range values are clamped.
type RatchetConfig struct {
	// Rand is the source of ephemeral keys and padding; nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// MaxPeers bounds the peers with any state.
	MaxPeers int
	// MaxSessionsPerPeer bounds the sessions (NS sent, NS received,
	// established) kept per peer.
	MaxSessionsPerPeer int
	// MaxRepliesPerSession bounds the NSRs to one NS whose first ES tag
	// set is kept.
	MaxRepliesPerSession int
	// MaxTags bounds the tags looked ahead over all receiving tag sets.
	MaxTags int
	// MaxReplayKeys bounds the NS replay filter.
	MaxReplayKeys int
	// MaxOneTimeTags bounds the tags of AddTag.
	MaxOneTimeTags int
	// RatchetAfter is the message number from which we start a DH ratchet
	// on our sending tag set (the spec's 4096; i2pd uses 8192). At most
	// 65000.
	RatchetAfter int
	// TagWindowMin and TagWindowMax are the ES look-ahead bounds, tsmin
	// and tsmax.
	TagWindowMin, TagWindowMax int
	// NSRTimeout is how long an NS of ours waits for NSRs.
	NSRTimeout time.Duration
	// SendTimeout is how long an ES session may go unused before we start
	// a new NS instead.
	SendTimeout time.Duration
	// RecvTimeout is how long a session is kept with nothing received
	// (also how long an answered NS waits for Alice's first ES).
	RecvTimeout time.Duration
	// PrevTagSetTimeout is how long a replaced receiving tag set, or the
	// one a Termination arrived on, is kept.
	PrevTagSetTimeout time.Duration
	// RestartAfter is how old an established session must be before an NS
	// from its peer starts a new one.
	RestartAfter time.Duration
	// MaxSkewPast and MaxSkewFuture bound an NS's DateTime around now.
	MaxSkewPast, MaxSkewFuture time.Duration
}

func (c RatchetConfig) withDefaults() RatchetConfig {
	defInt := func(v *int, def, lo, hi int) {
		if *v == 0 {
			*v = def
		}
		*v = max(lo, min(*v, hi))
	}
	defDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	if c.Rand == nil {
		c.Rand = crand.Reader
	}
	defInt(&c.MaxPeers, DefaultMaxPeers, 1, 1<<20)
	defInt(&c.MaxSessionsPerPeer, DefaultMaxSessionsPerPeer, 1, 64)
	defInt(&c.MaxRepliesPerSession, DefaultMaxRepliesPerSession, 1, 64)
	defInt(&c.MaxTags, DefaultMaxTags, 64, 1<<24)
	defInt(&c.MaxReplayKeys, DefaultMaxReplayKeys, 16, 1<<22)
	defInt(&c.MaxOneTimeTags, DefaultMaxOneTimeTags, 1, 1<<20)
	defInt(&c.RatchetAfter, DefaultRatchetAfter, 1, 65000)
	defInt(&c.TagWindowMin, DefaultTagWindowMin, 1, 1024)
	defInt(&c.TagWindowMax, DefaultTagWindowMax, c.TagWindowMin, 1024)
	defDur(&c.NSRTimeout, DefaultNSRTimeout)
	defDur(&c.SendTimeout, DefaultSendTimeout)
	defDur(&c.RecvTimeout, DefaultRecvTimeout)
	defDur(&c.PrevTagSetTimeout, DefaultPrevTagSetTimeout)
	defDur(&c.RestartAfter, DefaultRestartAfter)
	defDur(&c.MaxSkewPast, DefaultMaxSkewPast)
	defDur(&c.MaxSkewFuture, DefaultMaxSkewFuture)
	return c
}

// Ratchet is one local destination's ECIES-X25519-AEAD-Ratchet state: all
// its inbound and outbound sessions and tag sets. Its methods are safe for
// concurrent use. It does no I/O and starts no goroutines; the caller calls
// Expire now and then.
type Ratchet struct {
	static crypto.X25519KeyPair
	cfg    RatchetConfig
	// bobInit is the IK state after MixHash(our static key), the start of
	// every NS we receive.
	bobInit noise.SymmetricState

	mu      sync.Mutex // guards the fields below, and all sessions and tag sets
	peers   map[[32]byte]*peer
	tags    tagTable
	replay  *replayFilter
	oneTime map[uint64]oneTimeTag
	seq     uint64 // counts session events, see session.createdSeq
}

// oneTimeTag is a reply tag registered with AddTag.
type oneTimeTag struct {
	key     [32]byte
	expires time.Time
}

// NewRatchet returns the ratchet state of the destination whose X25519
// encryption key pair (LeaseSet2 encryption type 4) is static.
func NewRatchet(static crypto.X25519KeyPair, cfg RatchetConfig) *Ratchet {
	cfg = cfg.withDefaults()
	r := &Ratchet{
		static:  static,
		cfg:     cfg,
		bobInit: ikInit(static.Public),
		peers:   make(map[[32]byte]*peer),
		tags:    tagTable{m: make(map[uint64]tagRef), max: cfg.MaxTags},
		replay:  newReplayFilter(cfg.MaxSkewPast+cfg.MaxSkewFuture, cfg.MaxReplayKeys),
		oneTime: make(map[uint64]oneTimeTag),
	}
	return r
}

// RatchetStats counts what a Ratchet holds.
type RatchetStats struct {
	Peers       int // peers with any session
	Sessions    int // sessions, in any state
	Established int // sessions past their handshake
	Tags        int // tags looked ahead, over all receiving tag sets
	ReplayKeys  int // NS ephemeral keys in the replay filter
	OneTimeTags int // tags of AddTag
}

// Stats returns the current counts.
func (r *Ratchet) Stats() RatchetStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := RatchetStats{Peers: len(r.peers), Tags: len(r.tags.m), ReplayKeys: r.replay.len(), OneTimeTags: len(r.oneTime)}
	for _, p := range r.peers {
		st.Sessions += len(p.sessions)
		for _, s := range p.sessions {
			if s.state == stateEstablished {
				st.Established++
			}
		}
	}
	return st
}

// AddTag registers a one-time reply tag and key, such as the ones a
// database lookup from this destination asks the floodfill to use (i2np.rst
// "Reply Encryption"): Decrypt then opens the one message sealed with them
// (see SealWithTag) until expires. It fails with ErrBusy when
// MaxOneTimeTags unexpired tags are registered.
func (r *Ratchet) AddTag(tag [TagLen]byte, key [KeyLen]byte, expires, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.oneTime) >= r.cfg.MaxOneTimeTags {
		r.expireOneTimeLocked(now)
		if len(r.oneTime) >= r.cfg.MaxOneTimeTags {
			return ErrBusy
		}
	}
	r.oneTime[tagValue(tag[:])] = oneTimeTag{key: key, expires: expires}
	return nil
}

func (r *Ratchet) expireOneTimeLocked(now time.Time) {
	for t, ot := range r.oneTime {
		if now.After(ot.expires) {
			delete(r.oneTime, t)
		}
	}
}
