package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/proxies"
)

// fakeTunnels is a TunnelManager in memory: busy is a listen address
// that is "in use"; failSave makes every change fail to save.
type fakeTunnels struct {
	mu       sync.Mutex
	cfgs     []configs.Tunnel
	running  map[string]bool
	saves    int
	busy     string
	failSave bool
	calls    []string
}

func newFakeTunnels() *fakeTunnels {
	return &fakeTunnels{running: map[string]bool{"http": true}, cfgs: []configs.Tunnel{
		{Name: "http", Type: "httpclient", Listen: "127.0.0.1:4444", Enabled: true, Inbound: defaultTS, Outbound: defaultTS},
		{Name: "site", Type: "httpserver", Target: "127.0.0.1:7658", Keys: "site.keys.json", Hostname: "mysite.i2p",
			Inbound: configs.TunnelSettings{Length: 2, Variance: 1, Quantity: 3, Backup: 1}, Outbound: defaultTS},
	}}
}

var defaultTS = configs.TunnelSettings{Length: 3, Quantity: 2}

func (f *fakeTunnels) Status() []proxies.TunnelStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []proxies.TunnelStatus
	for _, c := range f.cfgs {
		st := proxies.TunnelStatus{Name: c.Name, Type: c.Type, State: proxies.StateStopped, Listen: c.Listen, Target: c.Target, Enabled: c.Enabled}
		if f.running[c.Name] {
			st.State, st.B32, st.Connections, st.BytesIn, st.BytesOut = proxies.StateRunning, strings.Repeat("b", 52)+".b32.i2p", 3, 2048, 5<<20
		}
		out = append(out, st)
	}
	return out
}

func (f *fakeTunnels) Configs() []configs.Tunnel {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cfgs)
}

func (f *fakeTunnels) index(name string) int {
	return slices.IndexFunc(f.cfgs, func(c configs.Tunnel) bool { return c.Name == name })
}

// check validates the list as cmd's adapter does.
func (f *fakeTunnels) check(list []configs.Tunnel, t configs.Tunnel) error {
	file, _ := configs.Default()
	file.Tunnels = list
	if err := file.Validate(); err != nil {
		return err
	}
	if f.busy != "" && t.Listen == f.busy {
		return fmt.Errorf("proxies: tunnel %q: %w", t.Name, &net.OpError{Op: "listen", Net: "tcp", Err: errors.New("bind: address already in use")})
	}
	for _, c := range list {
		if c.Name != t.Name && c.Enabled && t.Enabled && c.Listen != "" && c.Listen == t.Listen {
			return fmt.Errorf("%w: %s", proxies.ErrSameListen, t.Listen)
		}
	}
	if f.failSave {
		return fmt.Errorf("%w: disk full", ErrNotSaved)
	}
	return nil
}

func (f *fakeTunnels) Add(t configs.Tunnel) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "add "+t.Name)
	if f.index(t.Name) >= 0 {
		return fmt.Errorf("%w: %q", proxies.ErrExists, t.Name)
	}
	list := append(slices.Clone(f.cfgs), t)
	if err := f.check(list, t); err != nil {
		return err
	}
	f.cfgs = list
	f.running[t.Name] = t.Enabled
	f.saves++
	return nil
}

func (f *fakeTunnels) Update(name string, t configs.Tunnel) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "update "+name)
	i := f.index(name)
	if i < 0 {
		return fmt.Errorf("%w: %q", proxies.ErrNoTunnel, name)
	}
	if j := f.index(t.Name); j >= 0 && j != i {
		return fmt.Errorf("%w: %q", proxies.ErrExists, t.Name)
	}
	list := slices.Clone(f.cfgs)
	list[i] = t
	if err := f.check(list, t); err != nil {
		return err
	}
	f.cfgs = list
	f.running[t.Name] = f.running[name]
	f.saves++
	return nil
}

func (f *fakeTunnels) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "remove "+name)
	i := f.index(name)
	if i < 0 {
		return fmt.Errorf("%w: %q", proxies.ErrNoTunnel, name)
	}
	f.cfgs = slices.Delete(f.cfgs, i, i+1)
	f.saves++
	return nil
}

