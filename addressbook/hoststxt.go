package addressbook

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The keys of the #! extension fields (subscription.rst "Common keys").
const (
	KeyAction  = "action"
	KeyDate    = "date"
	KeyDest    = "dest"
	KeyExpires = "expires"
	KeyName    = "name"
	KeyOldDest = "olddest"
	KeyOldName = "oldname"
	KeyOldSig  = "oldsig"
	KeySig     = "sig"
)

// The values of the action key (subscription.rst "Commands"). A signed line
// without an action is an Add.
const (
	ActionAddDest      = "adddest"
	ActionAddName      = "addname"
	ActionAddSubdomain = "addsubdomain"
	ActionChangeDest   = "changedest"
	ActionChangeName   = "changename"
	ActionRemove       = "remove"
	ActionRemoveAll    = "removeall"
	ActionUpdate       = "update"
)

// Limits of host names, as Java's AddressBook.isValidKey.
const (
	MaxNameLen  = 67 // 63 + ".i2p"
	MaxLabelLen = 63
)

// Destination lengths accepted in a line, as Java's AddressBook.isValidDest:
// 516 base64 characters is a destination with a NULL certificate (387
// bytes); longer certificates add at most 100 characters.
const (
	minDestLen = 516
	maxDestLen = minDestLen + 100
)

// Entry is one line of a hosts.txt file:
//
//	name=dest                      plain entry
//	name=dest#!k1=v1#k2=v2...      signed Add or Change command
//	#!k1=v1#k2=v2...               Remove command (Name and Dest empty)
//
// Name is lower-case, as Java's HostTxtParser makes it. Props holds the #!
// fields exactly as received (they are what the signatures cover); it is nil
// when the line has none.
type Entry struct {
	Name  string
	Dest  string
	Props map[string]string
}

// Action returns the action field, "" for a plain line or an Add.
func (e Entry) Action() string { return e.Props[KeyAction] }

// IsCommand reports whether e is a Remove-style line without name=dest.
func (e Entry) IsCommand() bool { return e.Name == "" && e.Dest == "" }

