package addressbook

import (
	"errors"
	"fmt"

	"github.com/i2pgo/i2pgo/router/data"
)

// Errors of the signature checks.
var (
	ErrInvalidDest = errors.New("addressbook: invalid destination")
	ErrNoSignature = errors.New("addressbook: missing signature")
	ErrBadSig      = errors.New("addressbook: bad signature")
)

// ParseDest parses a base64 destination from a hosts.txt line: Java's quick
// syntax check, then the full parse (which knows the signature type).
func ParseDest(s string) (data.Destination, error) {
	if !validDestSyntax(s) {
		return data.Destination{}, fmt.Errorf("%w: bad length or characters", ErrInvalidDest)
	}
	d, err := data.DestinationFromBase64(s)
	if err != nil {
		return data.Destination{}, fmt.Errorf("%w: %w", ErrInvalidDest, err)
	}
	return d, nil
}

// SignedBytes returns the message the outer signature ("sig") covers
// (subscription.rst "Input for signatures"): for a line with name=dest,
// "name=dest" then "#!" and the fields other than sig sorted by key, joined
// with '#'; for a Remove line, "#!" and the fields other than sig and
// oldsig. No line break; UTF-8.
func (e Entry) SignedBytes() []byte {
	if e.IsCommand() {
		return appendProps(nil, e.Props, KeySig, KeyOldSig)
	}
	b := append([]byte(e.Name+"="), e.Dest...)
	return appendProps(b, e.Props, KeySig)
}

// InnerSignedBytes returns the message the inner signature ("oldsig")
// covers: as SignedBytes, leaving out both sig and oldsig.
func (e Entry) InnerSignedBytes() []byte {
	b := append([]byte(e.Name+"="), e.Dest...)
	return appendProps(b, e.Props, KeySig, KeyOldSig)
}

// VerifySig checks the outer signature "sig". For a line with name=dest the
// key is that destination's (Java HostTxtEntry.hasValidSig); for a Remove
// line it is the "dest" field's (hasValidRemoveSig).
func (e Entry) VerifySig() error {
	destStr := e.Dest
	if e.IsCommand() {
		destStr = e.Props[KeyDest]
	}
	return verifyWith(destStr, e.Props[KeySig], e.SignedBytes(), "sig")
}

// VerifyInnerSig checks the inner signature "oldsig" with the "olddest"
// field's key (Java HostTxtEntry.hasValidInnerSig).
func (e Entry) VerifyInnerSig() error {
	if e.IsCommand() {
		return fmt.Errorf("%w: oldsig on a command line", ErrBadSig)
	}
	return verifyWith(e.Props[KeyOldDest], e.Props[KeyOldSig], e.InnerSignedBytes(), "oldsig")
}

func verifyWith(destStr, sig string, msg []byte, what string) error {
	if sig == "" {
		return fmt.Errorf("%w: no %s", ErrNoSignature, what)
	}
	if destStr == "" {
		return fmt.Errorf("%w: no destination to check %s with", ErrNoSignature, what)
	}
	d, err := ParseDest(destStr)
	if err != nil {
		return err
	}
	raw, err := data.Base64Decode(sig)
	if err != nil {
		return fmt.Errorf("%w: %s is not base64", ErrBadSig, what)
	}
	if err := d.Verify(msg, raw); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadSig, what, err)
	}
	return nil
}
