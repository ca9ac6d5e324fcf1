package configs

// Importers for the tunnel configurations of the two other I2P routers:
//
//   - Java I2P's i2ptunnel.config and i2ptunnel.config.d/*.config, read as
//     net.i2p.data.DataHelper.loadProps and
//     net.i2p.i2ptunnel.TunnelControllerGroup.loadConfig read them
//     (tunnel.N.key=value lines);
//   - i2pd's tunnels.conf and tunnels.d/*.conf, read as
//     boost::property_tree::read_ini and ClientContext::ReadTunnels
//     (i2pd 2.45.1, libi2pd_client/ClientContext.cpp) read them.
//
// Each returns our `tunnels:` entries plus warnings: everything the source
// says that the entries do not carry is named in a warning, never dropped
// silently. Syntax errors are *Error values naming the file and line.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxImportSize bounds each file an importer reads.
const MaxImportSize = 1 << 20

// maxImportFiles bounds the files ImportPath reads from a directory.
const maxImportFiles = 1000

// ErrUnknownFormat is returned by ImportPath for a file that is neither a
// Java I2P nor an i2pd tunnel configuration.
var ErrUnknownFormat = errors.New("configs: not a Java I2P i2ptunnel.config or an i2pd tunnels.conf")

// ImportJava converts a Java I2P i2ptunnel.config (or one file of
// i2ptunnel.config.d) read from r into tunnel entries. name is the file
// name errors and warnings carry. The error, if any, is an *Error.
func ImportJava(r io.Reader, name string) ([]Tunnel, []string, error) {
	return importOne(r, name, (*importer).parseJava)
}

// ImportI2pd converts an i2pd tunnels.conf (or one file of tunnels.d) read
// from r into tunnel entries. name is the file name errors and warnings
// carry. The error, if any, is an *Error.
func ImportI2pd(r io.Reader, name string) ([]Tunnel, []string, error) {
	return importOne(r, name, (*importer).parseI2pd)
}

func importOne(r io.Reader, name string, parse func(*importer, []byte, string) error) ([]Tunnel, []string, error) {
	data, err := readBounded(r, name)
	if err != nil {
		return nil, nil, err
	}
	im := &importer{}
	if err := parse(im, data, name); err != nil {
		return nil, nil, err
	}
	return im.finish(), im.warns, nil
}

// ImportPath converts the tunnel configuration at path: a Java I2P
// i2ptunnel.config or i2ptunnel.config.d directory, or an i2pd
// tunnels.conf or tunnels.d directory. The format is told by the name
// (*.config is Java's, *.conf i2pd's) or else by the content. A file's
// sibling directory (i2ptunnel.config.d next to i2ptunnel.config,
// tunnels.d next to tunnels.conf) is read too, as the routers do; a
// directory's files are read in name order. Names are made unique over
// all the files.
func ImportPath(path string) ([]Tunnel, []string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("configs: %w", err)
	}
	im := &importer{}
	var files []string
	var format string
	if st.IsDir() {
		format, err = dirFormat(path)
		if err != nil {
			return nil, nil, err
		}
		if files, err = dirFiles(path, format); err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			im.warnf(path, 0, "no *%s files in the directory", formatExt[format])
		}
	} else {
		data, err := readFile(path)
		if err != nil {
			return nil, nil, err
		}
		if format = fileFormat(path, data); format == "" {
			return nil, nil, fmt.Errorf("%w: %s", ErrUnknownFormat, path)
		}
		files = []string{path}
		sib := filepath.Join(filepath.Dir(path), formatDir[format])
		if st, err := os.Stat(sib); err == nil && st.IsDir() {
			more, err := dirFiles(sib, format)
			if err != nil {
				return nil, nil, err
			}
			files = append(files, more...)
		}
	}
	parse := (*importer).parseJava
	if format == formatI2pd {
		parse = (*importer).parseI2pd
	}
	for _, f := range files {
		data, err := readFile(f)
		if err != nil {
			return nil, nil, err
		}
		if err := parse(im, data, f); err != nil {
			return nil, nil, err
		}
	}
	return im.finish(), im.warns, nil
}

