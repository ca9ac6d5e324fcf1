//go:build interop

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test network: 4 i2pd routers, netid 7, on base port netBase.
var (
	testnetDir = envOr("I2PGO_TESTNET", "../../shared/testnet")
	netDir     = envOr("I2PGO_NETDIR", "/tmp/i2pgo-interop-net")
	netBase    = envOr("I2PGO_NETBASE", "21000")
	netN       = 4
	i2pgoBin   string
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func netCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(testnetDir, "i2pd-net"), args...)
	cmd.Env = append(os.Environ(), "I2PD_NET_BASEPORT="+netBase)
	return cmd
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	abs, err := filepath.Abs(testnetDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	testnetDir = abs
	tmp, err := os.MkdirTemp("", "i2pgo-interop-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	i2pgoBin = filepath.Join(tmp, "i2pgo")
	build := exec.Command("go", "build", "-race", "-o", i2pgoBin, "../cmd/i2pgo")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building i2pgo:", err)
		return 1
	}
	started := false
	if err := netCmd("status", netDir).Run(); err != nil {
		up := netCmd("up", strconv.Itoa(netN), netDir)
		up.Stdout, up.Stderr = os.Stderr, os.Stderr
		if err := up.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "starting the test network:", err)
			netCmd("down", netDir).Run()
			return 1
		}
		started = true
	}
	code := m.Run()
	if started && os.Getenv("I2PGO_KEEP_NET") == "" {
		down := netCmd("destroy", netDir)
		down.Stdout, down.Stderr = os.Stderr, os.Stderr
		down.Run()
	}
	return code
}

