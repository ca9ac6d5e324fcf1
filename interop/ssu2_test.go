//go:build interop

package interop

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// SSU2 interop: an SSU2-only i2pd net of our own (TestSSU2Only) and the
// shared NTCP2+SSU2 net (TestSSU2Mixed).

// ssu2Status is the part of /api/status these tests read (the harness's
// status type has no peers.ssu2, tunnels or network).
type ssu2Status struct {
	RouterHash string `json:"router_hash"`
	Peers      struct {
		NTCP2    int `json:"ntcp2"`
		SSU2     int `json:"ssu2"`
		Inbound  int `json:"inbound"`
		Outbound int `json:"outbound"`
	} `json:"peers"`
	NetDB struct {
		Routers int `json:"routers"`
	} `json:"netdb"`
	Tunnels struct {
		Exploratory     int    `json:"exploratory"`
		Client          int    `json:"client"`
		Participating   int    `json:"participating"`
		Built           uint64 `json:"built"`
		BuildFailed     uint64 `json:"build_failed"`
		TransitAccepted uint64 `json:"transit_accepted"`
	} `json:"tunnels"`
	Network struct {
		Status           string `json:"status"`
		PeerTestsOK      uint64 `json:"peer_tests_ok"`
		PeerTestsFailed  uint64 `json:"peer_tests_failed"`
		PeerTestsBob     uint64 `json:"peer_tests_bob"`
		PeerTestsCharlie uint64 `json:"peer_tests_charlie"`
		Forced           bool   `json:"forced"`
		Introducers      int    `json:"introducers"`
		RelaysBob        uint64 `json:"relays_bob"`
		RelaysCharlie    uint64 `json:"relays_charlie"`
		RelaysAlice      uint64 `json:"relays_alice"`
	} `json:"network"`
	I2NP struct {
		Malformed uint64 `json:"malformed"`
	} `json:"i2np"`
}

func (n *node) ssu2Status() (ssu2Status, error) {
	var s ssu2Status
	err := n.getJSON("/api/status", &s)
	return s, err
}

type ssu2PeerEntry struct {
	Router    string `json:"router"`
	Transport string `json:"transport"`
	Outbound  bool   `json:"outbound"`
	AgeS      int64  `json:"age_s"`
}

// peerList is GET /api/peers as one line per session, for failure messages.
func (n *node) peerList() string {
	var ps []ssu2PeerEntry
	if err := n.getJSON("/api/peers", &ps); err != nil {
		return "/api/peers: " + err.Error()
	}
	var b strings.Builder
	for _, p := range ps {
		dir := "in"
		if p.Outbound {
			dir = "out"
		}
		fmt.Fprintf(&b, "\n  %s %s %s age %ds", p.Router[:8], p.Transport, dir, p.AgeS)
	}
	if len(ps) == 0 {
		return "(no sessions listed)"
	}
	return b.String()
}

// ssu2Net is an i2pd net of our own, apart from the harness's shared one.
type ssu2Net struct {
	dir  string
	base int
	env  []string
	n    int // routers
}

func (sn *ssu2Net) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(testnetDir, "i2pd-net"), args...)
	cmd.Env = append(append(os.Environ(), "I2PD_NET_BASEPORT="+strconv.Itoa(sn.base)), sn.env...)
	return cmd
}

// page fetches router k's console page, raw HTML.
func (sn *ssu2Net) page(k int, page string) string {
	return rawConsolePage(sn.base+100*k+70, page)
}