func (f *fakeTunnels) op(verb, name string, run bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, verb+" "+name)
	i := f.index(name)
	if i < 0 {
		return fmt.Errorf("%w: %q", proxies.ErrNoTunnel, name)
	}
	if run && f.busy != "" && f.cfgs[i].Listen == f.busy {
		return fmt.Errorf("proxies: tunnel %q: %w", name, &net.OpError{Op: "listen", Net: "tcp", Err: errors.New("bind: address already in use")})
	}
	f.running[name] = run
	return nil
}

func (f *fakeTunnels) Start(name string) error   { return f.op("start", name, true) }
func (f *fakeTunnels) Stop(name string) error    { return f.op("stop", name, false) }
func (f *fakeTunnels) Restart(name string) error { return f.op("restart", name, true) }
func (f *fakeTunnels) SavePath() string          { return "/home/u/.i2pgo/i2pgo.yaml" }

func (f *fakeTunnels) snapshot() ([]configs.Tunnel, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cfgs), f.saves
}

func newTunnelServer(t *testing.T) (*Server, *fakeTunnels) {
	t.Helper()
	f := newFakeTunnels()
	s, err := New(Config{}, Deps{Status: testStatus, TunnelManager: f})
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

// validForm is a valid create form of type typ.
func validForm(typ string) url.Values {
	v := url.Values{"type": {typ}, "name": {"new one"}, "enabled": {"1"},
		"inbound.length": {"2"}, "inbound.quantity": {"3"}, "outbound.length": {"3"}, "outbound.quantity": {"2"}}
	switch typ {
	case "client", "ircclient":
		v.Set("listen", "127.0.0.1:7000")
		v.Set("destination", "irc.postman.i2p:6667")
	case "httpclient", "connectclient", "sockstunnel":
		v.Set("listen", "127.0.0.1:7000")
		v.Set("outproxy", "exit.stormycloud.i2p")
	case "server", "httpserver", "ircserver":
		v.Set("target", "127.0.0.1:8000")
		v.Set("keys", "new.keys.json")
	}
	return v
}

func TestTunnelListPage(t *testing.T) {
	s, _ := newTunnelServer(t)
	rec := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels?done=started")
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("GET /i2ptunnels = %d", rec.Code)
	}
	for _, want := range []string{
		"<h1>Tunnel manager</h1>", "HTTP proxy", "httpclient", "127.0.0.1:4444", strings.Repeat("b", 52) + ".b32.i2p", `class="b32"`,
		"2.0 KB / 5.0 MB", `action="/i2ptunnels/http/stop"`, `action="/i2ptunnels/http/restart"`, `action="/i2ptunnels/site/start"`,
		`href="/i2ptunnels/site/edit"`, `action="/i2ptunnels/site/delete"`, `name="csrf" value="` + s.csrf + `"`,
		`action="/i2ptunnels/new"`, `<option value="ircserver">`, "The tunnel was started.", "/home/u/.i2pgo/i2pgo.yaml",
		"not started with the router",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list page: no %q", want)
		}
	}
	// Every POST form carries the token.
	if n, m := strings.Count(body, `method="post"`), strings.Count(body, `name="csrf"`); n != m || n == 0 {
		t.Errorf("%d POST forms, %d CSRF fields", n, m)
	}
	// ?done= shows only known messages.
	if rec := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels?done=%3Cscript%3E"); strings.Contains(rec.Body.String(), "<script>") || strings.Contains(rec.Body.String(), `role="status"`) {
		t.Error("?done= text shown")
	}
}

