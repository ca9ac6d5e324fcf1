package ssu2

// Codecs for the relay blocks (ssu2.rst "RelayRequest", "RelayResponse",
// "RelayIntro"; types 7, 8, 9). Each type here is the block's data: the
// bytes after the 3-byte type and size header. The layouts and the signed
// data follow the spec as i2pd 2.45.1 puts them on the wire
// (SSU2Session::Introduce, HandleRelayRequest, HandleRelayIntro,
// HandleRelayResponse, CreateRelayResponseBlock):
//
//	RelayRequest  flag nonce(4) tag(4) ts(4) ver asz port(2) ip sig
//	RelayIntro    flag aliceHash(32) nonce(4) tag(4) ts(4) ver asz port(2) ip sig
//	RelayResponse flag code nonce(4) ts(4) ver csz [port(2) ip] [sig] [token(8), code 0 only]
//
// All integers are big endian, timestamps are Unix seconds. An endpoint is
// its size byte (6 for IPv4, 18 for IPv6, 0 for none in RelayResponse)
// followed by port and address. The signature fills the rest of the block
// (its length is that of the signer's signature type; Ed25519: 64 bytes),
// except for the 8-byte token at the end of an accepting RelayResponse.
//
// Parsing copies: the results never alias the input. Encoding is the exact
// inverse of parsing, so a parsed block forwarded with Append is unmodified
// (Bob forwards the signed parts as is). A v4-mapped IPv6 address read from
// an 18-byte endpoint stays 18 bytes when written again; callers building a
// block from a dual-stack socket's address should Unmap it first.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Errors of the relay and peer test codecs. Every parse error wraps
// ErrRelayBlock or ErrPeerTestBlock.
var (
	ErrRelayBlock    = errors.New("ssu2: malformed relay block")
	ErrPeerTestBlock = errors.New("ssu2: malformed peer test block")
	// ErrNoSignature is returned by Verify when the block carries none.
	ErrNoSignature = errors.New("ssu2: block has no signature")
)

// MaxRelaySignatureLen bounds the signature of a relay or peer test block
// (the longest I2P signature, RSA-4096, is 512 bytes; routers use Ed25519,
// 64 bytes). Longer trailing data is rejected.
const MaxRelaySignatureLen = 512

// The prologues of the signed data (16 bytes, not on the wire).
const (
	prologueRelayRequest  = "RelayRequestData"
	prologueRelayResponse = "RelayAgreementOK"
	prologuePeerTest      = "PeerTestValidate"
)

// RelayResponse codes (ssu2.rst "RelayResponse"): 0 accept, 1-63 Bob's
// rejections, 64-127 Charlie's, 128-255 unspecified source.
const (
	RelayAccept                  = 0
	RelayBobReject               = 1 // reason unspecified
	RelayBobCharlieBanned        = 2
	RelayBobLimitExceeded        = 3
	RelayBobSignatureFailure     = 4
	RelayBobRelayTagNotFound     = 5
	RelayBobAliceNotFound        = 6
	RelayCharlieReject           = 64 // reason unspecified
	RelayCharlieUnsupportedAddr  = 65
	RelayCharlieLimitExceeded    = 66
	RelayCharlieSignatureFailure = 67
	RelayCharlieAliceConnected   = 68
	RelayCharlieAliceBanned      = 69
	RelayCharlieAliceUnknown     = 70
	RelayReject                  = 128 // source and reason unspecified
)

// RelayRequest is the data of a RelayRequest block, Alice to Bob in
// session. Alice signs it (see SignedData) for Charlie, to whom Bob forwards
// it in a RelayIntro.
type RelayRequest struct {
	Flag      uint8 // unused, 0
	Nonce     uint32
	RelayTag  uint32         // the itag of Charlie's introducer entry
	Timestamp uint32         // Unix seconds
	Ver       uint8          // SSU version for the introduction, 2
	AddrPort  netip.AddrPort // Alice's endpoint (required)
	Signature []byte         // Alice's
}

// relayReqFixed is the length of nonce, tag, ts, ver and asz.
const relayReqFixed = 14

// ParseRelayRequest reads the data of a RelayRequest block.
func ParseRelayRequest(b []byte) (RelayRequest, error) {
	if len(b) < 1 {
		return RelayRequest{}, fmt.Errorf("%w: RelayRequest is empty", ErrRelayBlock)
	}
	r, err := parseRelayReqBody(b[1:], "RelayRequest")
	if err != nil {
		return RelayRequest{}, err
	}
	r.Flag = b[0]
	return r, nil
}

