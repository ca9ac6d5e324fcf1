package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/i2pgo/i2pgo/addressbook"
	"github.com/i2pgo/i2pgo/router"
	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/netdb/reseed"
)

// i2pgo testnet: a private I2P network on 127.0.0.1 in one process.
//
// The routers of the net, all i2pgo routers built by start from a config
// file of their own (DIR/rK/i2pgo.yaml, written anew at every run):
//
//   - r0, the user router: the usual user ports (console, HTTP proxy,
//     SOCKS, IRC, SAM) and the built-in eepsite, whose name (-name) is in
//     r0's address book;
//   - r1..rN: the rest of the net, r1..rF floodfills, each with a console
//     of its own on a port above -base.
//
// With -with-i2pd K, K i2pd routers d1..dK (DIR/dK) join the net as in
// ../shared/testnet: NTCP2 only, reservedrange = false.
//
// Bootstrapping: every i2pgo router is opened once before the net starts,
// which makes its identity and writes datadir/router.info; the RouterInfos
// go into DIR/seed.zip, which is every router's reseed file (i2pd's
// reseed.zipfile). The i2pd routers are not in it: they publish their
// RouterInfos to the floodfills when they connect.

const testnetUsage = `usage: i2pgo testnet [flags]

Runs a private I2P network on 127.0.0.1, in this process: N i2pgo routers
(r1..rN, the first -floodfills of them floodfills) and one more router, r0,
with the usual user ports (console, HTTP proxy, SOCKS, IRC, SAM) and a
built-in eepsite whose name (-name) is in its address book. It needs no
network: no reseed servers, no address book feeds. Ctrl-C stops everything.

Every router has its datadir in DIR/rK (DIR/dK for i2pd routers). Without
-dir, DIR is a temporary directory removed at exit; with -dir, identities
and netDbs are kept across runs. DIR/netid records the network ID: a DIR
made for another -netid is refused.

Ports: the user ports below; router rK listens on BASE+10K+1 (NTCP2) and,
for K > 0, BASE+10K+7 (its console); the eepsite's web server on BASE+8.
i2pd router dJ is router number N+J: NTCP2 BASE+10(N+J)+1, web console +7,
HTTP proxy +4, SOCKS +5, SAM +6, I2CP +3. Every port is checked before
anything starts.

-with-i2pd K takes the i2pd binary from -i2pd, or else from PATH. It
should accept peers on 127.0.0.1 with reservedrange = false: i2pd 2.51.0
or newer, or 2.45.1 (Debian bookworm) with the patch of ../shared/testnet
(bin/i2pd there). Stock 2.45.1 refuses every connection from 127.0.0.1: it
still joins the net by connecting out, but no other router can connect to
it (a warning says so when its log shows it).

Flags:
`

// testnetFlags are the parsed flags of i2pgo testnet.
type testnetFlags struct {
	n, i2pds, netid, base, hops, floodfills int
	dir, i2pd, name                         string
	console, http, socks, irc, sam, samUDP  string
	verbose                                 bool
}

// Limits of the flags.
const (
	testnetMaxRouters = 50
	testnetMaxI2pd    = 20
)

// runTestnet runs "i2pgo testnet" until SIGINT or SIGTERM.
func runTestnet(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return testnet(ctx, args, stdout, stderr)
}

// testnet runs "i2pgo testnet" until ctx is done. Exit codes as run's: 2
// for bad flags or a DIR of another netid, 1 when the net could not start
// (a port in use) or failed.
func testnet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseTestnetFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !errors.Is(err, errFlagParse) {
			fmt.Fprintf(stderr, "i2pgo testnet: %v\n", err)
		}
		return 2
	}
	tn, err := newTestnet(f)
	if err != nil {
		fmt.Fprintf(stderr, "i2pgo testnet: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	defer tn.cleanup()
	if err := tn.prepare(); err != nil {
		fmt.Fprintf(stderr, "i2pgo testnet: %v\n", err)
		return 1
	}
	if err := tn.run(ctx, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "i2pgo testnet: %v\n", err)
		return 1
	}
	return 0
}

