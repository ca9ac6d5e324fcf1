package addressbook

import (
	"errors"
	"maps"
	"reflect"
	"testing"
)

func newTestResolver(t *testing.T, cfg Config) *Resolver {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Subscriptions == nil {
		cfg.Subscriptions = []string{}
	}
	r, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(); err != nil {
		t.Fatal(err)
	}
	return r
}

func apply(r *Resolver, entries ...Entry) counts {
	var c counts
	r.mu.Lock()
	r.applyLocked("test", entries, &c)
	r.mu.Unlock()
	return c
}

func routerDests(r *Resolver, name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.books[Router].names[name]...)
}

func TestSignedBytesGolden(t *testing.T) {
	k, old := fixedKey(t, 1), fixedKey(t, 2)
	e := Entry{Name: "a.i2p", Dest: k.dest, Props: map[string]string{
		KeySig: "S", KeyOldSig: "O", KeyOldDest: old.dest, KeyAction: ActionChangeDest, KeyDate: "1",
	}}
	if got, want := string(e.SignedBytes()), "a.i2p="+k.dest+"#!action=changedest#date=1#olddest="+old.dest+"#oldsig=O"; got != want {
		t.Errorf("SignedBytes = %q\nwant %q", got, want)
	}
	if got, want := string(e.InnerSignedBytes()), "a.i2p="+k.dest+"#!action=changedest#date=1#olddest="+old.dest; got != want {
		t.Errorf("InnerSignedBytes = %q\nwant %q", got, want)
	}
	plain := Entry{Name: "a.i2p", Dest: k.dest, Props: map[string]string{KeySig: "S"}}
	if got, want := string(plain.SignedBytes()), "a.i2p="+k.dest; got != want {
		t.Errorf("Add SignedBytes = %q, want %q", got, want)
	}
	rm := Entry{Props: map[string]string{KeySig: "S", KeyAction: ActionRemove, KeyName: "a.i2p", KeyDest: k.dest}}
	if got, want := string(rm.SignedBytes()), "#!action=remove#dest="+k.dest+"#name=a.i2p"; got != want {
		t.Errorf("Remove SignedBytes = %q, want %q", got, want)
	}
	// The destination is the one NewDestination makes: 387 bytes with a
	// KEY certificate (Ed25519, ElGamal slot unused) = 516+ characters.
	if len(k.dest) != 524 {
		t.Errorf("destination is %d characters", len(k.dest))
	}
}

func TestVerify(t *testing.T) {
	k, old, other := newKey(t), newKey(t), newKey(t)
	e := signed("a.i2p", k, map[string]string{KeyAction: ActionChangeDest}, &old)
	if err := e.VerifySig(); err != nil {
		t.Fatal(err)
	}
	if err := e.VerifyInnerSig(); err != nil {
		t.Fatal(err)
	}
	tamper := func(f func(p map[string]string)) Entry {
		x := Entry{Name: e.Name, Dest: e.Dest, Props: maps.Clone(e.Props)}
		f(x.Props)
		return x
	}
	for name, x := range map[string]Entry{
		"name":     {Name: "b.i2p", Dest: e.Dest, Props: e.Props},
		"dest":     {Name: e.Name, Dest: other.dest, Props: e.Props},
		"field":    tamper(func(p map[string]string) { p[KeyAction] = ActionAddDest }),
		"added":    tamper(func(p map[string]string) { p["x"] = "y" }),
		"sig":      tamper(func(p map[string]string) { p[KeySig] = other.sign([]byte("x")) }),
		"oldsig":   tamper(func(p map[string]string) { p[KeyOldSig] = old.sign([]byte("x")) }),
		"nosig":    tamper(func(p map[string]string) { delete(p, KeySig) }),
		"badb64":   tamper(func(p map[string]string) { p[KeySig] = "!!" }),
		"shortsig": tamper(func(p map[string]string) { p[KeySig] = "AAAA" }),
	} {
		if x.VerifySig() == nil {
			t.Errorf("%s: tampered sig verifies", name)
		}
	}
	if x := tamper(func(p map[string]string) { p[KeyOldDest] = other.dest }); x.VerifyInnerSig() == nil {
		t.Error("oldsig verifies with another olddest")
	}
	if x := tamper(func(p map[string]string) { delete(p, KeyOldSig) }); !errors.Is(x.VerifyInnerSig(), ErrNoSignature) {
		t.Error("missing oldsig not reported")
	}
	rm := signedRemove(ActionRemove, "a.i2p", k)
	if err := rm.VerifySig(); err != nil {
		t.Fatal(err)
	}
	rm.Props[KeyName] = "b.i2p"
	if rm.VerifySig() == nil {
		t.Error("tampered remove verifies")
	}
}

