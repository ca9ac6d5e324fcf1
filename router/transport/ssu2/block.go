package ssu2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Block types (ssu2.rst, "Payload Format").
const (
	blkDateTime        = 0
	blkOptions         = 1
	blkRouterInfo      = 2
	blkI2NP            = 3
	blkFirstFragment   = 4
	blkFollowOn        = 5
	blkTermination     = 6
	blkRelayRequest    = 7
	blkRelayResponse   = 8
	blkRelayIntro      = 9
	blkPeerTest        = 10
	blkNextNonce       = 11
	blkAck             = 12
	blkAddress         = 13
	blkRelayTagRequest = 15
	blkRelayTag        = 16
	blkNewToken        = 17
	blkPathChallenge   = 18
	blkPathResponse    = 19
	blkFirstPacketNum  = 20
	blkCongestion      = 21
	blkPadding         = 254
)

// Termination reasons (ssu2.rst, "Termination").
const (
	ReasonNormal           = 0
	ReasonTermReceived     = 1
	ReasonIdle             = 2
	ReasonShutdown         = 3
	ReasonAEAD             = 4
	ReasonClockSkew        = 7
	ReasonPayloadFormat    = 10
	ReasonSessionRequest   = 11
	ReasonSessionCreated   = 12
	ReasonSessionConfirmed = 13
	ReasonTimeout          = 14
	ReasonRISignature      = 15
	ReasonBadStatic        = 16
	ReasonBanned           = 17
	ReasonBadToken         = 18
	ReasonLimits           = 19
	ReasonVersion          = 20
	ReasonNetID            = 21
	ReasonReplaced         = 22
)

var ErrBlock = errors.New("ssu2: malformed block")

// block is one parsed block; data aliases the payload.
type block struct {
	typ  uint8
	data []byte
}

// parseBlocks splits a decrypted payload into blocks, checking the
// ordering rules: padding last and once, termination last but padding.
// Unknown types are kept (callers ignore them).
func parseBlocks(p []byte, dst []block) ([]block, error) {
	dst = dst[:0]
	sawPadding, sawTerm := false, false
	for len(p) > 0 {
		if len(p) < 3 {
			return nil, fmt.Errorf("%w: %d trailing bytes", ErrBlock, len(p))
		}
		t, n := p[0], int(binary.BigEndian.Uint16(p[1:]))
		if n > len(p)-3 {
			return nil, fmt.Errorf("%w: type %d claims %d bytes, %d left", ErrBlock, t, n, len(p)-3)
		}
		if sawPadding {
			return nil, fmt.Errorf("%w: block %d after padding", ErrBlock, t)
		}
		if sawTerm && t != blkPadding {
			return nil, fmt.Errorf("%w: block %d after termination", ErrBlock, t)
		}
		switch t {
		case blkPadding:
			sawPadding = true
		case blkTermination:
			sawTerm = true
		}
		dst = append(dst, block{typ: t, data: p[3 : 3+n]})
		p = p[3+n:]
	}
	return dst, nil
}

func appendBlockHeader(b []byte, t uint8, n int) []byte {
	return append(b, t, byte(n>>8), byte(n))
}

func appendBlock(b []byte, t uint8, d []byte) []byte {
	return append(appendBlockHeader(b, t, len(d)), d...)
}

func appendDateTime(b []byte, secs uint32) []byte {
	b = appendBlockHeader(b, blkDateTime, 4)
	return binary.BigEndian.AppendUint32(b, secs)
}

func appendPadding(b []byte, n int) []byte {
	b = appendBlockHeader(b, blkPadding, n)
	start := len(b)
	b = append(b, make([]byte, n)...)
	randRead(b[start:])
	return b
}

// appendAddress writes an Address block (port, then 4 or 16 address bytes).
func appendAddress(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	ip := a.AsSlice()
	b = appendBlockHeader(b, blkAddress, 2+len(ip))
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	return append(b, ip...)
}

func parseAddress(d []byte) (netip.AddrPort, error) {
	if len(d) != 6 && len(d) != 18 {
		return netip.AddrPort{}, fmt.Errorf("%w: address of %d bytes", ErrBlock, len(d))
	}
	a, _ := netip.AddrFromSlice(d[2:])
	return netip.AddrPortFrom(a, binary.BigEndian.Uint16(d)), nil
}

func appendTermination(b []byte, received uint64, reason uint8) []byte {
	b = appendBlockHeader(b, blkTermination, 9)
	b = binary.BigEndian.AppendUint64(b, received)
	return append(b, reason)
}

