package irc

import (
	"strconv"
	"strings"
	"sync"
)

// MaxLine is the IRC line limit of RFC 1459 section 2.3: 512 bytes
// including the CR LF, so at most 510 bytes of content.
const MaxLine = 512

// State is the per-connection state the two filter directions share: the
// PONG the client expects after a three-field PING (BitchX style, see
// FilterOutbound), and the optional DCC helper. The zero value is ready to
// use and blocks all DCC. A State is safe for use by one outbound and one
// inbound goroutine at once.
type State struct {
	// DCC, when non-nil, lets DCC CHAT, SEND, RESUME and ACCEPT through,
	// rewritten by the helper, and lets XDCC through (Java's
	// i2ptunnel.ircclient.enableDCC). Set it before the first filter call
	// and do not change it afterwards.
	DCC DCCHelper

	mu           sync.Mutex
	expectedPong string // guarded by mu; empty means "pass PONG through"
}

// DCCHelper is what the filter needs to rewrite DCC offers so that they
// carry I2P addresses instead of IP addresses (Java's irc/DCCHelper). Every
// method returning a port returns a negative value to block the message.
//
// This package does not implement it: the DCC server and client tunnels of
// Java (I2PTunnelDCCServer, DCCClientManager) are not written yet, so with
// a nil State.DCC every DCC message is dropped, as in Java by default.
type DCCHelper interface {
	// B32Hostname is our own destination, "xxx.b32.i2p".
	B32Hostname() string
	// LocalAddress is our IPv4 address as the local IRC client sees it.
	LocalAddress() [4]byte
	// NewOutgoing registers a local DCC listener (ip:port, type CHAT or
	// SEND) offered to a remote; it returns the I2P port to advertise.
	NewOutgoing(ip [4]byte, port int, typ string) int
	// NewIncoming registers a remote offer (b32:port); it returns the
	// local TCP port to advertise to the local client.
	NewIncoming(b32 string, port int, typ string) int
	ResumeOutgoing(port int) int
	ResumeIncoming(port int) int
	AcceptOutgoing(port int) int
	AcceptIncoming(port int) int
}

func (st *State) setPong(s string) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.expectedPong = s
	st.mu.Unlock()
}

