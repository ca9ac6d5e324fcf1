package i2np

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// MessageType is the type byte of an I2NP message header (i2np.rst,
// "Messages").
type MessageType uint8

// Message types from the table in i2np.rst, "Messages". Type 0 is reserved,
// 224 to 254 are reserved for experiments and 255 for future expansion.
const (
	DatabaseStore            MessageType = 1
	DatabaseLookup           MessageType = 2
	DatabaseSearchReply      MessageType = 3
	DeliveryStatus           MessageType = 10
	Garlic                   MessageType = 11
	TunnelData               MessageType = 18
	TunnelGateway            MessageType = 19
	Data                     MessageType = 20
	TunnelBuild              MessageType = 21 // deprecated
	TunnelBuildReply         MessageType = 22 // deprecated
	VariableTunnelBuild      MessageType = 23 // since 0.7.12
	VariableTunnelBuildReply MessageType = 24 // since 0.7.12
	ShortTunnelBuild         MessageType = 25 // since 0.9.51
	OutboundTunnelBuildReply MessageType = 26 // since 0.9.51
)

var typeNames = [...]string{
	DatabaseStore:            "DatabaseStore",
	DatabaseLookup:           "DatabaseLookup",
	DatabaseSearchReply:      "DatabaseSearchReply",
	DeliveryStatus:           "DeliveryStatus",
	Garlic:                   "Garlic",
	TunnelData:               "TunnelData",
	TunnelGateway:            "TunnelGateway",
	Data:                     "Data",
	TunnelBuild:              "TunnelBuild",
	TunnelBuildReply:         "TunnelBuildReply",
	VariableTunnelBuild:      "VariableTunnelBuild",
	VariableTunnelBuildReply: "VariableTunnelBuildReply",
	ShortTunnelBuild:         "ShortTunnelBuild",
	OutboundTunnelBuildReply: "OutboundTunnelBuildReply",
}

// String returns the spec's name for t, or "Type(N)" for a type the spec
// does not define.
func (t MessageType) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// MessageID is the msg_id field of an I2NP header. It is usually random,
// and it is how replies (DeliveryStatus, build replies) are matched to
// requests.
type MessageID uint32

// Header lengths and payload limits.
const (
	// LongHeaderLen is the length of the standard header.
	LongHeaderLen = 16
	// ShortHeaderLen is the length of the NTCP2/SSU2 header.
	ShortHeaderLen = 9
	// MaxPayload is the largest payload the 2-byte size field of the
	// standard header can describe.
	MaxPayload = math.MaxUint16
	// MaxShortPayload is the largest payload that fits, with its short
	// header, in one NTCP2 or SSU2 block, whose length field is 2 bytes.
	// The transports' frame and packet sizes limit it further.
	MaxShortPayload = math.MaxUint16 - ShortHeaderLen
)

// Errors callers may branch on. Returned errors wrap them with details.
var (
	// ErrShort means the input is shorter than the header.
	ErrShort = errors.New("i2np: message too short")
	// ErrSize means a standard header's size field exceeds the bytes
	// that follow it, or, when appending, that the payload is larger than
	// the header can describe (MaxPayload, MaxShortPayload).
	ErrSize = errors.New("i2np: bad message size")
	// ErrChecksum means a standard header's checksum does not match its
	// payload.
	ErrChecksum = errors.New("i2np: bad checksum")
	// ErrExpiration means an expiration cannot be represented: a wire
	// value past the range of time.Time in milliseconds, or, when
	// appending, a time before the epoch or past the field's range.
	ErrExpiration = errors.New("i2np: expiration out of range")
)

// Message is an I2NP message: its header fields and its still-encoded
// payload.
//
// A Message returned by ParseLong or ParseShort aliases the input: Payload
// is a subslice of the buffer that was parsed, with its capacity clipped
// to its length. Copy it before reusing that buffer.
type Message struct {
	Type MessageType
	ID   MessageID
	// Expiration is when the message expires, in UTC, with millisecond
	// precision in the standard header and second precision in the short
	// one. The zero time means "no expiration" (a 0 on the wire).
	Expiration time.Time
	Payload    []byte
}

