package tunnel

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/i2pgo/i2pgo/router/i2np"
)

// GatewayConfig configures a Gateway. The zero value means defaults.
type GatewayConfig struct {
	// Rand is the source of IVs, padding, and the fragment message ID of
	// a fragmented message whose I2NP ID is 0. nil means crypto/rand.
	Rand io.Reader
}

// minFirstData is the least data a first fragment must carry for a
// fragmented message to start in the space left in an open body, rather
// than in a fresh one: below it, the follow-on fragment the split costs
// (7 bytes of instructions) eats the space it saves.
const minFirstData = 16

// Gateway packs I2NP messages into tunnel messages (tunnel-message.rst,
// "Message preprocessing"): it gives each its delivery instructions,
// fragments the ones that do not fit, and fills bodies in order, so that
// a small message may share a body with the tail of the one before. The
// bodies it returns have the IV, checksum, padding and zero byte in place
// and no layer yet: an inbound gateway then calls EncryptLayer with its own
// keys, an outbound gateway DecryptLayers with those of its hops.
//
// Packing: a message that fits in what is left of the open body goes
// there, unfragmented. One that would fit unfragmented in an empty body
// closes the open body (padding it) and starts a new one, so no message of
// up to min(MaxFragmentData, MaxPayload-Len-2) bytes (964 to 996, header
// included) is ever split. A larger message is split:
// its first fragment fills the open body if at least 16 bytes of it fit
// and the rest fits in 63 follow-on fragments, and a fresh body otherwise;
// every follow-on fragment but the last fills a body; the last leaves its
// body open for the next message. The fragment message ID is the I2NP
// message ID, as in Java I2P and i2pd, or a random nonzero one if that is
// 0 (i2pd drops fragmented messages whose ID is 0).
//
// Put returns the bodies it completes; Flush closes the open body. A
// Gateway is not safe for concurrent use, and does no I/O but reading
// Rand.
type Gateway struct {
	rand io.Reader
	buf  [MaxPayload]byte // fragments of the open body
	n    int              // bytes in buf; 0 means no open body
	enc  []byte           // scratch: the message being put, encoded
}

// NewGateway returns a Gateway with no open body.
func NewGateway(cfg GatewayConfig) *Gateway {
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	return &Gateway{rand: r}
}

// Buffered returns the number of bytes of fragments in the open body, 0 if
// there is none.
func (g *Gateway) Buffered() int { return g.n }

// Put packs m, encoded with its standard 16-byte header, for delivery d,
// and appends the bodies it completes to dst. Some or all of m may remain
// in the open body until a later Put or Flush.
//
// It fails with ErrMalformed on invalid delivery instructions, with
// ErrTooLarge if the encoded message is longer than MaxMessageSize, with
// an i2np error if m cannot be encoded, and with Rand's error. After an
// error from Rand, the open body and the part of m already packed are
// dropped, and dst is returned as it came.
func (g *Gateway) Put(dst [][BodyLen]byte, d DeliveryInstructions, m i2np.Message) ([][BodyLen]byte, error) {
	if err := d.check(); err != nil {
		return dst, err
	}
	enc, err := m.AppendLong(g.enc[:0])
	if err != nil {
		return dst, fmt.Errorf("tunnel: gateway: %w", err)
	}
	g.enc = enc
	if len(enc) > MaxMessageSize {
		return dst, fmt.Errorf("%w: %d-byte message, at most %d", ErrTooLarge, len(enc), MaxMessageSize)
	}
	n0 := len(dst)
	dst, err = g.put(dst, d, m.ID, enc)
	if err != nil {
		g.n = 0
		return dst[:n0], err
	}
	return dst, nil
}

func (g *Gateway) put(dst [][BodyLen]byte, d DeliveryInstructions, id i2np.MessageID, enc []byte) ([][BodyLen]byte, error) {
	var err error
	if whole := d.Len() + 2 + len(enc); len(enc) <= MaxFragmentData && whole <= MaxPayload {
		if g.n+whole > MaxPayload {
			if dst, err = g.close(dst); err != nil {
				return dst, err
			}
		}
		return g.add(dst, Fragment{Delivery: d, Last: true, Data: enc})
	}
	room := MaxPayload - g.n - d.Len() - 6
	// With MaxMessageSize below 64 fragments' worth, the second test
	// never holds; it guards the fragment numbering all the same.
	if g.n > 0 && (room < minFirstData || len(enc)-room > (MaxFragments-1)*MaxFragmentData) {
		if dst, err = g.close(dst); err != nil {
			return dst, err
		}
		room = MaxPayload - d.Len() - 6
	}
	if id == 0 {
		var b [4]byte
		if _, err := io.ReadFull(g.rand, b[:]); err != nil {
			return dst, fmt.Errorf("tunnel: message ID: %w", err)
		}
		if id = i2np.MessageID(binary.BigEndian.Uint32(b[:])); id == 0 {
			id = 1
		}
	}
	if dst, err = g.add(dst, Fragment{Delivery: d, MessageID: id, Data: enc[:room]}); err != nil {
		return dst, err
	}
	for off, num := room, 1; off < len(enc); num++ {
		s := min(len(enc)-off, MaxFragmentData)
		f := Fragment{MessageID: id, Number: num, Last: off+s == len(enc), Data: enc[off : off+s]}
		if dst, err = g.add(dst, f); err != nil {
			return dst, err
		}
		off += s
	}
	return dst, nil
}

// add appends f to the open body, which must have room for it, and closes
// the body if that fills it.
func (g *Gateway) add(dst [][BodyLen]byte, f Fragment) ([][BodyLen]byte, error) {
	b, err := f.AppendBinary(g.buf[:g.n])
	if err != nil || len(b) > MaxPayload {
		// Unreachable: put checks the instructions and the sizes.
		return dst, fmt.Errorf("%w: gateway packed a fragment that does not fit (%v)", ErrTooLarge, err)
	}
	g.n = len(b)
	if g.n == MaxPayload { // always so after a fragment that is not the last
		return g.close(dst)
	}
	return dst, nil
}

// Flush closes the open body, if any, and appends it to dst. After an
// error from Rand, the open body is dropped and dst returned as it came.
func (g *Gateway) Flush(dst [][BodyLen]byte) ([][BodyLen]byte, error) {
	if g.n == 0 {
		return dst, nil
	}
	dst, err := g.close(dst)
	g.n = 0
	return dst, err
}

// close pads the open body and appends it to dst.
func (g *Gateway) close(dst [][BodyLen]byte) ([][BodyLen]byte, error) {
	if g.n == 0 {
		return dst, nil
	}
	var iv [IVLen]byte
	if _, err := io.ReadFull(g.rand, iv[:]); err != nil {
		return dst, fmt.Errorf("tunnel: IV: %w", err)
	}
	dst = append(dst, [BodyLen]byte{})
	if err := BuildBody(&dst[len(dst)-1], iv, g.buf[:g.n], g.rand); err != nil {
		return dst[:len(dst)-1], err
	}
	g.n = 0
	return dst, nil
}
