//go:build interop

package interop

// A SAM v3 client written from the spec (../shared/specs/docs/api-samv3.html),
// not from router/sam: the same code talks to i2pd's SAM bridge and to
// ours, so that their answers can be compared.

import (
	"bufio"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// i2pB64 is I2P's base64: the standard alphabet with "-~" for "+/".
var i2pB64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~")

var b32Enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// samDest is a destination as SAM prints it: base64 of 387 or more bytes,
// 384 of keys then a certificate (type, 2-byte length, payload).
type samDest struct {
	B64 string
	raw []byte
}

// parseSAMDest reads a destination, or the destination at the start of
// a $privkey (which is the destination followed by private keys).
func parseSAMDest(s string) (samDest, error) {
	b, err := i2pB64.DecodeString(s)
	if err != nil {
		return samDest{}, fmt.Errorf("samclient: destination base64: %w", err)
	}
	if len(b) < 387 {
		return samDest{}, fmt.Errorf("samclient: destination of %d bytes", len(b))
	}
	n := 387 + int(binary.BigEndian.Uint16(b[385:387]))
	if len(b) < n {
		return samDest{}, fmt.Errorf("samclient: destination of %d bytes, certificate says %d", len(b), n)
	}
	return samDest{B64: i2pB64.EncodeToString(b[:n]), raw: b[:n]}, nil
}

// B32 is the destination's .b32.i2p address.
func (d samDest) B32() string {
	h := sha256.Sum256(d.raw)
	return strings.ToLower(b32Enc.EncodeToString(h[:])) + ".b32.i2p"
}

// SigType is the signing key type of a key certificate (5), else 0 (DSA_SHA1).
func (d samDest) SigType() int {
	if len(d.raw) < 391 || d.raw[384] != 5 {
		return 0
	}
	return int(binary.BigEndian.Uint16(d.raw[387:389]))
}

// samReply is a reply line: two words, then KEY=VALUE pairs (values may be
// double-quoted, with \" and \\ escapes, SAM 3.2).
type samReply struct {
	Line string
	Verb string // "HELLO REPLY", "SESSION STATUS", ...
	Opts map[string]string
}

func parseSAMReply(line string) samReply {
	r := samReply{Line: line, Opts: map[string]string{}}
	var words []string
	for i := 0; i < len(line); {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i == len(line) {
			break
		}
		var tok strings.Builder
		quoted := false
		for ; i < len(line) && (quoted || line[i] != ' '); i++ {
			switch c := line[i]; {
			case c == '"':
				quoted = !quoted
			case c == '\\' && quoted && i+1 < len(line):
				i++
				tok.WriteByte(line[i])
			default:
				tok.WriteByte(c)
			}
		}
		t := tok.String()
		if k, v, ok := strings.Cut(t, "="); ok {
			r.Opts[k] = v
		} else {
			words = append(words, t)
		}
	}
	if len(words) > 2 {
		words = words[:2]
	}
	r.Verb = strings.Join(words, " ")
	return r
}

// Result is the RESULT value ("" if none).
func (r samReply) Result() string { return r.Opts["RESULT"] }

// samClient is one control socket.
type samClient struct {
	addr    string
	c       net.Conn
	r       *bufio.Reader
	Version string
	timeout time.Duration
	// CreateTimeout bounds SESSION CREATE; default 4 minutes.
	CreateTimeout time.Duration
}

// errClosed: the bridge closed the socket instead of answering.
var errClosed = errors.New("samclient: socket closed by the bridge")

func dialSAM(addr string) (*samClient, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &samClient{addr: addr, c: c, r: bufio.NewReaderSize(c, 64<<10), timeout: 30 * time.Second}, nil
}

func (c *samClient) Close() error { return c.c.Close() }

// Conn is the socket, for stream data after STREAM CONNECT or ACCEPT;
// read it through Reader, which may hold buffered bytes.
func (c *samClient) Conn() net.Conn        { return c.c }
func (c *samClient) Reader() *bufio.Reader { return c.r }

// send writes b; a write may run while another goroutine reads.
func (c *samClient) send(b []byte) error {
	c.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := c.c.Write(b)
	return err
}

// ReadLine reads a "\n"-terminated line, without the terminator, waiting
// up to c.timeout (set only by the goroutine that reads).
func (c *samClient) ReadLine() (string, error) { return c.readLineWithin(c.timeout) }

func (c *samClient) readLineWithin(within time.Duration) (string, error) {
	c.c.SetReadDeadline(time.Now().Add(within))
	s, err := c.r.ReadString('\n')
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "reset") {
			return s, errClosed
		}
		return s, err
	}
	return strings.TrimSuffix(s, "\n"), nil
}

