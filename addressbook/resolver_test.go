package addressbook

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

func writeBook(t *testing.T, dir string, b Book, entries ...Entry) {
	t.Helper()
	raw, err := AppendFile(nil, entries)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, b.File()), raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Config{}, nil, nil); err == nil {
		t.Error("no Dir accepted")
	}
	if _, err := New(Config{Dir: "x", Subscriptions: []string{"ftp://a.i2p/"}}, nil, nil); err == nil {
		t.Error("ftp subscription accepted")
	}
	dir := filepath.Join(t.TempDir(), "ab")
	r, err := New(Config{Dir: dir}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("New touched the disk")
	}
	st := r.Status()
	if len(st) != len(DefaultSubscriptions()) || st[0].URL != "http://i2p-projekt.i2p/hosts.txt" {
		t.Errorf("default feeds %+v", st)
	}
	if r.cfg.Interval != DefaultInterval || r.cfg.MaxFeedSize != DefaultMaxFeedSize {
		t.Errorf("defaults not applied: %+v", r.cfg)
	}
}

func TestResolveOrder(t *testing.T) {
	dir := t.TempDir()
	p, l, rt := newKey(t), newKey(t), newKey(t)
	writeBook(t, dir, Router, Entry{Name: "all.i2p", Dest: rt.dest}, Entry{Name: "lr.i2p", Dest: rt.dest}, Entry{Name: "r.i2p", Dest: rt.dest})
	writeBook(t, dir, Local, Entry{Name: "all.i2p", Dest: l.dest}, Entry{Name: "lr.i2p", Dest: l.dest})
	writeBook(t, dir, Private, Entry{Name: "all.i2p", Dest: p.dest})
	r := newTestResolver(t, Config{Dir: dir})
	ctx := t.Context()
	for name, want := range map[string]string{"all.i2p": p.dest, "lr.i2p": l.dest, "r.i2p": rt.dest, "R.I2P.": rt.dest} {
		got, err := r.Resolve(ctx, name)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %.10s, %v", name, got, err)
		}
	}
	if _, err := r.Resolve(ctx, "nope.i2p"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("unknown name: %v", err)
	}
	b32, err := r.B32("r.i2p")
	d, _ := data.DestinationFromBase64(rt.dest)
	if err != nil || b32 != d.B32() || !strings.HasSuffix(b32, ".b32.i2p") {
		t.Errorf("B32 = %q, %v", b32, err)
	}
	if _, err := r.B32("nope.i2p"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("B32 of unknown: %v", err)
	}
	// The published book has local and router names, never private ones.
	pub := r.List(Published)
	if len(pub) != 3 || pub[0].Name != "all.i2p" || pub[0].Dest != l.dest || pub[0].B32 == "" {
		t.Errorf("published %+v", pub)
	}
	if got := r.List(Private); len(got) != 1 || got[0].Book != Private {
		t.Errorf("private %+v", got)
	}
}

func TestAdd(t *testing.T) {
	dir := t.TempDir()
	a, b := newKey(t), newKey(t)
	writeBook(t, dir, Router, Entry{Name: "feed.i2p", Dest: a.dest})
	r := newTestResolver(t, Config{Dir: dir})
	if err := r.Add("New.i2p", a.dest); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("new.i2p", a.dest); err != nil {
		t.Errorf("same again: %v", err)
	}
	if err := r.Add("new.i2p", b.dest); !errors.Is(err, ErrConflict) {
		t.Errorf("other dest: %v", err)
	}
	if err := r.Add("feed.i2p", b.dest); !errors.Is(err, ErrConflict) {
		t.Errorf("router name, other dest: %v", err)
	}
	if err := r.Add("bad_name.i2p", a.dest); !errors.Is(err, ErrInvalidName) {
		t.Errorf("bad name: %v", err)
	}
	if err := r.Add("ok.i2p", "AAAA"); !errors.Is(err, ErrInvalidDest) {
		t.Errorf("bad dest: %v", err)
	}
	if err := r.AddTo(Router, "ok.i2p", a.dest); err == nil {
		t.Error("AddTo(Router) accepted")
	}
	if err := r.AddTo(Private, "secret.i2p", b.dest); err != nil {
		t.Fatal(err)
	}
	// Saved: a new Resolver on the same directory sees the names, and the
	// published file has the local name but not the private one.
	r2 := newTestResolver(t, Config{Dir: dir})
	for _, n := range []string{"new.i2p", "secret.i2p", "feed.i2p"} {
		if _, err := r2.Resolve(t.Context(), n); err != nil {
			t.Errorf("%s after reload: %v", n, err)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, Published.File()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pub), "new.i2p="+a.dest+"\n") || !strings.Contains(string(pub), "feed.i2p=") || strings.Contains(string(pub), "secret.i2p") {
		t.Errorf("published.txt:\n%.300s", pub)
	}
}

func TestAddLimit(t *testing.T) {
	r := newTestResolver(t, Config{MaxBookEntries: 1})
	a, b := newKey(t), newKey(t)
	if err := r.Add("a.i2p", a.dest); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("b.i2p", b.dest); !errors.Is(err, ErrTooLarge) {
		t.Errorf("second name: %v", err)
	}
}

