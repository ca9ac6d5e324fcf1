package garlic

import (
	"crypto/aes"
	"crypto/cipher"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// ElGamal/AES+SessionTags (docs/how-elgamal-aes.html, "April 2020,
// accurate for 0.9.46"), the end-to-end encryption of destinations whose
// LeaseSet offers only an ElGamal key. The encrypted data is what a
// Garlic message carries after its 4-byte length.
//
// New Session: the ElGamal block, then the AES block.
//
//	+----+----+----+----+----+----+----+----+
//	| ElGamal block (514): ElGamal-2048 of     |
//	~   session key (32) || pre-IV (32) ||     ~
//	|   random padding (158)                   |
//	+----+----+----+----+----+----+----+----+
//	| AES block: AES-256-CBC, key = session key,
//	~   IV = SHA-256(pre-IV)[0:16]             ~
//	+----+----+----+----+----+----+----+----+
//
// Existing Session: a session tag the receiver was given before, then the
// AES block with that tag's key and IV = SHA-256(tag)[0:16].
//
//	+----+----+----+----+----+----+----+----+
//	| session tag (32)                         |
//	+----+----+----+----+----+----+----+----+
//	| AES block                                |
//	~                                          ~
//	+----+----+----+----+----+----+----+----+
//
// The AES block, before encryption:
//
//	+----+----+----+----+----+----+----+----+
//	|tag count| tags (32 each) ...           |
//	+----+----+----+----+----+----+----+----+
//	| payload size (4)  | payload hash (32)  |
//	+----+----+----+----+----+----+----+----+
//	|flag| new session key (32, if flag = 1) |
//	+----+----+----+----+----+----+----+----+
//	| payload ...             | padding to 16|
//	+----+----+----+----+----+----+----+----+
//
// A New Session message is therefore 514 + 16n bytes and an Existing
// Session message 32 + 16n; a receiver tells them apart by the length
// modulo 16 before any crypto, as i2pd's HandleGarlicMessage does, and
// only tries ElGamal when no tag matches.

// Sizes of ElGamal/AES+SessionTags.
const (
	// SessionTagLen is the length of an ElGamal/AES session tag.
	SessionTagLen = 32
	// SessionKeyLen is the length of an AES-256 session key.
	SessionKeyLen = 32
	// ElGamalBlockLen is the length of the encrypted ElGamal block.
	ElGamalBlockLen = crypto.ElGamalCiphertextLen
	// MaxAESTags is the most tags one AES block may carry, enforced by
	// Java I2P's ElGamalAESEngine (MAX_TAGS_RECEIVED) since 0.6.
	MaxAESTags = 200
	// elgAESOverhead is the AES block's fixed fields: tag count, payload
	// size, payload hash and flag.
	elgAESOverhead = 2 + 4 + sha256.Size + 1
	// elgMinAESBlock is the smallest AES block: the fixed fields padded to
	// 16 (the spec's "Minimum length: 48 bytes").
	elgMinAESBlock = (elgAESOverhead + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
	// elgMinSealedAES is the size the encryptors pad the AES block to at
	// least: i2np.rst, "Garlic", notes ("padded to a minimum of 128
	// bytes"), as Java's GarlicMessageBuilder does.
	elgMinSealedAES = 128
)

// Errors of ElGamal/AES+SessionTags, besides those of errors.go.
var (
	// ErrUnknownTag means a message matches no stored session tag and is
	// not shaped like a New Session message (or this side has no ElGamal
	// key to try).
	ErrUnknownTag = errors.New("garlic: unknown session tag")
)

// SessionKey is an AES-256 session key. String shows nothing of it.
type SessionKey [SessionKeyLen]byte

func (SessionKey) String() string { return "SessionKey(…)" }

// GoString keeps %#v from printing the key.
func (k SessionKey) GoString() string { return k.String() }

// LogValue keeps the key out of logs.
func (k SessionKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// SessionTag is a 32-byte ElGamal/AES session tag.
type SessionTag [SessionTagLen]byte

// String returns a short base64 prefix of the tag.
func (t SessionTag) String() string { return "tag:" + base64.RawStdEncoding.EncodeToString(t[:6]) }

// AESBlock is the plaintext of the AES block.
type AESBlock struct {
	// Tags are session tags delivered to the receiver, for NewKey if it
	// is set, else for the key this block was encrypted with. At most
	// MaxAESTags.
	Tags []SessionTag
	// NewKey is the optional replacement session key (flag 0x01). The
	// spec says it is unused; Java reads it and files Tags under it.
	NewKey *SessionKey
	// Payload is the garlic (for destinations, a legacy Garlic
	// structure; see ParseLegacyGarlic).
	Payload []byte
}

// ParseAESBlock parses a decrypted AES block. The payload hash must match;
// what follows the payload is padding and is ignored. Payload aliases b;
// Tags and NewKey are copies. It fails with ErrShort if a field runs past
// b, ErrMalformed for more than MaxAESTags tags or a flag other than 0 or
// 1, and ErrAuth if the payload hash does not match.
func ParseAESBlock(b []byte) (AESBlock, error) {
	if len(b) < elgAESOverhead {
		return AESBlock{}, fmt.Errorf("%w: AES block of %d bytes, need %d", ErrShort, len(b), elgAESOverhead)
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > MaxAESTags {
		return AESBlock{}, fmt.Errorf("%w: %d session tags, at most %d", ErrMalformed, n, MaxAESTags)
	}
	rest := b[2:]
	if len(rest) < n*SessionTagLen+elgAESOverhead-2 {
		return AESBlock{}, fmt.Errorf("%w: AES block of %d bytes cannot hold %d tags", ErrShort, len(b), n)
	}
	var blk AESBlock
	if n > 0 {
		blk.Tags = make([]SessionTag, n)
		for i := range blk.Tags {
			copy(blk.Tags[i][:], rest[i*SessionTagLen:])
		}
		rest = rest[n*SessionTagLen:]
	}
	size := binary.BigEndian.Uint32(rest)
	hash := rest[4 : 4+sha256.Size]
	flag := rest[4+sha256.Size]
	rest = rest[4+sha256.Size+1:]
	switch flag {
	case 0:
	case 1:
		if len(rest) < SessionKeyLen {
			return AESBlock{}, fmt.Errorf("%w: new session key needs %d bytes, have %d", ErrShort, SessionKeyLen, len(rest))
		}
		blk.NewKey = new(SessionKey)
		copy(blk.NewKey[:], rest)
		rest = rest[SessionKeyLen:]
	default:
		return AESBlock{}, fmt.Errorf("%w: AES block flag %#02x", ErrMalformed, flag)
	}
	if uint64(size) > uint64(len(rest)) {
		return AESBlock{}, fmt.Errorf("%w: payload size %d exceeds the %d bytes left", ErrShort, size, len(rest))
	}
	blk.Payload = rest[:size:size]
	if sum := sha256.Sum256(blk.Payload); subtle.ConstantTimeCompare(sum[:], hash) != 1 {
		return AESBlock{}, fmt.Errorf("%w: AES block payload hash", ErrAuth)
	}
	return blk, nil
}

// AppendBinary appends the AES block plaintext, padded with zeros to a
// multiple of 16 bytes, to b. (The padding is encrypted with the rest, so
// its content does not matter; i2pd leaves whatever its buffer held.) It
// fails with ErrSize for more than MaxAESTags tags or a payload that
// cannot fit a Garlic message.
func (blk AESBlock) AppendBinary(b []byte) ([]byte, error) { return blk.appendPadded(b, 0) }

// appendPadded is AppendBinary with at least minLen bytes of block.
func (blk AESBlock) appendPadded(b []byte, minLen int) ([]byte, error) {
	if len(blk.Tags) > MaxAESTags {
		return b, fmt.Errorf("%w: %d session tags, at most %d", ErrSize, len(blk.Tags), MaxAESTags)
	}
	if len(blk.Payload) > maxGarlicData {
		return b, fmt.Errorf("%w: payload of %d bytes", ErrSize, len(blk.Payload))
	}
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, uint16(len(blk.Tags)))
	for _, t := range blk.Tags {
		b = append(b, t[:]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(blk.Payload)))
	sum := sha256.Sum256(blk.Payload)
	b = append(b, sum[:]...)
	if blk.NewKey != nil {
		b = append(b, 1)
		b = append(b, blk.NewKey[:]...)
	} else {
		b = append(b, 0)
	}
	b = append(b, blk.Payload...)
	if n := blk.aesLen(minLen) - (len(b) - start); n > 0 {
		b = append(b, make([]byte, n)...)
	}
	return b, nil
}

// aesLen is the length of blk's encoding padded to at least minLen.
func (blk AESBlock) aesLen(minLen int) int {
	n := elgAESOverhead + len(blk.Tags)*SessionTagLen + len(blk.Payload)
	if blk.NewKey != nil {
		n += SessionKeyLen
	}
	return (max(n, minLen) + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
}

// elgIV is the IV: the first 16 bytes of SHA-256(pre).
func elgIV(pre []byte) []byte {
	h := sha256.Sum256(pre)
	return h[:aes.BlockSize]
}

// elgSealAES appends the AES block of blk, padded to at least elgMinSealedAES
// and encrypted with key and iv, to out.
func elgSealAES(out []byte, c cipher.Block, iv []byte, blk AESBlock) ([]byte, error) {
	if n := len(out) + blk.aesLen(elgMinSealedAES); n > maxGarlicData {
		return nil, fmt.Errorf("%w: message of %d bytes exceeds %d", ErrSize, n, maxGarlicData)
	}
	start := len(out)
	out, err := blk.appendPadded(out, elgMinSealedAES)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCEncrypter(c, iv).CryptBlocks(out[start:], out[start:])
	return out, nil
}

// elgOpenAES decrypts and parses an AES block. The plaintext is a new buffer.
func elgOpenAES(c cipher.Block, iv, ct []byte) (AESBlock, error) {
	if len(ct) < elgMinAESBlock || len(ct)%aes.BlockSize != 0 {
		return AESBlock{}, fmt.Errorf("%w: AES block of %d bytes", ErrMalformed, len(ct))
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(pt, ct)
	return ParseAESBlock(pt)
}

func elgNewAES(key SessionKey) cipher.Block {
	c, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	return c
}

// EncryptNewSession builds a New Session message to the ElGamal key peer:
// the ElGamal block holding key, a random pre-IV and random padding, then
// blk encrypted with key. rand (nil means crypto/rand.Reader) supplies the
// pre-IV, the padding and the ElGamal randomness, in that order. The AES
// block is padded to at least 128 bytes (i2np.rst, "Garlic"). It fails
// with ErrSize if the message would not fit a Garlic message, and with the
// crypto error for a bad peer key.
func EncryptNewSession(peer crypto.ElGamalPublicKey, key SessionKey, blk AESBlock, rand io.Reader) ([]byte, error) {
	if rand == nil {
		rand = crand.Reader
	}
	var elg [crypto.ElGamalPlaintextLen]byte
	copy(elg[:], key[:])
	if _, err := io.ReadFull(rand, elg[SessionKeyLen:]); err != nil {
		return nil, fmt.Errorf("garlic: pre-IV: %w", err)
	}
	ct, err := peer.Encrypt(rand, elg[:])
	if err != nil {
		return nil, fmt.Errorf("garlic: ElGamal block: %w", err)
	}
	out := make([]byte, 0, ElGamalBlockLen+blk.aesLen(elgMinSealedAES))
	out = append(out, ct[:]...)
	return elgSealAES(out, elgNewAES(key), elgIV(elg[SessionKeyLen:2*SessionKeyLen]), blk)
}

// DecryptNewSession opens a New Session message with the private key priv
// and returns the session key it carries and the AES block. It fails with
// ErrMalformed if msg is not 514 + 16n bytes (n ≥ 3), ErrAuth (wrapping
// crypto.ErrDecrypt) if the ElGamal block does not decrypt, and with
// ParseAESBlock's errors.
func DecryptNewSession(priv *crypto.ElGamalPrivateKey, msg []byte) (SessionKey, AESBlock, error) {
	var key SessionKey
	if len(msg) < ElGamalBlockLen+elgMinAESBlock || (len(msg)-ElGamalBlockLen)%aes.BlockSize != 0 {
		return key, AESBlock{}, fmt.Errorf("%w: %d bytes is not a New Session message", ErrMalformed, len(msg))
	}
	elg, err := priv.Decrypt(msg[:ElGamalBlockLen])
	if err != nil {
		return key, AESBlock{}, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	copy(key[:], elg[:])
	blk, err := elgOpenAES(elgNewAES(key), elgIV(elg[SessionKeyLen:2*SessionKeyLen]), msg[ElGamalBlockLen:])
	return key, blk, err
}

// EncryptExistingSession builds an Existing Session message: tag, then blk
// encrypted with key and IV = SHA-256(tag)[0:16]. The receiver must have
// been given tag for key, and tag must be used only once. It fails with
// ErrSize if the message would not fit a Garlic message.
func EncryptExistingSession(key SessionKey, tag SessionTag, blk AESBlock) ([]byte, error) {
	out := make([]byte, 0, SessionTagLen+blk.aesLen(elgMinSealedAES))
	out = append(out, tag[:]...)
	return elgSealAES(out, elgNewAES(key), elgIV(tag[:]), blk)
}

// DecryptExistingSession opens an Existing Session message (msg starts
// with the tag) once the caller has looked up key for its tag. It fails
// with ErrMalformed if msg is not 32 + 16n bytes (n ≥ 3), and with
// ParseAESBlock's errors (ErrAuth for a wrong key, almost always).
func DecryptExistingSession(key SessionKey, msg []byte) (AESBlock, error) {
	return elgDecryptExisting(elgNewAES(key), msg)
}

func elgDecryptExisting(c cipher.Block, msg []byte) (AESBlock, error) {
	if len(msg) < SessionTagLen+elgMinAESBlock || len(msg)%aes.BlockSize != 0 {
		return AESBlock{}, fmt.Errorf("%w: %d bytes is not an Existing Session message", ErrMalformed, len(msg))
	}
	return elgOpenAES(c, elgIV(msg[:SessionTagLen]), msg[SessionTagLen:])
}
