package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router"
	"github.com/i2pgo/i2pgo/router/data"
)

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func freePort(t *testing.T) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	var n int
	fmt.Sscan(port, &n)
	return n
}

// writeConfig writes a config file for a router on 127.0.0.1 that never
// reseeds over the network, and returns its path.
func writeConfig(t *testing.T, datadir, consoleListen, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "i2pgo.yaml")
	cfg := fmt.Sprintf(`datadir: %s
router:
  netid: 7
  host: 127.0.0.1
  port: %d
  reseed:
    urls: []
console:
  listen: %s
log:
  level: debug
%s
tunnels: []
eepsite:
  listen: ""
sam:
  enabled: false
i2cp:
  enabled: false
`, datadir, freePort(t), consoleListen, extra)
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunVersion(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-version"}, &stderr); code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), router.Version) || !strings.Contains(stderr.String(), router.APIVersion) {
		t.Errorf("-version printed %q; want the versions %s and %s", stderr.String(), router.Version, router.APIVersion)
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-bogus"}, "bogus"},
		{"argument", []string{"extra"}, `"extra"`},
		{"missing config", []string{"-config", "/nonexistent/i2pgo.yaml"}, "/nonexistent/i2pgo.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(tt.args, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not mention %s", stderr.String(), tt.want)
			}
		})
	}
}

func TestRunBadConfig(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		// Line 12 is the first line after writeConfig's.
		{"unknown key", "bogus_key: 1\n", []string{":12:", "bogus_key", "unknown key"}},
		{"duplicate key", "console:\n  listen: 127.0.0.1:1\n", []string{":12:", "console", "duplicate key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			cfg := writeConfig(t, dir, freeAddr(t), tt.extra)
			var stderr bytes.Buffer
			if code := run([]string{"-config", cfg}, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2; stderr:\n%s", code, stderr.String())
			}
			for _, w := range append(tt.want, cfg) {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not mention %q", stderr.String(), w)
				}
			}
			if _, err := os.Stat(dir); err == nil {
				t.Error("the datadir was created for a bad config")
			}
		})
	}

	// Files of their own.
	for _, tt := range []struct{ yaml, want string }{
		{"router:\n  netid: 7\n  colour: blue\n", ":3: router.colour: unknown key"},
		{"router:\n  netid: 300\n", ":2: router.netid:"},
	} {
		p := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(p, []byte(tt.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		if code := run([]string{"-config", p}, &stderr); code != 2 {
			t.Errorf("%q: exit code %d, want 2; stderr:\n%s", tt.yaml, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), p+tt.want) {
			t.Errorf("%q: stderr %q does not name the line and key (%s)", tt.yaml, stderr.String(), tt.want)
		}
	}
}

func TestRunConsolePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	dir := filepath.Join(t.TempDir(), "data")
	var stderr bytes.Buffer
	if code := run([]string{"-config", writeConfig(t, dir, addr, "")}, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), addr) {
		t.Errorf("stderr %q does not name %s", stderr.String(), addr)
	}
}

func TestRunDatadirNotCreatable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "sub") // fails for root too
	var stderr bytes.Buffer
	if code := run([]string{"-config", writeConfig(t, dir, freeAddr(t), "")}, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "datadir "+dir) {
		t.Errorf("stderr %q does not name the datadir %s", stderr.String(), dir)
	}
}

// TestStartStop builds the command, runs it, waits for its console to
// answer and stops it with SIGTERM.
func TestStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build with")
	}
	bin := filepath.Join(t.TempDir(), "i2pgo")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	dir := filepath.Join(t.TempDir(), "data")
	consoleAddr := freeAddr(t)
	cmd := exec.Command(bin, "-config", writeConfig(t, dir, consoleAddr, ""))
	var stderr bytes.Buffer // read only after Wait
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1) // written once, when the process exits
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			<-done
			t.Logf("stderr:\n%s", stderr.String())
		}
	}()

	// Poll the console until it answers.
	client := &http.Client{Timeout: 2 * time.Second}
	var st router.Status
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get("http://" + consoleAddr + "/api/status")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				break
			}
			err = fmt.Errorf("status %s, decode: %v", resp.Status, err)
		}
		select {
		case err := <-done:
			exited = true
			t.Fatalf("i2pgo exited before its console answered: %v\n%s", err, stderr.String())
		case <-deadline.C:
			t.Fatalf("console did not answer within 20 s: %v", err)
		case <-tick.C:
		}
	}
	if st.NetID != 7 || st.Version != router.Version || st.RouterVersion != router.APIVersion || st.RouterHash == "" {
		t.Errorf("/api/status = %+v", st)
	}

	// The console's restart: the router stops and starts again in the
	// same process, with the same identity.
	var tok struct{ Token string }
	if resp, err := client.Get("http://" + consoleAddr + "/api/csrf"); err != nil {
		t.Fatal(err)
	} else {
		json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
	}
	req, _ := http.NewRequest("POST", "http://"+consoleAddr+"/api/restart", nil)
	req.Header.Set("X-CSRF-Token", tok.Token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/restart: %s", resp.Status)
	}
	var tok2 struct{ Token string }
	for restarted := false; !restarted; {
		select {
		case err := <-done:
			exited = true
			t.Fatalf("i2pgo exited on restart: %v\n%s", err, stderr.String())
		case <-deadline.C:
			t.Fatal("console did not come back within 20 s of the restart")
		case <-tick.C:
		}
		// A new console has a new CSRF token.
		if resp, err := client.Get("http://" + consoleAddr + "/api/csrf"); err == nil {
			json.NewDecoder(resp.Body).Decode(&tok2)
			resp.Body.Close()
			restarted = tok2.Token != "" && tok2.Token != tok.Token
		}
	}
	var st2 router.Status
	if resp, err := client.Get("http://" + consoleAddr + "/api/status"); err != nil {
		t.Fatal(err)
	} else {
		json.NewDecoder(resp.Body).Decode(&st2)
		resp.Body.Close()
	}
	if st2.RouterHash != st.RouterHash {
		t.Errorf("router hash %s after the restart, was %s", st2.RouterHash, st.RouterHash)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		exited = true
	case <-time.After(20 * time.Second):
		t.Fatal("i2pgo did not exit within 20 s of SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "i2pgo: restarting") || strings.Count(stderr.String(), "i2pgo started") != 2 {
		t.Errorf("no restart in the log:\n%s", stderr.String())
	}

	st1, err := os.Stat(dir)
	if err != nil || st1.Mode().Perm() != 0o700 {
		t.Errorf("datadir: %v, mode %v; want 0700", err, st1.Mode())
	}
	keys, err := os.Stat(filepath.Join(dir, "router.keys.json"))
	if err != nil {
		t.Fatalf("no key file: %v", err)
	}
	if keys.Mode().Perm() != 0o600 {
		t.Errorf("router.keys.json mode %#o, want 0600", keys.Mode().Perm())
	}
	b, err := os.ReadFile(filepath.Join(dir, "router.info"))
	if err != nil {
		t.Fatalf("no router.info: %v", err)
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		t.Fatalf("router.info: %v", err)
	}
	if err := ri.Verify(); err != nil {
		t.Errorf("router.info: %v", err)
	}
	if ri.Hash().String() != st.RouterHash {
		t.Errorf("router.info is router %v, /api/status says %s", ri.Hash(), st.RouterHash)
	}
	if !strings.Contains(stderr.String(), "i2pgo stopped") {
		t.Errorf("stderr does not log the stop:\n%s", stderr.String())
	}
}
