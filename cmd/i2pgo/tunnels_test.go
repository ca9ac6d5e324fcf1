package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/console"
	"github.com/i2pgo/i2pgo/proxies"
	"github.com/i2pgo/i2pgo/router"
)

// fakeNet makes destinations that never connect anywhere.
type fakeNet struct{}

func (fakeNet) NewDestination(c proxies.DestinationConfig) (proxies.Destination, error) {
	return &fakeDest{b32: strings.Repeat("c", 52) + ".b32.i2p"}, nil
}

type fakeDest struct{ b32 string }

func (d *fakeDest) B32() string { return d.b32 }
func (d *fakeDest) B33() string { return "" }
func (d *fakeDest) Ready() bool { return true }
func (d *fakeDest) Dial(context.Context, string, uint16) (net.Conn, error) {
	return nil, errors.New("fake: no network")
}
func (d *fakeDest) Listen(uint16) (net.Listener, error) { return newIdleListener(), nil }
func (d *fakeDest) Run(ctx context.Context) error       { <-ctx.Done(); return nil }
func (d *fakeDest) Close() error                        { return nil }

// idleListener accepts nothing until closed.
type idleListener struct {
	once sync.Once
	done chan struct{}
}

func newIdleListener() *idleListener { return &idleListener{done: make(chan struct{})} }
func (l *idleListener) Accept() (net.Conn, error) {
	<-l.done
	return nil, net.ErrClosed
}
func (l *idleListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *idleListener) Addr() net.Addr { return &net.TCPAddr{} }

const adminConfig = `# kept
log:
  level: warn # also kept
tunnels:
  - name: site
    type: server
    target: 127.0.0.1:8080
`

