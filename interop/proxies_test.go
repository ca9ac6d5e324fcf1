//go:build interop

package interop

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// headerSite is a web server that records the headers of every request
// and answers "hello from <name>".
type headerSite struct {
	name string
	port int
	mu   sync.Mutex
	seen []http.Header
}

func newHeaderSite(t *testing.T, name string) *headerSite {
	t.Helper()
	s := &headerSite{name: name}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		h := r.Header.Clone()
		h.Set("X-Test-Host", r.Host)
		s.seen = append(s.seen, h)
		s.mu.Unlock()
		fmt.Fprintf(w, "hello from %s\n", s.name)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.port = ln.Addr().(*net.TCPAddr).Port
	return s
}

func (s *headerSite) last() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		return nil
	}
	return s.seen[len(s.seen)-1]
}

// curlUntil runs curl with args until it prints want or the deadline
// passes.
func curlUntil(t *testing.T, within time.Duration, what, want string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	var out []byte
	var err error
	for time.Now().Before(deadline) {
		out, err = exec.Command("curl", append([]string{"-s", "-S", "-m", "60"}, args...)...).CombinedOutput()
		if err == nil && strings.Contains(string(out), want) {
			return
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("%s: curl %v: %v\n%s", what, args, err, out)
}

// TestProxies covers issue 7's HTTP, SOCKS and HTTP server tunnels
// against i2pd: curl through our httpclient and sockstunnel fetches an
// eepsite on r3 and the site sees none of the identifying headers curl
// sent; i2pd's HTTP proxy fetches a site behind our httpserver, which
// sees X-I2P-DestB32 equal to i2pd's proxy destination and not the
// value the client spoofed.
func TestProxies(t *testing.T) {
	eep := newHeaderSite(t, "i2pd-site")
	site, err := i2pdServer(3, "proxies", eep.port, "server")
	if err != nil {
		t.Fatal(err)
	}
	ours := newHeaderSite(t, "i2pgo-site")
	httpPort, socksPort := freePort(t), freePort(t)
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: fmt.Sprintf(`tunnels:
  - name: http
    type: httpclient
    listen: 127.0.0.1:%d
  - name: socks
    type: sockstunnel
    listen: 127.0.0.1:%d
  - name: mysite
    type: httpserver
    target: 127.0.0.1:%d
    hostname: mysite.i2p
    keys: mysite.keys.json
`, httpPort, socksPort, ours.port)})
	ts := waitTunnels(t, n, 3*time.Minute)

	// HTTP proxy: identifying headers curl sends do not arrive.
	curlUntil(t, 5*time.Minute, "curl -x through the httpclient tunnel", "hello from i2pd-site",
		"-x", fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		"-H", "Referer: http://clearnet.example/secret", "-H", "X-Forwarded-For: 192.0.2.7", "-H", "Accept-Language: de-CH",
		"-H", "Via: 1.1 myhost", "-H", "From: me@example.com", "-H", "X-Requested-With: XMLHttpRequest",
		"http://"+site+"/")
	h := eep.last()
	for _, k := range []string{"Referer", "X-Forwarded-For", "Accept-Language", "Via", "From", "X-Requested-With"} {
		if v := h.Get(k); v != "" {
			t.Errorf("the eepsite saw %s: %q", k, v)
		}
	}
	if ua := h.Get("User-Agent"); strings.Contains(ua, "curl") {
		t.Errorf("the eepsite saw User-Agent %q", ua)
	}
	t.Logf("eepsite saw, from curl through our HTTP proxy: %v", h)

	// SOCKS 5 with remote names, and SOCKS 4a.
	curlUntil(t, 3*time.Minute, "curl --socks5-hostname", "hello from i2pd-site", "--socks5-hostname", fmt.Sprintf("127.0.0.1:%d", socksPort), "http://"+site+"/")
	curlUntil(t, 3*time.Minute, "curl --socks4a", "hello from i2pd-site", "--socks4a", fmt.Sprintf("127.0.0.1:%d", socksPort), "http://"+site+"/")

	// i2pd's HTTP proxy → our httpserver, with a spoofed X-I2P-DestB32.
	keys, err := os.ReadFile(filepath.Join(netDir, "r4", "proxy-keys.dat"))
	if err != nil {
		t.Fatal(err)
	}
	proxyDest, _, err := data.ParseDestination(keys)
	if err != nil {
		t.Fatal(err)
	}
	want := data.B32Address(proxyDest.Hash())
	curlUntil(t, 5*time.Minute, "i2pd HTTP proxy → our httpserver", "hello from i2pgo-site",
		"-x", fmt.Sprintf("http://127.0.0.1:%d", proxyPort(4)), "-H", "X-I2P-DestB32: spoofed.b32.i2p",
		"http://"+ts["mysite"].B32+"/")
	h = ours.last()
	if got := h.Values("X-I2P-DestB32"); len(got) != 1 || got[0] != want {
		t.Errorf("our site saw X-I2P-DestB32 %q, want only i2pd's proxy destination %s", got, want)
	}
	if host := h.Get("X-Test-Host"); host != "mysite.i2p" {
		t.Errorf("our site saw Host %q, want mysite.i2p", host)
	}
	t.Logf("our httpserver's site saw X-I2P-DestB32 %s (i2pd's HTTP proxy destination), Host %s", h.Get("X-I2P-DestB32"), h.Get("X-Test-Host"))
}