func TestTunnelFormsPerType(t *testing.T) {
	s, _ := newTunnelServer(t)
	for _, typ := range proxies.Types {
		rec := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels/new?type="+typ)
		body := rec.Body.String()
		if rec.Code != 200 {
			t.Errorf("new %s = %d", typ, rec.Code)
			continue
		}
		k := tunnelKinds[typ]
		for field, want := range map[string]bool{
			"listen": k.listen, "destination": k.destination, "target": k.target, "outproxy": k.outproxy,
			"hostname": k.hostname, "webircpassword": k.webirc, "encrypted": k.encrypted, "keys": true, "name": true, "enabled": true,
			"inbound.length": true, "outbound.quantity": true,
		} {
			if got := strings.Contains(body, `name="`+field+`"`); got != want {
				t.Errorf("new %s: field %s shown %v, want %v", typ, field, got, want)
			}
		}
		if !strings.Contains(body, `name="type" value="`+typ+`"`) || !strings.Contains(body, `name="csrf"`) {
			t.Errorf("new %s: no type or csrf field", typ)
		}
	}
	for _, q := range []string{"", "?type=bogus", "?type=%3Cscript%3E"} {
		rec := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels/new"+q)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `role="alert"`) || strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("new%s = %d", q, rec.Code)
		}
	}
	// Edit: the tunnel's values, its type's fields.
	rec := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels/site/edit")
	body := rec.Body.String()
	for _, want := range []string{`value="site"`, `value="127.0.0.1:7658"`, `value="mysite.i2p"`, `value="site.keys.json"`, `value="2"`, `value="3"`, `action="/i2ptunnels/site/edit"`, `action="/i2ptunnels/site/delete"`} {
		if !strings.Contains(body, want) {
			t.Errorf("edit page: no %q", want)
		}
	}
	if strings.Contains(body, `name="listen"`) || strings.Contains(body, `name="type"`) {
		t.Error("edit page of a server shows listen or type")
	}
	if rec := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels/nobody/edit"); rec.Code != 404 || !strings.Contains(rec.Body.String(), `role="alert"`) {
		t.Errorf("edit of unknown = %d", rec.Code)
	}
}

func TestTunnelCreateEveryType(t *testing.T) {
	for _, typ := range proxies.Types {
		s, f := newTunnelServer(t)
		rec := postForm(s.Handler(), "/i2ptunnels/new", s.csrf, validForm(typ))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/i2ptunnels?done=created" {
			t.Errorf("create %s = %d %s", typ, rec.Code, rec.Body.String())
			continue
		}
		cfgs, saves := f.snapshot()
		got := cfgs[len(cfgs)-1]
		want := configs.Tunnel{Name: "new one", Type: typ, Enabled: true, Inbound: configs.TunnelSettings{Length: 2, Quantity: 3}, Outbound: defaultTS}
		k := tunnelKinds[typ]
		if k.listen {
			want.Listen = "127.0.0.1:7000"
		}
		if k.destination {
			want.Destination = "irc.postman.i2p:6667"
		}
		if k.outproxy {
			want.Outproxy = "exit.stormycloud.i2p"
		}
		if k.target {
			want.Target, want.Keys = "127.0.0.1:8000", "new.keys.json"
		}
		if got != want || saves != 1 {
			t.Errorf("create %s saved %+v (%d saves), want %+v", typ, got, saves, want)
		}
	}
}

func TestTunnelCreateIgnoresOtherTypesFields(t *testing.T) {
	s, f := newTunnelServer(t)
	v := validForm("client")
	v.Set("hostname", "evil.i2p")
	v.Set("webircpassword", "x")
	v.Set("target", "127.0.0.1:1")
	v.Set("outproxy", "o.i2p")
	v.Set("encrypted", "1")
	if rec := postForm(s.Handler(), "/i2ptunnels/new", s.csrf, v); rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d %s", rec.Code, rec.Body.String())
	}
	cfgs, _ := f.snapshot()
	if got := cfgs[len(cfgs)-1]; got.Hostname != "" || got.WebIRCPassword != "" || got.Target != "" || got.Outproxy != "" || got.Encrypted {
		t.Errorf("fields of other types saved: %+v", got)
	}
}

