package configs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSaveValues(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "i2pgo.yaml")
	orig := "# my router\nrouter:\n  # my bandwidth\n  bandwidth: 100\n  netid: 7\nlog:\n  level: debug # chatty\n"
	if err := os.WriteFile(p, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	err := SaveValues(p, []Value{
		{"router.bandwidth", 500},
		{"router.floodfill", true},
		{"router.host", "127.0.0.1"},
		{"router.reseed.urls", []string{"https://reseed.example/"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	for _, want := range []string{"# my router", "# my bandwidth", "bandwidth: 500", "netid: 7", "level: debug # chatty", "floodfill: true", "- https://reseed.example/"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("saved file lacks %q:\n%s", want, raw)
		}
	}
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Router.Bandwidth != 500 || !f.Router.Floodfill || f.Router.NetID != 7 || !slices.Equal(f.Router.Reseed.URLs, []string{"https://reseed.example/"}) {
		t.Errorf("loaded %+v", f.Router)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}

	// Invalid values are not saved.
	for _, bad := range [][]Value{
		{{"router.bandwidth", -1}},
		{{"router.port", 70000}},
		{{"router.reseed.urls", []string{"ftp://x/"}}},
		{{"console.listen", "nohost"}},
		{{"log.level", 3.5}},
	} {
		if err := SaveValues(p, bad, nil); err == nil {
			t.Errorf("SaveValues(%v) accepted", bad)
		}
	}
	if now, _ := os.ReadFile(p); string(now) != string(raw) {
		t.Error("a refused save changed the file")
	}

	// A missing file is created; a broken file is not overwritten.
	p2 := filepath.Join(dir, "sub", "new.yaml")
	if err := SaveValues(p2, []Value{{"router.bandwidth", 64}}, nil); err != nil {
		t.Fatal(err)
	}
	if f, err := Load(p2); err != nil || f.Router.Bandwidth != 64 {
		t.Errorf("new file: %v %+v", err, f.Router)
	}
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("router: [\n"), 0o600)
	if err := SaveValues(broken, []Value{{"router.bandwidth", 64}}, nil); err == nil {
		t.Error("a broken file was overwritten")
	}
	if now, _ := os.ReadFile(broken); string(now) != "router: [\n" {
		t.Error("broken file changed")
	}
}