// TerminationError is a session ended by a Termination block, sent or
// received.
type TerminationError struct {
	Reason   uint8
	Received bool // the peer sent it
}

func (e *TerminationError) Error() string {
	who := "we terminated"
	if e.Received {
		who = "peer terminated"
	}
	return fmt.Sprintf("ssu2: %s: %s (%d)", who, reasonName(e.Reason), e.Reason)
}

func reasonName(r uint8) string {
	names := [...]string{"normal", "termination received", "idle timeout", "router shutdown",
		"data phase AEAD failure", "incompatible options", "incompatible signature type", "clock skew",
		"padding violation", "AEAD framing error", "payload format error", "SessionRequest error",
		"SessionCreated error", "SessionConfirmed error", "timeout", "RouterInfo signature",
		"bad static key", "banned", "bad token", "connection limits", "incompatible version",
		"wrong net ID", "replaced by new session"}
	if int(r) < len(names) {
		return names[r]
	}
	return "unknown"
}

func parseTermination(d []byte) (*TerminationError, error) {
	if len(d) < 9 {
		return nil, fmt.Errorf("%w: termination of %d bytes", ErrBlock, len(d))
	}
	return &TerminationError{Reason: d[8], Received: true}, nil
}

// appendRouterInfoBlock writes a RouterInfo block (never fragmented: frag
// byte 0x01). flag bit 0 asks for flooding, bit 1 says gzip.
func appendRouterInfoBlock(b []byte, flag byte, ri []byte) []byte {
	b = appendBlockHeader(b, blkRouterInfo, 2+len(ri))
	b = append(b, flag, 0x01)
	return append(b, ri...)
}

func appendNewToken(b []byte, expires uint32, token uint64) []byte {
	b = appendBlockHeader(b, blkNewToken, 12)
	b = binary.BigEndian.AppendUint32(b, expires)
	return binary.BigEndian.AppendUint64(b, token)
}

func appendRelayTag(b []byte, tag uint32) []byte {
	b = appendBlockHeader(b, blkRelayTag, 4)
	return binary.BigEndian.AppendUint32(b, tag)
}

// appendI2NPBlock writes an I2NP block (type 3) from a short-header
// message (9-byte header + body).
func appendI2NPBlock(b []byte, msg []byte) []byte {
	return appendBlock(b, blkI2NP, msg)
}

// appendFirstFragment writes the first len(part)-9 body bytes of a message
// with its 9-byte header.
func appendFirstFragment(b []byte, part []byte) []byte {
	return appendBlock(b, blkFirstFragment, part)
}

// appendFollowOn writes fragment n (1..127) of message id.
func appendFollowOn(b []byte, n int, last bool, id uint32, part []byte) []byte {
	b = appendBlockHeader(b, blkFollowOn, 5+len(part))
	f := byte(n << 1)
	if last {
		f |= 1
	}
	b = append(b, f)
	b = binary.BigEndian.AppendUint32(b, id)
	return append(b, part...)
}

// ack is a decoded ACK block.
type ack struct {
	through uint32
	acnt    uint8
	ranges  []byte // pairs: nack count, ack count
}

func parseAck(d []byte) (ack, error) {
	if len(d) < 5 || (len(d)-5)%2 != 0 {
		return ack{}, fmt.Errorf("%w: ACK of %d bytes", ErrBlock, len(d))
	}
	return ack{through: binary.BigEndian.Uint32(d), acnt: d[4], ranges: d[5:]}, nil
}

// each calls fn for every acked packet number, highest first, and stops
// below 0 (packet numbers never wrap here: sessions end long before 2^32).
func (a ack) each(fn func(pn uint32)) {
	pn := int64(a.through)
	for i := 0; i <= int(a.acnt) && pn >= 0; i++ {
		fn(uint32(pn))
		pn--
	}
	for i := 0; i+1 < len(a.ranges); i += 2 {
		pn -= int64(a.ranges[i])
		for j := 0; j < int(a.ranges[i+1]) && pn >= 0; j++ {
			fn(uint32(pn))
			pn--
		}
		if pn < 0 {
			return
		}
	}
}

// lowest returns the lowest packet number the block speaks about (acked or
// nacked): packets below it are neither.
func (a ack) lowest() int64 {
	pn := int64(a.through) - int64(a.acnt)
	for i := 0; i+1 < len(a.ranges); i += 2 {
		pn -= int64(a.ranges[i]) + int64(a.ranges[i+1])
	}
	return pn
}
