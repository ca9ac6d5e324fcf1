package tunnel

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// Sizes of the tunnel message (tunnel-message.rst).
const (
	// BodyLen is the length of a tunnel message without its tunnel ID:
	// the IV and the 1008 encrypted bytes. It is the Data field of
	// i2np.TunnelDataMessage, and what the layer ciphers work on.
	BodyLen = 1024
	// IVLen is the length of the IV at the start of a body.
	IVLen = 16
	// ChecksumLen is the length of the checksum after the IV.
	ChecksumLen = 4
	// MaxPayload is the room for fragments in one body: what is left of
	// the 1008 bytes after the checksum and the zero byte, when there is
	// no padding.
	MaxPayload = BodyLen - IVLen - ChecksumLen - 1
	// MaxFragments is the number of fragments a message may have: the
	// first and up to 63 follow-on fragments, numbered 1 to 63.
	MaxFragments = 64
	// FollowOnHeaderLen is the length of the instructions of a follow-on
	// fragment: flag, message ID, size.
	FollowOnHeaderLen = 7
	// MaxFragmentData is the most data a Gateway puts in one fragment,
	// and all a follow-on fragment alone in a body can carry. Java I2P
	// refuses any fragment larger (FragmentedMessage.MAX_FRAGMENT_SIZE),
	// even a whole message: a local message of 997 to 1000 bytes, which
	// would fit in a body with its 3 bytes of instructions (and which
	// i2pd sends so), is fragmented here.
	MaxFragmentData = MaxPayload - FollowOnHeaderLen
	// MaxMessageSize is the largest I2NP message, its 16-byte header
	// included, a Gateway sends. The spec's "approximately 62708 bytes"
	// is i2pd's I2NP_MAX_MESSAGE_SIZE (libi2pd 2.45.1), but i2pd counts 2
	// bytes of its own buffer offset in it and wants the total below it
	// (TunnelEndpoint::ConcatFollowOnFragment), so it reassembles at most
	// 62,705 bytes. Java I2P takes up to 64 fragments of 996 bytes.
	// Whatever the delivery type, such a message fits in 64 fragments
	// even when its first fragment starts in a partly filled body.
	MaxMessageSize = 62705
)

// DeliveryType is bits 6-5 of a first fragment's flag byte: what the
// endpoint does with the message (tunnel-message.rst, "First Fragment
// Delivery Instructions").
type DeliveryType uint8

// Delivery types. Type 3 is invalid.
const (
	// DeliveryLocal: the endpoint handles the message itself. An inbound
	// endpoint (the creator) takes only this type; the spec says it is
	// not implemented for outbound tunnels.
	DeliveryLocal DeliveryType = 0
	// DeliveryTunnel: the endpoint wraps the message in a TunnelGateway
	// message for tunnel TunnelID and sends it to the gateway router To.
	DeliveryTunnel DeliveryType = 1
	// DeliveryRouter: the endpoint sends the message to the router To.
	DeliveryRouter DeliveryType = 2
)

func (t DeliveryType) String() string {
	switch t {
	case DeliveryLocal:
		return "local"
	case DeliveryTunnel:
		return "tunnel"
	case DeliveryRouter:
		return "router"
	}
	return "DeliveryType(" + strconv.Itoa(int(t)) + ")"
}

// DeliveryInstructions is where the endpoint of a tunnel sends a message:
// the routing part of the first fragment's instructions.
type DeliveryInstructions struct {
	Type DeliveryType
	// TunnelID is the tunnel at the gateway To, for DeliveryTunnel only;
	// nonzero.
	TunnelID data.TunnelID
	// To is the gateway router (DeliveryTunnel) or the router
	// (DeliveryRouter); unused for DeliveryLocal.
	To data.Hash
}

// Len returns the length of d on the wire: the flag byte and the tunnel ID
// and hash its type calls for. A first fragment's instructions add the
// message ID (4, if fragmented) and the size (2).
func (d DeliveryInstructions) Len() int {
	switch d.Type {
	case DeliveryTunnel:
		return 1 + 4 + 32
	case DeliveryRouter:
		return 1 + 32
	}
	return 1
}

// check reports whether d can be encoded.
func (d DeliveryInstructions) check() error {
	if d.Type > DeliveryRouter {
		return fmt.Errorf("%w: delivery %v", ErrMalformed, d.Type)
	}
	if d.Type == DeliveryTunnel && d.TunnelID == 0 {
		return fmt.Errorf("%w: tunnel delivery to tunnel ID 0", ErrMalformed)
	}
	return nil
}

// maxFirstData is the most data a fragmented message's first fragment can
// carry, alone in a body.
func maxFirstData(d DeliveryInstructions) int { return MaxPayload - d.Len() - 4 - 2 }

// Flag bits of the instructions' first byte.
const (
	flagFollowOn   = 0x80
	flagTypeShift  = 5
	flagTypeMask   = 0x03
	flagDelay      = 0x10
	flagFragmented = 0x08
	flagExtended   = 0x04
	flagLast       = 0x01 // follow-on fragments
	flagNumShift   = 1    // follow-on fragments
	flagNumMask    = 0x3f
)

// Fragment is one {delivery instructions, fragment} pair of a decrypted
// tunnel message (tunnel-message.rst, "Tunnel Message Delivery
// Instructions"): a whole I2NP message (standard header included) or a
// piece of one.
//
// Number is 0 for a first fragment, which has Delivery; Last is then the
// inverse of the "fragmented" flag, and MessageID is on the wire only when
// Last is false. Number is 1 to 63 for a follow-on fragment, which always
// carries MessageID and the "last" flag, and whose Delivery is the zero
// value.
type Fragment struct {
	Delivery  DeliveryInstructions
	MessageID i2np.MessageID
	Number    int
	Last      bool
	// Data is the fragment. ParseFragment returns it aliasing the input.
	Data []byte
}

