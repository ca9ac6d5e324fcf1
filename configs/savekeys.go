package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Value is one key to set by SaveValues: a dotted key path of the config
// (such as "router.bandwidth") and its value, a string, bool, int or
// []string.
type Value struct {
	Key   string
	Value any
}

// SaveValues sets the given keys in the YAML config file at path, for the
// console's config page, keeping the file's other keys and comments as
// SaveTunnels does. The new document is validated as Load would before it
// is written, and check, if not nil, must accept what it loads (so that
// a caller can make sure each value reads back); then the file is
// replaced atomically. A missing file is created (0600).
func SaveValues(path string, vals []Value, check func(File) error) error {
	path, data, mode, err := readForSave(path, "# i2pgo configuration: only the keys that differ from the defaults\n# (configs/i2pgo.yaml lists them all), written by the console.\n")
	if err != nil {
		return err
	}
	out, err := setValues(data, path, vals)
	if err != nil {
		return err
	}
	f, err := Parse(out, path)
	if err != nil {
		return fmt.Errorf("configs: the file would not be valid, not saved: %w", err)
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("configs: not saved: %w", err)
	}
	if check != nil {
		if err := check(f); err != nil {
			return fmt.Errorf("configs: not saved: %w", err)
		}
	}
	return writeAtomic(path, out, mode)
}

func setValues(data []byte, name string, vals []Value) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &Error{File: name, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	var doc yaml.Node
	err = yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, (&decoder{name: name}).syntaxError(err)
	}
	var head []byte
	if err != nil || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		head = bytes.TrimRight(data, " \t\r\n")
		if len(head) > 0 {
			head = append(head, '\n')
		}
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Line: root.Line, Msg: "the file is not a mapping of keys"}
	}
	for _, v := range vals {
		n, err := valueNode(v.Value)
		if err != nil {
			return nil, fmt.Errorf("configs: %s: %w", v.Key, err)
		}
		if err := setPath(root, strings.Split(v.Key, "."), n); err != nil {
			return nil, fmt.Errorf("configs: %s: %w", v.Key, err)
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	return append(head, buf.Bytes()...), nil
}

func valueNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case string:
		return scalar("!!str", x), nil
	case bool:
		return scalar("!!bool", strconv.FormatBool(x)), nil
	case int:
		return scalar("!!int", strconv.Itoa(x)), nil
	case []string:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(x) == 0 {
			seq.Style = yaml.FlowStyle
		}
		for _, s := range x {
			seq.Content = append(seq.Content, scalar("!!str", s))
		}
		return seq, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// setPath sets the value at path in mapping m, making the mappings on the
// way as needed.
func setPath(m *yaml.Node, path []string, val *yaml.Node) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != path[0] {
			continue
		}
		if len(path) == 1 {
			m.Content[i+1] = val
			return nil
		}
		next := m.Content[i+1]
		if isNull(next) {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			m.Content[i+1] = next
		}
		if next.Kind != yaml.MappingNode {
			return fmt.Errorf("%s is not a mapping (line %d)", path[0], next.Line)
		}
		return setPath(next, path[1:], val)
	}
	if len(path) == 1 {
		m.Content = append(m.Content, scalar("!!str", path[0]), val)
		return nil
	}
	sub := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, scalar("!!str", path[0]), sub)
	return setPath(sub, path[1:], val)
}