func TestFirstCome(t *testing.T) {
	r := newTestResolver(t, Config{})
	a, b := newKey(t), newKey(t)
	c := apply(r, Entry{Name: "x.i2p", Dest: a.dest}, Entry{Name: "x.i2p", Dest: b.dest}, Entry{Name: "x.i2p", Dest: a.dest})
	if c.Added != 1 || c.Conflicts != 1 || c.Skipped != 1 {
		t.Errorf("counts %+v", c)
	}
	// A signed Add does not override either.
	c = apply(r, signed("x.i2p", b, nil, nil))
	if c.Conflicts != 1 {
		t.Errorf("signed add counts %+v", c)
	}
	if d := routerDests(r, "x.i2p"); len(d) != 1 || d[0] != a.dest {
		t.Errorf("x.i2p = %v", d)
	}
	// Names of the user's books win too.
	if err := r.Add("mine.i2p", a.dest); err != nil {
		t.Fatal(err)
	}
	if c := apply(r, Entry{Name: "mine.i2p", Dest: b.dest}); c.Conflicts != 1 {
		t.Errorf("counts %+v", c)
	}
	if len(routerDests(r, "mine.i2p")) != 0 {
		t.Error("feed name added over the local book")
	}
}

func TestActions(t *testing.T) {
	a, b, c2, x := newKey(t), newKey(t), newKey(t), newKey(t)
	type check func(t *testing.T, r *Resolver)
	has := func(name string, dests ...string) check {
		return func(t *testing.T, r *Resolver) {
			t.Helper()
			got := routerDests(r, name)
			if len(got) != len(dests) {
				t.Fatalf("%s = %d dests, want %d", name, len(got), len(dests))
			}
			for i := range got {
				if got[i] != dests[i] {
					t.Fatalf("%s dest %d differs", name, i)
				}
			}
		}
	}
	tests := []struct {
		name   string
		before []Entry // applied first
		entry  Entry
		want   counts
		checks []check
	}{
		{"signed add", nil, signed("n.i2p", a, map[string]string{KeyDate: "1"}, nil), counts{Added: 1}, []check{has("n.i2p", a.dest)}},
		{"signed add, bad sig", nil, func() Entry { e := signed("n.i2p", a, nil, nil); e.Dest = b.dest; return e }(), counts{Invalid: 1}, []check{has("n.i2p")}},
		{"unsigned fields", nil, Entry{Name: "n.i2p", Dest: a.dest, Props: map[string]string{KeyDate: "1"}}, counts{Invalid: 1}, []check{has("n.i2p")}},

		{"adddest", []Entry{{Name: "n.i2p", Dest: a.dest}}, signed("n.i2p", b, map[string]string{KeyAction: ActionAddDest}, &a),
			counts{Changed: 1}, []check{has("n.i2p", a.dest, b.dest)}},
		{"adddest, unknown name", nil, signed("n.i2p", b, map[string]string{KeyAction: ActionAddDest}, &a),
			counts{Added: 1}, []check{has("n.i2p", b.dest)}},
		{"adddest, olddest not the known one", []Entry{{Name: "n.i2p", Dest: c2.dest}}, signed("n.i2p", b, map[string]string{KeyAction: ActionAddDest}, &a),
			counts{Invalid: 1}, []check{has("n.i2p", c2.dest)}},
		{"adddest, oldsig by another key", []Entry{{Name: "n.i2p", Dest: a.dest}}, func() Entry {
			e := signed("n.i2p", b, map[string]string{KeyAction: ActionAddDest, KeyOldDest: a.dest}, &x)
			e.Props[KeyOldDest] = a.dest
			e.Props[KeySig] = b.sign(e.SignedBytes())
			return e
		}(), counts{Invalid: 1}, []check{has("n.i2p", a.dest)}},
		{"adddest, no olddest", []Entry{{Name: "n.i2p", Dest: a.dest}}, signed("n.i2p", b, map[string]string{KeyAction: ActionAddDest}, nil),
			counts{Invalid: 1}, []check{has("n.i2p", a.dest)}},

		{"changedest", []Entry{{Name: "n.i2p", Dest: a.dest}}, signed("n.i2p", b, map[string]string{KeyAction: ActionChangeDest}, &a),
			counts{Changed: 1}, []check{has("n.i2p", b.dest)}},
		{"changedest, already done", []Entry{{Name: "n.i2p", Dest: b.dest}}, signed("n.i2p", b, map[string]string{KeyAction: ActionChangeDest}, &a),
			counts{Skipped: 1}, []check{has("n.i2p", b.dest)}},
		{"changedest, wrong olddest", []Entry{{Name: "n.i2p", Dest: a.dest}}, signed("n.i2p", b, map[string]string{KeyAction: ActionChangeDest}, &x),
			counts{Invalid: 1}, []check{has("n.i2p", a.dest)}},
		{"changedest, tampered oldsig", []Entry{{Name: "n.i2p", Dest: a.dest}}, func() Entry {
			e := signed("n.i2p", b, map[string]string{KeyAction: ActionChangeDest}, &a)
			e.Props[KeyOldSig] = a.sign([]byte("other"))
			e.Props[KeySig] = b.sign(e.SignedBytes())
			return e
		}(), counts{Invalid: 1}, []check{has("n.i2p", a.dest)}},

		{"addname", []Entry{{Name: "old.i2p", Dest: a.dest}}, signed("alias.i2p", a, map[string]string{KeyAction: ActionAddName, KeyOldName: "old.i2p"}, nil),
			counts{Added: 1}, []check{has("alias.i2p", a.dest), has("old.i2p", a.dest)}},
		{"addname, oldname has another dest", []Entry{{Name: "old.i2p", Dest: b.dest}}, signed("alias.i2p", a, map[string]string{KeyAction: ActionAddName, KeyOldName: "old.i2p"}, nil),
			counts{Invalid: 1}, []check{has("alias.i2p")}},
		{"addname, name taken", []Entry{{Name: "alias.i2p", Dest: b.dest}}, signed("alias.i2p", a, map[string]string{KeyAction: ActionAddName, KeyOldName: "old.i2p"}, nil),
			counts{Conflicts: 1}, []check{has("alias.i2p", b.dest)}},
		{"addname, no oldname", nil, signed("alias.i2p", a, map[string]string{KeyAction: ActionAddName}, nil),
			counts{Invalid: 1}, nil},

		{"changename", []Entry{{Name: "old.i2p", Dest: a.dest}}, signed("new.i2p", a, map[string]string{KeyAction: ActionChangeName, KeyOldName: "old.i2p"}, nil),
			counts{Added: 1, Removed: 1}, []check{has("new.i2p", a.dest), has("old.i2p")}},
		{"changename, oldname has another dest", []Entry{{Name: "old.i2p", Dest: b.dest}}, signed("new.i2p", a, map[string]string{KeyAction: ActionChangeName, KeyOldName: "old.i2p"}, nil),
			counts{Invalid: 1}, []check{has("new.i2p"), has("old.i2p", b.dest)}},
		{"changename, bad sig", []Entry{{Name: "old.i2p", Dest: a.dest}}, func() Entry {
			e := signed("new.i2p", a, map[string]string{KeyAction: ActionChangeName, KeyOldName: "old.i2p"}, nil)
			e.Props[KeyOldName] = "other.i2p"
			return e
		}(), counts{Invalid: 1}, []check{has("old.i2p", a.dest)}},

		{"addsubdomain", []Entry{{Name: "example.i2p", Dest: a.dest}}, signed("sub.example.i2p", b, map[string]string{KeyAction: ActionAddSubdomain, KeyOldName: "example.i2p"}, &a),
			counts{Added: 1}, []check{has("sub.example.i2p", b.dest)}},
		{"addsubdomain, unknown parent", nil, signed("sub.example.i2p", b, map[string]string{KeyAction: ActionAddSubdomain, KeyOldName: "example.i2p"}, &a),
			counts{Added: 1}, []check{has("sub.example.i2p", b.dest)}},
		{"addsubdomain, not the parent's key", []Entry{{Name: "example.i2p", Dest: a.dest}}, signed("sub.example.i2p", b, map[string]string{KeyAction: ActionAddSubdomain, KeyOldName: "example.i2p"}, &x),
			counts{Invalid: 1}, []check{has("sub.example.i2p")}},
		{"addsubdomain, no parent signature", []Entry{{Name: "example.i2p", Dest: a.dest}}, func() Entry {
			e := signed("sub.example.i2p", b, map[string]string{KeyAction: ActionAddSubdomain, KeyOldName: "example.i2p", KeyOldDest: a.dest}, nil)
			return e
		}(), counts{Invalid: 1}, []check{has("sub.example.i2p")}},
		{"addsubdomain, oldname not the parent", []Entry{{Name: "other.i2p", Dest: a.dest}}, signed("sub.example.i2p", b, map[string]string{KeyAction: ActionAddSubdomain, KeyOldName: "other.i2p"}, &a),
			counts{Invalid: 1}, []check{has("sub.example.i2p")}},
		{"addsubdomain, suffix but not a label", []Entry{{Name: "ample.i2p", Dest: a.dest}}, signed("example.i2p", b, map[string]string{KeyAction: ActionAddSubdomain, KeyOldName: "ample.i2p"}, &a),
			counts{Invalid: 1}, []check{has("example.i2p")}},

		{"remove", []Entry{{Name: "n.i2p", Dest: a.dest}}, signedRemove(ActionRemove, "n.i2p", a),
			counts{Removed: 1}, []check{has("n.i2p")}},
		{"remove, another dest", []Entry{{Name: "n.i2p", Dest: b.dest}}, signedRemove(ActionRemove, "n.i2p", a),
			counts{Invalid: 1}, []check{has("n.i2p", b.dest)}},
		{"remove, forged", []Entry{{Name: "n.i2p", Dest: a.dest}}, func() Entry {
			e := signedRemove(ActionRemove, "n.i2p", x)
			e.Props[KeyDest] = a.dest
			return e
		}(), counts{Invalid: 1}, []check{has("n.i2p", a.dest)}},
		{"remove, unknown", nil, signedRemove(ActionRemove, "n.i2p", a), counts{Skipped: 1}, nil},
		{"remove with name=dest", []Entry{{Name: "n.i2p", Dest: a.dest}}, signed("n.i2p", a, map[string]string{KeyAction: ActionRemove}, nil),
			counts{Invalid: 1}, []check{has("n.i2p", a.dest)}},

		{"removeall", []Entry{{Name: "n.i2p", Dest: a.dest}, {Name: "m.i2p", Dest: a.dest}, {Name: "o.i2p", Dest: b.dest}}, signedRemove(ActionRemoveAll, "n.i2p", a),
			counts{Removed: 2}, []check{has("n.i2p"), has("m.i2p"), has("o.i2p", b.dest)}},
		{"removeall, no name", []Entry{{Name: "n.i2p", Dest: a.dest}, {Name: "m.i2p", Dest: a.dest}}, signedRemove(ActionRemoveAll, "", a),
			counts{Removed: 2}, []check{has("n.i2p"), has("m.i2p")}},
		{"removeall, forged", []Entry{{Name: "n.i2p", Dest: a.dest}}, func() Entry {
			e := signedRemove(ActionRemoveAll, "", x)
			e.Props[KeyDest] = a.dest
			return e
		}(), counts{Invalid: 1}, []check{has("n.i2p", a.dest)}},

		{"update, known", []Entry{{Name: "n.i2p", Dest: a.dest}}, signed("n.i2p", b, map[string]string{KeyAction: ActionUpdate}, nil),
			counts{Conflicts: 1}, []check{has("n.i2p", a.dest)}},
		{"unknown action", nil, signed("n.i2p", a, map[string]string{KeyAction: "frobnicate"}, nil), counts{Invalid: 1}, []check{has("n.i2p")}},
		{"unknown command", nil, signedRemove("frobnicate", "n.i2p", a), counts{Invalid: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestResolver(t, Config{})
			if c := apply(r, tt.before...); c.Added != len(tt.before) {
				t.Fatalf("setup: %+v", c)
			}
			got := apply(r, tt.entry)
			if len(got.ConflictNames) != got.Conflicts || len(got.Refused) != got.Invalid {
				t.Errorf("samples %q %q for %d conflicts, %d invalid", got.ConflictNames, got.Refused, got.Conflicts, got.Invalid)
			}
			got.ConflictNames, got.Refused = nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("counts %+v, want %+v", got, tt.want)
			}
			for _, c := range tt.checks {
				c(t, r)
			}
		})
	}
}

// Commands never touch the user's books.
func TestActionsSpareUserBooks(t *testing.T) {
	r := newTestResolver(t, Config{})
	a, b := newKey(t), newKey(t)
	if err := r.Add("n.i2p", a.dest); err != nil {
		t.Fatal(err)
	}
	for _, e := range []Entry{
		signed("n.i2p", b, map[string]string{KeyAction: ActionChangeDest}, &a),
		signedRemove(ActionRemove, "n.i2p", a),
		signedRemove(ActionRemoveAll, "n.i2p", a),
	} {
		if c := apply(r, e); c.Skipped != 1 {
			t.Errorf("%s: counts %+v", e.Action(), c)
		}
	}
	if d, err := r.Resolve(t.Context(), "n.i2p"); err != nil || d != a.dest {
		t.Errorf("local name changed: %v", err)
	}
}