// Equal reports whether e and o have the same name, destination and fields.
func (e Entry) Equal(o Entry) bool {
	if e.Name != o.Name || e.Dest != o.Dest || len(e.Props) != len(o.Props) {
		return false
	}
	for k, v := range e.Props {
		if w, ok := o.Props[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ErrNoEntry is returned by ParseLine for blank lines and comments.
var ErrNoEntry = errors.New("addressbook: no entry on line")

// ErrSyntax marks a line that is neither an entry nor a comment.
var ErrSyntax = errors.New("addressbook: bad hosts.txt line")

// trimJava trims the bytes Java's String.trim removes: everything <= ' '.
func trimJava(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

// ParseLine parses one line (without its line break; a trailing "\r" is
// ignored, any other "\r" or "\n" is an error) the way Java's HostTxtParser.parse does: ';' starts a comment
// line, the first '#' ends the name=dest part, and the extension fields
// follow only when that '#' starts "#!". A line that starts with "#!" is a
// command without name=dest. It checks syntax only: see ValidName for the
// name and ParseDest for the destination.
//
// Stricter than Java in one point: a key or value may not start or end with
// a space or control character, so that a parsed entry always serialises
// back to the same fields.
func ParseLine(line string) (Entry, error) {
	line = strings.TrimSuffix(line, "\r")
	if strings.ContainsAny(line, "\r\n") {
		return Entry{}, fmt.Errorf("%w: line break inside the line", ErrSyntax)
	}
	if strings.HasPrefix(line, ";") || trimJava(line) == "" {
		return Entry{}, ErrNoEntry
	}
	kv, sprops := line, ""
	hasProps := false
	if c := strings.IndexByte(line, '#'); c >= 0 {
		if strings.HasPrefix(line[c:], "#!") && c+2 < len(line) {
			sprops, hasProps = line[c+2:], true
		} else if c == 0 {
			return Entry{}, ErrNoEntry
		}
		kv = line[:c]
	}
	var e Entry
	if kv != "" {
		name, dest, ok := strings.Cut(kv, "=")
		if !ok {
			return Entry{}, fmt.Errorf("%w: no '='", ErrSyntax)
		}
		e.Name = strings.ToLower(trimJava(name))
		e.Dest = trimJava(dest)
		if e.Name == "" || e.Dest == "" {
			return Entry{}, fmt.Errorf("%w: empty name or destination", ErrSyntax)
		}
		if e.Name[0] == ';' {
			// Java would read it back as a comment line.
			return Entry{}, fmt.Errorf("%w: name starts with ';'", ErrSyntax)
		}
	}
	if hasProps {
		props, err := parseProps(sprops)
		if err != nil {
			return Entry{}, err
		}
		e.Props = props
	}
	if e.IsCommand() && e.Props == nil {
		return Entry{}, ErrNoEntry
	}
	return e, nil
}

// parseProps parses "k1=v1#k2=v2...", as Java's HostTxtEntry.parseProps:
// every field needs a non-empty key and value, duplicate keys are an error,
// and (as Java's split) empty fields at the end are ignored.
func parseProps(s string) (map[string]string, error) {
	s = trimJava(s)
	fields := strings.Split(s, "#")
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: empty extension fields", ErrSyntax)
	}
	props := make(map[string]string, len(fields))
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%w: field %q has no value", ErrSyntax, f)
		}
		if trimJava(k) != k || trimJava(v) != v {
			return nil, fmt.Errorf("%w: field %q has surrounding spaces", ErrSyntax, f)
		}
		if _, dup := props[k]; dup {
			return nil, fmt.Errorf("%w: duplicate key %q", ErrSyntax, k)
		}
		props[k] = v
	}
	return props, nil
}

// ParseFile parses a whole hosts.txt file. It returns the entries in file
// order and the number of lines that were neither entries nor comments
// (which are skipped). Lines end in "\n", "\r\n" or "\r", as for Java's
// BufferedReader.readLine; a UTF-8 byte order mark at the start is ignored.
func ParseFile(b []byte) (entries []Entry, bad int) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for len(b) > 0 {
		line := b
		b = nil
		if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
			end := i + 1
			if line[i] == '\r' && end < len(line) && line[end] == '\n' {
				end++
			}
			line, b = line[:i], line[end:]
		}
		e, err := ParseLine(string(line))
		switch {
		case err == nil:
			entries = append(entries, e)
		case !errors.Is(err, ErrNoEntry):
			bad++
		}
	}
	return entries, bad
}

// sortedKeys returns the field keys in the order the signatures use: by
// UTF-8 bytes (subscription.rst "Input for signatures"), which is also the
// order Java's OrderedProperties writes.
func sortedKeys(props map[string]string) []string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendProps appends "#!k1=v1#k2=v2..." in key order, leaving out the
// keys in omit; nothing when no field remains.
func appendProps(b []byte, props map[string]string, omit ...string) []byte {
	first := true
	for _, k := range sortedKeys(props) {
		if slices.Contains(omit, k) {
			continue
		}
		if first {
			b = append(b, "#!"...)
			first = false
		} else {
			b = append(b, '#')
		}
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, props[k]...)
	}
	return b
}

// AppendText appends the line for e, without a line break, in the form Java
// writes (HostTxtEntry.write): name=dest, then the fields sorted by key. It
// fails on an entry that would not parse back the same.
func (e Entry) AppendText(b []byte) ([]byte, error) {
	if err := e.check(); err != nil {
		return b, err
	}
	if !e.IsCommand() {
		b = append(b, e.Name...)
		b = append(b, '=')
		b = append(b, e.Dest...)
	}
	return appendProps(b, e.Props), nil
}

// String returns the line for e, or "" when AppendText would fail.
func (e Entry) String() string {
	b, err := e.AppendText(nil)
	if err != nil {
		return ""
	}
	return string(b)
}

