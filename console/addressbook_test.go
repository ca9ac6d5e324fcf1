package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/addressbook"
)

// testDest returns a base64 destination with an Ed25519 key certificate,
// its key bytes drawn from seed.
func testDest(t *testing.T, seed uint64) string {
	t.Helper()
	b := make([]byte, 384, 391)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b = append(b, 5, 0, 4, 0, 7, 0, 0)
	d := strings.NewReplacer("+", "-", "/", "~").Replace(base64.StdEncoding.EncodeToString(b)) // I2P's alphabet
	if _, err := addressbook.ParseDest(d); err != nil {
		t.Fatal(err)
	}
	return d
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type bookEnv struct {
	t       *testing.T
	s       *Server
	book    *addressbook.Resolver
	fetches atomic.Int32
}

func newBookEnv(t *testing.T, feed func() []byte) *bookEnv {
	t.Helper()
	e := &bookEnv{t: t}
	client := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		e.fetches.Add(1)
		rec := httptest.NewRecorder()
		rec.Write(feed())
		resp := rec.Result()
		resp.Request = req
		return resp, nil
	})}
	dir := t.TempDir()
	// An empty router book, not the shipped defaults.
	if err := os.WriteFile(filepath.Join(dir, addressbook.Router.File()), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	book, err := addressbook.New(addressbook.Config{Dir: dir, Subscriptions: []string{"http://feed.i2p/hosts.txt"}}, client, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := book.Load(); err != nil {
		t.Fatal(err)
	}
	e.book = book
	e.s, err = New(Config{}, Deps{Status: testStatus, AddressBook: book})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// do runs one request; token "" sends none, "ok" the right one.
func (e *bookEnv) do(method, path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Host = "127.0.0.1:7657"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch token {
	case "":
	case "ok":
		req.Header.Set(CSRFHeader, e.s.csrf)
	default:
		req.Header.Set(CSRFHeader, token)
	}
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: not JSON: %q", method, path, rec.Body.String())
		}
	}
	return rec.Code, out
}

