package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

func TestEvictionCap(t *testing.T) {
	c := newClock()
	s := New(Config{MaxProfiles: 3}, c.Now)
	a, b, d, e := hash("a"), hash("b"), hash("d"), hash("e")
	for _, h := range []data.Hash{a, b, d} {
		s.RecordLookup(h, true, 0)
		c.Advance(time.Second)
	}
	s.RecordStore(a, true) // a is now the most recent; b the stalest
	c.Advance(time.Second)
	s.RecordTunnelBuild(e, BuildAccepted)
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
	if s.Get(b).Lookup.Sent.Total != 0 {
		t.Error("b, the stalest, was not evicted")
	}
	for _, h := range []data.Hash{a, d, e} {
		if p := s.Get(h); p.Lookup.Sent.Total == 0 && p.Build.Requested.Total == 0 {
			t.Errorf("%v evicted", h)
		}
	}
	// Reads do not refresh: d is now the stalest even though we just read it.
	s.Get(d)
	s.RecordLookup(b, true, 0)
	if s.Get(d).Lookup.Sent.Total != 0 {
		t.Error("d not evicted")
	}
}

func TestMaxAge(t *testing.T) {
	c := newClock()
	s := New(Config{MaxAge: time.Hour}, c.Now)
	old, fresh := hash("old"), hash("fresh")
	s.RecordLookup(old, true, 0)
	c.Advance(2 * time.Hour)
	s.RecordLookup(fresh, true, 0)
	if s.Len() != 1 || s.Get(old).Lookup.Sent.Total != 0 {
		t.Errorf("stale profile kept: Len %d", s.Len())
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	var hs []data.Hash
	for i := range 50 {
		h := hash(fmt.Sprint("peer", i))
		hs = append(hs, h)
		s.RecordLookup(h, i%3 != 0, time.Duration(i)*time.Millisecond)
		s.RecordStore(h, i%2 == 0)
		s.RecordTunnelBuild(h, BuildResult(i%3))
		c.Advance(time.Minute)
	}
	dir := filepath.Join(t.TempDir(), "sub") // Save creates it
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	assertOnlyFile(t, dir)

	c.Advance(10 * time.Minute)
	s2 := New(Config{MaxProfiles: len(hs)}, c.Now)
	if err := s2.Load(dir); err != nil {
		t.Fatal(err)
	}
	if s2.Len() != s.Len() {
		t.Fatalf("loaded %d profiles, saved %d", s2.Len(), s.Len())
	}
	for _, h := range hs {
		if a, b := s.Get(h), s2.Get(h); !reflect.DeepEqual(a, b) {
			t.Fatalf("%v differs after reload:\n%+v\n%+v", h, a, b)
		}
	}
	// The LRU order survives: in the full store a new peer evicts the
	// stalest loaded profile, hs[0].
	s2.RecordLookup(hash("new"), true, 0)
	if s2.Get(hs[0]).Lookup.Sent.Total != 0 || s2.Get(hs[1]).Lookup.Sent.Total != 1 {
		t.Error("LRU order lost in Save and Load")
	}

	// Saving again replaces the file and leaves no temporary file behind.
	if err := s2.Save(dir); err != nil {
		t.Fatal(err)
	}
	assertOnlyFile(t, dir)
}

func TestLoadKeepsMostRecentUnderCap(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	for i := range 10 {
		s.RecordLookup(hash(fmt.Sprint(i)), true, 0)
		c.Advance(time.Second)
	}
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	s2 := New(Config{MaxProfiles: 4}, c.Now)
	if err := s2.Load(dir); err != nil {
		t.Fatal(err)
	}
	if s2.Len() != 4 {
		t.Fatalf("Len = %d, want 4", s2.Len())
	}
	for i := range 10 {
		kept := s2.Get(hash(fmt.Sprint(i))).Lookup.Sent.Total == 1
		if kept != (i >= 6) {
			t.Errorf("profile %d kept = %v", i, kept)
		}
	}
	// The oldest loaded (6) is the first evicted.
	s2.RecordLookup(hash("x"), true, 0)
	if s2.Get(hash("6")).Lookup.Sent.Total != 0 || s2.Get(hash("7")).Lookup.Sent.Total != 1 {
		t.Error("eviction order after Load")
	}
}

func TestLoadSkipsExpired(t *testing.T) {
	c := newClock()
	s := New(Config{}, c.Now)
	s.RecordLookup(hash("old"), true, 0)
	c.Advance(DefaultMaxAge - time.Hour)
	s.RecordLookup(hash("new"), true, 0)
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour)
	s2 := New(Config{}, c.Now)
	if err := s2.Load(dir); err != nil {
		t.Fatal(err)
	}
	if s2.Len() != 1 || s2.Get(hash("new")).Lookup.Sent.Total != 1 {
		t.Errorf("Len %d: want only the fresh profile", s2.Len())
	}
}