// parseRelayReqBody reads nonce through signature, shared with RelayIntro.
func parseRelayReqBody(b []byte, what string) (RelayRequest, error) {
	if len(b) < relayReqFixed {
		return RelayRequest{}, fmt.Errorf("%w: %s of %d bytes is too short", ErrRelayBlock, what, len(b))
	}
	r := RelayRequest{
		Nonce:     binary.BigEndian.Uint32(b),
		RelayTag:  binary.BigEndian.Uint32(b[4:]),
		Timestamp: binary.BigEndian.Uint32(b[8:]),
		Ver:       b[12],
	}
	ap, rest, err := parseEndpoint(b[13:], false)
	if err != nil {
		return RelayRequest{}, fmt.Errorf("%w: %s Alice endpoint: %v", ErrRelayBlock, what, err)
	}
	r.AddrPort = ap
	if r.Signature, err = takeSignature(rest, true); err != nil {
		return RelayRequest{}, fmt.Errorf("%w: %s: %v", ErrRelayBlock, what, err)
	}
	return r, nil
}

// Append appends the block data. An invalid AddrPort is written as size 0,
// which ParseRelayRequest rejects.
func (r RelayRequest) Append(b []byte) []byte {
	b = append(b, r.Flag)
	b = r.appendSigned(b)
	return append(b, r.Signature...)
}

// appendSigned appends nonce, tag, timestamp, ver, asz and Alice's endpoint:
// the part Alice signs, as on the wire.
func (r RelayRequest) appendSigned(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, r.Nonce)
	b = binary.BigEndian.AppendUint32(b, r.RelayTag)
	b = binary.BigEndian.AppendUint32(b, r.Timestamp)
	b = append(b, r.Ver)
	return appendEndpoint(b, r.AddrPort)
}

// SignedData returns what Alice signs and Charlie verifies:
// "RelayRequestData", Bob's router hash, Charlie's router hash, then nonce,
// relay tag, timestamp, ver, asz, Alice's port and IP as on the wire.
func (r RelayRequest) SignedData(bobHash, charlieHash [32]byte) []byte {
	b := make([]byte, 0, 16+64+relayReqFixed+18)
	b = append(b, prologueRelayRequest...)
	b = append(b, bobHash[:]...)
	b = append(b, charlieHash[:]...)
	return r.appendSigned(b)
}

// Sign sets r.Signature to sign(r.SignedData(bobHash, charlieHash)); sign
// is Alice's router signing key.
func (r *RelayRequest) Sign(bobHash, charlieHash [32]byte, sign func(msg []byte) ([]byte, error)) error {
	sig, err := signWith(sign, r.SignedData(bobHash, charlieHash))
	if err != nil {
		return err
	}
	r.Signature = sig
	return nil
}

// Verify checks the signature with verify, Alice's identity's (for a
// data.RouterIdentity id: id.Verify).
func (r RelayRequest) Verify(bobHash, charlieHash [32]byte, verify func(msg, sig []byte) error) error {
	return verifyWith(verify, r.SignedData(bobHash, charlieHash), r.Signature)
}

// Intro returns the RelayIntro Bob sends Charlie for r, received from Alice
// whose router hash is aliceHash: the signed part and signature unmodified.
func (r RelayRequest) Intro(aliceHash [32]byte) RelayIntro {
	return RelayIntro{
		AliceHash: aliceHash, Nonce: r.Nonce, RelayTag: r.RelayTag, Timestamp: r.Timestamp,
		Ver: r.Ver, AddrPort: r.AddrPort, Signature: r.Signature,
	}
}

// RelayIntro is the data of a RelayIntro block, Bob to Charlie in session:
// Alice's hash and her RelayRequest (after its flag) as Bob received it.
type RelayIntro struct {
	Flag      uint8 // unused, 0
	AliceHash [32]byte
	Nonce     uint32
	RelayTag  uint32
	Timestamp uint32
	Ver       uint8
	AddrPort  netip.AddrPort // Alice's endpoint
	Signature []byte         // Alice's
}

// ParseRelayIntro reads the data of a RelayIntro block.
func ParseRelayIntro(b []byte) (RelayIntro, error) {
	if len(b) < 33 {
		return RelayIntro{}, fmt.Errorf("%w: RelayIntro of %d bytes is too short", ErrRelayBlock, len(b))
	}
	r, err := parseRelayReqBody(b[33:], "RelayIntro")
	if err != nil {
		return RelayIntro{}, err
	}
	i := r.Intro([32]byte(b[1:33]))
	i.Flag = b[0]
	return i, nil
}

