package garlic

import (
	"crypto/cipher"
	crand "crypto/rand"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/i2pgo/i2pgo/router/i2np"
)

// minTagMessage is a tag and a MAC: an empty payload.
const minTagMessage = TagLen + MACLen

// tagAEAD returns ChaCha20-Poly1305 keyed with key.
func tagAEAD(key [KeyLen]byte) cipher.AEAD {
	a, _ := chacha20poly1305.New(key[:]) // a 32-byte key never fails
	return a
}

// zeroNonce is n = 0: 4 zero bytes and a zero 8-byte counter.
var zeroNonce [chacha20poly1305.NonceSize]byte

// SealWithTag returns the Existing Session message of i2np.rst "Reply
// Encryption" made from a reply key and tag: tag || ChaCha20-Poly1305(k =
// key, n = 0, ad = tag, payload). payload is a sequence of blocks. A key
// and tag pair must seal only one message, since the nonce is always 0.
func SealWithTag(key [KeyLen]byte, tag [TagLen]byte, payload []byte) []byte {
	out := make([]byte, TagLen, TagLen+len(payload)+MACLen)
	copy(out, tag[:])
	return tagAEAD(key).Seal(out, zeroNonce[:], payload, tag[:])
}

// OpenWithTag opens a message sealed by SealWithTag (the data of a Garlic
// message after its 4-byte length), once the caller has looked up the key
// for its first 8 bytes. It returns the tag and the payload, in a fresh
// buffer, for ParseBlocks. It fails with ErrShort if msg is shorter than a
// tag and a MAC and ErrAuth if the AEAD does not verify.
func OpenWithTag(key [KeyLen]byte, msg []byte) (tag [TagLen]byte, payload []byte, err error) {
	if len(msg) < minTagMessage {
		return tag, nil, fmt.Errorf("%w: tagged message of %d bytes, need at least %d", ErrShort, len(msg), minTagMessage)
	}
	copy(tag[:], msg)
	payload, err = tagAEAD(key).Open(nil, zeroNonce[:], msg[TagLen:], tag[:])
	if err != nil {
		return tag, nil, fmt.Errorf("%w: tagged message", ErrAuth)
	}
	if payload == nil {
		payload = []byte{}
	}
	return tag, payload, nil
}

// WrapReply builds the reply a floodfill sends to a lookup that asked for
// ECIES encryption, as i2pd's WrapECIESX25519Message does: a payload of one
// local Garlic Clove block holding m and a Padding block of 0 to 15 random
// bytes' length, sealed with SealWithTag. It returns the payload of a
// Garlic I2NP message (type 11): the 4-byte length, the tag and the
// ciphertext. It fails with ErrSize if m does not fit.
func WrapReply(key [KeyLen]byte, tag [TagLen]byte, m i2np.Message) ([]byte, error) {
	var pad [1]byte
	crand.Read(pad[:]) // never fails (crypto/rand, Go 1.24+)
	return wrapReply(key, tag, m, int(pad[0])%maxPad)
}

func wrapReply(key [KeyLen]byte, tag [TagLen]byte, m i2np.Message, pad int) ([]byte, error) {
	p, err := appendLocalClove(nil, m, pad)
	if err != nil {
		return nil, err
	}
	if len(p) > MaxTagPayload {
		return nil, fmt.Errorf("%w: reply payload of %d bytes exceeds %d", ErrSize, len(p), MaxTagPayload)
	}
	return i2np.GarlicMessage{Data: SealWithTag(key, tag, p)}.AppendBinary(nil)
}