func newAdmin(t *testing.T) (*tunnelAdmin, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "i2pgo.yaml")
	if err := os.WriteFile(path, []byte("datadir: "+dir+"\n"+adminConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := proxies.New(tunnelConfigs(cfg.Tunnels), fakeNet{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return newTunnelAdmin(m, cfg, path, nil), path
}

func freeTCP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func loadTunnels(t *testing.T, path string) []configs.Tunnel {
	t.Helper()
	f, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f.Tunnels
}

func TestTunnelAdmin(t *testing.T) {
	a, path := newAdmin(t)
	ts := configs.TunnelSettings{Length: 3, Quantity: 2}
	addr := freeTCP(t)
	proxy := configs.Tunnel{Name: "proxy", Type: "httpclient", Listen: addr, Enabled: true, Inbound: ts, Outbound: ts}
	if err := a.Add(proxy); err != nil {
		t.Fatal(err)
	}
	if got := loadTunnels(t, path); len(got) != 2 || got[1] != proxy {
		t.Fatalf("saved %+v", got)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "# kept") || !strings.Contains(string(data), "# also kept") {
		t.Errorf("comments lost:\n%s", data)
	}
	if c, err := net.Dial("tcp", addr); err != nil {
		t.Errorf("the new proxy does not listen: %v", err)
	} else {
		c.Close()
	}

	// Refused: invalid, duplicate, port in use. Nothing saved.
	before, _ := os.ReadFile(path)
	busy, _ := net.Listen("tcp", "127.0.0.1:0")
	defer busy.Close()
	for _, bad := range []configs.Tunnel{
		{Name: "x", Type: "server", Target: "127.0.0.1:1", Hostname: "x.i2p", Inbound: ts, Outbound: ts},
		{Name: "proxy", Type: "server", Target: "127.0.0.1:1", Inbound: ts, Outbound: ts},
		{Name: "busy", Type: "client", Listen: busy.Addr().String(), Destination: "a.i2p", Enabled: true, Inbound: ts, Outbound: ts},
	} {
		if err := a.Add(bad); err == nil {
			t.Errorf("%+v added", bad)
		}
	}
	// Another enabled tunnel on the port of a stopped one would stop the
	// next start: refused.
	if err := a.Stop("proxy"); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(configs.Tunnel{Name: "same", Type: "sockstunnel", Listen: addr, Enabled: true, Inbound: ts, Outbound: ts}); !errors.Is(err, proxies.ErrSameListen) {
		t.Errorf("second tunnel on a stopped one's port = %v", err)
	}
	if err := a.Start("proxy"); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) || len(a.m.Status()) != 2 {
		t.Error("a refused Add changed the file or the manager")
	}

	// Update: moved port, saved.
	addr2 := freeTCP(t)
	proxy2 := proxy
	proxy2.Listen = addr2
	if err := a.Update("proxy", proxy2); err != nil {
		t.Fatal(err)
	}
	if got := loadTunnels(t, path); got[1].Listen != addr2 {
		t.Errorf("update saved %+v", got)
	}
	if err := a.Update("proxy", configs.Tunnel{Name: "site", Type: "httpclient", Listen: addr2, Inbound: ts, Outbound: ts}); !errors.Is(err, proxies.ErrExists) {
		t.Errorf("rename onto site = %v", err)
	}

	// A save that fails is undone: the file's directory is gone.
	a.path = filepath.Join(path, "not-a-dir", "i2pgo.yaml")
	if err := a.Add(configs.Tunnel{Name: "lost", Type: "server", Target: "127.0.0.1:1", Enabled: true, Inbound: ts, Outbound: ts}); !errors.Is(err, console.ErrNotSaved) {
		t.Errorf("Add with an unwritable file = %v", err)
	}
	if len(a.m.Status()) != 2 || len(a.Configs()) != 2 {
		t.Error("an unsaved Add stayed in the manager")
	}
	if err := a.Remove("proxy"); !errors.Is(err, console.ErrNotSaved) {
		t.Errorf("Remove with an unwritable file = %v", err)
	}
	a.path = path

	if err := a.Remove("proxy"); err != nil {
		t.Fatal(err)
	}
	if got := loadTunnels(t, path); len(got) != 1 || got[0].Name != "site" {
		t.Errorf("after Remove: %+v", got)
	}
	if err := a.Remove("proxy"); !errors.Is(err, proxies.ErrNoTunnel) {
		t.Errorf("second Remove = %v", err)
	}
}

// TestTunnelAdminConsole creates a tunnel through the console's form and
// finds it in the file.
func TestTunnelAdminConsole(t *testing.T) {
	a, path := newAdmin(t)
	con, err := console.New(console.Config{}, console.Deps{Status: func() router.Status { return router.Status{} }, TunnelManager: a})
	if err != nil {
		t.Fatal(err)
	}
	get := func(p string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", p, nil)
		req.Host = "127.0.0.1:7657"
		rec := httptest.NewRecorder()
		con.Handler().ServeHTTP(rec, req)
		return rec
	}
	page := get("/i2ptunnels/new?type=sockstunnel").Body.String()
	i := strings.Index(page, `name="csrf" value="`)
	if i < 0 {
		t.Fatal("no csrf field")
	}
	tok := page[i+len(`name="csrf" value="`):]
	tok = tok[:strings.IndexByte(tok, '"')]
	v := url.Values{"csrf": {tok}, "type": {"sockstunnel"}, "name": {"socks"}, "listen": {freeTCP(t)}, "enabled": {"1"},
		"inbound.length": {"3"}, "inbound.quantity": {"2"}, "outbound.length": {"3"}, "outbound.quantity": {"2"}}
	req := httptest.NewRequest("POST", "/i2ptunnels/new", strings.NewReader(v.Encode()))
	req.Host = "127.0.0.1:7657"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	con.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d %s", rec.Code, rec.Body.String())
	}
	if got := loadTunnels(t, path); len(got) != 2 || got[1].Name != "socks" || got[1].Type != "sockstunnel" {
		t.Errorf("saved %+v", got)
	}
	if body := get("/i2ptunnels").Body.String(); !strings.Contains(body, "socks") || !strings.Contains(body, strings.Repeat("c", 52)) {
		t.Error("the list does not show the new tunnel running")
	}
}

func TestConfigPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if l, s := configPaths("/etc/i2pgo.yaml"); l != "/etc/i2pgo.yaml" || s != l {
		t.Errorf("-config: %q %q", l, s)
	}
	want := filepath.Join(home, ".i2pgo", "i2pgo.yaml")
	if l, s := configPaths(""); l != "" || s != want {
		t.Errorf("no file: load %q save %q, want \"\" and %q", l, s, want)
	}
	os.MkdirAll(filepath.Dir(want), 0o700)
	os.WriteFile(want, []byte("log:\n  level: warn\n"), 0o600)
	if l, s := configPaths(""); l != want || s != want {
		t.Errorf("with datadir/i2pgo.yaml: %q %q", l, s)
	}
}