// TestTunnelFormBadInput posts missing, oversized and hostile values:
// each gets a clear message on the page, 400, and nothing is saved.
func TestTunnelFormBadInput(t *testing.T) {
	long := strings.Repeat("a", 5000)
	for _, c := range []struct {
		name, typ string
		set       map[string]string
		del       []string
		want      string
	}{
		{"missing name", "client", nil, []string{"name"}, "a tunnel needs a name"},
		{"html name", "client", map[string]string{"name": `<script>alert(1)</script>`}, nil, "Name: use letters"},
		{"traversal name", "client", map[string]string{"name": "../../etc"}, nil, "Name: use letters"},
		{"dotdot name", "client", map[string]string{"name": "a..b"}, nil, "Name: use letters"},
		{"long name", "client", map[string]string{"name": strings.Repeat("n", 65)}, nil, "at most 64"},
		{"oversize destination", "client", map[string]string{"destination": long}, nil, "far too long"},
		{"oversize name", "client", map[string]string{"name": long}, nil, "at most 64"},
		{"missing listen", "client", nil, []string{"listen"}, "Local address: required"},
		{"bad listen", "httpclient", map[string]string{"listen": "localhost"}, nil, "is not host:port"},
		{"listen port 0", "httpclient", map[string]string{"listen": "127.0.0.1:0"}, nil, "not a number from 1 to 65535"},
		{"listen port 99999", "httpclient", map[string]string{"listen": "127.0.0.1:99999"}, nil, "not a number from 1 to 65535"},
		{"listen hostname", "httpclient", map[string]string{"listen": "evil.example:80"}, nil, "not an IP address"},
		{"html listen", "httpclient", map[string]string{"listen": `"><script>x</script>:80`}, nil, "not an IP address"},
		{"missing destination", "client", nil, []string{"destination"}, "Destination: a client tunnel needs one"},
		{"hostile destination", "ircclient", map[string]string{"destination": `irc.i2p"><img src=x>`}, nil, "Destination: only"},
		{"bad target", "server", map[string]string{"target": "nohost"}, nil, "Target:"},
		{"traversal keys", "server", map[string]string{"keys": "../../.ssh/id_rsa"}, nil, "Keys file:"},
		{"absolute keys", "server", map[string]string{"keys": "/etc/passwd"}, nil, "Keys file:"},
		{"bad hostname", "httpserver", map[string]string{"hostname": "<b>site</b>"}, nil, "Host name:"},
		{"webirc newline", "ircserver", map[string]string{"webircpassword": "a\r\nQUIT"}, nil, "WEBIRC password:"},
		{"bad outproxy", "httpclient", map[string]string{"outproxy": "http://x/<y>"}, nil, "Outproxy:"},
		{"hops", "client", map[string]string{"inbound.length": "9"}, nil, "Inbound hops: a number from 1 to 7"},
		{"not a number", "client", map[string]string{"outbound.quantity": "lots"}, nil, "Outbound tunnels: not a number"},
		{"negative", "client", map[string]string{"outbound.quantity": "-1"}, nil, "Outbound tunnels: a number from 1 to 16"},
		{"duplicate", "client", map[string]string{"name": "http"}, nil, "another tunnel has this name"},
		{"port in use", "client", map[string]string{"listen": "127.0.0.1:7001"}, nil, "the port may be in use"},
		{"port of another tunnel", "client", map[string]string{"listen": "127.0.0.1:4444"}, nil, "another tunnel that starts with the router listens there"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, f := newTunnelServer(t)
			f.busy = "127.0.0.1:7001"
			v := validForm(c.typ)
			for k, x := range c.set {
				v.Set(k, x)
			}
			for _, k := range c.del {
				v.Del(k)
			}
			before, _ := f.snapshot()
			rec := postForm(s.Handler(), "/i2ptunnels/new", s.csrf, v)
			body := rec.Body.String()
			if rec.Code != 400 || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, c.want) {
				t.Errorf("= %d, want 400 with an alert %q:\n%s", rec.Code, c.want, body)
			}
			if strings.Contains(body, "<script>") || strings.Contains(body, "<img") || strings.Contains(body, "<b>site") {
				t.Error("hostile value rendered as HTML")
			}
			if after, saves := f.snapshot(); saves != 0 || len(after) != len(before) {
				t.Errorf("saved: %d saves, %d tunnels", saves, len(after))
			}
			if !strings.Contains(body, `aria-invalid="true"`) && c.name != "duplicate" {
				t.Error("no field marked invalid")
			}
		})
	}
	// An unknown type.
	s, f := newTunnelServer(t)
	for _, typ := range []string{"", "bogus", "<script>"} {
		v := validForm("client")
		v.Set("type", typ)
		rec := postForm(s.Handler(), "/i2ptunnels/new", s.csrf, v)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "Unknown tunnel type") || strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("type %q = %d", typ, rec.Code)
		}
	}
	if _, saves := f.snapshot(); saves != 0 {
		t.Error("unknown type saved")
	}
	// The file cannot be written: 500, the message shown.
	f.failSave = true
	if rec := postForm(s.Handler(), "/i2ptunnels/new", s.csrf, validForm("client")); rec.Code != 500 || !strings.Contains(rec.Body.String(), "disk full") {
		t.Errorf("save failure = %d", rec.Code)
	}
}

