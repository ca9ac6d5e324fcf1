package garlic

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/hkdf"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// hexBytes decodes a JSON hex string.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

// golden is testdata/golden.json, written by testdata/golden.py.
type golden struct {
	NoiseNHH hexBytes `json:"noise_n_hh"`
	Router   struct {
		RecvPriv  hexBytes `json:"recv_priv"`
		RecvPub   hexBytes `json:"recv_pub"`
		EphPriv   hexBytes `json:"eph_priv"`
		H         hexBytes `json:"h"`
		K         hexBytes `json:"k"`
		Plaintext hexBytes `json:"plaintext"`
		Message   hexBytes `json:"message"`
		Cloves    []struct {
			Delivery uint8    `json:"delivery"`
			Type     uint8    `json:"type"`
			ID       uint32   `json:"id"`
			Exp      int64    `json:"exp"`
			Body     hexBytes `json:"body"`
			To       hexBytes `json:"to"`
			Tunnel   uint32   `json:"tunnel"`
			Hex      hexBytes `json:"hex"`
		} `json:"cloves"`
	} `json:"router"`
	WrapForRouter struct {
		RecvPub       hexBytes `json:"recv_pub"`
		Rand          hexBytes `json:"rand"`
		Now           int64    `json:"now"`
		MsgType       uint8    `json:"msg_type"`
		MsgID         uint32   `json:"msg_id"`
		MsgExp        int64    `json:"msg_exp"`
		MsgBody       hexBytes `json:"msg_body"`
		Plaintext     hexBytes `json:"plaintext"`
		GarlicPayload hexBytes `json:"garlic_payload"`
	} `json:"wrap_for_router"`
	Reply struct {
		Key           hexBytes `json:"key"`
		Tag           hexBytes `json:"tag"`
		MsgType       uint8    `json:"msg_type"`
		MsgID         uint32   `json:"msg_id"`
		MsgExp        int64    `json:"msg_exp"`
		MsgBody       hexBytes `json:"msg_body"`
		Pad           int      `json:"pad"`
		Plaintext     hexBytes `json:"plaintext"`
		Sealed        hexBytes `json:"sealed"`
		GarlicPayload hexBytes `json:"garlic_payload"`
	} `json:"reply"`
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func key32(t testing.TB, b []byte) [32]byte {
	t.Helper()
	if len(b) != 32 {
		t.Fatalf("key of %d bytes", len(b))
	}
	return [32]byte(b)
}

func expTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// i2pd's precomputed SHA256("Noise_N_25519_ChaChaPoly_SHA256" || 0),
// libi2pd/Crypto.cpp InitNoiseNState, copied by hand.
var i2pdNoiseNHH = []byte{
	0x69, 0x4d, 0x52, 0x44, 0x5a, 0x27, 0xd9, 0xad, 0xfa, 0xd2, 0x9c, 0x76, 0x32, 0x39, 0x5d, 0xc1,
	0xe4, 0x35, 0x4c, 0x69, 0xb4, 0xf9, 0x2e, 0xac, 0x8a, 0x1e, 0xe4, 0x6a, 0x9e, 0xd2, 0x15, 0x54,
}

func TestGoldenNoiseNInit(t *testing.T) {
	g := loadGolden(t)
	if !bytes.Equal(g.NoiseNHH, i2pdNoiseNHH) {
		t.Fatalf("golden.py hh = %x, i2pd has %x", g.NoiseNHH, i2pdNoiseNHH)
	}
	var h [32]byte
	copy(h[:], routerProtocol)
	if sum := sha256.Sum256(h[:]); !bytes.Equal(sum[:], i2pdNoiseNHH) {
		t.Fatalf("SHA256(%q || 0) = %x, i2pd has %x", routerProtocol, sum, i2pdNoiseNHH)
	}
	// routerState's h after the pre-message must be SHA256(hh || rs).
	rs := key32(t, g.Router.RecvPub)
	want := sha256.Sum256(append(append([]byte{}, i2pdNoiseNHH...), rs[:]...))
	if got := routerState(rs).Hash(); got != want {
		t.Fatalf("h after MixHash(rs) = %x, want %x", got, want)
	}
	if got, wantCK := routerState(rs).ChainingKey(), h; got != wantCK {
		t.Fatalf("ck = %x, want %x", got, wantCK)
	}
}

// TestGoldenNoiseNFormulas re-derives the golden router message in Go
// straight from the formulas of ecies-routers.rst, with x/crypto's
// curve25519, hkdf and chacha20poly1305 and not through package noise, so
// that the Python vector and the spec agree.
func TestGoldenNoiseNFormulas(t *testing.T) {
	g := loadGolden(t).Router
	rs := g.RecvPub
	if pub, _ := curve25519.X25519(g.RecvPriv, curve25519.Basepoint); !bytes.Equal(pub, rs) {
		t.Fatalf("recv_pub does not match recv_priv")
	}
	var h [32]byte
	copy(h[:], "Noise_N_25519_ChaChaPoly_SHA256")
	ck := h
	h = sha256.Sum256(h[:])
	h = sha256.Sum256(append(h[:], rs...))
	epk, _ := curve25519.X25519(g.EphPriv, curve25519.Basepoint)
	h = sha256.Sum256(append(h[:], epk...))
	if !bytes.Equal(h[:], g.H) {
		t.Fatalf("h = %x, golden %x", h, g.H)
	}
	ss, err := curve25519.X25519(g.EphPriv, rs)
	if err != nil {
		t.Fatal(err)
	}
	keydata := make([]byte, 64)
	if _, err := hkdf.New(sha256.New, ss, ck[:], nil).Read(keydata); err != nil {
		t.Fatal(err)
	}
	// The same by the Noise HKDF definition: temp = HMAC(ck, ikm),
	// o1 = HMAC(temp, 1), o2 = HMAC(temp, o1 || 2).
	m := hmac.New(sha256.New, ck[:])
	m.Write(ss)
	temp := m.Sum(nil)
	m = hmac.New(sha256.New, temp)
	m.Write([]byte{1})
	o1 := m.Sum(nil)
	m = hmac.New(sha256.New, temp)
	m.Write(o1)
	m.Write([]byte{2})
	o2 := m.Sum(nil)
	if !bytes.Equal(keydata[:32], o1) || !bytes.Equal(keydata[32:], o2) {
		t.Fatal("RFC 5869 HKDF and Noise HKDF disagree")
	}
	k := keydata[32:]
	if !bytes.Equal(k, g.K) {
		t.Fatalf("k = %x, golden %x", k, g.K)
	}
	aead, _ := chacha20poly1305.New(k)
	ct := aead.Seal(nil, make([]byte, 12), g.Plaintext, h[:])
	if want := append(epk, ct...); !bytes.Equal(want, g.Message) {
		t.Fatalf("message\n got %x\nwant %x", want, g.Message)
	}
}

func TestGoldenEncryptForRouter(t *testing.T) {
	g := loadGolden(t).Router
	got, err := EncryptForRouter(key32(t, g.RecvPub), g.Plaintext, bytes.NewReader(g.EphPriv))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, g.Message) {
		t.Fatalf("EncryptForRouter\n got %x\nwant %x", got, g.Message)
	}
}