// errFlagParse is a flag error that the flag package has printed.
var errFlagParse = errors.New("bad flags")

func parseTestnetFlags(args []string, stderr io.Writer) (testnetFlags, error) {
	var f testnetFlags
	fs := flag.NewFlagSet("i2pgo testnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, testnetUsage)
		fs.PrintDefaults()
	}
	fs.IntVar(&f.n, "n", 5, "i2pgo routers besides the user router, 1.."+strconv.Itoa(testnetMaxRouters))
	fs.StringVar(&f.dir, "dir", "", "keep the routers' datadirs in `DIR` (default: a temporary directory removed at exit)")
	fs.IntVar(&f.netid, "netid", 99, "network ID, 1..254 but not 2 (the public network)")
	fs.IntVar(&f.base, "base", 30000, "first `port` of the routers' ports")
	fs.IntVar(&f.i2pds, "with-i2pd", 0, "i2pd routers to add to the net, 0.."+strconv.Itoa(testnetMaxI2pd))
	fs.StringVar(&f.i2pd, "i2pd", "", "the i2pd binary for -with-i2pd (default: i2pd from PATH)")
	fs.IntVar(&f.floodfills, "floodfills", 0, "floodfills among r1..rN, at most N (default 2, or 1 for -n 1)")
	fs.IntVar(&f.hops, "hops", 0, "hops of every tunnel of the i2pgo routers, 1..7 and at most N (default 2, or 1 for -n 1)")
	fs.StringVar(&f.name, "name", "testnet.i2p", "the built-in eepsite's host name")
	fs.StringVar(&f.console, "console", "127.0.0.1:7657", "the user router's console")
	fs.StringVar(&f.http, "http", "127.0.0.1:4444", "the user router's HTTP proxy")
	fs.StringVar(&f.socks, "socks", "127.0.0.1:4447", "the user router's SOCKS proxy")
	fs.StringVar(&f.irc, "irc", "127.0.0.1:6668", "the user router's IRC tunnel (to irc.postman.i2p, not in the net)")
	fs.StringVar(&f.sam, "sam", "127.0.0.1:7656", "the user router's SAM bridge (TCP)")
	fs.StringVar(&f.samUDP, "sam-udp", "127.0.0.1:7655", "the user router's SAM datagram port (UDP)")
	fs.BoolVar(&f.verbose, "v", false, "log at debug level (the routers log to DIR/*/i2pgo.log)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, err
		}
		return f, errFlagParse
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["floodfills"] {
		f.floodfills = min(2, max(f.n, 1))
	}
	if !set["hops"] {
		f.hops = min(2, max(f.n, 1))
	}
	switch {
	case f.n < 1 || f.n > testnetMaxRouters:
		return f, fmt.Errorf("-n %d: the net needs 1 to %d routers besides the user router", f.n, testnetMaxRouters)
	case f.i2pds < 0 || f.i2pds > testnetMaxI2pd:
		return f, fmt.Errorf("-with-i2pd %d is out of range 0..%d", f.i2pds, testnetMaxI2pd)
	case f.netid < 1 || f.netid > 254:
		return f, fmt.Errorf("-netid %d is out of range 1..254", f.netid)
	case f.netid == 2:
		return f, errors.New("-netid 2 is the public I2P network; a test net needs another")
	case f.floodfills < 1 || f.floodfills > f.n:
		return f, fmt.Errorf("-floodfills %d is out of range 1..%d (-n)", f.floodfills, f.n)
	case f.hops < 1 || f.hops > 7:
		return f, fmt.Errorf("-hops %d is out of range 1..7", f.hops)
	case f.hops > f.n:
		return f, fmt.Errorf("-hops %d: tunnels of %d hops need at least %d other routers; -n is %d", f.hops, f.hops, f.hops, f.n)
	}
	if last := f.base + 10*(f.n+f.i2pds) + 9; f.base < 1024 || last > 65535 {
		return f, fmt.Errorf("-base %d: the routers' ports %d..%d must lie in 1024..65535", f.base, f.base, last)
	}
	if err := addressbook.ValidName(f.name); err != nil {
		return f, fmt.Errorf("-name: %w", err)
	}
	for _, a := range []struct{ flag, addr string }{{"console", f.console}, {"http", f.http}, {"socks", f.socks},
		{"irc", f.irc}, {"sam", f.sam}, {"sam-udp", f.samUDP}} {
		if _, p, err := net.SplitHostPort(a.addr); err != nil || p == "0" {
			return f, fmt.Errorf("-%s %q is not a host:port", a.flag, a.addr)
		}
	}
	return f, nil
}

