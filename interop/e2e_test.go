//go:build interop

package interop

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// fileSize is the size of the file fetched end to end (issue 6: 10 MiB).
const fileSize = 10 << 20

// webServer serves a fileSize file of seeded random bytes at /file on a
// free loopback port; it returns the port and the file's sha256.
func webServer(t *testing.T) (int, [32]byte) {
	t.Helper()
	body := make([]byte, fileSize)
	r := rand.NewChaCha8([32]byte{6})
	r.Read(body)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port, sha256.Sum256(body)
}

// fetch GETs u (through proxy if set) and returns the body's sha256, its
// length and the time taken.
func fetch(ctx context.Context, u, proxy, host string) ([32]byte, int64, time.Duration, error) {
	tr := &http.Transport{DisableKeepAlives: true}
	if proxy != "" {
		pu, _ := url.Parse(proxy)
		tr.Proxy = http.ProxyURL(pu)
	}
	c := http.Client{Transport: tr}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return [32]byte{}, 0, 0, err
	}
	if host != "" {
		req.Host = host
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return [32]byte{}, 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return [32]byte{}, 0, 0, fmt.Errorf("%s", resp.Status)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return [32]byte{}, n, 0, err
	}
	return [32]byte(h.Sum(nil)), n, time.Since(start), nil
}

// fetchUntil retries fetch until it returns the whole file or the
// deadline passes (the first attempts may fail while LeaseSets are being
// published and looked up).
func fetchUntil(t *testing.T, within time.Duration, what, u, proxy, host string, want [32]byte) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var last error
	for {
		actx, acancel := context.WithTimeout(ctx, 3*time.Minute)
		sum, n, took, err := fetch(actx, u, proxy, host)
		acancel()
		if err == nil && n == fileSize {
			if sum != want {
				t.Fatalf("%s: sha256 %x, want %x", what, sum, want)
			}
			return took
		}
		if err == nil {
			err = fmt.Errorf("%d bytes of %d", n, fileSize)
		}
		last = err
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no complete fetch within %v; last error: %v", what, within, last)
		case <-time.After(2 * time.Second):
		}
	}
}

type tunnelEntry struct {
	Name  string `json:"name"`
	State string `json:"state"`
	B32   string `json:"b32"`
}

// waitTunnels waits until every I2PTunnel tunnel of n is running and
// returns them by name.
func waitTunnels(t *testing.T, n *node, within time.Duration) map[string]tunnelEntry {
	t.Helper()
	out := map[string]tunnelEntry{}
	waitFor(t, within, "tunnels running", func() (bool, string) {
		var ts []tunnelEntry
		if err := n.getJSON("/api/tunnels", &ts); err != nil {
			return false, err.Error()
		}
		for _, e := range ts {
			if e.State != "running" {
				return false, fmt.Sprintf("%+v", ts)
			}
			out[e.Name] = e
		}
		return len(ts) > 0, ""
	})
	return out
}

// TestEndToEnd is the first two acceptances of issue 6: a client tunnel
// of i2pgo fetches a 10 MiB file from a web server behind an i2pd server
// tunnel, and i2pd's HTTP proxy fetches one from a web server behind an
// i2pgo server tunnel; then the same from an i2pd server tunnel whose
// LeaseSet offers only ElGamal (i2cp.leaseSetEncType = 0). Every file
// arrives with the right sha256.
func TestEndToEnd(t *testing.T) {
	port, sum := webServer(t)
	start := time.Now()
	site, err := i2pdServer(3, "e2e", port)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("i2pd server tunnel %s on r3 after %v", site, time.Since(start).Round(time.Second))
	elgSite, err := i2pdServer(3, "e2e-elg", port, "http", "i2cp.leaseSetEncType=0")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("i2pd ElGamal-only server tunnel %s on r3 after %v", elgSite, time.Since(start).Round(time.Second))
	local, localElg := freePort(t), freePort(t)
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: fmt.Sprintf(`tunnels:
  - name: to-i2pd
    type: client
    listen: 127.0.0.1:%d
    destination: %s
  - name: to-i2pd-elgamal
    type: client
    listen: 127.0.0.1:%d
    destination: %s
  - name: site
    type: server
    target: 127.0.0.1:%d
    keys: site.keys.json
`, local, site, localElg, elgSite, port)})
	ts := waitTunnels(t, n, 3*time.Minute)
	t.Logf("i2pgo tunnels running %v after start", time.Since(start).Round(time.Second))

	took := fetchUntil(t, 5*time.Minute, "i2pgo client → i2pd server", fmt.Sprintf("http://127.0.0.1:%d/file", local), "", site, sum)
	t.Logf("i2pgo client tunnel → i2pd server: 10 MiB in %v (%.2f MB/s), sha256 ok", took.Round(time.Millisecond), float64(fileSize)/1e6/took.Seconds())

	ours := ts["site"].B32
	took = fetchUntil(t, 5*time.Minute, "i2pd HTTP proxy → i2pgo server", "http://"+ours+"/file", fmt.Sprintf("http://127.0.0.1:%d", proxyPort(4)), "", sum)
	t.Logf("i2pd HTTP proxy (r4) → i2pgo server tunnel %s: 10 MiB in %v (%.2f MB/s), sha256 ok", ours, took.Round(time.Millisecond), float64(fileSize)/1e6/took.Seconds())

	took = fetchUntil(t, 5*time.Minute, "i2pgo client → i2pd ElGamal-only server", fmt.Sprintf("http://127.0.0.1:%d/file", localElg), "", elgSite, sum)
	t.Logf("i2pgo client tunnel → i2pd ElGamal-only server: 10 MiB in %v (%.2f MB/s), sha256 ok", took.Round(time.Millisecond), float64(fileSize)/1e6/took.Seconds())
}