func TestGoldenDecryptForRouter(t *testing.T) {
	g := loadGolden(t).Router
	blocks, err := DecryptForRouter(key32(t, g.RecvPriv), key32(t, g.RecvPub), g.Message)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.Cloves) + 2; len(blocks) != n {
		t.Fatalf("%d blocks, want %d", len(blocks), n)
	}
	dt, err := blocks[0].DateTime()
	if err != nil || !dt.Equal(time.Unix(0x65920080, 0)) {
		t.Fatalf("DateTime = %v, %v", dt, err)
	}
	for i, gc := range g.Cloves {
		blk := blocks[i+1]
		if !bytes.Equal(blk.Data, gc.Hex) {
			t.Fatalf("clove %d data %x, golden %x", i, blk.Data, gc.Hex)
		}
		c, err := blk.Clove()
		if err != nil {
			t.Fatalf("clove %d: %v", i, err)
		}
		want := Clove{
			Delivery: DeliveryType(gc.Delivery),
			Tunnel:   data.TunnelID(gc.Tunnel),
			Msg: i2np.Message{
				Type:       i2np.MessageType(gc.Type),
				ID:         i2np.MessageID(gc.ID),
				Expiration: expTime(gc.Exp),
				Payload:    gc.Body,
			},
		}
		copy(want.To[:], gc.To)
		if !sameClove(c, want) {
			t.Fatalf("clove %d = %+v, want %+v", i, c, want)
		}
		enc, err := AppendClove(nil, want)
		if err != nil || !bytes.Equal(enc, gc.Hex) {
			t.Fatalf("AppendClove %d = %x, %v; golden %x", i, enc, err, gc.Hex)
		}
	}
	last := blocks[len(blocks)-1]
	if last.Type != BlockPadding || len(last.Data) != 3 {
		t.Fatalf("last block %v of %d bytes, want 3 bytes of padding", last.Type, len(last.Data))
	}
}

