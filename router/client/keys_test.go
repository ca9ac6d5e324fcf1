package client

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// TestKeysFileRoundTrip: LoadOrCreateKeys makes a 0600 file (in a 0700
// directory) and loads the same destination and keys back; a corrupt or
// mismatched file is an error, and is not replaced.
func TestKeysFileRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dests", "a")
	path := filepath.Join(dir, "a.keys")
	k, created, err := LoadOrCreateKeys(path)
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %v, %v", fi.Mode(), err)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("keys directory mode %v, %v", di.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".keys-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	k2, created, err := LoadOrCreateKeys(path)
	if err != nil || created {
		t.Fatalf("load: %v, created %v", err, created)
	}
	if k2.Destination.Hash() != k.Destination.Hash() || k2.Destination.Base64() != k.Destination.Base64() ||
		k2.Encryption != k.Encryption || k2.ElGamal.Public() != k.ElGamal.Public() ||
		string(k2.Signer.Seed()) != string(k.Signer.Seed()) {
		t.Fatal("loaded keys differ from the created ones")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), data.B32Address(k.Destination.Hash())) {
		t.Error("the file does not name its b32 address")
	}
	// The loaded keys work: a LeaseSet signed with them verifies.
	ls := &data.LeaseSet2{LeaseSet2Header: data.LeaseSet2Header{Destination: k2.Destination, Published: epoch, Expires: epoch.Add(10 * time.Minute)},
		EncryptionKeys: []data.EncryptionKey{{Type: data.CryptoX25519, Key: k2.Encryption.Public[:]}}}
	if err := ls.Sign(k2.Signer); err != nil || ls.Verify() != nil {
		t.Fatalf("sign with loaded keys: %v", err)
	}

	var kf map[string]string
	if err := json.Unmarshal(raw, &kf); err != nil {
		t.Fatal(err)
	}
	other, err := GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(field, v string) []byte {
		m := make(map[string]string, len(kf))
		for k, x := range kf {
			m[k] = x
		}
		m[field] = v
		b, _ := json.Marshal(m)
		return b
	}
	bad := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"not JSON", []byte("destination = nope\n")},
		{"truncated", raw[:len(raw)/2]},
		{"signing key of another destination", edit("ed25519_seed", data.Base64Encode(other.Signer.Seed()))},
		{"destination not base64", edit("destination", "%%%")},
		{"short x25519 key", edit("x25519_private", data.Base64Encode(make([]byte, 31)))},
		{"bad ElGamal key", edit("elgamal_private", data.Base64Encode(make([]byte, 12)))},
		{"too large", []byte(`{"comment":"` + strings.Repeat("x", maxKeysFile) + `"}`)},
	}
	for _, tc := range bad {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
		if err := os.WriteFile(p, tc.b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeys(p); err == nil {
			t.Errorf("%s: LoadKeys succeeded", tc.name)
		}
		if _, created, err := LoadOrCreateKeys(p); err == nil || created || errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: LoadOrCreateKeys: %v, created %v", tc.name, err, created)
		}
		if after, _ := os.ReadFile(p); string(after) != string(tc.b) {
			t.Errorf("%s: the bad file was overwritten", tc.name)
		}
	}
	if _, err := LoadKeys(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}
