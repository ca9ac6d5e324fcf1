package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const userFile = `# My router.
datadir: /tmp/i2pgo-test # where it lives

router:
  # Private network.
  netid: 7
  bandwidth: 512

# My tunnels, written by hand.
tunnels:
  - name: old
    type: server
    target: 127.0.0.1:80 # gone after the save

log:
  # Chatty.
  level: debug
`

func TestSaveTunnelsKeepsOtherKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i2pgo.yaml")
	if err := os.WriteFile(path, []byte(userFile), 0o640); err != nil {
		t.Fatal(err)
	}
	tunnels := []Tunnel{
		{Name: "web", Type: "httpserver", Target: "127.0.0.1:8080", Hostname: "mysite.i2p", Keys: "web.keys.json",
			Inbound: TunnelSettings{Length: 2, Variance: 1, Quantity: 3, Backup: 1}, Outbound: defaultSettings, Enabled: true},
		// Values that read as other types when plain must come back as
		// strings.
		{Name: "true", Type: "client", Listen: "127.0.0.1:1234", Destination: "123", Inbound: defaultSettings, Outbound: defaultSettings},
		{Name: "proxy: #x", Type: "httpclient", Listen: "127.0.0.1:4444", Outproxy: "exit.i2p", Encrypted: true, Inbound: defaultSettings, Outbound: defaultSettings, Enabled: true},
	}
	if err := SaveTunnels(path, tunnels); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, want := range []string{"# My router.", "# where it lives", "# Private network.", "# My tunnels, written by hand.", "# Chatty.", "netid: 7", "level: debug"} {
		if !strings.Contains(text, want) {
			t.Errorf("saved file lost %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "old") || strings.Contains(text, "gone after the save") {
		t.Errorf("old list kept:\n%s", text)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatalf("saved file does not load: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(f.Tunnels, tunnels) {
		t.Errorf("tunnels read back:\n%+v\nwant\n%+v", f.Tunnels, tunnels)
	}
	if f.Router.NetID != 7 || f.Router.Bandwidth != 512 || f.Log.Level != "debug" || f.Datadir != "/tmp/i2pgo-test" {
		t.Errorf("other keys changed: %+v", f)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}

	// An empty list.
	if err := SaveTunnels(path, nil); err != nil {
		t.Fatal(err)
	}
	if f, err := Load(path); err != nil || len(f.Tunnels) != 0 {
		t.Errorf("after saving no tunnels: %v, %+v", err, f.Tunnels)
	}
}

func TestSaveTunnelsNewAndAppended(t *testing.T) {
	dir := t.TempDir()
	tunnels := []Tunnel{{Name: "irc", Type: "ircclient", Listen: "127.0.0.1:6668", Destination: "irc.postman.i2p:6667", Inbound: defaultSettings, Outbound: defaultSettings, Enabled: true}}

	// A missing file (and directory) is created with just the list.
	path := filepath.Join(dir, "data", "i2pgo.yaml")
	if err := SaveTunnels(path, tunnels); err != nil {
		t.Fatal(err)
	}
	if f, err := Load(path); err != nil || !reflect.DeepEqual(f.Tunnels, tunnels) {
		t.Fatalf("new file: %v, %+v", err, f.Tunnels)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v", fi.Mode().Perm())
	}

	// A file without a tunnels key gets one at the end.
	path = filepath.Join(dir, "other.yaml")
	os.WriteFile(path, []byte("# top\nconsole:\n  listen: 127.0.0.1:7000 # mine\n"), 0o600)
	if err := SaveTunnels(path, tunnels); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "# mine") || !strings.Contains(string(data), "# top") {
		t.Errorf("comments lost:\n%s", data)
	}
	if f, err := Load(path); err != nil || f.Console.Listen != "127.0.0.1:7000" || !reflect.DeepEqual(f.Tunnels, tunnels) {
		t.Errorf("appended: %v, %+v", err, f)
	}

	// A comments-only file keeps its comments.
	path = filepath.Join(dir, "comments.yaml")
	os.WriteFile(path, []byte("# only a comment\n"), 0o600)
	if err := SaveTunnels(path, tunnels); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "# only a comment") {
		t.Errorf("comment lost:\n%s", data)
	}

	// Through a symlink: the target is replaced, the link kept.
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := SaveTunnels(link, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced: %v", err)
	}
}

func TestSaveTunnelsRefusesInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i2pgo.yaml")
	os.WriteFile(path, []byte(userFile), 0o600)
	for _, tunnels := range [][]Tunnel{
		{{Name: "", Type: "client", Listen: "127.0.0.1:1", Destination: "x", Inbound: defaultSettings, Outbound: defaultSettings}},
		{{Name: "a", Type: "bogus", Inbound: defaultSettings, Outbound: defaultSettings}},
		{{Name: "a", Type: "client", Listen: "nope", Destination: "x", Inbound: defaultSettings, Outbound: defaultSettings}},
		{{Name: "a", Type: "server", Target: "127.0.0.1:1", Keys: "../../etc/passwd", Inbound: defaultSettings, Outbound: defaultSettings}},
		{{Name: "a", Type: "server", Target: "127.0.0.1:1", Inbound: TunnelSettings{Length: 9, Quantity: 1}, Outbound: defaultSettings}},
		{{Name: "a", Type: "server", Target: "127.0.0.1:1", Inbound: defaultSettings, Outbound: defaultSettings},
			{Name: "a", Type: "server", Target: "127.0.0.1:2", Inbound: defaultSettings, Outbound: defaultSettings}},
	} {
		if err := SaveTunnels(path, tunnels); err == nil {
			t.Errorf("%+v saved", tunnels)
		}
		if data, _ := os.ReadFile(path); string(data) != userFile {
			t.Fatalf("file changed by a refused save:\n%s", data)
		}
	}
	// A broken file is not overwritten.
	os.WriteFile(path, []byte("router: [\n"), 0o600)
	if err := SaveTunnels(path, nil); err == nil {
		t.Error("saved over a broken file")
	}
	if err := SaveTunnels("", nil); err == nil {
		t.Error("saved to no path")
	}
}
