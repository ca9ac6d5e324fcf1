package garlic

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
)

// BlockType is the type byte of a payload block (ecies.rst, "Payload").
type BlockType uint8

// Block types. 1-3 and 10 are reserved, 224-253 experimental, 255 for
// future extension; receivers skip unknown types like padding.
const (
	BlockDateTime       BlockType = 0
	BlockTermination    BlockType = 4
	BlockOptions        BlockType = 5
	BlockMessageNumbers BlockType = 6
	BlockNextKey        BlockType = 7
	BlockACK            BlockType = 8
	BlockACKRequest     BlockType = 9
	BlockGarlicClove    BlockType = 11
	BlockPadding        BlockType = 254
)

func (t BlockType) String() string {
	switch t {
	case BlockDateTime:
		return "DateTime"
	case BlockTermination:
		return "Termination"
	case BlockOptions:
		return "Options"
	case BlockMessageNumbers:
		return "MessageNumbers"
	case BlockNextKey:
		return "NextKey"
	case BlockACK:
		return "ACK"
	case BlockACKRequest:
		return "ACKRequest"
	case BlockGarlicClove:
		return "GarlicClove"
	case BlockPadding:
		return "Padding"
	}
	return "Block(" + strconv.Itoa(int(t)) + ")"
}

// Size limits of ecies.rst, "Payload".
const (
	// BlockHeaderLen is the type byte and the 2-byte size.
	BlockHeaderLen = 3
	// MaxPlaintext is the largest decrypted payload: a 65535-byte
	// ChaChaPoly frame less the 16-byte MAC.
	MaxPlaintext = 65519
	// MaxBlockData is the largest data of one block.
	MaxBlockData = MaxPlaintext - BlockHeaderLen
	// maxNextKeys is the number of Next Key blocks a frame may hold.
	maxNextKeys = 2
)

// Block is one payload block. Data is the block's content after its
// 3-byte header, uninterpreted; ParseBlocks has checked the sizes of the
// fixed-size types.
type Block struct {
	Type BlockType
	Data []byte
}

// ParseBlocks splits a decrypted payload into its blocks and checks the
// frame-wide ordering rules and the fixed block sizes (see the package
// doc). An empty payload is zero blocks. The blocks' Data alias b, with
// capacity clipped to length.
func ParseBlocks(b []byte) ([]Block, error) {
	var (
		blocks   []Block
		padding  bool
		term     bool
		nextKeys int
	)
	for off := 0; off < len(b); {
		if len(b)-off < BlockHeaderLen {
			return nil, fmt.Errorf("%w: block %d: header needs %d bytes, have %d", ErrShort, len(blocks), BlockHeaderLen, len(b)-off)
		}
		t := BlockType(b[off])
		n := int(binary.BigEndian.Uint16(b[off+1:]))
		off += BlockHeaderLen
		if n > len(b)-off {
			return nil, fmt.Errorf("%w: block %d (%v): size %d, have %d bytes", ErrShort, len(blocks), t, n, len(b)-off)
		}
		if n > MaxBlockData {
			return nil, fmt.Errorf("%w: block %d (%v): size %d exceeds %d", ErrMalformed, len(blocks), t, n, MaxBlockData)
		}
		d := b[off : off+n : off+n]
		off += n
		switch {
		case padding:
			return nil, fmt.Errorf("%w: %v block after Padding", ErrOrder, t)
		case term && t != BlockPadding:
			return nil, fmt.Errorf("%w: %v block after Termination", ErrOrder, t)
		}
		if !sizeOK(t, d) {
			return nil, fmt.Errorf("%w: block %d: %v block of %d bytes", ErrMalformed, len(blocks), t, n)
		}
		switch t {
		case BlockPadding:
			padding = true
		case BlockTermination:
			term = true
		case BlockNextKey:
			if nextKeys++; nextKeys > maxNextKeys {
				return nil, fmt.Errorf("%w: more than %d NextKey blocks", ErrOrder, maxNextKeys)
			}
		}
		blocks = append(blocks, Block{Type: t, Data: d})
	}
	return blocks, nil
}

// sizeOK checks the data size of the block types whose layout is fixed
// (ecies.rst, one section per block).
func sizeOK(t BlockType, d []byte) bool {
	n := len(d)
	switch t {
	case BlockDateTime:
		return n == 4
	case BlockMessageNumbers:
		return n == 2
	case BlockNextKey:
		// flag, key ID, and the key if flag bit 0 says so.
		return n == 3 && d[0]&1 == 0 || n == 35 && d[0]&1 == 1
	case BlockACK:
		return n >= 4 && n%4 == 0
	case BlockACKRequest, BlockTermination:
		return n >= 1
	}
	return true
}

// AppendBlock appends blk with its header to b. It fails with ErrSize if
// the data is longer than MaxBlockData. It does not check the block's
// content or its place among other blocks.
func AppendBlock(b []byte, blk Block) ([]byte, error) {
	if len(blk.Data) > MaxBlockData {
		return b, fmt.Errorf("%w: %v block of %d bytes exceeds %d", ErrSize, blk.Type, len(blk.Data), MaxBlockData)
	}
	b = append(b, byte(blk.Type))
	b = binary.BigEndian.AppendUint16(b, uint16(len(blk.Data)))
	return append(b, blk.Data...), nil
}

// AppendBinary is AppendBlock(b, blk), for encoding.BinaryAppender.
func (blk Block) AppendBinary(b []byte) ([]byte, error) { return AppendBlock(b, blk) }

// DateTimeBlock returns a DateTime block holding t in whole seconds. It
// fails with ErrSize if t is before the epoch or after the 4-byte field's
// range (2106-02-07).
func DateTimeBlock(t time.Time) (Block, error) {
	s := t.Unix()
	if s < 0 || s > math.MaxUint32 {
		return Block{}, fmt.Errorf("%w: %s does not fit a DateTime block", ErrSize, t.UTC().Format(time.RFC3339))
	}
	return Block{Type: BlockDateTime, Data: binary.BigEndian.AppendUint32(nil, uint32(s))}, nil
}

// DateTime returns the time of a DateTime block, in UTC. It fails with
// ErrMalformed if blk is not a 4-byte DateTime block.
func (blk Block) DateTime() (time.Time, error) {
	if blk.Type != BlockDateTime || len(blk.Data) != 4 {
		return time.Time{}, fmt.Errorf("%w: %v block of %d bytes is not a DateTime", ErrMalformed, blk.Type, len(blk.Data))
	}
	return time.Unix(int64(binary.BigEndian.Uint32(blk.Data)), 0).UTC(), nil
}

// PaddingBlock returns a Padding block of n zero bytes (all-zero padding is
// fine: it is encrypted). n is clamped to 0..MaxBlockData.
func PaddingBlock(n int) Block {
	n = max(0, min(n, MaxBlockData))
	return Block{Type: BlockPadding, Data: make([]byte, n)}
}
