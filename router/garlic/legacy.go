package garlic

import (
	"encoding/binary"
	"fmt"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// The legacy garlic: the payload of an ElGamal/AES+SessionTags message
// (i2np.rst, "Garlic", decrypted data, and "GarlicClove"):
//
//	+----+----+----+----+----+----+----+----+
//	|num | clove 1 ...                       |
//	+----+                                   +
//	~ clove 2 ...                            ~
//	+----+----+----+----+----+----+----+----+
//	| certificate (3) |  message ID (4)      |
//	+----+----+----+----+----+----+----+----+
//	|          expiration (8, ms)            |
//	+----+----+----+----+----+----+----+----+
//
// and each clove:
//
//	+----+----+----+----+----+----+----+----+
//	|flag| to hash (32, opt) | tunnel (4, opt)
//	+----+----+----+----+----+----+----+----+
//	| I2NP message, 16-byte standard header  |
//	~                                        ~
//	+----+----+----+----+----+----+----+----+
//	| clove ID (4)      | expiration (8, ms)
//	+----+----+----+----+----+----+----+----+
//	                    | certificate (3) |
//	+----+----+----+----+----+----+----+
//
// The flag byte is that of the ECIES clove (DeliveryType in bits 6-5).
// As ParseClove does, ParseLegacyGarlic refuses the encrypted and delay
// bits, which Java and i2pd never set (i2pd's reader skips the session
// key but not the delay); the reserved bits are ignored. The certificates
// are always NULL in practice but are parsed as Certificates. Bytes after
// the expiration are ignored, as i2pd's HandleGarlicPayload and Java's
// GarlicMessage reader do.

// legacyCloveMin is the smallest legacy clove: a flag, a standard header
// with no payload, clove ID, expiration and NULL certificate.
const legacyCloveMin = 1 + i2np.LongHeaderLen + 4 + 8 + 3

// LegacyClove is one GarlicClove of the legacy garlic.
type LegacyClove struct {
	Delivery DeliveryType
	// To is the destination, router or gateway hash; zero and not
	// encoded for local delivery.
	To data.Hash
	// Tunnel is the gateway's tunnel ID for tunnel delivery, nonzero.
	Tunnel data.TunnelID
	// Msg is the message, with the standard 16-byte header (millisecond
	// expiration, size and checksum).
	Msg i2np.Message
	// ID is the clove ID, random, checked for duplicates by the
	// receiver in the message-ID space.
	ID uint32
	// Expiration is the clove's expiration.
	Expiration data.Date
	// Certificate is normally NULL.
	Certificate data.Certificate
}

// LegacyGarlic is the decrypted payload of an ElGamal garlic message: a
// clove set with its message ID and expiration.
type LegacyGarlic struct {
	// Cloves are at most 255.
	Cloves []LegacyClove
	// Certificate is normally NULL.
	Certificate data.Certificate
	// ID is the garlic message ID, random; i2pd uses it as the ID of the
	// DeliveryStatus that acknowledges new tags.
	ID uint32
	// Expiration is the garlic's expiration (i2pd: now + 8 s).
	Expiration data.Date
}

// ParseLegacyGarlic parses a legacy garlic. Cloves' messages alias b;
// certificate payloads are copies. It fails with ErrShort if b ends inside
// a field, and with ErrMalformed for the encrypted or delay flag, a tunnel
// ID of 0, or a clove message or certificate that does not parse (also
// wrapping the i2np or data error).
func ParseLegacyGarlic(b []byte) (LegacyGarlic, error) {
	if len(b) < 1 {
		return LegacyGarlic{}, fmt.Errorf("%w: empty garlic", ErrShort)
	}
	n := int(b[0])
	rest := b[1:]
	// Every clove takes at least legacyCloveMin bytes: refuse a count
	// that cannot fit before allocating for it.
	if n*legacyCloveMin > len(rest) {
		return LegacyGarlic{}, fmt.Errorf("%w: %d cloves cannot fit in %d bytes", ErrShort, n, len(rest))
	}
	var g LegacyGarlic
	if n > 0 {
		g.Cloves = make([]LegacyClove, n)
	}
	for i := range g.Cloves {
		c, r, err := parseLegacyClove(rest)
		if err != nil {
			return LegacyGarlic{}, fmt.Errorf("garlic: clove %d: %w", i, err)
		}
		g.Cloves[i], rest = c, r
	}
	cert, rest, err := data.ParseCertificate(rest)
	if err != nil {
		return LegacyGarlic{}, fmt.Errorf("%w: garlic certificate: %w", ErrMalformed, err)
	}
	if len(rest) < 4+8 {
		return LegacyGarlic{}, fmt.Errorf("%w: garlic message ID and expiration need 12 bytes, have %d", ErrShort, len(rest))
	}
	g.Certificate = cert
	g.ID = binary.BigEndian.Uint32(rest)
	g.Expiration = data.Date(binary.BigEndian.Uint64(rest[4:]))
	return g, nil
}

func parseLegacyClove(b []byte) (LegacyClove, []byte, error) {
	if len(b) < legacyCloveMin {
		return LegacyClove{}, nil, fmt.Errorf("%w: clove needs at least %d bytes, have %d", ErrShort, legacyCloveMin, len(b))
	}
	flag := b[0]
	if flag&(flagEncrypted|flagDelay) != 0 {
		return LegacyClove{}, nil, fmt.Errorf("%w: clove flag %#02x has the encrypted or delay bit", ErrMalformed, flag)
	}
	c := LegacyClove{Delivery: DeliveryType((flag >> deliveryShift) & deliveryMask)}
	rest := b[1:]
	if c.Delivery != DeliveryLocal {
		if len(rest) < len(c.To) {
			return LegacyClove{}, nil, fmt.Errorf("%w: %v clove: hash", ErrShort, c.Delivery)
		}
		copy(c.To[:], rest)
		rest = rest[len(c.To):]
	}
	if c.Delivery == DeliveryTunnel {
		if len(rest) < 4 {
			return LegacyClove{}, nil, fmt.Errorf("%w: tunnel clove: tunnel ID", ErrShort)
		}
		c.Tunnel = data.TunnelID(binary.BigEndian.Uint32(rest))
		if c.Tunnel == 0 {
			return LegacyClove{}, nil, fmt.Errorf("%w: tunnel clove with tunnel ID 0", ErrMalformed)
		}
		rest = rest[4:]
	}
	m, rest, err := i2np.ParseLong(rest)
	if err != nil {
		return LegacyClove{}, nil, fmt.Errorf("%w: %v clove message: %w", ErrMalformed, c.Delivery, err)
	}
	c.Msg = m
	if len(rest) < 4+8 {
		return LegacyClove{}, nil, fmt.Errorf("%w: clove ID and expiration need 12 bytes, have %d", ErrShort, len(rest))
	}
	c.ID = binary.BigEndian.Uint32(rest)
	c.Expiration = data.Date(binary.BigEndian.Uint64(rest[4:]))
	cert, rest, err := data.ParseCertificate(rest[12:])
	if err != nil {
		return LegacyClove{}, nil, fmt.Errorf("%w: clove certificate: %w", ErrMalformed, err)
	}
	c.Certificate = cert
	return c, rest, nil
}

// AppendBinary appends the legacy garlic g to b. It fails with ErrSize for
// more than 255 cloves, ErrMalformed for an unknown delivery type or a
// tunnel ID of 0, and with the i2np or data error of a message or
// certificate.
func (g LegacyGarlic) AppendBinary(b []byte) ([]byte, error) {
	if len(g.Cloves) > 255 {
		return b, fmt.Errorf("%w: %d cloves, at most 255", ErrSize, len(g.Cloves))
	}
	start := len(b)
	b = append(b, byte(len(g.Cloves)))
	for i, c := range g.Cloves {
		var err error
		if b, err = c.AppendBinary(b); err != nil {
			return b[:start], fmt.Errorf("garlic: clove %d: %w", i, err)
		}
	}
	b, err := g.Certificate.AppendBinary(b)
	if err != nil {
		return b[:start], fmt.Errorf("garlic: garlic certificate: %w", err)
	}
	b = binary.BigEndian.AppendUint32(b, g.ID)
	return binary.BigEndian.AppendUint64(b, uint64(g.Expiration)), nil
}

// AppendBinary appends the legacy clove c to b. To is written only for
// destination, router and tunnel delivery, Tunnel only for tunnel
// delivery.
func (c LegacyClove) AppendBinary(b []byte) ([]byte, error) {
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
	b, err := c.Msg.AppendLong(b)
	if err != nil {
		return b[:start], fmt.Errorf("garlic: clove message: %w", err)
	}
	b = binary.BigEndian.AppendUint32(b, c.ID)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Expiration))
	if b, err = c.Certificate.AppendBinary(b); err != nil {
		return b[:start], fmt.Errorf("garlic: clove certificate: %w", err)
	}
	return b, nil
}