func TestTunnelEditAndActions(t *testing.T) {
	s, f := newTunnelServer(t)
	f.busy = "127.0.0.1:7001"
	h := s.Handler()
	// Edit keeps the fields the form has not (variance, backup) and the
	// type; the name may change.
	v := url.Values{"name": {"site2"}, "target": {"127.0.0.1:9000"}, "hostname": {"other.i2p"}, "keys": {"site.keys.json"}, "encrypted": {"1"},
		"inbound.length": {"2"}, "inbound.quantity": {"3"}, "outbound.length": {"3"}, "outbound.quantity": {"2"}, "type": {"client"}, "listen": {"127.0.0.1:1"}}
	if rec := postForm(h, "/i2ptunnels/site/edit", s.csrf, v); rec.Code != http.StatusSeeOther {
		t.Fatalf("edit = %d %s", rec.Code, rec.Body.String())
	}
	cfgs, _ := f.snapshot()
	want := configs.Tunnel{Name: "site2", Type: "httpserver", Target: "127.0.0.1:9000", Hostname: "other.i2p", Keys: "site.keys.json", Encrypted: true,
		Inbound: configs.TunnelSettings{Length: 2, Variance: 1, Quantity: 3, Backup: 1}, Outbound: defaultTS}
	if cfgs[1] != want {
		t.Errorf("edited to %+v, want %+v", cfgs[1], want)
	}
	// Bad edits: nothing saved.
	_, saves := f.snapshot()
	for _, c := range []struct {
		path string
		v    url.Values
		code int
	}{
		{"/i2ptunnels/site2/edit", url.Values{"name": {"http"}, "target": {"127.0.0.1:9000"}}, 400},
		{"/i2ptunnels/site2/edit", url.Values{"name": {"site2"}, "target": {"../x"}}, 400},
		{"/i2ptunnels/http/edit", url.Values{"name": {"http"}, "listen": {"127.0.0.1:7001"}, "enabled": {"1"}}, 400},
		{"/i2ptunnels/nobody/edit", url.Values{"name": {"x"}}, 404},
	} {
		rec := postForm(h, c.path, s.csrf, c.v)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), `role="alert"`) {
			t.Errorf("POST %s %v = %d, want %d", c.path, c.v, rec.Code, c.code)
		}
	}
	if _, n := f.snapshot(); n != saves {
		t.Error("a refused edit saved")
	}
	// Actions.
	for _, c := range []struct{ path, loc, call string }{
		{"/i2ptunnels/site2/start", "started", "start site2"},
		{"/i2ptunnels/site2/restart", "restarted", "restart site2"},
		{"/i2ptunnels/site2/stop", "stopped", "stop site2"},
		{"/i2ptunnels/site2/delete", "deleted", "remove site2"},
	} {
		rec := postForm(h, c.path, s.csrf, url.Values{})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/i2ptunnels?done="+c.loc {
			t.Errorf("POST %s = %d", c.path, rec.Code)
		}
		if f.calls[len(f.calls)-1] != c.call {
			t.Errorf("POST %s called %s", c.path, f.calls[len(f.calls)-1])
		}
	}
	for _, p := range []string{"/i2ptunnels/site2/start", "/i2ptunnels/..%2F..%2Fetc/delete", "/i2ptunnels/%3Cscript%3E/stop"} {
		rec := postForm(h, p, s.csrf, url.Values{})
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), "no tunnel of that name") || strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("POST %s = %d", p, rec.Code)
		}
	}
	// Start on a port in use: the message on the list.
	f.cfgs[0].Listen = f.busy
	if rec := postForm(h, "/i2ptunnels/http/start", s.csrf, url.Values{}); rec.Code != 400 || !strings.Contains(rec.Body.String(), "the port may be in use") {
		t.Errorf("start on a busy port = %d", rec.Code)
	}
}

// TestTunnelCSRF: every state-changing route refuses a missing or wrong
// token with 403 and changes nothing.
func TestTunnelCSRF(t *testing.T) {
	s, f := newTunnelServer(t)
	h := s.Handler()
	for _, p := range []string{"/i2ptunnels/new", "/i2ptunnels/http/edit", "/i2ptunnels/http/delete", "/i2ptunnels/http/start", "/i2ptunnels/http/stop", "/i2ptunnels/http/restart"} {
		for _, tok := range []string{"", "wrong"} {
			if rec := postForm(h, p, tok, validForm("client")); rec.Code != 403 {
				t.Errorf("POST %s token %q = %d", p, tok, rec.Code)
			}
		}
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/tunnels"}, {"PUT", "/api/tunnels/http"}, {"DELETE", "/api/tunnels/http"},
		{"POST", "/api/tunnels/http/start"}, {"POST", "/api/tunnels/http/stop"}, {"POST", "/api/tunnels/http/restart"},
	} {
		if code, _ := apiDo(h, c.method, c.path, "", `{}`); code != 403 {
			t.Errorf("%s %s without token = %d", c.method, c.path, code)
		}
	}
	if len(f.calls) != 0 {
		t.Errorf("calls without a token: %v", f.calls)
	}
}