// MarshalTunnels returns ts as a YAML document holding only the
// `tunnels:` list, which Parse reads back to the same entries. Keys whose
// value is the loader's default for an entry are left out, except
// enabled, inbound and outbound.
func MarshalTunnels(ts []Tunnel) ([]byte, error) {
	type entry struct {
		Name        string         `yaml:"name"`
		Type        string         `yaml:"type"`
		Listen      string         `yaml:"listen,omitempty"`
		Destination string         `yaml:"destination,omitempty"`
		Target      string         `yaml:"target,omitempty"`
		Hostname    string         `yaml:"hostname,omitempty"`
		Outproxy    string         `yaml:"outproxy,omitempty"`
		Keys        string         `yaml:"keys,omitempty"`
		Inbound     TunnelSettings `yaml:"inbound,flow"`
		Outbound    TunnelSettings `yaml:"outbound,flow"`
		Encrypted   bool           `yaml:"encrypted,omitempty"`
		Enabled     bool           `yaml:"enabled"`
	}
	doc := struct {
		Tunnels []entry `yaml:"tunnels"`
	}{Tunnels: make([]entry, 0, len(ts))}
	for _, t := range ts {
		doc.Tunnels = append(doc.Tunnels, entry{Name: t.Name, Type: t.Type, Listen: t.Listen, Destination: t.Destination,
			Target: t.Target, Hostname: t.Hostname, Outproxy: t.Outproxy, Keys: t.Keys, Inbound: t.Inbound,
			Outbound: t.Outbound, Encrypted: t.Encrypted, Enabled: t.Enabled})
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	return b.Bytes(), nil
}

const (
	formatJava = "java"
	formatI2pd = "i2pd"
)

var (
	formatExt = map[string]string{formatJava: ".config", formatI2pd: ".conf"}
	formatDir = map[string]string{formatJava: "i2ptunnel.config.d", formatI2pd: "tunnels.d"}
)

// fileFormat tells a file's format by its name, then by its first
// meaningful line; "" if neither tells.
func fileFormat(path string, data []byte) string {
	switch {
	case strings.HasSuffix(path, ".config"):
		return formatJava
	case strings.HasSuffix(path, ".conf"):
		return formatI2pd
	}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			return formatI2pd
		case strings.HasPrefix(line, "tunnel."):
			return formatJava
		}
		return ""
	}
	return ""
}

// dirFormat tells a directory's format by its name, then by its files.
func dirFormat(dir string) (string, error) {
	switch filepath.Base(filepath.Clean(dir)) {
	case formatDir[formatJava]:
		return formatJava, nil
	case formatDir[formatI2pd]:
		return formatI2pd, nil
	}
	java, _ := dirFiles(dir, formatJava)
	i2pd, _ := dirFiles(dir, formatI2pd)
	switch {
	case len(java) > 0 && len(i2pd) == 0:
		return formatJava, nil
	case len(i2pd) > 0 && len(java) == 0:
		return formatI2pd, nil
	}
	return "", fmt.Errorf("%w: directory %s holds %d *.config and %d *.conf files", ErrUnknownFormat, dir, len(java), len(i2pd))
}

// dirFiles lists the regular files in dir named *.config (Java) or *.conf
// (i2pd), sorted.
func dirFiles(dir, format string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), formatExt[format]) {
			continue
		}
		if len(out) == maxImportFiles {
			return nil, &Error{File: dir, Msg: fmt.Sprintf("more than %d files", maxImportFiles)}
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	defer f.Close()
	return readBounded(f, path)
}

// readBounded reads r whole, refusing more than MaxImportSize bytes.
func readBounded(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportSize+1))
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if len(data) > MaxImportSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes; not a tunnel configuration", MaxImportSize)}
	}
	return data, nil
}

// lines splits data into lines without their line ends ("\n" or "\r\n").
func lines(data []byte) []string {
	s := strings.Split(string(data), "\n")
	for i := range s {
		s[i] = strings.TrimSuffix(s[i], "\r")
	}
	return s
}

// checkText refuses what our YAML file cannot carry: invalid UTF-8 and
// control characters. Both routers would take such bytes as they are.
func checkText(name string, n int, line string) error {
	if !utf8.ValidString(line) {
		return &Error{File: name, Line: n, Msg: "not valid UTF-8 (both routers read these files as UTF-8)"}
	}
	for _, r := range line {
		if r < ' ' && r != '\t' || r == 0x7f {
			return &Error{File: name, Line: n, Msg: fmt.Sprintf("control character %U", r)}
		}
	}
	return nil
}

// importer collects entries over one or more files.
type importer struct {
	entries []*entry
	warns   []string
	order   []warnKey      // of each of warns
	files   map[string]int // file -> order first seen
	group   int            // line of the tunnel being converted, or 0
}

