package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/console"
)

func TestSettingsAdmin(t *testing.T) {
	p := filepath.Join(t.TempDir(), "i2pgo.yaml")
	os.WriteFile(p, []byte("# mine\nrouter:\n  netid: 7\ntunnels: []\n"), 0o600)
	cfg, err := configs.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	a := newSettingsAdmin(cfg, p)
	if c := a.Current(); c.Bandwidth != 2048 || len(c.ReseedURLs) < 5 {
		t.Errorf("current %+v", c)
	}
	want := console.RouterSettings{Host: "127.0.0.1", Port: 23456, Bandwidth: 300, Floodfill: true, ReseedURLs: []string{"https://r.example/"}}
	if err := a.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := configs.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Router; r.NetID != 7 || r.Host != "127.0.0.1" || r.Port != 23456 || r.Bandwidth != 300 || !r.Floodfill || len(r.Reseed.URLs) != 1 {
		t.Errorf("loaded %+v", r)
	}
	raw, _ := os.ReadFile(p)
	if !strings.Contains(string(raw), "# mine") || !strings.Contains(string(raw), "tunnels: []") {
		t.Errorf("file lost its other content:\n%s", raw)
	}
	if err := a.Save(console.RouterSettings{Bandwidth: 0}); err == nil {
		t.Error("bandwidth 0 saved")
	}
	if c := a.Current(); c.Bandwidth != 300 {
		t.Errorf("a refused save changed Current: %+v", c)
	}
}
