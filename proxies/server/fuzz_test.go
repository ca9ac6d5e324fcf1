package server

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

// FuzzFilterHead: whatever the client sends, a head that passes the
// filter parses again, carries exactly the real peer's X-I2P fields, one
// Host (the configured one), no hop-by-hop field and "Connection: close",
// and filtering it again changes nothing but is stable.
func FuzzFilterHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET http://x.i2p/p HTTP/1.1\r\nHost: a\r\nX-I2P-DestB32: s\r\nConnection: x-i2p-destb32, te\r\nTE: trailers\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.0\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc",
		"\r\nGET / HTTP/1.1\nHost: a\nx-i2p-desthash: q\n\n",
	} {
		f.Add([]byte(s))
	}
	lim := headLimits{maxRequestLine: 512, maxHeaderBytes: 2048, maxHeaders: 20}
	p := peer{hash: peerHash, b64: peerB64, b32: peerB32}
	cfg := filterConfig{hostname: "site.i2p"}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := readHead(bufio.NewReader(bytes.NewReader(in)), lim)
		if err != nil {
			return
		}
		out, _, serr := h.filter(p, cfg)
		if serr != nil {
			return
		}
		h2, err := readHead(bufio.NewReader(bytes.NewReader(out)), headLimits{1 << 16, 1 << 16, 1 << 10})
		if err != nil {
			t.Fatalf("filtered head does not parse: %v\n%q", err, out)
		}
		count := map[string][]string{}
		for _, fl := range h2.fields {
			k := strings.ToLower(fl.name)
			count[k] = append(count[k], fl.value)
		}
		want := map[string]string{"host": "site.i2p", hdrB32: peerB32, hdrB64: peerB64,
			hdrHash: data.Base64Encode(peerHash[:]), "connection": "close"}
		for k, v := range want {
			if len(count[k]) != 1 || count[k][0] != v {
				t.Fatalf("%s = %q, want %q\n%q", k, count[k], v, out)
			}
		}
		for k := range count {
			if hopByHop[k] && k != "connection" && k != hdrB32 && k != hdrB64 && k != hdrHash {
				t.Fatalf("hop-by-hop %s passed\n%q", k, out)
			}
		}
		out2, _, serr := h2.filter(p, cfg)
		if serr != nil {
			t.Fatalf("refiltering: %v", serr)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%q\n%q", out, out2)
		}
	})
}
