package build

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	crand "crypto/rand"
	"fmt"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

// protocolName is the Noise protocol of ECIES build records.
const protocolName = "Noise_N_25519_ChaChaPoly_SHA256"

// Offsets in an encrypted request record, either size.
const (
	toPeerLen    = 16
	ephemeralOff = toPeerLen
	cipherOff    = ephemeralOff + 32
)

// Poly1305 tag length.
const tagLen = chacha20poly1305.Overhead

// HKDF info strings of the short-record KDF.
const (
	infoReplyKey  = "SMTunnelReplyKey"
	infoLayerKey  = "SMTunnelLayerKey"
	infoIVKey     = "TunnelLayerIVKey"
	infoGarlicKey = "RGarlicKeyAndTag"
)

// initState is the Noise N state after InitializeSymmetric and the empty
// prologue: ck = name||0, h = SHA256(name||0). Copied by value per record.
var initState = func() noise.SymmetricState {
	var s noise.SymmetricState
	s.Init(protocolName)
	s.MixHash(nil)
	return s
}()

// recordState is what both sides keep from the Noise N message of one
// record.
type recordState struct {
	ck, h [32]byte
}

// sealRecord writes the encrypted request record for plaintext into rec:
// toPeer, a fresh ephemeral key and the AEAD ciphertext. rec must be
// cipherOff+len(plaintext)+tagLen bytes.
func sealRecord(rec []byte, toPeer [toPeerLen]byte, hopKey [32]byte, plaintext []byte) (recordState, error) {
	eph, err := ecdh.X25519().GenerateKey(crand.Reader)
	if err != nil {
		return recordState{}, fmt.Errorf("build: ephemeral key: %w", err)
	}
	return sealRecordWith(rec, toPeer, hopKey, eph, plaintext)
}

// sealRecordWith is sealRecord with a given ephemeral key.
func sealRecordWith(rec []byte, toPeer [toPeerLen]byte, hopKey [32]byte, eph *ecdh.PrivateKey, plaintext []byte) (recordState, error) {
	if len(rec) != cipherOff+len(plaintext)+tagLen {
		return recordState{}, fmt.Errorf("build: record of %d bytes for %d bytes of cleartext", len(rec), len(plaintext))
	}
	ephPub := eph.PublicKey().Bytes()
	s := initState
	s.MixHash(hopKey[:])
	s.MixHash(ephPub)
	remote, err := ecdh.X25519().NewPublicKey(hopKey[:])
	if err != nil {
		return recordState{}, fmt.Errorf("build: hop encryption key: %w", err)
	}
	shared, err := eph.ECDH(remote)
	if err != nil {
		// crypto/ecdh fails only on an all-zero result.
		return recordState{}, fmt.Errorf("build: hop encryption key: %w", crypto.ErrLowOrderPoint)
	}
	s.MixKey(shared)
	ct, err := s.EncryptAndHash(nil, plaintext)
	if err != nil {
		return recordState{}, fmt.Errorf("build: encrypt record: %w", err)
	}
	copy(rec, toPeer[:])
	copy(rec[ephemeralOff:], ephPub)
	copy(rec[cipherOff:], ct)
	return recordState{ck: s.ChainingKey(), h: s.Hash()}, nil
}

// openRecord decrypts an encrypted request record with our static key,
// returning the cleartext in a new buffer.
func (k *HopKey) openRecord(rec []byte) ([]byte, recordState, error) {
	eph := rec[ephemeralOff:cipherOff]
	s := k.prefix
	s.MixHash(eph)
	remote, err := ecdh.X25519().NewPublicKey(eph)
	if err != nil {
		return nil, recordState{}, fmt.Errorf("%w: ephemeral key: %w", ErrAuth, err)
	}
	shared, err := k.priv.ECDH(remote)
	if err != nil {
		// crypto/ecdh fails only on an all-zero result.
		return nil, recordState{}, fmt.Errorf("%w: ephemeral key: %w", ErrAuth, crypto.ErrLowOrderPoint)
	}
	s.MixKey(shared)
	pt, err := s.DecryptAndHash(make([]byte, 0, len(rec)-cipherOff-tagLen), rec[cipherOff:])
	if err != nil {
		return nil, recordState{}, fmt.Errorf("%w: request record: %w", ErrAuth, err)
	}
	return pt, recordState{ck: s.ChainingKey(), h: s.Hash()}, nil
}

// hkdf is HKDF(ck, ZEROLEN, info, 64) of the spec (RFC 5869 with salt ck
// and an empty input key), split into two 32-byte halves.
func hkdf(ck [32]byte, info string) (first, second [32]byte) {
	prk := noise.HMAC(ck[:])
	first = noise.HMAC(prk[:], []byte(info), []byte{1})
	second = noise.HMAC(prk[:], first[:], []byte(info), []byte{2})
	return first, second
}

// shortKeys are the keys a short record's chaining key yields.
type shortKeys struct {
	reply, layer, iv [32]byte
	garlicKey        [32]byte // OBEP only
	garlicTag        [8]byte  // OBEP only
}

// deriveShortKeys runs the short-record KDF on the final ck of the
// request. obep selects the outbound endpoint's variant.
func deriveShortKeys(ck [32]byte, obep bool) shortKeys {
	var k shortKeys
	ck, k.reply = hkdf(ck, infoReplyKey)
	ck, k.layer = hkdf(ck, infoLayerKey)
	if !obep {
		k.iv = ck
		return k
	}
	ck, k.iv = hkdf(ck, infoIVKey)
	ck, k.garlicKey = hkdf(ck, infoGarlicKey)
	k.garlicTag = [8]byte(ck[:8])
	return k
}

// recordNonce is the 12-byte nonce of a short record's AEAD and ChaCha20:
// zero but byte 4, the record index. For the AEAD this is Noise nonce n =
// index.
func recordNonce(index int) [chacha20.NonceSize]byte {
	var n [chacha20.NonceSize]byte
	n[4] = byte(index)
	return n
}

// chachaRecord XORs a short record in place with the ChaCha20 key stream
// of key and its index, block counter starting at 1.
func chachaRecord(key [32]byte, index int, rec []byte) {
	n := recordNonce(index)
	c, _ := chacha20.NewUnauthenticatedCipher(key[:], n[:]) // sizes are fixed
	c.SetCounter(1)
	c.XORKeyStream(rec, rec)
}

// aesRecord encrypts (hop) or decrypts (creator) a long record in place
// with AES-256-CBC.
func aesRecord(key [32]byte, iv [16]byte, rec []byte, encrypt bool) {
	b, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	if encrypt {
		cipher.NewCBCEncrypter(b, iv[:]).CryptBlocks(rec, rec)
	} else {
		cipher.NewCBCDecrypter(b, iv[:]).CryptBlocks(rec, rec)
	}
}

// replyAEAD returns ChaCha20-Poly1305 keyed with key.
func replyAEAD(key [32]byte) cipher.AEAD {
	a, _ := chacha20poly1305.New(key[:]) // a 32-byte key never fails
	return a
}
