package crypto

import (
	"crypto/ecdh"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
)

// ErrLowOrderPoint is returned by X25519 when the shared secret is all
// zeros, which happens exactly when the peer's public key is a point of
// small order (RFC 7748, section 6.1). NTCP2, SSU2 and ECIES must abort
// then.
var ErrLowOrderPoint = errors.New("crypto: X25519 with a low-order point")

// X25519KeyPair is an X25519 (Curve25519 Diffie-Hellman) key pair, as used
// for ECIES-X25519 encryption keys, NTCP2 and SSU2 static and ephemeral
// keys. Private is the 32-byte scalar as stored on disk and on the wire in
// I2P (clamping happens inside X25519). String, GoString and LogValue show only a
// short prefix of the public key; there is deliberately no MarshalText, so
// that encoding a key pair as text cannot silently drop (or print) the
// private half.
type X25519KeyPair struct {
	Private [32]byte
	Public  [32]byte
}

// GenerateX25519 makes a key pair from 32 bytes of rand (nil means
// crypto/rand.Reader).
func GenerateX25519(rand io.Reader) (X25519KeyPair, error) {
	if rand == nil {
		rand = crand.Reader
	}
	var kp X25519KeyPair
	if _, err := io.ReadFull(rand, kp.Private[:]); err != nil {
		return X25519KeyPair{}, err
	}
	kp.Public = X25519Public(kp.Private)
	return kp, nil
}

// X25519Public is the public key of priv, X25519(priv, 9).
func X25519Public(priv [32]byte) [32]byte {
	k, err := ecdh.X25519().NewPrivateKey(priv[:])
	if err != nil {
		panic("crypto: X25519 private key rejected: " + err.Error()) // only on a wrong length
	}
	var pub [32]byte
	copy(pub[:], k.PublicKey().Bytes())
	return pub
}

// X25519 is the Diffie-Hellman function of RFC 7748 on the private scalar
// priv and the peer's public key pub. It returns ErrLowOrderPoint instead of
// an all-zero result.
func X25519(priv, pub [32]byte) ([32]byte, error) {
	var out [32]byte
	k, err := ecdh.X25519().NewPrivateKey(priv[:])
	if err != nil {
		return out, err
	}
	p, err := ecdh.X25519().NewPublicKey(pub[:])
	if err != nil {
		return out, err
	}
	s, err := k.ECDH(p)
	if err != nil {
		// crypto/ecdh fails only on the all-zero output.
		return out, ErrLowOrderPoint
	}
	copy(out[:], s)
	return out, nil
}

func (kp X25519KeyPair) String() string {
	return "X25519:" + base64.RawStdEncoding.EncodeToString(kp.Public[:])[:8]
}

// GoString keeps %#v from printing the private key.
func (kp X25519KeyPair) GoString() string { return kp.String() }

// LogValue logs the short public key only.
func (kp X25519KeyPair) LogValue() slog.Value { return slog.StringValue(kp.String()) }
