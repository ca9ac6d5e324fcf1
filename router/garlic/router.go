package garlic

import (
	crand "crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/crypto/noise"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// routerProtocol is the Noise protocol name of ecies-routers.rst.
const routerProtocol = "Noise_N_25519_ChaChaPoly_SHA256"

// Sizes of the encrypted messages.
const (
	// KeyLen is the length of an X25519 key.
	KeyLen = 32
	// MACLen is the length of the Poly1305 tag.
	MACLen = noise.Overhead
	// TagLen is the length of a ratchet session tag (reply tag).
	TagLen = 8
	// maxGarlicData is the largest encrypted garlic a Garlic message
	// (4-byte length, then the data) can carry.
	maxGarlicData = i2np.MaxPayload - 4
	// MaxRouterPayload is the largest payload EncryptForRouter takes:
	// what fits a Garlic message after the ephemeral key and the MAC.
	MaxRouterPayload = maxGarlicData - KeyLen - MACLen
	// MaxTagPayload is the largest payload SealWithTag can put in a
	// Garlic message: what fits after the tag and the MAC.
	MaxTagPayload = maxGarlicData - TagLen - MACLen
	// minRouterMessage is an ephemeral key, a DateTime block and a MAC:
	// anything shorter is refused before the DH.
	minRouterMessage = KeyLen + BlockHeaderLen + 4 + MACLen
	// maxPad is the exclusive bound of the padding length WrapForRouter
	// and WrapReply choose, the spec's "0-15 bytes" default and i2pd's
	// rand() & 0x0F.
	maxPad = 16
)

// routerState is the Noise N state after the pre-message: InitializeSymmetric,
// the empty prologue and MixHash(rs). i2pd's InitNoiseNState starts from
// the same h, precomputed.
func routerState(static [KeyLen]byte) *noise.SymmetricState {
	s := new(noise.SymmetricState)
	s.Init(routerProtocol)
	s.MixHash(nil)
	s.MixHash(static[:])
	return s
}

// EncryptForRouter encrypts payload, a sequence of blocks that should start
// with a DateTime block, to the router whose X25519 public key is peerPub,
// as the one Noise N message of ecies-routers.rst. It returns the ephemeral
// public key followed by the AEAD ciphertext: the data of a Garlic message.
// The ephemeral private key is 32 bytes read from rand (nil means
// crypto/rand.Reader).
//
// It fails with ErrSize if payload is longer than MaxRouterPayload, with
// crypto.ErrLowOrderPoint if peerPub is a low-order point, and with rand's
// error.
func EncryptForRouter(peerPub [KeyLen]byte, payload []byte, rand io.Reader) ([]byte, error) {
	if len(payload) > MaxRouterPayload {
		return nil, fmt.Errorf("%w: router payload of %d bytes exceeds %d", ErrSize, len(payload), MaxRouterPayload)
	}
	eph, err := crypto.GenerateX25519(rand)
	if err != nil {
		return nil, fmt.Errorf("garlic: ephemeral key: %w", err)
	}
	dh, err := crypto.X25519(eph.Private, peerPub)
	if err != nil {
		return nil, fmt.Errorf("garlic: router key: %w", err)
	}
	s := routerState(peerPub)
	s.MixHash(eph.Public[:]) // e
	s.MixKey(dh[:])          // es
	out := make([]byte, 0, KeyLen+len(payload)+MACLen)
	out = append(out, eph.Public[:]...)
	out, err = s.EncryptAndHash(out, payload)
	if err != nil { // a fresh key has nonce 0; cannot happen
		return nil, fmt.Errorf("garlic: %w", err)
	}
	return out, nil
}

// DecryptForRouter opens msg, the data of a Garlic message (after its
// 4-byte length) addressed to this router, whose X25519 key pair is priv
// and pub. It returns the payload's blocks, the first of which is a
// DateTime block; they alias a fresh buffer, not msg.
//
// Checking that DateTime against the clock and the ephemeral key (msg[:32])
// against recently seen ones, to stop replays, is the caller's job.
//
// It fails with ErrShort if msg cannot hold a key, a DateTime block and a
// MAC, ErrMalformed for an ephemeral key with its top bit set or equal to
// pub, crypto.ErrLowOrderPoint for a low-order one, ErrAuth if
// the AEAD does not verify, ErrNoDateTime, or the errors of ParseBlocks.
func DecryptForRouter(priv, pub [KeyLen]byte, msg []byte) ([]Block, error) {
	if len(msg) < minRouterMessage {
		return nil, fmt.Errorf("%w: router message of %d bytes, need at least %d", ErrShort, len(msg), minRouterMessage)
	}
	var eph [KeyLen]byte
	copy(eph[:], msg)
	// Cheap checks before the DH (ecies-routers.rst, "Implementation
	// Notes"; Java's BuildRequestRecord makes the same ones): an encoded
	// u-coordinate is below 2^255, and some old i2pd versions put the
	// recipient's own key here.
	if eph[KeyLen-1]&0x80 != 0 {
		return nil, fmt.Errorf("%w: ephemeral key has the top bit set", ErrMalformed)
	}
	if eph == pub {
		return nil, fmt.Errorf("%w: ephemeral key is our own public key", ErrMalformed)
	}
	dh, err := crypto.X25519(priv, eph)
	if err != nil {
		return nil, fmt.Errorf("garlic: ephemeral key: %w", err)
	}
	s := routerState(pub)
	s.MixHash(eph[:])
	s.MixKey(dh[:])
	pt, err := s.DecryptAndHash(nil, msg[KeyLen:])
	if err != nil {
		return nil, fmt.Errorf("%w: router message", ErrAuth)
	}
	blocks, err := ParseBlocks(pt)
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 || blocks[0].Type != BlockDateTime {
		return nil, ErrNoDateTime
	}
	return blocks, nil
}

// WrapForRouter builds what i2pd's WrapECIESX25519MessageForRouter sends:
// a payload of a DateTime block (now), one local Garlic Clove block holding
// m and a Padding block of 0 to 15 bytes, encrypted with EncryptForRouter to
// peerPub. It returns the payload of a Garlic I2NP message (type 11): the
// 4-byte length, then the data. From rand (nil means crypto/rand.Reader) it
// reads one byte, whose low 4 bits are the padding length, and then the
// 32-byte ephemeral private key.
func WrapForRouter(peerPub [KeyLen]byte, m i2np.Message, now time.Time, rand io.Reader) ([]byte, error) {
	if rand == nil {
		rand = crand.Reader
	}
	var pad [1]byte
	if _, err := io.ReadFull(rand, pad[:]); err != nil {
		return nil, fmt.Errorf("garlic: padding length: %w", err)
	}
	dt, err := DateTimeBlock(now)
	if err != nil {
		return nil, err
	}
	p, err := AppendBlock(nil, dt)
	if err != nil {
		return nil, err
	}
	p, err = appendLocalClove(p, m, int(pad[0])%maxPad)
	if err != nil {
		return nil, err
	}
	enc, err := EncryptForRouter(peerPub, p, rand)
	if err != nil {
		return nil, err
	}
	return i2np.GarlicMessage{Data: enc}.AppendBinary(nil)
}

// appendLocalClove appends a Garlic Clove block delivering m locally and a
// Padding block of pad bytes to p, the payload i2pd's CreateGarlicPayload
// builds.
func appendLocalClove(p []byte, m i2np.Message, pad int) ([]byte, error) {
	blk, err := Clove{Delivery: DeliveryLocal, Msg: m}.Block()
	if err != nil {
		return nil, err
	}
	if p, err = AppendBlock(p, blk); err != nil {
		return nil, err
	}
	return AppendBlock(p, PaddingBlock(pad))
}
