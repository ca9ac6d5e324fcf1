package i2np

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// DeliveryStatusMessage is the payload of a DeliveryStatus message
// (type 10), 12 bytes: the acknowledgement of a message, a DatabaseStore
// reply token or a tunnel test.
type DeliveryStatusMessage struct {
	// ID is the message ID (or reply token) acknowledged.
	ID MessageID
	// Time is when the message was created or delivered, in UTC with
	// millisecond precision; the zero time is a 0 on the wire. SSU used a
	// network ID (2) here instead of a time, which parses as 2 ms past the
	// epoch.
	Time time.Time
}

// DeliveryStatusLen is the length of a DeliveryStatus payload.
const DeliveryStatusLen = 12

// Type returns DeliveryStatus.
func (DeliveryStatusMessage) Type() MessageType { return DeliveryStatus }

// ParseDeliveryStatusMessage parses a DeliveryStatus payload.
func ParseDeliveryStatusMessage(payload []byte) (DeliveryStatusMessage, error) {
	r := reader{b: payload, what: "DeliveryStatus"}
	id := MessageID(r.u32())
	ms := r.u64()
	if err := r.end(); err != nil {
		return DeliveryStatusMessage{}, err
	}
	t, err := fromMillis(ms)
	if err != nil {
		return DeliveryStatusMessage{}, err
	}
	return DeliveryStatusMessage{ID: id, Time: t}, nil
}

// AppendBinary appends the payload. It fails with ErrExpiration if Time is
// before the epoch or past the range of int64 milliseconds.
func (m DeliveryStatusMessage) AppendBinary(b []byte) ([]byte, error) {
	ms, err := toMillis(m.Time)
	if err != nil {
		return b, err
	}
	b = appendU32(b, uint32(m.ID))
	return binary.BigEndian.AppendUint64(b, ms), nil
}

// parseLength4 parses a 4-byte length and that many bytes, which must fill
// the payload. The result aliases payload.
func parseLength4(payload []byte, what string) ([]byte, error) {
	r := reader{b: payload, what: what}
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: %s: length field says %d bytes, have %d", ErrShort, what, n, len(r.b))
	}
	p := r.bytes(int(n))
	if err := r.end(); err != nil {
		return nil, err
	}
	if p == nil {
		p = []byte{}
	}
	return p, nil
}

func appendLength4(b, p []byte, what string) ([]byte, error) {
	if len(p) > MaxPayload-4 {
		return b, fmt.Errorf("%w: %s: %d bytes do not fit a message", ErrSize, what, len(p))
	}
	b = appendU32(b, uint32(len(p)))
	return append(b, p...), nil
}

// GarlicMessage is the payload of a Garlic message (type 11): a 4-byte
// length and the encrypted garlic, whose layers (ElGamal/AES or
// ECIES-X25519-AEAD-Ratchet) package garlic handles.
type GarlicMessage struct {
	// Data is the encrypted garlic. Parse aliases it from the payload.
	Data []byte
}

// Type returns Garlic.
func (GarlicMessage) Type() MessageType { return Garlic }

// ParseGarlicMessage parses a Garlic payload. The length field must match
// the bytes that follow it.
func ParseGarlicMessage(payload []byte) (GarlicMessage, error) {
	p, err := parseLength4(payload, "Garlic")
	return GarlicMessage{Data: p}, err
}

// AppendBinary appends the payload. It fails with ErrSize if Data cannot
// fit in a message.
func (m GarlicMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendLength4(b, m.Data, "Garlic")
}

// DataMessage is the payload of a Data message (type 20): a 4-byte length
// and opaque client data (a gzipped streaming or datagram payload), only
// ever sent inside garlic.
type DataMessage struct {
	// Data is the client data. Parse aliases it from the payload.
	Data []byte
}

// Type returns Data.
func (DataMessage) Type() MessageType { return Data }

// ParseDataMessage parses a Data payload. The length field must match the
// bytes that follow it.
func ParseDataMessage(payload []byte) (DataMessage, error) {
	p, err := parseLength4(payload, "Data")
	return DataMessage{Data: p}, err
}

// AppendBinary appends the payload. It fails with ErrSize if Data cannot
// fit in a message.
func (m DataMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendLength4(b, m.Data, "Data")
}

// TunnelDataLen is the length of a TunnelData payload: a tunnel ID and
// 1024 bytes of tunnel message (tunnel-message.rst: 16-byte IV and 1008
// encrypted bytes).
const TunnelDataLen = 4 + 1024