// Request returns the RelayRequest i carries (flag 0).
func (i RelayIntro) Request() RelayRequest {
	return RelayRequest{
		Nonce: i.Nonce, RelayTag: i.RelayTag, Timestamp: i.Timestamp,
		Ver: i.Ver, AddrPort: i.AddrPort, Signature: i.Signature,
	}
}

// Append appends the block data.
func (i RelayIntro) Append(b []byte) []byte {
	b = append(b, i.Flag)
	b = append(b, i.AliceHash[:]...)
	r := i.Request()
	b = r.appendSigned(b)
	return append(b, r.Signature...)
}

// SignedData is that of the RelayRequest (Bob's and Charlie's hashes; the
// Alice hash in the block is not signed).
func (i RelayIntro) SignedData(bobHash, charlieHash [32]byte) []byte {
	return i.Request().SignedData(bobHash, charlieHash)
}

// Verify checks Alice's signature, as Charlie does: verify is the identity
// of the router with hash i.AliceHash, bobHash the sender's, charlieHash
// ours.
func (i RelayIntro) Verify(bobHash, charlieHash [32]byte, verify func(msg, sig []byte) error) error {
	return i.Request().Verify(bobHash, charlieHash, verify)
}

// RelayResponse is the data of a RelayResponse block: Charlie to Bob and
// Bob to Alice in session, and Charlie to Alice in the HolePunch message.
//
// i2pd always writes the timestamp, ver, csz and a signature, also when
// rejecting (then csz is 0); the spec lets a rejection end after the nonce.
// Such a short block parses to zero Timestamp, Ver and Signature and an
// invalid AddrPort, and Append writes a rejection with exactly those values
// short again.
type RelayResponse struct {
	Flag      uint8 // unused, 0
	Code      uint8 // RelayAccept, or a rejection
	Nonce     uint32
	Timestamp uint32         // Unix seconds
	Ver       uint8          // 2
	AddrPort  netip.AddrPort // Charlie's endpoint; required when accepted, may be invalid (csz 0) in a rejection
	Signature []byte         // Charlie's (code 0 or >= 64) or Bob's (1-63); required when accepted
	Token     uint64         // for Alice's SessionRequest to Charlie; code 0 only
}

// SignedByCharlie reports whether Charlie signs r (accept or a code >= 64),
// rather than Bob (1-63). i2pd uses this rule.
func (r RelayResponse) SignedByCharlie() bool { return r.Code == RelayAccept || r.Code >= 64 }

func (r RelayResponse) short() bool {
	return r.Code != RelayAccept && r.Timestamp == 0 && r.Ver == 0 && !r.AddrPort.IsValid() && len(r.Signature) == 0
}

// ParseRelayResponse reads the data of a RelayResponse block.
func ParseRelayResponse(b []byte) (RelayResponse, error) {
	if len(b) < 6 {
		return RelayResponse{}, fmt.Errorf("%w: RelayResponse of %d bytes is too short", ErrRelayBlock, len(b))
	}
	r := RelayResponse{Flag: b[0], Code: b[1], Nonce: binary.BigEndian.Uint32(b[2:])}
	accept := r.Code == RelayAccept
	if len(b) == 6 && !accept {
		return r, nil // rejection without the optional part
	}
	if len(b) < 12 {
		return RelayResponse{}, fmt.Errorf("%w: RelayResponse of %d bytes is too short", ErrRelayBlock, len(b))
	}
	r.Timestamp = binary.BigEndian.Uint32(b[6:])
	r.Ver = b[10]
	ap, rest, err := parseEndpoint(b[11:], !accept)
	if err != nil {
		return RelayResponse{}, fmt.Errorf("%w: RelayResponse Charlie endpoint: %v", ErrRelayBlock, err)
	}
	r.AddrPort = ap
	if accept {
		if len(rest) < 8 {
			return RelayResponse{}, fmt.Errorf("%w: accepting RelayResponse has no token", ErrRelayBlock)
		}
		r.Token = binary.BigEndian.Uint64(rest[len(rest)-8:])
		rest = rest[:len(rest)-8]
	}
	if r.Signature, err = takeSignature(rest, accept); err != nil {
		return RelayResponse{}, fmt.Errorf("%w: RelayResponse: %v", ErrRelayBlock, err)
	}
	return r, nil
}

// Append appends the block data. The token is written only when accepted.
func (r RelayResponse) Append(b []byte) []byte {
	b = append(b, r.Flag, r.Code)
	if r.short() {
		return binary.BigEndian.AppendUint32(b, r.Nonce)
	}
	b = r.appendSigned(b)
	b = append(b, r.Signature...)
	if r.Code == RelayAccept {
		// The token's 8 bytes are opaque to i2pd (it copies them in host
		// order both here and in the SessionRequest header); read and
		// written big endian like the header's token, so the same bytes
		// go back to Charlie.
		b = binary.BigEndian.AppendUint64(b, r.Token)
	}
	return b
}