// warnKey orders the warnings: by file, then by tunnel (the line it
// starts on), then as made.
type warnKey struct{ file, group, seq int }

// entry is one imported tunnel with where it came from.
type entry struct {
	t       Tunnel
	file    string
	line    int
	format  string // formatJava or formatI2pd
	keys    string // the source's keys file, or "" for none (transient)
	keysKey string // the source's key for keys: "privKeyFile" or "keys"
}

func (im *importer) warnf(file string, line int, format string, args ...any) {
	if im.files == nil {
		im.files = map[string]int{}
	}
	if _, ok := im.files[file]; !ok {
		im.files[file] = len(im.files)
	}
	group := im.group
	if group == 0 {
		group = line
	}
	im.order = append(im.order, warnKey{im.files[file], group, len(im.warns)})
	im.warns = append(im.warns, (&Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}).Error())
}

// sortWarnings puts the warnings in file and tunnel order.
func (im *importer) sortWarnings() {
	idx := make([]int, len(im.warns))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := im.order[a], im.order[b]
		if ka.file != kb.file {
			return ka.file - kb.file
		}
		return ka.group - kb.group
	})
	sorted := make([]string, len(idx))
	for i, j := range idx {
		sorted[i] = im.warns[j]
	}
	im.warns = sorted
}

// tunnelWarnf warns about the tunnel named name.
func (im *importer) tunnelWarnf(file string, line int, name, format string, args ...any) {
	im.warnf(file, line, "tunnel %q: %s", name, fmt.Sprintf(format, args...))
}

// prop is a key's value with its line.
type prop struct {
	val  string
	line int
}

// props is one tunnel's keys as read, with typed getters that warn.
type props struct {
	im      *importer
	file    string
	name    string // the tunnel's name, for warnings
	m       map[string]prop
	used    map[string]bool
	dropped []string // keys not converted
}

func (p *props) has(k string) bool { _, ok := p.m[k]; return ok }

// str returns the value of k, marking k as converted.
func (p *props) str(k string) string {
	p.used[k] = true
	return p.m[k].val
}

// ignore marks k as deliberately not carried over, without a warning.
func (p *props) ignore(keys ...string) {
	for _, k := range keys {
		p.used[k] = true
	}
}

// drop marks k, if set, as not converted: it goes into the tunnel's
// "not converted" warning.
func (p *props) drop(k string) {
	if p.has(k) && !p.used[k] {
		p.used[k] = true
		p.dropped = append(p.dropped, k)
	}
}

func (p *props) warnf(k, format string, args ...any) {
	p.im.tunnelWarnf(p.file, p.m[k].line, p.name, "%s: %s", k, fmt.Sprintf(format, args...))
}

// port returns k as a TCP port, or ok false after a warning.
func (p *props) port(k string) (string, bool) {
	v := p.str(k)
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
		p.warnf(k, "%q is not a port number (1..65535); tunnel skipped", v)
		return "", false
	}
	return v, true
}

// setting lays the integer k over *dst, clamped to lo..hi.
func (p *props) setting(k string, dst *int, lo, hi int) {
	if !p.has(k) {
		return
	}
	v := p.str(k)
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		p.warnf(k, "%q is not an integer; kept %d", v, *dst)
	case n < lo || n > hi:
		c := min(max(n, lo), hi)
		p.warnf(k, "%d is outside i2pgo's range %d..%d; set to %d", n, lo, hi, c)
		*dst = c
	default:
		*dst = n
	}
}

// settings reads one direction's pool settings from prefix+"length" and so
// on; backup is "" where the source has no such key.
func (p *props) settings(prefix, variance, backup string, s *TunnelSettings) {
	p.setting(prefix+"length", &s.Length, 1, 7)
	p.setting(prefix+variance, &s.Variance, -3, 3)
	p.setting(prefix+"quantity", &s.Quantity, 1, 16)
	if backup != "" {
		p.setting(prefix+backup, &s.Backup, 0, 16)
	}
}

