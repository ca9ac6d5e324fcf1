package garlic

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// DeliveryType is bits 6-5 of the delivery instructions' flag byte
// (i2np.rst, "Garlic Clove Delivery Instructions"): where the clove's
// message goes once the garlic is opened.
type DeliveryType uint8

// Delivery types.
const (
	// DeliveryLocal: to the router (or destination) that opened the
	// garlic.
	DeliveryLocal DeliveryType = 0
	// DeliveryDestination: to the local destination whose hash is To.
	DeliveryDestination DeliveryType = 1
	// DeliveryRouter: to the router whose hash is To.
	DeliveryRouter DeliveryType = 2
	// DeliveryTunnel: to tunnel Tunnel at the gateway router To.
	DeliveryTunnel DeliveryType = 3
)

func (d DeliveryType) String() string {
	switch d {
	case DeliveryLocal:
		return "local"
	case DeliveryDestination:
		return "destination"
	case DeliveryRouter:
		return "router"
	case DeliveryTunnel:
		return "tunnel"
	}
	return "DeliveryType(" + strconv.Itoa(int(d)) + ")"
}

// Flag bits of the delivery instructions.
const (
	flagEncrypted = 0x80
	flagDelay     = 0x10
	deliveryShift = 5
	deliveryMask  = 0x03
	cloveMinLen   = 1 + i2np.ShortHeaderLen
)

// Clove is the content of a Garlic Clove block (ecies.rst, "Garlic
// Clove"): delivery instructions and one I2NP message.
type Clove struct {
	Delivery DeliveryType
	// To is the destination hash, router hash or tunnel gateway's router
	// hash; zero and not encoded for local delivery.
	To data.Hash
	// Tunnel is the gateway's tunnel ID for tunnel delivery, nonzero;
	// zero and not encoded otherwise.
	Tunnel data.TunnelID
	// Msg is the message. Its expiration has second precision and its
	// payload fills the rest of the block.
	Msg i2np.Message
}

// ParseClove parses the data of a Garlic Clove block (without the 3-byte
// block header). Msg.Payload aliases b.
func ParseClove(b []byte) (Clove, error) {
	if len(b) < cloveMinLen {
		return Clove{}, fmt.Errorf("%w: clove needs at least %d bytes, have %d", ErrShort, cloveMinLen, len(b))
	}
	flag := b[0]
	if flag&(flagEncrypted|flagDelay) != 0 {
		return Clove{}, fmt.Errorf("%w: clove flag %#02x has the encrypted or delay bit", ErrMalformed, flag)
	}
	c := Clove{Delivery: DeliveryType((flag >> deliveryShift) & deliveryMask)}
	rest := b[1:]
	if c.Delivery != DeliveryLocal {
		if len(rest) < len(c.To) {
			return Clove{}, fmt.Errorf("%w: %v clove: hash needs %d bytes, have %d", ErrShort, c.Delivery, len(c.To), len(rest))
		}
		copy(c.To[:], rest)
		rest = rest[len(c.To):]
	}
	if c.Delivery == DeliveryTunnel {
		if len(rest) < 4 {
			return Clove{}, fmt.Errorf("%w: tunnel clove: tunnel ID needs 4 bytes, have %d", ErrShort, len(rest))
		}
		c.Tunnel = data.TunnelID(binary.BigEndian.Uint32(rest))
		if c.Tunnel == 0 {
			return Clove{}, fmt.Errorf("%w: tunnel clove with tunnel ID 0", ErrMalformed)
		}
		rest = rest[4:]
	}
	m, err := i2np.ParseShort(rest)
	if err != nil {
		return Clove{}, fmt.Errorf("%w: %v clove: %w", ErrShort, c.Delivery, err)
	}
	c.Msg = m
	return c, nil
}

// AppendClove appends the data of a Garlic Clove block for c (without the
// 3-byte block header; see Clove.Block) to b. To is written only for
// destination, router and tunnel delivery and Tunnel only for tunnel
// delivery. It fails with ErrMalformed for an unknown delivery type or a
// tunnel ID of 0, ErrSize if the clove exceeds MaxBlockData, and with the
// i2np error if the expiration does not fit the 4-byte field.
func AppendClove(b []byte, c Clove) ([]byte, error) {
	if c.Delivery > DeliveryTunnel {
		return b, fmt.Errorf("%w: %v", ErrMalformed, c.Delivery)
	}
	if c.Delivery == DeliveryTunnel && c.Tunnel == 0 {
		return b, fmt.Errorf("%w: tunnel clove with tunnel ID 0", ErrMalformed)
	}
	start := len(b)
	b = append(b, byte(c.Delivery)<<deliveryShift)
	if c.Delivery != DeliveryLocal {
		b = append(b, c.To[:]...)
	}
	if c.Delivery == DeliveryTunnel {
		b = binary.BigEndian.AppendUint32(b, uint32(c.Tunnel))
	}
	b, err := c.Msg.AppendShort(b)
	if err != nil {
		return b[:start], fmt.Errorf("garlic: clove message: %w", err)
	}
	if n := len(b) - start; n > MaxBlockData {
		return b[:start], fmt.Errorf("%w: clove of %d bytes exceeds %d", ErrSize, n, MaxBlockData)
	}
	return b, nil
}

// AppendBinary is AppendClove(b, c), for encoding.BinaryAppender.
func (c Clove) AppendBinary(b []byte) ([]byte, error) { return AppendClove(b, c) }

// Block returns c as a Garlic Clove block.
func (c Clove) Block() (Block, error) {
	d, err := AppendClove(nil, c)
	if err != nil {
		return Block{}, err
	}
	return Block{Type: BlockGarlicClove, Data: d}, nil
}

// Clove parses a Garlic Clove block. It fails with ErrMalformed if blk is
// of another type.
func (blk Block) Clove() (Clove, error) {
	if blk.Type != BlockGarlicClove {
		return Clove{}, fmt.Errorf("%w: %v block is not a GarlicClove", ErrMalformed, blk.Type)
	}
	return ParseClove(blk.Data)
}
