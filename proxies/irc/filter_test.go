package irc

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

// deviations are golden cases where we knowingly differ from Java; see
// testdata/README.md.
var deviations = map[string]string{
	"PRIVMSG alice hello \x01VERSION\x01": "DROP",
}

func TestJavaGolden(t *testing.T) {
	f, err := os.Open("testdata/java_golden.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	st := &State{}
	n := 0
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		in, err := strconv.Unquote(p[1])
		if err != nil {
			t.Fatalf("bad input %q", p[1])
		}
		want := p[2]
		if d, ok := deviations[in]; ok {
			want = d
		}
		if want == "THROW" {
			want = "DROP"
		}
		if !strings.HasSuffix(p[0], "+") {
			st = &State{}
		}
		var out []byte
		var drop bool
		if strings.HasPrefix(p[0], "in") {
			out, drop = FilterInbound([]byte(in), st)
		} else {
			out, drop = FilterOutbound([]byte(in), st)
		}
		got := "DROP"
		if !drop {
			got = strconv.Quote(string(out))
		}
		if got != want {
			t.Errorf("%s %q: got %s, want %s", p[0], in, got, want)
		}
		n++
	}
	if n < 50 {
		t.Fatalf("only %d cases", n)
	}
}

// The brief's headline cases, spelled out.
func TestFilterHeadlines(t *testing.T) {
	st := &State{}
	for _, c := range []struct {
		in   string
		want string // "" means dropped
	}{
		{"PRIVMSG bob :\x01VERSION\x01", ""},
		{"PRIVMSG bob :\x01DCC SEND f 3232235777 5000 10\x01", ""},
		{"PRIVMSG #a :\x01ACTION dances\x01", "PRIVMSG #a :\x01ACTION dances\x01"},
		{"QUIT :I use WeeChat 4.1 on 192.168.1.5", "QUIT :leaving"},
		{"PART #a :secret", "PART #a :leaving"},
		{"USER alice 8 * :Alice", "USER alice hostname localhost :Alice"},
	} {
		out, drop := FilterOutbound([]byte(c.in), st)
		if got := string(out); drop && c.want != "" || !drop && got != c.want {
			t.Errorf("%q: got %q drop=%v, want %q", c.in, got, drop, c.want)
		}
	}
}

func TestFilterNilState(t *testing.T) {
	if out, drop := FilterOutbound([]byte("PING a b"), nil); drop || string(out) != "PING a" {
		t.Fatalf("got %q %v", out, drop)
	}
	if out, drop := FilterInbound([]byte(":s PONG s :a"), nil); drop || string(out) != ":s PONG s :a" {
		t.Fatalf("got %q %v", out, drop)
	}
}

type fakeDCC struct{ calls []string }

func (f *fakeDCC) B32Hostname() string   { return "me.b32.i2p" }
func (f *fakeDCC) LocalAddress() [4]byte { return [4]byte{127, 0, 0, 1} }
func (f *fakeDCC) NewOutgoing(ip [4]byte, port int, typ string) int {
	f.calls = append(f.calls, "out "+typ+" "+strconv.Itoa(int(ip[0]))+"."+strconv.Itoa(int(ip[3]))+" "+strconv.Itoa(port))
	return 1234
}
func (f *fakeDCC) NewIncoming(b32 string, port int, typ string) int {
	f.calls = append(f.calls, "in "+typ+" "+b32+" "+strconv.Itoa(port))
	return 40000
}
func (f *fakeDCC) ResumeOutgoing(port int) int { return port + 1 }
func (f *fakeDCC) ResumeIncoming(port int) int { return -1 }
func (f *fakeDCC) AcceptOutgoing(port int) int { return port + 2 }
func (f *fakeDCC) AcceptIncoming(port int) int { return port + 3 }