// appendSigned appends nonce, timestamp, ver, csz and Charlie's endpoint.
func (r RelayResponse) appendSigned(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, r.Nonce)
	b = binary.BigEndian.AppendUint32(b, r.Timestamp)
	b = append(b, r.Ver)
	return appendEndpoint(b, r.AddrPort)
}

// SignedData returns what the signer (see SignedByCharlie) signs and Alice
// verifies: "RelayAgreementOK", Bob's router hash (also when Bob signs),
// then nonce, timestamp, ver, csz and Charlie's port and IP (none when csz
// is 0) as on the wire. The token is not signed.
func (r RelayResponse) SignedData(bobHash [32]byte) []byte {
	b := make([]byte, 0, 16+32+10+18)
	b = append(b, prologueRelayResponse...)
	b = append(b, bobHash[:]...)
	return r.appendSigned(b)
}

// Sign sets r.Signature to sign(r.SignedData(bobHash)).
func (r *RelayResponse) Sign(bobHash [32]byte, sign func(msg []byte) ([]byte, error)) error {
	sig, err := signWith(sign, r.SignedData(bobHash))
	if err != nil {
		return err
	}
	r.Signature = sig
	return nil
}

// Verify checks the signature with verify, the signer's identity's.
func (r RelayResponse) Verify(bobHash [32]byte, verify func(msg, sig []byte) error) error {
	return verifyWith(verify, r.SignedData(bobHash), r.Signature)
}

// appendEndpoint appends size, port and IP: size 6 for an IPv4 address, 18
// for IPv6 (a v4-mapped address included), 0 and nothing else for an
// invalid AddrPort. Zones are dropped.
func appendEndpoint(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr()
	switch {
	case a.Is4():
		ip := a.As4()
		b = append(b, 6)
		b = binary.BigEndian.AppendUint16(b, ap.Port())
		return append(b, ip[:]...)
	case a.Is6():
		ip := a.As16()
		b = append(b, 18)
		b = binary.BigEndian.AppendUint16(b, ap.Port())
		return append(b, ip[:]...)
	default:
		return append(b, 0)
	}
}

// parseEndpoint reads the size byte and the endpoint after it and returns
// the rest. Size 0 (no endpoint, an invalid AddrPort) is allowed only if
// allowNone.
func parseEndpoint(b []byte, allowNone bool) (netip.AddrPort, []byte, error) {
	if len(b) < 1 {
		return netip.AddrPort{}, nil, errors.New("no size")
	}
	n := int(b[0])
	b = b[1:]
	switch n {
	case 0:
		if !allowNone {
			return netip.AddrPort{}, nil, errors.New("size 0")
		}
		return netip.AddrPort{}, b, nil
	case 6, 18:
	default:
		return netip.AddrPort{}, nil, fmt.Errorf("size %d, want 6 or 18", n)
	}
	if len(b) < n {
		return netip.AddrPort{}, nil, fmt.Errorf("size %d, %d bytes left", n, len(b))
	}
	var a netip.Addr
	if n == 6 {
		a = netip.AddrFrom4([4]byte(b[2:6]))
	} else {
		a = netip.AddrFrom16([16]byte(b[2:18]))
	}
	return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b)), b[n:], nil
}

// takeSignature copies the trailing signature.
func takeSignature(b []byte, required bool) ([]byte, error) {
	switch {
	case len(b) == 0 && required:
		return nil, errors.New("no signature")
	case len(b) == 0:
		return nil, nil
	case len(b) > MaxRelaySignatureLen:
		return nil, fmt.Errorf("signature of %d bytes, at most %d", len(b), MaxRelaySignatureLen)
	}
	return append([]byte(nil), b...), nil
}

func signWith(sign func([]byte) ([]byte, error), msg []byte) ([]byte, error) {
	sig, err := sign(msg)
	if err != nil {
		return nil, err
	}
	if len(sig) == 0 || len(sig) > MaxRelaySignatureLen {
		return nil, fmt.Errorf("ssu2: signer returned %d bytes", len(sig))
	}
	return append([]byte(nil), sig...), nil
}

func verifyWith(verify func(msg, sig []byte) error, msg, sig []byte) error {
	if len(sig) == 0 {
		return ErrNoSignature
	}
	return verify(msg, sig)
}
