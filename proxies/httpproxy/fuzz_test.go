package httpproxy

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzRequest runs the request parser and the header filter on arbitrary
// input: no panics, and what the filter sends toward I2P parses again with
// the same method, an origin-form target and no identifying headers.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		"GET http://example.i2p/a?b HTTP/1.1\r\nHost: example.i2p\r\n" + curlHeaders + "\r\n",
		"POST /x HTTP/1.1\r\nHost: a.i2p\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"CONNECT a.b32.i2p:443 HTTP/1.1\r\n\r\n",
		"GET http://u:p@h.i2p/#f HTTP/1.0\r\nContent-Length: 5\r\nReferer: http://h.i2p/r\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\nHost: x\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		start, fs, err := readHead(bufio.NewReaderSize(bytes.NewReader(in), 64), 4096, 60)
		if err != nil {
			return
		}
		r, fl := parseRequest(start, fs)
		if fl != nil {
			return
		}
		pq := r.url.RequestURI()
		out := filterRequest(r, upstream{hostHeader: "x.b32.i2p"}, DefaultUserAgent, pq)
		start2, fs2, err := readHead(bufio.NewReader(bytes.NewReader(out)), 1<<20, 1000)
		if err != nil {
			t.Fatalf("filtered head does not parse: %v\n%q", err, out)
		}
		r2, fl := parseRequest(start2, fs2)
		if fl != nil {
			t.Fatalf("filtered head rejected: %s %d\n%q", fl.detail, fl.page, out)
		}
		if r2.method != r.method || r2.body != r.body || r2.length != r.length || r2.keepAlive {
			t.Fatalf("changed: %+v -> %+v", r, r2)
		}
		if !r.connect && r2.target != pq {
			t.Fatalf("target %q, want %q", r2.target, pq)
		}
		for _, f := range fs2 {
			switch n := toLower(f.name); {
			case identifying[n], n == "via", n == "from", n == "proxy-authorization", n == "accept-language":
				t.Fatalf("%s kept", f.name)
			}
		}
	})
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