func TestDCCWithHelper(t *testing.T) {
	h := &fakeDCC{}
	st := &State{DCC: h}
	for _, c := range []struct {
		in, want string
		inbound  bool
	}{
		{"PRIVMSG bob :\x01DCC SEND f.txt 3232235777 5000 1024\x01", "PRIVMSG bob :\x01DCC SEND f.txt me.b32.i2p 1234 1024\x01", false},
		{"PRIVMSG bob :\x01DCC CHAT chat 3232235777 0\x01", "PRIVMSG bob :\x01DCC CHAT chat 0 0\x01", false},
		{"PRIVMSG bob :\x01DCC RESUME f.txt 5000 100\x01", "PRIVMSG bob :\x01DCC RESUME f.txt 5001 100\x01", false},
		{"PRIVMSG bob :\x01DCC ACCEPT f.txt 5000 100\x01", "PRIVMSG bob :\x01DCC ACCEPT f.txt 5002 100\x01", false},
		{"PRIVMSG bob :\x01DCC SEND f.txt 3232235777 99999 1\x01", "", false},
		{"PRIVMSG bob :\x01DCC SEND f.txt notanip 5000 1\x01", "", false},
		{"PRIVMSG bob :\x01DCC FOO x\x01", "", false},
		{"PRIVMSG bob :\x01XDCC LIST\x01", "PRIVMSG bob :\x01XDCC LIST\x01", false},
		{"NOTICE bob :DCC SEND f.txt 0 5000 1", "NOTICE bob :DCC SEND f.txt me.b32.i2p 1234 1", false},
		{":bob PRIVMSG alice :\x01DCC SEND f.txt bob.b32.i2p 5000 1024\x01", ":bob PRIVMSG alice :\x01DCC SEND f.txt 2130706433 40000 1024\x01", true},
		{":bob PRIVMSG alice :\x01DCC ACCEPT f.txt 5000 100\x01", ":bob PRIVMSG alice :\x01DCC ACCEPT f.txt 5003 100\x01", true},
		{":bob PRIVMSG alice :\x01DCC RESUME f.txt 5000 100\x01", "", true},
		{":bob PRIVMSG alice :\x01DCC SEND f.txt\x01", "", true},
	} {
		var out []byte
		var drop bool
		if c.inbound {
			out, drop = FilterInbound([]byte(c.in), st)
		} else {
			out, drop = FilterOutbound([]byte(c.in), st)
		}
		if got := string(out); drop && c.want != "" || !drop && got != c.want {
			t.Errorf("%q: got %q drop=%v, want %q", c.in, got, drop, c.want)
		}
	}
	want := "out SEND 192.1 5000|out SEND 127.1 5000|in SEND bob.b32.i2p 5000"
	if got := strings.Join(h.calls, "|"); got != want {
		t.Errorf("helper calls %q, want %q", got, want)
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 600)
	in := "NICK a\r\nUSER b\rJOIN #c\n\n\r\n" + long + "\r\nPRIVMSG #c :after\r\n" + long + "tail"
	lr := newLineReader(strings.NewReader(in), 510)
	var got []string
	for {
		line, tooLong, err := lr.next()
		if err != nil {
			break
		}
		if tooLong {
			got = append(got, "<long>")
			continue
		}
		got = append(got, string(line))
	}
	want := "NICK a|USER b|JOIN #c|<long>|PRIVMSG #c :after|<long>"
	if g := strings.Join(got, "|"); g != want {
		t.Fatalf("got %q, want %q", g, want)
	}
}

func TestLineReaderExactLimit(t *testing.T) {
	ok := strings.Repeat("a", 510)
	lr := newLineReader(strings.NewReader(ok+"\r\n"+ok+"b\r\n"+ok), 510)
	l, long, err := lr.next()
	if err != nil || long || len(l) != 510 {
		t.Fatalf("510: %d %v %v", len(l), long, err)
	}
	if _, long, _ = lr.next(); !long {
		t.Fatal("511 not too long")
	}
	if l, _, err = lr.next(); err != nil || len(l) != 510 {
		t.Fatalf("final unterminated line: %d %v", len(l), err)
	}
}

func FuzzFilter(f *testing.F) {
	f.Add([]byte("NICK a\r\nUSER a b c :d\r\nPRIVMSG #a :\x01ACTION x\x01\r\n"))
	f.Add([]byte(":s 001 a :hi\n:b PRIVMSG a :\x01DCC SEND f b.b32.i2p 1 2\x01\rPING a b"))
	f.Add([]byte("PRIVMSG b :\x01DCC RESUME f 5 6\x01\nNOTICE b :DCC CHAT c 0 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lr := newLineReader(bytes.NewReader(b), 510)
		st := &State{DCC: &fakeDCC{}}
		plain := &State{}
		for {
			line, tooLong, err := lr.next()
			if err != nil {
				break
			}
			if tooLong {
				continue
			}
			if len(line) == 0 || len(line) > 510 || bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("bad line %q", line)
			}
			for _, s := range []*State{st, plain, nil} {
				for _, f := range []filterFunc{FilterOutbound, FilterInbound} {
					out, drop := f(line, s)
					if drop {
						continue
					}
					if bytes.ContainsAny(out, "\r\n") || len(out) == 0 {
						t.Fatalf("bad output %q from %q", out, line)
					}
					// Without a helper no DCC gets through in a PRIVMSG or
					// NOTICE (allow-listed commands pass whole, as in Java).
					if s != st && strings.Contains(msgText(out), "\x01DCC ") {
						t.Fatalf("DCC passed: %q", out)
					}
				}
			}
			// Outbound CTCP other than ACTION never passes.
			if out, drop := FilterOutbound(line, plain); !drop && strings.Contains(msgText(out), "\x01") {
				if !strings.Contains(msgText(out), "\x01ACTION ") {
					t.Fatalf("CTCP passed: %q", out)
				}
			}
		}
	})
}

// msgText is the text of a PRIVMSG or NOTICE line (after an optional
// prefix and the target), or "".
func msgText(line []byte) string {
	s := string(line)
	if strings.HasPrefix(s, ":") {
		_, s, _ = strings.Cut(s, " ")
	}
	f := strings.SplitN(s, " ", 3)
	if len(f) < 3 || upperASCII(f[0]) != "PRIVMSG" && upperASCII(f[0]) != "NOTICE" {
		return ""
	}
	return f[2]
}
