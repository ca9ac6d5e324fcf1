package addressbook

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want Entry
		err  error
	}{
		{"example.i2p=AAAA", Entry{Name: "example.i2p", Dest: "AAAA"}, nil},
		{"  Example.I2P = AAAA \r", Entry{Name: "example.i2p", Dest: "AAAA"}, nil},
		{"a.i2p=AAAA# a comment", Entry{Name: "a.i2p", Dest: "AAAA"}, nil},
		{"a.i2p=AAAA#!", Entry{Name: "a.i2p", Dest: "AAAA"}, nil},
		{"a.i2p=AA==", Entry{Name: "a.i2p", Dest: "AA=="}, nil},
		{"a.i2p=AAAA#!sig=xy==#date=1", Entry{Name: "a.i2p", Dest: "AAAA", Props: map[string]string{"sig": "xy==", "date": "1"}}, nil},
		{"a.i2p=AAAA#!k=v=w#", Entry{Name: "a.i2p", Dest: "AAAA", Props: map[string]string{"k": "v=w"}}, nil},
		{"#!action=remove#name=a.i2p#dest=AAAA#sig=s", Entry{Props: map[string]string{"action": "remove", "name": "a.i2p", "dest": "AAAA", "sig": "s"}}, nil},
		{"", Entry{}, ErrNoEntry},
		{"   \t", Entry{}, ErrNoEntry},
		{"# comment", Entry{}, ErrNoEntry},
		{"; comment", Entry{}, ErrNoEntry},
		{"#!", Entry{}, ErrNoEntry},
		{"#", Entry{}, ErrNoEntry},
		{"no equals sign", Entry{}, ErrSyntax},
		{"=AAAA", Entry{}, ErrSyntax},
		{"a.i2p=", Entry{}, ErrSyntax},
		{"a.i2p=  #!sig=x", Entry{}, ErrSyntax},
		{"a.i2p=AAAA#!sig=x#sig=y", Entry{}, ErrSyntax},
		{"a.i2p=AAAA#!sig", Entry{}, ErrSyntax},
		{"a.i2p=AAAA#!=x", Entry{}, ErrSyntax},
		{"a.i2p=AAAA#!a=#b=c", Entry{}, ErrSyntax},
		{"a.i2p=AAAA#!a=b##c=d", Entry{}, ErrSyntax},
		{"a.i2p=AAAA#!a=b #c=d", Entry{}, ErrSyntax},
		{"a\r.i2p=AAAA", Entry{}, ErrSyntax},
		{" ;a.i2p=AAAA", Entry{}, ErrSyntax},
	}
	for _, tt := range tests {
		got, err := ParseLine(tt.line)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParseLine(%q) error %v, want %v", tt.line, err, tt.err)
			continue
		}
		if err == nil && !got.Equal(tt.want) {
			t.Errorf("ParseLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestParseFileLineBreaks(t *testing.T) {
	entries, bad := ParseFile([]byte("a.i2p=A\rb.i2p=B\r\nc.i2p=C\n\nd.i2p=D"))
	if bad != 0 || len(entries) != 4 || entries[1].Name != "b.i2p" || entries[3].Dest != "D" {
		t.Errorf("%d bad, %+v", bad, entries)
	}
}

func TestAppendTextGolden(t *testing.T) {
	tests := []struct {
		e    Entry
		want string
	}{
		{Entry{Name: "a.i2p", Dest: "AAAA"}, "a.i2p=AAAA"},
		{Entry{Name: "a.i2p", Dest: "AAAA", Props: map[string]string{"sig": "s", "action": "x", "date": "1"}}, "a.i2p=AAAA#!action=x#date=1#sig=s"},
		{Entry{Props: map[string]string{"name": "a.i2p", "dest": "D", "action": "remove", "sig": "s"}}, "#!action=remove#dest=D#name=a.i2p#sig=s"},
	}
	for _, tt := range tests {
		got, err := tt.e.AppendText(nil)
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendText(%+v) = %q, %v; want %q", tt.e, got, err, tt.want)
		}
	}
	for _, bad := range []Entry{
		{Name: "a.i2p"},
		{Name: "A.i2p", Dest: "D"},
		{Name: "a#.i2p", Dest: "D"},
		{Name: "a.i2p", Dest: "D\n"},
		{Name: "a.i2p", Dest: "D", Props: map[string]string{"k": "v#w"}},
		{Name: "a.i2p", Dest: "D", Props: map[string]string{"k=": "v"}},
		{Name: "a.i2p", Dest: "D", Props: map[string]string{"k": " v"}},
		{},
	} {
		if _, err := bad.AppendText(nil); !errors.Is(err, ErrSyntax) {
			t.Errorf("AppendText(%+v) error %v, want ErrSyntax", bad, err)
		}
	}
}

