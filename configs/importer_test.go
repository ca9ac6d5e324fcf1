package configs

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the importer's testdata/import/*.golden files")

// importText is what the golden files hold: the YAML, then the warnings.
func importText(t *testing.T, ts []Tunnel, warns []string) []byte {
	t.Helper()
	out, err := MarshalTunnels(ts)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, "# warnings:\n"...)
	for _, w := range warns {
		out = append(out, "# "+w+"\n"...)
	}
	return out
}

func TestImportGolden(t *testing.T) {
	for _, c := range []struct{ in, golden string }{
		{"java/i2ptunnel.config", "java.golden"},
		{"i2pd/tunnels.conf", "i2pd.golden"},
	} {
		t.Run(c.in, func(t *testing.T) {
			ts, warns, err := ImportPath(filepath.Join("testdata", "import", c.in))
			if err != nil {
				t.Fatal(err)
			}
			got := importText(t, ts, warns)
			golden := filepath.Join("testdata", "import", c.golden)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("ImportPath(%s) differs from %s (run with -update to see how):\n%s", c.in, golden, got)
			}
			checkRoundTrip(t, ts)
		})
	}
}

// checkRoundTrip checks that MarshalTunnels(ts) reads back to ts: through
// the loader's decoder for every entry, and through Parse (decoding and
// validation) for the types Parse accepts.
func checkRoundTrip(t *testing.T, ts []Tunnel) {
	t.Helper()
	out, err := MarshalTunnels(ts)
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if _, err := decode(&f, out, "out.yaml", false); err != nil {
		t.Fatalf("decode of\n%s: %v", out, err)
	}
	if len(f.Tunnels) != len(ts) || len(ts) > 0 && !reflect.DeepEqual(f.Tunnels, ts) {
		t.Fatalf("decode of\n%s = %+v,\nwant %+v", out, f.Tunnels, ts)
	}

	var plain []Tunnel
	for _, tun := range ts {
		if tun.Type == "client" || tun.Type == "server" {
			plain = append(plain, tun)
		}
	}
	out, err = MarshalTunnels(plain)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", "/home/test")
	got, err := Parse(out, "out.yaml")
	if err != nil {
		t.Fatalf("Parse of\n%s: %v", out, err)
	}
	if len(got.Tunnels) != len(plain) || len(plain) > 0 && !reflect.DeepEqual(got.Tunnels, plain) {
		t.Fatalf("Parse of\n%s = %+v,\nwant %+v", out, got.Tunnels, plain)
	}
}

func find(t *testing.T, ts []Tunnel, name string) Tunnel {
	t.Helper()
	for _, tun := range ts {
		if tun.Name == name {
			return tun
		}
	}
	t.Fatalf("no tunnel %q in %+v", name, ts)
	return Tunnel{}
}