// takePong returns and clears the expected PONG.
func (st *State) takePong() string {
	if st == nil {
		return ""
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.expectedPong
	st.expectedPong = ""
	return s
}

func (st *State) dcc() DCCHelper {
	if st == nil {
		return nil
	}
	return st.DCC
}

// inboundAllowed are the server → client commands passed unchanged (Java
// IRCFilter.inboundFilter allowedCommands). PRIVMSG and NOTICE are checked
// for CTCP; PING and PONG are rewritten; numerics pass.
var inboundAllowed = map[string]bool{
	"MODE": true, "JOIN": true, "NICK": true, "QUIT": true, "PART": true,
	"WALLOPS": true, "ERROR": true, "KICK": true, "H": true, "TOPIC": true,
	"AUTHENTICATE": true, "CAP": true,
}

// outboundAllowed are the client → server commands passed unchanged (Java
// IRCFilter._allowedOutbound). PRIVMSG and NOTICE are checked for CTCP and
// DCC; USER, PART, QUIT, PING and PONG are rewritten.
var outboundAllowed = setOf(`
		ADMIN AWAY AUTHENTICATE CAP CYCLE DCCALLOW HELPME HELPOP INVITE ISON
		JOIN KICK KNOCK LIST LUSERS MAP MODE MOTD NAMES NICK OPER PASS RULES
		SETNAME SILENCE STATS TOPIC USERHOST VHOST WATCH WHO WHOIS WHOWAS
		BOTSERV BS CHANSERV CS HELPSERV HOSTSERV HS MEMOSERV MS NICKSERV NS
		OPERSERV OS STATSERV
		ADCHAT ADDMOTD ADDOMOTD CHATOPS CHGHOST CHGIDENT CHGNAME CLOSE DCCDENY
		DIE GLOBOPS GZLINE HTM KILL KLINE LOCOPS NACHAT OPERMOTD REHASH RESTART
		SAJOIN SAMODE SAPART SDESC SETHOST SETIDENT SHUN SPAMFILTER SQUIT
		TEMPSHUN UNDCCDENY WALLOPS ZLINE`)

func setOf(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// upperASCII upper-cases ASCII letters only. Java upper-cases with
// Locale.US over ISO-8859-1 text, but no non-ASCII Latin-1 letter upper-cases
// to ASCII, so matching against the ASCII allow-lists gives the same answer.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// ctcpBody checks msg (the trailing part of a PRIVMSG or NOTICE, normally
// ":\x01...\x01") the way Java does: a message with CTCP markers must have
// exactly two of them, and the CTCP verb is taken from the third byte on
// (Java's msg.substring(2), which assumes ":\x01"). ok is false when the
// message has markers but not exactly two; isCTCP is false when it has none.
func ctcpBody(msg string) (body string, isCTCP, ok bool) {
	n := strings.Count(msg, "\x01")
	if n == 0 {
		return "", false, true
	}
	if n != 2 {
		return "", true, false
	}
	return msg[2:], true, true // n == 2 implies len(msg) >= 2
}

// FilterOutbound filters one line from the local IRC client to the server,
// after Java's IRCFilter.outboundFilter. line has no CR or LF. It returns
// the line to send (without CR LF), or drop = true. out aliases line when
// the line passes unchanged.
//
// Rules, in Java's order: a line starting with ':' or a space is dropped;
// PING is reduced to "PING [nonce]" (a third field is remembered so that
// the server's PONG is answered with "PONG <field3> :<nonce>"); PONG
// becomes "PONG 127.0.0.1"; allow-listed commands pass; NOTICE ":DCC ..."
// and CTCP DCC go to the DCC rewriter; PRIVMSG and NOTICE pass unless they
// carry CTCP other than ACTION (or XDCC with DCC on); USER becomes
// "USER <user> hostname localhost :<realname>"; PART becomes
// "PART <channels> :leaving"; QUIT becomes "QUIT :leaving"; all else is
// dropped. Where Java would throw on a short line (PRIVMSG without text,
// PART without channel, USER with one field) the line is dropped.
func FilterOutbound(line []byte, st *State) (out []byte, drop bool) {
	s := string(line)
	field := strings.SplitN(s, " ", 3)
	if field[0] == "" || field[0][0] == ':' {
		return nil, true
	}
	cmd := upperASCII(field[0])

	switch cmd {
	case "PING":
		st.setPong("")
		switch len(field) {
		case 1:
			return []byte("PING"), false
		case 2:
			return []byte("PING " + field[1]), false
		default:
			st.setPong("PONG " + field[2] + " :" + field[1])
			return []byte("PING " + field[1]), false
		}
	case "PONG":
		return []byte("PONG 127.0.0.1"), false
	}
	if outboundAllowed[cmd] {
		return line, false
	}
	if cmd == "PRIVMSG" || cmd == "NOTICE" {
		if len(field) < 3 {
			return nil, true
		}
		msg := field[2]
		if cmd == "NOTICE" && strings.HasPrefix(msg, ":DCC ") {
			// mIRC sends "NOTICE user :DCC Send file (IP)" besides the CTCP.
			return result(filterDCCOut(field[0]+" "+field[1]+" :DCC ", msg[5:], st.dcc()))
		}
		body, isCTCP, ok := ctcpBody(msg)
		switch {
		case !ok:
			return nil, true
		case !isCTCP:
			return line, false
		case strings.HasPrefix(body, "ACTION "):
			return line, false
		case strings.HasPrefix(body, "DCC "):
			return result(filterDCCOut(field[0]+" "+field[1]+" :\x01DCC ", body[4:], st.dcc()))
		case strings.HasPrefix(upperASCII(body), "XDCC ") && st.dcc() != nil:
			return line, false
		}
		return nil, true
	}
	switch cmd {
	case "USER":
		if len(field) < 3 {
			return nil, true
		}
		i := strings.LastIndexByte(field[2], ':')
		if i < 0 {
			return []byte("USER user hostname localhost :realname"), false
		}
		return []byte("USER " + field[1] + " hostname localhost :" + field[2][i+1:]), false
	case "PART":
		if len(field) < 2 {
			return nil, true
		}
		return []byte("PART " + field[1] + " :leaving"), false
	case "QUIT":
		return []byte("QUIT :leaving"), false
	}
	return nil, true
}

// FilterInbound filters one line from the server to the local IRC client,
// after Java's IRCFilter.inboundFilter. line has no CR or LF. out aliases
// line when the line passes unchanged.
//
// Rules: an optional ":prefix" is skipped; numerics pass; PING becomes
// "PING 127.0.0.1"; PONG is replaced by the expected PONG when the client's
// PING set one (see FilterOutbound), else passes; allow-listed commands
// pass; PRIVMSG and NOTICE pass unless they carry CTCP other than ACTION
// (DCC is rewritten through the helper; XDCC passes with DCC on); all else,
// including INVITE and IRCv3 "@tags" lines, is dropped.
//
// One deviation from Java: without a prefix, Java checks only the first
// word of the text for CTCP markers; here the whole text is checked.
func FilterInbound(line []byte, st *State) (out []byte, drop bool) {
	s := string(line)
	if s == "" {
		return nil, true
	}
	p := 0
	if s[0] == ':' {
		p = 1
	}
	field := strings.SplitN(s, " ", 3+p)
	if len(field) <= p {
		return nil, true
	}
	cmd := upperASCII(field[p])
	if _, err := strconv.ParseInt(cmd, 10, 32); err == nil {
		return line, false
	}
	switch cmd {
	case "PING":
		return []byte("PING 127.0.0.1"), false
	case "PONG":
		if pong := st.takePong(); pong != "" {
			return []byte(pong), false
		}
		return line, false
	}
	if inboundAllowed[cmd] {
		return line, false
	}
	if cmd != "PRIVMSG" && cmd != "NOTICE" {
		return nil, true
	}
	if len(field) < p+3 {
		return nil, true
	}
	msg := field[p+2]
	body, isCTCP, ok := ctcpBody(msg)
	switch {
	case !ok:
		return nil, true
	case !isCTCP:
		return line, false
	case strings.HasPrefix(body, "ACTION "):
		return line, false
	case strings.HasPrefix(body, "DCC "):
		pfx := strings.Join(field[:p+2], " ") + " :\x01DCC "
		return result(filterDCCIn(pfx, body[4:], st.dcc()))
	case strings.HasPrefix(upperASCII(body), "XDCC ") && st.dcc() != nil:
		return line, false
	}
	return nil, true
}

func result(s string, ok bool) ([]byte, bool) {
	if !ok {
		return nil, true
	}
	return []byte(s), false
}

// dccArgs splits the text after "DCC " as Java does: cut at the closing
// CTCP marker, then split on single spaces into at most 5 fields.
func dccArgs(msg string) []string {
	if i := strings.IndexByte(msg, 1); i > 0 {
		msg = msg[:i]
	}
	return strings.SplitN(msg, " ", 5)
}

// javaInt parses like Java's Integer.parseInt.
func javaInt(s string) (int, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	return int(n), err == nil
}

// filterDCCOut rewrites a DCC offer from the local client (Java
// IRCFilter.filterDCCOut):
//
//	DCC CHAT chat IP port        -> DCC CHAT chat xxx.b32.i2p i2p-port
//	DCC SEND file IP port length -> DCC SEND file xxx.b32.i2p i2p-port length
//	DCC RESUME file port offset  -> DCC RESUME file i2p-port offset
//	DCC ACCEPT file port offset  -> DCC ACCEPT file i2p-port offset
//	DCC xxx                      -> dropped
//
// Java compares RESUME and ACCEPT with == (always false) and so never takes
// its port-only branch; here they are compared by value, as intended.
func filterDCCOut(pfx, msg string, h DCCHelper) (string, bool) {
	if h == nil {
		return "", false
	}
	args := dccArgs(msg)
	typ := args[0]
	haveIP := true
	switch typ {
	case "RESUME", "ACCEPT":
		haveIP = false
	case "CHAT", "SEND":
	default:
		return "", false
	}
	if len(args) < 3 || haveIP && len(args) < 4 {
		return "", false
	}
	next := 2
	var ip [4]byte
	if haveIP {
		ipl, err := strconv.ParseInt(args[next], 10, 64)
		if err != nil {
			return "", false
		}
		next++
		ip = [4]byte{byte(ipl >> 24), byte(ipl >> 16), byte(ipl >> 8), byte(ipl)}
	}
	cPort, ok := javaInt(args[next])
	next++
	if !ok || cPort < 0 || cPort > 65535 {
		return "", false
	}
	port := -1
	switch {
	case haveIP && cPort > 0:
		if ip[0] == 0 {
			ip = [4]byte{127, 0, 0, 1} // nonzero port but bogus IP: Java fixes it and hopes
		}
		port = h.NewOutgoing(ip, cPort, typ)
	case haveIP:
		port = 0 // reverse/firewall DCC, passed without tracking
	case typ == "ACCEPT":
		port = h.AcceptOutgoing(cPort)
	default:
		port = h.ResumeOutgoing(cPort)
	}
	if port < 0 {
		return "", false
	}
	var b strings.Builder
	b.WriteString(pfx)
	b.WriteString(typ + " " + args[1] + " ")
	if haveIP {
		if port > 0 {
			b.WriteString(h.B32Hostname() + " ")
		} else {
			b.WriteString("0 ")
		}
	}
	b.WriteString(strconv.Itoa(port))
	for _, a := range args[next:] {
		b.WriteString(" " + a)
	}
	if strings.IndexByte(pfx, 1) >= 0 {
		b.WriteByte(1)
	}
	return b.String(), true
}

// filterDCCIn rewrites a DCC offer from a remote (Java
// IRCFilter.filterDCCIn):
//
//	DCC CHAT chat xxx.b32.i2p i2p-port        -> DCC CHAT chat IP port
//	DCC SEND file xxx.b32.i2p i2p-port length -> DCC SEND file IP port length
//	DCC RESUME file i2p-port offset           -> DCC RESUME file port offset
//	DCC ACCEPT file i2p-port offset           -> DCC ACCEPT file port offset
//	DCC xxx                                   -> dropped
func filterDCCIn(pfx, msg string, h DCCHelper) (string, bool) {
	if h == nil {
		return "", false
	}
	args := dccArgs(msg)
	typ := args[0]
	haveIP := true
	switch typ {
	case "RESUME", "ACCEPT":
		haveIP = false
	case "CHAT", "SEND":
	default:
		return "", false
	}
	if len(args) < 3 || haveIP && len(args) < 4 {
		return "", false
	}
	next := 2
	var b32 string
	if haveIP {
		b32 = args[next]
		next++
	}
	cPort, ok := javaInt(args[next])
	next++
	if !ok || cPort < 0 || cPort > 65535 {
		return "", false
	}
	port := -1
	switch {
	case haveIP && cPort > 0:
		port = h.NewIncoming(b32, cPort, typ)
	case haveIP:
		port = 0
	case typ == "ACCEPT":
		port = h.AcceptIncoming(cPort)
	default:
		port = h.ResumeIncoming(cPort)
	}
	if port < 0 {
		return "", false
	}
	var b strings.Builder
	b.WriteString(pfx)
	b.WriteString(typ + " " + args[1] + " ")
	if haveIP {
		if port > 0 {
			ip := h.LocalAddress()
			u := uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
			b.WriteString(strconv.FormatUint(uint64(u), 10) + " ")
		} else {
			b.WriteString("0 ")
		}
	}
	b.WriteString(strconv.Itoa(port))
	for _, a := range args[next:] {
		b.WriteString(" " + a)
	}
	if strings.IndexByte(pfx, 1) >= 0 {
		b.WriteByte(1)
	}
	return b.String(), true
}