// TestGoldenFile parses testdata/hosts.txt (see testdata/README.md) and
// compares the rewritten form with testdata/hosts.golden.txt.
func TestGoldenFile(t *testing.T) {
	raw, err := os.ReadFile("testdata/hosts.txt")
	if err != nil {
		t.Fatal(err)
	}
	entries, bad := ParseFile(raw)
	if bad != 3 {
		t.Errorf("bad lines = %d, want 3", bad)
	}
	got, err := AppendFile(nil, entries)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/hosts.golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("rewritten file:\n%s\nwant:\n%s", got, want)
	}
	again, bad := ParseFile(got)
	if bad != 0 || len(again) != len(entries) {
		t.Fatalf("reparse: %d entries, %d bad; want %d, 0", len(again), bad, len(entries))
	}
	for i := range again {
		if !again[i].Equal(entries[i]) {
			t.Errorf("entry %d: %+v after round trip, want %+v", i, again[i], entries[i])
		}
	}
}

func TestRoundTripSigned(t *testing.T) {
	k, old := newKey(t), newKey(t)
	entries := []Entry{
		signed("a.i2p", k, nil, nil),
		signed("a.i2p", k, map[string]string{KeyAction: ActionChangeDest, KeyDate: "1700000000"}, &old),
		signedRemove(ActionRemove, "a.i2p", k),
		{Name: "plain.i2p", Dest: k.dest},
	}
	raw := feedText(t, entries...)
	got, bad := ParseFile(raw)
	if bad != 0 || len(got) != len(entries) {
		t.Fatalf("%d entries, %d bad", len(got), bad)
	}
	for i := range got {
		if !got[i].Equal(entries[i]) {
			t.Errorf("entry %d changed in the round trip", i)
		}
	}
	// The signatures still hold after the round trip.
	if err := got[0].VerifySig(); err != nil {
		t.Error(err)
	}
	if err := got[1].VerifyInnerSig(); err != nil {
		t.Error(err)
	}
	if err := got[2].VerifySig(); err != nil {
		t.Error(err)
	}
}

func TestValidName(t *testing.T) {
	ok := []string{
		"a.i2p", "example.i2p", "sub.example.i2p", "a-b.i2p", "0.i2p",
		"xn--bcher-kva.i2p", "a.xn--bcher-kva.i2p",
		strings.Repeat("a", 63) + ".i2p",
	}
	for _, n := range ok {
		if err := ValidName(n); err != nil {
			t.Errorf("ValidName(%q) = %v", n, err)
		}
	}
	bad := []string{
		"", ".i2p", "i2p", "a.com", "A.i2p", "a_b.i2p", "a..i2p", ".a.i2p", "-a.i2p",
		"a-.i2p", "a.-b.i2p", "a--b.i2p", "a b.i2p", "ä.i2p",
		strings.Repeat("a", 64) + ".i2p",
		strings.Repeat("a", 30) + "." + strings.Repeat("b", 33) + ".i2p", // 68 total
		"b32.i2p", "x.b32.i2p", "proxy.i2p", "router.i2p", "console.i2p", "a.proxy.i2p", "a.router.i2p", "a.console.i2p",
		strings.Repeat("a", 52) + ".i2p", // looks like base32
		strings.Repeat("b", 51) + "q.i2p",
	}
	for _, n := range bad {
		if err := ValidName(n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidName(%q) = %v, want ErrInvalidName", n, err)
		}
	}
	// 52 base32 characters not ending in a or q are a name.
	if err := ValidName(strings.Repeat("b", 52) + ".i2p"); err != nil {
		t.Error(err)
	}
	// A label of 64 inside a name of at most 67.
	if err := ValidName("a." + strings.Repeat("b", 64) + ".i2p"); err == nil {
		t.Error("label of 64 accepted")
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"example.i2p=AAAA", "a.i2p=AAAA#!sig=xy==#date=1", "#!action=remove#name=a#dest=b#sig=c",
		"# c", "; c", "a=b#c", " A.I2P = x \r", "a.i2p=AAAA#!k=v=w#", "=", "#!", "\xff=\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n") {
			return
		}
		e, err := ParseLine(line)
		if err != nil {
			return
		}
		b, err := e.AppendText(nil)
		if err != nil {
			t.Fatalf("parsed %q to %+v, which does not serialise: %v", line, e, err)
		}
		e2, err := ParseLine(string(b))
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", b, line, err)
		}
		if !e2.Equal(e) {
			t.Fatalf("round trip of %q: %+v, then %+v", line, e, e2)
		}
		_ = e.SignedBytes()
		_ = e.VerifySig() // never panics
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("a.i2p=AAAA\n# c\nbad\n#!action=remove#name=a.i2p#dest=AAAA#sig=s\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, _ := ParseFile(b)
		out, err := AppendFile(nil, entries)
		if err != nil {
			t.Fatal(err)
		}
		again, bad := ParseFile(out)
		if bad != 0 || len(again) != len(entries) {
			t.Fatalf("reparse: %d entries, %d bad; want %d, 0", len(again), bad, len(entries))
		}
		_, _, _ = decodeBook(b, 10)
		_, _, _ = checkFeed(b)
	})
}