func TestLoadMissing(t *testing.T) {
	s := New(Config{}, newClock().Now)
	s.RecordLookup(hash("x"), true, 0)
	if err := s.Load(t.TempDir()); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	if s.Len() != 0 {
		t.Error("Load did not replace the contents")
	}
}

func TestLoadCorrupt(t *testing.T) {
	c := newClock()
	good := New(Config{}, c.Now)
	good.RecordLookup(hash("a"), true, time.Second)
	good.RecordLookup(hash("b"), true, time.Second)
	dir := t.TempDir()
	if err := good.Save(dir); err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	hashA := hash("a").String()
	hashB := hash("b").String()

	for _, tc := range []struct {
		name, content string
	}{
		{"empty", ""},
		{"garbage", "\x00\x01not json"},
		{"truncated", string(valid[:len(valid)/2])},
		{"wrong version", strings.Replace(string(valid), `"version":1`, `"version":2`, 1)},
		{"bad hash", strings.Replace(string(valid), hashA, "AAAA", 1)},
		{"zero hash", strings.Replace(string(valid), hashA, data.Hash{}.String(), 1)},
		{"duplicate", strings.Replace(string(valid), hashB, hashA, 1)},
		{"negative recent", strings.Replace(string(valid), `"recent":1`, `"recent":-1`, 1)},
		{"recent above total", strings.Replace(string(valid), `"recent":1`, `"recent":7`, 1)},
		{"profiles not a list", `{"version":1,"profiles":{}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.content == string(valid) {
				t.Fatal("replacement did not apply")
			}
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, FileName), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := New(Config{}, c.Now)
			s.RecordLookup(hash("before"), true, 0)
			err := s.Load(d)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load = %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), FileName) {
				t.Errorf("error does not name the file: %v", err)
			}
			if s.Len() != 0 {
				t.Errorf("Len = %d after corrupt load, want 0", s.Len())
			}
			// The store is usable, and Save overwrites the bad file.
			s.RecordLookup(hash("after"), true, 0)
			if err := s.Save(d); err != nil {
				t.Fatal(err)
			}
			s2 := New(Config{}, c.Now)
			if err := s2.Load(d); err != nil || s2.Len() != 1 {
				t.Errorf("reload after overwrite: %v, Len %d", err, s2.Len())
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	d := t.TempDir()
	// A directory where the file should be: not corrupt, but unreadable.
	if err := os.Mkdir(filepath.Join(d, FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, newClock().Now)
	err := s.Load(d)
	if err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("Load = %v, want an I/O error", err)
	}
	if err := s.Save(d); err == nil {
		t.Error("Save over a directory succeeded")
	}
	entries, _ := os.ReadDir(d)
	if len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}

func TestConcurrent(t *testing.T) {
	c := newClock()
	s := New(Config{MaxProfiles: 20}, c.Now)
	dir := t.TempDir()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				h := hash(fmt.Sprint(g, i%30))
				switch i % 5 {
				case 0:
					s.RecordLookup(h, i%2 == 0, time.Millisecond)
				case 1:
					s.RecordStore(h, true)
				case 2:
					s.RecordTunnelBuild(h, BuildResult(i%3))
				case 3:
					_ = s.Score(h) + float64(s.Len())
					_ = s.IsBad(h)
				case 4:
					c.Advance(time.Second)
					if g == 0 && i%50 == 4 {
						if err := s.Save(dir); err != nil {
							t.Error(err)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if s.Len() > 20 {
		t.Errorf("Len %d over cap", s.Len())
	}
}

func TestDefaultClock(t *testing.T) {
	s := New(Config{}, nil)
	s.RecordLookup(hash("x"), true, 0)
	if p := s.Get(hash("x")); time.Since(p.LastHeard) > time.Minute || time.Since(p.LastHeard) < 0 {
		t.Errorf("nil clock is not time.Now: %v", p.LastHeard)
	}
}

func assertOnlyFile(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != FileName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %v, want only %s", names, FileName)
	}
}
