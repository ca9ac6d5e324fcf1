package ntcp2

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

const protocolName = "Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256"

// Handshake limits.
const (
	msg12Max      = 287           // i2pd 2.45.1: NTCP2_SESSION_REQUEST/CREATED_MAX_SIZE
	maxPadding12  = msg12Max - 64 // cleartext padding of messages 1 and 2
	m3p2Max       = 65535 - 48
	maxRouterInfo = 65535 - 48 - 16 - 4
)

// Handshake errors that callers and tests branch on.
var (
	ErrWrongNetID   = errors.New("ntcp2: wrong network ID")
	ErrClockSkew    = errors.New("ntcp2: clock skew")
	ErrReplay       = errors.New("ntcp2: replayed SessionRequest")
	ErrAEAD         = errors.New("ntcp2: AEAD failure in handshake")
	ErrBadVersion   = errors.New("ntcp2: unsupported version")
	ErrBadOptions   = errors.New("ntcp2: bad options block")
	ErrBadKey       = errors.New("ntcp2: invalid X25519 key")
	ErrRouterInfo   = errors.New("ntcp2: bad RouterInfo in SessionConfirmed")
	ErrMessage3     = errors.New("ntcp2: bad SessionConfirmed")
	ErrSelf         = errors.New("ntcp2: connection to ourselves")
	ErrClosed       = errors.New("ntcp2: transport closed")
	ErrQueueFull    = errors.New("ntcp2: send queue full")
	ErrNoSession    = errors.New("ntcp2: no session with peer")
	ErrSessionLimit = errors.New("ntcp2: session limit reached")
)

// Peer names a remote router for an outbound connection: its ident hash and
// the "s" and "i" options of its published NTCP2 address.
type Peer struct {
	Hash   [32]byte
	Static [32]byte
	IV     [16]byte
}

// handshakeResult is what a completed handshake yields.
type handshakeResult struct {
	remote     [32]byte // router ident hash
	remoteRI   []byte   // Bob: Alice's RouterInfo from message 3
	send, recv frameCipher
	skew       time.Duration // peer clock minus ours, as seen in the handshake
}

func nowSeconds(t time.Time) uint32 { return uint32((t.UnixMilli() + 500) / 1000) }

func aesCBC(key []byte, iv []byte, dst, src []byte, encrypt bool) {
	blk, _ := aes.NewCipher(key) // key is always 32 bytes
	if encrypt {
		cipher.NewCBCEncrypter(blk, iv).CryptBlocks(dst, src)
	} else {
		cipher.NewCBCDecrypter(blk, iv).CryptBlocks(dst, src)
	}
}

func randomPadding(max int) []byte {
	if max <= 0 {
		return nil
	}
	p := make([]byte, mrand.IntN(max+1))
	rand.Read(p)
	return p
}

func dh(priv *ecdh.PrivateKey, pub []byte) ([]byte, error) {
	pk, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, ErrBadKey
	}
	s, err := priv.ECDH(pk) // fails on low-order points (all-zero output)
	if err != nil {
		return nil, ErrBadKey
	}
	return s, nil
}

func checkSkew(peerTS uint32, now time.Time, max time.Duration) (time.Duration, error) {
	skew := time.Duration(int64(peerTS)-int64(nowSeconds(now))) * time.Second
	if skew > max || skew < -max {
		return skew, fmt.Errorf("%w: peer clock is %v off", ErrClockSkew, skew)
	}
	return skew, nil
}