func TestGoldenWrapForRouter(t *testing.T) {
	g := loadGolden(t).WrapForRouter
	m := i2np.Message{
		Type:       i2np.MessageType(g.MsgType),
		ID:         i2np.MessageID(g.MsgID),
		Expiration: time.Unix(g.MsgExp, 0).Add(999 * time.Millisecond), // truncated to seconds
		Payload:    g.MsgBody,
	}
	now := time.Unix(g.Now, 0).Add(500 * time.Millisecond)
	got, err := WrapForRouter(key32(t, g.RecvPub), m, now, bytes.NewReader(g.Rand))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, g.GarlicPayload) {
		t.Fatalf("WrapForRouter\n got %x\nwant %x", got, g.GarlicPayload)
	}
	gm, err := i2np.ParseGarlicMessage(got)
	if err != nil {
		t.Fatal(err)
	}
	priv := key32(t, loadGolden(t).Router.RecvPriv)
	blocks, err := DecryptForRouter(priv, key32(t, g.RecvPub), gm.Data)
	if err != nil {
		t.Fatal(err)
	}
	var pt []byte
	for _, b := range blocks {
		pt, _ = AppendBlock(pt, b)
	}
	if !bytes.Equal(pt, g.Plaintext) {
		t.Fatalf("decrypted payload\n got %x\nwant %x", pt, g.Plaintext)
	}
}

func TestGoldenReply(t *testing.T) {
	g := loadGolden(t).Reply
	key, tag := key32(t, g.Key), [TagLen]byte(g.Tag)
	if got := SealWithTag(key, tag, g.Plaintext); !bytes.Equal(got, g.Sealed) {
		t.Fatalf("SealWithTag\n got %x\nwant %x", got, g.Sealed)
	}
	m := i2np.Message{
		Type:       i2np.MessageType(g.MsgType),
		ID:         i2np.MessageID(g.MsgID),
		Expiration: time.Unix(g.MsgExp, 0),
		Payload:    g.MsgBody,
	}
	got, err := wrapReply(key, tag, m, g.Pad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, g.GarlicPayload) {
		t.Fatalf("wrapReply\n got %x\nwant %x", got, g.GarlicPayload)
	}
	gotTag, pt, err := OpenWithTag(key, g.Sealed)
	if err != nil || gotTag != tag || !bytes.Equal(pt, g.Plaintext) {
		t.Fatalf("OpenWithTag = %x, %x, %v", gotTag, pt, err)
	}
}
