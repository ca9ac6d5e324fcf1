package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEepsitePublishedBook: the built-in eepsite serves the docroot, and
// the published book as /hosts.txt when asked to, with Last-Modified so
// that a subscriber's refetch is a 304.
func TestEepsitePublishedBook(t *testing.T) {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "published.txt")
	site, err := listenEepsite("127.0.0.1:0", dir, hosts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- site.run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + site.ln.Addr().String()
	get := func(path string, h http.Header) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("/", nil); resp.StatusCode != 200 || !strings.Contains(body, "My eepsite") {
		t.Errorf("start page: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get("/hosts.txt", nil); resp.StatusCode != 404 {
		t.Errorf("hosts.txt before the book exists: %d", resp.StatusCode)
	}
	if err := os.WriteFile(hosts, []byte("a.i2p=AAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, body := get("/hosts.txt", nil)
	if resp.StatusCode != 200 || body != "a.i2p=AAAA\n" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("hosts.txt: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, _ := get("/hosts.txt", http.Header{"If-Modified-Since": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}); resp.StatusCode != 304 {
		t.Errorf("refetch: %d, want 304", resp.StatusCode)
	}
	// Without publishing, /hosts.txt is only what the docroot has.
	site2, err := listenEepsite("127.0.0.1:0", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer site2.ln.Close()
	rec := httptest.NewRecorder()
	site2.srv.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/hosts.txt", nil))
	if rec.Code != 404 {
		t.Errorf("unpublished /hosts.txt: %d", rec.Code)
	}
}