// leaseSet reads the LeaseSet keys, the same in both formats under
// prefix, into t.Encrypted.
func (p *props) leaseSet(prefix string, t *Tunnel) {
	k := prefix + "i2cp.leaseSetType"
	if p.has(k) {
		switch v := p.str(k); v {
		case "5":
			t.Encrypted = true
		case "1", "3":
		default:
			p.warnf(k, "LeaseSet type %q is not supported (i2pgo publishes type 3, or 5 with encrypted: true); not converted", v)
		}
	}
	var auth []string
	for _, key := range sortedProps(p.m) {
		rest, ok := strings.CutPrefix(key, prefix+"i2cp.")
		if !ok {
			continue
		}
		if rest == "leaseSetAuthType" && p.m[key].val == "0" {
			p.ignore(key)
			continue
		}
		if rest == "leaseSetSecret" || rest == "leaseSetPrivKey" || rest == "leaseSetAuthType" ||
			strings.HasPrefix(rest, "leaseSetClient.") {
			auth = append(auth, key)
			p.ignore(key)
		}
	}
	if len(auth) > 0 {
		p.im.tunnelWarnf(p.file, p.m[auth[0]].line, p.name,
			"encrypted LeaseSet secret or per-client authorization (%s) is NOT converted: configure it again once i2pgo supports it in the tunnels list; until then anyone who knows the b33 address can reach the destination",
			strings.Join(auth, ", "))
	}
}

// finishProps warns about the keys of p that were neither converted nor
// ignored.
func (p *props) finish(line int) {
	var rest []string
	for k := range p.m {
		if !p.used[k] {
			rest = append(rest, k)
		}
	}
	rest = append(rest, p.dropped...)
	if len(rest) == 0 {
		return
	}
	slices.Sort(rest)
	rest = slices.Compact(rest)
	p.im.tunnelWarnf(p.file, line, p.name, "not converted (i2pgo has no such setting): %s", strings.Join(rest, ", "))
}

// parseJava reads one Java file: key=value lines as DataHelper.loadProps
// reads them (a line whose first character is # or ; is a comment, and so
// is anything from a later #; keys and values are trimmed), whose keys
// are tunnel.N.key. It adds the tunnels in the order of N.
func (im *importer) parseJava(data []byte, name string) error {
	byIndex := map[int]map[string]prop{}
	first := map[int]int{}
	for i, line := range lines(data) {
		n := i + 1
		if err := checkText(name, n, line); err != nil {
			return err
		}
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if j := strings.IndexByte(t, '#'); j > 0 {
			t = strings.TrimSpace(t[:j])
		}
		key, val, ok := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return &Error{File: name, Line: n, Msg: fmt.Sprintf("want key=value, got %q", truncate(t))}
		}
		val = strings.TrimSpace(val)
		rest, ok := strings.CutPrefix(key, "tunnel.")
		num, sub, ok2 := strings.Cut(rest, ".")
		idx, err := strconv.Atoi(num)
		if !ok || !ok2 || sub == "" || err != nil || idx < 0 || idx > 99999 || num != strconv.Itoa(idx) {
			im.warnf(name, n, "unknown key %q (want tunnel.N.key); ignored", truncate(key))
			continue
		}
		m := byIndex[idx]
		if m == nil {
			m = map[string]prop{}
			byIndex[idx] = m
			first[idx] = n
		}
		if old, dup := m[sub]; dup {
			im.warnf(name, n, "%s is set again (first on line %d); the last one counts, as in Java I2P", key, old.line)
		}
		m[sub] = prop{val, n}
	}
	idxs := make([]int, 0, len(byIndex))
	for idx := range byIndex {
		idxs = append(idxs, idx)
	}
	slices.Sort(idxs)
	for _, idx := range idxs {
		im.javaTunnel(name, idx, first[idx], byIndex[idx])
	}
	return nil
}

// javaKnown are the tunnel keys outside option.* that TunnelController
// reads, with whether they are ignored without a warning: the
// description, the I2CP address (we have no I2CP hop between tunnels and
// router) and Java's own bookkeeping.
var javaKnown = map[string]bool{
	"name": false, "description": true, "type": false, "interface": false, "listenPort": false,
	"targetDestination": false, "targetHost": false, "targetPort": false, "privKeyFile": false,
	"startOnLoad": false, "spoofedHost": false, "proxyList": false, "sharedClient": false,
	"i2cpHost": true, "i2cpPort": true, "configFile": true, "filterDefinition": false, "i2ptunnel.gzip": false,
}