// consolePort is i2pd router k's web console port.
func consolePort(k int) int {
	b, _ := strconv.Atoi(netBase)
	return b + 100*k + 70
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

func i2pdPage(t *testing.T, k int, page string) string {
	t.Helper()
	s := strings.ReplaceAll(rawConsolePage(consolePort(k), page), "<br>", "\n")
	s = tagRe.ReplaceAllString(s, " ")
	return strings.ReplaceAll(s, "&#160;", " ")
}

var routersRe = regexp.MustCompile(`Routers:\s*(\d+)`)

// i2pdRouters is the "Routers:" count of router k's console.
func i2pdRouters(t *testing.T, k int) int {
	m := routersRe.FindStringSubmatch(i2pdPage(t, k, ""))
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// node is a running i2pgo process.
type node struct {
	t       *testing.T
	cmd     *exec.Cmd
	dir     string
	config  string
	console string
	log     *syncBuf
	done    chan error
}

type status struct {
	RouterHash string `json:"router_hash"`
	NetID      int    `json:"netid"`
	UptimeS    int64  `json:"uptime_s"`
	Peers      struct {
		NTCP2         int    `json:"ntcp2"`
		SSU2          int    `json:"ssu2"`
		Inbound       int    `json:"inbound"`
		Outbound      int    `json:"outbound"`
		InboundTotal  uint64 `json:"inbound_total"`
		OutboundTotal uint64 `json:"outbound_total"`
	} `json:"peers"`
	NetDB struct {
		Routers            int    `json:"routers"`
		Floodfills         int    `json:"floodfills"`
		LeaseSets          int    `json:"leasesets"`
		StoresAccepted     uint64 `json:"stores_accepted"`
		StoresRefused      uint64 `json:"stores_refused"`
		LookupsAnswered    uint64 `json:"lookups_answered"`
		Flooded            uint64 `json:"flooded"`
		PublishedConfirmed uint64 `json:"published_confirmed"`
	} `json:"netdb"`
	I2NP struct {
		Received  map[string]uint64 `json:"received"`
		Malformed uint64            `json:"malformed"`
	} `json:"i2np"`
}

type peer struct {
	Router   string `json:"router"`
	Outbound bool   `json:"outbound"`
}

// options change a node's config.
type options struct {
	seed      string // reseed file; default the net's seed.zip
	floodfill bool
	minPeers  int // router.minpeers; 0 here means the default (8); -1 means 0
	// routerYAML is more YAML for the router section, each line indented
	// by two spaces.
	routerYAML string
	// topYAML is more YAML at the top level (such as a tunnels list).
	topYAML string
	// bin is the i2pgo binary; empty: the race-detector build.
	bin string
	// freshIdentity: new router keys, not one that an earlier node of
	// this run used (see identities).
	freshIdentity bool
}

// identities are the router keys of nodes that have stopped, with their
// ports, handed to the next nodes. i2pd 2.45.1 never forgets a dead
// router on a net of fewer than 90 (NetDb::SaveUpdated makes every
// unreachable one reachable again each minute) and never counts builds
// that a dead hop left unanswered against it (IsLowReplyRate is
// commented out in Profiling.cpp), so each node of a new identity left
// one more dead hop in every i2pd router's tunnel builds for the rest of
// the run: by the last tests of a full run, i2pd's build success had
// fallen to 6-26 % and its LeaseSets stopped reaching the floodfills. A
// node with an identity from here takes its port too, so the RouterInfo
// the i2pd routers hold stays right; its newer one replaces it.
var identities struct {
	sync.Mutex
	free []identity
	used map[string]bool // keys in use, by contents
}

type identity struct {
	keys []byte // router.keys.json
	port int
}

// takeIdentity puts a free identity into datadir (unless it has keys
// already or fresh is set) and returns the port to run on (the
// identity's, when it is free, else port) and the function that hands
// the identity back once the node has stopped.
func takeIdentity(datadir string, port int, fresh bool) (int, func()) {
	path := filepath.Join(datadir, "router.keys.json")
	identities.Lock()
	defer identities.Unlock()
	if identities.used == nil {
		identities.used = make(map[string]bool)
	}
	if b, err := os.ReadFile(path); err == nil {
		identities.used[string(b)] = true
		identities.free = slices.DeleteFunc(identities.free, func(id identity) bool { return string(id.keys) == string(b) })
	} else if !fresh {
		for i, id := range identities.free {
			if os.MkdirAll(datadir, 0o700) != nil || os.WriteFile(path, id.keys, 0o600) != nil {
				break
			}
			identities.used[string(id.keys)] = true
			identities.free = slices.Delete(identities.free, i, i+1)
			if portFree(id.port) {
				port = id.port
			}
			break
		}
	}
	return port, func() {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		identities.Lock()
		defer identities.Unlock()
		if inUse, known := identities.used[string(b)]; known && !inUse {
			return // handed back already (a node restarted in the same dir)
		}
		identities.used[string(b)] = false
		identities.free = append(identities.free, identity{b, port})
	}
}

// portFree reports whether TCP and UDP port p on 127.0.0.1 can be bound.
func portFree(p int) bool {
	addr := fmt.Sprintf("127.0.0.1:%d", p)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	pc.Close()
	return true
}

// startNode writes a config into dir (kept across restarts) and starts
// i2pgo with it.
func startNode(t *testing.T, dir string, ntcpPort int) *node {
	return startNodeWith(t, dir, ntcpPort, options{})
}

func startNodeWith(t *testing.T, dir string, ntcpPort int, o options) *node {
	t.Helper()
	consoleAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if o.seed == "" {
		o.seed = filepath.Join(netDir, "seed.zip")
	}
	minPeers := 8
	if o.minPeers > 0 {
		minPeers = o.minPeers
	} else if o.minPeers < 0 {
		minPeers = 0
	}
	ntcpPort, release := takeIdentity(filepath.Join(dir, "data"), ntcpPort, o.freshIdentity)
	if !strings.Contains(o.routerYAML, "ssu2:") && !strings.Contains(o.routerYAML, "ntcp2:") {
		// The tests of issues 3..10 were written for NTCP2 sessions and
		// count them; the SSU2 tests (ssu2_test.go) choose their
		// transports themselves.
		o.routerYAML += "  ssu2:\n    enabled: false\n"
	}
	cfg := fmt.Sprintf(`datadir: %s
router:
  netid: 7
  host: 127.0.0.1
  port: %d
  floodfill: %v
  minpeers: %d
%s  reseed:
    urls: []
    file: %s
console:
  listen: %s
log:
  level: info
%s`, filepath.Join(dir, "data"), ntcpPort, o.floodfill, minPeers, o.routerYAML, o.seed, consoleAddr, o.topYAML)
	if !strings.Contains(o.topYAML, "tunnels:") {
		cfg += "tunnels: []\n" // not the default tunnels on 4444, 6668, ...
	}
	cfg += "eepsite:\n  listen: \"\"\n"
	if !strings.Contains(o.topYAML, "sam:") {
		cfg += "sam:\n  enabled: false\n" // several nodes may run at once
	}
	if !strings.Contains(o.topYAML, "i2cp:") {
		cfg += "i2cp:\n  enabled: false\n"
	}
	cfgPath := filepath.Join(dir, "i2pgo.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, dir: dir, config: cfgPath, console: consoleAddr, log: &syncBuf{}, done: make(chan error, 1)}
	bin := i2pgoBin
	if o.bin != "" {
		bin = o.bin
	}
	n.cmd = exec.Command(bin, "-config", cfgPath)
	n.cmd.Stdout = n.log
	n.cmd.Stderr = n.log
	if err := n.cmd.Start(); err != nil {
		release()
		t.Fatal(err)
	}
	go func() { n.done <- n.cmd.Wait() }()
	t.Cleanup(func() {
		n.stop()
		release()
		if t.Failed() {
			t.Logf("i2pgo log:\n%s", n.logString())
			if o.seed == filepath.Join(netDir, "seed.zip") {
				// How the i2pd routers fare (build_rate, known routers).
				out, _ := netCmd("status", netDir).CombinedOutput()
				t.Logf("i2pd-net status:\n%s", out)
			}
		}
	})
	return n
}

// stop sends SIGTERM and waits; it returns the exit error.
func (n *node) stop() error {
	if n.cmd.ProcessState != nil {
		return nil
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-n.done:
		return err
	case <-time.After(20 * time.Second):
		n.cmd.Process.Kill()
		return fmt.Errorf("i2pgo did not stop within 20 s")
	}
}

func (n *node) getJSON(path string, v any) error {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + n.console + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (n *node) status() (status, error) {
	var s status
	err := n.getJSON("/api/status", &s)
	return s, err
}

// waitJoined waits until n has sessions with at least 3 of the test net's
// routers and knows all 4.
func (n *node) waitJoined(t *testing.T, within time.Duration) {
	t.Helper()
	waitFor(t, within, "i2pgo joined the test net", func() (bool, string) {
		s, err := n.status()
		if err != nil {
			return false, err.Error()
		}
		return s.Peers.NTCP2 >= 3 && s.NetDB.Routers >= 4, fmt.Sprintf("%+v", s.Peers)
	})
}

// waitFor polls cond every 500 ms until it returns true or the deadline
// passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v; last state: %s", what, within, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// firstSession finds in the node's log when its first session with the
// router whose hash is given was established.
func (n *node) firstSession(hash string) (time.Time, bool) {
	for _, line := range strings.Split(n.logString(), "\n") {
		if !strings.Contains(line, `msg="session established"`) || !strings.Contains(line, "peer="+hash[:6]) {
			continue
		}
		i := strings.Index(line, "time=")
		if i < 0 {
			continue
		}
		f := strings.Fields(line[i+5:])
		if at, err := time.Parse(time.RFC3339Nano, f[0]); err == nil {
			return at, true
		}
	}
	return time.Time{}, false
}

// syncBuf is a buffer the process writes to while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (n *node) logString() string {
	n.log.mu.Lock()
	defer n.log.mu.Unlock()
	return n.log.b.String()
}

// i2pdServer adds a server tunnel to i2pd router k of the main test net
// (`i2pd-net server DIR K NAME PORT [TYPE] [key=value ...]`) and returns
// its b32 address.
func i2pdServer(k int, name string, port int, args ...string) (string, error) {
	return i2pdServerIn(netCmd, netDir, k, name, port, args...)
}

// i2pdServerIn is i2pdServer on the net in dir, whose commands mk makes.
// i2pd-net re-adds a tunnel whose LeaseSet does not reach a floodfill
// (the LeaseSet race of i2pd 2.45.1, testnet README); on a net whose
// routers build few tunnels it can still give up, so the command is run
// up to twice. A failure carries the tail of i2pd-net's log.
func i2pdServerIn(mk func(...string) *exec.Cmd, dir string, k int, name string, port int, args ...string) (string, error) {
	var errs []string
	for try := 1; try <= 2; try++ {
		c := mk(append([]string{"server", dir, strconv.Itoa(k), name, strconv.Itoa(port)}, args...)...)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		if b32 := strings.TrimSpace(stdout.String()); err == nil && strings.HasSuffix(b32, ".b32.i2p") {
			return b32, nil
		}
		tail := stderr.String()
		if len(tail) > 800 {
			tail = "..." + tail[len(tail)-800:]
		}
		errs = append(errs, fmt.Sprintf("try %d: %v; i2pd-net said: %s", try, err, strings.TrimSpace(tail)))
	}
	return "", fmt.Errorf("i2pd-net server r%d %s: %s", k, name, strings.Join(errs, "\n"))
}
