//go:build interop

package interop

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ircd starts ngircd (Debian's package) on a free loopback port with a
// WEBIRC password, and returns the port.
func ircd(t *testing.T, webirc string) int {
	t.Helper()
	if _, err := exec.LookPath("ngircd"); err != nil {
		t.Fatalf("ngircd not installed (apt-get install ngircd; .ci/run does): %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	conf := fmt.Sprintf(`[Global]
	Name = irc.test.i2p
	Info = i2pgo test ircd
	Listen = 127.0.0.1
	Ports = %d
	MotdPhrase = hello
[Options]
	PAM = no
	Ident = no
	# With DNS off, ngircd takes WEBIRC's IP field as the host name, not
	# the host name field (the b32 address).
	DNS = yes
	RequireAuthPing = no
	WebircPassword = %s
[Limits]
	MaxConnectionsIP = 0
`, port, webirc)
	path := filepath.Join(dir, "ngircd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ngircd", "-n", "-f", path)
	log := &syncBuf{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitFor(t, 20*time.Second, "ngircd listening", func() (bool, string) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil, fmt.Sprint(err)
	})
	return port
}

// ircConn is a line-based IRC client for tests.
type ircConn struct {
	t     *testing.T
	c     net.Conn
	mu    sync.Mutex
	lines []string
	seen  chan struct{}
}

func dialIRC(t *testing.T, addr, nick string) (*ircConn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	ic := &ircConn{t: t, c: c, seen: make(chan struct{}, 1)}
	go func() {
		r := bufio.NewScanner(c)
		for r.Scan() {
			line := r.Text()
			if strings.HasPrefix(line, "PING ") {
				fmt.Fprintf(c, "PONG %s\r\n", line[5:])
			}
			ic.mu.Lock()
			ic.lines = append(ic.lines, line)
			ic.mu.Unlock()
			select {
			case ic.seen <- struct{}{}:
			default:
			}
		}
	}()
	ic.send("NICK " + nick)
	ic.send("USER " + nick + " 0 * :" + nick + " realname")
	return ic, nil
}

func (ic *ircConn) send(line string) { fmt.Fprintf(ic.c, "%s\r\n", line) }

// wait waits until a received line contains s.
func (ic *ircConn) wait(within time.Duration, s string) bool {
	deadline := time.After(within)
	for {
		if ic.has(s) {
			return true
		}
		select {
		case <-ic.seen:
		case <-deadline:
			return false
		}
	}
}

func (ic *ircConn) has(s string) bool {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	for _, l := range ic.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (ic *ircConn) all() string {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return strings.Join(ic.lines, "\n")
}

// talk registers nick through addr (retrying until registration works,
// as tunnels and LeaseSets come up), joins #i2p and sends the test
// messages; watcher must see the plain ones and none of the filtered.
func talk(t *testing.T, addr, nick string, watcher *ircConn) *ircConn {
	t.Helper()
	var ic *ircConn
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var err error
		ic, err = dialIRC(t, addr, nick)
		if err == nil && ic.wait(90*time.Second, " 001 ") {
			break
		}
		if ic != nil {
			ic.c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not register through %s: %v", nick, addr, err)
		}
		time.Sleep(2 * time.Second)
	}
	ic.send("JOIN #i2p")
	if !ic.wait(time.Minute, "JOIN") {
		t.Fatalf("%s did not join: %s", nick, ic.all())
	}
	ic.send("PRIVMSG #i2p :hello from " + nick)
	ic.send("PRIVMSG watcher :\x01VERSION\x01")
	ic.send("PRIVMSG watcher :\x01DCC SEND secret.txt 3232235777 5000 1234\x01")
	ic.send("PRIVMSG #i2p :\x01ACTION waves\x01")
	ic.send("PRIVMSG #i2p :done " + nick)
	if !watcher.wait(2*time.Minute, "done "+nick) {
		t.Fatalf("the watcher never saw %s's messages: %s", nick, watcher.all())
	}
	if !watcher.has("hello from "+nick) || !watcher.has("ACTION waves") {
		t.Errorf("the watcher missed %s's plain message or ACTION: %s", nick, watcher.all())
	}
	return ic
}

// TestIRC is issue 7's IRC acceptance: ngircd behind an i2pd server
// tunnel, a scripted client through our ircclient tunnel: it registers,
// joins and talks, and its CTCP VERSION and DCC SEND are filtered out.
// Then ngircd behind our ircserver tunnel (WEBIRC), reached through an
// i2pd client tunnel: the ircd sees the client's b32 as its host.
func TestIRC(t *testing.T) {
	port := ircd(t, "s3cret")
	watcher, err := dialIRC(t, fmt.Sprintf("127.0.0.1:%d", port), "watcher")
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.c.Close()
	if !watcher.wait(30*time.Second, " 001 ") {
		t.Fatalf("watcher not registered: %s", watcher.all())
	}
	watcher.send("JOIN #i2p")

	ircSite, err := i2pdServer(3, "ircd", port, "irc")
	if err != nil {
		t.Fatal(err)
	}
	local := freePort(t)
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: fmt.Sprintf(`tunnels:
  - name: irc
    type: ircclient
    listen: 127.0.0.1:%d
    destination: %s
  - name: ircserver
    type: ircserver
    target: 127.0.0.1:%d
    keys: ircserver.keys.json
    webircpassword: s3cret
`, local, ircSite, port)})
	ts := waitTunnels(t, n, 3*time.Minute)

	alice := talk(t, fmt.Sprintf("127.0.0.1:%d", local), "alice", watcher)
	defer alice.c.Close()
	if watcher.has("VERSION") || watcher.has("DCC") || watcher.has("secret.txt") {
		t.Fatalf("a CTCP VERSION or DCC SEND got through our ircclient filter:\n%s", watcher.all())
	}
	t.Logf("through our ircclient: registered, joined, talked; CTCP VERSION and DCC SEND filtered out")

	toUs := freePort(t)
	if err := netCmd("client", netDir, "4", "to-ircserver", fmt.Sprint(toUs), ts["ircserver"].B32, "6667").Run(); err != nil {
		t.Fatalf("i2pd-net client: %v", err)
	}
	bob := talk(t, fmt.Sprintf("127.0.0.1:%d", toUs), "bob", watcher)
	defer bob.c.Close()
	watcher.send("WHOIS bob")
	if !watcher.wait(30*time.Second, " 311 ") {
		t.Fatalf("no WHOIS reply: %s", watcher.all())
	}
	var whois string
	for _, l := range strings.Split(watcher.all(), "\n") {
		if strings.Contains(l, " 311 ") && strings.Contains(l, " bob ") {
			whois = l
		}
	}
	if !strings.Contains(whois, ".b32.i2p") {
		t.Fatalf("bob's host at the ircd is not a b32 address: %q", whois)
	}
	t.Logf("through our ircserver (WEBIRC): %s", whois)
}
