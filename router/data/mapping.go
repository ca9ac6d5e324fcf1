package data

import (
	"fmt"
	"iter"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxMappingSize is the largest Mapping content, after the 2-byte size.
const MaxMappingSize = 65535

// Pair is one key=value entry of a Mapping.
type Pair struct {
	Key, Value string
}

// Mapping is an ordered list of key/value Strings (common-structures.rst
// "Mapping"). A parsed Mapping keeps the received order, so it re-encodes to
// the received bytes. Keys are unique: ParseMapping rejects duplicates as
// Java I2P does, and the constructors refuse them. The zero value is the
// empty Mapping.
//
// Mappings inside signed structures we create must be sorted by key
// (SortedMapping, Sorted); the sort order is Java's String.compareTo.
type Mapping struct {
	pairs []Pair
}

// NewMapping returns a Mapping holding pairs in the given order. It fails on
// a duplicate key or a key or value longer than 255 bytes.
func NewMapping(pairs ...Pair) (Mapping, error) {
	m := Mapping{pairs: slices.Clone(pairs)}
	if err := m.check(); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// SortedMapping returns a Mapping of kv sorted by key.
func SortedMapping(kv map[string]string) (Mapping, error) {
	pairs := make([]Pair, 0, len(kv))
	for k, v := range kv {
		pairs = append(pairs, Pair{k, v})
	}
	m := Mapping{pairs: pairs}
	if err := m.check(); err != nil {
		return Mapping{}, err
	}
	return m.Sorted(), nil
}

func (m Mapping) check() error {
	seen := make(map[string]struct{}, len(m.pairs))
	size := 0
	for _, p := range m.pairs {
		if len(p.Key) > MaxStringLen || len(p.Value) > MaxStringLen {
			return fmt.Errorf("%w: mapping entry %q longer than %d bytes", ErrMalformed, p.Key, MaxStringLen)
		}
		if _, dup := seen[p.Key]; dup {
			return fmt.Errorf("%w: %q", ErrDuplicateKey, p.Key)
		}
		seen[p.Key] = struct{}{}
		size += 4 + len(p.Key) + len(p.Value)
	}
	if size > MaxMappingSize {
		return fmt.Errorf("%w: mapping of %d bytes, max %d", ErrMalformed, size, MaxMappingSize)
	}
	return nil
}

// Len is the number of entries.
func (m Mapping) Len() int { return len(m.pairs) }

// Get returns the value for key.
func (m Mapping) Get(key string) (string, bool) {
	for _, p := range m.pairs {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Pairs returns a copy of the entries, in order.
func (m Mapping) Pairs() []Pair { return slices.Clone(m.pairs) }

// All iterates over the entries in order.
func (m Mapping) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, p := range m.pairs {
			if !yield(p.Key, p.Value) {
				return
			}
		}
	}
}

// With returns a copy of m with key set to value: replaced in place if
// present, otherwise appended. The result is not re-sorted.
func (m Mapping) With(key, value string) (Mapping, error) {
	pairs := slices.Clone(m.pairs)
	i := slices.IndexFunc(pairs, func(p Pair) bool { return p.Key == key })
	if i >= 0 {
		pairs[i].Value = value
	} else {
		pairs = append(pairs, Pair{key, value})
	}
	return NewMapping(pairs...)
}

// Sorted returns a copy of m sorted by key with Java's String.compareTo
// order (UTF-16 code units), as signed I2NP and I2CP mappings require.
func (m Mapping) Sorted() Mapping {
	pairs := slices.Clone(m.pairs)
	slices.SortStableFunc(pairs, func(a, b Pair) int { return compareJava(a.Key, b.Key) })
	return Mapping{pairs: pairs}
}

// IsSorted reports whether the keys are in Java String.compareTo order.
func (m Mapping) IsSorted() bool {
	return slices.IsSortedFunc(m.pairs, func(a, b Pair) int { return compareJava(a.Key, b.Key) })
}

// compareJava compares like java.lang.String.compareTo: by UTF-16 code
// units. For ASCII keys this is byte order. Invalid UTF-8 bytes count as
// U+FFFD, as Java's decoder would read them.
func compareJava(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		a, b = a[na:], b[nb:]
		if ra == rb {
			continue
		}
		ua, ub := utf16Units(ra), utf16Units(rb)
		for i := 0; i < len(ua) && i < len(ub); i++ {
			if ua[i] != ub[i] {
				return int(ua[i]) - int(ub[i])
			}
		}
		return len(ua) - len(ub)
	}
	return len(a) - len(b)
}

func utf16Units(r rune) []uint16 {
	if r >= 0x10000 {
		r1, r2 := utf16.EncodeRune(r)
		return []uint16{uint16(r1), uint16(r2)}
	}
	return []uint16{uint16(r)}
}

// AppendBinary appends the 2-byte size and the key=value; entries.
func (m Mapping) AppendBinary(b []byte) ([]byte, error) {
	if err := m.check(); err != nil {
		return b, err
	}
	size := 0
	for _, p := range m.pairs {
		size += 4 + len(p.Key) + len(p.Value)
	}
	b = append(b, byte(size>>8), byte(size))
	for _, p := range m.pairs {
		b = append(b, byte(len(p.Key)))
		b = append(b, p.Key...)
		b = append(b, '=', byte(len(p.Value)))
		b = append(b, p.Value...)
		b = append(b, ';')
	}
	return b, nil
}

// ParseMapping reads a Mapping and returns the remaining bytes. It rejects
// an entry that overruns the size, a missing '=' or ';', and duplicate keys.
func ParseMapping(b []byte) (Mapping, []byte, error) {
	r := reader{b: b, what: "Mapping"}
	size := int(r.u16())
	body := r.bytes(size)
	if r.err != nil {
		return Mapping{}, b, r.err
	}
	var m Mapping
	var seen map[string]struct{}
	for len(body) > 0 {
		// Each entry is at least 4 bytes, so the count stays bounded.
		e := reader{b: body, what: "Mapping entry"}
		key := e.bytes(int(e.u8()))
		if c := e.u8(); e.err == nil && c != '=' {
			return Mapping{}, b, fmt.Errorf("%w: mapping: want '=' after key %q, got %#x", ErrMalformed, key, c)
		}
		val := e.bytes(int(e.u8()))
		if c := e.u8(); e.err == nil && c != ';' {
			return Mapping{}, b, fmt.Errorf("%w: mapping: want ';' after value of %q, got %#x", ErrMalformed, key, c)
		}
		if e.err != nil {
			return Mapping{}, b, fmt.Errorf("%w: mapping entry overruns the size %d", ErrMalformed, size)
		}
		k := string(key)
		if seen == nil {
			seen = make(map[string]struct{})
		}
		if _, dup := seen[k]; dup {
			return Mapping{}, b, fmt.Errorf("%w: %q", ErrDuplicateKey, k)
		}
		seen[k] = struct{}{}
		m.pairs = append(m.pairs, Pair{k, string(val)})
		body = e.b
	}
	return m, r.b, nil
}

// String formats m as {k=v, ...} for debugging.
func (m Mapping) String() string {
	b := []byte{'{'}
	for i, p := range m.pairs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "%s=%s", p.Key, p.Value)
	}
	return string(append(b, '}'))
}
