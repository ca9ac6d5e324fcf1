package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func mustDefault(t *testing.T) File {
	t.Helper()
	f, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDefault(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	f := mustDefault(t)
	if err := f.Validate(); err != nil {
		t.Fatalf("Validate(defaults): %v", err)
	}
	if f.Datadir != "~/.i2pgo" || f.DataDir() != "/home/test/.i2pgo" {
		t.Errorf("datadir = %q, DataDir() = %q", f.Datadir, f.DataDir())
	}
	r := f.Router
	if r.NetID != 2 || r.Host != "" || r.Port != 0 || r.Floodfill || r.Bandwidth != 2048 || r.Reseed.File != "" {
		t.Errorf("router defaults = %+v", r)
	}
	if len(r.Reseed.URLs) < 5 {
		t.Errorf("only %d default reseed URLs", len(r.Reseed.URLs))
	}
	for _, u := range r.Reseed.URLs {
		if !strings.HasPrefix(u, "https://") || !strings.HasSuffix(u, "/") {
			t.Errorf("default reseed URL %q", u)
		}
	}
	if f.I2CP != (Bridge{true, "127.0.0.1:7654"}) || f.BOB != (Bridge{false, "127.0.0.1:2827"}) {
		t.Errorf("i2cp, bob defaults = %+v, %+v", f.I2CP, f.BOB)
	}
	if f.Console.Listen != "127.0.0.1:7657" || f.Log.Level != "info" {
		t.Errorf("console, log defaults = %+v, %+v", f.Console, f.Log)
	}

	// Load with no path and Parse of an empty or comment-only file give
	// the same.
	for name, get := range map[string]func() (File, error){
		"Load(\"\")":      func() (File, error) { return Load("") },
		"Parse(empty)":    func() (File, error) { return Parse(nil, "x.yaml") },
		"Parse(comments)": func() (File, error) { return Parse([]byte("# nothing\n\n"), "x.yaml") },
		"Parse(null)":     func() (File, error) { return Parse([]byte("~\n"), "x.yaml") },
		"Parse(defaults)": func() (File, error) { return Parse(defaultYAML, "x.yaml") },
	} {
		got, err := get()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if !reflect.DeepEqual(got, f) {
			t.Errorf("%s = %+v, want the defaults %+v", name, got, f)
		}
	}
}

// TestDefaultsDocumented checks that i2pgo.yaml, the reference, explains
// every key with a comment above it.
func TestDefaultsDocumented(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(defaultYAML, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			key := strings.TrimPrefix(path+"."+k.Value, ".")
			if strings.TrimSpace(k.HeadComment) == "" {
				t.Errorf("i2pgo.yaml:%d: %s has no comment", k.Line, key)
			}
			walk(n.Content[i+1], key)
		}
	}
	walk(doc.Content[0], "")
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "i2pgo.yaml")
	if err := os.WriteFile(path, []byte("router:\n  netid: 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Router.NetID != 7 || f.Router.Bandwidth != 2048 {
		t.Errorf("Load = %+v", f.Router)
	}

	if err := os.WriteFile(path, []byte("router:\n  netid: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: router.netid: ") {
		t.Errorf("Load(bad netid) err = %v", err)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load(missing) err = %v", err)
	}
}

func TestOverrides(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	tests := []struct {
		yaml string
		edit func(*File)
	}{
		{"datadir: /var/lib/i2pgo", func(f *File) { f.Datadir = "/var/lib/i2pgo" }},
		{"datadir: ~", func(f *File) {}}, // null: keeps the default
		{"datadir: '~'", func(f *File) { f.Datadir = "~" }},
		{"router:\n  netid: 254", func(f *File) { f.Router.NetID = 254 }},
		{"router:\n  netid: 0x10", func(f *File) { f.Router.NetID = 16 }},
		{"router:\n  host: 192.0.2.1", func(f *File) { f.Router.Host = "192.0.2.1" }},
		{"router:\n  host: 127.0.0.1", func(f *File) { f.Router.Host = "127.0.0.1" }},
		{"router:\n  port: 65535", func(f *File) { f.Router.Port = 65535 }},
		{"router:\n  floodfill: true", func(f *File) { f.Router.Floodfill = true }},
		{"router:\n  bandwidth: 1", func(f *File) { f.Router.Bandwidth = 1 }},
		{"router:\n  reseed:\n    urls: [https://a.example/, 'https://b.example:8443/']", func(f *File) {
			f.Router.Reseed.URLs = []string{"https://a.example/", "https://b.example:8443/"}
		}},
		{"router:\n  reseed:\n    urls: []", func(f *File) { f.Router.Reseed.URLs = []string{} }},
		{"router:\n  reseed:\n    file: /tmp/seed.su3", func(f *File) { f.Router.Reseed.File = "/tmp/seed.su3" }},
		{"router:\n  reseed:", func(f *File) {}},
		{"router:", func(f *File) {}},
		{"console:\n  listen: '[::1]:8080'", func(f *File) { f.Console.Listen = "[::1]:8080" }},
		{"console:\n  listen: localhost:7000", func(f *File) { f.Console.Listen = "localhost:7000" }},
		{"log:\n  level: debug", func(f *File) { f.Log.Level = "debug" }},
		{"log: {level: error}", func(f *File) { f.Log.Level = "error" }},
		{"router:\n  netid: 3\n  port: 12345\nlog:\n  level: warn\n", func(f *File) {
			f.Router.NetID, f.Router.Port, f.Log.Level = 3, 12345, "warn"
		}},
	}
	for _, tc := range tests {
		got, err := Parse([]byte(tc.yaml), "config.yaml")
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.yaml, err)
			continue
		}
		want := mustDefault(t)
		tc.edit(&want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", tc.yaml, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	tests := []struct {
		yaml string
		line int
		key  string
		msg  string // substring
	}{
		// Unknown keys, at every level.
		{"bogus: 1", 1, "bogus", "unknown key"},
		{"router:\n  netid: 2\n  reseed:\n    url: https://x/\n", 4, "router.reseed.url", "unknown key (known here: file, urls)"},
		{"console:\n  listen: 127.0.0.1:1\n  port: 3", 3, "console.port", "unknown key"},
		{"router:\n  NetID: 2", 2, "router.NetID", "unknown key"},
		{"<<: {log: {level: info}}", 1, "", "plain names"},
		// Bad values.
		{"router:\n  floodfill: false\n  netid: 300", 3, "router.netid", "300 is out of range 1..254"},
		{"router:\n  netid: 0", 2, "router.netid", "out of range"},
		{"router:\n  netid: -1", 2, "router.netid", "out of range"},
		{"router:\n  port: 65536", 2, "router.port", "out of range 0..65535"},
		{"router:\n  port: -1", 2, "router.port", "out of range"},
		{"router:\n  exploratory:\n    inbound:\n      length: 8", 4, "router.exploratory.inbound.length", "8 is out of range 1..7"},
		{"router:\n  exploratory:\n    outbound:\n      backup: 17", 4, "router.exploratory.outbound.backup", "out of range 0..16"},
		{"router:\n  host: 1.2.3", 2, "router.host", "not an IPv4"},
		{"router:\n  host: '::1'", 2, "router.host", "not an IPv4"},
		{"router:\n  host: ::ffff:1.2.3.4", 2, "router.host", "not an IPv4"},
		{"router:\n  host: example.com", 2, "router.host", "not an IPv4"},
		{"router:\n  host: 0.0.0.0", 2, "router.host", "cannot be published"},
		{"router:\n  host: 224.0.0.1", 2, "router.host", "cannot be published"},
		{"router:\n  bandwidth: 0", 2, "router.bandwidth", "greater than 0"},
		{"router:\n  reseed:\n    urls:\n      - https://ok.example/\n      - http://plain.example/\n", 5, "router.reseed.urls[1]", "not an https"},
		{"router:\n  reseed:\n    urls: [not a url]", 3, "router.reseed.urls[0]", "not an https"},
		{"router:\n  reseed:\n    urls: ['https://']", 3, "router.reseed.urls[0]", "no host"},
		{"router:\n  reseed:\n    urls: ['https://u:p@x.example/']", 3, "router.reseed.urls[0]", "user name"},
		{"router:\n  reseed:\n    urls: ['https://[::1']", 3, "router.reseed.urls[0]", "not a URL"},
		{"console:\n  listen: localhost", 2, "console.listen", "not host:port"},
		{"console:\n  listen: 7657", 2, "console.listen", "want a string (quote it"},
		{"console:\n  listen: ':7657'", 2, "console.listen", "no host"},
		{"console:\n  listen: 127.0.0.1:0", 2, "console.listen", "1..65535"},
		{"console:\n  listen: 127.0.0.1:http", 2, "console.listen", "1..65535"},
		{"console:\n  listen: 127.0.0.1:65536", 2, "console.listen", "1..65535"},
		{"log:\n  level: verbose", 2, "log.level", `"verbose" is not one of`},
		{"log:\n  level: INFO", 2, "log.level", "not one of"},
		{"datadir: ''", 1, "datadir", "must not be empty"},
		{"datadir: ~bob/i2p", 1, "datadir", "~user"},
		// Type mismatches.
		{"router:\n  netid: abc", 2, "router.netid", `want an integer, got "abc"`},
		{"router:\n  netid: '2'", 2, "router.netid", "want an integer"},
		{"router:\n  netid: 2.5", 2, "router.netid", "want an integer"},
		{"router:\n  netid: 99999999999999999999999", 2, "router.netid", "want an integer"},
		{"router:\n  floodfill: yes", 2, "router.floodfill", "want true or false"},
		{"router:\n  floodfill: 1", 2, "router.floodfill", "want true or false"},
		{"router:\n  port: [1]", 2, "router.port", "want an integer, got a list"},
		{"router: 5", 1, "router", "want a mapping"},
		{"router:\n  reseed:\n    urls: https://x.example/", 3, "router.reseed.urls", "want a list"},
		{"router:\n  reseed:\n    urls:\n      - {a: b}", 4, "router.reseed.urls[0]", "want a string"},
		{"router:\n  reseed:\n    urls:\n      -\n", 4, "router.reseed.urls[0]", "must not be empty"},
		{"log:\n  level: 3", 2, "log.level", "want a string"},
		{"console:\n  listen: {a: 1}", 2, "console.listen", "got a mapping"},
		{"- a\n- b", 1, "", "want a mapping"},
		// YAML structure.
		{"router:\n  netid: 2\n  netid: 3", 3, "router.netid", "duplicate key (first on line 2)"},
		{"log: &x {level: info}\nconsole: *x", 1, "log", "anchors"},
		{"log: {level: info}\n---\nlog: {level: warn}\n", 2, "", "second YAML document"},
		// Syntax errors carry yaml.v3's line, which can be one off: any
		// line will do (-1).
		{"log:\n  level: [info\n", -1, "", "did not find expected"},
		{"router:\n\tnetid: 2", -1, "", "cannot start any token"},
		{"a: 1\nb: c: d\n", -1, "", "mapping values are not allowed"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.yaml), "config.yaml")
		if err == nil {
			t.Errorf("Parse(%q): no error", tc.yaml)
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) err = %v (%T), want an *Error", tc.yaml, err, err)
			continue
		}
		if tc.line < 0 {
			if e.File != "config.yaml" || e.Line < 1 || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("Parse(%q) err = %q, want a line and a message containing %q", tc.yaml, err, tc.msg)
			}
			continue
		}
		if e.File != "config.yaml" || e.Line != tc.line || e.Key != tc.key || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("Parse(%q) err = %q\n  want line %d, key %q, message containing %q", tc.yaml, err, tc.line, tc.key, tc.msg)
		}
		prefix := "config.yaml:" + itoa(tc.line) + ": "
		if tc.key != "" {
			prefix += tc.key + ": "
		}
		if !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("Parse(%q) err = %q, want prefix %q", tc.yaml, err, prefix)
		}
	}
}

