package garlic

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/i2np"
)

func routerPayload(t testing.TB, cloves ...Clove) []byte {
	t.Helper()
	dt, err := DateTimeBlock(time.Unix(0x65920080, 0))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := AppendBlock(nil, dt)
	for _, c := range cloves {
		blk, err := c.Block()
		if err != nil {
			t.Fatal(err)
		}
		p, _ = AppendBlock(p, blk)
	}
	p, _ = AppendBlock(p, PaddingBlock(4))
	return p
}

func newKey(t testing.TB) crypto.X25519KeyPair {
	t.Helper()
	kp, err := crypto.GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func TestRouterRoundTrip(t *testing.T) {
	bob := newKey(t)
	cloves := []Clove{cloveGolden[0].clove, cloveGolden[3].clove, cloveGolden[4].clove}
	p := routerPayload(t, cloves...)
	msg, err := EncryptForRouter(bob.Public, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg) != KeyLen+len(p)+MACLen {
		t.Fatalf("message of %d bytes for %d bytes of payload", len(msg), len(p))
	}
	blocks, err := DecryptForRouter(bob.Private, bob.Public, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != len(cloves)+2 {
		t.Fatalf("%d blocks", len(blocks))
	}
	for i, want := range cloves {
		c, err := blocks[i+1].Clove()
		if err != nil || !sameClove(c, want) {
			t.Fatalf("clove %d = %+v, %v; want %+v", i, c, err, want)
		}
	}
	// A second message to the same key has a fresh ephemeral key.
	msg2, err := EncryptForRouter(bob.Public, p, nil)
	if err != nil || bytes.Equal(msg[:KeyLen], msg2[:KeyLen]) {
		t.Fatalf("ephemeral key reused: %v", err)
	}
}

func TestDecryptForRouterRejects(t *testing.T) {
	bob := newKey(t)
	p := routerPayload(t, cloveGolden[0].clove)
	msg, err := EncryptForRouter(bob.Public, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range msg {
		bad := bytes.Clone(msg)
		bad[i] ^= 0x01
		if _, err := DecryptForRouter(bob.Private, bob.Public, bad); err == nil {
			t.Fatalf("flipped bit in byte %d accepted", i)
		}
	}
	if _, err := DecryptForRouter(bob.Private, bob.Public, msg[:len(msg)-1]); !errors.Is(err, ErrAuth) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := DecryptForRouter(bob.Private, bob.Public, append(bytes.Clone(msg), 0)); !errors.Is(err, ErrAuth) {
		t.Fatalf("extended: %v", err)
	}
	other := newKey(t)
	if _, err := DecryptForRouter(other.Private, other.Public, msg); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key: %v", err)
	}
	// The right private key with a wrong public key changes h.
	if _, err := DecryptForRouter(bob.Private, other.Public, msg); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong public key: %v", err)
	}
	if _, err := DecryptForRouter(bob.Private, bob.Public, msg[:minRouterMessage-1]); !errors.Is(err, ErrShort) {
		t.Fatalf("short: %v", err)
	}
	topBit := bytes.Clone(msg)
	topBit[KeyLen-1] |= 0x80
	if _, err := DecryptForRouter(bob.Private, bob.Public, topBit); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ephemeral key with top bit: %v", err)
	}
	ours := bytes.Clone(msg)
	copy(ours, bob.Public[:])
	if _, err := DecryptForRouter(bob.Private, bob.Public, ours); !errors.Is(err, ErrMalformed) {
		t.Fatalf("our own key as ephemeral key: %v", err)
	}
	zero := make([]byte, len(msg))
	if _, err := DecryptForRouter(bob.Private, bob.Public, zero); !errors.Is(err, crypto.ErrLowOrderPoint) {
		t.Fatalf("low-order ephemeral key: %v", err)
	}
}

func TestDecryptForRouterNeedsDateTime(t *testing.T) {
	bob := newKey(t)
	blk, _ := cloveGolden[0].clove.Block()
	noDT, _ := AppendBlock(nil, blk)
	noDT, _ = AppendBlock(noDT, PaddingBlock(4))
	dtLater, _ := AppendBlock(bytes.Clone(noDT[:len(noDT)-7]), Block{Type: BlockDateTime, Data: make([]byte, 4)})
	for name, p := range map[string][]byte{
		"no DateTime":         noDT,
		"DateTime not first":  dtLater,
		"zero-size DateTime":  make([]byte, 7),
		"padding only (7 b.)": mustHex("fe 0004 00000000"),
	} {
		msg, err := EncryptForRouter(bob.Public, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = DecryptForRouter(bob.Private, bob.Public, msg)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if name != "zero-size DateTime" && !errors.Is(err, ErrNoDateTime) {
			t.Fatalf("%s: %v, want ErrNoDateTime", name, err)
		}
	}
	// Malformed blocks inside a valid AEAD are parse errors.
	msg, _ := EncryptForRouter(bob.Public, mustHex("00 0004 00000000 fe 0000 0b 0000"), nil)
	if _, err := DecryptForRouter(bob.Private, bob.Public, msg); !errors.Is(err, ErrOrder) {
		t.Fatalf("block after padding: %v", err)
	}
}

func TestEncryptForRouterErrors(t *testing.T) {
	bob := newKey(t)
	if _, err := EncryptForRouter(bob.Public, make([]byte, MaxRouterPayload+1), nil); !errors.Is(err, ErrSize) {
		t.Fatalf("oversized: %v", err)
	}
	msg, err := EncryptForRouter(bob.Public, make([]byte, MaxRouterPayload), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (i2np.GarlicMessage{Data: msg}).AppendBinary(nil); err != nil {
		t.Fatalf("largest router message does not fit a Garlic message: %v", err)
	}
	if _, err := EncryptForRouter([KeyLen]byte{}, nil, nil); !errors.Is(err, crypto.ErrLowOrderPoint) {
		t.Fatalf("zero peer key: %v", err)
	}
	if _, err := EncryptForRouter(bob.Public, nil, strings.NewReader("short")); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short rand: %v", err)
	}
}

func TestWrapForRouterRoundTrip(t *testing.T) {
	bob := newKey(t)
	m := i2np.Message{Type: i2np.DatabaseLookup, ID: 99, Expiration: time.Unix(1800000000, 0).UTC(), Payload: []byte("lookup")}
	now := time.Unix(1799999990, 0)
	gp, err := WrapForRouter(bob.Public, m, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := i2np.ParseGarlicMessage(gp)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := DecryptForRouter(bob.Private, bob.Public, gm.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 || blocks[2].Type != BlockPadding || len(blocks[2].Data) >= maxPad {
		t.Fatalf("blocks %v", blocks)
	}
	if dt, _ := blocks[0].DateTime(); !dt.Equal(now) {
		t.Fatalf("DateTime %v, want %v", dt, now)
	}
	c, err := blocks[1].Clove()
	if err != nil || !sameClove(c, Clove{Msg: m}) {
		t.Fatalf("clove %+v, %v", c, err)
	}
	if _, err := WrapForRouter(bob.Public, m, time.Unix(-5, 0), nil); !errors.Is(err, ErrSize) {
		t.Fatalf("time before the epoch: %v", err)
	}
	if _, err := WrapForRouter(bob.Public, m, now, strings.NewReader("")); err == nil {
		t.Fatal("empty rand accepted")
	}
}
