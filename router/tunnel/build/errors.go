package build

import "errors"

// Errors callers may branch on. Returned errors wrap them with details;
// test with errors.Is.
var (
	// ErrAuth means a record did not authenticate: a request record not
	// encrypted to our key (or altered), or a reply record altered or
	// answered by a hop that did not have the keys.
	ErrAuth = errors.New("build: record authentication failed")
	// ErrInvalidRequest means a request decrypted but asks for something
	// the spec forbids or we do not support: both the gateway and the
	// endpoint flag, a receive tunnel ID of 0, an unknown layer
	// encryption type. i2pd drops such a request without replying.
	ErrInvalidRequest = errors.New("build: invalid request")
	// ErrConfig means a Config cannot describe a tunnel: no hops or more
	// than 8, a zero tunnel ID, flags in the wrong place, hops that do not
	// chain, too few records.
	ErrConfig = errors.New("build: invalid tunnel config")
	// ErrMalformed means a reply does not match its request: another
	// record count, or a record index out of range.
	ErrMalformed = errors.New("build: malformed records")
	// ErrTampered means the originator's own record of an inbound build
	// came back altered, which the spec says must fail the build.
	ErrTampered = errors.New("build: originator record altered")
)