// hasWarning reports whether one warning holds every part.
func hasWarning(warns []string, parts ...string) bool {
	for _, w := range warns {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(w, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestImportJavaDefault(t *testing.T) {
	ts, warns, err := ImportPath("testdata/import/java/i2ptunnel.config")
	if err != nil {
		t.Fatal(err)
	}
	std := TunnelSettings{Length: 3, Quantity: 2}
	for _, want := range []Tunnel{
		{Name: "I2P HTTP Proxy", Type: "httpclient", Listen: "127.0.0.1:4444", Outproxy: "false.i2p", Inbound: std, Outbound: std, Enabled: true},
		{Name: "Irc2P", Type: "ircclient", Listen: "127.0.0.1:6668", Destination: "irc.00.i2p:6667", Inbound: std, Outbound: std, Enabled: true},
		{Name: "mtn.i2p-projekt.i2p", Type: "client", Listen: "127.0.0.1:8998", Destination: "mtn.i2p-projekt.i2p:4691", Inbound: std, Outbound: std},
		{Name: "I2P webserver", Type: "httpserver", Target: "127.0.0.1:7658", Hostname: "mysite.i2p", Keys: "I2P-webserver.keys.json", Inbound: std, Outbound: std},
		{Name: "smtp.postman.i2p", Type: "client", Listen: "127.0.0.1:7659", Destination: "smtp.postman.i2p:25", Inbound: std, Outbound: std, Enabled: true},
		{Name: "I2P HTTPS Proxy", Type: "connectclient", Listen: "127.0.0.1:4445", Outproxy: "outproxy-tor.meeh.i2p", Inbound: std, Outbound: std, Enabled: true},
		// From i2ptunnel.config.d:
		{Name: "git ssh", Type: "client", Listen: "127.0.0.1:7670", Destination: "vsd2vtgtuua5gq7wfihcehrd5p7hfoheonjb4dqwpqtzxbxqtdta.b32.i2p:22",
			Keys: "git-ssh.keys.json", Inbound: TunnelSettings{Length: 2, Quantity: 3, Backup: 1}, Outbound: TunnelSettings{Length: 1, Variance: 1, Quantity: 2}, Enabled: true},
		{Name: "hidden", Type: "server", Target: "[::1]:2222", Keys: "hidden.keys.json", Inbound: std, Outbound: std, Encrypted: true, Enabled: true},
		{Name: "Irc2P-2", Type: "ircclient", Listen: "127.0.0.1:6669", Destination: "irc.postman.i2p:6667", Inbound: std, Outbound: std, Enabled: true},
	} {
		if got := find(t, ts, want.Name); got != want {
			t.Errorf("tunnel %q =\n %+v, want\n %+v", want.Name, got, want)
		}
	}
	if len(ts) != 10 {
		t.Errorf("%d tunnels, want 10 (7 in i2ptunnel.config, 3 of 4 in i2ptunnel.config.d)", len(ts))
	}
	for _, parts := range [][]string{
		{"i2ptunnel.config:92:", `"I2P webserver"`, "privKeyFile eepsite/eepPriv.dat", "NOT converted", "I2P-webserver.keys.json", "new b32"},
		{"07-git ssh-i2ptunnel.config:13:", "option.outbound.length: 0 is outside i2pgo's range 1..7; set to 1"},
		{`"Irc2P"`, "kept irc.00.i2p:6667, dropped irc.postman.i2p:6667, irc.echelon.i2p:6667"},
		{`"Irc2P"`, "host name", "b32.i2p"},
		{`"I2P HTTP Proxy"`, "sharedClient", "destination of its own"},
		{`"I2P HTTP Proxy"`, "not converted", "option.i2cp.reduceIdleTime", "option.i2ptunnel.httpclient.SSLOutproxies"},
		{`"hidden"`, "per-client authorization", "option.i2cp.leaseSetAuthType", "option.i2cp.leaseSetClient.dh.0", "NOT converted"},
		{`"hidden"`, "access list", "every destination"},
		{`"stream"`, "streamrclient", "skipped"},
		{`"Irc2P"`, `renamed "Irc2P-2"`},
		{"unknown key tunnel.10.nonsense"},
	} {
		if !hasWarning(warns, parts...) {
			t.Errorf("no warning with %q in\n%s", parts, strings.Join(warns, "\n"))
		}
	}
	for _, w := range warns {
		if strings.Contains(w, "AAAA") || strings.Contains(w, "nickname") || strings.Contains(w, "i2cpHost") {
			t.Errorf("warning %q shows a secret or a key that needs no warning", w)
		}
	}
}

func TestImportI2pdContrib(t *testing.T) {
	ts, warns, err := ImportPath("testdata/import/i2pd/tunnels.conf")
	if err != nil {
		t.Fatal(err)
	}
	i2pd := TunnelSettings{Length: 3, Quantity: 5}
	for _, want := range []Tunnel{
		{Name: "IRC-ILITA", Type: "client", Listen: "127.0.0.1:6668", Destination: "irc.ilita.i2p:6667", Keys: "IRC-ILITA.keys.json", Inbound: i2pd, Outbound: i2pd, Enabled: true},
		{Name: "IRC-IRC2P", Type: "client", Listen: "127.0.0.1:6669", Destination: "irc.postman.i2p:6667", Keys: "IRC-IRC2P.keys.json", Inbound: i2pd, Outbound: i2pd, Enabled: true},
		{Name: "mysite", Type: "httpserver", Target: "127.0.0.1:8080", Hostname: "mysite.i2p", Keys: "mysite.keys.json",
			Inbound: TunnelSettings{Length: 1, Quantity: 3}, Outbound: TunnelSettings{Length: 1, Quantity: 5}, Enabled: true},
		{Name: "ssh", Type: "server", Target: "127.0.0.1:22", Keys: "ssh.keys.json", Inbound: i2pd, Outbound: i2pd, Enabled: true},
		{Name: "ircd", Type: "ircserver", Target: "127.0.0.1:6667", Keys: "ircd.keys.json", Inbound: i2pd, Outbound: i2pd, Enabled: true},
		{Name: "proxy", Type: "httpclient", Listen: "127.0.0.1:4446", Outproxy: "false.i2p", Inbound: i2pd, Outbound: i2pd, Enabled: true},
		{Name: "socks", Type: "sockstunnel", Listen: "127.0.0.1:4447", Inbound: i2pd, Outbound: i2pd, Enabled: true},
		{Name: "hidden", Type: "server", Target: "127.0.0.1:8081", Keys: "hidden.keys.json", Inbound: i2pd, Outbound: i2pd, Encrypted: true, Enabled: true},
		// From tunnels.d:
		{Name: "IRC-IRC2P-2", Type: "client", Listen: "127.0.0.1:6670", Destination: "irc.postman.i2p:6667", Keys: "IRC-IRC2P-2.keys.json", Inbound: i2pd, Outbound: i2pd, Enabled: true},
	} {
		if got := find(t, ts, want.Name); got != want {
			t.Errorf("tunnel %q =\n %+v, want\n %+v", want.Name, got, want)
		}
	}
	if len(ts) != 11 {
		t.Errorf("%d tunnels, want 11 (10 of 11 in tunnels.conf, 1 in tunnels.d)", len(ts))
	}
	for _, parts := range [][]string{
		{"tunnels.conf:4:", `"IRC-ILITA"`, "keys irc-keys.dat", "i2pd's binary private-key format", "NOT converted", "IRC-ILITA.keys.json"},
		{`"IRC-IRC2P"`, "shares keys irc-keys.dat", `"IRC-ILITA"`},
		{`"dns"`, "udpclient", "skipped"},
		{`"ssh"`, "accesslist is NOT converted"},
		{`"ssh"`, "inport"},
		{`"ircd"`, "not converted", "webircpassword"},
		{`"socks"`, "upstream proxy outside I2P"},
		{`"hidden"`, "per-client authorization", "i2cp.leaseSetAuthType, i2cp.leaseSetClient.psk.0"},
		{"tunnels.conf:90:", `unknown key "colour"`},
		{`"mysite"`, "not converted", "i2cp.leaseSetEncType"},
		{"tunnels.d/IRC-Irc2P.conf:3:", `renamed "IRC-IRC2P-2"`},
	} {
		if !hasWarning(warns, parts...) {
			t.Errorf("no warning with %q in\n%s", parts, strings.Join(warns, "\n"))
		}
	}
	for _, w := range warns {
		if strings.Contains(w, "hunter2") || strings.Contains(w, "AAAA") {
			t.Errorf("warning %q shows a secret", w)
		}
	}
}

func TestImportErrors(t *testing.T) {
	for _, c := range []struct {
		name, java, i2pd, want string
	}{
		{name: "no =", java: "tunnel.0.name=a\ntunnel.0.type\n", want: `x:2: want key=value, got "tunnel.0.type"`},
		{name: "empty key", java: "# c\n = b\n", want: "x:2: want key=value"},
		{name: "NUL", java: "tunnel.0.name=a\x00\n", want: "x:1: control character U+0000"},
		{name: "bad UTF-8", i2pd: "[a]\ntype = client\xff\n", want: "x:2: not valid UTF-8"},
		{name: "unmatched [", i2pd: "[a\n", want: "x:1: unmatched '['"},
		{name: "no = in ini", i2pd: "[a]\ntype client\n", want: `x:2: want key = value or [section], got "type client"`},
		{name: "key outside", i2pd: "type = client\n", want: `x:1: key "type" is outside a [section]`},
		{name: "duplicate section", i2pd: "[a]\ntype = client\n[b]\n[a]\n", want: "x:4: duplicate section [a] (first on line 1)"},
		{name: "duplicate key", i2pd: "[a]\nport = 1\nport = 2\n", want: `x:3: duplicate key "port" in [a] (first on line 2)`},
		{name: "= first", i2pd: "[a]\n= 2\n", want: "x:2: key expected"},
	} {
		var err error
		if c.java != "" {
			_, _, err = ImportJava(strings.NewReader(c.java), "x")
		} else {
			_, _, err = ImportI2pd(strings.NewReader(c.i2pd), "x")
		}
		var e *Error
		if !errors.As(err, &e) || e.File != "x" || e.Line == 0 {
			t.Errorf("%s: error %v (%T), want an *Error with file and line", c.name, err, err)
		} else if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %q, want %q", c.name, err, c.want)
		}
	}
}

func TestImportWarnings(t *testing.T) {
	for _, c := range []struct {
		name, java, i2pd string
		tunnels          int
		want             []string
	}{
		{name: "Java: no type", java: "tunnel.0.name=a\n", want: []string{`x:1: tunnel "a": no type; skipped`}},
		{name: "Java: no name", java: "tunnel.3.type=server\ntunnel.3.targetPort=80\n", tunnels: 1,
			want: []string{`x:1: tunnel "tunnel.3": no name`, "no privKeyFile"}},
		{name: "Java: bad port", java: "tunnel.0.name=a\ntunnel.0.type=client\ntunnel.0.listenPort=99999\ntunnel.0.targetDestination=x.b32.i2p\n",
			want: []string{`x:3: tunnel "a": listenPort: "99999" is not a port number`}},
		{name: "Java: no listenPort", java: "tunnel.0.name=a\ntunnel.0.type=httpclient\n", want: []string{"no listenPort; skipped"}},
		{name: "Java: no targetDestination", java: "tunnel.0.name=a\ntunnel.0.type=client\ntunnel.0.listenPort=1\n", want: []string{"no targetDestination; skipped"}},
		{name: "Java: unknown type", java: "tunnel.0.name=a\ntunnel.0.type=teleport\n", want: []string{`unknown type "teleport"; skipped`}},
		{name: "Java: bidir", java: "tunnel.0.name=a\ntunnel.0.type=httpbidirserver\n", want: []string{"httpbidirserver is not supported"}},
		{name: "Java: socksirc", java: "tunnel.0.name=a\ntunnel.0.type=socksirctunnel\n", want: []string{"socksirctunnel", "IRC filter"}},
		{name: "Java: key again", java: "tunnel.0.name=a\ntunnel.0.name=b\n", want: []string{"x:2: tunnel.0.name is set again (first on line 1)"}},
		{name: "Java: not a tunnel key", java: "foo=bar\ntunnel.x.name=a\n", want: []string{`x:1: unknown key "foo"`, `x:2: unknown key "tunnel.x.name"`}},
		{name: "Java: bad integer", java: "tunnel.0.name=a\ntunnel.0.type=server\ntunnel.0.targetPort=80\ntunnel.0.option.inbound.quantity=many\n", tunnels: 1,
			want: []string{`option.inbound.quantity: "many" is not an integer; kept 2`}},
		{name: "Java: meta LeaseSet", java: "tunnel.0.name=a\ntunnel.0.type=server\ntunnel.0.targetPort=80\ntunnel.0.option.i2cp.leaseSetType=7\n", tunnels: 1,
			want: []string{`LeaseSet type "7" is not supported`}},
		{name: "Java: end-of-line comment", java: "tunnel.0.name=a # b\ntunnel.0.type=server\ntunnel.0.targetPort=80\n", tunnels: 1,
			want: []string{`x:1: tunnel "a": no privKeyFile`}},
		{name: "Java: twins", java: "tunnel.0.name=a\ntunnel.0.type=server\ntunnel.0.targetPort=80\ntunnel.1.name=a\ntunnel.1.type=server\ntunnel.1.targetPort=81\n", tunnels: 2,
			want: []string{`renamed "a-2"`}},
		{name: "i2pd: no type", i2pd: "[a]\nport = 1\n", want: []string{`x:1: tunnel "a": no type; skipped`}},
		{name: "i2pd: empty section", i2pd: "[a]\n[b]\ntype = server\nhost = 127.0.0.1\nport = 80\nkeys = b.dat\n", tunnels: 1,
			want: []string{`x:2: tunnel "b": keys b.dat`}},
		{name: "i2pd: websocks", i2pd: "[a]\ntype = websocks\n", want: []string{"websocks is not supported"}},
		{name: "i2pd: no host", i2pd: "[a]\ntype = server\nport = 80\n", want: []string{"no host; skipped"}},
		{name: "i2pd: bad destinationport", i2pd: "[a]\ntype = client\nport = 80\ndestination = x.b32.i2p\ndestinationport = -1\n",
			want: []string{`destinationport: "-1" is not a port number`}},
		{name: "i2pd: upstream outproxy", i2pd: "[a]\ntype = httpproxy\nport = 80\noutproxy = socks://127.0.0.1:9050\n", tunnels: 1,
			want: []string{"upstream proxy outside I2P"}},
		{name: "i2pd: enabled", i2pd: "[a]\ntype = httpproxy\nport = 80\nenabled = maybe\n", tunnels: 1, want: []string{`enabled: "maybe" is not true or false`}},
		{name: "i2pd: transient server", i2pd: "[a]\ntype = server\nhost = h\nport = 80\nkeys = transient\n", tunnels: 1},
		{name: "i2pd: outproxy user", i2pd: "[a]\ntype = httpproxy\nport = 80\noutproxy = http://u:p@o.i2p:3128\n", tunnels: 1,
			want: []string{"user name and password are not converted"}},
	} {
		var ts []Tunnel
		var warns []string
		var err error
		if c.java != "" {
			ts, warns, err = ImportJava(strings.NewReader(c.java), "x")
		} else {
			ts, warns, err = ImportI2pd(strings.NewReader(c.i2pd), "x")
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(ts) != c.tunnels {
			t.Errorf("%s: %d tunnels %+v, want %d", c.name, len(ts), ts, c.tunnels)
		}
		for _, w := range c.want {
			if !hasWarning(warns, w) {
				t.Errorf("%s: no warning with %q in %q", c.name, w, warns)
			}
		}
		if len(c.want) == 0 && len(warns) > 0 {
			t.Errorf("%s: warnings %q, want none", c.name, warns)
		}
		checkRoundTrip(t, ts)
	}
}

func TestImportSpecifics(t *testing.T) {
	ts, _, err := ImportJava(strings.NewReader("tunnel.0.name=a # b\ntunnel.0.type=server\ntunnel.0.targetPort=80\ntunnel.0.startOnLoad=TRUE\n"), "x")
	if err != nil || len(ts) != 1 || ts[0].Name != "a" || !ts[0].Enabled || ts[0].Target != "127.0.0.1:80" {
		t.Errorf("Java end-of-line comment, startOnLoad: %+v, %v", ts, err)
	}
	ts, _, err = ImportI2pd(strings.NewReader("[a]\ntype = server\nhost = h\nport = 80\nkeys = transient\nenabled = false\n"), "x")
	if err != nil || len(ts) != 1 || ts[0].Keys != "" || ts[0].Enabled {
		t.Errorf("i2pd transient server, enabled: %+v, %v", ts, err)
	}
	ts, _, err = ImportI2pd(strings.NewReader("[a]\ntype = httpproxy\nport = 80\noutproxy = http://u:p@o.i2p:3128\n"), "x")
	if err != nil || len(ts) != 1 || ts[0].Outproxy != "o.i2p:3128" {
		t.Errorf("i2pd outproxy with port: %+v, %v", ts, err)
	}
	ts, _, err = ImportJava(strings.NewReader("tunnel.0.name=a/../b\ntunnel.0.type=server\ntunnel.0.targetPort=80\ntunnel.0.privKeyFile=k\n"), "x")
	if err != nil || len(ts) != 1 || ts[0].Keys != "a-b.keys.json" {
		t.Errorf("keys file name from a/../b: %+v, %v", ts, err)
	}
}

func TestImportHuge(t *testing.T) {
	big := io.MultiReader(strings.NewReader("tunnel.0.name=a\n"), strings.NewReader(strings.Repeat("#", MaxImportSize)))
	if _, _, err := ImportJava(big, "big.config"); err == nil || !strings.Contains(err.Error(), "big.config: larger than") {
		t.Errorf("ImportJava(1 MiB + 16 bytes): %v", err)
	}
	if _, _, err := ImportI2pd(strings.NewReader(strings.Repeat(";", MaxImportSize)), "ok.conf"); err != nil {
		t.Errorf("ImportI2pd(1 MiB of comment): %v", err)
	}
}

func TestImportPathFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	java := "tunnel.0.name=j\ntunnel.0.type=server\ntunnel.0.targetPort=80\n"
	i2pd := "[i]\ntype = server\nhost = 127.0.0.1\nport = 80\nkeys = i.dat\n"
	for _, c := range []struct {
		path, want string
	}{
		{write("a/i2ptunnel.config.bak", "# migrated\n"+java), "j"},
		{write("b/mytunnels", "; i2pd\n"+i2pd), "i"},
		{write("c/i2ptunnel.config.d/00-j-i2ptunnel.config", java), "j"},
		{filepath.Join(dir, "c/i2ptunnel.config.d"), "j"},
		{write("d/tunnels.d/i.conf", i2pd), "i"},
		{filepath.Join(dir, "d/tunnels.d"), "i"},
		{write("e/some.d/x.conf", i2pd), "i"},
		{filepath.Join(dir, "e/some.d"), "i"},
	} {
		ts, _, err := ImportPath(c.path)
		if err != nil || len(ts) != 1 || ts[0].Name != c.want {
			t.Errorf("ImportPath(%s) = %+v, %v; want tunnel %q", c.path, ts, err, c.want)
		}
	}

	// A file and its sibling directory; the copy left in both (as after
	// a migration that could not rename the file) is imported once.
	main := write("f/i2ptunnel.config", java+"tunnel.1.name=k\ntunnel.1.type=server\ntunnel.1.targetPort=81\n")
	write("f/i2ptunnel.config.d/00-j-i2ptunnel.config", java)
	write("f/i2ptunnel.config.d/notes.txt", "x")
	ts, warns, err := ImportPath(main)
	if err != nil || len(ts) != 2 || !hasWarning(warns, "00-j-i2ptunnel.config:1:", "the same as the tunnel at", "left out") {
		t.Errorf("ImportPath(file and its .d) = %+v, %q, %v", ts, warns, err)
	}

	for _, c := range []struct{ path, want string }{
		{write("g/readme", "hello\n"), "not a Java I2P i2ptunnel.config or an i2pd tunnels.conf"},
		{filepath.Join(dir, "nothere"), "no such file"},
		{write("h/bad.conf", "[x\n"), "h/bad.conf:1: unmatched '['"},
	} {
		if _, _, err := ImportPath(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ImportPath(%s): %v, want %q", c.path, err, c.want)
		}
	}
	write("i/x.conf", i2pd)
	write("i/y.config", java)
	if _, _, err := ImportPath(filepath.Join(dir, "i")); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("ImportPath(mixed directory): %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "tunnels.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if ts, warns, err := ImportPath(filepath.Join(dir, "tunnels.d")); err != nil || len(ts) != 0 || !hasWarning(warns, "no *.conf files") {
		t.Errorf("ImportPath(empty tunnels.d) = %+v, %q, %v", ts, warns, err)
	}
}

func TestMarshalTunnels(t *testing.T) {
	out, err := MarshalTunnels(nil)
	if err != nil || string(out) != "tunnels: []\n" {
		t.Errorf("MarshalTunnels(nil) = %q, %v", out, err)
	}
	checkRoundTrip(t, nil)
	ts := []Tunnel{{Name: "123", Type: "client", Listen: "127.0.0.1:1", Destination: "true",
		Inbound: TunnelSettings{Length: 1, Variance: -3, Quantity: 16, Backup: 16}, Outbound: TunnelSettings{Length: 7, Quantity: 1}},
		{Name: "a: b # c", Type: "httpserver", Target: "[::1]:80", Keys: "~x", Hostname: "null", Encrypted: true, Enabled: true,
			Inbound: TunnelSettings{Length: 3, Quantity: 2}, Outbound: TunnelSettings{Length: 3, Quantity: 2}},
		{Name: "- y", Type: "sockstunnel", Listen: "127.0.0.1:2", Outproxy: "- y", Enabled: true,
			Inbound: TunnelSettings{Length: 3, Quantity: 2}, Outbound: TunnelSettings{Length: 3, Quantity: 2}}}
	checkRoundTrip(t, ts)
}

// fuzzCheck checks an importer's result: errors are *Error values naming
// the file, and what imports marshals and reads back the same.
func fuzzCheck(t *testing.T, ts []Tunnel, warns []string, err error) {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.File != "fuzz" {
			t.Fatalf("error %v (%T) is not an *Error naming the file", err, err)
		}
		return
	}
	names := map[string]bool{}
	for _, tun := range ts {
		if tun.Name == "" || names[tun.Name] {
			t.Fatalf("empty or duplicate name %q", tun.Name)
		}
		names[tun.Name] = true
		if strings.Contains(tun.Keys, "..") || strings.ContainsAny(tun.Keys, `/\`) {
			t.Fatalf("keys file %q", tun.Keys)
		}
	}
	for _, w := range warns {
		if !strings.HasPrefix(w, "fuzz") {
			t.Fatalf("warning %q does not name the file", w)
		}
	}
	out, err := MarshalTunnels(ts)
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if _, err := decode(&f, out, "out.yaml", false); err != nil {
		t.Fatalf("decode of\n%s: %v", out, err)
	}
	if len(f.Tunnels) != len(ts) || len(ts) > 0 && !reflect.DeepEqual(f.Tunnels, ts) {
		t.Fatalf("decode of\n%s = %+v,\nwant %+v", out, f.Tunnels, ts)
	}
}

func FuzzImportJava(f *testing.F) {
	for _, p := range []string{"testdata/import/java/i2ptunnel.config", "testdata/import/java/i2ptunnel.config.d/08-hidden-i2ptunnel.config"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("tunnel.0.name=a\ntunnel.0.type=client\ntunnel.0.interface=::1\ntunnel.0.listenPort=1\ntunnel.0.targetDestination=, b ,c\n"))
	f.Add([]byte("tunnel.0.name=\ntunnel.00.type=server\ntunnel.0.targetPort=0x50\n=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, warns, err := ImportJava(bytes.NewReader(data), "fuzz")
		fuzzCheck(t, ts, warns, err)
	})
}

func FuzzImportI2pd(f *testing.F) {
	for _, p := range []string{"testdata/import/i2pd/tunnels.conf", "testdata/import/i2pd/tunnels.d/IRC-Irc2P.conf"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[a]\ntype = httpproxy\nport = 1\noutproxy = http://[::1\n[]\nx=\n"))
	f.Add([]byte("[ a ] junk\n type=client \n\tport=1\ndestination=d\ndestinationport=0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, warns, err := ImportI2pd(bytes.NewReader(data), "fuzz")
		fuzzCheck(t, ts, warns, err)
	})
}