func TestAPIAddressBook(t *testing.T) {
	d1, d2 := testDest(t, 1), testDest(t, 2)
	e := newBookEnv(t, func() []byte { return []byte("feedname.i2p=" + d2 + "\nmine.i2p=" + d2 + "\n") })

	// The token from /api/csrf is the one mutations need.
	code, out := e.do("GET", "/api/csrf", "", nil)
	if code != 200 || out["token"] != e.s.csrf || len(e.s.csrf) < 40 {
		t.Fatalf("GET /api/csrf = %d %v", code, out)
	}
	add := map[string]string{"name": "Mine.i2p", "dest": d1}
	for _, tok := range []string{"", "wrong"} {
		if code, _ := e.do("POST", "/api/addressbook", tok, add); code != http.StatusForbidden {
			t.Errorf("add with token %q = %d", tok, code)
		}
	}
	code, out = e.do("POST", "/api/addressbook", "ok", add)
	if code != http.StatusCreated {
		t.Fatalf("add = %d %v", code, out)
	}
	ents := out["entries"].([]any)
	if len(ents) != 1 || ents[0].(map[string]any)["name"] != "mine.i2p" || ents[0].(map[string]any)["book"] != "local" ||
		!strings.HasSuffix(ents[0].(map[string]any)["b32"].(string), ".b32.i2p") {
		t.Errorf("added %v", out)
	}
	// Same again: no-op; another destination: conflict; bad input: 400.
	if code, _ := e.do("POST", "/api/addressbook", "ok", add); code != http.StatusCreated {
		t.Errorf("re-add = %d", code)
	}
	if code, _ := e.do("POST", "/api/addressbook", "ok", map[string]string{"name": "mine.i2p", "dest": d2}); code != http.StatusConflict {
		t.Errorf("conflicting add = %d", code)
	}
	for _, bad := range []any{
		map[string]string{"name": "no dots", "dest": d1},
		map[string]string{"name": "x.i2p", "dest": "AAAA"},
		map[string]string{"name": "x.i2p", "dest": d1, "book": "router"},
		map[string]string{"name": "x.i2p", "dest": d1, "extra": "field"},
	} {
		if code, out := e.do("POST", "/api/addressbook", "ok", bad); code != http.StatusBadRequest || out["error"] == "" {
			t.Errorf("add %v = %d %v", bad, code, out)
		}
	}
	if code, _ := e.do("POST", "/api/addressbook", "ok", strings.Repeat("x", maxAPIBody)); code != http.StatusBadRequest {
		t.Errorf("huge body = %d", code)
	}

	// Fetch now: 202, then the status shows the result and the conflict.
	if code, out := e.do("POST", "/api/addressbook/fetch", "ok", nil); code != http.StatusAccepted || out["started"] != true {
		t.Fatalf("fetch = %d %v", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	var feed map[string]any
	for {
		_, out = e.do("GET", "/api/addressbook/subscriptions", "", nil)
		feed = out["subscriptions"].([]any)[0].(map[string]any)
		if feed["result"] != "" && out["fetching"] == false {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fetch did not finish: %v", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if feed["result"] != "ok" || feed["added"] != 1.0 || feed["conflicts"] != 1.0 ||
		feed["conflict_names"].([]any)[0] != "mine.i2p (kept from the local book)" {
		t.Errorf("feed status %v", feed)
	}

	// Search and book listings.
	_, out = e.do("GET", "/api/addressbook?q=NAME", "", nil)
	if ents := out["entries"].([]any); len(ents) != 1 || ents[0].(map[string]any)["name"] != "feedname.i2p" || ents[0].(map[string]any)["book"] != "router" {
		t.Errorf("search: %v", out)
	}
	_, out = e.do("GET", "/api/addressbook?book=local", "", nil)
	if ents := out["entries"].([]any); len(ents) != 1 || ents[0].(map[string]any)["dest"] != d1 {
		t.Errorf("local book: %v", out)
	}
	for _, q := range []string{"?book=nope", "?limit=0", "?limit=x"} {
		if code, _ := e.do("GET", "/api/addressbook"+q, "", nil); code != http.StatusBadRequest {
			t.Errorf("GET %s = %d", q, code)
		}
	}

	// Delete.
	if code, _ := e.do("DELETE", "/api/addressbook/local/mine.i2p", "", nil); code != http.StatusForbidden {
		t.Errorf("delete without token = %d", code)
	}
	if code, _ := e.do("DELETE", "/api/addressbook/local/mine.i2p", "ok", nil); code != http.StatusNoContent {
		t.Errorf("delete = %d", code)
	}
	if code, _ := e.do("DELETE", "/api/addressbook/local/mine.i2p", "ok", nil); code != http.StatusNotFound {
		t.Errorf("delete again = %d", code)
	}
	if code, _ := e.do("DELETE", "/api/addressbook/published/feedname.i2p", "ok", nil); code != http.StatusBadRequest {
		t.Errorf("delete from published = %d", code)
	}

	// Subscriptions: edit, refused edit.
	code, out = e.do("PUT", "/api/addressbook/subscriptions", "ok", map[string][]string{"urls": {"http://a.i2p/hosts.txt", "http://feed.i2p/hosts.txt"}})
	if code != 200 || len(out["subscriptions"].([]any)) != 2 || out["subscriptions"].([]any)[1].(map[string]any)["result"] != "ok" {
		t.Errorf("set subscriptions = %d %v", code, out)
	}
	if code, _ := e.do("PUT", "/api/addressbook/subscriptions", "ok", map[string][]string{"urls": {"file:///etc/passwd"}}); code != http.StatusBadRequest {
		t.Errorf("bad subscription = %d", code)
	}
	if got := e.book.Subscriptions(); len(got) != 2 {
		t.Errorf("subscriptions now %q", got)
	}
}

func TestCSRFOrigin(t *testing.T) {
	e := newBookEnv(t, func() []byte { return nil })
	for origin, want := range map[string]int{
		"http://127.0.0.1:7657": http.StatusAccepted,
		"http://localhost:7657": http.StatusAccepted,
		"http://evil.example":   http.StatusForbidden,
		"null":                  http.StatusForbidden,
	} {
		req := httptest.NewRequest("POST", "/api/addressbook/fetch", nil)
		req.Host = "127.0.0.1:7657"
		req.Header.Set("Origin", origin)
		req.Header.Set(CSRFHeader, e.s.csrf)
		rec := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Origin %s: %d, want %d", origin, rec.Code, want)
		}
	}
	e.s.bg.Wait()
}

// TestNoAddressBook: without Deps.AddressBook the routes are absent.
func TestNoAddressBook(t *testing.T) {
	s := newServer(t, Config{})
	if rec := get(s.Handler(), "127.0.0.1:7657", "/api/addressbook"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /api/addressbook = %d", rec.Code)
	}
}