// testnetRun is one run of the net.
type testnetRun struct {
	f       testnetFlags
	dir     string
	tempDir bool   // dir is ours, removed by cleanup
	i2pdBin string // with f.i2pds > 0

	routers []tnRouter // r0..rN
	i2pds   []tnI2pd   // d1..dK
	site    string     // 127.0.0.1 address of the eepsite's web server
	dest    string     // the eepsite's destination, base64
	b32     string     // and its b32 address
}

type tnRouter struct {
	name      string // r0..rN
	dir       string
	ntcp2     int
	console   string
	floodfill bool
	hash      data.Hash
}

type tnI2pd struct {
	name                                   string // d1..dK
	dir                                    string
	ntcp2, console, http, socks, sam, i2cp int
}

// tnPort is a port to check before the net starts.
type tnPort struct {
	addr, what string
	udp        bool
}

// newTestnet checks the flags against the machine (the i2pd binary, DIR's
// netid, the ports) and lays out the net. It changes nothing on disk but
// the temporary directory it makes when there is no -dir.
func newTestnet(f testnetFlags) (*testnetRun, error) {
	tn := &testnetRun{f: f}
	if f.i2pds > 0 {
		bin := f.i2pd
		if bin == "" {
			bin = "i2pd"
		}
		p, err := exec.LookPath(bin)
		if err != nil {
			return nil, usageError{fmt.Errorf("-with-i2pd %d: no i2pd binary (%v); give -i2pd PATH: i2pd 2.51.0 or newer, or 2.45.1 with the reservedrange patch of ../shared/testnet (stock 2.45.1 refuses connections from 127.0.0.1)", f.i2pds, err)}
		}
		tn.i2pdBin = p
	}
	if f.dir != "" {
		if err := checkTestnetDir(f.dir, f.netid); err != nil {
			return nil, usageError{err}
		}
	}
	b := f.base
	tn.site = "127.0.0.1:" + strconv.Itoa(b+8)
	for k := 0; k <= f.n; k++ {
		r := tnRouter{name: "r" + strconv.Itoa(k), ntcp2: b + 10*k + 1, floodfill: k >= 1 && k <= f.floodfills}
		if k == 0 {
			r.console = f.console
		} else {
			r.console = "127.0.0.1:" + strconv.Itoa(b+10*k+7)
		}
		tn.routers = append(tn.routers, r)
	}
	for j := 1; j <= f.i2pds; j++ {
		p := b + 10*(f.n+j)
		tn.i2pds = append(tn.i2pds, tnI2pd{name: "d" + strconv.Itoa(j), ntcp2: p + 1, console: p + 7, http: p + 4, socks: p + 5, sam: p + 6, i2cp: p + 3})
	}
	if err := checkPorts(tn.ports()); err != nil {
		return nil, err
	}
	if f.dir == "" {
		d, err := os.MkdirTemp("", "i2pgo-testnet-")
		if err != nil {
			return nil, err
		}
		tn.dir, tn.tempDir = d, true
	} else {
		d, err := filepath.Abs(f.dir)
		if err != nil {
			return nil, err
		}
		tn.dir = d
	}
	for k := range tn.routers {
		tn.routers[k].dir = filepath.Join(tn.dir, tn.routers[k].name)
	}
	for j := range tn.i2pds {
		tn.i2pds[j].dir = filepath.Join(tn.dir, tn.i2pds[j].name)
	}
	return tn, nil
}

