package sam

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

func TestPrivateKeys(t *testing.T) {
	for _, enc := range []data.CryptoType{data.CryptoElGamal, data.CryptoX25519} {
		k, err := GenerateKeys(SigEd25519, enc, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, err := k.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		// Destination (391 bytes with a KEY certificate) | enc key | 32.
		encLen := map[data.CryptoType]int{0: 256, 4: 32}[enc]
		if want := 391 + encLen + 32; len(b) != want {
			t.Errorf("enc %d: %d bytes, want %d", enc, len(b), want)
		}
		if !bytes.Equal(b[:391], k.Destination.Bytes()) || !bytes.Equal(b[391+encLen:], k.SigningKey) {
			t.Errorf("enc %d: layout", enc)
		}
		k2, err := ParsePrivateKeys(b)
		if err != nil {
			t.Fatal(err)
		}
		if !k2.Destination.Equal(k.Destination.KeysAndCert) || !bytes.Equal(k2.EncryptionKey, k.EncryptionKey) || !bytes.Equal(k2.SigningKey, k.SigningKey) {
			t.Errorf("enc %d: round trip differs", enc)
		}
		s, _ := k.Base64()
		if len(s) < 884 && enc == 0 {
			t.Errorf("base64 of %d chars", len(s))
		}
		// Errors.
		if _, err := ParsePrivateKeys(b[:len(b)-1]); !errors.Is(err, ErrBadKeys) {
			t.Errorf("short: %v", err)
		}
		if _, err := ParsePrivateKeys(append(bytes.Clone(b), 0)); !errors.Is(err, ErrBadKeys) {
			t.Errorf("trailing: %v", err)
		}
		off := bytes.Clone(b)
		clear(off[391+encLen:])
		if _, err := ParsePrivateKeys(append(off, make([]byte, 100)...)); !errors.Is(err, ErrOfflineKeys) {
			t.Errorf("offline: %v", err)
		}
		// Never in logs.
		var logs bytes.Buffer
		slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "keys", k)
		text := logs.String() + fmt.Sprint(k) + fmt.Sprintf("%v %s", k, k)
		if strings.Contains(text, data.Base64Encode(k.SigningKey)[:20]) || !strings.Contains(text, k.Destination.B32()) {
			t.Errorf("keys in text: %s", text)
		}
	}
	if _, err := GenerateKeys(SigDSASHA1, 0, rand.Reader); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("DSA: %v", err)
	}
	if _, err := GenerateKeys(SigEd25519, 1, rand.Reader); !errors.Is(err, ErrUnsupportedCryptoType) {
		t.Errorf("P256 encryption: %v", err)
	}
	for in, want := range map[string]uint16{"7": 7, "ed25519": 7, "EdDSA_SHA512_Ed25519": 7, "ecdsa_sha256_p256": 1, "0": 0, "RedDSA_SHA512_Ed25519": 11} {
		if got, err := ParseSigType(in); err != nil || got != want {
			t.Errorf("ParseSigType(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseSigType("x"); err == nil {
		t.Error("ParseSigType(x): no error")
	}
}

func FuzzParsePrivateKeys(f *testing.F) {
	for _, enc := range []data.CryptoType{0, 4} {
		k, _ := GenerateKeys(SigEd25519, enc, rand.Reader)
		b, _ := k.AppendBinary(nil)
		f.Add(b)
	}
	f.Add(make([]byte, 700))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParsePrivateKeys(b)
		if err != nil {
			return
		}
		out, err := k.AppendBinary(nil)
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip differs")
		}
		k2, err := ParsePrivateKeys(out)
		if err != nil || !k2.Destination.Equal(k.Destination.KeysAndCert) {
			t.Fatalf("reparse: %v", err)
		}
	})
}
