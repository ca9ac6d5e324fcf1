package ntcp2

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BlockType is a data-phase block identifier.
type BlockType uint8

// Block types (ntcp2.rst, "Unencrypted data").
const (
	BlockDateTime    BlockType = 0
	BlockOptions     BlockType = 1
	BlockRouterInfo  BlockType = 2
	BlockI2NP        BlockType = 3
	BlockTermination BlockType = 4
	BlockPadding     BlockType = 254
)

func (t BlockType) String() string {
	switch t {
	case BlockDateTime:
		return "DateTime"
	case BlockOptions:
		return "Options"
	case BlockRouterInfo:
		return "RouterInfo"
	case BlockI2NP:
		return "I2NP"
	case BlockTermination:
		return "Termination"
	case BlockPadding:
		return "Padding"
	}
	return fmt.Sprintf("Block(%d)", uint8(t))
}

// MaxPayload is the largest unencrypted frame content (65535 - 16).
const MaxPayload = 65519

// Block is one block of a frame. Data aliases the frame buffer.
type Block struct {
	Type BlockType
	Data []byte
}

// Errors of the block codec.
var (
	ErrBlockTruncated = errors.New("ntcp2: block overruns frame")
	ErrBlockOrder     = errors.New("ntcp2: block order violation")
	ErrBlockSize      = errors.New("ntcp2: bad block size")
)

// ParseBlocks splits a decrypted frame into blocks and checks the ordering
// rules of ntcp2.rst ("Block Ordering Rules"): padding, if present, is the
// last block and appears once; termination is last but for padding. The
// returned blocks alias b.
func ParseBlocks(b []byte) ([]Block, error) {
	var blocks []Block
	sawPadding, sawTermination := false, false
	for len(b) > 0 {
		if len(b) < 3 {
			return nil, fmt.Errorf("%w: %d trailing bytes", ErrBlockTruncated, len(b))
		}
		t := BlockType(b[0])
		n := int(binary.BigEndian.Uint16(b[1:3]))
		if n > len(b)-3 {
			return nil, fmt.Errorf("%w: %v size %d, %d left", ErrBlockTruncated, t, n, len(b)-3)
		}
		if sawPadding {
			return nil, fmt.Errorf("%w: %v after padding", ErrBlockOrder, t)
		}
		if sawTermination && t != BlockPadding {
			return nil, fmt.Errorf("%w: %v after termination", ErrBlockOrder, t)
		}
		switch t {
		case BlockPadding:
			sawPadding = true
		case BlockTermination:
			if n < 9 {
				return nil, fmt.Errorf("%w: termination of %d bytes", ErrBlockSize, n)
			}
			sawTermination = true
		case BlockDateTime:
			if n != 4 {
				return nil, fmt.Errorf("%w: datetime of %d bytes", ErrBlockSize, n)
			}
		case BlockRouterInfo:
			if n < 1 {
				return nil, fmt.Errorf("%w: empty routerinfo block", ErrBlockSize)
			}
		case BlockI2NP:
			if n < 9 {
				return nil, fmt.Errorf("%w: i2np block of %d bytes", ErrBlockSize, n)
			}
		case BlockOptions:
			if n < 12 {
				return nil, fmt.Errorf("%w: options block of %d bytes", ErrBlockSize, n)
			}
		}
		blocks = append(blocks, Block{Type: t, Data: b[3 : 3+n]})
		b = b[3+n:]
	}
	return blocks, nil
}

// AppendBlock appends one block to b.
func AppendBlock(b []byte, t BlockType, data []byte) ([]byte, error) {
	if len(data) > MaxPayload-3 {
		return b, fmt.Errorf("%w: %v of %d bytes", ErrBlockSize, t, len(data))
	}
	b = append(b, byte(t), byte(len(data)>>8), byte(len(data)))
	return append(b, data...), nil
}

// Termination reasons (ntcp2.rst, "Termination").
const (
	ReasonNormal           = 0
	ReasonTerminationRcvd  = 1
	ReasonIdleTimeout      = 2
	ReasonShutdown         = 3
	ReasonAEADFailure      = 4
	ReasonIncompatibleOpts = 5
	ReasonIncompatibleSig  = 6
	ReasonClockSkew        = 7
	ReasonPaddingViolation = 8
	ReasonFramingError     = 9
	ReasonPayloadFormat    = 10
	ReasonMessage1Error    = 11
	ReasonMessage2Error    = 12
	ReasonMessage3Error    = 13
	ReasonReadTimeout      = 14
	ReasonRISignatureFail  = 15
	ReasonBadStaticKey     = 16
	ReasonBanned           = 17
)

// TerminationError is a termination received from, or sent to, the peer.
type TerminationError struct {
	Reason   uint8
	Frames   uint64 // valid frames the sender had received
	Received bool   // true if the peer sent it
}

func (e *TerminationError) Error() string {
	dir := "sent"
	if e.Received {
		dir = "received"
	}
	return fmt.Sprintf("ntcp2: termination %s, reason %d (%s)", dir, e.Reason, reasonName(e.Reason))
}

func reasonName(r uint8) string {
	names := [...]string{"normal", "termination received", "idle timeout", "router shutdown",
		"data phase AEAD failure", "incompatible options", "incompatible signature type", "clock skew",
		"padding violation", "AEAD framing error", "payload format error", "message 1 error",
		"message 2 error", "message 3 error", "intra-frame read timeout", "RI signature verification fail",
		"s parameter missing, invalid, or mismatched", "banned"}
	if int(r) < len(names) {
		return names[r]
	}
	return "unknown"
}

// appendTermination appends a termination block.
func appendTermination(b []byte, framesReceived uint64, reason uint8) []byte {
	b = append(b, byte(BlockTermination), 0, 9)
	b = binary.BigEndian.AppendUint64(b, framesReceived)
	return append(b, reason)
}

// parseTermination reads a termination block's data (≥ 9 bytes).
func parseTermination(d []byte) *TerminationError {
	return &TerminationError{Frames: binary.BigEndian.Uint64(d[:8]), Reason: d[8], Received: true}
}
