package sam

import (
	"errors"
	"fmt"
	"strings"
)

// Command is one parsed SAM line: "VERB SUB KEY=VALUE ...". Verb and Sub are
// mapped to upper case (the spec recommends it, for telnet users); keys and
// values are kept as sent, since I2CP options are case-sensitive.
type Command struct {
	Verb string // "HELLO", "SESSION", "PING", ...
	Sub  string // "VERSION", "CREATE", ...; empty for one-word commands
	// Args holds the KEY=VALUE pairs in order. A bare KEY has an empty
	// value, as do KEY= and KEY="". For a repeated key, Get returns the last.
	Args []Arg
	// Text is, for PING and PONG, everything after the verb (with its
	// leading space), echoed back verbatim.
	Text string
}

// Arg is one KEY=VALUE pair of a Command.
type Arg struct {
	Key, Value string
}

// Get returns the value of the last pair named key.
func (c *Command) Get(key string) (string, bool) {
	for i := len(c.Args) - 1; i >= 0; i-- {
		if c.Args[i].Key == key {
			return c.Args[i].Value, true
		}
	}
	return "", false
}

// Value returns Get's value, or "" when the key is absent.
func (c *Command) Value(key string) string {
	v, _ := c.Get(key)
	return v
}

// ErrSyntax is wrapped by the errors of ParseCommand.
var ErrSyntax = errors.New("sam: malformed command")

// ParseCommand parses one command line, without its line terminator (a
// trailing "\r" is dropped). Tokens are separated by runs of spaces or tabs.
// Double quotes group text that contains spaces or '='; a backslash escapes
// the next character (SAM 3.2: \" and \\). The first unquoted '=' of a token
// separates its key from its value. Verb and Sub may not contain '='.
func ParseCommand(line string) (Command, error) {
	line = strings.TrimSuffix(line, "\r")
	if strings.ContainsAny(line, "\r\n\x00") {
		return Command{}, fmt.Errorf("%w: control character in line", ErrSyntax)
	}
	trimmed := strings.TrimLeft(line, " \t")
	if v, rest, ok := pingVerb(trimmed); ok {
		return Command{Verb: v, Text: rest}, nil
	}
	toks, err := tokenize(trimmed)
	if err != nil {
		return Command{}, err
	}
	if len(toks) == 0 {
		return Command{}, fmt.Errorf("%w: empty line", ErrSyntax)
	}
	var c Command
	for i, t := range toks {
		switch {
		case i == 0:
			if t.eq >= 0 || t.text == "" || t.quoted {
				return Command{}, fmt.Errorf("%w: bad verb", ErrSyntax)
			}
			c.Verb = strings.ToUpper(t.text)
		case i == 1 && t.eq < 0 && !t.quoted:
			c.Sub = strings.ToUpper(t.text)
		default:
			if t.eq < 0 {
				if t.text == "" {
					return Command{}, fmt.Errorf("%w: empty key", ErrSyntax)
				}
				c.Args = append(c.Args, Arg{Key: t.text})
			} else {
				if t.eq == 0 {
					return Command{}, fmt.Errorf("%w: empty key", ErrSyntax)
				}
				c.Args = append(c.Args, Arg{Key: t.text[:t.eq], Value: t.text[t.eq+1:]})
			}
		}
	}
	return c, nil
}

// pingVerb recognizes "PING[ text]" and "PONG[ text]", whose text is free.
func pingVerb(s string) (verb, rest string, ok bool) {
	if len(s) < 4 {
		return "", "", false
	}
	v := strings.ToUpper(s[:4])
	if v != "PING" && v != "PONG" {
		return "", "", false
	}
	if len(s) > 4 && s[4] != ' ' && s[4] != '\t' {
		return "", "", false
	}
	return v, s[4:], true
}

type token struct {
	text   string
	eq     int // index in text of the first unquoted '=', or -1
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var toks []token
	var b strings.Builder
	in, inQuote, escaped := false, false, false
	cur := token{eq: -1}
	flush := func() {
		cur.text = b.String()
		toks = append(toks, cur)
		b.Reset()
		cur = token{eq: -1}
		in = false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case escaped:
			b.WriteByte(ch)
			escaped = false
		case ch == '\\':
			in, escaped, cur.quoted = true, true, true
		case ch == '"':
			in, inQuote, cur.quoted = true, !inQuote, true
		case !inQuote && (ch == ' ' || ch == '\t'):
			if in {
				flush()
			}
		case !inQuote && ch == '=' && cur.eq < 0:
			in = true
			cur.eq = b.Len()
			b.WriteByte(ch)
		default:
			in = true
			b.WriteByte(ch)
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%w: unterminated quote", ErrSyntax)
	}
	if escaped {
		return nil, fmt.Errorf("%w: trailing backslash", ErrSyntax)
	}
	if in {
		flush()
	}
	return toks, nil
}

// String formats c as a command line (without "\n") that ParseCommand turns
// back into c. Values are quoted when they need it.
func (c Command) String() string {
	var b strings.Builder
	b.WriteString(c.Verb)
	if c.Verb == "PING" || c.Verb == "PONG" {
		b.WriteString(c.Text)
		return b.String()
	}
	if c.Sub != "" {
		b.WriteByte(' ')
		b.WriteString(c.Sub)
	}
	for _, a := range c.Args {
		b.WriteByte(' ')
		if strings.Contains(a.Key, "=") {
			b.WriteString(quote(a.Key))
		} else {
			b.WriteString(quoteIfNeeded(a.Key))
		}
		b.WriteByte('=')
		b.WriteString(quoteIfNeeded(a.Value))
	}
	return b.String()
}

// quoteIfNeeded returns s, or s quoted and escaped when it is empty or holds
// a space, tab, quote or backslash. ('=' needs no quotes in a value: the
// first '=' of a pair ends its key.)
func quoteIfNeeded(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"\\") {
		return s
	}
	return quote(s)
}

// quote returns s in double quotes, with '"' and '\' escaped and line breaks
// turned into spaces (a reply must stay on one line).
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\r', '\n', 0:
			b.WriteByte(' ')
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}