// javaTunnel converts tunnel number idx, first seen on line, of file.
func (im *importer) javaTunnel(file string, idx, line int, m map[string]prop) {
	im.group = line
	defer func() { im.group = 0 }()
	p := &props{im: im, file: file, name: m["name"].val, m: m, used: map[string]bool{}}
	p.str("name")
	if p.name == "" {
		p.name = "tunnel." + strconv.Itoa(idx)
		im.tunnelWarnf(file, line, p.name, "no name; named %q", p.name)
	}
	for _, k := range sortedProps(m) {
		v := m[k]
		known, ok := javaKnown[k]
		switch {
		case strings.HasPrefix(k, "option."):
		case !ok:
			im.tunnelWarnf(file, v.line, p.name, "unknown key tunnel.%d.%s; ignored", idx, k)
			p.ignore(k)
		case known:
			p.ignore(k)
		}
	}
	p.ignore("option.inbound.nickname", "option.outbound.nickname")

	e := &entry{file: file, line: line, format: formatJava, keysKey: "privKeyFile"}
	t := &e.t
	t.setDefaults()
	t.Name = p.name
	typ := p.str("type")
	client := false
	switch typ {
	case "client", "httpclient", "connectclient", "ircclient", "sockstunnel":
		t.Type, client = typ, true
	case "server", "httpserver", "ircserver":
		t.Type = typ
	case "":
		im.tunnelWarnf(file, line, p.name, "no type; skipped (Java I2P skips it too)")
		return
	case "streamrclient", "streamrserver":
		im.tunnelWarnf(file, m["type"].line, p.name, "type %s (UDP streaming) is not supported by i2pgo; skipped", typ)
		return
	case "httpbidirserver":
		im.tunnelWarnf(file, m["type"].line, p.name, "type httpbidirserver is not supported by i2pgo; skipped (an httpserver and an httpclient tunnel do the same on two destinations)")
		return
	case "socksirctunnel":
		im.tunnelWarnf(file, m["type"].line, p.name, "type socksirctunnel (SOCKS with the IRC filter) is not supported by i2pgo; skipped (a sockstunnel would lose the IRC filter)")
		return
	default:
		im.tunnelWarnf(file, m["type"].line, p.name, "unknown type %q; skipped", typ)
		return
	}

	if client {
		host := p.str("interface")
		if host == "" {
			host = "127.0.0.1" // I2PTunnel's default listen host
		}
		if !p.has("listenPort") {
			im.tunnelWarnf(file, line, p.name, "no listenPort; skipped")
			return
		}
		port, ok := p.port("listenPort")
		if !ok {
			return
		}
		t.Listen = net.JoinHostPort(host, port)
		switch typ {
		case "client", "ircclient":
			dests := splitList(p.str("targetDestination"))
			if len(dests) == 0 {
				im.tunnelWarnf(file, line, p.name, "no targetDestination; skipped")
				return
			}
			t.Destination = dests[0]
			if len(dests) > 1 {
				p.warnf("targetDestination", "i2pgo takes one destination: kept %s, dropped %s", dests[0], strings.Join(dests[1:], ", "))
			}
			im.checkDest(file, m["targetDestination"].line, p.name, t.Destination)
		default:
			p.drop("targetDestination")
			t.Outproxy = strings.Join(splitList(p.str("proxyList")), ",")
		}
		if p.str("option.persistentClientKey") == "true" {
			e.keys = p.str("privKeyFile")
		} else {
			p.ignore("privKeyFile") // Java uses it only with persistentClientKey
		}
		if p.has("sharedClient") && p.str("sharedClient") != "false" {
			p.warnf("sharedClient", "Java I2P runs shared clients on one destination; in i2pgo this tunnel has a destination of its own")
		}
	} else {
		host := p.str("targetHost")
		if host == "" {
			host = "127.0.0.1"
		}
		if !p.has("targetPort") {
			im.tunnelWarnf(file, line, p.name, "no targetPort; skipped")
			return
		}
		port, ok := p.port("targetPort")
		if !ok {
			return
		}
		t.Target = net.JoinHostPort(host, port)
		e.keys = p.str("privKeyFile")
		if e.keys == "" {
			im.tunnelWarnf(file, line, p.name, "no privKeyFile; i2pgo will create new keys")
			e.keys = "(none)"
		}
		if typ == "httpserver" {
			t.Hostname = p.str("spoofedHost")
		}
		if p.has("option.i2cp.enableAccessList") || p.has("option.i2cp.enableBlackList") || p.has("option.i2cp.accessList") ||
			p.has("filterDefinition") {
			p.ignore("option.i2cp.enableAccessList", "option.i2cp.enableBlackList", "option.i2cp.accessList", "filterDefinition")
			im.tunnelWarnf(file, line, p.name, "access list or filter is NOT converted: the imported tunnel accepts streams from every destination")
		}
	}
	if p.has("startOnLoad") {
		t.Enabled = strings.EqualFold(p.str("startOnLoad"), "true") // Boolean.parseBoolean
	}
	p.settings("option.inbound.", "lengthVariance", "backupQuantity", &t.Inbound)
	p.settings("option.outbound.", "lengthVariance", "backupQuantity", &t.Outbound)
	p.leaseSet("option.", t)
	p.finish(line)
	im.entries = append(im.entries, e)
}