// TunnelDataMessage is the payload of a TunnelData message (type 18).
type TunnelDataMessage struct {
	// TunnelID is the receiving hop's tunnel ID. The spec says nonzero;
	// Parse refuses 0, as no tunnel has that ID.
	TunnelID data.TunnelID
	// Data is the encrypted tunnel message: IV, then 1008 bytes.
	Data [1024]byte
}

// Type returns TunnelData.
func (TunnelDataMessage) Type() MessageType { return TunnelData }

// ParseTunnelDataMessage parses a TunnelData payload, which must be exactly
// TunnelDataLen bytes. The result is a copy.
func ParseTunnelDataMessage(payload []byte) (TunnelDataMessage, error) {
	var m TunnelDataMessage
	if len(payload) != TunnelDataLen {
		return m, fmt.Errorf("%w: TunnelData is %d bytes, want %d", sizeErr(len(payload), TunnelDataLen), len(payload), TunnelDataLen)
	}
	m.TunnelID = data.TunnelID(binary.BigEndian.Uint32(payload))
	if m.TunnelID == 0 {
		return TunnelDataMessage{}, fmt.Errorf("%w: TunnelData: tunnel ID 0", ErrMalformed)
	}
	copy(m.Data[:], payload[4:])
	return m, nil
}

// AppendBinary appends the payload. It fails on tunnel ID 0.
func (m TunnelDataMessage) AppendBinary(b []byte) ([]byte, error) {
	if m.TunnelID == 0 {
		return b, fmt.Errorf("%w: TunnelData: tunnel ID 0", ErrMalformed)
	}
	b = appendU32(b, uint32(m.TunnelID))
	return append(b, m.Data[:]...), nil
}

// sizeErr picks ErrShort or ErrTrailing for a fixed-size payload of the
// wrong length.
func sizeErr(have, want int) error {
	if have < want {
		return ErrShort
	}
	return ErrTrailing
}

// TunnelGatewayMessage is the payload of a TunnelGateway message
// (type 19): an I2NP message, with its standard 16-byte header, for the
// inbound gateway of a tunnel to send down it.
type TunnelGatewayMessage struct {
	// TunnelID is the tunnel at the gateway. The spec says nonzero, and
	// Java I2P refuses 0; so does Parse.
	TunnelID data.TunnelID
	// Message is the wrapped message. Parse checks its header (size and
	// checksum) with ParseLong; its Payload aliases the outer payload.
	Message Message
}

// Type returns TunnelGateway.
func (TunnelGatewayMessage) Type() MessageType { return TunnelGateway }

// ParseTunnelGatewayMessage parses a TunnelGateway payload. The 2-byte
// length must cover exactly the wrapped message, and nothing may follow.
func ParseTunnelGatewayMessage(payload []byte) (TunnelGatewayMessage, error) {
	r := reader{b: payload, what: "TunnelGateway"}
	id := data.TunnelID(r.u32())
	if r.err == nil && id == 0 {
		r.malformed("tunnel ID 0")
	}
	n := int(r.u16())
	if r.err == nil && n > len(r.b) {
		return TunnelGatewayMessage{}, fmt.Errorf("%w: TunnelGateway: length field says %d bytes, have %d", ErrShort, n, len(r.b))
	}
	inner := r.bytes(n)
	if err := r.end(); err != nil {
		return TunnelGatewayMessage{}, err
	}
	m, rest, err := ParseLong(inner)
	if err != nil {
		return TunnelGatewayMessage{}, fmt.Errorf("i2np: TunnelGateway: wrapped message: %w", err)
	}
	if len(rest) != 0 {
		return TunnelGatewayMessage{}, fmt.Errorf("%w: %d bytes after the wrapped message of TunnelGateway", ErrTrailing, len(rest))
	}
	return TunnelGatewayMessage{TunnelID: id, Message: m}, nil
}

// AppendBinary appends the payload, encoding Message with AppendLong. It
// fails on tunnel ID 0 or a wrapped message that does not fit.
func (m TunnelGatewayMessage) AppendBinary(b []byte) ([]byte, error) {
	if m.TunnelID == 0 {
		return b, fmt.Errorf("%w: TunnelGateway: tunnel ID 0", ErrMalformed)
	}
	if n := LongHeaderLen + len(m.Message.Payload); n > MaxPayload-6 {
		return b, fmt.Errorf("%w: TunnelGateway: wrapped message of %d bytes does not fit", ErrSize, n)
	}
	at := len(b)
	b = appendU32(b, uint32(m.TunnelID))
	b = append(b, 0, 0)
	b, err := m.Message.AppendLong(b)
	if err != nil {
		return b[:at], fmt.Errorf("i2np: TunnelGateway: wrapped message: %w", err)
	}
	n := len(b) - at - 6
	b[at+4], b[at+5] = byte(n>>8), byte(n)
	return b, nil
}
