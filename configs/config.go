package configs

import (
	_ "embed"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed i2pgo.yaml
var defaultYAML []byte

// DefaultName is the file name errors in the embedded defaults carry.
const DefaultName = "i2pgo.yaml (built in)"

// File is the whole configuration file. Its yaml tags are the file's keys,
// a public contract: see i2pgo.yaml for what each one means.
type File struct {
	// Datadir is the data directory as written, possibly starting with ~.
	// Use the DataDir method for the expanded path.
	Datadir string  `yaml:"datadir"`
	Router  Router  `yaml:"router"`
	Console Console `yaml:"console"`
	Log     Log     `yaml:"log"`
	// Tunnels are the I2PTunnel tunnels.
	Tunnels []Tunnel `yaml:"tunnels"`
	Eepsite Eepsite  `yaml:"eepsite"`
	// Addressbook is the hosts.txt address book.
	Addressbook Addressbook `yaml:"addressbook"`
	SAM         SAM         `yaml:"sam"`
	I2CP        Bridge      `yaml:"i2cp"`
	BOB         Bridge      `yaml:"bob"`
}

// Bridge is the "i2cp" and "bob" sections (a public contract): a client
// protocol server on one TCP address.
type Bridge struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"` // TCP host:port
}

// SAM is the "sam" section: the SAM v3 bridge (a public contract).
type SAM struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"` // TCP host:port of the control sockets
	UDP     string `yaml:"udp"`    // UDP host:port for datagrams
}

// Addressbook is the "addressbook" section (a public contract).
type Addressbook struct {
	// Subscriptions are the hosts.txt feeds, http:// URLs of .i2p sites.
	Subscriptions []string `yaml:"subscriptions"`
	// Interval between fetches, a Go duration such as 12h.
	Interval string `yaml:"interval"`
	// Proxy is the HTTP proxy the feeds are fetched through, host:port
	// (our own httpclient tunnel); empty: no fetching.
	Proxy string `yaml:"proxy"`
	// Publish serves the published book (local names, then the router
	// book's) as /hosts.txt of the built-in eepsite, so that others can
	// subscribe to it.
	Publish bool `yaml:"publish"`
}

// IntervalDuration is Interval parsed (Validate has checked it).
func (a Addressbook) IntervalDuration() time.Duration {
	d, _ := time.ParseDuration(a.Interval)
	return d
}

// Eepsite is the "eepsite" section: the built-in static web server that
// the default "eepsite" httpserver tunnel publishes.
type Eepsite struct {
	Listen string `yaml:"listen"` // host:port; empty: no built-in server
}

// Tunnel is one entry of the "tunnels" list (a public contract). Keys an
// entry leaves out take the defaults of setDefaults.
type Tunnel struct {
	Name        string         `yaml:"name"`
	Type        string         `yaml:"type"`        // client or server
	Listen      string         `yaml:"listen"`      // client: local host:port
	Destination string         `yaml:"destination"` // client: b32 or base64, optional :port
	Target      string         `yaml:"target"`      // server: local host:port
	Keys        string         `yaml:"keys"`        // keys file in datadir; empty: transient
	Inbound     TunnelSettings `yaml:"inbound"`
	Outbound    TunnelSettings `yaml:"outbound"`
	Encrypted   bool           `yaml:"encrypted"` // publish an encrypted LeaseSet (b33 address)
	Hostname    string         `yaml:"hostname"`  // httpserver: the site's host name, such as mysite.i2p
	Outproxy    string         `yaml:"outproxy"`  // httpclient, connectclient, sockstunnel: outproxy host names
	// WebIRCPassword makes an ircserver tunnel announce each client to the
	// ircd with WEBIRC, its b32 as the host name.
	WebIRCPassword string `yaml:"webircpassword"`
	Enabled        bool   `yaml:"enabled"`
}

// setDefaults fills an entry before its keys are read: enabled, 3 hops
// and 2 tunnels each way, as Java I2P's and i2pd's client tunnels.
func (t *Tunnel) setDefaults() {
	t.Enabled = true
	t.Inbound = TunnelSettings{Length: 3, Quantity: 2}
	t.Outbound = TunnelSettings{Length: 3, Quantity: 2}
}