func itoa(n int) string {
	b, _ := yaml.Marshal(n)
	return strings.TrimSpace(string(b))
}

func TestErrorExample(t *testing.T) {
	_, err := Parse([]byte("# my router\nrouter:\n  netid: 300\n"), "config.yaml")
	if want := "config.yaml:3: router.netid: 300 is out of range 1..254"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestSeveralErrors(t *testing.T) {
	_, err := Parse([]byte("router:\n  netid: 0\n  port: 70000\nlog:\n  level: loud\n"), "c.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{"c.yaml:2: router.netid:", "c.yaml:3: router.port:", "c.yaml:5: log.level:"} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q lacks %q", got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	f := mustDefault(t)
	f.Router.NetID = 255
	f.Console.Listen = "nope"
	err := f.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"configs: router.netid: 255 is out of range 1..254", "configs: console.listen: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var zero File
	if zero.Validate() == nil {
		t.Error("zero File validates")
	}
	// Firewalled needs SSU2 (its introducers).
	f = mustDefault(t)
	f.Router.Firewalled = true
	if err := f.Validate(); err != nil {
		t.Errorf("firewalled with SSU2: %v", err)
	}
	f.Router.SSU2.Enabled = false
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "router.firewalled") {
		t.Errorf("firewalled without SSU2: err = %v", err)
	}
}

func TestNoHome(t *testing.T) {
	t.Setenv("HOME", "")
	if _, err := Default(); err == nil || !strings.Contains(err.Error(), "datadir: cannot expand ~") {
		t.Errorf("Default() without $HOME err = %v", err)
	}
	// A file that sets datadir does not need $HOME.
	f, err := Parse([]byte("datadir: /srv/i2pgo\n"), "c.yaml")
	if err != nil || f.DataDir() != "/srv/i2pgo" {
		t.Errorf("Parse = %q, %v", f.DataDir(), err)
	}
}

func TestDataDir(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	for in, want := range map[string]string{
		"~":         "/home/test",
		"~/":        "/home/test",
		"~/a/b":     "/home/test/a/b",
		"/abs/~/x":  "/abs/~/x",
		"rel/dir":   "rel/dir",
		"~bob/data": "~bob/data",
	} {
		if got := (File{Datadir: in}).DataDir(); got != want {
			t.Errorf("DataDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	for in, want := range map[string]string{"debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "": "INFO"} {
		if got := (Log{Level: in}).SlogLevel().String(); got != want {
			t.Errorf("SlogLevel(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestTunnels(t *testing.T) {
	f, err := Parse([]byte(`tunnels:
  - name: site
    type: server
    target: 127.0.0.1:8080
    keys: site.keys.json
    inbound:
      length: 1
  - name: friend
    type: client
    listen: 127.0.0.1:7070
    destination: abc.b32.i2p:80
    enabled: false
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tunnels) != 2 {
		t.Fatalf("%d tunnels", len(f.Tunnels))
	}
	s, c := f.Tunnels[0], f.Tunnels[1]
	if s.Name != "site" || s.Type != "server" || s.Target != "127.0.0.1:8080" || s.Keys != "site.keys.json" || !s.Enabled ||
		s.Inbound != (TunnelSettings{Length: 1, Quantity: 2}) || s.Outbound != (TunnelSettings{Length: 3, Quantity: 2}) {
		t.Errorf("server tunnel %+v", s)
	}
	if c.Enabled || c.Listen != "127.0.0.1:7070" || c.Destination != "abc.b32.i2p:80" {
		t.Errorf("client tunnel %+v", c)
	}
	for _, tc := range []struct{ yaml, key string }{
		{"tunnels:\n  - type: server\n    target: 127.0.0.1:1", "tunnels[0].name"},
		{"tunnels:\n  - name: a\n    type: http\n", "tunnels[0].type"},
		{"tunnels:\n  - name: a\n    type: client\n    destination: x.b32.i2p", "tunnels[0].listen"},
		{"tunnels:\n  - name: a\n    type: client\n    listen: 127.0.0.1:1", "tunnels[0].destination"},
		{"tunnels:\n  - name: a\n    type: server\n    target: nope", "tunnels[0].target"},
		{"tunnels:\n  - name: a\n    type: server\n    target: 127.0.0.1:1\n    keys: ../x", "tunnels[0].keys"},
		{"tunnels:\n  - name: a\n    type: server\n    target: 127.0.0.1:1\n    outbound:\n      length: 9", "tunnels[0].outbound.length"},
		{"tunnels:\n  - name: a\n    type: server\n    target: 127.0.0.1:1\n    colour: red", "tunnels[0].colour"},
		{"tunnels:\n  - name: a\n    type: server\n    target: 127.0.0.1:1\n  - name: a\n    type: server\n    target: 127.0.0.1:2", "tunnels[1].name"},
	} {
		_, err := Parse([]byte(tc.yaml), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: err %v, want one naming %s", tc.yaml, err, tc.key)
		}
	}
}