// HeaderLen returns the length of f's instructions on the wire.
func (f Fragment) HeaderLen() int {
	if f.Number > 0 {
		return FollowOnHeaderLen
	}
	n := f.Delivery.Len() + 2
	if !f.Last {
		n += 4
	}
	return n
}

// ParseFragment parses the instructions and data of one fragment from the
// front of b, and returns it with the bytes that follow. Data aliases b.
//
// It refuses delivery type 3, tunnel delivery to tunnel ID 0, a follow-on
// fragment numbered 0, and the delay and extended-options flags (ErrMalformed).
// The spec gives those flags optional fields, but neither Java I2P nor
// i2pd sets them, and they read them differently (Java skips the extended
// options and ignores the delay byte, i2pd skips neither), so a fragment
// with them cannot be read consistently. The reserved bits 1-0 of a first
// fragment's flag are ignored, as both do. A size of 0 is taken.
func ParseFragment(b []byte) (Fragment, []byte, error) {
	if len(b) == 0 {
		return Fragment{}, nil, fmt.Errorf("%w: no instructions", ErrShort)
	}
	flag := b[0]
	var f Fragment
	var n int // header length
	if flag&flagFollowOn != 0 {
		n = FollowOnHeaderLen
		if len(b) < n {
			return Fragment{}, nil, fmt.Errorf("%w: follow-on instructions need %d bytes, have %d", ErrShort, n, len(b))
		}
		f.Number = int(flag>>flagNumShift) & flagNumMask
		if f.Number == 0 {
			return Fragment{}, nil, fmt.Errorf("%w: follow-on fragment number 0", ErrMalformed)
		}
		f.Last = flag&flagLast != 0
		f.MessageID = i2np.MessageID(binary.BigEndian.Uint32(b[1:5]))
	} else {
		if flag&(flagDelay|flagExtended) != 0 {
			return Fragment{}, nil, fmt.Errorf("%w: flag %#02x has the delay or extended-options bit", ErrMalformed, flag)
		}
		f.Delivery.Type = DeliveryType(flag>>flagTypeShift) & flagTypeMask
		if f.Delivery.Type > DeliveryRouter {
			return Fragment{}, nil, fmt.Errorf("%w: delivery %v", ErrMalformed, f.Delivery.Type)
		}
		f.Last = flag&flagFragmented == 0
		n = f.HeaderLen()
		if len(b) < n {
			return Fragment{}, nil, fmt.Errorf("%w: %v instructions need %d bytes, have %d", ErrShort, f.Delivery.Type, n, len(b))
		}
		p := 1
		if f.Delivery.Type == DeliveryTunnel {
			f.Delivery.TunnelID = data.TunnelID(binary.BigEndian.Uint32(b[p:]))
			if f.Delivery.TunnelID == 0 {
				return Fragment{}, nil, fmt.Errorf("%w: tunnel delivery to tunnel ID 0", ErrMalformed)
			}
			p += 4
		}
		if f.Delivery.Type != DeliveryLocal {
			f.Delivery.To = data.Hash(b[p : p+32])
			p += 32
		}
		if !f.Last {
			f.MessageID = i2np.MessageID(binary.BigEndian.Uint32(b[p:]))
		}
	}
	size := int(binary.BigEndian.Uint16(b[n-2 : n]))
	end := n + size
	if len(b) < end {
		return Fragment{}, nil, fmt.Errorf("%w: size field says %d bytes, have %d", ErrShort, size, len(b)-n)
	}
	f.Data = b[n:end:end]
	return f, b[end:], nil
}

// AppendBinary appends f's instructions and data to b. It fails with
// ErrMalformed on a Number above 63, on invalid delivery instructions
// (type 3, tunnel ID 0), and on a follow-on fragment with nonzero
// Delivery, and with ErrTooLarge on Data longer than 65535 bytes.
func (f Fragment) AppendBinary(b []byte) ([]byte, error) {
	if len(f.Data) > 0xffff {
		return b, fmt.Errorf("%w: fragment of %d bytes", ErrTooLarge, len(f.Data))
	}
	switch {
	case f.Number < 0 || f.Number >= MaxFragments:
		return b, fmt.Errorf("%w: fragment number %d", ErrMalformed, f.Number)
	case f.Number > 0:
		if f.Delivery != (DeliveryInstructions{}) {
			return b, fmt.Errorf("%w: follow-on fragment with delivery instructions", ErrMalformed)
		}
		flag := byte(flagFollowOn | f.Number<<flagNumShift)
		if f.Last {
			flag |= flagLast
		}
		b = append(b, flag)
		b = binary.BigEndian.AppendUint32(b, uint32(f.MessageID))
	default:
		if err := f.Delivery.check(); err != nil {
			return b, err
		}
		flag := byte(f.Delivery.Type) << flagTypeShift
		if !f.Last {
			flag |= flagFragmented
		}
		b = append(b, flag)
		if f.Delivery.Type == DeliveryTunnel {
			b = binary.BigEndian.AppendUint32(b, uint32(f.Delivery.TunnelID))
		}
		if f.Delivery.Type != DeliveryLocal {
			b = append(b, f.Delivery.To[:]...)
		}
		if !f.Last {
			b = binary.BigEndian.AppendUint32(b, uint32(f.MessageID))
		}
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(f.Data)))
	return append(b, f.Data...), nil
}
