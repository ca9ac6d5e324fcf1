package addressbook

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDelete(t *testing.T) {
	r := newTestResolver(t, Config{})
	a, b := newKey(t), newKey(t)
	if err := r.AddTo(Local, "mine.i2p", a.dest); err != nil {
		t.Fatal(err)
	}
	if err := r.AddTo(Private, "secret.i2p", b.dest); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(Router, "mine.i2p"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("delete from a book without the name: %v", err)
	}
	if err := r.Delete(Published, "mine.i2p"); err == nil {
		t.Error("delete from the published book accepted")
	}
	if err := r.Delete(Local, "Mine.I2P"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(t.Context(), "mine.i2p"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("deleted name resolves: %v", err)
	}
	// The files follow: the local and published books no longer have it.
	for _, bk := range []Book{Local, Published} {
		raw, err := os.ReadFile(r.path(bk))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "mine.i2p") {
			t.Errorf("%s book file still has the name", bk)
		}
	}
	if err := r.Delete(Private, "secret.i2p"); err != nil {
		t.Fatal(err)
	}
	r2 := newTestResolver(t, Config{Dir: r.cfg.Dir})
	if got := r2.Search("", 0); len(got) != 0 {
		t.Errorf("after restart: %+v", got)
	}
}

func TestSearch(t *testing.T) {
	r := newTestResolver(t, Config{})
	keys := map[string]testKey{}
	for _, n := range []string{"alpha.i2p", "beta.i2p", "alphabet.i2p", "gamma.i2p"} {
		keys[n] = newKey(t)
		if err := r.AddTo(Local, n, keys[n].dest); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.AddTo(Private, "zeta.i2p", newKey(t).dest); err != nil {
		t.Fatal(err)
	}
	names := func(rs []Record) []string {
		var out []string
		for _, x := range rs {
			out = append(out, x.Name)
		}
		return out
	}
	if got := names(r.Search("ALPHA", 0)); !slices.Equal(got, []string{"alpha.i2p", "alphabet.i2p"}) {
		t.Errorf("search alpha: %q", got)
	}
	if got := names(r.Search("", 2)); !slices.Equal(got, []string{"alpha.i2p", "alphabet.i2p"}) {
		t.Errorf("limit 2: %q", got)
	}
	if got := r.Search("zeta", 0); len(got) != 1 || got[0].Book != Private {
		t.Errorf("private name: %+v", got)
	}
	b32, _ := DestB32(keys["gamma.i2p"].dest)
	if got := names(r.Search(b32[:10], 0)); !slices.Equal(got, []string{"gamma.i2p"}) {
		t.Errorf("search by b32 prefix: %q", got)
	}
	if got := r.Search("gamma", 0); len(got) != 1 || got[0].B32 != b32 || got[0].Dest != keys["gamma.i2p"].dest {
		t.Errorf("record %+v", got)
	}
}

func TestSetSubscriptions(t *testing.T) {
	k := newKey(t)
	body := feedText(t, Entry{Name: "a.i2p", Dest: k.dest})
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { w.Write(body) })
	r := feedResolver(t, Config{Subscriptions: []string{"http://one.i2p/hosts.txt"}}, h)
	fetch(t, r)
	for _, bad := range [][]string{{"ftp://x.i2p/"}, {"http://a b.i2p/"}, make([]string, 0, MaxSubscriptions+1)} {
		if len(bad) == 0 {
			for i := range MaxSubscriptions + 1 {
				bad = append(bad, "http://f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))+".i2p/")
			}
		}
		if err := r.SetSubscriptions(bad); err == nil {
			t.Errorf("SetSubscriptions(%.60q) accepted", bad)
		}
	}
	if got := r.Subscriptions(); !slices.Equal(got, []string{"http://one.i2p/hosts.txt"}) {
		t.Fatalf("list changed by refused edits: %q", got)
	}
	want := []string{"http://two.i2p/hosts.txt", "http://one.i2p/hosts.txt"}
	if err := r.SetSubscriptions([]string{" http://two.i2p/hosts.txt", "http://one.i2p/hosts.txt", "", "http://two.i2p/hosts.txt"}); err != nil {
		t.Fatal(err)
	}
	if got := r.Subscriptions(); !slices.Equal(got, want) {
		t.Fatalf("Subscriptions() = %q", got)
	}
	st := r.Status()
	if st[0].Result != ResultNone || st[1].Result != ResultOK {
		t.Errorf("status after the edit: %+v", st)
	}
	// The edited list outlives a restart, over Config.Subscriptions.
	r2 := feedResolver(t, Config{Dir: r.cfg.Dir, Subscriptions: []string{"http://config.i2p/hosts.txt"}}, h)
	if got := r2.Subscriptions(); !slices.Equal(got, want) {
		t.Errorf("after restart: %q", got)
	}
	if err := r2.SetSubscriptions(nil); err != nil {
		t.Fatal(err)
	}
	if err := r2.FetchNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	r3 := feedResolver(t, Config{Dir: r.cfg.Dir, Subscriptions: []string{"http://config.i2p/hosts.txt"}}, h)
	if got := r3.Subscriptions(); len(got) != 0 {
		t.Errorf("emptied list after restart: %q", got)
	}
	// A broken file is an error of Load, not a silent fallback.
	if err := os.WriteFile(filepath.Join(r.cfg.Dir, subscriptionsFile), []byte("gopher://x.i2p/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r4, _ := New(Config{Dir: r.cfg.Dir}, nil, nil)
	if err := r4.Load(); err == nil {
		t.Error("Load accepted a broken subscriptions.txt")
	}
}

// TestSamples checks that a fetch's status names its conflicts and the
// lines it refused, bounded.
func TestSamples(t *testing.T) {
	a, b := newKey(t), newKey(t)
	var entries []Entry
	for i := range 30 {
		e := signed("forged"+string(rune('a'+i%26))+string(rune('a'+i/26))+".i2p", a, nil, nil)
		e.Dest = b.dest // signed by a, claims b
		entries = append(entries, e)
	}
	entries = append(entries, Entry{Name: "taken.i2p", Dest: b.dest})
	body := feedText(t, entries...)
	r := feedResolver(t, Config{}, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { w.Write(body) }))
	if err := r.Add("taken.i2p", a.dest); err != nil {
		t.Fatal(err)
	}
	st := fetch(t, r)
	if st.Invalid != 30 || len(st.Refused) != maxSamples || !strings.Contains(st.Refused[0], "forgedaa.i2p: sig") {
		t.Errorf("invalid %d, refused %q", st.Invalid, st.Refused)
	}
	if st.Conflicts != 1 || len(st.ConflictNames) != 1 || st.ConflictNames[0] != "taken.i2p (kept from the local book)" {
		t.Errorf("conflicts %d %q", st.Conflicts, st.ConflictNames)
	}
	if d, _ := r.Resolve(t.Context(), "taken.i2p"); d != a.dest {
		t.Error("first come not kept")
	}
}