// testnetNetIDFile is the file in DIR that records the network ID.
const testnetNetIDFile = "netid"

// checkTestnetDir refuses a DIR made for another netid, and a non-empty
// DIR that no testnet made (such as a router's real datadir).
func checkTestnetDir(dir string, netid int) error {
	b, err := os.ReadFile(filepath.Join(dir, testnetNetIDFile))
	if err == nil {
		had, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return fmt.Errorf("-dir %s: %s is corrupt: %q", dir, testnetNetIDFile, b)
		}
		if had != netid {
			return fmt.Errorf("-dir %s holds a test net of netid %d, not %d: give -netid %d, or another -dir", dir, had, netid, had)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("-dir %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-dir %s: %w", dir, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("-dir %s is not empty and has no %s file: it is not a test net's directory", dir, testnetNetIDFile)
	}
	return nil
}

// ports lists every port the net will listen on.
func (tn *testnetRun) ports() []tnPort {
	f := tn.f
	ps := []tnPort{{addr: f.console, what: "the console, -console"}, {addr: f.http, what: "the HTTP proxy, -http"},
		{addr: f.socks, what: "the SOCKS proxy, -socks"}, {addr: f.irc, what: "the IRC tunnel, -irc"},
		{addr: f.sam, what: "SAM, -sam"}, {addr: f.samUDP, what: "SAM datagrams, -sam-udp", udp: true},
		{addr: tn.site, what: "the eepsite's web server, -base+8"}}
	lo := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	for k, r := range tn.routers {
		ps = append(ps, tnPort{addr: lo(r.ntcp2), what: r.name + " NTCP2, -base+" + strconv.Itoa(r.ntcp2-f.base)})
		if k > 0 {
			ps = append(ps, tnPort{addr: r.console, what: r.name + " console"})
		}
	}
	for _, d := range tn.i2pds {
		ps = append(ps, tnPort{addr: lo(d.ntcp2), what: d.name + " (i2pd) NTCP2"}, tnPort{addr: lo(d.console), what: d.name + " (i2pd) web console"},
			tnPort{addr: lo(d.http), what: d.name + " (i2pd) HTTP proxy"}, tnPort{addr: lo(d.socks), what: d.name + " (i2pd) SOCKS"},
			tnPort{addr: lo(d.sam), what: d.name + " (i2pd) SAM"}, tnPort{addr: lo(d.i2cp), what: d.name + " (i2pd) I2CP"})
	}
	return ps
}

// checkPorts binds and releases each port, naming the first in use (or
// asked twice).
func checkPorts(ps []tnPort) error {
	seen := map[string]string{}
	for _, p := range ps {
		key := p.addr
		if p.udp {
			key = "udp " + key
		}
		if w, ok := seen[key]; ok {
			return fmt.Errorf("port %s is asked for twice: %s and %s", p.addr, w, p.what)
		}
		seen[key] = p.what
		var err error
		if p.udp {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp", p.addr); err == nil {
				c.Close()
			}
		} else {
			var ln net.Listener
			if ln, err = net.Listen("tcp", p.addr); err == nil {
				ln.Close()
			}
		}
		if err != nil {
			return fmt.Errorf("port %s (%s) is not free: %w; move it with its flag (or -base for the routers' ports)", p.addr, p.what, err)
		}
	}
	return nil
}

// cleanup removes a temporary DIR.
func (tn *testnetRun) cleanup() {
	if tn.tempDir {
		os.RemoveAll(tn.dir)
	}
}

