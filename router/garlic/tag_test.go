package garlic

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/i2np"
)

func TestTagRoundTrip(t *testing.T) {
	key := [KeyLen]byte{1, 2, 3}
	tag := [TagLen]byte{9, 8, 7, 6, 5, 4, 3, 2}
	for _, p := range [][]byte{nil, {}, []byte("payload"), make([]byte, MaxTagPayload)} {
		msg := SealWithTag(key, tag, p)
		if len(msg) != TagLen+len(p)+MACLen || !bytes.Equal(msg[:TagLen], tag[:]) {
			t.Fatalf("sealed %d bytes into %d", len(p), len(msg))
		}
		gotTag, got, err := OpenWithTag(key, msg)
		if err != nil || gotTag != tag || !bytes.Equal(got, p) || got == nil {
			t.Fatalf("OpenWithTag = %x, %d bytes, %v", gotTag, len(got), err)
		}
	}
}

func TestOpenWithTagRejects(t *testing.T) {
	key := [KeyLen]byte{1}
	tag := [TagLen]byte{2}
	msg := SealWithTag(key, tag, []byte("reply"))
	for i := range msg {
		bad := bytes.Clone(msg)
		bad[i] ^= 0x80
		if _, _, err := OpenWithTag(key, bad); !errors.Is(err, ErrAuth) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	if _, _, err := OpenWithTag([KeyLen]byte{3}, msg); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, _, err := OpenWithTag(key, msg[:minTagMessage-1]); !errors.Is(err, ErrShort) {
		t.Fatalf("short: %v", err)
	}
}

func TestWrapReplyRoundTrip(t *testing.T) {
	key := [KeyLen]byte{0x70}
	tag := [TagLen]byte{1, 2, 3, 4, 5, 6, 7, 8}
	m := i2np.Message{Type: i2np.DatabaseSearchReply, ID: 5, Expiration: time.Unix(1800000000, 0).UTC(), Payload: make([]byte, 65)}
	gp, err := WrapReply(key, tag, m)
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint32(gp); int(n) != len(gp)-4 {
		t.Fatalf("length field %d for %d bytes", n, len(gp)-4)
	}
	gm, err := i2np.ParseGarlicMessage(gp)
	if err != nil {
		t.Fatal(err)
	}
	gotTag, p, err := OpenWithTag(key, gm.Data)
	if err != nil || gotTag != tag {
		t.Fatalf("OpenWithTag: %x, %v", gotTag, err)
	}
	blocks, err := ParseBlocks(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[1].Type != BlockPadding || len(blocks[1].Data) >= maxPad {
		t.Fatalf("blocks %v", blocks)
	}
	c, err := blocks[0].Clove()
	if err != nil || !sameClove(c, Clove{Msg: m}) {
		t.Fatalf("clove %+v, %v", c, err)
	}
	// The whole thing is a valid I2NP Garlic message.
	full, err := i2np.Message{Type: i2np.Garlic, ID: 1, Payload: gp}.AppendLong(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := i2np.ParseLong(full); err != nil {
		t.Fatal(err)
	}
}

func TestWrapReplyTooBig(t *testing.T) {
	m := i2np.Message{Payload: make([]byte, MaxTagPayload)}
	if _, err := WrapReply([KeyLen]byte{}, [TagLen]byte{}, m); !errors.Is(err, ErrSize) {
		t.Fatalf("oversized reply: %v", err)
	}
	// The largest reply: clove header 3+1+9, padding header 3 and up to 15.
	m.Payload = make([]byte, MaxTagPayload-(BlockHeaderLen+1+i2np.ShortHeaderLen)-(BlockHeaderLen+maxPad-1))
	if _, err := wrapReply([KeyLen]byte{}, [TagLen]byte{}, m, maxPad-1); err != nil {
		t.Fatalf("largest reply: %v", err)
	}
}