func TestLoad(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		raw, err := defaultsFS.ReadFile("defaults/hosts.txt")
		if err != nil || len(raw) == 0 {
			t.Fatalf("embedded defaults: %v", err)
		}
		entries, bad := ParseFile(raw)
		if len(entries) < 40 || bad != 0 {
			t.Errorf("defaults have %d entries, %d bad lines", len(entries), bad)
		}
		saved := defaultBook
		defaultBook = func() ([]byte, error) { return raw, nil }
		t.Cleanup(func() { defaultBook = saved })
		r := newTestResolver(t, Config{})
		if got := len(r.List(Router)); got != len(entries) {
			t.Errorf("router book has %d names, defaults %d", got, len(entries))
		}
		// Spot checks against b32 addresses published elsewhere (i2pd's
		// jump services, Java's router console links).
		for name, b32 := range map[string]string{
			"identiguy.i2p":   "3mzmrus2oron5fxptw7hw2puho3bnqmw2hqy7nw64dsrrjwdilva.b32.i2p",
			"i2p-projekt.i2p": "udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p",
		} {
			if got, err := r.B32(name); err != nil || got != b32 {
				t.Errorf("%s: %s %v, want %s", name, got, err, b32)
			}
		}
		for _, name := range []string{"irc.postman.i2p", "irc.echelon.i2p", "smtp.postman.i2p", "pop.postman.i2p", "stats.i2p", "zzz.i2p"} {
			if _, err := r.Resolve(t.Context(), name); err != nil {
				t.Errorf("default name %s: %v", name, err)
			}
		}
	})
	t.Run("invalid lines skipped", func(t *testing.T) {
		dir, k := t.TempDir(), newKey(t)
		raw := "# c\nok.i2p=" + k.dest + "\nBAD NAME.i2p=" + k.dest + "\nshort.i2p=AAAA\ngarbage\nx.b32.i2p=" + k.dest + "\n"
		os.WriteFile(filepath.Join(dir, Local.File()), []byte(raw), 0o600)
		r := newTestResolver(t, Config{Dir: dir})
		if got := r.List(Local); len(got) != 1 || got[0].Name != "ok.i2p" {
			t.Errorf("local book %+v", got)
		}
	})
	t.Run("too large", func(t *testing.T) {
		dir, k := t.TempDir(), newKey(t)
		writeBook(t, dir, Router, Entry{Name: "a.i2p", Dest: k.dest}, Entry{Name: "b.i2p", Dest: k.dest})
		r, _ := New(Config{Dir: dir, MaxBookEntries: 1, Subscriptions: []string{}}, nil, nil)
		if err := r.Load(); !errors.Is(err, ErrTooLarge) {
			t.Errorf("entries over the limit: %v", err)
		}
		r, _ = New(Config{Dir: dir, MaxBookSize: 100, Subscriptions: []string{}}, nil, nil)
		if err := r.Load(); !errors.Is(err, ErrTooLarge) {
			t.Errorf("file over the limit: %v", err)
		}
	})
	t.Run("extra destinations", func(t *testing.T) {
		dir := t.TempDir()
		a, b, c := newKey(t), newKey(t), newKey(t)
		r := newTestResolver(t, Config{Dir: dir})
		apply(r, Entry{Name: "n.i2p", Dest: a.dest},
			signed("n.i2p", b, map[string]string{KeyAction: ActionAddDest}, &a),
			signed("n.i2p", c, map[string]string{KeyAction: ActionAddDest}, &a))
		if err := r.save(Router); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, Router.File()))
		// Java keeps a name's last line: the primary is written last.
		if !strings.HasSuffix(string(raw), "n.i2p="+a.dest+"\n") {
			t.Errorf("primary not last:\n%s", raw)
		}
		r2 := newTestResolver(t, Config{Dir: dir})
		if got, want := routerDests(r2, "n.i2p"), routerDests(r, "n.i2p"); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("reloaded dests differ")
		}
		if d, _ := r2.Resolve(t.Context(), "n.i2p"); d != a.dest {
			t.Error("primary changed")
		}
	})
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts.txt")
	if err := writeBytesAtomic(path, []byte("old\n")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := writeFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if raw, _ := os.ReadFile(path); string(raw) != "old\n" {
		t.Errorf("old file now %q", raw)
	}
	// A failing rename (the target is a non-empty directory) leaves no
	// temporary file either.
	target := filepath.Join(dir, "sub")
	os.MkdirAll(filepath.Join(target, "x"), 0o700)
	if err := writeBytesAtomic(target, []byte("new")); err == nil {
		t.Error("rename over a directory succeeded")
	}
	names, _ := os.ReadDir(dir)
	if len(names) != 2 {
		for _, n := range names {
			t.Logf("left: %s", n.Name())
		}
		t.Errorf("%d files in dir, want 2", len(names))
	}
}

// A book write that fails leaves the old file, and the error says which.
func TestSaveFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	a, b := newKey(t), newKey(t)
	r := newTestResolver(t, Config{Dir: dir})
	if err := r.Add("a.i2p", a.dest); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, Local.File()))
	// A name that cannot be written makes the encode fail.
	r.mu.Lock()
	r.books[Local].add("b.i2p", b.dest)
	r.books[Local].add("c\n.i2p", b.dest)
	r.mu.Unlock()
	if err := r.save(Local); err == nil || !strings.Contains(err.Error(), "local book") {
		t.Fatalf("save: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, Local.File()))
	if string(after) != string(before) {
		t.Error("old file changed by a failed write")
	}
}
