package crypto

import (
	"fmt"

	"golang.org/x/crypto/chacha20"
)

// ChaCha20 XORs src with the ChaCha20 key stream of RFC 7539 section 2.4
// (32-byte key, 12-byte nonce) starting at block counter 1, and writes the
// result to dst, which must be at least len(src) long; dst and src may be
// the same slice but must not otherwise overlap. This is the bare stream
// cipher, without Poly1305, that encrypted LeaseSets use
// (encryptedleaseset.rst "STREAM"; i2pd libi2pd/Crypto.cpp ChaCha20 sets the
// counter to 1, as does Java I2P net/i2p/crypto/ChaCha20.java).
func ChaCha20(dst, src, key, nonce []byte) error {
	if len(key) != chacha20.KeySize || len(nonce) != chacha20.NonceSize {
		return fmt.Errorf("%w: ChaCha20 key %d and nonce %d bytes, want 32 and 12", ErrKeyLength, len(key), len(nonce))
	}
	if len(dst) < len(src) {
		return fmt.Errorf("crypto: ChaCha20 output of %d bytes for %d bytes of input", len(dst), len(src))
	}
	c, err := chacha20.NewUnauthenticatedCipher(key, nonce)
	if err != nil {
		return err
	}
	c.SetCounter(1)
	c.XORKeyStream(dst[:len(src)], src)
	return nil
}
