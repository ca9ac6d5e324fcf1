package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/i2pgo/i2pgo/proxies"
	"github.com/i2pgo/i2pgo/router"
)

// postForm posts form values to the handler; csrf "" sends no token.
func postForm(h http.Handler, path, csrf string, v url.Values) *httptest.ResponseRecorder {
	if csrf != "" {
		v.Set("csrf", csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(v.Encode()))
	req.Host = "127.0.0.1:7657"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPages(t *testing.T) {
	s, err := New(Config{}, Deps{
		Status: testStatus,
		Peers: func() []router.PeerInfo {
			return []router.PeerInfo{{Router: "peerhash0123456789", Transport: "NTCP2", AgeS: 90, BytesIn: 2048}}
		},
		NetDBRouters: func() []router.RouterEntry {
			return []router.RouterEntry{{Hash: "rihash", Caps: "XfR", Version: "0.9.57"}}
		},
		Tunnels: func() []router.TunnelInfo {
			return []router.TunnelInfo{{Direction: "inbound", Pool: "exploratory", Hops: []string{"h1", "h2"}, State: "tested"}}
		},
		I2PTunnels: func() []proxies.TunnelStatus {
			return []proxies.TunnelStatus{{Name: "http", Type: "httpclient", State: "running", Listen: "127.0.0.1:4444", B32: "abc.b32.i2p"}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		"/":           {"<h1>Dashboard</h1>", "127.0.0.1:4444", "Set your browser", `aria-current="page">Dashboard`},
		"/peers":      {"<h1>Peers</h1>", "peerhash0123…", "NTCP2", "2.0 KB", "1 min"},
		"/netdb":      {"<h1>NetDB</h1>", "rihash", "XfR", "100 routers"},
		"/tunnels":    {"<h1>Tunnels</h1>", "h1 → h2", "tested"},
		"/i2ptunnels": {"<h1>Tunnel manager</h1>", "abc.b32.i2p", "httpclient"},
	} {
		rec := get(s.Handler(), "127.0.0.1:7657", path)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("GET %s = %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
			continue
		}
		body := rec.Body.String()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q", path, w)
			}
		}
		if !strings.Contains(body, `<link rel="stylesheet" href="/static/style.css">`) || !strings.Contains(body, `name="viewport"`) {
			t.Errorf("GET %s: no stylesheet or viewport", path)
		}
	}
	rec := get(s.Handler(), "127.0.0.1:7657", "/static/style.css")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") || !strings.Contains(rec.Body.String(), "prefers-color-scheme: dark") {
		t.Errorf("GET /static/style.css = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec := get(s.Handler(), "127.0.0.1:7657", "/static/../server.go"); rec.Code == 200 {
		t.Errorf("path traversal under /static/ = %d", rec.Code)
	}
	// The address book pages are absent without an address book.
	if rec := get(s.Handler(), "127.0.0.1:7657", "/addressbook"); rec.Code != 404 {
		t.Errorf("GET /addressbook without a book = %d", rec.Code)
	}
}

func TestAddressBookPage(t *testing.T) {
	d1, d2 := testDest(t, 1), testDest(t, 2)
	e := newBookEnv(t, func() []byte { return []byte("feedname.i2p=" + d2 + "\n") })
	h := e.s.Handler()

	rec := get(h, "127.0.0.1:7657", "/addressbook")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "No names found.") || !strings.Contains(body, "http://feed.i2p/hosts.txt") ||
		!strings.Contains(body, `name="csrf" value="`+e.s.csrf+`"`) || !strings.Contains(body, "not fetched yet") {
		t.Fatalf("empty page: %d\n%.3000s", rec.Code, body)
	}
	// Every form carries the token.
	if forms, tokens := strings.Count(body, "<form method=\"post\""), strings.Count(body, `name="csrf"`); forms != tokens || forms < 3 {
		t.Errorf("%d post forms, %d tokens", forms, tokens)
	}

	// Add: without the token refused, with it saved and shown.
	add := url.Values{"name": {"mine.i2p"}, "dest": {d1}, "book": {"local"}}
	if rec := postForm(h, "/addressbook/add", "", add); rec.Code != http.StatusForbidden {
		t.Errorf("add without token = %d", rec.Code)
	}
	rec = postForm(h, "/addressbook/add", e.s.csrf, add)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/addressbook?done=added" {
		t.Fatalf("add = %d %s\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	body = get(h, "127.0.0.1:7657", "/addressbook?done=added").Body.String()
	if !strings.Contains(body, "The name was added.") || !strings.Contains(body, ">mine.i2p</a>") {
		t.Errorf("after add:\n%.3000s", body)
	}
	if body := get(h, "127.0.0.1:7657", "/addressbook?done=<script>alert(1)</script>").Body.String(); strings.Contains(body, "alert") {
		t.Error("?done= text reflected")
	}

	// Bad input: a message, the values kept (escaped), nothing saved.
	for _, tt := range []struct {
		name string
		v    url.Values
		code int
		msg  string
	}{
		{"html name", url.Values{"name": {`<script>alert("x")</script>.i2p`}, "dest": {d1}}, 400, "not a valid name"},
		{"path traversal", url.Values{"name": {"../../etc/passwd.i2p"}, "dest": {d1}}, 400, "not a valid name"},
		{"missing name", url.Values{"dest": {d1}}, 400, "not a valid name"},
		{"missing dest", url.Values{"name": {"x.i2p"}}, 400, "not a valid destination"},
		{"bad dest", url.Values{"name": {"x.i2p"}, "dest": {"<b>AAAA</b>"}}, 400, "not a valid destination"},
		{"huge", url.Values{"name": {strings.Repeat("a", 5000) + ".i2p"}, "dest": {d1}}, 400, "far too long"},
		{"bad book", url.Values{"name": {"x.i2p"}, "dest": {d1}, "book": {"router"}}, 400, "local or the private"},
		{"conflict", url.Values{"name": {"mine.i2p"}, "dest": {d2}}, 409, "another destination"},
	} {
		rec := postForm(h, "/addressbook/add", e.s.csrf, tt.v)
		body := rec.Body.String()
		if rec.Code != tt.code || !strings.Contains(body, tt.msg) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: %d, message %q missing", tt.name, rec.Code, tt.msg)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "<b>AAAA") {
			t.Errorf("%s: hostile value not escaped", tt.name)
		}
	}
	if body := postForm(h, "/addressbook/add", e.s.csrf, url.Values{"name": {`<script>x</script>.i2p`}, "dest": {d1}}).Body.String(); !strings.Contains(body, "&lt;script&gt;x&lt;/script&gt;.i2p") {
		t.Error("the refused name is not kept in the form")
	}
	if got := e.book.Search("", 0); len(got) != 1 {
		t.Errorf("book after the refused adds: %+v", got)
	}
	rec = postForm(h, "/addressbook/add", e.s.csrf, url.Values{"name": {"x.i2p"}, "dest": {strings.Repeat("A", maxAPIBody)}})
	if rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Errorf("body over the limit = %d", rec.Code)
	}

	// Fetch now, then the feed's result and the conflict... and search.
	rec = postForm(h, "/addressbook/fetch", e.s.csrf, url.Values{})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("fetch = %d", rec.Code)
	}
	e.s.bg.Wait()
	body = get(h, "127.0.0.1:7657", "/addressbook?q=feed").Body.String()
	if !strings.Contains(body, ">feedname.i2p</a>") || strings.Contains(body, ">mine.i2p</a>") || !strings.Contains(body, `<span class="state-ok">ok</span>`) {
		t.Errorf("search after fetch:\n%.3000s", body)
	}
	body = get(h, "127.0.0.1:7657", "/addressbook?book=local").Body.String()
	if !strings.Contains(body, ">mine.i2p</a>") || strings.Contains(body, ">feedname.i2p</a>") {
		t.Errorf("local book listing:\n%.3000s", body)
	}

	// Delete.
	rec = postForm(h, "/addressbook/delete", e.s.csrf, url.Values{"book": {"local"}, "name": {"mine.i2p"}})
	if rec.Code != http.StatusSeeOther {
		t.Errorf("delete = %d", rec.Code)
	}
	for _, v := range []url.Values{{"book": {"local"}, "name": {"mine.i2p"}}, {"book": {"published"}, "name": {"feedname.i2p"}}, {"book": {"../x"}, "name": {"a.i2p"}}} {
		if rec := postForm(h, "/addressbook/delete", e.s.csrf, v); rec.Code/100 != 4 || !strings.Contains(rec.Body.String(), `role="alert"`) {
			t.Errorf("delete %v = %d", v, rec.Code)
		}
	}

	// Subscriptions.
	rec = postForm(h, "/addressbook/subscriptions", e.s.csrf, url.Values{"urls": {"http://a.i2p/hosts.txt\r\n\r\nhttp://feed.i2p/hosts.txt\n"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("subscriptions = %d %s", rec.Code, rec.Body.String())
	}
	if got := e.book.Subscriptions(); len(got) != 2 || got[0] != "http://a.i2p/hosts.txt" {
		t.Errorf("subscriptions %q", got)
	}
	rec = postForm(h, "/addressbook/subscriptions", e.s.csrf, url.Values{"urls": {"javascript:alert(1)\nfile:///etc/passwd"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "not saved") || !strings.Contains(rec.Body.String(), "file:///etc/passwd") {
		t.Errorf("bad subscriptions = %d", rec.Code)
	}
	if got := e.book.Subscriptions(); len(got) != 2 {
		t.Errorf("subscriptions changed by a refused edit: %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.book.PublishedPath())); err != nil {
		t.Errorf("published book: %v", err)
	}
}

func TestNetworkStateReachability(t *testing.T) {
	st := router.Status{}
	st.Peers.SSU2, st.Tunnels.Exploratory, st.NetDB.Routers = 3, 4, 20
	for status, want := range map[string]string{"ok": "OK", "testing": "OK", "unknown": "OK", "firewalled": "Firewalled", "symmetric_nat": "Symmetric NAT"} {
		st.Network.Status = status
		if got, _, _ := networkState(st); got != want {
			t.Errorf("network.status %q: state %q, want %q", status, got, want)
		}
	}
	st.Network.Status, st.Network.Forced, st.Network.Introducers = "firewalled", true, 2
	if got, _, help := networkState(st); got != "Firewalled" || !strings.Contains(help, "router.firewalled") || !strings.Contains(help, "2 introducer") {
		t.Errorf("forced firewall: %q, %q", got, help)
	}
}