// ParseLong parses one message with a standard 16-byte header from the
// front of b, verifies its size and checksum, and returns it with the bytes
// that follow it. Message.Payload and rest alias b.
//
// It returns an error wrapping ErrShort if b is shorter than the header,
// ErrSize if the size field exceeds the bytes after the header, ErrChecksum
// if the checksum does not match, and ErrExpiration if the expiration is
// past the range of time.Time in milliseconds.
func ParseLong(b []byte) (m Message, rest []byte, err error) {
	if len(b) < LongHeaderLen {
		return Message{}, nil, fmt.Errorf("%w: standard header needs %d bytes, have %d", ErrShort, LongHeaderLen, len(b))
	}
	size := int(binary.BigEndian.Uint16(b[13:15]))
	end := LongHeaderLen + size
	if len(b) < end {
		return Message{}, nil, fmt.Errorf("%w: size field says %d payload bytes, have %d", ErrSize, size, len(b)-LongHeaderLen)
	}
	payload := b[LongHeaderLen:end:end]
	if sum := sha256.Sum256(payload); sum[0] != b[15] {
		return Message{}, nil, fmt.Errorf("%w: header says %#02x, payload hashes to %#02x", ErrChecksum, b[15], sum[0])
	}
	exp, err := fromMillis(binary.BigEndian.Uint64(b[5:13]))
	if err != nil {
		return Message{}, nil, err
	}
	m = Message{
		Type:       MessageType(b[0]),
		ID:         MessageID(binary.BigEndian.Uint32(b[1:5])),
		Expiration: exp,
		Payload:    payload,
	}
	return m, b[end:], nil
}

// AppendLong appends m with a standard 16-byte header, computing the size
// and checksum fields, to b. It returns an error wrapping ErrSize if the
// payload is longer than MaxPayload, or ErrExpiration if the expiration is
// before the epoch or past the range of int64 milliseconds.
func (m Message) AppendLong(b []byte) ([]byte, error) {
	if len(m.Payload) > MaxPayload {
		return b, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrSize, len(m.Payload), MaxPayload)
	}
	ms, err := toMillis(m.Expiration)
	if err != nil {
		return b, err
	}
	sum := sha256.Sum256(m.Payload)
	b = append(b, byte(m.Type))
	b = binary.BigEndian.AppendUint32(b, uint32(m.ID))
	b = binary.BigEndian.AppendUint64(b, ms)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Payload)))
	b = append(b, sum[0])
	return append(b, m.Payload...), nil
}

// ParseShort parses a message with the 9-byte NTCP2/SSU2 header. b must be
// exactly the content of one NTCP2 or SSU2 I2NP block (or the message part
// of an ECIES-Ratchet garlic clove): everything after the header is the
// payload. Message.Payload aliases b. It returns an error wrapping ErrShort
// if b is shorter than the header.
func ParseShort(b []byte) (Message, error) {
	if len(b) < ShortHeaderLen {
		return Message{}, fmt.Errorf("%w: short header needs %d bytes, have %d", ErrShort, ShortHeaderLen, len(b))
	}
	var exp time.Time
	if s := binary.BigEndian.Uint32(b[5:9]); s != 0 {
		exp = time.Unix(int64(s), 0).UTC()
	}
	return Message{
		Type:       MessageType(b[0]),
		ID:         MessageID(binary.BigEndian.Uint32(b[1:5])),
		Expiration: exp,
		Payload:    b[ShortHeaderLen:len(b):len(b)],
	}, nil
}

// AppendShort appends m with the 9-byte NTCP2/SSU2 header to b. The
// expiration is truncated to whole seconds. The caller writes the block
// type and length around it. It returns an error wrapping ErrSize if the
// payload is longer than MaxShortPayload, or ErrExpiration if the
// expiration is before the epoch or after the 4-byte field's range
// (2106-02-07).
func (m Message) AppendShort(b []byte) ([]byte, error) {
	if len(m.Payload) > MaxShortPayload {
		return b, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrSize, len(m.Payload), MaxShortPayload)
	}
	var secs uint32
	if !m.Expiration.IsZero() {
		s := m.Expiration.Unix()
		if s < 0 || s > math.MaxUint32 {
			return b, fmt.Errorf("%w: %s does not fit the short header", ErrExpiration, m.Expiration.UTC().Format(time.RFC3339))
		}
		secs = uint32(s)
	}
	b = append(b, byte(m.Type))
	b = binary.BigEndian.AppendUint32(b, uint32(m.ID))
	b = binary.BigEndian.AppendUint32(b, secs)
	return append(b, m.Payload...), nil
}

// fromMillis converts a Date to a time.Time; 0 is the zero time.
func fromMillis(ms uint64) (time.Time, error) {
	if ms == 0 {
		return time.Time{}, nil
	}
	if ms > math.MaxInt64 {
		return time.Time{}, fmt.Errorf("%w: %d ms", ErrExpiration, ms)
	}
	return time.UnixMilli(int64(ms)).UTC(), nil
}

// toMillis converts a time.Time to a Date; the zero time is 0.
func toMillis(t time.Time) (uint64, error) {
	if t.IsZero() {
		return 0, nil
	}
	// Computed by hand because UnixMilli is undefined past int64.
	s := t.Unix()
	if s >= 0 && s <= math.MaxInt64/1000 {
		base := s * 1000
		if ms := base + int64(t.Nanosecond()/1e6); ms >= base {
			return uint64(ms), nil
		}
	}
	return 0, fmt.Errorf("%w: %s is not a Date", ErrExpiration, t.UTC().Format(time.RFC3339))
}
