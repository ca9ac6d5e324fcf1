package bob

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/sam"
)

// Version is the BOB version the greeting announces (api-bob.html).
const Version = "00.00.10"

// session is one command connection. Its fields are used by its own
// goroutine only.
type session struct {
	b   *Bridge
	c   net.Conn
	w   *bufio.Writer
	cur *tunnel // the selected nickname; may have been cleared by another session
}

// serve greets the client and runs its commands until it quits, fails or
// ctx ends. Tunnels that the session made and never started go with it.
func (s *session) serve(ctx context.Context) {
	defer s.c.Close()
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	defer stop()
	defer s.dropUnstarted()
	s.w = bufio.NewWriter(s.c)
	br := bufio.NewReaderSize(s.c, 4096)
	if !s.reply("BOB " + Version + "\nOK") {
		return
	}
	for {
		line, err := readLine(br, s.b.cfg.MaxLineLen)
		if errors.Is(err, errLineTooLong) {
			if !s.reply("ERROR line too long") {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		cmd, err := ParseCommand(line)
		if err != nil {
			if !s.reply("ERROR " + msg(err)) {
				return
			}
			continue
		}
		out, keep := s.handle(ctx, cmd)
		if out != "" && !s.reply(out) {
			return
		}
		if !keep {
			return
		}
	}
}

// reply writes lines (joined by "\n") and a final newline.
func (s *session) reply(lines string) bool {
	if d := s.b.cfg.WriteTimeout; d > 0 {
		s.c.SetWriteDeadline(time.Now().Add(d))
	}
	s.w.WriteString(lines)
	s.w.WriteByte('\n')
	return s.w.Flush() == nil
}

// msg is an error's text for an ERROR reply.
func msg(err error) string {
	return strings.TrimPrefix(err.Error(), "bob: ")
}

func errReply(err error) string { return "ERROR " + msg(err) }

// dropUnstarted removes the tunnels this session made and never started.
func (s *session) dropUnstarted() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for name, t := range s.b.tunnels {
		if t.owner == s && t.state == stopped {
			delete(s.b.tunnels, name)
		}
	}
}

// current returns the selected tunnel if it still exists.
func (s *session) current() *tunnel {
	if s.cur == nil {
		return nil
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.tunnels[s.cur.name] != s.cur {
		s.cur = nil
	}
	return s.cur
}

// edit runs f on the selected tunnel under the bridge's lock if the
// tunnel is stopped.
func (s *session) edit(f func(t *tunnel) string) string {
	t := s.current()
	if t == nil {
		return errReply(errNoNick)
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if t.state != stopped {
		return errReply(errActive)
	}
	return f(t)
}

// handle runs a command and returns its reply (empty: none) and whether
// the session goes on.
func (s *session) handle(ctx context.Context, cmd Command) (string, bool) {
	b := s.b
	arg := cmd.Operand
	switch cmd.Name {
	case "zap":
		// i2pd ends the session without a word; Java's BOB shut itself
		// down, which a router's bridge does not do for a client.
		return "", false
	case "quit":
		return "OK Bye!", false
	case "help":
		if arg == "" {
			return "OK " + helpList, true
		}
		if h, ok := helpText[strings.ToLower(arg)]; ok {
			return "OK " + h, true
		}
		return "ERROR No such command", true
	case "visit":
		return "OK", true
	case "setnick":
		return s.setnick(arg), true
	case "getnick":
		return s.getnick(arg), true
	case "newkeys":
		return s.newkeys(arg), true
	case "setkeys":
		k, err := sam.PrivateKeysFromBase64(arg)
		if arg == "" || err != nil {
			return "ERROR invalid keys", true
		}
		if uint16(k.Destination.SigType()) != sam.SigEd25519 {
			// The router signs LeaseSets with Ed25519 only.
			return "ERROR unsupported signature type: only Ed25519 (7) keys can run", true
		}
		return s.edit(func(t *tunnel) string {
			t.keys = k
			return "OK " + k.Destination.Base64()
		}), true
	case "getkeys", "getdest":
		t := s.current()
		if t == nil {
			return errReply(errNoNick), true
		}
		b.mu.Lock()
		k := t.keys
		b.mu.Unlock()
		if k == nil {
			return "ERROR keys are not set", true
		}
		if cmd.Name == "getdest" {
			return "OK " + k.Destination.Base64(), true
		}
		b64, err := k.Base64()
		if err != nil {
			return errReply(err), true
		}
		return "OK " + b64, true
	case "inhost", "outhost":
		if arg == "" || strings.ContainsAny(arg, " \t") {
			return "ERROR empty " + cmd.Name, true
		}
		return s.edit(func(t *tunnel) string {
			if cmd.Name == "inhost" {
				t.inHost = arg
			} else {
				t.outHost = arg
			}
			return "OK " + cmd.Name + " set"
		}), true
	case "inport", "outport":
		if arg == "" {
			return "ERROR empty " + cmd.Name, true
		}
		p, err := parsePort(arg)
		if err != nil {
			return "ERROR port out of range", true
		}
		return s.edit(func(t *tunnel) string {
			if cmd.Name == "inport" {
				t.inPort = p
				return "OK inbound port set"
			}
			t.outPort = p
			return "OK outbound port set"
		}), true
	case "quiet":
		var q bool
		switch strings.ToLower(arg) {
		case "", "true":
			q = true // i2pd takes no operand and sets quiet
		case "false":
		default:
			return "ERROR quiet takes true or false", true
		}
		return s.edit(func(t *tunnel) string {
			t.quiet = q
			return "OK Quiet set"
		}), true
	case "option":
		opts, keys, err := parseOptions(arg)
		if err != nil {
			return "ERROR malformed", true
		}
		return s.edit(func(t *tunnel) string {
			if t.options == nil {
				t.options = make(map[string]string)
			}
			parts := make([]string, len(keys))
			for i, k := range keys {
				t.options[k] = opts[k]
				parts[i] = k + " set to " + opts[k]
			}
			return "OK option " + strings.Join(parts, ", ")
		}), true
	case "showprops":
		t := s.current()
		if t == nil {
			return errReply(errNoNick), true
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		return strings.TrimSuffix("OK "+formatOptions(t.options), " "), true
	case "start":
		t := s.current()
		if t == nil {
			return errReply(errNoNick), true
		}
		if err := b.start(ctx, t); err != nil {
			return errReply(err), true
		}
		return "OK Tunnel starting", true
	case "stop":
		t := s.current()
		if t == nil {
			return errReply(errNoNick), true
		}
		if err := b.stop(t); err != nil {
			return errReply(err), true
		}
		return "OK Tunnel stopping", true
	case "clear":
		// i2pd stops a running tunnel and clears it; Java refused with
		// "ERROR tunnel is active". The lenient form serves clients of
		// both.
		if t := s.current(); t != nil {
			b.stop(t)
			b.mu.Lock()
			if b.tunnels[t.name] == t {
				delete(b.tunnels, t.name)
			}
			b.mu.Unlock()
			s.cur = nil
		}
		return "OK cleared", true
	case "list":
		lines := b.statusLines()
		lines = append(lines, "OK Listing done")
		return strings.Join(lines, "\n"), true
	case "status", "show":
		t := s.current()
		if arg != "" && cmd.Name == "status" {
			b.mu.Lock()
			t = b.tunnels[arg]
			b.mu.Unlock()
		}
		if t == nil {
			return errReply(errNoNick), true
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		return "OK " + statusLine(t.statusLocked()), true
	case "lookup", "lookuplocal":
		if arg == "" {
			return "ERROR empty lookup address", true
		}
		if cmd.Name == "lookuplocal" {
			ll, ok := b.net.(LocalLookuper)
			if !ok {
				return "ERROR Local LeaseSet Not found", true
			}
			d, err := ll.LookupLocal(arg)
			if err != nil {
				return "ERROR Local LeaseSet Not found", true
			}
			return "OK " + d.Base64(), true
		}
		lctx, cancel := context.WithTimeout(ctx, b.cfg.LookupTimeout)
		d, err := b.net.Lookup(lctx, arg)
		cancel()
		if err != nil {
			b.log.Debug("lookup failed", "name", arg, "err", err)
			return "ERROR Address Not found", true
		}
		return "OK " + d.Base64(), true
	case "verify":
		if _, err := data.DestinationFromBase64(arg); arg == "" || err != nil {
			return "ERROR not in BASE64 format", true
		}
		return "OK", true
	}
	return "ERROR unknown command", true
}

func (s *session) setnick(name string) string {
	if name == "" {
		return errReply(errNoNick)
	}
	if strings.ContainsAny(name, " \t") {
		return "ERROR nickname may not contain blanks"
	}
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.tunnels[name]; t != nil {
		if t.owner == s && t.state == stopped {
			s.cur = t
			return "OK Nickname set to " + name
		}
		if t.state != stopped {
			return errReply(errActive)
		}
		return "ERROR nickname in use"
	}
	t := &tunnel{name: name, owner: s}
	b.tunnels[name] = t
	s.cur = t
	return "OK Nickname set to " + name
}

func (s *session) getnick(name string) string {
	if name == "" {
		return errReply(errNoNick)
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	t := s.b.tunnels[name]
	if t == nil {
		return errReply(errNoNick)
	}
	s.cur = t
	return "OK Nickname set to " + name
}

// newkeys makes keys of the signature type and encryption type given, by
// default Ed25519 and ElGamal. i2pd's default signature type is
// DSA_SHA1, which this router cannot sign with: asking for it is an
// ERROR.
func (s *session) newkeys(arg string) string {
	sig, enc := sam.SigEd25519, data.CryptoElGamal
	f := strings.Fields(arg)
	if len(f) > 2 {
		return "ERROR newkeys takes a signature type and a crypto type"
	}
	if len(f) > 0 {
		t, err := sam.ParseSigType(f[0])
		if err != nil {
			return errReply(err)
		}
		sig = t
	}
	if len(f) > 1 {
		var n uint16
		if _, err := fmt.Sscan(f[1], &n); err != nil || fmt.Sprint(n) != f[1] {
			return "ERROR bad crypto type " + f[1]
		}
		enc = data.CryptoType(n)
	}
	t := s.current()
	if t == nil {
		return errReply(errNoNick)
	}
	k, err := sam.GenerateKeys(sig, enc, s.b.cfg.Rand)
	if err != nil {
		return "ERROR " + strings.TrimPrefix(err.Error(), "sam: ")
	}
	return s.edit(func(t *tunnel) string {
		t.keys = k
		return "OK " + k.Destination.Base64()
	})
}
