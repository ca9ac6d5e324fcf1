package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/i2pgo/i2pgo/configs"
	"gopkg.in/yaml.v3"
)

func TestImportJavaDefault(t *testing.T) {
	var stdout, stderr bytes.Buffer
	in := filepath.Join("..", "..", "configs", "testdata", "import", "java", "i2ptunnel.config")
	if code := runImport([]string{in}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, &stderr)
	}
	want, _, err := configs.ImportPath(in)
	if err != nil {
		t.Fatal(err)
	}
	// MarshalTunnels writes every key that has no zero default, so plain
	// yaml.Unmarshal reads the entries whole. (The round trip through the
	// config loader is tested in configs.)
	var f struct {
		Tunnels []configs.Tunnel `yaml:"tunnels"`
	}
	if err := yaml.Unmarshal(stdout.Bytes(), &f); err != nil {
		t.Fatalf("output does not decode: %v\n%s", err, &stdout)
	}
	if len(want) != 10 || !reflect.DeepEqual(f.Tunnels, want) {
		t.Errorf("output tunnels = %+v, want %+v", f.Tunnels, want)
	}
	errs := stderr.String()
	for _, s := range []string{
		"i2pgo import: warning: " + in + ":92: tunnel \"I2P webserver\": privKeyFile eepsite/eepPriv.dat",
		"NOT converted",
		"i2pgo import: 10 tunnels from " + in,
	} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errs)
		}
	}
	if strings.Contains(stdout.String(), "warning:") {
		t.Errorf("warnings on stdout:\n%s", &stdout)
	}
}

// TestImportHook checks that run hands "import" to runImport.
func TestImportHook(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"import"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: i2pgo import") {
		t.Errorf("run(import) = %d, stderr %q", code, &stderr)
	}
}

func TestImportI2pd(t *testing.T) {
	var stdout, stderr bytes.Buffer
	in := filepath.Join("..", "..", "configs", "testdata", "import", "i2pd")
	if code := runImport([]string{filepath.Join(in, "tunnels.d")}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, &stderr)
	}
	if !strings.Contains(stdout.String(), "tunnels:\n  - name: IRC-IRC2P\n    type: client\n    listen: 127.0.0.1:6670\n") {
		t.Errorf("stdout:\n%s", &stdout)
	}
	if !strings.Contains(stderr.String(), "i2pd's binary private-key format and is NOT converted") {
		t.Errorf("stderr:\n%s", &stderr)
	}
}

func TestImportBad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "tunnels.conf")
	if err := os.WriteFile(bad, []byte("[a]\ntype = client\nport 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.config")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#"), configs.MaxImportSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{bad}, "i2pgo import: " + bad + ":3: want key = value or [section], got \"port 7\"\n"},
		{[]string{big}, big + ": larger than 1048576 bytes"},
		{[]string{filepath.Join(dir, "none")}, "no such file"},
		{nil, "usage: i2pgo import FILE|DIR"},
		{[]string{"a", "b"}, "usage: i2pgo import FILE|DIR"},
		{[]string{"-x"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		if code := runImport(c.args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: stderr %q, want %q", c.args, &stderr, c.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("%q: stdout %q", c.args, &stdout)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := runImport([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage:") {
		t.Errorf("-h: exit %d, stderr %q", code, &stderr)
	}
}

func TestImportEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "i2ptunnel.config.d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := runImport([]string{dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, &stderr)
	}
	if !strings.HasSuffix(stdout.String(), "tunnels: []\n") || !strings.Contains(stderr.String(), "no *.config files") {
		t.Errorf("stdout %q, stderr %q", &stdout, &stderr)
	}
}