// proxyPort is i2pd router k's HTTP proxy port.
func proxyPort(k int) int {
	var b int
	fmt.Sscan(netBase, &b)
	return b + 100*k + 44
}

// TestEncryptedLeaseSet: destinations with encrypted LeaseSets (b33
// addresses), both ways. An i2pd client tunnel reaches an i2pgo server
// tunnel with `encrypted: true` by its b33 address, and an i2pgo client
// tunnel reaches an i2pd server tunnel with i2cp.leaseSetType=5 by its
// b33 address (computed from its keys file).
func TestEncryptedLeaseSet(t *testing.T) {
	port, sum := webServer(t)
	start := time.Now()
	// i2pd-net server waits for a LeaseSet listed under the destination's
	// hash, which an encrypted one never is: add the tunnel to r3 by hand
	// (tunnels.d/NAME.conf and SIGHUP, as i2pd-net does) and let the
	// fetch below wait for it.
	name := fmt.Sprintf("e2e-b33-%d", time.Now().Unix()%100000)
	conf := fmt.Sprintf("[%s]\ntype = http\nhost = 127.0.0.1\nport = %d\nkeys = %s.dat\ni2cp.leaseSetType = 5\n", name, port, name)
	confPath := filepath.Join(netDir, "r3", "tunnels.d", name+".conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(confPath)
		syscall.Kill(i2pdPID(3), syscall.SIGHUP)
	})
	if err := syscall.Kill(i2pdPID(3), syscall.SIGHUP); err != nil {
		t.Fatalf("SIGHUP to r3: %v", err)
	}
	var keys []byte
	waitFor(t, time.Minute, "r3 writes the encrypted site's keys", func() (bool, string) {
		var err error
		keys, err = os.ReadFile(filepath.Join(netDir, "r3", name+".dat"))
		return err == nil && len(keys) > 387, fmt.Sprint(err)
	})
	dest, _, err := data.ParseDestination(keys)
	if err != nil {
		t.Fatalf("%s.dat: %v", name, err)
	}
	site := data.B33Address{SigType: dest.SigType(), BlindedSigType: data.BlindedSigType, PublicKey: dest.SigningKey()}.String()
	t.Logf("i2pd encrypted server tunnel %s on r3 after %v", site, time.Since(start).Round(time.Second))
	local := freePort(t)
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: fmt.Sprintf(`tunnels:
  - name: to-i2pd-b33
    type: client
    listen: 127.0.0.1:%d
    destination: %s
  - name: secret-site
    type: server
    target: 127.0.0.1:%d
    encrypted: true
`, local, site, port)})
	waitTunnels(t, n, 3*time.Minute)
	var ts []struct {
		Name string `json:"name"`
		B33  string `json:"b33"`
	}
	if err := n.getJSON("/api/tunnels", &ts); err != nil {
		t.Fatal(err)
	}
	ours := ""
	for _, e := range ts {
		if e.Name == "secret-site" {
			ours = e.B33
		}
	}
	if len(ours) < 60 {
		t.Fatalf("no b33 address for the encrypted server tunnel: %+v", ts)
	}
	took := fetchUntil(t, 5*time.Minute, "i2pgo client → i2pd encrypted server", fmt.Sprintf("http://127.0.0.1:%d/file", local), "", site, sum)
	t.Logf("i2pgo client tunnel → i2pd server by b33: 10 MiB in %v (%.2f MB/s), sha256 ok", took.Round(time.Millisecond), float64(fileSize)/1e6/took.Seconds())

	toUs := freePort(t)
	if err := netCmd("client", netDir, "4", "to-b33", fmt.Sprint(toUs), ours, "80").Run(); err != nil {
		t.Fatalf("i2pd-net client to our b33: %v", err)
	}
	took = fetchUntil(t, 5*time.Minute, "i2pd client → i2pgo encrypted server", fmt.Sprintf("http://127.0.0.1:%d/file", toUs), "", ours, sum)
	t.Logf("i2pd client tunnel → i2pgo server %s: 10 MiB in %v (%.2f MB/s), sha256 ok", ours, took.Round(time.Millisecond), float64(fileSize)/1e6/took.Seconds())
}