// Router is the "router" section.
type Router struct {
	NetID     int    `yaml:"netid"`     // 1..254; 2 is the public network
	Host      string `yaml:"host"`      // IPv4 address to publish for NTCP2, or empty
	Port      int    `yaml:"port"`      // NTCP2 TCP port; 0 = pick one at first start
	Floodfill bool   `yaml:"floodfill"` // serve as a floodfill
	Bandwidth int    `yaml:"bandwidth"` // KB/s each way, > 0
	MinPeers  int    `yaml:"minpeers"`  // sessions kept open without a need for them; 0 = none
	Reseed    Reseed `yaml:"reseed"`
	// Exploratory are the exploratory tunnel pool's settings.
	Exploratory Exploratory `yaml:"exploratory"`
	// LongBuilds builds our tunnels with long (VariableTunnelBuild)
	// records even through routers that take short ones.
	LongBuilds bool `yaml:"longbuilds"`
	// NTCP2 and SSU2 are the transports; router.port serves both (TCP
	// and UDP).
	NTCP2 NTCP2 `yaml:"ntcp2"`
	SSU2  SSU2  `yaml:"ssu2"`
	// Firewalled: treat the router as unreachable whatever peer tests
	// find (behind a NAT or firewall that lets nothing in): publish no
	// host and be reached through SSU2 introducers.
	Firewalled bool `yaml:"firewalled"`
}

// NTCP2 is the "router.ntcp2" section.
type NTCP2 struct {
	Enabled bool `yaml:"enabled"` // publish and dial NTCP2
}

// SSU2 is the "router.ssu2" section.
type SSU2 struct {
	Enabled bool `yaml:"enabled"` // publish and dial SSU2 (UDP)
	MTU     int  `yaml:"mtu"`     // published path MTU, 1280..1500
}

// Exploratory is the "router.exploratory" section.
type Exploratory struct {
	Inbound  TunnelSettings `yaml:"inbound"`
	Outbound TunnelSettings `yaml:"outbound"`
}

// TunnelSettings are one direction of a tunnel pool.
type TunnelSettings struct {
	Length   int `yaml:"length"`   // hops, 1..7
	Variance int `yaml:"variance"` // -3..3
	Quantity int `yaml:"quantity"` // tunnels, 1..16
	Backup   int `yaml:"backup"`   // extra tunnels kept ready, 0..16
}

// problems of one direction's settings under key (such as
// "router.exploratory.inbound").
func (s TunnelSettings) problems(key string, bad func(key, format string, args ...any)) {
	if s.Length < 1 || s.Length > 7 {
		bad(key+".length", "%d is out of range 1..7", s.Length)
	}
	if s.Variance < -3 || s.Variance > 3 {
		bad(key+".variance", "%d is out of range -3..3", s.Variance)
	}
	if s.Quantity < 1 || s.Quantity > 16 {
		bad(key+".quantity", "%d is out of range 1..16", s.Quantity)
	}
	if s.Backup < 0 || s.Backup > 16 {
		bad(key+".backup", "%d is out of range 0..16", s.Backup)
	}
}

// Reseed is the "router.reseed" section.
type Reseed struct {
	URLs []string `yaml:"urls"` // https:// reseed server base URLs
	File string   `yaml:"file"` // local su3 or zip file, or empty
}

// Console is the "console" section.
type Console struct {
	Listen string `yaml:"listen"` // host:port
	// Password is a bcrypt hash; when set the console asks for it (HTTP
	// Basic, any user name). Required to listen on a non-loopback address.
	Password string `yaml:"password"`
}

// Log is the "log" section.
type Log struct {
	Level string `yaml:"level"` // debug, info, warn or error
}

// Error is one problem in a configuration file.
type Error struct {
	File string // the name given to Parse, or the path given to Load; empty from Validate
	Line int    // 1-based line in File; 0 if unknown
	Key  string // dotted key path such as "router.netid", with [i] for list items; may be empty
	Msg  string
}