// i2pdKnown are the keys ReadTunnels and ReadI2CPOptions read (i2pd
// 2.45.1), plus enabled; groups ending in "." match as prefixes.
var i2pdKnown = []string{
	"type", "address", "port", "destination", "destinationport", "keys", "gzip", "signaturetype", "cryptotype",
	"matchtunnels", "connecttimeout", "keepaliveinterval", "outproxy", "addresshelper", "host", "hostoverride",
	"inport", "accesslist", "whitelist", "webircpassword", "enableuniquelocal", "ssl", "enabled",
	"inbound.", "outbound.", "explicitPeers", "crypto.tagsToSend", "crypto.ratchet.inboundTags",
	"crypto.ratchet.outboundTags", "i2cp.", "latency.min", "latency.max",
	"i2p.streaming.initialAckDelay", "i2p.streaming.answerPings",
}

func i2pdIsKnown(k string) bool {
	for _, w := range i2pdKnown {
		if k == w || strings.HasSuffix(w, ".") && strings.HasPrefix(k, w) {
			return true
		}
	}
	return false
}

// parseI2pd reads one i2pd file as boost::property_tree::read_ini does:
// lines are trimmed; a line starting with ; or # is a comment; [name]
// starts a section; key = value lines belong to the last section. A
// second section of a name, a key set twice in a section, a line with no
// = and a key outside a section make read_ini (and so i2pd) refuse the
// whole file, so they are errors here too.
func (im *importer) parseI2pd(data []byte, name string) error {
	type section struct {
		name string
		line int
		m    map[string]prop
	}
	var secs []*section
	seen := map[string]int{}
	var cur *section
	for i, line := range lines(data) {
		n := i + 1
		if err := checkText(name, n, line); err != nil {
			return err
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == ';' || t[0] == '#':
			continue
		case t[0] == '[':
			end := strings.IndexByte(t, ']')
			if end < 0 {
				return &Error{File: name, Line: n, Msg: "unmatched '['"}
			}
			sn := strings.TrimSpace(t[1:end])
			if first, dup := seen[sn]; dup {
				return &Error{File: name, Line: n, Msg: fmt.Sprintf("duplicate section [%s] (first on line %d); i2pd refuses the file", truncate(sn), first)}
			}
			seen[sn] = n
			cur = &section{name: sn, line: n, m: map[string]prop{}}
			secs = append(secs, cur)
			continue
		}
		key, val, ok := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		switch {
		case !ok:
			return &Error{File: name, Line: n, Msg: fmt.Sprintf("want key = value or [section], got %q", truncate(t))}
		case key == "":
			return &Error{File: name, Line: n, Msg: "key expected before '='"}
		case cur == nil:
			return &Error{File: name, Line: n, Msg: fmt.Sprintf("key %q is outside a [section]; i2pd cannot start such a tunnel", truncate(key))}
		}
		if old, dup := cur.m[key]; dup {
			return &Error{File: name, Line: n, Msg: fmt.Sprintf("duplicate key %q in [%s] (first on line %d); i2pd refuses the file", truncate(key), truncate(cur.name), old.line)}
		}
		cur.m[key] = prop{strings.TrimSpace(val), n}
	}
	for _, s := range secs {
		if len(s.m) == 0 {
			continue // read_ini drops empty sections
		}
		im.i2pdTunnel(name, s.name, s.line, s.m)
	}
	return nil
}