func (e Entry) check() error {
	if e.IsCommand() {
		if len(e.Props) == 0 {
			return fmt.Errorf("%w: command line without fields", ErrSyntax)
		}
	} else {
		if e.Name == "" || e.Dest == "" {
			return fmt.Errorf("%w: empty name or destination", ErrSyntax)
		}
		if strings.ContainsAny(e.Name, "#=\n\r") || strings.HasPrefix(e.Name, ";") || e.Name != strings.ToLower(e.Name) || trimJava(e.Name) != e.Name {
			return fmt.Errorf("%w: name %q cannot be written", ErrSyntax, e.Name)
		}
		if strings.ContainsAny(e.Dest, "#\n\r") || trimJava(e.Dest) != e.Dest {
			return fmt.Errorf("%w: destination cannot be written", ErrSyntax)
		}
	}
	for k, v := range e.Props {
		if k == "" || v == "" || strings.ContainsAny(k, "#=\n\r") || strings.ContainsAny(v, "#\n\r") ||
			trimJava(k) != k || trimJava(v) != v {
			return fmt.Errorf("%w: field %q=%q cannot be written", ErrSyntax, k, v)
		}
	}
	return nil
}

// AppendFile appends entries one per line ("\n"), in the given order.
func AppendFile(b []byte, entries []Entry) ([]byte, error) {
	for _, e := range entries {
		var err error
		if b, err = e.AppendText(b); err != nil {
			return b, err
		}
		b = append(b, '\n')
	}
	return b, nil
}

// ErrInvalidName is returned for a host name Java's addressbook would refuse.
var ErrInvalidName = errors.New("addressbook: invalid host name")

// ValidName checks a (lower-case) host name with the rules of Java's
// AddressBook.isValidKey: it ends in ".i2p" and is at most 67 characters of
// a-z, 0-9, '.' and '-'; no label is empty, longer than 63 characters, or
// starts or ends with '-'; "--" only in IDN ("xn--") names; not a base32
// address (".b32.i2p", or 52 base32 characters + ".i2p"); not one of the
// names reserved for local use (proxy.i2p, router.i2p, console.i2p and
// their subdomains).
func ValidName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %q: %s", ErrInvalidName, name, why) }
	n := len(name)
	if !strings.HasSuffix(name, ".i2p") || n <= 4 {
		return bad("does not end in .i2p")
	}
	if n > MaxNameLen {
		return bad("too long")
	}
	for i := 0; i < n; i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return bad("bad character")
		}
	}
	if name[0] == '.' || name[0] == '-' || strings.Contains(name, "..") ||
		strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return bad("empty label or label starting or ending with '-'")
	}
	for label := range strings.SplitSeq(name, ".") {
		if len(label) > MaxLabelLen {
			return bad("label too long")
		}
	}
	if strings.Contains(name, "--") && !strings.HasPrefix(name, "xn--") && !strings.Contains(name, ".xn--") {
		return bad("'--' outside an IDN label")
	}
	switch name {
	case "b32.i2p", "proxy.i2p", "router.i2p", "console.i2p":
		return bad("reserved")
	}
	for _, s := range []string{".b32.i2p", ".proxy.i2p", ".router.i2p", ".console.i2p"} {
		if strings.HasSuffix(name, s) {
			return bad("reserved")
		}
	}
	if n == 56 && isB32Label(name[:52]) {
		return bad("looks like a base32 address")
	}
	return nil
}

// isB32Label matches Java's B32_PATTERN: 51 base32 characters, then 'a' or
// 'q' (the last character of an encoded 32-byte hash).
func isB32Label(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return s[len(s)-1] == 'a' || s[len(s)-1] == 'q'
}

// validDestSyntax is Java's quick AddressBook.isValidDest check, done before
// the full parse.
func validDestSyntax(d string) bool {
	n := len(d)
	if n < minDestLen || n > maxDestLen+2 || n%4 == 1 || (n == minDestLen && !strings.HasSuffix(d, "AA")) {
		return false
	}
	body := strings.TrimRight(d, "=")
	if len(d)-len(body) > 2 || len(body) > maxDestLen {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '~') {
			return false
		}
	}
	return true
}