// Error formats e as "file:line: key: msg", leaving out the parts that are
// unknown.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "configs: line %d: ", e.Line)
	default:
		b.WriteString("configs: ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Default returns the built-in configuration, parsed from the embedded
// i2pgo.yaml, validated. An error means the embedded file is broken, or
// that its datadir cannot be expanded because $HOME is unset.
func Default() (File, error) {
	var f File
	lines, err := decode(&f, defaultYAML, DefaultName, true)
	if err != nil {
		return File{}, err
	}
	if err := check(&f, DefaultName, lines); err != nil {
		return File{}, err
	}
	return f, nil
}

// Load reads the YAML file at path and returns the defaults overlaid with
// it, validated. An empty path returns the defaults.
func Load(path string) (File, error) {
	if path == "" {
		return Default()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("configs: %w", err)
	}
	return Parse(data, path)
}

// Parse returns the defaults overlaid with the YAML document in data,
// validated. Keys absent from data keep their defaults; a key present with
// no value (null) does too. name is the file name errors carry. The error,
// if any, is an *Error or an errors.Join of several (use errors.As), each
// naming the line and key at fault. The defaults themselves are validated
// only as overlaid, so a user file can repair them (a datadir that needs
// an unset $HOME, say).
func Parse(data []byte, name string) (File, error) {
	var f File
	if _, err := decode(&f, defaultYAML, DefaultName, true); err != nil {
		return File{}, err
	}
	lines, err := decode(&f, data, name, false)
	if err != nil {
		return File{}, err
	}
	if err := check(&f, name, lines); err != nil {
		return File{}, err
	}
	return f, nil
}

// Validate checks every value in f. Its errors name the key but, unlike
// those from Parse, no file or line.
func (f *File) Validate() error {
	var errs []error
	for _, p := range f.problems() {
		errs = append(errs, &Error{Key: p.key, Msg: p.msg})
	}
	return join(errs)
}

// DataDir returns the data directory with a leading ~ replaced by the
// user's home directory. If the home directory is unknown, which Validate
// reports, the path is returned as written.
func (f File) DataDir() string {
	p, _ := expandHome(f.Datadir)
	return p
}

// SlogLevel returns the slog level named by l.Level, and slog.LevelInfo
// for a level Validate would reject.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// expandHome replaces a leading "~" path element with the home directory.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p, err
	}
	return filepath.Join(home, p[1:]), nil
}

// problem is a bad value, found by problems.
type problem struct {
	key string // dotted path, possibly ending in [i]
	msg string
}