// Command sends a line and reads the reply line.
func (c *samClient) Command(line string) (samReply, error) {
	if err := c.send([]byte(line + "\n")); err != nil {
		return samReply{}, err
	}
	s, err := c.ReadLine()
	if err != nil {
		return samReply{}, err
	}
	return parseSAMReply(s), nil
}

// Hello sends HELLO VERSION with MIN and MAX (either may be empty).
func (c *samClient) Hello(min, max string) (samReply, error) {
	line := "HELLO VERSION"
	if min != "" {
		line += " MIN=" + min
	}
	if max != "" {
		line += " MAX=" + max
	}
	r, err := c.Command(line)
	if err == nil && r.Result() == "OK" {
		c.Version = r.Opts["VERSION"]
	}
	return r, err
}

// helloSAM dials and completes HELLO VERSION MIN=3.1 MAX=3.3.
func helloSAM(addr string) (*samClient, error) {
	c, err := dialSAM(addr)
	if err != nil {
		return nil, err
	}
	r, err := c.Hello("3.1", "3.3")
	if err == nil && r.Result() != "OK" {
		err = fmt.Errorf("samclient: HELLO: %s", r.Line)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// SessionCreate sends SESSION CREATE and returns the reply and, on OK,
// the session's $privkey and destination. The socket must stay open for
// the session to live.
func (c *samClient) SessionCreate(style, id, dest, opts string) (samReply, string, samDest, error) {
	line := fmt.Sprintf("SESSION CREATE STYLE=%s ID=%s DESTINATION=%s", style, id, dest)
	if opts != "" {
		line += " " + opts
	}
	c.timeout = c.CreateTimeout // tunnels are built before the answer
	if c.timeout == 0 {
		c.timeout = 4 * time.Minute
	}
	defer func() { c.timeout = 30 * time.Second }()
	r, err := c.Command(line)
	if err != nil || r.Result() != "OK" {
		return r, "", samDest{}, err
	}
	priv := r.Opts["DESTINATION"]
	d, err := parseSAMDest(priv)
	return r, priv, d, err
}

// SessionAdd adds a subsession to a PRIMARY session.
func (c *samClient) SessionAdd(style, id, opts string) (samReply, error) {
	return c.Command(strings.TrimSpace(fmt.Sprintf("SESSION ADD STYLE=%s ID=%s %s", style, id, opts)))
}

// StreamConnect sends STREAM CONNECT; on RESULT=OK the socket is the stream.
func (c *samClient) StreamConnect(id, dest, opts string) (samReply, error) {
	c.timeout = 3 * time.Minute
	defer func() { c.timeout = 30 * time.Second }()
	return c.Command(strings.TrimSpace(fmt.Sprintf("STREAM CONNECT ID=%s DESTINATION=%s %s", id, dest, opts)))
}

// StreamAccept sends STREAM ACCEPT; on RESULT=OK, AcceptPeer waits for
// the peer line.
func (c *samClient) StreamAccept(id, opts string) (samReply, error) {
	return c.Command(strings.TrimSpace(fmt.Sprintf("STREAM ACCEPT ID=%s %s", id, opts)))
}

// samPeer is the "$destination[ FROM_PORT=nnn TO_PORT=nnn]" line that
// precedes an accepted or forwarded stream.
type samPeer struct {
	Dest     samDest
	FromPort string
	ToPort   string
}

func parsePeerLine(s string) (samPeer, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return samPeer{}, fmt.Errorf("samclient: empty peer line")
	}
	d, err := parseSAMDest(f[0])
	if err != nil {
		return samPeer{}, err
	}
	p := samPeer{Dest: d}
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "FROM_PORT":
			p.FromPort = v
		case "TO_PORT":
			p.ToPort = v
		}
	}
	return p, nil
}

// AcceptPeer waits up to within for the peer line of an accepted stream.
func (c *samClient) AcceptPeer(within time.Duration) (samPeer, error) {
	s, err := c.readLineWithin(within)
	if err != nil {
		return samPeer{}, err
	}
	return parsePeerLine(s)
}

// StreamForward sends STREAM FORWARD to 127.0.0.1:port.
func (c *samClient) StreamForward(id string, port int, opts string) (samReply, error) {
	return c.Command(strings.TrimSpace(fmt.Sprintf("STREAM FORWARD ID=%s PORT=%d HOST=127.0.0.1 %s", id, port, opts)))
}

