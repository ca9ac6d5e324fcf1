package bob

import (
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Command
		err  error
	}{
		{"help\n", Command{"help", ""}, nil},
		{"SetNick  Mouth \r\n", Command{"setnick", "Mouth"}, nil},
		{"option\ta=b  c=d", Command{"option", "a=b  c=d"}, nil},
		{"  list", Command{"list", ""}, nil},
		{"", Command{}, ErrEmptyLine},
		{" \t\r\n", Command{}, ErrEmptyLine},
		{"a\x01b", Command{}, ErrBadLine},
		{"a\rb", Command{}, ErrBadLine},
		{"a\x7f", Command{}, ErrBadLine},
		{"\xc3\x28", Command{}, ErrBadLine},
		{"lookup ünïcode.i2p", Command{"lookup", "ünïcode.i2p"}, nil},
	} {
		got, err := ParseCommand(tc.in)
		if got != tc.want || err != tc.err {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseOptionsAndPort(t *testing.T) {
	m, keys, err := parseOptions("a=1 b= a=2 c=x=y")
	if err != nil || len(keys) != 3 || m["a"] != "2" || m["b"] != "" || m["c"] != "x=y" {
		t.Errorf("parseOptions: %v %v %v", m, keys, err)
	}
	for _, bad := range []string{"", "  ", "a", "=1", "a=1 b"} {
		if _, _, err := parseOptions(bad); err == nil {
			t.Errorf("parseOptions(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int{"1": 1, "65535": 65535, "0": 0, "65536": 0, "-1": 0, "+1": 0, "x": 0, "": 0} {
		p, err := parsePort(in)
		if p != want || (err == nil) != (want != 0) {
			t.Errorf("parsePort(%q) = %d, %v", in, p, err)
		}
	}
}

func TestStatusLine(t *testing.T) {
	got := statusLine(tunnelStatus{Nickname: "mouth", Running: true, Keys: true, OutPort: 19, OutHost: "127.0.0.1"})
	want := "DATA NICKNAME: mouth STARTING: false RUNNING: true STOPPING: false KEYS: true QUIET: false INPORT: not_set INHOST: not_set OUTPORT: 19 OUTHOST: 127.0.0.1"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// FuzzParseCommand: ParseCommand never panics, its result has a lower-case
// name without blanks and an operand without surrounding blanks, and
// String reads back as the same command.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"help\n", "setnick mouth\r\n", "option a=b c=d", "newkeys 7 4", "", " \t", "a\x00", "\xff", "QUIET true", "lookup\tx.i2p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCommand(line)
		if err != nil {
			return
		}
		if c.Name == "" {
			t.Fatalf("%q: empty name", line)
		}
		c2, err := ParseCommand(c.String())
		if err != nil || c2 != c {
			t.Fatalf("%q: %+v reads back as %+v, %v", line, c, c2, err)
		}
		if _, _, err := parseOptions(c.Operand); err == nil {
			// fine either way; it must not panic
		}
		parsePort(c.Operand)
	})
}