// problems returns every bad value in f, in file order.
func (f *File) problems() []problem {
	var ps []problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, problem{key, fmt.Sprintf(format, args...)})
	}

	switch {
	case f.Datadir == "":
		bad("datadir", "must not be empty")
	case strings.HasPrefix(f.Datadir, "~"):
		if p, err := expandHome(f.Datadir); err != nil {
			bad("datadir", "cannot expand ~: %v", err)
		} else if p == f.Datadir {
			bad("datadir", "%q: only ~ and ~/ are expanded, not ~user", f.Datadir)
		}
	}

	r := &f.Router
	if r.NetID < 1 || r.NetID > 254 {
		bad("router.netid", "%d is out of range 1..254", r.NetID)
	}
	if r.Host != "" {
		switch ip, err := netip.ParseAddr(r.Host); {
		case err != nil || !ip.Is4():
			bad("router.host", "%q is not an IPv4 address", r.Host)
		case ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			bad("router.host", "%s cannot be published as a router address", ip)
		}
	}
	if r.Port < 0 || r.Port > 65535 {
		bad("router.port", "%d is out of range 0..65535", r.Port)
	}
	if r.MinPeers < 0 || r.MinPeers > 1000 {
		bad("router.minpeers", "%d is out of range 0..1000", r.MinPeers)
	}
	r.Exploratory.Inbound.problems("router.exploratory.inbound", bad)
	r.Exploratory.Outbound.problems("router.exploratory.outbound", bad)
	if r.Bandwidth <= 0 {
		bad("router.bandwidth", "%d must be greater than 0", r.Bandwidth)
	}
	if !r.NTCP2.Enabled && !r.SSU2.Enabled {
		bad("router.ssu2.enabled", "NTCP2 and SSU2 are both off: the router could not talk to anyone")
	}
	if r.Firewalled && !r.SSU2.Enabled {
		bad("router.firewalled", "a firewalled router is reached only through SSU2 introducers: turn router.ssu2.enabled on")
	}
	if r.SSU2.MTU < 1280 || r.SSU2.MTU > 1500 {
		bad("router.ssu2.mtu", "%d is out of range 1280..1500", r.SSU2.MTU)
	}
	for i, s := range r.Reseed.URLs {
		key := "router.reseed.urls[" + strconv.Itoa(i) + "]"
		u, err := url.Parse(s)
		switch {
		case err != nil:
			bad(key, "%q is not a URL", s)
		case u.Scheme != "https":
			bad(key, "%q is not an https:// URL", s)
		case u.Host == "" || u.Hostname() == "":
			bad(key, "%q has no host", s)
		case u.User != nil:
			bad(key, "%q must not carry a user name or password", s)
		}
	}

	names := map[string]bool{}
	for i, t := range f.Tunnels {
		key := "tunnels[" + strconv.Itoa(i) + "]"
		switch {
		case t.Name == "":
			bad(key+".name", "a tunnel needs a name")
		case names[t.Name]:
			bad(key+".name", "%q names two tunnels", t.Name)
		}
		names[t.Name] = true
		switch t.Type {
		case "client", "httpclient", "connectclient", "ircclient", "sockstunnel":
			if msg := checkListen(t.Listen); msg != "" {
				bad(key+".listen", "%s", msg)
			}
			if (t.Type == "client" || t.Type == "ircclient") && t.Destination == "" {
				bad(key+".destination", "a %s tunnel needs a destination (a b32.i2p address or a base64 destination)", t.Type)
			}
		case "server", "httpserver", "ircserver":
			if _, _, err := net.SplitHostPort(t.Target); err != nil || t.Target == "" {
				bad(key+".target", "%q is not a host:port", t.Target)
			}
		default:
			bad(key+".type", "%q is not one of client, server, httpclient, connectclient, ircclient, ircserver, sockstunnel, httpserver", t.Type)
		}
		if t.Hostname != "" && t.Type != "httpserver" {
			bad(key+".hostname", "only an httpserver tunnel has a hostname")
		}
		if t.WebIRCPassword != "" && t.Type != "ircserver" {
			bad(key+".webircpassword", "only an ircserver tunnel has a WEBIRC password")
		}
		if t.Outproxy != "" && t.Type != "httpclient" && t.Type != "connectclient" && t.Type != "sockstunnel" {
			bad(key+".outproxy", "only httpclient, connectclient and sockstunnel tunnels have an outproxy")
		}
		if strings.Contains(t.Keys, "..") {
			bad(key+".keys", "%q must not leave the datadir", t.Keys)
		}
		t.Inbound.problems(key+".inbound", bad)
		t.Outbound.problems(key+".outbound", bad)
	}

	if d, err := time.ParseDuration(f.Addressbook.Interval); err != nil || d < time.Hour {
		bad("addressbook.interval", "%q is not a duration of at least 1h (such as 12h)", f.Addressbook.Interval)
	}
	if f.Addressbook.Proxy != "" {
		if msg := checkListen(f.Addressbook.Proxy); msg != "" {
			bad("addressbook.proxy", "%s", msg)
		}
	}
	for i, s := range f.Addressbook.Subscriptions {
		if u, err := url.Parse(s); err != nil || u.Scheme != "http" || !strings.HasSuffix(u.Hostname(), ".i2p") {
			bad("addressbook.subscriptions["+strconv.Itoa(i)+"]", "%q is not an http:// URL of an .i2p site", s)
		}
	}
	if f.SAM.Enabled {
		if msg := checkListen(f.SAM.Listen); msg != "" {
			bad("sam.listen", "%s", msg)
		}
		if msg := checkListen(f.SAM.UDP); msg != "" {
			bad("sam.udp", "%s", msg)
		}
	}
	if f.I2CP.Enabled {
		if msg := checkListen(f.I2CP.Listen); msg != "" {
			bad("i2cp.listen", "%s", msg)
		}
	}
	if f.BOB.Enabled {
		if msg := checkListen(f.BOB.Listen); msg != "" {
			bad("bob.listen", "%s", msg)
		}
	}
	if f.Eepsite.Listen != "" {
		if msg := checkListen(f.Eepsite.Listen); msg != "" {
			bad("eepsite.listen", "%s", msg)
		}
	}

	if msg := checkListen(f.Console.Listen); msg != "" {
		bad("console.listen", "%s", msg)
	}

	switch f.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", f.Log.Level)
	}
	return ps
}

// checkListen returns what is wrong with a host:port listen address, or "".
func checkListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not host:port", s)
	}
	if host == "" {
		return fmt.Sprintf("%q has no host; write 127.0.0.1%s, or 0.0.0.0%s to listen on every interface", s, s, s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q: port %q is not a number in 1..65535", s, port)
	}
	return ""
}
