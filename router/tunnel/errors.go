package tunnel

import "errors"

// Errors callers may branch on. Returned errors wrap them with details;
// test with errors.Is.
var (
	// ErrShort means a fragment ends before a field or the data its size
	// field announces.
	ErrShort = errors.New("tunnel: message too short")
	// ErrMalformed means a field holds a value the spec forbids: delivery
	// type 3, a tunnel ID of 0, the delay or extended-options flag, a
	// follow-on fragment numbered 0, a body with no zero byte after the
	// padding, or fragments of one message that contradict each other
	// (two last fragments, a fragment after the last one).
	ErrMalformed = errors.New("tunnel: malformed message")
	// ErrChecksum means the checksum of a decrypted tunnel message does not
	// match its fragments and IV: a message altered on the way, or layers
	// removed with the wrong keys.
	ErrChecksum = errors.New("tunnel: bad checksum")
	// ErrTooLarge means a message does not fit: more than MaxMessageSize
	// for the Gateway, more than the Endpoint's MaxMessageSize on
	// reassembly, or fragments that do not fit one tunnel message.
	ErrTooLarge = errors.New("tunnel: message too large")
	// ErrDuplicate means a participant saw the tunnel message's IV and first
	// block before (IVFilter).
	ErrDuplicate = errors.New("tunnel: duplicate tunnel message")
)