// prepare writes DIR: the netid file, each router's identity and
// RouterInfo (by opening it once), the seed zip, the eepsite's keys and
// name, and every config file.
func (tn *testnetRun) prepare() error {
	if err := os.MkdirAll(tn.dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tn.dir, testnetNetIDFile), []byte(strconv.Itoa(tn.f.netid)+"\n"), 0o644); err != nil {
		return err
	}
	var seeds [][]byte
	for k := range tn.routers {
		r := &tn.routers[k]
		rt, err := router.New(router.Config{DataDir: r.dir, NetID: tn.f.netid, Host: "127.0.0.1", Port: r.ntcp2, Floodfill: r.floodfill})
		if err != nil {
			return err
		}
		if err := rt.Open(); err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		r.hash = rt.Hash()
		seeds = append(seeds, rt.RouterInfo().Bytes())
		rt.Close()
	}
	hashes := make([]data.Hash, len(tn.routers))
	for k, r := range tn.routers {
		hashes[k] = r.hash
	}
	if err := reseed.WriteZip(tn.seedZip(), hashes, seeds); err != nil {
		return err
	}
	if err := tn.prepareEepsite(); err != nil {
		return err
	}
	for k := range tn.routers {
		if err := os.WriteFile(tn.configPath(k), []byte(tn.config(k)), 0o600); err != nil {
			return err
		}
	}
	for j := range tn.i2pds {
		if err := tn.prepareI2pd(j); err != nil {
			return err
		}
	}
	return nil
}

func (tn *testnetRun) seedZip() string { return filepath.Join(tn.dir, "seed.zip") }

func (tn *testnetRun) configPath(k int) string {
	return filepath.Join(tn.routers[k].dir, "i2pgo.yaml")
}

// eepsiteKeys is the eepsite tunnel's keys file in r0's datadir.
const eepsiteKeys = "eepsite.keys.json"

// prepareEepsite makes (or loads) the eepsite's keys, so that its
// destination is known before r0 starts, and puts its name in r0's local
// address book.
func (tn *testnetRun) prepareEepsite() error {
	r0 := tn.routers[0].dir
	keys, _, err := client.LoadOrCreateKeys(filepath.Join(r0, eepsiteKeys))
	if err != nil {
		return err
	}
	tn.dest = keys.Destination.Base64()
	tn.b32 = data.B32Address(keys.Destination.Hash())
	book, err := addressbook.New(addressbook.Config{Dir: filepath.Join(r0, "addressbook"), Subscriptions: []string{}}, nil, nil)
	if err != nil {
		return err
	}
	if err := book.Load(); err != nil {
		return err
	}
	err = book.AddTo(addressbook.Local, tn.f.name, tn.dest)
	if errors.Is(err, addressbook.ErrConflict) { // the name was given to another destination
		if err = book.Delete(addressbook.Local, tn.f.name); err == nil {
			err = book.AddTo(addressbook.Local, tn.f.name, tn.dest)
		}
	}
	if err != nil {
		return fmt.Errorf("the eepsite's name: %w", err)
	}
	return nil
}