func apiDo(h http.Handler, method, path, token, body string) (int, map[string]any) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = "127.0.0.1:7657"
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set(CSRFHeader, token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]any
	json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m
}

func TestTunnelAPI(t *testing.T) {
	s, f := newTunnelServer(t)
	h := s.Handler()
	tok := s.csrf
	code, m := apiDo(h, "POST", "/api/tunnels", tok, `{"name":"irc2","type":"ircclient","listen":"127.0.0.1:6669","destination":"irc.dg.i2p:6667"}`)
	if code != 201 || m["name"] != "irc2" || m["state"] != "running" || m["enabled"] != true {
		t.Fatalf("create = %d %v", code, m)
	}
	code, m = apiDo(h, "GET", "/api/tunnels/irc2", "", "")
	cfg, _ := m["config"].(map[string]any)
	if code != 200 || cfg["destination"] != "irc.dg.i2p:6667" || cfg["enabled"] != true || cfg["inbound"].(map[string]any)["length"] != 3.0 {
		t.Errorf("get = %d %v", code, m)
	}
	code, m = apiDo(h, "PUT", "/api/tunnels/irc2", tok, `{"name":"irc2","type":"ircclient","listen":"127.0.0.1:6670","destination":"irc.dg.i2p:6667","enabled":false,"inbound":{"length":1,"variance":0,"quantity":1,"backup":0}}`)
	if code != 200 || m["listen"] != "127.0.0.1:6670" {
		t.Errorf("update = %d %v", code, m)
	}
	if cfgs, _ := f.snapshot(); cfgs[2].Enabled || cfgs[2].Inbound.Length != 1 || cfgs[2].Outbound != defaultTS {
		t.Errorf("updated to %+v", cfgs[2])
	}
	for _, a := range []string{"stop", "start", "restart"} {
		if code, m := apiDo(h, "POST", "/api/tunnels/irc2/"+a, tok, ""); code != 200 || m["name"] != "irc2" {
			t.Errorf("%s = %d %v", a, code, m)
		}
	}
	// The list has it, with the contract's fields.
	req := httptest.NewRequest("GET", "/api/tunnels", nil)
	req.Host = "127.0.0.1:7657"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var list []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 3 {
		t.Fatalf("list: %v %s", err, rec.Body.String())
	}
	for _, k := range []string{"name", "type", "state", "b32", "connections", "bytes_in", "bytes_out"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("list entry has no %q", k)
		}
	}

	// Bad input: 400 with the field; nothing saved.
	_, saves := f.snapshot()
	for _, c := range []struct {
		method, path, body string
		code               int
		field              string
	}{
		{"POST", "/api/tunnels", `{"name":"<script>","type":"client","listen":"127.0.0.1:1","destination":"x.i2p"}`, 400, "name"},
		{"POST", "/api/tunnels", `{"name":"../x","type":"server","target":"127.0.0.1:1"}`, 400, "name"},
		{"POST", "/api/tunnels", `{"name":"a","type":"bogus"}`, 400, "type"},
		{"POST", "/api/tunnels", `{"name":"a","type":"client","listen":"127.0.0.1:1"}`, 400, "destination"},
		{"POST", "/api/tunnels", `{"name":"a","type":"server","target":"127.0.0.1:1","keys":"../k"}`, 400, "keys"},
		{"POST", "/api/tunnels", `{"name":"a","type":"server","target":"127.0.0.1:1","inbound":{"length":8,"quantity":1}}`, 400, "inbound.length"},
		{"POST", "/api/tunnels", `{"name":"http","type":"server","target":"127.0.0.1:1"}`, 400, "name"},
		{"POST", "/api/tunnels", `{"name":"a","type":"server","target":"` + strings.Repeat("1", 5000) + `"}`, 400, "target"},
		{"POST", "/api/tunnels", `{"name":"a","type":"server","target":"127.0.0.1:1","extra":1}`, 400, ""},
		{"POST", "/api/tunnels", `not json`, 400, ""},
		{"PUT", "/api/tunnels/http", `{"name":"http","type":"server","target":"127.0.0.1:1"}`, 400, "type"},
		{"PUT", "/api/tunnels/nobody", `{"name":"x","type":"server","target":"127.0.0.1:1"}`, 404, ""},
		{"DELETE", "/api/tunnels/nobody", ``, 404, ""},
		{"POST", "/api/tunnels/nobody/start", ``, 404, ""},
	} {
		code, m := apiDo(h, c.method, c.path, tok, c.body)
		if code != c.code || m["error"] == nil || (c.field != "" && m["field"] != c.field) {
			t.Errorf("%s %s %.60s = %d %v, want %d field %q", c.method, c.path, c.body, code, m, c.code, c.field)
		}
	}
	if _, n := f.snapshot(); n != saves {
		t.Error("refused API requests saved")
	}
	if code, _ := apiDo(h, "DELETE", "/api/tunnels/irc2", tok, ""); code != 204 {
		t.Errorf("delete = %d", code)
	}
	if code, _ := apiDo(h, "GET", "/api/tunnels/irc2", "", ""); code != 404 {
		t.Errorf("get after delete = %d", code)
	}
}

