package data

import "errors"

// Errors that callers branch on. Parse functions wrap them with detail, so
// test with errors.Is.
var (
	// ErrShort means the input ended before the structure did.
	ErrShort = errors.New("data: input too short")
	// ErrTrailing means bytes were left over after a structure that must
	// fill its input exactly.
	ErrTrailing = errors.New("data: trailing bytes")
	// ErrMalformed means a field holds a value the spec forbids.
	ErrMalformed = errors.New("data: malformed structure")
	// ErrDuplicateKey means a Mapping holds the same key twice, which Java
	// I2P rejects (DataHelper.readProperties) and the spec forbids in
	// signed mappings.
	ErrDuplicateKey = errors.New("data: duplicate mapping key")
	// ErrUnsupportedSigType means a signature type whose key and signature
	// lengths this package does not know, so the structure cannot be
	// delimited.
	ErrUnsupportedSigType = errors.New("data: unsupported signature type")
	// ErrNotSigned means AppendBinary or Verify was called on a signed
	// structure that was neither parsed nor signed.
	ErrNotSigned = errors.New("data: structure has not been signed")
	// ErrWrongSigner means a Sign call got a signer whose type or public key
	// does not match the identity that must sign.
	ErrWrongSigner = errors.New("data: signer does not match the signing key")
)
