package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"

	"gopkg.in/yaml.v3"
)

// SaveTunnels writes tunnels as the `tunnels:` list of the YAML config
// file at path, for the console's tunnel manager. Only that list is
// replaced: the file's other keys and their comments are kept (the
// comments inside the old list go with it, and yaml.v3 re-indents the
// file with two spaces). A file without a tunnels key gets one at the
// end; a missing file is created (mode 0600, its directory 0700) holding
// just the list, which then replaces the defaults' list as any user
// file's does.
//
// The new document is parsed and validated as Load would before anything
// is written, and must give back exactly tunnels: nothing invalid is
// saved. The file is replaced atomically (a temporary file in the same
// directory, synced, then renamed over it), keeping its mode.
func SaveTunnels(path string, tunnels []Tunnel) error {
	path, data, mode, err := readForSave(path, "# i2pgo configuration: only the keys that differ from the defaults\n# (configs/i2pgo.yaml lists them all). The tunnels list is written\n# by the console's tunnel manager.\n")
	if err != nil {
		return err
	}
	out, err := replaceTunnels(data, path, tunnels)
	if err != nil {
		return err
	}
	f, err := Parse(out, path)
	if err != nil {
		return fmt.Errorf("configs: the file would not be valid, not saved: %w", err)
	}
	want := tunnels
	if want == nil {
		want = []Tunnel{}
	}
	if got := f.Tunnels; !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		return errors.New("configs: the tunnels would not read back as written, not saved")
	}
	return writeAtomic(path, out, mode)
}

// readForSave reads the config file a save rewrites: the file a link
// points to (not the link), its bytes and mode; a missing file reads as
// header, mode 0600.
func readForSave(path, header string) (string, []byte, fs.FileMode, error) {
	if path == "" {
		return "", nil, 0, errors.New("configs: no config file to save to")
	}
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	data, err := os.ReadFile(path)
	mode := fs.FileMode(0o600)
	switch {
	case err == nil:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
		data = []byte(header)
	default:
		return "", nil, 0, fmt.Errorf("configs: %w", err)
	}
	return path, data, mode, nil
}

// replaceTunnels returns the YAML document data with its tunnels key set
// to tunnels.
func replaceTunnels(data []byte, name string, tunnels []Tunnel) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 re-panics some failures
			out, err = nil, &Error{File: name, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err = dec.Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, (&decoder{name: name}).syntaxError(err)
	}
	if err != nil || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		// Empty, or comments only: keep the text, add the list.
		head := bytes.TrimRight(data, " \t\r\n")
		if len(head) > 0 {
			head = append(head, '\n')
		}
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
		body, err := encodeDoc(&doc, tunnels)
		if err != nil {
			return nil, err
		}
		return append(head, body...), nil
	}
	return encodeDoc(&doc, tunnels)
}

// encodeDoc sets the tunnels key of the mapping doc holds and encodes it.
func encodeDoc(doc *yaml.Node, tunnels []Tunnel) ([]byte, error) {
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Line: root.Line, Msg: "the file is not a mapping of keys"}
	}
	list := tunnelsNode(tunnels)
	replaced := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "tunnels" {
			root.Content[i+1] = list
			replaced = true
		}
	}
	if !replaced {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "tunnels"}, list)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	return buf.Bytes(), nil
}

// defaultSettings are a tunnel direction's defaults (setDefaults).
var defaultSettings = TunnelSettings{Length: 3, Quantity: 2}

// tunnelsNode is the YAML list of tunnels, each entry with its name,
// type and enabled, and the other keys that differ from the defaults.
func tunnelsNode(tunnels []Tunnel) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if len(tunnels) == 0 {
		seq.Style = yaml.FlowStyle // tunnels: []
	}
	for _, t := range tunnels {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		str := func(k, v string, always bool) {
			if v != "" || always {
				m.Content = append(m.Content, scalar("!!str", k), scalar("!!str", v))
			}
		}
		str("name", t.Name, true)
		str("type", t.Type, true)
		str("listen", t.Listen, false)
		str("destination", t.Destination, false)
		str("target", t.Target, false)
		str("keys", t.Keys, false)
		for _, d := range []struct {
			key string
			s   TunnelSettings
		}{{"inbound", t.Inbound}, {"outbound", t.Outbound}} {
			if d.s == defaultSettings {
				continue
			}
			sm := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for _, kv := range []struct {
				k string
				v int
			}{{"length", d.s.Length}, {"variance", d.s.Variance}, {"quantity", d.s.Quantity}, {"backup", d.s.Backup}} {
				sm.Content = append(sm.Content, scalar("!!str", kv.k), scalar("!!int", strconv.Itoa(kv.v)))
			}
			m.Content = append(m.Content, scalar("!!str", d.key), sm)
		}
		if t.Encrypted {
			m.Content = append(m.Content, scalar("!!str", "encrypted"), scalar("!!bool", "true"))
		}
		str("hostname", t.Hostname, false)
		str("outproxy", t.Outproxy, false)
		str("webircpassword", t.WebIRCPassword, false)
		m.Content = append(m.Content, scalar("!!str", "enabled"), scalar("!!bool", strconv.FormatBool(t.Enabled)))
		seq.Content = append(seq.Content, m)
	}
	return seq
}

// scalar is a scalar node; the encoder quotes a !!str whose plain form
// would read as another type.
func scalar(tag, v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

// writeAtomic replaces the file at path with data: a temporary file in
// the same directory, synced, renamed over it.
func writeAtomic(path string, data []byte, mode fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("configs: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
