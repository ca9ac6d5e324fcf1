package sam

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Command
	}{
		{"HELLO VERSION MIN=3.0 MAX=3.3", Command{Verb: "HELLO", Sub: "VERSION", Args: []Arg{{"MIN", "3.0"}, {"MAX", "3.3"}}}},
		{"  session   create\tSTYLE=STREAM  ID=a\r", Command{Verb: "SESSION", Sub: "CREATE", Args: []Arg{{"STYLE", "STREAM"}, {"ID", "a"}}}},
		{`HELLO VERSION USER="a b" PASSWORD="x\"y\\z"`, Command{Verb: "HELLO", Sub: "VERSION", Args: []Arg{{"USER", "a b"}, {"PASSWORD", `x"y\z`}}}},
		{`X Y K= L="" M N=a=b O="p=q"`, Command{Verb: "X", Sub: "Y", Args: []Arg{{"K", ""}, {"L", ""}, {"M", ""}, {"N", "a=b"}, {"O", "p=q"}}}},
		{"DEST GENERATE", Command{Verb: "DEST", Sub: "GENERATE"}},
		{"QUIT", Command{Verb: "QUIT"}},
		{"STREAM ACCEPT=1", Command{Verb: "STREAM", Args: []Arg{{"ACCEPT", "1"}}}},
		{"PING", Command{Verb: "PING"}},
		{"ping  hello  world ", Command{Verb: "PING", Text: "  hello  world "}},
		{"PONG 123", Command{Verb: "PONG", Text: " 123"}},
		{"PINGS X", Command{Verb: "PINGS", Sub: "X"}},
		{"NAMING LOOKUP NAME=ünïcode.i2p", Command{Verb: "NAMING", Sub: "LOOKUP", Args: []Arg{{"NAME", "ünïcode.i2p"}}}},
		{"i2cp.Case=Kept", Command{Verb: "", Args: nil}}, // error: verb has '='
	} {
		got, err := ParseCommand(tc.in)
		if tc.want.Verb == "" {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "   ", `A "B`, `A B\`, "A B C=\x00", `A B ""`, `A B =x`, `"A" B`, "A\rB"} {
		if _, err := ParseCommand(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: err %v, want ErrSyntax", in, err)
		}
	}
	c := Command{Verb: "A", Sub: "B", Args: []Arg{{"K", "v v"}, {"k=2", `"\`}, {"E", ""}, {"M", "x=y"}}}
	if got, want := c.String(), `A B K="v v" "k=2"="\"\\" E="" M=x=y`; got != want {
		t.Errorf("String: %s, want %s", got, want)
	}
	if v, _ := (&Command{Args: []Arg{{"A", "1"}, {"A", "2"}}}).Get("A"); v != "2" {
		t.Errorf("repeated key: %q", v)
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"HELLO VERSION MIN=3.0 MAX=3.3",
		`SESSION CREATE STYLE=STREAM ID="a b" DESTINATION=TRANSIENT inbound.length=0`,
		`HELLO VERSION USER="x\"y" PASSWORD=\\`,
		"PING abc", "STREAM CONNECT ID=x DESTINATION=AAAA== SILENT", `A "b"c=d`, "a\tb", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCommand(s)
		if err != nil {
			return
		}
		line := c.String()
		c2, err := ParseCommand(line)
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, line, err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("%q -> %q:\n%+v\n%+v", s, line, c, c2)
		}
	})
}
