package tunnel

import (
	"bytes"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/i2np"
)

// Endpoint defaults.
const (
	// DefaultMaxMessageSize caps one reassembled message, header included.
	// Nothing a gateway can send is larger: 64 fragments hold at most
	// 63,744 bytes.
	DefaultMaxMessageSize = 64 << 10
	// DefaultMaxPending caps the messages being reassembled at once.
	DefaultMaxPending = 64
	// DefaultMaxPendingBytes caps the memory they hold.
	DefaultMaxPendingBytes = 1 << 20
	// DefaultTimeout is how long a message may take to reassemble, from
	// its first fragment received: Java I2P's FragmentHandler waits 60 s
	// (i2pd only 8 s).
	DefaultTimeout = 60 * time.Second
)

// partialOverhead is what an incomplete message costs besides its
// fragments' bytes, counted against MaxPendingBytes: the partial struct
// (its 64 slice headers are 1,536 bytes) and the map entry, rounded up.
const partialOverhead = 2048

// EndpointConfig configures an Endpoint. The zero value means defaults.
type EndpointConfig struct {
	// MaxMessageSize caps a message, its 16-byte header included;
	// 0 means DefaultMaxMessageSize. A message that grows past it is
	// dropped.
	MaxMessageSize int
	// MaxPending caps the incomplete messages; 0 means
	// DefaultMaxPending. When a fragment of a new message comes and the
	// cap is reached, the oldest incomplete message is dropped.
	MaxPending int
	// MaxPendingBytes caps the memory of the incomplete messages: their
	// fragments plus about 2 KB each. 0 means DefaultMaxPendingBytes; it
	// is raised to MaxMessageSize + 2048 if lower, so that one message of
	// the largest size can always be reassembled. When it is exceeded, the
	// oldest other incomplete messages are dropped.
	MaxPendingBytes int
	// Timeout is how long an incomplete message is kept after its first
	// fragment arrived; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Delivered is a message that came out of a tunnel, with what its
// delivery instructions ask the endpoint to do with it.
type Delivered struct {
	Delivery DeliveryInstructions
	// Message was parsed with i2np.ParseLong (size and checksum checked).
	// Its Payload is a fresh buffer owned by the caller.
	Message i2np.Message
}

// EndpointStats counts what an Endpoint did.
type EndpointStats struct {
	Bodies    uint64 // tunnel messages passed to Receive
	Delivered uint64 // messages returned
	// BadBodies counts tunnel messages dropped whole: bad checksum, no
	// zero byte, or a fragment that does not parse.
	BadBodies uint64
	// BadMessages counts messages dropped on reassembly: fragments that
	// contradict each other, more than MaxMessageSize bytes, or bytes
	// that are not one I2NP message.
	BadMessages uint64
	// DuplicateFragments counts fragments already held, ignored.
	DuplicateFragments uint64
	// Expired counts incomplete messages dropped after Timeout.
	Expired uint64
	// Evicted counts incomplete messages dropped to make room
	// (MaxPending, MaxPendingBytes).
	Evicted uint64
	// Pending and PendingBytes are the incomplete messages now held and
	// the memory they are counted for.
	Pending      int
	PendingBytes int
}

// partial is a message being reassembled. Partials are kept in a list by
// arrival of their first fragment (any fragment, not just number 0),
// oldest first, for expiry and eviction.
type partial struct {
	id         i2np.MessageID
	created    time.Time
	prev, next *partial
	have       uint64 // bit i: fragment i received
	last       int    // number of the last fragment; -1 until known
	size       int    // bytes of fragments held
	delivery   DeliveryInstructions
	frags      [MaxFragments][]byte
}

func (p *partial) complete() bool {
	return p.last >= 0 && p.have == 1<<(p.last+1)-1
}

// Endpoint reassembles the messages of one tunnel from its decrypted
// tunnel messages (tunnels-implementation.html, "Endpoint Processing";
// tunnel-message.rst). Fragments may come in any order; a message is
// returned once its first fragment, its last, and every one between have
// come. Repeated fragments are ignored. It is more lenient than a
// Gateway is strict: it takes fragments of any size the body allows
// (i2pd sends whole local messages of up to 1000 bytes) and of 0 bytes, and messages up to its own
// MaxMessageSize. Memory is bounded by MaxPendingBytes (1 MiB by default)
// whatever the peer sends.
//
// An Endpoint has no clock: callers pass the time to Receive, and may call
// Expire on a timer. It is not safe for concurrent use.
type Endpoint struct {
	maxMsg, maxPending, maxBytes int
	timeout                      time.Duration

	pending        map[i2np.MessageID]*partial
	oldest, newest *partial
	bytes          int
	stats          EndpointStats
}

// NewEndpoint returns an Endpoint with nothing pending.
func NewEndpoint(cfg EndpointConfig) *Endpoint {
	e := &Endpoint{
		maxMsg:     cfg.MaxMessageSize,
		maxPending: cfg.MaxPending,
		maxBytes:   cfg.MaxPendingBytes,
		timeout:    cfg.Timeout,
		pending:    make(map[i2np.MessageID]*partial),
	}
	if e.maxMsg <= 0 {
		e.maxMsg = DefaultMaxMessageSize
	}
	if e.maxPending <= 0 {
		e.maxPending = DefaultMaxPending
	}
	if e.maxBytes <= 0 {
		e.maxBytes = DefaultMaxPendingBytes
	}
	e.maxBytes = max(e.maxBytes, e.maxMsg+partialOverhead)
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	return e
}

// Stats returns the counters.
func (e *Endpoint) Stats() EndpointStats {
	s := e.stats
	s.Pending, s.PendingBytes = len(e.pending), e.bytes
	return s
}

// Receive takes one tunnel message with every layer removed (the IV and
// 1008 bytes), reassembles, and appends the messages it completes to dst.
// It first drops the incomplete messages older than Timeout at now.
//
// A tunnel message that fails ParseBody, or any of whose fragments fails
// ParseFragment, is dropped whole and its error returned; nothing in it is
// used. Otherwise each fragment is taken; a message found bad on
// reassembly (see EndpointStats.BadMessages) is dropped, and the first
// such error is returned along with dst, which then still holds the good
// messages. Every error is counted. b is not kept.
func (e *Endpoint) Receive(dst []Delivered, b *[BodyLen]byte, now time.Time) ([]Delivered, error) {
	e.stats.Bodies++
	e.Expire(now)
	frags, err := ParseBody(b)
	if err != nil {
		e.stats.BadBodies++
		return dst, err
	}
	for rest := frags; len(rest) > 0; {
		if _, rest, err = ParseFragment(rest); err != nil {
			e.stats.BadBodies++
			return dst, err
		}
	}
	var first error
	for rest := frags; len(rest) > 0; {
		var f Fragment
		f, rest, _ = ParseFragment(rest)
		if dst, err = e.fragment(dst, f, now); err != nil {
			e.stats.BadMessages++
			if first == nil {
				first = err
			}
		}
	}
	return dst, first
}

// fragment takes one parsed fragment.
func (e *Endpoint) fragment(dst []Delivered, f Fragment, now time.Time) ([]Delivered, error) {
	if f.Number == 0 && f.Last {
		if len(f.Data) > e.maxMsg {
			return dst, fmt.Errorf("%w: %d-byte message, limit %d", ErrTooLarge, len(f.Data), e.maxMsg)
		}
		return e.deliver(dst, f.Delivery, bytes.Clone(f.Data))
	}
	p := e.pending[f.MessageID]
	if p == nil {
		p = e.add(f.MessageID, now)
	}
	bit := uint64(1) << f.Number
	if p.have&bit != 0 {
		e.stats.DuplicateFragments++
		return dst, nil
	}
	switch {
	case f.Last && p.last >= 0:
		e.remove(p)
		return dst, fmt.Errorf("%w: message %d: last fragment %d after last fragment %d", ErrMalformed, f.MessageID, f.Number, p.last)
	case f.Last && p.have>>f.Number != 0:
		e.remove(p)
		return dst, fmt.Errorf("%w: message %d: last fragment %d before a later one", ErrMalformed, f.MessageID, f.Number)
	case !f.Last && p.last >= 0 && f.Number > p.last:
		e.remove(p)
		return dst, fmt.Errorf("%w: message %d: fragment %d after last fragment %d", ErrMalformed, f.MessageID, f.Number, p.last)
	case p.size+len(f.Data) > e.maxMsg:
		e.remove(p)
		return dst, fmt.Errorf("%w: message %d: over %d bytes", ErrTooLarge, f.MessageID, e.maxMsg)
	}
	p.frags[f.Number] = bytes.Clone(f.Data)
	p.have |= bit
	p.size += len(f.Data)
	e.bytes += len(f.Data)
	if f.Number == 0 {
		p.delivery = f.Delivery
	}
	if f.Last {
		p.last = f.Number
	}
	if !p.complete() {
		e.shrink(p)
		return dst, nil
	}
	e.remove(p)
	msg := make([]byte, 0, p.size)
	for _, b := range p.frags[:p.last+1] {
		msg = append(msg, b...)
	}
	return e.deliver(dst, p.delivery, msg)
}

// deliver parses a whole message and appends it to dst.
func (e *Endpoint) deliver(dst []Delivered, d DeliveryInstructions, msg []byte) ([]Delivered, error) {
	m, rest, err := i2np.ParseLong(msg)
	if err != nil {
		return dst, fmt.Errorf("tunnel: endpoint: %w", err)
	}
	if len(rest) != 0 {
		return dst, fmt.Errorf("%w: %d bytes after the I2NP message", ErrMalformed, len(rest))
	}
	e.stats.Delivered++
	return append(dst, Delivered{Delivery: d, Message: m}), nil
}

// add starts a partial message, dropping the oldest if MaxPending is
// reached.
func (e *Endpoint) add(id i2np.MessageID, now time.Time) *partial {
	for len(e.pending) >= e.maxPending && e.oldest != nil {
		e.remove(e.oldest)
		e.stats.Evicted++
	}
	p := &partial{id: id, created: now, last: -1, prev: e.newest}
	if e.newest != nil {
		e.newest.next = p
	} else {
		e.oldest = p
	}
	e.newest = p
	e.pending[id] = p
	e.bytes += partialOverhead
	return p
}

// remove drops p.
func (e *Endpoint) remove(p *partial) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		e.oldest = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		e.newest = p.prev
	}
	p.prev, p.next = nil, nil
	delete(e.pending, p.id)
	e.bytes -= p.size + partialOverhead
}

// shrink drops the oldest partial messages other than keep until the
// memory is within MaxPendingBytes. keep alone always fits: its size is
// within MaxMessageSize, and MaxPendingBytes is at least that plus its
// overhead.
func (e *Endpoint) shrink(keep *partial) {
	for p := e.oldest; e.bytes > e.maxBytes && p != nil; {
		next := p.next
		if p != keep {
			e.remove(p)
			e.stats.Evicted++
		}
		p = next
	}
}

// Expire drops the incomplete messages whose first fragment came Timeout
// or more before now. Receive calls it; call it on a timer too, to free
// the memory of a tunnel gone quiet. It assumes the times passed to
// Receive never go backwards; if they do, messages may be kept longer.
func (e *Endpoint) Expire(now time.Time) {
	for p := e.oldest; p != nil && !now.Before(p.created.Add(e.timeout)); p = e.oldest {
		e.remove(p)
		e.stats.Expired++
	}
}
