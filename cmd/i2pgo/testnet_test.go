package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the testnet's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testnetBase returns a base port below Linux's ephemeral range whose
// ports for n+k routers, and base+90..99 for the user ports, were free a
// moment ago.
func testnetBase(t *testing.T, routers int) int {
	t.Helper()
	if routers*10+9 >= 90 {
		t.Fatalf("%d routers do not fit below the user ports", routers)
	}
	for range 50 {
		base := 23000 + 100*rand.IntN(90)
		var ps []tnPort
		for p := base; p < base+100; p++ {
			ps = append(ps, tnPort{addr: "127.0.0.1:" + strconv.Itoa(p), what: "test"})
		}
		ps = append(ps, tnPort{addr: "127.0.0.1:" + strconv.Itoa(base+96), what: "test", udp: true})
		if checkPorts(ps) == nil {
			return base
		}
	}
	t.Fatal("no free port range for a test net")
	return 0
}

// userPortFlags puts the user router's ports on base+91..96.
func userPortFlags(base int) []string {
	var args []string
	for i, f := range []string{"-console", "-http", "-socks", "-irc", "-sam", "-sam-udp"} {
		args = append(args, f, "127.0.0.1:"+strconv.Itoa(base+91+i))
	}
	return args
}

func TestTestnetBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyAddr := busy.Addr().String()
	_, busyPort, _ := net.SplitHostPort(busyAddr)
	bp, _ := strconv.Atoi(busyPort)

	otherNet := t.TempDir()
	if err := os.WriteFile(filepath.Join(otherNet, "netid"), []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notNet := t.TempDir()
	if err := os.WriteFile(filepath.Join(notNet, "router.keys.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := testnetBase(t, 2)
	user := userPortFlags(base)
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"n=0", []string{"-n", "0"}, 2, []string{"-n 0", "1 to 50 routers"}},
		{"n too large", []string{"-n", "51"}, 2, []string{"-n 51"}},
		{"public netid", []string{"-netid", "2"}, 2, []string{"-netid 2", "public"}},
		{"hops above n", []string{"-n", "1", "-hops", "2"}, 2, []string{"-hops 2", "-n is 1"}},
		{"bad name", []string{"-name", "site.com"}, 2, []string{"-name", "site.com"}},
		{"unknown flag", []string{"-bogus"}, 2, []string{"bogus"}},
		{"user port in use", append(append([]string{"-n", "2", "-base", strconv.Itoa(base)}, user...), "-http", busyAddr), 1,
			[]string{busyAddr, "HTTP proxy, -http", "not free"}},
		// The routers' ports are base+10k+1: put r1's NTCP2 on the busy port.
		{"router port in use", append([]string{"-n", "2", "-base", strconv.Itoa(bp - 11)}, user...), 1,
			[]string{busyAddr, "r1 NTCP2", "-base"}},
		{"dir of another netid", append([]string{"-n", "2", "-base", strconv.Itoa(base), "-dir", otherNet}, user...), 2,
			[]string{otherNet, "netid 7, not 99", "-netid 7"}},
		{"dir of no testnet", append([]string{"-n", "2", "-base", strconv.Itoa(base), "-dir", notNet}, user...), 2,
			[]string{notNet, "not a test net"}},
		{"no i2pd", append([]string{"-n", "2", "-base", strconv.Itoa(base), "-with-i2pd", "1", "-i2pd", "/nonexistent/i2pd"}, user...), 2,
			[]string{"-with-i2pd 1", "/nonexistent/i2pd", "2.51.0", "127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			newDir := filepath.Join(t.TempDir(), "net")
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "-dir") {
				args = append([]string{"-dir", newDir}, args...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if code := testnet(ctx, args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not mention %q", stderr.String(), w)
				}
			}
			if stdout.String() != "" {
				t.Errorf("something was started; stdout:\n%s", stdout.String())
			}
			if _, err := os.Stat(newDir); err == nil {
				t.Errorf("%s was created", newDir)
			}
		})
	}
	for _, d := range []string{otherNet, notNet} {
		if ents, _ := os.ReadDir(d); len(ents) != 1 {
			t.Errorf("%s was written to: %d entries", d, len(ents))
		}
	}
}

// startTestnet runs "i2pgo testnet" with args. stop (called when the test
// ends at the latest) cancels it, unless waitOnly, and checks that it then
// exits with 0 in time; it returns what it printed on stderr.
func startTestnet(t *testing.T, args []string) (stdout, stderr *syncBuffer, stop func(waitOnly bool) string) {
	t.Helper()
	stdout, stderr = new(syncBuffer), new(syncBuffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- testnet(ctx, args, stdout, stderr) }()
	var once sync.Once
	stop = func(waitOnly bool) string {
		once.Do(func() {
			if !waitOnly {
				cancel()
			}
			start := time.Now()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("exit code %d; stderr:\n%s", code, stderr.String())
				}
				t.Logf("stopped in %.1f s", time.Since(start).Seconds())
			case <-time.After(45 * time.Second):
				t.Errorf("still running 45 s after the stop")
			}
		})
		return stderr.String()
	}
	t.Cleanup(func() { stop(false); cancel() })
	return stdout, stderr, stop
}