// clientHandshake runs Alice's side on c. ri is our RouterInfo.
func (t *Transport) clientHandshake(c net.Conn, peer Peer) (*handshakeResult, error) {
	cfg := &t.cfg
	e, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	esShared, err := dh(e, peer.Static[:])
	if err != nil {
		return nil, fmt.Errorf("%w: peer static key", err)
	}
	var ss noise.SymmetricState
	ss.Init(protocolName)
	ss.MixHash(nil)
	ss.MixHash(peer.Static[:])

	// Message 1.
	msg1 := make([]byte, 32, msg12Max)
	aesCBC(peer.Hash[:], peer.IV[:], msg1[:32], e.PublicKey().Bytes(), true)
	var cbcState [16]byte
	copy(cbcState[:], msg1[16:32])
	ss.MixHash(e.PublicKey().Bytes())
	ss.MixKey(esShared)

	ri := cfg.RouterInfo()
	if len(ri) > maxRouterInfo {
		return nil, fmt.Errorf("ntcp2: our RouterInfo is %d bytes", len(ri))
	}
	m3pad := randomPadding(16)
	m3p2Plain := make([]byte, 0, 4+len(ri)+3+len(m3pad))
	m3p2Plain = append(m3p2Plain, byte(BlockRouterInfo), byte((len(ri)+1)>>8), byte(len(ri)+1), cfg.RouterInfoFlag)
	m3p2Plain = append(m3p2Plain, ri...)
	m3p2Plain, _ = AppendBlock(m3p2Plain, BlockPadding, m3pad)
	m3p2Len := len(m3p2Plain) + noise.Overhead

	pad1 := randomPadding(cfg.maxPadding())
	var opts [16]byte
	opts[0] = cfg.NetID
	opts[1] = 2
	binary.BigEndian.PutUint16(opts[2:], uint16(len(pad1)))
	binary.BigEndian.PutUint16(opts[4:], uint16(m3p2Len))
	binary.BigEndian.PutUint32(opts[8:], nowSeconds(cfg.now()))
	msg1, err = ss.EncryptAndHash(msg1, opts[:])
	if err != nil {
		return nil, err
	}
	msg1 = append(msg1, pad1...)
	if len(pad1) > 0 {
		ss.MixHash(pad1)
	}
	if _, err := c.Write(msg1); err != nil {
		return nil, fmt.Errorf("ntcp2: send SessionRequest: %w", err)
	}

	// Message 2.
	var msg2 [64]byte
	if _, err := io.ReadFull(c, msg2[:]); err != nil {
		return nil, fmt.Errorf("ntcp2: read SessionCreated: %w", err)
	}
	var y [32]byte
	aesCBC(peer.Hash[:], cbcState[:], y[:], msg2[:32], false)
	ss.MixHash(y[:])
	eeShared, err := dh(e, y[:])
	if err != nil {
		return nil, fmt.Errorf("%w: SessionCreated Y", err)
	}
	ss.MixKey(eeShared)
	opts2, err := ss.DecryptAndHash(nil, msg2[32:64])
	if err != nil {
		return nil, fmt.Errorf("%w: SessionCreated", ErrAEAD)
	}
	skew, err := checkSkew(binary.BigEndian.Uint32(opts2[8:]), cfg.now(), cfg.maxSkew())
	if err != nil {
		return &handshakeResult{skew: skew}, err
	}
	padLen := int(binary.BigEndian.Uint16(opts2[2:]))
	if padLen > maxPadding12 {
		return nil, fmt.Errorf("%w: SessionCreated padding %d", ErrBadOptions, padLen)
	}
	if padLen > 0 {
		pad2 := make([]byte, padLen)
		if _, err := io.ReadFull(c, pad2); err != nil {
			return nil, fmt.Errorf("ntcp2: read SessionCreated padding: %w", err)
		}
		ss.MixHash(pad2)
	}

	// Message 3.
	msg3, err := ss.EncryptAndHash(make([]byte, 0, 48+m3p2Len), cfg.Static.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	seShared, err := dh(cfg.Static, y[:])
	if err != nil {
		return nil, err
	}
	ss.MixKey(seShared)
	msg3, err = ss.EncryptAndHash(msg3, m3p2Plain)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write(msg3); err != nil {
		return nil, fmt.Errorf("ntcp2: send SessionConfirmed: %w", err)
	}
	ab, ba := dataKeys(ss.ChainingKey(), ss.Hash())
	return &handshakeResult{remote: peer.Hash, send: ab, recv: ba, skew: skew}, nil
}

// serverHandshake runs Bob's side on c. On failure it may have sent a
// SessionCreated (clock skew) or a termination (bad RouterInfo).
func (t *Transport) serverHandshake(c net.Conn) (*handshakeResult, error) {
	cfg := &t.cfg
	var msg1 [64]byte
	if _, err := io.ReadFull(c, msg1[:]); err != nil {
		return nil, fmt.Errorf("ntcp2: read SessionRequest: %w", err)
	}
	var x [32]byte
	aesCBC(cfg.RouterHash[:], cfg.IV[:], x[:], msg1[:32], false)
	var cbcState [16]byte
	copy(cbcState[:], msg1[16:32])

	var ss noise.SymmetricState
	ss.Init(protocolName)
	ss.MixHash(nil)
	ss.MixHash(cfg.Static.PublicKey().Bytes())
	ss.MixHash(x[:])
	esShared, err := dh(cfg.Static, x[:])
	if err != nil {
		t.probeResist(c)
		return nil, fmt.Errorf("%w: SessionRequest X", err)
	}
	ss.MixKey(esShared)
	opts, err := ss.DecryptAndHash(nil, msg1[32:64])
	if err != nil {
		t.probeResist(c)
		return nil, fmt.Errorf("%w: SessionRequest", ErrAEAD)
	}
	if opts[0] != 0 && opts[0] != cfg.NetID {
		return nil, fmt.Errorf("%w: SessionRequest has %d, we are %d", ErrWrongNetID, opts[0], cfg.NetID)
	}
	if opts[1] != 2 {
		return nil, fmt.Errorf("%w: SessionRequest version %d", ErrBadVersion, opts[1])
	}
	padLen := int(binary.BigEndian.Uint16(opts[2:]))
	m3p2Len := int(binary.BigEndian.Uint16(opts[4:]))
	if padLen > maxPadding12 {
		return nil, fmt.Errorf("%w: SessionRequest padding %d", ErrBadOptions, padLen)
	}
	if m3p2Len < noise.Overhead+4 || m3p2Len > m3p2Max {
		return nil, fmt.Errorf("%w: m3p2len %d", ErrBadOptions, m3p2Len)
	}
	if t.replay.Seen(x, cfg.now()) {
		return nil, ErrReplay
	}
	_, skewErr := checkSkew(binary.BigEndian.Uint32(opts[8:]), cfg.now(), cfg.maxSkew())
	if padLen > 0 {
		pad := make([]byte, padLen)
		if _, err := io.ReadFull(c, pad); err != nil {
			return nil, fmt.Errorf("ntcp2: read SessionRequest padding: %w", err)
		}
		ss.MixHash(pad)
	}

	// Message 2. Sent even on clock skew, so that Alice learns our time
	// (ntcp2.rst, "Clock Skew Guidelines"); then we close.
	e, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	msg2 := make([]byte, 32, msg12Max)
	aesCBC(cfg.RouterHash[:], cbcState[:], msg2[:32], e.PublicKey().Bytes(), true)
	ss.MixHash(e.PublicKey().Bytes())
	eeShared, err := dh(e, x[:])
	if err != nil {
		return nil, err
	}
	ss.MixKey(eeShared)
	pad2 := randomPadding(cfg.maxPadding())
	var opts2 [16]byte
	binary.BigEndian.PutUint16(opts2[2:], uint16(len(pad2)))
	binary.BigEndian.PutUint32(opts2[8:], nowSeconds(cfg.now()))
	msg2, err = ss.EncryptAndHash(msg2, opts2[:])
	if err != nil {
		return nil, err
	}
	msg2 = append(msg2, pad2...)
	if len(pad2) > 0 {
		ss.MixHash(pad2)
	}
	_, err = c.Write(msg2)
	if skewErr != nil {
		return nil, fmt.Errorf("SessionRequest: %w", skewErr)
	}
	if err != nil {
		return nil, fmt.Errorf("ntcp2: send SessionCreated: %w", err)
	}

	// Message 3.
	msg3 := make([]byte, 48+m3p2Len)
	if _, err := io.ReadFull(c, msg3); err != nil {
		return nil, fmt.Errorf("ntcp2: read SessionConfirmed: %w", err)
	}
	sPub, err := ss.DecryptAndHash(nil, msg3[:48])
	if err != nil {
		return nil, fmt.Errorf("%w: SessionConfirmed part 1", ErrAEAD)
	}
	seShared, err := dh(e, sPub)
	if err != nil {
		return nil, fmt.Errorf("%w: SessionConfirmed static key", err)
	}
	ss.MixKey(seShared)
	payload, err := ss.DecryptAndHash(nil, msg3[48:])
	if err != nil {
		return nil, fmt.Errorf("%w: SessionConfirmed part 2", ErrAEAD)
	}
	ab, ba := dataKeys(ss.ChainingKey(), ss.Hash())
	res := &handshakeResult{send: ba, recv: ab}
	blocks, err := ParseBlocks(payload)
	if err != nil || len(blocks) == 0 || blocks[0].Type != BlockRouterInfo {
		t.terminateHandshake(c, res, ReasonMessage3Error)
		return nil, fmt.Errorf("%w: first block must be RouterInfo (%v)", ErrMessage3, err)
	}
	for _, b := range blocks[1:] {
		if b.Type != BlockOptions && b.Type != BlockPadding {
			t.terminateHandshake(c, res, ReasonMessage3Error)
			return nil, fmt.Errorf("%w: %v block not allowed", ErrMessage3, b.Type)
		}
	}
	riBytes := blocks[0].Data[1:]
	remote, err := cfg.CheckRouterInfo(riBytes, sPub)
	if err != nil {
		reason := uint8(ReasonRISignatureFail)
		var se *StaticKeyError
		if errors.As(err, &se) {
			reason = ReasonBadStaticKey
		}
		t.terminateHandshake(c, res, reason)
		return nil, fmt.Errorf("%w: %w", ErrRouterInfo, err)
	}
	if remote == cfg.RouterHash {
		t.terminateHandshake(c, res, ReasonNormal)
		return nil, ErrSelf
	}
	res.remote = remote
	res.remoteRI = append([]byte(nil), riBytes...)
	return res, nil
}

// StaticKeyError is returned by a RouterInfo check when the RouterInfo has
// no NTCP2 address whose "s" is the key the peer proved in the handshake.
type StaticKeyError struct{ Msg string }

func (e *StaticKeyError) Error() string { return "ntcp2: " + e.Msg }

// terminateHandshake sends a termination frame with the fresh data-phase
// keys (as i2pd does after a bad message 3) and does not wait for it.
func (t *Transport) terminateHandshake(c net.Conn, res *handshakeResult, reason uint8) {
	p := appendTermination(nil, 0, reason)
	if f, err := res.send.seal(nil, p); err == nil {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.Write(f)
	}
}

// probeResist implements the probing resistance of ntcp2.rst ("AEAD Error
// Handling"): after a message 1 failure, wait a random time while reading
// a random number of bytes, then close with a TCP RST, so that a prober
// cannot tell an NTCP2 listener from a port that ignores it.
func (t *Transport) probeResist(c net.Conn) {
	lo, hi := t.cfg.ProbeDelayMin, t.cfg.ProbeDelayMax
	if hi <= 0 {
		lo, hi = 2*time.Second, 10*time.Second
	}
	d := lo
	if hi > lo {
		d += time.Duration(mrand.Int64N(int64(hi - lo)))
	}
	c.SetReadDeadline(time.Now().Add(d))
	io.CopyN(io.Discard, c, 64+mrand.Int64N(4096))
	if tc, ok := c.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0)
	}
}
