package router

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentityNewDatadir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "datadir") // parents missing too
	r := openRouter(t, Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	if r.Hash().IsZero() {
		t.Fatal("Hash is zero after Open")
	}
	if r.Hash() != r.RouterInfo().Hash() {
		t.Error("Hash is not the RouterInfo's hash")
	}
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, keysFile), 0o600)
	checkMode(t, filepath.Join(dir, "router.state.json"), 0o600)
	if ents, _ := filepath.Glob(filepath.Join(dir, ".*")); len(ents) != 0 {
		t.Errorf("temporary files left in datadir: %v", ents)
	}
}

func TestIdentityPersists(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	r1 := openRouter(t, Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: port})
	ri1 := r1.RouterInfo()
	shutdown(t, r1)

	// Port 0: the port of the first start, kept in datadir.
	r2 := openRouter(t, Config{DataDir: dir, NetID: 7, Host: "127.0.0.1"})
	if r2.Hash() != r1.Hash() {
		t.Errorf("second Open: hash %v, first %v", r2.Hash(), r1.Hash())
	}
	if r2.port != port {
		t.Errorf("second Open with port 0: port %d, want the first one, %d", r2.port, port)
	}
	a1, _ := ri1.Address("NTCP2")
	a2, _ := r2.RouterInfo().Address("NTCP2")
	for _, k := range []string{"s", "i", "port"} {
		v1, _ := a1.Get(k)
		v2, _ := a2.Get(k)
		if v1 != v2 || v1 == "" {
			t.Errorf("NTCP2 %q changed across restarts: %q, then %q", k, v1, v2)
		}
	}
}

func TestIdentityCorrupt(t *testing.T) {
	// A valid key file to corrupt.
	id, err := newIdentity()
	if err != nil {
		t.Fatal(err)
	}
	valid := func() keysJSON {
		return keysJSON{
			Version: 1, Identity: id.ident.Bytes(), SigningSeed: id.signer.Seed(),
			EncryptionKey: id.encPriv.Bytes(), NTCP2Static: id.ntcp2.Bytes(), NTCP2IV: id.ntcp2IV[:],
		}
	}
	other, err := newIdentity()
	if err != nil {
		t.Fatal(err)
	}
	marshal := func(f func(*keysJSON)) []byte {
		k := valid()
		f(&k)
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	tests := []struct {
		name string
		b    []byte
		want string // in the error, besides the file name
	}{
		{"empty", nil, "JSON"},
		{"garbage", []byte("\x00\x01 not json at all"), "invalid character"},
		{"truncated", marshal(func(*keysJSON) {})[:40], "JSON"},
		{"wrong type", []byte(`{"version": "one"}`), "version"},
		{"version 0", marshal(func(k *keysJSON) { k.Version = 0 }), "version"},
		{"version 2", marshal(func(k *keysJSON) { k.Version = 2 }), "version"},
		{"no identity", marshal(func(k *keysJSON) { k.Identity = nil }), "identity"},
		{"short identity", marshal(func(k *keysJSON) { k.Identity = k.Identity[:100] }), "identity"},
		{"identity trailing bytes", marshal(func(k *keysJSON) { k.Identity = append(k.Identity, 0) }), "identity"},
		{"short seed", marshal(func(k *keysJSON) { k.SigningSeed = k.SigningSeed[:31] }), ""},
		{"other seed", marshal(func(k *keysJSON) { k.SigningSeed = other.signer.Seed() }), "signing key"},
		{"short encryption key", marshal(func(k *keysJSON) { k.EncryptionKey = k.EncryptionKey[:5] }), ""},
		{"other encryption key", marshal(func(k *keysJSON) { k.EncryptionKey = other.encPriv.Bytes() }), "encryption key"},
		{"no NTCP2 key", marshal(func(k *keysJSON) { k.NTCP2Static = nil }), ""},
		{"short NTCP2 IV", marshal(func(k *keysJSON) { k.NTCP2IV = k.NTCP2IV[:15] }), "IV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, keysFile)
			if err := os.WriteFile(p, tt.b, 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := New(Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
			if err != nil {
				t.Fatal(err)
			}
			err = r.Open()
			if err == nil {
				shutdown(t, r)
				t.Fatal("Open accepted a corrupted key file")
			}
			if !strings.HasPrefix(err.Error(), "router: ") || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the key file %s", err, p)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			// The corrupted file is left for the user, not replaced.
			if b, _ := os.ReadFile(p); string(b) != string(tt.b) {
				t.Error("the key file was changed")
			}
		})
	}
}

func TestIdentityFixesMode(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	r1 := openRouter(t, Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: port})
	shutdown(t, r1)
	p := filepath.Join(dir, keysFile)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := openRouter(t, Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: port})
	checkMode(t, p, 0o600)
	if r2.Hash() != r1.Hash() {
		t.Error("the identity changed")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, s := range []string{"first", "second, longer", "3"} {
		if err := writeFileAtomic(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Errorf("file holds %q, want %q", b, s)
		}
	}
	checkMode(t, p, 0o600)
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("writeFileAtomic into a missing directory succeeded")
	}
}

func checkMode(t *testing.T, p string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Error(err)
		return
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", filepath.Base(p), got, want)
	}
}