func rawConsolePage(port int, page string) string {
	u := fmt.Sprintf("http://127.0.0.1:%d/", port)
	if page != "" {
		u += "?page=" + page
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// ssu2Section is the SSU2 (IPv4) list of an i2pd transports page.
func ssu2Section(html string) string {
	i := strings.Index(html, "for='slide_ssu2'")
	if i < 0 {
		return ""
	}
	s := html[i:]
	if j := strings.Index(s[1:], "<div class='slide'>"); j >= 0 {
		s = s[:j+1]
	}
	return s
}

// i2pdLogLines are the last max lines of DIR/rK/i2pd.log that match re.
func i2pdLogLines(dir string, k int, re *regexp.Regexp, max int) []string {
	b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("r%d", k), "i2pd.log"))
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		if re.Match(l) {
			out = append(out, string(l))
		}
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

// startOwnNet starts a 4-router i2pd net of its own at base (env: more
// I2PD_NET_* settings) and stops it when the test ends, also with
// I2PGO_KEEP_NET=1 (that keeps only the shared net). On failure it logs
// the i2pd routers' SSU2 lines and those naming our endpoint (ourPort)
// and keeps the net's directory for the logs.
func startOwnNet(t *testing.T, what string, n, base, ourPort int, env ...string) *ssu2Net {
	t.Helper()
	dir, err := os.MkdirTemp("", "i2pgo-ssu2-net")
	if err != nil {
		t.Fatal(err)
	}
	sn := &ssu2Net{dir: dir, base: base, env: env, n: n}
	t.Cleanup(func() {
		if t.Failed() {
			re := regexp.MustCompile(`SSU2|PeerTest|Tunnels: Can't`)
			mine := regexp.MustCompile(fmt.Sprintf(`127\.0\.0\.1:%d\b`, ourPort))
			for k := 1; k <= n; k++ {
				t.Logf("r%d i2pd.log, last SSU2 lines:\n%s", k, strings.Join(i2pdLogLines(dir, k, re, 25), "\n"))
				t.Logf("r%d i2pd.log, last lines naming our endpoint 127.0.0.1:%d:\n%s", k, ourPort, strings.Join(i2pdLogLines(dir, k, mine, 25), "\n"))
			}
		}
		out, err := sn.cmd("down", dir).CombinedOutput()
		if err != nil {
			t.Logf("i2pd-net down %s: %v\n%s", dir, err, out)
		}
		if t.Failed() {
			t.Logf("%s net stopped; its directory %s is kept for the logs", what, dir)
		} else {
			os.RemoveAll(dir)
		}
	})
	start := time.Now()
	if out, err := sn.cmd("up", strconv.Itoa(n), dir).CombinedOutput(); err != nil {
		t.Fatalf("i2pd-net up (%s, base %d): %v\n%s", what, base, err, out)
	}
	t.Logf("%s net of %d i2pd routers up in %s at base %d after %v", what, n, dir, base, time.Since(start).Round(100*time.Millisecond))
	return sn
}

var tunnelsRe = regexp.MustCompile(`tunnels=(\d+)`)

// waitWarm waits until every i2pd router of the net counts exploratory
// tunnels (i2pd-net status).
func (sn *ssu2Net) waitWarm(t *testing.T, since time.Time) {
	t.Helper()
	waitFor(t, 4*time.Minute, "every i2pd router of the net has exploratory tunnels", func() (bool, string) {
		out, _ := sn.cmd("status", sn.dir).Output()
		m := tunnelsRe.FindAllStringSubmatch(string(out), -1)
		warm := 0
		for _, x := range m {
			if x[1] != "0" {
				warm++
			}
		}
		return warm >= sn.n, fmt.Sprintf("%d of %d warm", warm, sn.n)
	})
	t.Logf("i2pd routers have exploratory tunnels %v after up started", time.Since(since).Round(time.Second))
}

var ssu2CountRe = regexp.MustCompile(`SSU2\s*\(\s*(\d+)\s*\)`)

// ssu2Sessions is how many SSU2 sessions router k's transports page counts.
func (sn *ssu2Net) ssu2Sessions(k int) int {
	m := ssu2CountRe.FindStringSubmatch(tagRe.ReplaceAllString(sn.page(k, "transports"), " "))
	if m == nil {
		return 0
	}
	c, _ := strconv.Atoi(m[1])
	return c
}

// waitSSU2Sessions waits until router k (1-based) has at least min[k-1]
// SSU2 sessions.
func (sn *ssu2Net) waitSSU2Sessions(t *testing.T, since time.Time, min []int) {
	t.Helper()
	waitFor(t, 4*time.Minute, fmt.Sprintf("i2pd routers with SSU2 sessions %v", min), func() (bool, string) {
		var counts []string
		ok := true
		for k := 1; k <= len(min); k++ {
			c := sn.ssu2Sessions(k)
			counts = append(counts, strconv.Itoa(c))
			ok = ok && c >= min[k-1]
		}
		return ok, "sessions " + strings.Join(counts, ",")
	})
	t.Logf("i2pd routers interconnected over SSU2 %v after up started", time.Since(since).Round(time.Second))
}

// TestSSU2Only is the acceptance "An SSU2-only test net
// (I2PD_NET_NTCP2=false): i2pgo joins over SSU2, builds tunnels through
// i2pd, and fetches an eepsite hosted on an i2pd router". It runs its own
// 4-router SSU2-only net at the harness's base port + 3000
// (I2PGO_SSU2_NETBASE overrides it) and always stops it at the end, also
// with I2PGO_KEEP_NET=1 (that keeps only the shared net). On failure the
// net's directory is kept for its logs.
func TestSSU2Only(t *testing.T) {
	hb, _ := strconv.Atoi(netBase)
	base, _ := strconv.Atoi(envOr("I2PGO_SSU2_NETBASE", strconv.Itoa(hb+3000)))
	ourPort := freePort(t)
	start := time.Now()
	sn := startOwnNet(t, "SSU2-only", netN, base, ourPort, "I2PD_NET_NTCP2=false", "I2PD_NET_SSU2=true", "I2PD_NET_WARM_TIMEOUT=300")
	dir := sn.dir
	env, _ := os.ReadFile(filepath.Join(dir, "net.env"))
	if !strings.Contains(string(env), "NTCP2=false") {
		t.Fatalf("the net is not SSU2-only: net.env:\n%s", env)
	}
	// i2pd needs ~100 s on an SSU2-only net before its routers have
	// sessions with each other (README, "Quirks"). Wait at least until
	// every i2pd router counts tunnels (i2pd-net status; this comes after
	// ~15 s and does not prove they work). Seen 2026-12-02: an i2pgo whose
	// early builds through i2pd all time out marks every i2pd router bad
	// in its profiles (5 timeouts, 1 h half life) and builds nothing after
	// 24 failures; the exploratory check below then fails.
	sn.waitWarm(t, start)
	// And sessions with each other (the tunnels above may not work yet):
	// an i2pd Bob needs an SSU2 session with a Charlie for our peer test.
	sn.waitSSU2Sessions(t, start, []int{netN - 1, netN - 1, netN - 1, netN - 1})

	// The eepsite on r3: i2pd-net server waits until r3 has exploratory
	// tunnels (slow on SSU2-only) and its LeaseSet is on a floodfill; it
	// runs while i2pgo joins.
	webPort, sum := webServer(t)
	type serverResult struct {
		b32 string
		err error
		at  time.Duration
	}
	serverDone := make(chan serverResult, 1)
	go func() {
		b32, err := i2pdServerIn(sn.cmd, dir, 3, "ssu2site", webPort)
		serverDone <- serverResult{b32, err, time.Since(start)}
	}()

	proxy := freePort(t)
	nodeStart := time.Now()
	n := startNodeWith(t, t.TempDir(), ourPort, options{
		seed:          filepath.Join(dir, "seed.zip"),
		freshIdentity: true, // another net
		// One session of our own: the first peer test runs on it before
		// tunnel builds connect us to every router (i2pd's Charlie
		// refuses an Alice it has a session with, code 68).
		minPeers:   1,
		routerYAML: "  ntcp2:\n    enabled: false\n",
		topYAML: fmt.Sprintf(`tunnels:
  - name: proxy
    type: httpclient
    listen: 127.0.0.1:%d
`, proxy),
	})

	// Joined over SSU2 only.
	var st ssu2Status
	waitFor(t, 60*time.Second, "SSU2 sessions with i2pd routers and none over NTCP2", func() (bool, string) {
		s, err := n.ssu2Status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		if s.Peers.NTCP2 != 0 {
			t.Fatalf("an NTCP2 session on an SSU2-only net with ntcp2 disabled: %+v%s", s.Peers, n.peerList())
		}
		return s.Peers.SSU2 >= 1, fmt.Sprintf("%+v", s.Peers)
	})
	joined := time.Since(nodeStart)
	// Peer test with i2pd as Bob and Charlie: reachable.
	waitFor(t, 3*time.Minute, "network.status ok from an SSU2 peer test with i2pd as Bob and Charlie", func() (bool, string) {
		s, err := n.ssu2Status()
		if err != nil {
			return false, err.Error()
		}
		return s.Network.Status == "ok", fmt.Sprintf("%+v", s.Network)
	})
	t.Logf("network.status ok %v after i2pgo's start", time.Since(nodeStart).Round(100*time.Millisecond))
	if s, err := n.ssu2Status(); err == nil {
		t.Logf("network %+v", s.Network)
	}
	t.Logf("i2pgo joined over SSU2 %v after its start: peers %+v", joined.Round(time.Millisecond), st.Peers)
	short := st.RouterHash[:4]

	// The i2pd routers list our session under SSU2.
	listing := 0
	waitFor(t, 30*time.Second, "an i2pd transports page lists us under SSU2", func() (bool, string) {
		listing = 0
		for k := 1; k <= netN; k++ {
			if strings.Contains(ssu2Section(sn.page(k, "transports")), short+":") {
				listing++
			}
		}
		return listing > 0, fmt.Sprintf("%d routers", listing)
	})
	t.Logf("%d of %d i2pd transports pages list %s under SSU2", listing, netN, short)

	// Exploratory tunnels through i2pd.
	waitFor(t, 4*time.Minute, "exploratory tunnels built over SSU2", func() (bool, string) {
		s, err := n.ssu2Status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return s.Tunnels.Exploratory > 0 && s.Tunnels.Built > 0, fmt.Sprintf("tunnels %+v peers %+v (a build_failed that stops growing: every hop marked bad)", s.Tunnels, s.Peers)
	})
	t.Logf("exploratory tunnels %v after i2pgo's start: %+v", time.Since(nodeStart).Round(time.Second), st.Tunnels)

	// The eepsite's LeaseSet is out.
	var sr serverResult
	select {
	case sr = <-serverDone:
	case <-time.After(10 * time.Minute):
		t.Fatalf("i2pd-net server did not return within 10 min")
	}
	if sr.err != nil {
		t.Fatal(sr.err)
	}
	t.Logf("i2pd eepsite %s on r3, LeaseSet on a floodfill %v after up started", sr.b32, sr.at.Round(time.Second))

	waitTunnels(t, n, 4*time.Minute)
	t.Logf("i2pgo httpclient tunnel running %v after i2pgo's start", time.Since(nodeStart).Round(time.Second))
	fetchStart := time.Now()
	took := fetchUntil(t, 5*time.Minute, "i2pgo HTTP proxy → i2pd eepsite over SSU2", "http://"+sr.b32+"/file", fmt.Sprintf("http://127.0.0.1:%d", proxy), "", sum)
	t.Logf("i2pgo HTTP proxy → i2pd eepsite on the SSU2-only net: 10 MiB in %v (%.2f MB/s), sha256 ok; first complete fetch %v after the first try, %v after i2pgo's start",
		took.Round(time.Millisecond), float64(fileSize)/1e6/took.Seconds(), time.Since(fetchStart).Round(time.Second), time.Since(nodeStart).Round(time.Second))

	// Side by side: the same file through i2pd r4's HTTP proxy (i2pd to
	// i2pd over SSU2, same net, same time).
	i2pdTook := fetchUntil(t, 5*time.Minute, "i2pd r4 HTTP proxy → i2pd eepsite over SSU2", "http://"+sr.b32+"/file", fmt.Sprintf("http://127.0.0.1:%d", base+444), "", sum)
	t.Logf("i2pd r4 HTTP proxy → the same eepsite: 10 MiB in %v (%.2f MB/s); i2pgo %.2f MB/s",
		i2pdTook.Round(time.Millisecond), float64(fileSize)/1e6/i2pdTook.Seconds(), float64(fileSize)/1e6/took.Seconds())

	s, err := n.ssu2Status()
	if err != nil {
		t.Fatal(err)
	}
	if s.Peers.NTCP2 != 0 {
		t.Errorf("NTCP2 sessions at the end: %+v", s.Peers)
	}
	if s.I2NP.Malformed != 0 {
		t.Errorf("%d malformed I2NP messages over SSU2", s.I2NP.Malformed)
	}
	// Informational: do the i2pd routers use us as a hop?
	hops := 0
	for k := 1; k <= netN; k++ {
		if strings.Contains(sn.page(k, "tunnels"), short) {
			hops++
		}
	}
	t.Logf("at the end: peers %+v, tunnels %+v, network %+v; %d i2pd tunnels pages show %s as a hop",
		s.Peers, s.Tunnels, s.Network, hops, short)
}

// TestSSU2Mixed: on the shared NTCP2+SSU2 net, i2pgo (both transports,
// the default) has sessions over both at once, and i2pd lists ours under
// SSU2.
func TestSSU2Mixed(t *testing.T) {
	t.Run("sessions", func(t *testing.T) {
		// i2pgo picks a transport at random per peer: with 4 peers all
		// land on one in 1 of 8 starts; then start a fresh node.
		deadline := time.Now().Add(90 * time.Second)
		var n *node
		var st ssu2Status
		for attempt := 1; ; attempt++ {
			start := time.Now()
			n = startNodeWith(t, t.TempDir(), freePort(t), options{minPeers: 4, routerYAML: bothTransports})
			oneSided := time.Time{}
			ok := false
			for time.Now().Before(deadline) {
				s, err := n.ssu2Status()
				if err == nil {
					st = s
					if s.Peers.NTCP2 >= 1 && s.Peers.SSU2 >= 1 {
						ok = true
						break
					}
					if s.Peers.NTCP2+s.Peers.SSU2 >= netN {
						if oneSided.IsZero() {
							oneSided = time.Now()
						}
					} else {
						oneSided = time.Time{}
					}
					// All 4 sessions on one transport for 10 s: restart.
					if !oneSided.IsZero() && time.Since(oneSided) > 10*time.Second {
						break
					}
				}
				time.Sleep(500 * time.Millisecond)
			}
			if ok {
				t.Logf("attempt %d: sessions over both transports %v after start: %+v%s", attempt, time.Since(start).Round(time.Millisecond), st.Peers, n.peerList())
				break
			}
			if !time.Now().Before(deadline) {
				t.Fatalf("no sessions over both NTCP2 and SSU2 at once within 90 s (%d starts); last peers %+v; /api/peers:%s", attempt, st.Peers, n.peerList())
			}
			t.Logf("attempt %d: all %d sessions on one transport (%+v), starting a fresh node%s", attempt, st.Peers.NTCP2+st.Peers.SSU2, st.Peers, n.peerList())
			n.stop()
		}
		short := st.RouterHash[:4]
		var listing []int
		waitFor(t, 30*time.Second, "an i2pd transports page lists us under SSU2", func() (bool, string) {
			listing = nil
			for k := 1; k <= netN; k++ {
				if strings.Contains(ssu2Section(rawConsolePage(consolePort(k), "transports")), short+":") {
					listing = append(listing, k)
				}
			}
			s, _ := n.ssu2Status()
			return len(listing) > 0, fmt.Sprintf("peers %+v%s", s.Peers, n.peerList())
		})
		t.Logf("i2pd routers listing %s under SSU2: %v", short, listing)
	})
	// The peer test is in TestSSU2MixedPeerTest: in this net i2pd's
	// routers talk to each other mostly over NTCP2 (their simultaneous
	// SSU2 handshakes collide at start, see ../shared/testnet README), so
	// an i2pd Bob seldom has an SSU2 session with a Charlie and answers
	// code 2; i2pd's own routers stay "Testing" here.
}

// TestSSU2MixedPeerTest is the acceptance "in a mixed net ... peer tests
// run with i2pd as Bob and Charlie, and our status becomes OK". Its own
// net (harness base + 4000, or I2PGO_MIXED_NETBASE) runs NTCP2 and SSU2
// on every router, but the floodfills r1 and r2 leave their NTCP2
// address unpublished, as a router whose TCP port is firewalled does:
// whoever dials them comes over SSU2. So r1 and r2 always have an SSU2
// session with each other (what an i2pd Bob needs to find a Charlie),
// while r3 and r4 publish both and are dialled over either. i2pgo runs
// both transports and is seeded with r1 alone: its first session, over
// SSU2, makes r1 its Bob; r1 picks a Charlie among its own SSU2 sessions
// (r2, or r3/r4 where they came over SSU2), none of which has a session
// with us yet (i2pd's Charlie refuses an Alice it has an SSU2 session
// with, code 68).
func TestSSU2MixedPeerTest(t *testing.T) {
	hb, _ := strconv.Atoi(netBase)
	base, _ := strconv.Atoi(envOr("I2PGO_MIXED_NETBASE", strconv.Itoa(hb+4000)))
	wrapper := filepath.Join(t.TempDir(), "i2pd")
	real := os.Getenv("I2PD_BIN")
	if real == "" {
		real = filepath.Join(testnetDir, "bin", "i2pd")
	}
	// i2pd-net runs I2PD_BIN with --datadir DIR/rK first; options on
	// i2pd's command line win over its i2pd.conf.
	script := `#!/bin/sh
extra=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--datadir" ]; then
    case "${a##*/}" in r1|r2) extra="--ntcp2.published=false" ;; esac
  fi
  prev="$a"
done
exec ` + real + ` "$@" $extra
`
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ourPort := freePort(t)
	start := time.Now()
	sn := startOwnNet(t, "mixed (r1, r2 NTCP2 unpublished)", netN, base, ourPort, "I2PD_BIN="+wrapper, "I2PD_NET_NTCP2=true", "I2PD_NET_SSU2=true")

	// The net is what this test says: r1 and r2 publish no NTCP2 host,
	// r3 and r4 publish both.
	for k := 1; k <= netN; k++ {
		ri, err := os.ReadFile(filepath.Join(sn.dir, fmt.Sprintf("r%d", k), "router.info"))
		if err != nil {
			t.Fatal(err)
		}
		ntcp2Host := riAddressHasHost(ri, "NTCP2")
		if ntcp2Host != (k > 2) || !riAddressHasHost(ri, "SSU2") {
			t.Fatalf("r%d: NTCP2 published with a host %v, SSU2 with a host %v; want NTCP2 only on r3, r4 and SSU2 on all", k, ntcp2Host, riAddressHasHost(ri, "SSU2"))
		}
	}
	sn.waitSSU2Sessions(t, start, []int{1, 1})

	seed := filepath.Join(t.TempDir(), "r1.zip")
	writeSeed(t, sn.cmd, sn.dir, seed, 1)
	nodeStart := time.Now()
	n := startNodeWith(t, t.TempDir(), ourPort, options{
		seed:          seed,
		freshIdentity: true, // another net
		minPeers:      1,
		routerYAML:    bothTransports,
	})
	waitFor(t, 3*time.Minute, "network.status ok from a peer test with i2pd as Bob and Charlie", func() (bool, string) {
		s, err := n.ssu2Status()
		if err != nil {
			return false, err.Error()
		}
		return s.Network.Status == "ok", fmt.Sprintf("%+v peers %+v%s", s.Network, s.Peers, n.peerList())
	})
	s, err := n.ssu2Status()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("network.status ok %v after i2pgo's start: network %+v, peers %+v%s", time.Since(nodeStart).Round(100*time.Millisecond), s.Network, s.Peers, n.peerList())
	if s.Network.PeerTestsOK == 0 {
		t.Fatalf("status ok without a peer test that passed: %+v", s.Network)
	}
	// Every router of this net is an i2pd: which one was Bob? i2pd logs
	// nothing at Info for a relayed peer test, so name the sessions we
	// had (each is an i2pd router) and the i2pd routers' SSU2 counts.
	var counts []string
	for k := 1; k <= netN; k++ {
		counts = append(counts, fmt.Sprintf("r%d %d", k, sn.ssu2Sessions(k)))
	}
	t.Logf("i2pd SSU2 sessions now: %s", strings.Join(counts, ", "))
}

// riAddressHasHost reports whether the RouterInfo ri has an address of
// the given transport style with a host.
func riAddressHasHost(ri []byte, style string) bool {
	r, err := data.ParseRouterInfo(ri)
	if err != nil {
		return false
	}
	for _, a := range r.Addresses {
		if a.TransportStyle == style && a.Host() != "" {
			return true
		}
	}
	return false
}

// writeSeed writes a reseed zip of routers ks of the net in dir, whose
// i2pd-net commands mk makes: their current router.info files, named
// routerInfo-HASH.dat as `i2pd-net ri` lists them.
func writeSeed(t *testing.T, mk func(...string) *exec.Cmd, dir, path string, ks ...int) {
	t.Helper()
	out, err := mk("ri", dir).Output()
	if err != nil {
		t.Fatalf("i2pd-net ri: %v", err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, k := range ks {
		hash := ""
		for _, line := range strings.Split(string(out), "\n") {
			if fs := strings.Fields(line); len(fs) >= 3 && fs[0] == fmt.Sprintf("r%d", k) {
				hash = fs[1]
			}
		}
		ri, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("r%d", k), "router.info"))
		if err != nil || hash == "" {
			t.Fatalf("r%d: router.info %v, hash %q", k, err, hash)
		}
		w, _ := zw.Create("routerInfo-" + hash + ".dat")
		w.Write(ri)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// bothTransports is the default transport config, spelled out (the
// harness turns SSU2 off for the NTCP2-era tests unless told).
const bothTransports = "  ntcp2:\n    enabled: true\n  ssu2:\n    enabled: true\n"

// TestSSU2Relay: a firewalled i2pgo (router.firewalled) gets relay tags
// from i2pd routers, publishes them as introducers, and i2pd routers
// reach it through them: an i2pd Alice sends an i2pd Bob a RelayRequest,
// Bob passes it to us as a RelayIntro, we answer and send Alice a
// HolePunch, and Alice's session comes in. Its own net of 10 i2pd
// routers (harness base + 5000, or I2PGO_RELAY_NETBASE): we keep no
// sessions of our own (minpeers 0) and open 3 to introducers, 1 or 2 to
// publish and look up, and 2 for one-hop exploratory tunnels, so several
// i2pd routers have none with us when they pick us as a hop (seen with
// 6 routers: we had sessions with all of them within 5 s).
func TestSSU2Relay(t *testing.T) {
	const n = 10
	hb, _ := strconv.Atoi(netBase)
	base, _ := strconv.Atoi(envOr("I2PGO_RELAY_NETBASE", strconv.Itoa(hb+5000)))
	ourPort := freePort(t)
	start := time.Now()
	sn := startOwnNet(t, "relay", n, base, ourPort, "I2PD_NET_NTCP2=true", "I2PD_NET_SSU2=true")
	sn.waitWarm(t, start)

	nodeStart := time.Now()
	nd := startNodeWith(t, t.TempDir(), ourPort, options{
		seed:          filepath.Join(sn.dir, "seed.zip"),
		freshIdentity: true, // another net
		minPeers:      -1,
		routerYAML: bothTransports + `  firewalled: true
  exploratory:
    inbound: {length: 1, quantity: 1}
    outbound: {length: 1, quantity: 1}
`,
	})
	var st ssu2Status
	waitFor(t, 2*time.Minute, "introducers from i2pd routers in our RouterInfo", func() (bool, string) {
		s, err := nd.ssu2Status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return s.Network.Introducers >= 1, fmt.Sprintf("%+v%s", s.Network, nd.peerList())
	})
	t.Logf("%d introducer(s) published %v after start: %+v", st.Network.Introducers, time.Since(nodeStart).Round(100*time.Millisecond), st.Network)
	if st.Network.Status != "firewalled" || !st.Network.Forced {
		t.Fatalf("network %+v, want firewalled (forced)", st.Network)
	}
	// Our RouterInfo: no host anywhere, introducers that are i2pd routers.
	ri, err := os.ReadFile(filepath.Join(nd.dir, "data", "router.info"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := data.ParseRouterInfo(ri)
	if err != nil {
		t.Fatal(err)
	}
	i2pd := map[string]int{}
	out, _ := sn.cmd("ri", sn.dir).Output()
	for _, line := range strings.Split(string(out), "\n") {
		if fs := strings.Fields(line); len(fs) >= 3 && strings.HasPrefix(fs[0], "r") {
			k, _ := strconv.Atoi(fs[0][1:])
			i2pd[fs[1]] = k
		}
	}
	var intros []string
	for _, a := range r.Addresses {
		if a.Host() != "" {
			t.Fatalf("firewalled, yet our %s address has host %s", a.TransportStyle, a.Host())
		}
		for i := 0; ; i++ {
			ih, ok := a.Get("ih" + strconv.Itoa(i))
			if !ok {
				break
			}
			h, err := data.Base64Decode(ih)
			if err != nil || len(h) != 32 {
				t.Fatalf("ih%d %q", i, ih)
			}
			hash := data.Base64Encode(h)
			k, ok := i2pd[hash]
			if !ok {
				t.Fatalf("introducer %s is not an i2pd router of the net", hash[:8])
			}
			intros = append(intros, fmt.Sprintf("r%d", k))
		}
	}
	t.Logf("our %s introducers: %v", r.Caps(), intros)

	// An i2pd router reaches us through an introducer.
	waitFor(t, 5*time.Minute, "an i2pd Alice introduced to us by an i2pd Bob (relays_charlie)", func() (bool, string) {
		s, err := nd.ssu2Status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return s.Network.RelaysCharlie >= 1, fmt.Sprintf("%+v peers %+v%s", s.Network, s.Peers, nd.peerList())
	})
	t.Logf("introduced %v after start: network %+v, peers %+v%s", time.Since(nodeStart).Round(time.Second), st.Network, st.Peers, nd.peerList())
	// Alice's session came in over SSU2: an inbound SSU2 session (we
	// dial out only to introducers and tunnel hops).
	waitFor(t, 30*time.Second, "an inbound SSU2 session", func() (bool, string) {
		var ps []ssu2PeerEntry
		if err := nd.getJSON("/api/peers", &ps); err != nil {
			return false, err.Error()
		}
		for _, p := range ps {
			if p.Transport == "SSU2" && !p.Outbound {
				return true, ""
			}
		}
		return false, nd.peerList()
	})
}
