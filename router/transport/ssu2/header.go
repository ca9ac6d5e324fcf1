package ssu2

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20"
)

// Message types (ssu2.rst, "Messages").
const (
	typeSessionRequest   = 0
	typeSessionCreated   = 1
	typeSessionConfirmed = 2
	typeData             = 6
	typePeerTest         = 7
	typeRetry            = 9
	typeTokenRequest     = 10
	typeHolePunch        = 11
)

const (
	protocolVersion = 2
	shortHeaderLen  = 16
	longHeaderLen   = 32
	macLen          = 16
	// MinPacket and MaxPacket bound every SSU2 datagram (ssu2.rst,
	// "Messages": 40..1472 on IPv4; we accept up to 1500 as i2pd does).
	MinPacket = 40
	MaxPacket = 1500
	// MinMTU and DefaultMTU are the path MTUs of ssu2.rst: 1280 is the
	// floor, 1500 the IPv4 default.
	MinMTU       = 1280
	DefaultMTU   = 1500
	ipv4Overhead = 28 // IP and UDP headers
	ipv6Overhead = 48
)

var (
	errShort  = errors.New("ssu2: datagram too short")
	errHeader = errors.New("ssu2: bad header")
	ErrAEAD   = errors.New("ssu2: AEAD authentication failed")
	errNoKey  = errors.New("ssu2: no session for connection ID")
)

// header is a decoded header; long-header fields are zero for short ones.
type header struct {
	dstID uint64
	pn    uint32
	typ   uint8
	ver   uint8 // long: version; short: first flag byte (frag for SessionConfirmed)
	netID uint8 // long: network ID; short: second flag byte
	flag  uint8
	srcID uint64
	token uint64
}

func (h *header) putShort(b []byte) {
	binary.BigEndian.PutUint64(b[0:], h.dstID)
	binary.BigEndian.PutUint32(b[8:], h.pn)
	b[12] = h.typ
	b[13] = h.ver
	b[14] = h.netID
	b[15] = h.flag
}

func (h *header) putLong(b []byte) {
	h.putShort(b)
	binary.BigEndian.PutUint64(b[16:], h.srcID)
	binary.BigEndian.PutUint64(b[24:], h.token)
}

func parseShort(b []byte) header {
	return header{
		dstID: binary.BigEndian.Uint64(b[0:]),
		pn:    binary.BigEndian.Uint32(b[8:]),
		typ:   b[12], ver: b[13], netID: b[14], flag: b[15],
	}
}

func parseLong(b []byte) header {
	h := parseShort(b)
	h.srcID = binary.BigEndian.Uint64(b[16:])
	h.token = binary.BigEndian.Uint64(b[24:])
	return h
}

// mask8 is the first 8 bytes of the ChaCha20 keystream for key and iv.
// Every unauthenticated ChaCha20 of SSU2 starts at block counter 1, as
// ChaCha20/Poly1305 does (i2pd's ChaCha20; the spec's "n: 1").
func mask8(key *[32]byte, iv []byte) uint64 {
	c, err := chacha20.NewUnauthenticatedCipher(key[:], iv)
	if err != nil {
		panic(err) // fixed sizes
	}
	c.SetCounter(1)
	var m [8]byte
	c.XORKeyStream(m[:], m[:])
	return binary.LittleEndian.Uint64(m[:])
}

// xorHeader16 protects or unprotects bytes 0..15 of pkt in place (the
// operation is its own inverse): bytes 0..7 with k1 and the nonce at
// len-24, bytes 8..15 with k2 and the nonce at len-12.
func xorHeader16(pkt []byte, k1, k2 *[32]byte) {
	n := len(pkt)
	xorFirst8(pkt, k1)
	m := mask8(k2, pkt[n-12:])
	binary.LittleEndian.PutUint64(pkt[8:], binary.LittleEndian.Uint64(pkt[8:])^m)
}

// xorFirst8 (un)protects bytes 0..7 only: the destination connection ID,
// which a receiver needs first to find the session.
func xorFirst8(pkt []byte, k1 *[32]byte) {
	n := len(pkt)
	m := mask8(k1, pkt[n-24:n-12])
	binary.LittleEndian.PutUint64(pkt[0:], binary.LittleEndian.Uint64(pkt[0:])^m)
}

// xorSecond8 (un)protects bytes 8..15 with k2.
func xorSecond8(pkt []byte, k2 *[32]byte) {
	n := len(pkt)
	m := mask8(k2, pkt[n-12:])
	binary.LittleEndian.PutUint64(pkt[8:], binary.LittleEndian.Uint64(pkt[8:])^m)
}

var zeroNonce [12]byte

// xorLongTail (en|de)crypts bytes 16..end of a long header region (16..32,
// or 16..64 with the ephemeral key) with k2 and a zero nonce.
func xorLongTail(region []byte, k2 *[32]byte) {
	c, err := chacha20.NewUnauthenticatedCipher(k2[:], zeroNonce[:])
	if err != nil {
		panic(err)
	}
	c.SetCounter(1)
	c.XORKeyStream(region, region)
}

// nonceFor is the AEAD nonce for counter n: 4 zero bytes, then n
// little-endian.
func nonceFor(n uint64) [12]byte {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[4:], n)
	return b
}

func checkLen(n int) error {
	if n < MinPacket {
		return fmt.Errorf("%w: %d bytes", errShort, n)
	}
	if n > MaxPacket {
		return fmt.Errorf("%w: %d bytes", errHeader, n)
	}
	return nil
}