// fetchUntilOK gets http://host/ through proxy until it answers 200 with
// body containing want, or within is over; it returns the time taken.
func fetchUntilOK(t *testing.T, within time.Duration, proxy, host, want string, stderr *syncBuffer) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	var last error
	for time.Now().Before(deadline) {
		// An early try may wait long for a LeaseSet not yet published.
		ctx, cancel := context.WithTimeout(context.Background(), min(10*time.Second, time.Until(deadline)))
		last = fetchBody(ctx, proxy, host, want)
		cancel()
		if last == nil {
			return time.Since(start)
		}
		poll := time.NewTimer(min(time.Second, time.Until(deadline)))
		<-poll.C
	}
	t.Fatalf("http://%s/ through %s: no answer within %s: %v\nstderr:\n%s", host, proxy, within, last, stderr.String())
	return 0
}

func fetchBody(ctx context.Context, proxy, host, want string) error {
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxy}), DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
		return fmt.Errorf("%s: %.200q", resp.Status, b)
	}
	return nil
}

// TestTestnet runs a net of 3 routers and the user router, fetches the
// built-in eepsite by its name through the user router's HTTP proxy, and
// finds the other routers on its console.
func TestTestnet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 4 routers")
	}
	base := testnetBase(t, 4)
	dir := t.TempDir()
	args := append([]string{"-n", "3", "-base", strconv.Itoa(base), "-dir", dir, "-name", "site.testnet.i2p"}, userPortFlags(base)...)
	stdout, stderr, stop := startTestnet(t, args)
	proxy, console := "127.0.0.1:"+strconv.Itoa(base+92), "127.0.0.1:"+strconv.Itoa(base+91)
	took := fetchUntilOK(t, 90*time.Second, proxy, "site.testnet.i2p", "My eepsite", stderr)
	t.Logf("eepsite fetched by name %.1f s after start", took.Seconds())

	resp, err := http.Get("http://" + console + "/api/netdb/routers")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for k := 1; k <= 3; k++ {
		if a := "NTCP2 127.0.0.1:" + strconv.Itoa(base+10*k+1); !strings.Contains(string(b), a) {
			t.Errorf("the console's /api/netdb/routers does not list r%d (%s): %s", k, a, b)
		}
	}
	for _, w := range []string{"http://" + console + "/", "curl -x http://" + proxy + " http://site.testnet.i2p/", ".b32.i2p", "Ctrl-C"} {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("the summary does not mention %q:\n%s", w, stdout.String())
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "netid")); string(got) != "99\n" {
		t.Errorf("netid file %q, want 99", got)
	}

	// The user router's shutdown button stops the net.
	var tok struct{ Token string }
	if resp, err := http.Get("http://" + console + "/api/csrf"); err != nil {
		t.Fatal(err)
	} else {
		json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
	}
	req, _ := http.NewRequest("POST", "http://"+console+"/api/shutdown", nil)
	req.Header.Set("X-CSRF-Token", tok.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/shutdown: %s", resp.Status)
	}
	if out := stop(true); !strings.Contains(out, "r0 was shut down from its console") {
		t.Errorf("stderr does not tell of the shutdown:\n%s", out)
	}
}

// TestTestnetI2pd adds 2 i2pd routers (I2PGO_TESTNET_I2PD, such as
// ../shared/testnet/bin/i2pd) and fetches the eepsite through one's HTTP
// proxy, by name (from its hosts.txt).
func TestTestnetI2pd(t *testing.T) {
	bin := os.Getenv("I2PGO_TESTNET_I2PD")
	if bin == "" {
		t.Skip("set I2PGO_TESTNET_I2PD to an i2pd binary that accepts loopback peers")
	}
	if testing.Short() {
		t.Skip("runs 4 routers and 2 i2pd")
	}
	base := testnetBase(t, 6)
	args := append([]string{"-n", "3", "-with-i2pd", "2", "-i2pd", bin, "-base", strconv.Itoa(base), "-dir", t.TempDir()}, userPortFlags(base)...)
	_, stderr, _ := startTestnet(t, args)
	took := fetchUntilOK(t, 90*time.Second, "127.0.0.1:"+strconv.Itoa(base+10*4+4), "testnet.i2p", "My eepsite", stderr)
	t.Logf("eepsite fetched by name through d1 (i2pd) %.1f s after start", took.Seconds())
	took = fetchUntilOK(t, 60*time.Second, "127.0.0.1:"+strconv.Itoa(base+92), "testnet.i2p", "My eepsite", stderr)
	t.Logf("and through r0 %.1f s later", took.Seconds())
}