// config is the config file of router k.
func (tn *testnetRun) config(k int) string {
	f, r := tn.f, tn.routers[k]
	level := "info"
	if f.verbose {
		level = "debug"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by i2pgo testnet at every start: router %s of a test net, netid %d.
datadir: %q
router:
  netid: %d
  host: 127.0.0.1
  port: %d
  floodfill: %t
  minpeers: 8
  exploratory:
    inbound:
      length: %d
      quantity: 2
    outbound:
      length: %d
      quantity: 2
  reseed:
    urls: []
    file: %q
console:
  listen: %q
log:
  level: %s
addressbook:
  subscriptions: []
  proxy: ""
i2cp:
  enabled: false
bob:
  enabled: false
`, r.name, f.netid, r.dir, f.netid, r.ntcp2, r.floodfill, f.hops, f.hops, tn.seedZip(), r.console, level)
	if k > 0 {
		b.WriteString("tunnels: []\neepsite:\n  listen: \"\"\nsam:\n  enabled: false\n")
		return b.String()
	}
	fmt.Fprintf(&b, `sam:
  enabled: true
  listen: %q
  udp: %q
eepsite:
  listen: %q
tunnels:
`, f.sam, f.samUDP, tn.site)
	hops := fmt.Sprintf("    inbound:\n      length: %d\n    outbound:\n      length: %d\n", f.hops, f.hops)
	for _, t := range []string{
		fmt.Sprintf("  - name: http\n    type: httpclient\n    listen: %q\n", f.http),
		fmt.Sprintf("  - name: socks\n    type: sockstunnel\n    listen: %q\n", f.socks),
		fmt.Sprintf("  - name: irc\n    type: ircclient\n    listen: %q\n    destination: irc.postman.i2p:6667\n", f.irc),
		fmt.Sprintf("  - name: eepsite\n    type: httpserver\n    target: %q\n    keys: %s\n    hostname: %s\n", tn.site, eepsiteKeys, f.name),
	} {
		b.WriteString(t + hops)
	}
	return b.String()
}

// prepareI2pd writes the config of i2pd router j, as ../shared/testnet's
// i2pd-net does (NTCP2 only: i2pgo has no SSU2), and a hosts.txt with the
// eepsite's name.
func (tn *testnetRun) prepareI2pd(j int) error {
	d := tn.i2pds[j]
	if err := os.MkdirAll(filepath.Join(d.dir, "tunnels.d"), 0o700); err != nil {
		return err
	}
	tunconf := filepath.Join(d.dir, "tunnels.conf")
	if _, err := os.Stat(tunconf); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(tunconf, []byte("# tunnels of "+d.name+" (i2pd tunnels.conf); also see tunnels.d/\n"), 0o644); err != nil {
			return err
		}
	}
	conf := fmt.Sprintf(`# Written by i2pgo testnet at every start: i2pd router %s of a test net, netid %d.
log = file
logfile = %s
loglevel = %s
ipv4 = true
ipv6 = false
host = 127.0.0.1
address4 = 127.0.0.1
nat = false
port = %d
netid = %d
reservedrange = false
floodfill = false
bandwidth = X
notransit = false

[ntcp2]
enabled = true
published = true
port = %d

[ssu2]
enabled = false

[http]
enabled = true
address = 127.0.0.1
port = %d

[httpproxy]
enabled = true
address = 127.0.0.1
port = %d
addresshelper = true
keys = proxy-keys.dat

[socksproxy]
enabled = true
address = 127.0.0.1
port = %d
outproxy.enabled = false
keys = proxy-keys.dat

[sam]
enabled = true
address = 127.0.0.1
port = %d

[bob]
enabled = false

[i2cp]
enabled = true
address = 127.0.0.1
port = %d

[i2pcontrol]
enabled = false

[upnp]
enabled = false

[precomputation]
elgamal = false

[reseed]
verify = false
urls =
yggurls =
zipfile = %s

[addressbook]
# On, with a feed that resolves nowhere: i2pd 2.45.1's SAM crashes with the
# address book off, and exits on an empty URL (../shared/testnet, Quirks).
enabled = true
defaulturl = http://no-subscription.i2p/hosts.txt
subscriptions = http://no-subscription.i2p/hosts.txt

[nettime]
enabled = false

[meshnets]
yggdrasil = false
`, d.name, tn.f.netid, filepath.Join(d.dir, "i2pd.log"), map[bool]string{true: "debug", false: "info"}[tn.f.verbose],
		d.ntcp2, tn.f.netid, d.ntcp2, d.console, d.http, d.socks, d.sam, d.i2cp, tn.seedZip())
	if err := os.WriteFile(filepath.Join(d.dir, "i2pd.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	// i2pd imports datadir/hosts.txt while its address book is empty.
	return os.WriteFile(filepath.Join(d.dir, "hosts.txt"), []byte(tn.f.name+"="+tn.dest+"\n"), 0o644)
}

// run starts every router, prints where to point a browser, reports when
// the eepsite answers, and stops everything when ctx is done or a router
// fails.
func (tn *testnetRun) run(parent context.Context, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	started := time.Now()
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	fail := func(err error) {
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
		cancel(err)
	}
	for k := range tn.routers {
		r := tn.routers[k]
		logf, err := os.OpenFile(filepath.Join(r.dir, "i2pgo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			cancel(err)
			wg.Wait()
			return err
		}
		wg.Go(func() {
			defer logf.Close()
			err := start(ctx, tn.configPath(k), logf)
			for errors.Is(err, errRestart) && ctx.Err() == nil { // the console's restart button
				err = start(ctx, tn.configPath(k), logf)
			}
			switch {
			case err != nil:
				fail(fmt.Errorf("%s: %w (see %s)", r.name, err, logf.Name()))
			case ctx.Err() == nil: // its console's shutdown button
				fmt.Fprintf(stderr, "i2pgo testnet: %s was shut down from its console; stopping the net\n", r.name)
				cancel(errShutdown)
			}
		})
	}
	for j := range tn.i2pds {
		d := tn.i2pds[j]
		cmd, err := tn.startI2pd(d)
		if err != nil {
			fail(fmt.Errorf("%s (i2pd): %w", d.name, err))
			break
		}
		done := make(chan struct{})
		wg.Go(func() {
			err := cmd.Wait()
			close(done)
			if ctx.Err() == nil {
				fail(fmt.Errorf("%s (i2pd) exited: %v (see %s)", d.name, err, filepath.Join(d.dir, "i2pd.log")))
			}
		})
		wg.Go(func() {
			select {
			case <-ctx.Done():
				stopI2pd(cmd, done)
			case <-done:
			}
		})
	}
	waitListening(ctx, tn.f.console, 10*time.Second) // print the summary once it is true
	if ctx.Err() == nil {
		tn.printSummary(stdout)
		wg.Go(func() { tn.watch(ctx, started, stdout) })
	}
	<-ctx.Done()
	if parent.Err() != nil {
		fmt.Fprintf(stderr, "i2pgo testnet: stopping\n")
	}
	wg.Wait()
	errMu.Lock()
	defer errMu.Unlock()
	return errors.Join(errs...)
}

// waitListening waits until addr accepts TCP connections, at most within.
func waitListening(ctx context.Context, addr string, within time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var d net.Dialer
	for ctx.Err() == nil {
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errShutdown ends a run when a router's console shut it down.
var errShutdown = errors.New("shut down from a console")

// startI2pd starts i2pd router d in a process group of its own (so that
// the terminal's Ctrl-C, which makes i2pd wait up to 10 min for its
// transit tunnels, does not reach it); Wait returns once SIGTERM, sent when
// ctx is done, has stopped it, or SIGKILL 15 s later.
func (tn *testnetRun) startI2pd(d tnI2pd) (*exec.Cmd, error) {
	out, err := os.OpenFile(filepath.Join(d.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child has its own copy
	args := []string{"--datadir", d.dir, "--conf", filepath.Join(d.dir, "i2pd.conf"), "--tunconf", filepath.Join(d.dir, "tunnels.conf"),
		"--tunnelsdir", filepath.Join(d.dir, "tunnels.d"), "--pidfile", filepath.Join(d.dir, "i2pd.pid")}
	if st, err := os.Stat("/usr/share/i2pd/certificates"); err == nil && st.IsDir() {
		args = append(args, "--certsdir", "/usr/share/i2pd/certificates")
	}
	cmd := exec.Command(tn.i2pdBin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// stopI2pd sends SIGTERM, and SIGKILL if the process is not done 15 s
// later.
func stopI2pd(cmd *exec.Cmd, done <-chan struct{}) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
	}
}

func (tn *testnetRun) printSummary(w io.Writer) {
	f := tn.f
	where := tn.dir + " (removed at exit; -dir keeps it)"
	if !tn.tempDir {
		where = tn.dir
	}
	ffs := make([]string, 0, f.floodfills)
	for _, r := range tn.routers[1 : f.floodfills+1] {
		ffs = append(ffs, r.name)
	}
	span := func(p string, n int) string {
		if n == 1 {
			return p + "1"
		}
		return fmt.Sprintf("%s1..%s%d", p, p, n)
	}
	fmt.Fprintf(w, "i2pgo testnet: %d i2pgo routers (%s; floodfills %s) and the user router r0", f.n, span("r", f.n), strings.Join(ffs, ", "))
	if f.i2pds > 0 {
		fmt.Fprintf(w, ", %d i2pd routers (%s)", f.i2pds, span("d", f.i2pds))
	}
	fmt.Fprintf(w, ", netid %d, on 127.0.0.1, in %s\n\n", f.netid, where)
	fmt.Fprintf(w, "  console      http://%s/\n", f.console)
	fmt.Fprintf(w, "  HTTP proxy   %s    try: curl -x http://%s http://%s/\n", f.http, f.http, f.name)
	fmt.Fprintf(w, "  SOCKS        %s\n", f.socks)
	fmt.Fprintf(w, "  IRC          %s (to irc.postman.i2p, which this net does not have)\n", f.irc)
	fmt.Fprintf(w, "  SAM          %s (datagrams: UDP %s)\n", f.sam, f.samUDP)
	fmt.Fprintf(w, "  eepsite      http://%s/ = http://%s/\n", f.name, tn.b32)
	fmt.Fprintf(w, "               its files: %s; its web server: http://%s/\n", filepath.Join(tn.routers[0].dir, "eepsite", "docroot"), tn.site)
	for _, r := range tn.routers[1:] {
		ff := ""
		if r.floodfill {
			ff = ", floodfill"
		}
		fmt.Fprintf(w, "  %-12s NTCP2 127.0.0.1:%d, console http://%s/%s\n", r.name, r.ntcp2, r.console, ff)
	}
	for _, d := range tn.i2pds {
		fmt.Fprintf(w, "  %-12s i2pd: NTCP2 127.0.0.1:%d, console http://127.0.0.1:%d/, HTTP proxy 127.0.0.1:%d, SOCKS 127.0.0.1:%d, SAM 127.0.0.1:%d\n",
			d.name, d.ntcp2, d.console, d.http, d.socks, d.sam)
	}
	fmt.Fprintf(w, "  logs         %s\n\n", filepath.Join(tn.dir, "*", "*.log"))
	fmt.Fprintf(w, "Ctrl-C stops everything. The eepsite answers once the tunnels are built (10 to 30 s); a line below says when.\n")
}

// watch polls the eepsite through r0's HTTP proxy (by name) and through
// each i2pd router's (by name, from its hosts.txt, or else by b32) and
// prints when each first answers, until ctx is done. It warns about an
// i2pd that refuses connections from 127.0.0.1.
func (tn *testnetRun) watch(ctx context.Context, started time.Time, w io.Writer) {
	type path struct {
		via, proxy string
		hosts      []string
		i2pdLog    string
	}
	paths := []path{{via: "r0's HTTP proxy " + tn.f.http, proxy: tn.f.http, hosts: []string{tn.f.name}}}
	for _, d := range tn.i2pds {
		paths = append(paths, path{via: d.name + "'s (i2pd) HTTP proxy 127.0.0.1:" + strconv.Itoa(d.http), proxy: "127.0.0.1:" + strconv.Itoa(d.http),
			hosts: []string{tn.f.name, tn.b32}, i2pdLog: filepath.Join(d.dir, "i2pd.log")})
	}
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Go(func() {
			warned := false
			for ctx.Err() == nil {
				for _, h := range p.hosts {
					if err := fetchVia(ctx, p.proxy, h); err == nil {
						fmt.Fprintf(w, "i2pgo testnet: http://%s/ answered through %s %.1f s after start\n", h, p.via, time.Since(started).Seconds())
						return
					}
				}
				if p.i2pdLog != "" && !warned {
					if b, err := os.ReadFile(p.i2pdLog); err == nil && strings.Contains(string(b), "Incoming connection from invalid IP 127.0.0.1") {
						fmt.Fprintf(w, "i2pgo testnet: warning: this i2pd refuses connections from 127.0.0.1 (%s): it joins by connecting out, but no router can connect to it; i2pd 2.51.0 or newer, or 2.45.1 with ../shared/testnet's patch, accepts them\n", p.i2pdLog)
						warned = true
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		})
	}
	wg.Wait()
}

// fetchVia gets http://host/ through the HTTP proxy at proxy and wants a
// 200.
func fetchVia(ctx context.Context, proxy, host string) error {
	pu := &url.URL{Scheme: "http", Host: proxy}
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true}, Timeout: 10 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}