// DatagramSend sends "DATAGRAM SEND" (or RAW SEND, verb "RAW") on the
// session's socket. Success has no reply (SAM v1/v2).
func (c *samClient) DatagramSend(verb, dest string, payload []byte, opts string) error {
	line := strings.TrimSpace(fmt.Sprintf("%s SEND DESTINATION=%s SIZE=%d %s", verb, dest, len(payload), opts)) + "\n"
	return c.send(append([]byte(line), payload...))
}

// samDatagram is a received datagram.
type samDatagram struct {
	Verb     string // "DATAGRAM RECEIVED", "RAW RECEIVED" or "UDP"
	Dest     string // base64, repliable only
	FromPort string
	ToPort   string
	Protocol string
	Payload  []byte
}

// ReadDatagram reads a DATAGRAM RECEIVED or RAW RECEIVED message from the
// session's socket, waiting up to within.
func (c *samClient) ReadDatagram(within time.Duration) (samDatagram, error) {
	s, err := c.readLineWithin(within)
	if err != nil {
		return samDatagram{}, err
	}
	r := parseSAMReply(s)
	if r.Verb != "DATAGRAM RECEIVED" && r.Verb != "RAW RECEIVED" {
		return samDatagram{}, fmt.Errorf("samclient: expected a received datagram, got %q", s)
	}
	n, err := strconv.Atoi(r.Opts["SIZE"])
	if err != nil || n < 0 || n > 65536 {
		return samDatagram{}, fmt.Errorf("samclient: bad SIZE in %q", s)
	}
	d := samDatagram{Verb: r.Verb, Dest: r.Opts["DESTINATION"], FromPort: r.Opts["FROM_PORT"], ToPort: r.Opts["TO_PORT"], Protocol: r.Opts["PROTOCOL"], Payload: make([]byte, n)}
	if _, err := io.ReadFull(c.r, d.Payload); err != nil {
		return samDatagram{}, err
	}
	return d, nil
}

// NamingLookup sends NAMING LOOKUP NAME=name.
func (c *samClient) NamingLookup(name string) (samReply, error) {
	c.timeout = time.Minute
	defer func() { c.timeout = 30 * time.Second }()
	return c.Command("NAMING LOOKUP NAME=" + name)
}

// DestGenerate sends DEST GENERATE, with SIGNATURE_TYPE when sigType is set.
func (c *samClient) DestGenerate(sigType string) (samReply, error) {
	line := "DEST GENERATE"
	if sigType != "" {
		line += " SIGNATURE_TYPE=" + sigType
	}
	return c.Command(line)
}

// Ping sends PING text and reads the reply (PONG text).
func (c *samClient) Ping(text string) (string, error) {
	if err := c.send([]byte(strings.TrimSpace("PING "+text) + "\n")); err != nil {
		return "", err
	}
	return c.ReadLine()
}

// udpSend sends a datagram through the bridge's UDP port:
// "3.0 $nickname $destination [options]\n$payload".
func udpSend(pc net.PacketConn, bridge string, version, nick, dest, opts string, payload []byte) error {
	to, err := net.ResolveUDPAddr("udp", bridge)
	if err != nil {
		return err
	}
	line := strings.TrimSpace(fmt.Sprintf("%s %s %s %s", version, nick, dest, opts)) + "\n"
	_, err = pc.WriteTo(append([]byte(line), payload...), to)
	return err
}

// udpReceive reads one forwarded datagram from pc. Repliable datagrams
// begin with "$destination[ FROM_PORT=nnn TO_PORT=nnn]\n"; raw ones have no
// prefix, or with HEADER=true "FROM_PORT=nnn TO_PORT=nnn PROTOCOL=nnn\n".
func udpReceive(pc net.PacketConn, within time.Duration, repliable, header bool) (samDatagram, error) {
	buf := make([]byte, 65536)
	pc.SetReadDeadline(time.Now().Add(within))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		return samDatagram{}, err
	}
	b := buf[:n]
	d := samDatagram{Verb: "UDP"}
	if repliable || header {
		i := strings.IndexByte(string(b), '\n')
		if i < 0 {
			return samDatagram{}, fmt.Errorf("samclient: forwarded datagram without a header line (%d bytes)", n)
		}
		f := strings.Fields(string(b[:i]))
		if repliable && len(f) > 0 {
			d.Dest, f = f[0], f[1:]
		}
		for _, kv := range f {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "FROM_PORT":
				d.FromPort = v
			case "TO_PORT":
				d.ToPort = v
			case "PROTOCOL":
				d.Protocol = v
			}
		}
		b = b[i+1:]
	}
	d.Payload = append([]byte(nil), b...)
	return d, nil
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, 64<<10) }
