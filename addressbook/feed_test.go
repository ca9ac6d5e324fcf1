package addressbook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// handlerTransport answers requests in memory with h.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

func feedResolver(t *testing.T, cfg Config, h http.Handler) *Resolver {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Subscriptions == nil {
		cfg.Subscriptions = []string{"http://feed.i2p/hosts.txt"}
	}
	r, err := New(cfg, &http.Client{Transport: handlerTransport{h}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(); err != nil {
		t.Fatal(err)
	}
	return r
}

func fetch(t *testing.T, r *Resolver) FeedStatus {
	t.Helper()
	if err := r.FetchNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	return r.Status()[0]
}

// TestETag uses a real httptest.Server: the first fetch gets the feed and
// its ETag, the second sends If-None-Match and gets 304, also after a
// restart (the validators are kept in the directory).
func TestETag(t *testing.T) {
	k := newKey(t)
	body := feedText(t, Entry{Name: "a.i2p", Dest: k.dest})
	var fetches, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fetches.Add(1)
		if req.Header.Get("If-None-Match") == `"v1"` && req.Header.Get("If-Modified-Since") == "Tue, 01 Dec 2026 00:00:00 GMT" {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Tue, 01 Dec 2026 00:00:00 GMT")
		w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := Config{Dir: dir, Subscriptions: []string{srv.URL + "/hosts.txt"}}
	r, err := New(cfg, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(); err != nil {
		t.Fatal(err)
	}
	st := fetch(t, r)
	if st.Result != ResultOK || st.HTTPStatus != 200 || st.Added != 1 || st.ETag != `"v1"` || st.LastSuccess.IsZero() {
		t.Fatalf("first fetch %+v", st)
	}
	st = fetch(t, r)
	if st.Result != ResultNotModified || st.HTTPStatus != 304 || st.Added != 0 || st.ETag != `"v1"` {
		t.Fatalf("second fetch %+v", st)
	}
	r2, _ := New(cfg, srv.Client(), nil)
	if err := r2.Load(); err != nil {
		t.Fatal(err)
	}
	if st := fetch(t, r2); st.Result != ResultNotModified {
		t.Fatalf("after restart %+v", st)
	}
	if fetches.Load() != 3 || notModified.Load() != 2 {
		t.Errorf("%d fetches, %d not modified", fetches.Load(), notModified.Load())
	}
	if d, err := r2.Resolve(t.Context(), "a.i2p"); err != nil || d != k.dest {
		t.Errorf("a.i2p after restart: %v", err)
	}
}

func TestFeedFirstComeAcrossFeeds(t *testing.T) {
	a, b := newKey(t), newKey(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Host {
		case "first.i2p":
			w.Write(feedText(t, Entry{Name: "x.i2p", Dest: a.dest}))
		default:
			w.Write(feedText(t, Entry{Name: "x.i2p", Dest: b.dest}, Entry{Name: "y.i2p", Dest: b.dest}))
		}
	})
	r := feedResolver(t, Config{Subscriptions: []string{"http://first.i2p/h.txt", "http://second.i2p/h.txt"}}, h)
	if err := r.FetchNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := r.Status()
	if st[0].Added != 1 || st[1].Added != 1 || st[1].Conflicts != 1 {
		t.Errorf("status %+v", st)
	}
	if d, _ := r.Resolve(t.Context(), "x.i2p"); d != a.dest {
		t.Error("second feed overrode the first")
	}
}

func TestFeedHuge(t *testing.T) {
	k := newKey(t)
	for _, withLength := range []bool{true, false} {
		big := strings.Repeat("# padding padding padding\n", 100) + "a.i2p=" + k.dest + "\n"
		h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if withLength {
				w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			}
			w.Header().Set("ETag", `"big"`)
			io.WriteString(w, big)
		})
		r := feedResolver(t, Config{MaxFeedSize: 1024}, h)
		st := fetch(t, r)
		if st.Result != ResultFailed || !strings.Contains(st.Err, "too large") || st.ETag != "" || st.Added != 0 {
			t.Errorf("length %v: %+v", withLength, st)
		}
		if _, err := r.Resolve(t.Context(), "a.i2p"); !errors.Is(err, ErrUnknownName) {
			t.Error("part of a huge feed applied")
		}
	}
}

// blockingBody sends some bytes, then blocks until the request is done.
type blockingBody struct {
	ctx  context.Context
	sent bool
}

func (b *blockingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "a.i2p="), nil
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func (b *blockingBody) Close() error { return nil }

type slowTransport struct{ bodyOnly bool }

func (s slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !s.bodyOnly {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: &blockingBody{ctx: req.Context()}, ContentLength: -1, Request: req}, nil
}

func TestFeedSlow(t *testing.T) {
	for _, bodyOnly := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			cfg := Config{Dir: t.TempDir(), Subscriptions: []string{"http://slow.i2p/hosts.txt"}, FetchTimeout: time.Minute}
			r, err := New(cfg, &http.Client{Transport: slowTransport{bodyOnly}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := r.FetchNow(t.Context()); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took != time.Minute {
				t.Errorf("fetch took %v, want the FetchTimeout", took)
			}
			st := r.Status()[0]
			if st.Result != ResultFailed || !strings.Contains(st.Err, "deadline") {
				t.Errorf("body only %v: %+v", bodyOnly, st)
			}
		})
	}
}

