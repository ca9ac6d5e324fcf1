package garlic

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// blockGolden are hand-assembled from ecies.rst, "Payload".
var blockGolden = []struct {
	name   string
	hex    string
	blocks []Block
}{
	{"empty", "", nil},
	{"datetime", "00 0004 65920080", []Block{{BlockDateTime, mustHex("65920080")}}},
	{"datetime clove padding",
		"00 0004 65920080  0b 000a 00 14 01020304 00000000  fe 0003 000000",
		[]Block{
			{BlockDateTime, mustHex("65920080")},
			{BlockGarlicClove, mustHex("00 14 01020304 00000000")},
			{BlockPadding, mustHex("000000")},
		}},
	{"existing session blocks",
		"07 0003 00 0001  07 0023 03 0002" + strings.Repeat("ab", 32) +
			" 08 0008 0000 0005 0001 0006  09 0001 00  06 0002 0007  05 0000  04 0009 0000000000000001 00  fe 0000",
		[]Block{
			{BlockNextKey, mustHex("00 0001")},
			{BlockNextKey, mustHex("03 0002" + strings.Repeat("ab", 32))},
			{BlockACK, mustHex("0000 0005 0001 0006")},
			{BlockACKRequest, mustHex("00")},
			{BlockMessageNumbers, mustHex("0007")},
			{BlockOptions, []byte{}},
			{BlockTermination, mustHex("0000000000000001 00")},
			{BlockPadding, []byte{}},
		}},
	{"unknown types kept", "e0 0002 abcd  01 0000  ff 0001 01",
		[]Block{{224, mustHex("abcd")}, {1, []byte{}}, {255, mustHex("01")}}},
}

func TestParseBlocksGolden(t *testing.T) {
	for _, tc := range blockGolden {
		t.Run(tc.name, func(t *testing.T) {
			b := mustHex(tc.hex)
			got, err := ParseBlocks(b)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBlocks(got, tc.blocks) {
				t.Fatalf("got %v, want %v", got, tc.blocks)
			}
			var enc []byte
			for _, blk := range tc.blocks {
				if enc, err = AppendBlock(enc, blk); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(enc, b) {
				t.Fatalf("AppendBlock\n got %x\nwant %x", enc, b)
			}
		})
	}
}

func TestParseBlocksErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want error
	}{
		{"short header", "00 00", ErrShort},
		{"size past end", "0b 0005 0000", ErrShort},
		{"block after padding", "fe 0000 00 0004 00000000", ErrOrder},
		{"two paddings", "fe 0001 00 fe 0000", ErrOrder},
		{"clove after termination", "04 0001 00 0b 0000", ErrOrder},
		{"three next keys", "07 0003 000000 07 0003 000001 07 0003 000002", ErrOrder},
		{"datetime of 3", "00 0003 000000", ErrMalformed},
		{"datetime of 5", "00 0005 0000000000", ErrMalformed},
		{"next key flag says key, none", "07 0003 01 0000", ErrMalformed},
		{"next key with key, flag says none", "07 0023 00 0000" + strings.Repeat("00", 32), ErrMalformed},
		{"ack of 6", "08 0006 000000000000", ErrMalformed},
		{"empty ack", "08 0000", ErrMalformed},
		{"empty ack request", "09 0000", ErrMalformed},
		{"empty termination", "04 0000", ErrMalformed},
		{"message numbers of 3", "06 0003 000000", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBlocks(mustHex(tc.hex))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "garlic: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseBlocksAliases(t *testing.T) {
	b := mustHex("0b 0002 abcd fe 0001 00")
	blocks, err := ParseBlocks(b)
	if err != nil {
		t.Fatal(err)
	}
	if cap(blocks[0].Data) != 2 {
		t.Fatalf("capacity %d, want clipped to 2", cap(blocks[0].Data))
	}
	b[3] = 0xff
	if blocks[0].Data[0] != 0xff {
		t.Fatal("block data does not alias the input")
	}
}

func TestAppendBlockLimits(t *testing.T) {
	if _, err := AppendBlock(nil, Block{Type: BlockPadding, Data: make([]byte, MaxBlockData+1)}); !errors.Is(err, ErrSize) {
		t.Fatalf("oversized block: %v", err)
	}
	b, err := AppendBlock([]byte{9}, Block{Type: BlockPadding, Data: make([]byte, MaxBlockData)})
	if err != nil || len(b) != 1+BlockHeaderLen+MaxBlockData {
		t.Fatalf("largest block: %d bytes, %v", len(b), err)
	}
	blocks, err := ParseBlocks(b[1:])
	if err != nil || len(blocks) != 1 || len(blocks[0].Data) != MaxBlockData {
		t.Fatalf("reparse: %v", err)
	}
}

func TestDateTimeBlock(t *testing.T) {
	now := time.Unix(0x65920080, 123456789)
	blk, err := DateTimeBlock(now)
	if err != nil || blk.Type != BlockDateTime || !bytes.Equal(blk.Data, mustHex("65920080")) {
		t.Fatalf("DateTimeBlock = %v, %v", blk, err)
	}
	got, err := blk.DateTime()
	if err != nil || !got.Equal(time.Unix(0x65920080, 0)) || got.Location() != time.UTC {
		t.Fatalf("DateTime = %v, %v", got, err)
	}
	for _, bad := range []time.Time{time.Unix(-1, 0), time.Unix(1<<32, 0)} {
		if _, err := DateTimeBlock(bad); !errors.Is(err, ErrSize) {
			t.Fatalf("DateTimeBlock(%v): %v", bad, err)
		}
	}
	if _, err := (Block{Type: BlockPadding, Data: make([]byte, 4)}).DateTime(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("DateTime of padding: %v", err)
	}
}

func TestPaddingBlock(t *testing.T) {
	for n, want := range map[int]int{-1: 0, 0: 0, 15: 15, MaxBlockData + 5: MaxBlockData} {
		if p := PaddingBlock(n); p.Type != BlockPadding || len(p.Data) != want || !bytes.Equal(p.Data, make([]byte, want)) {
			t.Fatalf("PaddingBlock(%d) has %d bytes, want %d zeros", n, len(p.Data), want)
		}
	}
}

func TestBlockTypeString(t *testing.T) {
	for typ, want := range map[BlockType]string{
		BlockDateTime: "DateTime", BlockTermination: "Termination", BlockOptions: "Options",
		BlockMessageNumbers: "MessageNumbers", BlockNextKey: "NextKey", BlockACK: "ACK",
		BlockACKRequest: "ACKRequest", BlockGarlicClove: "GarlicClove", BlockPadding: "Padding",
		3: "Block(3)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", uint8(typ), got, want)
		}
	}
	if BlockDateTime != 0 || BlockTermination != 4 || BlockOptions != 5 || BlockMessageNumbers != 6 ||
		BlockNextKey != 7 || BlockACK != 8 || BlockACKRequest != 9 || BlockGarlicClove != 11 || BlockPadding != 254 {
		t.Fatal("block type numbers differ from ecies.rst")
	}
}

func sameBlocks(a, b []Block) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}
