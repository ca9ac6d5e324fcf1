package garlic

import "errors"

// Errors callers may branch on. Returned errors wrap them with details;
// test with errors.Is.
var (
	// ErrShort means the input ends before a field or block it announces.
	ErrShort = errors.New("garlic: message too short")
	// ErrMalformed means a field holds a value the spec forbids: a
	// DateTime block that is not 4 bytes, a tunnel ID of 0, a clove with
	// the encrypted or delay flag, and the like.
	ErrMalformed = errors.New("garlic: malformed message")
	// ErrOrder means the blocks break the ordering rules of ecies.rst,
	// "Block Ordering Rules".
	ErrOrder = errors.New("garlic: blocks out of order")
	// ErrNoDateTime means a message that must start with a DateTime block
	// (a message to a router) does not.
	ErrNoDateTime = errors.New("garlic: no DateTime block first")
	// ErrSize means something is too large to encode: a block over
	// MaxBlockData, a payload that does not fit a Garlic message.
	ErrSize = errors.New("garlic: too large")
	// ErrAuth means the AEAD tag did not verify: a wrong key, or a
	// message altered on the way.
	ErrAuth = errors.New("garlic: authentication failed")
)
