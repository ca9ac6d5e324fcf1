package ssu2

// Codec for the PeerTest block (ssu2.rst "PeerTest", type 10), the block's
// data after the 3-byte header, as i2pd 2.45.1 writes it
// (SSU2Session::CreatePeerTestBlock, HandlePeerTest):
//
//	msg code flag [hash(32), messages 2 and 4 only] ver nonce(4) ts(4) asz port(2) ip [sig]
//
// The part from ver to Alice's IP is signed; Bob forwards it and the
// signature unmodified (message 1 as 2, 3 as 4), and Charlie and Alice
// copy a received one into messages 5, 6 and 7. See relaymsg.go for the
// shared conventions (big endian, seconds, endpoint sizes, copying).

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// PeerTest codes (ssu2.rst "PeerTest"): 0 accept, 1-63 Bob's rejections,
// 64-127 Charlie's, 128-255 unspecified; rejections only in messages 3, 4.
const (
	PeerTestAccept                  = 0
	PeerTestBobReject               = 1 // reason unspecified
	PeerTestBobNoCharlie            = 2
	PeerTestBobLimitExceeded        = 3
	PeerTestBobSignatureFailure     = 4
	PeerTestBobUnsupportedAddr      = 5
	PeerTestCharlieReject           = 64 // reason unspecified
	PeerTestCharlieUnsupportedAddr  = 65
	PeerTestCharlieLimitExceeded    = 66
	PeerTestCharlieSignatureFailure = 67
	PeerTestCharlieAliceConnected   = 68
	PeerTestCharlieAliceBanned      = 69
	PeerTestCharlieAliceUnknown     = 70
	PeerTestReject                  = 128 // source and reason unspecified
)

// PeerTest is the data of a PeerTest block: messages 1-4 in session (Data),
// 5-7 out of session (the Peer Test message).
//
// Who signed it: Alice in messages 1 and 2; Charlie in 3 and 4 (also when
// Charlie rejects; when Bob rejects, i2pd's message 4 carries a zero hash
// and Alice's message 1 data and signature). i2pd puts Charlie's signed
// data from message 3 into message 5, and that of message 4 (Charlie's)
// into 6, and 6's into 7; the spec also allows Alice's data in 6, and no
// signature at all in 5-7.
type PeerTest struct {
	Msg       uint8    // 1-7
	Code      uint8    // PeerTestAccept, or a rejection in messages 3 and 4
	Flag      uint8    // unused, 0
	Hash      [32]byte // messages 2 (Alice's) and 4 (Charlie's, zero if Bob rejected) only
	Ver       uint8    // 2
	Nonce     uint32
	Timestamp uint32         // Unix seconds
	AddrPort  netip.AddrPort // Alice's endpoint (required)
	Signature []byte         // required in messages 1-4, optional in 5-7
}

// peerTestHasHash reports whether message msg carries the router hash.
func peerTestHasHash(msg uint8) bool { return msg == 2 || msg == 4 }

// peerTestFixed is the length of ver, nonce, ts and asz.
const peerTestFixed = 10

// ParsePeerTest reads the data of a PeerTest block.
func ParsePeerTest(b []byte) (PeerTest, error) {
	if len(b) < 3 {
		return PeerTest{}, fmt.Errorf("%w: %d bytes is too short", ErrPeerTestBlock, len(b))
	}
	p := PeerTest{Msg: b[0], Code: b[1], Flag: b[2]}
	if p.Msg < 1 || p.Msg > 7 {
		return PeerTest{}, fmt.Errorf("%w: message number %d", ErrPeerTestBlock, p.Msg)
	}
	b = b[3:]
	if peerTestHasHash(p.Msg) {
		if len(b) < 32 {
			return PeerTest{}, fmt.Errorf("%w: message %d has no room for the router hash", ErrPeerTestBlock, p.Msg)
		}
		p.Hash = [32]byte(b[:32])
		b = b[32:]
	}
	if len(b) < peerTestFixed {
		return PeerTest{}, fmt.Errorf("%w: message %d: signed part of %d bytes is too short", ErrPeerTestBlock, p.Msg, len(b))
	}
	p.Ver = b[0]
	p.Nonce = binary.BigEndian.Uint32(b[1:])
	p.Timestamp = binary.BigEndian.Uint32(b[5:])
	ap, rest, err := parseEndpoint(b[9:], false)
	if err != nil {
		return PeerTest{}, fmt.Errorf("%w: message %d Alice endpoint: %v", ErrPeerTestBlock, p.Msg, err)
	}
	p.AddrPort = ap
	if p.Signature, err = takeSignature(rest, p.Msg <= 4); err != nil {
		return PeerTest{}, fmt.Errorf("%w: message %d: %v", ErrPeerTestBlock, p.Msg, err)
	}
	return p, nil
}

// Append appends the block data. Hash is written for messages 2 and 4
// only. An invalid AddrPort is written as size 0, which ParsePeerTest
// rejects.
func (p PeerTest) Append(b []byte) []byte {
	b = append(b, p.Msg, p.Code, p.Flag)
	if peerTestHasHash(p.Msg) {
		b = append(b, p.Hash[:]...)
	}
	b = p.appendSigned(b)
	return append(b, p.Signature...)
}

// appendSigned appends ver, nonce, timestamp, asz and Alice's endpoint.
func (p PeerTest) appendSigned(b []byte) []byte {
	b = append(b, p.Ver)
	b = binary.BigEndian.AppendUint32(b, p.Nonce)
	b = binary.BigEndian.AppendUint32(b, p.Timestamp)
	return appendEndpoint(b, p.AddrPort)
}

// SignedData returns the signed data: "PeerTestValidate", Bob's router
// hash, then, for Charlie's signature (messages 3 and 4; aliceHash not
// nil), Alice's router hash, then ver, nonce, timestamp, asz and Alice's
// port and IP as on the wire. For Alice's signature (messages 1 and 2)
// aliceHash is nil. The hash in the block is never signed.
func (p PeerTest) SignedData(bobHash [32]byte, aliceHash *[32]byte) []byte {
	b := make([]byte, 0, 16+64+peerTestFixed+18)
	b = append(b, prologuePeerTest...)
	b = append(b, bobHash[:]...)
	if aliceHash != nil {
		b = append(b, aliceHash[:]...)
	}
	return p.appendSigned(b)
}

// Sign sets p.Signature to sign(p.SignedData(bobHash, aliceHash)): Alice
// signs message 1 with aliceHash nil, Charlie message 3 with Alice's hash.
func (p *PeerTest) Sign(bobHash [32]byte, aliceHash *[32]byte, sign func(msg []byte) ([]byte, error)) error {
	sig, err := signWith(sign, p.SignedData(bobHash, aliceHash))
	if err != nil {
		return err
	}
	p.Signature = sig
	return nil
}

// Verify checks the signature with verify, the signer's identity's: Charlie
// verifies message 2 with Alice's identity and aliceHash nil; Alice
// verifies message 4 with Charlie's (the router with hash p.Hash) and her
// own hash as aliceHash.
func (p PeerTest) Verify(bobHash [32]byte, aliceHash *[32]byte, verify func(msg, sig []byte) error) error {
	return verifyWith(verify, p.SignedData(bobHash, aliceHash), p.Signature)
}
