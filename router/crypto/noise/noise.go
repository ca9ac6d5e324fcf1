// Package noise implements the symmetric half of the Noise Protocol
// Framework (revision 33, sections 5.1 and 5.2) with SHA-256 and
// ChaCha20-Poly1305: the CipherState and SymmetricState objects that the
// I2P handshakes (NTCP2, SSU2, ECIES garlic, tunnel build) are written on.
//
// Why not github.com/flynn/noise for the handshakes themselves: the I2P
// patterns change Noise in ways its HandshakeState cannot express. NTCP2
// mixes the cleartext padding of messages 1 and 2 into h (MixHash between
// tokens), obfuscates the ephemeral keys with AES outside Noise, and derives
// its SipHash keys from the final chaining key ck, which flynn/noise does not
// expose. So the I2P protocols drive this SymmetricState token by token, and
// flynn/noise is used in this package's tests as an independent reference:
// a plain Noise_XK_25519_ChaChaPoly_SHA256 handshake driven through this
// package must interoperate with flynn/noise's.
package noise

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"golang.org/x/crypto/chacha20poly1305"
)

// ErrAuth is returned when an AEAD tag does not verify.
var ErrAuth = errors.New("noise: authentication failed")

// ErrNonceExhausted is returned when a CipherState's nonce reached 2^64-1.
var ErrNonceExhausted = errors.New("noise: nonce exhausted")

// Overhead is the size of the Poly1305 tag.
const Overhead = chacha20poly1305.Overhead

// CipherState is a ChaCha20-Poly1305 key with a counter nonce
// (Noise section 5.1; nonce = 4 zero bytes || 8-byte little-endian counter).
type CipherState struct {
	k      [32]byte
	n      uint64
	hasKey bool
	aead   cipher.AEAD // made from k on first use
}

// NewCipherState returns a CipherState keyed with k, nonce 0.
func NewCipherState(k [32]byte) *CipherState {
	return &CipherState{k: k, hasKey: true}
}

func (c *CipherState) cipher() cipher.AEAD {
	if c.aead == nil {
		c.aead, _ = chacha20poly1305.New(c.k[:]) // a 32-byte key never fails
	}
	return c.aead
}

// HasKey reports whether the state has a key.
func (c *CipherState) HasKey() bool { return c.hasKey }

// Nonce is the next nonce to be used.
func (c *CipherState) Nonce() uint64 { return c.n }

// SetNonce sets the next nonce (used where a protocol fixes it, e.g. NTCP2
// message 3 part 1 uses n = 1).
func (c *CipherState) SetNonce(n uint64) { c.n = n }

func nonce(n uint64) [12]byte {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[4:], n)
	return b
}

// Encrypt appends the sealed plaintext to dst and advances the nonce. With no
// key it appends the plaintext unchanged.
func (c *CipherState) Encrypt(dst, ad, plaintext []byte) ([]byte, error) {
	if !c.hasKey {
		return append(dst, plaintext...), nil
	}
	if c.n == ^uint64(0) {
		return nil, ErrNonceExhausted
	}
	nb := nonce(c.n)
	c.n++
	return c.cipher().Seal(dst, nb[:], plaintext, ad), nil
}

// Decrypt appends the opened ciphertext to dst and advances the nonce only
// on success. With no key it appends the ciphertext unchanged.
func (c *CipherState) Decrypt(dst, ad, ciphertext []byte) ([]byte, error) {
	if !c.hasKey {
		return append(dst, ciphertext...), nil
	}
	if c.n == ^uint64(0) {
		return nil, ErrNonceExhausted
	}
	nb := nonce(c.n)
	out, err := c.cipher().Open(dst, nb[:], ciphertext, ad)
	if err != nil {
		return nil, ErrAuth
	}
	c.n++
	return out, nil
}

// SymmetricState is Noise's SymmetricState with SHA-256 (section 5.2).
type SymmetricState struct {
	ck [32]byte
	h  [32]byte
	cs CipherState
}

// Init is InitializeSymmetric(protocolName).
func (s *SymmetricState) Init(protocolName string) {
	if len(protocolName) <= 32 {
		var h [32]byte
		copy(h[:], protocolName)
		s.h = h
	} else {
		s.h = sha256.Sum256([]byte(protocolName))
	}
	s.ck = s.h
	s.cs = CipherState{}
}

// MixHash sets h = SHA256(h || data).
func (s *SymmetricState) MixHash(data []byte) {
	d := sha256.New()
	d.Write(s.h[:])
	d.Write(data)
	d.Sum(s.h[:0])
}

// HMAC returns HMAC-SHA256(key, data...).
func HMAC(key []byte, data ...[]byte) [32]byte {
	m := hmac.New(sha256.New, key)
	for _, d := range data {
		m.Write(d)
	}
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// HKDF2 is Noise's HKDF(ck, ikm) with two outputs.
func HKDF2(ck, ikm []byte) (o1, o2 [32]byte) {
	temp := HMAC(ck, ikm)
	o1 = HMAC(temp[:], []byte{1})
	o2 = HMAC(temp[:], o1[:], []byte{2})
	return
}

// MixKey is MixKey(ikm): ck, k = HKDF(ck, ikm); n = 0.
func (s *SymmetricState) MixKey(ikm []byte) {
	ck, k := HKDF2(s.ck[:], ikm)
	s.ck = ck
	s.cs = CipherState{k: k, hasKey: true}
}

// EncryptAndHash encrypts plaintext with h as associated data, appends the
// ciphertext to dst and mixes it into h.
func (s *SymmetricState) EncryptAndHash(dst, plaintext []byte) ([]byte, error) {
	start := len(dst)
	out, err := s.cs.Encrypt(dst, s.h[:], plaintext)
	if err != nil {
		return nil, err
	}
	s.MixHash(out[start:])
	return out, nil
}

// DecryptAndHash is the receiving side of EncryptAndHash.
func (s *SymmetricState) DecryptAndHash(dst, ciphertext []byte) ([]byte, error) {
	out, err := s.cs.Decrypt(dst, s.h[:], ciphertext)
	if err != nil {
		return nil, err
	}
	s.MixHash(ciphertext)
	return out, nil
}

// Split returns the two transport CipherStates (initiator to responder
// first).
func (s *SymmetricState) Split() (*CipherState, *CipherState) {
	k1, k2 := HKDF2(s.ck[:], nil)
	return NewCipherState(k1), NewCipherState(k2)
}

// Cipher is the current handshake CipherState; protocols that fix a nonce
// use it to set one.
func (s *SymmetricState) Cipher() *CipherState { return &s.cs }

// Hash returns h.
func (s *SymmetricState) Hash() [32]byte { return s.h }

// ChainingKey returns ck.
func (s *SymmetricState) ChainingKey() [32]byte { return s.ck }
