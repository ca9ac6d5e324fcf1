package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxErrors caps how many problems one Parse reports.
const maxErrors = 20

// decode lays the YAML document in data over *f, checking keys and types
// but not values, and returns the line of each key path it set. With
// complete set, every key of File must appear in data (the embedded
// defaults are checked this way).
func decode(f *File, data []byte, name string, complete bool) (lines map[string]int, err error) {
	// yaml.v3 turns its own failures into errors but re-panics others;
	// a config file must never crash the router.
	defer func() {
		if r := recover(); r != nil {
			lines, err = nil, &Error{File: name, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()

	d := &decoder{name: name, lines: make(map[string]int), seen: make(map[string]bool)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		// Empty, or comments only: nothing to overlay.
	case err != nil:
		return nil, d.syntaxError(err)
	default:
		var extra yaml.Node
		if err := dec.Decode(&extra); err == nil {
			return nil, &Error{File: name, Line: extra.Line, Msg: "a second YAML document; the file must hold one"}
		} else if !errors.Is(err, io.EOF) {
			return nil, d.syntaxError(err)
		}
		if len(doc.Content) == 1 && !isNull(doc.Content[0]) {
			d.mapping(doc.Content[0], reflect.ValueOf(f).Elem(), "")
		}
	}

	if complete && len(d.errs) == 0 {
		keys := keyPaths(reflect.TypeFor[File](), "")
		slices.Sort(keys)
		for _, key := range keys {
			if !d.seen[key] {
				d.errs = append(d.errs, &Error{File: name, Key: key, Msg: "missing from the defaults"})
			}
		}
	}
	if len(d.errs) > 0 {
		return nil, join(d.errs)
	}
	return d.lines, nil
}

// check validates f, naming name and the line of each bad key from lines.
func check(f *File, name string, lines map[string]int) error {
	var errs []error
	for _, p := range f.problems() {
		line, ok := lines[p.key]
		if i := strings.IndexByte(p.key, '['); !ok && i >= 0 {
			line = lines[p.key[:i]]
		}
		errs = append(errs, &Error{File: name, Line: line, Key: p.key, Msg: p.msg})
	}
	return join(errs)
}

// join returns nil, the one error in errs, or errors.Join of them all.
func join(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// decoder walks a yaml.Node tree alongside the File struct.
type decoder struct {
	name  string
	lines map[string]int  // key path -> line, for validation errors
	seen  map[string]bool // key paths present in the document
	errs  []error
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	if len(d.errs) < maxErrors {
		d.errs = append(d.errs, &Error{File: d.name, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError converts a yaml.v3 parse error to an *Error.
func (d *decoder) syntaxError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: d.name, Line: line, Msg: m[2]}
	}
	return &Error{File: d.name, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// mapping decodes the mapping n into the struct v, whose path is path.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys, got %s", describe(n))
		return
	}
	fields := structFields(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.fail(k, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		key := k.Value
		if path != "" {
			key = path + "." + k.Value
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k, key, "unknown key (known here: %s)", strings.Join(sortedKeys(fields), ", "))
			continue
		}
		if d.seen[key] {
			d.fail(k, key, "duplicate key (first on line %d)", d.lines[key])
			continue
		}
		d.seen[key] = true
		d.lines[key] = k.Line
		d.value(val, v.Field(idx), key)
	}
}

// value decodes n into v, whose key path is key. A null keeps v as it is.
func (d *decoder) value(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, key, "YAML anchors and aliases are not supported")
		return
	}
	if isNull(n) {
		if v.Kind() == reflect.Struct {
			for _, k := range keyPaths(v.Type(), key) {
				d.seen[k] = true
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, key)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, key, "want a list, got %s", describe(n))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		ok := true
		for i, item := range n.Content {
			ik := key + "[" + strconv.Itoa(i) + "]"
			d.lines[ik] = item.Line
			if isNull(item) {
				d.fail(item, ik, "list items must not be empty")
				ok = false
				continue
			}
			if out.Index(i).Kind() == reflect.Struct {
				if sd, ok := out.Index(i).Addr().Interface().(interface{ setDefaults() }); ok {
					sd.setDefaults()
				}
				n := len(d.errs)
				d.mapping(item, out.Index(i), ik)
				ok = ok && len(d.errs) == n
				continue
			}
			ok = d.scalar(item, out.Index(i), ik) && ok
		}
		if ok {
			v.Set(out)
		}
	default:
		d.scalar(n, v, key)
	}
}

// scalar decodes the scalar n into v, reporting whether it could.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, key string) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, key, "YAML anchors and aliases are not supported")
		return false
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, key, "want %s, got %s", kindName(v.Kind()), describe(n))
		return false
	}
	tag := n.ShortTag()
	var ok bool
	switch v.Kind() {
	case reflect.String:
		ok = tag == "!!str"
	case reflect.Int:
		ok = tag == "!!int"
	case reflect.Bool:
		ok = tag == "!!bool"
	}
	if ok {
		tmp := reflect.New(v.Type())
		if err := n.Decode(tmp.Interface()); err == nil {
			v.Set(tmp.Elem())
			return true
		}
	}
	d.fail(n, key, "want %s, got %s", kindName(v.Kind()), describe(n))
	return false
}

// isNull reports whether n is a YAML null: "~", "null" or nothing.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return strconv.Quote(v)
	}
	return "nothing"
}

// kindName names what a field of kind k accepts.
func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string (quote it if it looks like a number or a boolean)"
	}
	return k.String()
}

// structFields maps the yaml key of each field of t to its index.
func structFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			m[strings.Split(tag, ",")[0]] = i
		}
	}
	return m
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// keyPaths lists the dotted path of every key under the struct type t,
// sections included, in no particular order.
func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for name, i := range structFields(t) {
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		out = append(out, key)
		if ft := t.Field(i).Type; ft.Kind() == reflect.Struct {
			out = append(out, keyPaths(ft, key)...)
		}
	}
	return out
}
