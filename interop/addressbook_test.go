//go:build interop

package interop

import (
	"bytes"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/addressbook"
	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/sam"
)

// feedSite is the web server behind an i2pd server tunnel: /hosts.txt is
// the subscription feed (with an ETag, so a refetch gets 304), any other
// path a page that names the site.
type feedSite struct {
	port       int
	feed       atomic.Pointer[[]byte]
	full, n304 atomic.Int32
}

func newFeedSite(t *testing.T) *feedSite {
	t.Helper()
	s := &feedSite{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mod := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hosts.txt" {
			fmt.Fprintln(w, "hello from the feed site")
			return
		}
		body := *s.feed.Load()
		w.Header().Set("ETag", fmt.Sprintf(`"%x"`, sha256.Sum256(body)))
		w.Header().Set("Content-Type", "text/plain")
		rec := &statusRecorder{ResponseWriter: w}
		http.ServeContent(rec, r, "hosts.txt", mod, bytes.NewReader(body))
		switch rec.code {
		case http.StatusNotModified:
			s.n304.Add(1)
		case http.StatusOK, 0:
			s.full.Add(1)
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.port = ln.Addr().(*net.TCPAddr).Port
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

// apiCall sends a state-changing console request with the CSRF token.
func (n *node) apiCall(method, path string, body any, v any) (int, error) {
	var tok struct{ Token string }
	if err := n.getJSON("/api/csrf", &tok); err != nil {
		return 0, err
	}
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, "http://"+n.console+path, rd)
	req.Header.Set("X-CSRF-Token", tok.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode < 300 && resp.StatusCode != http.StatusNoContent {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode, nil
}

type feedStatus struct {
	URL           string    `json:"url"`
	Result        string    `json:"result"`
	Error         string    `json:"error"`
	HTTPStatus    int       `json:"http_status"`
	LastFetch     time.Time `json:"last_fetch"`
	Added         int       `json:"added"`
	Invalid       int       `json:"invalid"`
	Conflicts     int       `json:"conflicts"`
	ConflictNames []string  `json:"conflict_names"`
	Refused       []string  `json:"refused"`
}

// fetchFeeds asks the node to fetch its feeds now and waits for a result
// newer than the last one; a failed fetch (tunnels or LeaseSets not up
// yet) is retried until within passes.
func fetchFeeds(t *testing.T, n *node, within time.Duration) feedStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	var last feedStatus
	for time.Now().Before(deadline) {
		var before struct{ Subscriptions []feedStatus }
		if err := n.getJSON("/api/addressbook/subscriptions", &before); err != nil {
			t.Fatal(err)
		}
		if code, err := n.apiCall("POST", "/api/addressbook/fetch", nil, nil); err != nil || code != http.StatusAccepted {
			t.Fatalf("POST /api/addressbook/fetch: %d %v", code, err)
		}
		for time.Now().Before(deadline) {
			var st struct {
				Subscriptions []feedStatus
				Fetching      bool
			}
			if err := n.getJSON("/api/addressbook/subscriptions", &st); err != nil {
				t.Fatal(err)
			}
			last = st.Subscriptions[0]
			if !st.Fetching && last.LastFetch.After(before.Subscriptions[0].LastFetch) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if last.Result == "ok" || last.Result == "not modified" {
			return last
		}
		t.Logf("feed fetch: %s (%s); again", last.Result, last.Error)
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("no successful feed fetch within %v; last %+v", within, last)
	return last
}

// signEntry signs e as subscription.rst says, with the Ed25519 key.
func signEntry(e addressbook.Entry, key ed25519.PrivateKey) addressbook.Entry {
	e.Props[addressbook.KeySig] = data.Base64Encode(ed25519.Sign(key, e.SignedBytes()))
	return e
}

// TestAddressBook is issue 9's acceptance against i2pd: an i2pd server
// tunnel on r3 serves a hosts.txt with plain and signed entries for its
// own destination, plus a tampered signed entry and a name the user already
// has with another destination. i2pgo, subscribed to it, fetches it
// through its own HTTP proxy; the names then open the site through that
// proxy; a refetch is answered 304; the tampered entry is refused and
// logged; the user's name is kept and the conflict is in the fetch status.
// Then the address-helper flow saves a new name, which resolves.
func TestAddressBook(t *testing.T) {
	site := newFeedSite(t)
	empty := []byte("# not yet\n")
	site.feed.Store(&empty)
	b32, err := i2pdServer(3, "abfeed", site.port, "http")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(netDir, "r3", "abfeed.dat"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sam.ParsePrivateKeys(raw)
	if err != nil {
		t.Fatalf("i2pd's keys file: %v", err)
	}
	if keys.Destination.SigType() != crypto.SigEd25519 {
		t.Fatalf("i2pd server keys of signature type %v, want Ed25519", keys.Destination.SigType())
	}
	siteDest := keys.Destination.Base64()
	sigKey := ed25519.NewKeyFromSeed(keys.SigningKey)
	other, err := sam.GenerateKeys(sam.SigEd25519, 0, cryptorand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherDest := other.Destination.Base64()

	now := fmt.Sprint(time.Now().Unix())
	signedAdd := signEntry(addressbook.Entry{Name: "signedsite.i2p", Dest: siteDest, Props: map[string]string{addressbook.KeyDate: now}}, sigKey)
	tampered := signEntry(addressbook.Entry{Name: "honest.i2p", Dest: siteDest, Props: map[string]string{addressbook.KeyDate: now}}, sigKey)
	tampered.Name = "tampered.i2p" // the signature was made for honest.i2p
	feed, err := addressbook.AppendFile([]byte("# test-net feed\n"), []addressbook.Entry{
		{Name: "feedsite.i2p", Dest: siteDest},
		signedAdd,
		tampered,
		{Name: "conflict.i2p", Dest: siteDest},
	})
	if err != nil {
		t.Fatal(err)
	}
	feed = append(feed, "Bad Name.i2p="+siteDest+"\nshort.i2p=AAAA\n"...)
	site.feed.Store(&feed)

	httpPort := freePort(t)
	proxy := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: fmt.Sprintf(`tunnels:
  - name: http
    type: httpclient
    listen: 127.0.0.1:%d
    inbound:
      length: 1
    outbound:
      length: 1
addressbook:
  subscriptions:
    - http://%s/hosts.txt
  proxy: 127.0.0.1:%d
`, httpPort, b32, httpPort)})
	waitTunnels(t, n, 3*time.Minute)

	// The user's own name, before the feed brings another destination.
	if code, err := n.apiCall("POST", "/api/addressbook", map[string]string{"name": "conflict.i2p", "dest": otherDest}, nil); err != nil || code != http.StatusCreated {
		t.Fatalf("add conflict.i2p: %d %v", code, err)
	}

	start := time.Now()
	st := fetchFeeds(t, n, 6*time.Minute)
	t.Logf("first fetch through our HTTP proxy, %.1f s after the tunnels were up: %+v", time.Since(start).Seconds(), st)
	if st.Result != "ok" || st.HTTPStatus != 200 || st.Added != 2 {
		t.Errorf("first fetch: %+v; want ok, 200, 2 names added", st)
	}
	if st.Invalid != 3 || !strings.Contains(strings.Join(st.Refused, "\n"), "tampered.i2p: sig") {
		t.Errorf("refused %d lines %q; want 3 with tampered.i2p's signature", st.Invalid, st.Refused)
	}
	if st.Conflicts != 1 || len(st.ConflictNames) != 1 || st.ConflictNames[0] != "conflict.i2p (kept from the local book)" {
		t.Errorf("conflicts %d %q", st.Conflicts, st.ConflictNames)
	}
	if !strings.Contains(n.logString(), "feed entry refused: bad signature") || !strings.Contains(n.logString(), "tampered.i2p") {
		t.Error("the tampered entry is not in the log")
	}
	var search struct {
		Entries []struct{ Name, B32, Dest, Book string }
	}
	if err := n.getJSON("/api/addressbook?q=conflict.i2p", &search); err != nil || len(search.Entries) != 1 || search.Entries[0].Dest != otherDest {
		t.Errorf("conflict.i2p after the fetch: %+v %v (want the user's destination)", search, err)
	}
	if err := n.getJSON("/api/addressbook?q=tampered", &search); err != nil || len(search.Entries) != 0 {
		t.Errorf("tampered.i2p is in the book: %+v %v", search, err)
	}

	// The names open the site, through our HTTP proxy.
	for _, name := range []string{"signedsite.i2p", "feedsite.i2p"} {
		curlUntil(t, 3*time.Minute, "curl -x our proxy http://"+name+"/", "hello from the feed site", "-x", proxy, "http://"+name+"/")
	}

	// The second fetch is a 304.
	st = fetchFeeds(t, n, 3*time.Minute)
	if st.Result != "not modified" || st.HTTPStatus != 304 || site.n304.Load() != 1 || site.full.Load() != 1 {
		t.Errorf("second fetch: %+v; the site answered %d full, %d not modified", st, site.full.Load(), site.n304.Load())
	}

	// Address helper: the confirmation form, "Save", then the name resolves.
	pu, _ := url.Parse(proxy)
	c := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://helped.i2p/?i2paddresshelper=" + url.QueryEscape(siteDest))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("address helper page: %s\n%s", resp.Status, page)
	}
	form := url.Values{"action": {"save"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`).FindAllSubmatch(page, -1) {
		form.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	if form.Get("token") == "" || form.Get("dest") != siteDest {
		t.Fatalf("address helper form fields %v", form)
	}
	resp, err = c.PostForm("http://proxy.i2p/add", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 {
		t.Fatalf("saving the helper name: %s", resp.Status)
	}
	if err := n.getJSON("/api/addressbook?book=local&q=helped", &search); err != nil || len(search.Entries) != 1 || search.Entries[0].Dest != siteDest {
		t.Fatalf("helped.i2p not in the local book: %+v %v", search, err)
	}
	curlUntil(t, 2*time.Minute, "curl -x our proxy http://helped.i2p/", "hello from the feed site", "-x", proxy, "http://helped.i2p/")
}