// i2pdTunnel converts the section sec, headed on line, of file.
func (im *importer) i2pdTunnel(file, sec string, line int, m map[string]prop) {
	im.group = line
	defer func() { im.group = 0 }()
	p := &props{im: im, file: file, name: sec, m: m, used: map[string]bool{}}
	for _, k := range sortedProps(m) {
		v := m[k]
		if !i2pdIsKnown(k) {
			im.tunnelWarnf(file, v.line, sec, "unknown key %q; ignored (i2pd ignores it too)", k)
			p.ignore(k)
		}
	}
	p.ignore("inbound.nickname", "outbound.nickname")
	if sec == "" {
		im.warnf(file, line, "section [] has no name; skipped")
		return
	}

	e := &entry{file: file, line: line, format: formatI2pd, keysKey: "keys"}
	t := &e.t
	t.setDefaults()
	// i2pd's pools, unlike Java's and ours, default to 5 tunnels each way.
	t.Inbound.Quantity, t.Outbound.Quantity = 5, 5
	t.Name = sec
	typ := p.str("type")
	client := false
	switch typ {
	case "client":
		t.Type, client = "client", true
	case "httpproxy":
		t.Type, client = "httpclient", true
	case "socks":
		t.Type, client = "sockstunnel", true
	case "server":
		t.Type = "server"
	case "http":
		t.Type = "httpserver"
	case "irc":
		t.Type = "ircserver"
	case "":
		im.tunnelWarnf(file, line, sec, "no type; skipped (i2pd refuses to start)")
		return
	case "udpclient", "udpserver":
		im.tunnelWarnf(file, m["type"].line, sec, "type %s (UDP forwarding) is not supported by i2pgo; skipped", typ)
		return
	case "websocks":
		im.tunnelWarnf(file, m["type"].line, sec, "type websocks is not supported by i2pgo (nor started by i2pd 2.45.1); skipped")
		return
	default:
		im.tunnelWarnf(file, m["type"].line, sec, "unknown type %q; skipped (i2pd skips it too)", typ)
		return
	}

	if !p.has("port") {
		im.tunnelWarnf(file, line, sec, "no port; skipped (i2pd refuses to start)")
		return
	}
	port, ok := p.port("port")
	if !ok {
		return
	}
	if client {
		host := p.str("address")
		if host == "" {
			host = "127.0.0.1"
		}
		t.Listen = net.JoinHostPort(host, port)
		switch typ {
		case "client":
			t.Destination = p.str("destination")
			if t.Destination == "" {
				im.tunnelWarnf(file, line, sec, "no destination; skipped (i2pd refuses to start)")
				return
			}
			if p.has("destinationport") {
				if dp := p.str("destinationport"); dp != "0" {
					if n, err := strconv.Atoi(dp); err != nil || n < 1 || n > 65535 {
						p.warnf("destinationport", "%q is not a port number (1..65535); tunnel skipped", dp)
						return
					}
					t.Destination += ":" + dp
				}
			}
			im.checkDest(file, m["destination"].line, sec, t.Destination)
		case "httpproxy":
			if p.has("outproxy") {
				t.Outproxy = im.i2pdOutproxy(p)
			}
		case "socks":
			if p.has("outproxy") {
				p.str("outproxy")
				p.warnf("outproxy", "an i2pd SOCKS outproxy is an upstream proxy outside I2P (such as Tor), not an I2P outproxy; not converted")
			}
			p.drop("destinationport") // the upstream proxy's port
		}
		keys := p.str("keys")
		if keys != "" && !strings.HasPrefix(keys, "transient") {
			e.keys = keys
		}
	} else {
		host := p.str("host")
		if host == "" {
			im.tunnelWarnf(file, line, sec, "no host; skipped (i2pd refuses to start)")
			return
		}
		t.Target = net.JoinHostPort(host, port)
		switch e.keys = p.str("keys"); {
		case e.keys == "":
			im.tunnelWarnf(file, line, sec, "no keys; i2pgo will create new keys (i2pd refuses to start)")
			e.keys = "(none)"
		case strings.HasPrefix(e.keys, "transient"):
			e.keys = "" // a new destination at every start, as in i2pd
		}
		if typ == "http" {
			t.Hostname = p.str("hostoverride")
		}
		if v := p.str("inport"); v != "" && v != "0" {
			p.warnf("inport", "i2pgo server tunnels take streams to every port; not converted")
		}
		if p.has("accesslist") || p.has("whitelist") {
			p.ignore("accesslist", "whitelist")
			im.tunnelWarnf(file, line, sec, "accesslist is NOT converted: the imported tunnel accepts streams from every destination")
		}
	}
	if p.has("enabled") {
		switch v := p.str("enabled"); v {
		case "true", "1":
		case "false", "0":
			t.Enabled = false
		default:
			p.warnf("enabled", "%q is not true or false; kept true", v)
		}
	}
	p.settings("inbound.", "lengthVariance", "", &t.Inbound)
	p.settings("outbound.", "lengthVariance", "", &t.Outbound)
	p.leaseSet("", t)
	p.finish(line)
	im.entries = append(im.entries, e)
}

