package console

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

type fakeSettings struct {
	cur   RouterSettings
	saves int
	fail  error
}

func (f *fakeSettings) Current() RouterSettings { return f.cur }
func (f *fakeSettings) Path() string            { return "/home/u/.i2pgo/i2pgo.yaml" }
func (f *fakeSettings) Save(s RouterSettings) error {
	if f.fail != nil {
		return f.fail
	}
	f.saves++
	f.cur = s
	return nil
}

func TestConfigPage(t *testing.T) {
	fs := &fakeSettings{cur: RouterSettings{Bandwidth: 2048, ReseedURLs: []string{"https://reseed.example/"}}}
	s, err := New(Config{}, Deps{Status: testStatus, Settings: fs, Shutdown: func(bool) {}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	body := get(h, "127.0.0.1:7657", "/config").Body.String()
	for _, want := range []string{`value="2048"`, "https://reseed.example/", "/home/u/.i2pgo/i2pgo.yaml", `name="csrf"`, `action="/restart"`} {
		if !strings.Contains(body, want) {
			t.Errorf("config page lacks %q", want)
		}
	}
	good := url.Values{"bandwidth": {"512"}, "port": {"23456"}, "host": {"203.0.113.5"}, "floodfill": {"1"}, "reseed": {"https://a.example/\r\n\r\nhttps://b.example/\n"}}
	if rec := postForm(h, "/config", "", good); rec.Code != 403 || fs.saves != 0 {
		t.Errorf("without token: %d, %d saves", rec.Code, fs.saves)
	}
	rec := postForm(h, "/config", s.csrf, good)
	if rec.Code != http.StatusSeeOther || fs.saves != 1 || fs.cur.Bandwidth != 512 || fs.cur.Port != 23456 || !fs.cur.Floodfill ||
		len(fs.cur.ReseedURLs) != 2 || fs.cur.Host != "203.0.113.5" {
		t.Fatalf("save: %d %+v", rec.Code, fs.cur)
	}
	if body := get(h, "127.0.0.1:7657", "/config?done=saved").Body.String(); !strings.Contains(body, "apply when the router restarts") {
		t.Error("no saved message")
	}
	for _, tc := range []struct {
		name string
		v    url.Values
		msg  string
	}{
		{"missing bandwidth", url.Values{"port": {"0"}}, "A whole number."},
		{"negative bandwidth", url.Values{"bandwidth": {"-5"}, "port": {"0"}}, "KB/s from 1"},
		{"port", url.Values{"bandwidth": {"5"}, "port": {"99999"}}, "A port from 1024"},
		{"html host", url.Values{"bandwidth": {"5"}, "port": {"0"}, "host": {"<script>alert(1)</script>"}}, "An IPv4 address"},
		{"ipv6 host", url.Values{"bandwidth": {"5"}, "port": {"0"}, "host": {"::1"}}, "An IPv4 address"},
		{"reseed", url.Values{"bandwidth": {"5"}, "port": {"0"}, "reseed": {"http://plain.example/\n../../etc/passwd"}}, "https:// URL"},
		{"huge", url.Values{"bandwidth": {strings.Repeat("9", 5000)}, "port": {"0"}}, "A whole number."},
	} {
		rec := postForm(h, "/config", s.csrf, tc.v)
		b := rec.Body.String()
		if rec.Code != 400 || !strings.Contains(b, tc.msg) || !strings.Contains(b, `role="alert"`) || strings.Contains(b, "<script>") {
			t.Errorf("%s: %d, want 400 with %q", tc.name, rec.Code, tc.msg)
		}
	}
	if fs.saves != 1 {
		t.Errorf("%d saves after the refused forms", fs.saves)
	}
	fs.fail = errors.New("configs: disk full")
	if rec := postForm(h, "/config", s.csrf, good); rec.Code != 500 || !strings.Contains(rec.Body.String(), "disk full") {
		t.Errorf("failed save: %d", rec.Code)
	}
	fs.fail = nil

	// The API.
	if rec := get(h, "127.0.0.1:7657", "/api/config"); !strings.Contains(rec.Body.String(), `"bandwidth":512`) {
		t.Errorf("GET /api/config: %s", rec.Body.String())
	}
	put := func(body string) int {
		req := httptest.NewRequest("PUT", "/api/config", bytes.NewReader([]byte(body)))
		req.Host = "127.0.0.1:7657"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(CSRFHeader, s.csrf)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if c := put(`{"bandwidth":100,"port":0,"reseed_urls":[]}`); c != 200 || fs.cur.Bandwidth != 100 {
		t.Errorf("PUT = %d", c)
	}
	if c := put(`{"bandwidth":0}`); c != 400 {
		t.Errorf("PUT bandwidth 0 = %d", c)
	}
	if c := put(`{"bandwidth":10,"nope":1}`); c != 400 {
		t.Errorf("PUT unknown field = %d", c)
	}
}

func TestDashboardOutboundOnly(t *testing.T) {
	fs := &fakeSettings{cur: RouterSettings{Bandwidth: 2048}}
	s, err := New(Config{}, Deps{Status: testStatus, Settings: fs})
	if err != nil {
		t.Fatal(err)
	}
	if body := get(s.Handler(), "127.0.0.1:7657", "/").Body.String(); !strings.Contains(body, "OK, outbound only") || !strings.Contains(body, "Config page") {
		t.Error("no outbound-only state without router.host")
	}
	fs.cur.Host = "203.0.113.5"
	if body := get(s.Handler(), "127.0.0.1:7657", "/").Body.String(); strings.Contains(body, "outbound only") {
		t.Error("outbound-only state with router.host set")
	}
}