func TestFeedNotHostsTxt(t *testing.T) {
	k := newKey(t)
	writeRouter := func(t *testing.T, dir string) {
		writeBook(t, dir, Router, Entry{Name: "keep.i2p", Dest: k.dest})
	}
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"html":   {200, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Error</title></head>\n<body>Not here</body></html>\n"},
		"binary": {200, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"},
		"404":    {404, "not found"},
		"500":    {500, ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeRouter(t, dir)
			r := feedResolver(t, Config{Dir: dir}, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("ETag", `"x"`)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			st := fetch(t, r)
			if st.Result != ResultFailed || st.HTTPStatus != tc.status || st.ETag != "" || st.LastSuccess != (time.Time{}) {
				t.Errorf("%+v", st)
			}
			if tc.status == 200 && !strings.Contains(st.Err, "not a hosts.txt") {
				t.Errorf("err %q", st.Err)
			}
			if d, _ := r.Resolve(t.Context(), "keep.i2p"); d != k.dest {
				t.Error("router book changed")
			}
		})
	}
}

func TestFeedInvalidEntries(t *testing.T) {
	good1, good2, other := newKey(t), newKey(t), newKey(t)
	forged := signed("forged.i2p", other, nil, nil)
	forged.Dest = good1.dest
	lines := []string{
		"# a feed with junk",
		"good.i2p=" + good1.dest,
		"BAD_NAME.i2p=" + good1.dest,
		"x.b32.i2p=" + good1.dest,
		"proxy.i2p=" + good1.dest,
		strings.Repeat("a", 64) + ".i2p=" + good1.dest,
		"notld=" + good1.dest,
		"shortdest.i2p=AAAA",
		"baddest.i2p=" + strings.Repeat("A", 520), // NULL-cert destination + 3 trailing bytes
		"badchars.i2p=" + strings.Repeat("*", 520),
		"no equals here",
		"dup.i2p=" + good1.dest + "#!sig=a#sig=b",
		forged.String(),
		"#!action=remove#name=good.i2p#dest=" + good1.dest + "#sig=AAAA",
		"good2.i2p=" + good2.dest,
	}
	body := strings.Join(lines, "\n") + "\n"
	dir := t.TempDir()
	r := feedResolver(t, Config{Dir: dir}, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, body)
	}))
	st := fetch(t, r)
	if st.Result != ResultOK || st.Added != 2 || st.Invalid != 12 {
		t.Errorf("status %+v", st)
	}
	got := r.List(Router)
	if len(got) != 2 || got[0].Name != "good.i2p" || got[1].Name != "good2.i2p" {
		t.Errorf("router book %+v", got)
	}
	// The file on disk holds exactly the two good names.
	raw, err := os.ReadFile(filepath.Join(dir, Router.File()))
	if err != nil {
		t.Fatal(err)
	}
	entries, bad := ParseFile(raw)
	if bad != 0 || len(entries) != 2 {
		t.Errorf("router file: %d entries, %d bad:\n%.200s", len(entries), bad, raw)
	}
}

func TestFetchNowNoClient(t *testing.T) {
	r := newTestResolver(t, Config{Subscriptions: []string{"http://a.i2p/"}})
	if err := r.FetchNow(t.Context()); !errors.Is(err, ErrNoClient) {
		t.Errorf("err %v", err)
	}
}

// TestRun checks the schedule on a fake clock: the first round after the
// start delay, then one per Interval, a failed feed again after an hour.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newKey(t)
		var okFetches, badFetches atomic.Int32
		h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Host == "bad.i2p" {
				badFetches.Add(1)
				w.WriteHeader(503)
				return
			}
			okFetches.Add(1)
			w.Write(feedText(t, Entry{Name: "a.i2p", Dest: k.dest}))
		})
		cfg := Config{Dir: t.TempDir(), Interval: 6 * time.Hour,
			Subscriptions: []string{"http://ok.i2p/hosts.txt", "http://bad.i2p/hosts.txt"}}
		r, err := New(cfg, &http.Client{Transport: handlerTransport{h}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()

		time.Sleep(startDelay - time.Second)
		synctest.Wait()
		if okFetches.Load() != 0 {
			t.Fatal("fetched before the start delay")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if okFetches.Load() != 1 || badFetches.Load() != 1 {
			t.Fatalf("after start: %d ok, %d bad", okFetches.Load(), badFetches.Load())
		}
		if _, err := r.Resolve(ctx, "a.i2p"); err != nil {
			t.Error(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if okFetches.Load() != 1 || badFetches.Load() != 2 {
			t.Fatalf("after 1h: %d ok, %d bad", okFetches.Load(), badFetches.Load())
		}
		time.Sleep(5 * time.Hour)
		synctest.Wait()
		if okFetches.Load() != 2 {
			t.Fatalf("after 6h: %d ok", okFetches.Load())
		}
		if st := r.Status(); st[0].Result != ResultOK || st[0].Skipped != 1 || st[1].HTTPStatus != 503 {
			t.Errorf("status %+v", st)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	})
}

// Lookups and adds go on while a fetch round applies a feed (run with
// -race).
func TestConcurrentUse(t *testing.T) {
	keys := []testKey{newKey(t), newKey(t), newKey(t)}
	var entries []Entry
	for i := range 200 {
		entries = append(entries, Entry{Name: "n" + strconv.Itoa(i) + ".i2p", Dest: keys[i%3].dest})
	}
	body := feedText(t, entries...)
	r := feedResolver(t, Config{}, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { w.Write(body) }))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			r.Resolve(t.Context(), "n"+strconv.Itoa(i)+".i2p")
			r.Add("local"+strconv.Itoa(i%20)+".i2p", keys[0].dest)
			r.Status()
			r.List(Published)
		}
	}()
	for range 3 {
		if err := r.FetchNow(t.Context()); err != nil {
			t.Error(err)
		}
	}
	<-done
	if st := r.Status()[0]; st.Result != ResultOK {
		t.Errorf("%+v", st)
	}
	if got := len(r.List(Router)); got != 200 {
		t.Errorf("router book has %d names", got)
	}
}
