package data

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

var i2pdRouterInfos = []struct {
	file    string
	hash    string // from the netDb file name routerInfo-<hash>.dat
	caps    string
	port    uint16
	version string
}{
	{"testdata/i2pd-r1.routerInfo.dat", "TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU=", "Xf", 20101, "0.9.57"},
	{"testdata/i2pd-r4.routerInfo.dat", "2eXhD83RK299Hixb6nVH72c4R232Qk613jRaVD4GHQU=", "XR", 20401, "0.9.57"},
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestI2pdRouterInfo(t *testing.T) {
	for _, tc := range i2pdRouterInfos {
		t.Run(tc.file, func(t *testing.T) {
			b := readFile(t, tc.file)
			ri, err := ParseRouterInfo(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := ri.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := ri.Hash().String(); got != tc.hash {
				t.Errorf("Hash = %s, want %s", got, tc.hash)
			}
			if ri.Identity.SigType() != crypto.SigEd25519 || ri.Identity.CryptoType() != CryptoX25519 {
				t.Errorf("types = %v, %v", ri.Identity.SigType(), ri.Identity.CryptoType())
			}
			if len(ri.Identity.EncryptionKey()) != 32 || len(ri.Identity.SigningKey()) != 32 {
				t.Errorf("key lengths %d, %d", len(ri.Identity.EncryptionKey()), len(ri.Identity.SigningKey()))
			}
			if !bytes.Equal(ri.Identity.EncryptionKey(), b[:32]) || !bytes.Equal(ri.Identity.SigningKey(), b[352:384]) {
				t.Error("keys not at the start and end of the key area")
			}
			// Proposal 161 padding: one 32-byte block repeated.
			for i := 32; i < 352; i += 32 {
				if !bytes.Equal(b[i:i+32], b[32:64]) {
					t.Errorf("padding block at %d differs", i)
				}
			}
			if id, ok := ri.NetID(); !ok || id != 7 {
				t.Errorf("NetID = %d, %v; want 7", id, ok)
			}
			if ri.Caps() != tc.caps {
				t.Errorf("Caps = %q, want %q", ri.Caps(), tc.caps)
			}
			if ri.Version() != tc.version {
				t.Errorf("Version = %q", ri.Version())
			}
			if ri.Published.IsZero() || ri.Published.Year() < 2020 {
				t.Errorf("Published = %v", ri.Published)
			}
			if len(ri.Addresses) != 2 {
				t.Fatalf("%d addresses", len(ri.Addresses))
			}
			a, ok := ri.Address(StyleNTCP2)
			if !ok {
				t.Fatal("no NTCP2 address")
			}
			if a.Host() != "127.0.0.1" {
				t.Errorf("NTCP2 host = %q", a.Host())
			}
			if p, ok := a.Port(); !ok || p != tc.port {
				t.Errorf("NTCP2 port = %d, %v", p, ok)
			}
			if ap, ok := a.AddrPort(); !ok || ap.String() != "127.0.0.1:"+strconv.Itoa(int(tc.port)) {
				t.Errorf("AddrPort = %v", ap)
			}
			if s, ok := a.StaticKey(); !ok || len(s) != 32 {
				t.Errorf("NTCP2 s = %x, %v", s, ok)
			}
			if iv, ok := a.Base64Option("i"); !ok || len(iv) != 16 {
				t.Errorf("NTCP2 i = %x, %v", iv, ok)
			}
			if a.Version() != "2" || a.Cost != 3 || !a.Expiration.IsZero() {
				t.Errorf("NTCP2 v=%q cost=%d exp=%v", a.Version(), a.Cost, a.Expiration)
			}
			if s, ok := ri.Address(StyleSSU2); !ok || s.Caps() != "BC" {
				t.Errorf("SSU2 address %v, %v", s, ok)
			}
			if !ri.Options.IsSorted() {
				t.Error("i2pd options not sorted")
			}

			// Re-appending gives the same bytes, both the stored bytes and
			// a fresh encoding of the parsed fields.
			out, err := ri.AppendBinary(nil)
			if err != nil || !bytes.Equal(out, b) {
				t.Errorf("AppendBinary differs (err %v)", err)
			}
			re, err := ri.appendUnsigned(nil)
			if err != nil || !bytes.Equal(append(re, ri.Signature...), b) {
				t.Errorf("re-encoding the fields differs (err %v)", err)
			}

			// Any flipped byte breaks the signature (or the parse).
			for _, i := range []int{0, 100, 383, 400, len(b) / 2, len(b) - 70, len(b) - 1} {
				c := bytes.Clone(b)
				c[i] ^= 0x01
				ri2, err := ParseRouterInfo(c)
				if err != nil {
					continue
				}
				if err := ri2.Verify(); err == nil {
					t.Errorf("flipped byte %d: Verify passed", i)
				}
			}
			// The parse does not alias the input.
			c := bytes.Clone(b)
			ri3, _ := ParseRouterInfo(c)
			clear(c)
			if err := ri3.Verify(); err != nil {
				t.Errorf("parse aliases its input: %v", err)
			}
		})
	}
}

func TestRouterInfoTruncated(t *testing.T) {
	b := readFile(t, i2pdRouterInfos[0].file)
	for n := 0; n < len(b); n++ {
		if _, err := ParseRouterInfo(b[:n]); err == nil {
			t.Fatalf("parsed %d of %d bytes", n, len(b))
		}
	}
	if _, err := ParseRouterInfo(append(bytes.Clone(b), 0)); !errors.Is(err, ErrTrailing) {
		t.Errorf("trailing byte: %v", err)
	}
}

// newTestRouter makes an Ed25519 + X25519 router identity and its signer.
func newTestRouter(t testing.TB) (RouterIdentity, crypto.Signer) {
	t.Helper()
	s, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := make([]byte, 32)
	rand.Read(enc)
	id, err := NewRouterIdentity(crypto.SigEd25519, s.Public(), CryptoX25519, enc, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return id, s
}

func TestRouterInfoSign(t *testing.T) {
	id, s := newTestRouter(t)
	ntcp2, err := NewRouterAddress(3, StyleNTCP2, map[string]string{
		"v": "2", "s": Base64Encode(make([]byte, 32)), "i": Base64Encode(make([]byte, 16)),
		"port": "12345", "host": "192.0.2.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	// Unsorted options: Sign sorts them.
	opts, err := NewMapping(Pair{"router.version", "0.9.67"}, Pair{"netId", "2"}, Pair{"caps", "LR"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ri := &RouterInfo{Identity: id, Published: now, Addresses: []RouterAddress{ntcp2}, Options: opts}
	if err := ri.Sign(s); err != nil {
		t.Fatal(err)
	}
	if err := ri.Verify(); err != nil {
		t.Fatal(err)
	}
	if !ri.Options.IsSorted() || !ri.Addresses[0].Options.IsSorted() {
		t.Error("options not sorted after Sign")
	}
	got, err := ParseRouterInfo(ri.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(); err != nil {
		t.Fatal(err)
	}
	if got.Hash() != id.Hash() || got.Hash() != HashOf(id.Bytes()) {
		t.Error("hash mismatch")
	}
	if !got.Published.Equal(now.Truncate(time.Millisecond)) {
		t.Errorf("Published %v, want %v", got.Published, now)
	}
	if n, ok := got.NetID(); !ok || n != 2 || got.Caps() != "LR" || got.Version() != "0.9.67" {
		t.Errorf("options %v", got.Options)
	}
	a := got.Addresses[0]
	if a.TransportStyle != StyleNTCP2 || a.Host() != "192.0.2.1" {
		t.Errorf("address %v", a)
	}
	if p, _ := a.Port(); p != 12345 {
		t.Errorf("port %d", p)
	}
	if v, _ := a.Get("s"); v != Base64Encode(make([]byte, 32)) {
		t.Errorf("s = %q", v)
	}
	if !bytes.Equal(got.Bytes(), ri.Bytes()) {
		t.Error("bytes differ")
	}

	// A signer for another key is refused.
	other, _ := crypto.GenerateEd25519(rand.Reader)
	if err := ri.Sign(other); !errors.Is(err, ErrWrongSigner) {
		t.Errorf("Sign with another key: %v", err)
	}
	// A non-zero address expiration is refused.
	bad := *ri
	bad.Addresses = []RouterAddress{ntcp2}
	bad.Addresses[0].Expiration = now
	if err := bad.Sign(s); err == nil {
		t.Error("Sign accepted an address expiration")
	}
	// A tampered field does not change Bytes, and a re-Sign does.
	ri.Options, _ = ri.Options.With("caps", "XR")
	if !bytes.Equal(ri.Bytes(), got.Bytes()) {
		t.Error("Bytes changed without Sign")
	}
	if err := ri.Sign(s); err != nil || bytes.Equal(ri.Bytes(), got.Bytes()) || ri.Caps() != "XR" {
		t.Errorf("re-Sign: %v", err)
	}
	var empty RouterInfo
	if err := empty.Verify(); !errors.Is(err, ErrNotSigned) {
		t.Errorf("Verify of empty: %v", err)
	}
}