// i2pdOutproxy converts an i2pd HTTP proxy's outproxy URL: one on an .i2p
// host is an I2P outproxy; any other is an upstream proxy outside I2P,
// which i2pgo does not have.
func (im *importer) i2pdOutproxy(p *props) string {
	v := p.str("outproxy")
	if v == "" {
		return ""
	}
	raw := v
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw // i2pd assumes http
	}
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "") && strings.HasSuffix(strings.ToLower(u.Hostname()), ".i2p") {
		if u.User != nil {
			p.warnf("outproxy", "the outproxy's user name and password are not converted")
		}
		return u.Host
	}
	p.warnf("outproxy", "%q is an upstream proxy outside I2P, which i2pgo does not have; not converted", v)
	return ""
}

// checkDest warns when a client tunnel's destination is a host name:
// i2pgo client tunnels take a b32.i2p address or a base64 destination.
func (im *importer) checkDest(file string, line int, name, dest string) {
	host := dest
	if h, _, err := net.SplitHostPort(dest); err == nil {
		host = h
	}
	switch lh := strings.ToLower(host); {
	case strings.HasSuffix(lh, ".b32.i2p"):
	case len(host) >= 387 && !strings.Contains(host, "."):
		// A base64 destination (387 characters and more).
	default:
		im.tunnelWarnf(file, line, name, "destination %s is a host name; i2pgo client tunnels need its b32.i2p address or base64 destination: replace it (the address book has it) before starting the tunnel", dest)
	}
}

// finish makes names unique, names the keys files and returns the entries.
func (im *importer) finish() []Tunnel {
	out := make([]Tunnel, 0, len(im.entries))
	names := map[string]bool{}
	keysFiles := map[string]bool{}
	type src struct{ name, where string }
	sharedKeys := map[string]src{} // source keys file -> first tunnel
	var kept []*entry
	defer im.sortWarnings()
	for _, e := range im.entries {
		im.group = e.line
		if dup := slices.IndexFunc(kept, func(k *entry) bool { return k.t == e.t && k.keys == e.keys }); dup >= 0 {
			im.tunnelWarnf(e.file, e.line, e.t.Name, "the same as the tunnel at %s:%d; left out", kept[dup].file, kept[dup].line)
			continue
		}
		kept = append(kept, e)
		t := e.t
		if names[t.Name] {
			base := t.Name
			for i := 2; names[t.Name]; i++ {
				t.Name = base + "-" + strconv.Itoa(i)
			}
			im.tunnelWarnf(e.file, e.line, base, "a tunnel of this name came before; renamed %q", t.Name)
		}
		names[t.Name] = true
		if e.keys != "" {
			base := keysBase(t.Name)
			t.Keys = base + ".keys.json"
			for i := 2; keysFiles[t.Keys]; i++ {
				t.Keys = base + "-" + strconv.Itoa(i) + ".keys.json"
			}
			keysFiles[t.Keys] = true
			router := "Java I2P"
			if e.format == formatI2pd {
				router = "i2pd"
			}
			if e.keys != "(none)" {
				id := e.format + "\x00" + e.keys
				if first, ok := sharedKeys[id]; ok {
					im.tunnelWarnf(e.file, e.line, t.Name, "shares %s %s with tunnel %q (%s), one destination in %s; in i2pgo each has its own", e.keysKey, e.keys, first.name, first.where, router)
				} else {
					sharedKeys[id] = src{t.Name, fmt.Sprintf("%s:%d", e.file, e.line)}
				}
				im.tunnelWarnf(e.file, e.line, t.Name,
					"%s %s is in %s's binary private-key format and is NOT converted: i2pgo will create new keys in %s in the datadir, so the tunnel gets a new destination and a new b32 address (converting the keys is not supported yet)",
					e.keysKey, e.keys, router, t.Keys)
			}
		}
		out = append(out, t)
	}
	im.group = 0
	return out
}

// keysBase turns a tunnel name into a file name: letters, digits, - and _
// kept, every run of other characters a single -.
func keysBase(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-")
	}
	if s == "" {
		s = "tunnel"
	}
	return s
}

// sortedProps returns the keys of m in order.
func sortedProps(m map[string]prop) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// splitList splits a comma-separated list, trimming and dropping empty
// items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// truncate shortens s for an error message.
func truncate(s string) string {
	for i := range s {
		if i >= 60 {
			return s[:i] + "…"
		}
	}
	return s
}
