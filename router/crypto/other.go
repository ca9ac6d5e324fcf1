package crypto

import "fmt"

// verifyOther verifies the signature types other than Ed25519.
// TODO(helper): DSA-SHA1, ECDSA, RSA, Ed25519ph, RedDSA.
func verifyOther(t SigType, pub, msg, sig []byte) error {
	return fmt.Errorf("%w: %v not implemented yet", ErrUnsupportedSigType, t)
}