// TestTunnelListReadOnly: with I2PTunnels only, the list has no forms
// and the changing routes are absent.
func TestTunnelListReadOnly(t *testing.T) {
	s, err := New(Config{}, Deps{Status: testStatus, I2PTunnels: newFakeTunnels().Status})
	if err != nil {
		t.Fatal(err)
	}
	rec := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), `method="post"`) || !strings.Contains(rec.Body.String(), "127.0.0.1:4444") {
		t.Errorf("read-only list = %d", rec.Code)
	}
	if rec := postForm(s.Handler(), "/i2ptunnels/new", s.csrf, validForm("client")); rec.Code != 404 && rec.Code != 405 {
		t.Errorf("create without a manager = %d", rec.Code)
	}
}

// TestTunnelHandWrittenValues: a tunnel from a hand-written config whose
// name and keys this form would refuse is listed escaped, and can be
// edited and stopped with those values kept.
func TestTunnelHandWrittenValues(t *testing.T) {
	s, f := newTunnelServer(t)
	odd := configs.Tunnel{Name: `<b>x"y</b> & z`, Type: "server", Target: "127.0.0.1:81", Keys: "sub/k.keys", Inbound: defaultTS, Outbound: defaultTS}
	f.cfgs = append(f.cfgs, odd)
	body := get(s.Handler(), "127.0.0.1:7657", "/i2ptunnels").Body.String()
	if strings.Contains(body, "<b>x") || !strings.Contains(body, "&lt;b&gt;x&#34;y&lt;/b&gt; &amp; z") {
		t.Errorf("name not escaped in the list")
	}
	path := tunnelPath(odd.Name, "edit")
	if rec := get(s.Handler(), "127.0.0.1:7657", path); rec.Code != 200 || strings.Contains(rec.Body.String(), "<b>x") {
		t.Fatalf("GET %s = %d", path, rec.Code)
	}
	v := url.Values{"name": {odd.Name}, "target": {"127.0.0.1:82"}, "keys": {odd.Keys},
		"inbound.length": {"3"}, "inbound.quantity": {"2"}, "outbound.length": {"3"}, "outbound.quantity": {"2"}}
	if rec := postForm(s.Handler(), path, s.csrf, v); rec.Code != http.StatusSeeOther {
		t.Fatalf("edit = %d %s", rec.Code, rec.Body.String())
	}
	if cfgs, _ := f.snapshot(); cfgs[2].Target != "127.0.0.1:82" || cfgs[2].Name != odd.Name {
		t.Errorf("edited to %+v", cfgs[2])
	}
	if rec := postForm(s.Handler(), tunnelPath(odd.Name, "stop"), s.csrf, url.Values{}); rec.Code != http.StatusSeeOther {
		t.Errorf("stop = %d", rec.Code)
	}
	// Changing the keys to another bad value is refused.
	v.Set("keys", "../k.keys")
	if rec := postForm(s.Handler(), path, s.csrf, v); rec.Code != 400 {
		t.Errorf("bad keys = %d", rec.Code)
	}
}
