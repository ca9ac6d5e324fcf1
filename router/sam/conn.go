package sam

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Supported protocol versions, as minor numbers of major version 3.
const (
	minMinor = 0
	maxMinor = 3
)

// ctlConn is one client socket.
type ctlConn struct {
	c     net.Conn
	r     *bufio.Reader
	max   int
	minor int // negotiated version 3.minor

	writeTimeout time.Duration

	wmu sync.Mutex // serializes writes: replies and received datagrams
}

// readLine reads one "\n"-terminated line, without "\r\n". A line longer
// than max fails with ErrLineTooLong.
func (cc *ctlConn) readLine() (string, error) {
	var buf []byte
	for {
		frag, err := cc.r.ReadSlice('\n')
		if len(buf)+len(frag) > cc.max {
			return "", ErrLineTooLong
		}
		buf = append(buf, frag...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(buf) > 0 {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	buf = buf[:len(buf)-1]
	if n := len(buf); n > 0 && buf[n-1] == '\r' {
		buf = buf[:n-1]
	}
	return string(buf), nil
}

// write sends b whole. A client that does not read for writeTimeout, or
// any write error, closes the socket: a partial line or datagram cannot be
// taken back.
func (cc *ctlConn) write(b []byte) error {
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	if cc.writeTimeout > 0 {
		cc.c.SetWriteDeadline(time.Now().Add(cc.writeTimeout))
	}
	_, err := cc.c.Write(b)
	if err != nil {
		cc.c.Close()
	} else if cc.writeTimeout > 0 {
		cc.c.SetWriteDeadline(time.Time{}) // the socket may become a stream
	}
	return err
}

func (cc *ctlConn) writeLine(s string) error { return cc.write([]byte(s + "\n")) }

// reply writes "prefix RESULT=... [extra...] [MESSAGE=...]".
func (cc *ctlConn) reply(prefix string, err error, extra ...string) error {
	r, msg := resultOf(err)
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString(" RESULT=")
	b.WriteString(string(r))
	for _, e := range extra {
		b.WriteByte(' ')
		b.WriteString(e)
	}
	if msg != "" {
		b.WriteString(" MESSAGE=")
		b.WriteString(quote(msg))
	}
	return cc.writeLine(b.String())
}

// ports formats " FROM_PORT=n TO_PORT=n" for SAM 3.2 and later.
func (cc *ctlConn) ports(from, to uint16) string {
	if cc.minor < 2 {
		return ""
	}
	return fmt.Sprintf(" FROM_PORT=%d TO_PORT=%d", from, to)
}

// serveConn runs one control socket until it closes or ctx ends.
func (b *Bridge) serveConn(ctx context.Context, c net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	cc := &ctlConn{c: c, r: bufio.NewReaderSize(c, 4096), max: b.cfg.MaxLineLen, writeTimeout: b.cfg.WriteTimeout}
	// The client's address is not logged: logs name local destinations.
	log := b.log

	if b.cfg.HelloTimeout > 0 {
		c.SetReadDeadline(time.Now().Add(b.cfg.HelloTimeout))
	}
	if !b.hello(cc) {
		return
	}
	if b.cfg.HelloTimeout > 0 {
		c.SetReadDeadline(time.Now().Add(b.cfg.HelloTimeout))
	}
	h := &handler{b: b, cc: cc, ctx: ctx, cancel: cancel, log: log}
	defer func() {
		c.Close() // first: it unblocks a datagram writer stuck on a client that stopped reading
		h.closeSession()
	}()
	for first := true; ; first = false {
		line, err := cc.readLine()
		if first && b.cfg.HelloTimeout > 0 {
			c.SetReadDeadline(time.Time{})
		}
		if err != nil {
			if errors.Is(err, ErrLineTooLong) {
				cc.reply("SESSION STATUS", newError(ResultI2PError, "command line too long"))
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() && first {
				cc.reply("SESSION STATUS", newError(ResultI2PError, "timeout waiting for a command"))
			}
			return
		}
		cmd, err := ParseCommand(line)
		if err != nil {
			if strings.TrimSpace(line) == "" {
				continue
			}
			verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			cc.reply(statusPrefix(strings.ToUpper(verb)), err)
			continue
		}
		if h.dispatch(cmd) {
			return
		}
	}
}

// statusPrefix is the reply line's first words for errors of verb.
func statusPrefix(verb string) string {
	switch verb {
	case "HELLO":
		return "HELLO REPLY"
	case "NAMING":
		return "NAMING REPLY"
	case "DEST":
		return "DEST REPLY"
	case "STREAM", "DATAGRAM", "RAW":
		return verb + " STATUS"
	}
	return "SESSION STATUS"
}

// hello runs the handshake; false means the socket must close.
func (b *Bridge) hello(cc *ctlConn) bool {
	line, err := cc.readLine()
	if err != nil {
		if errors.Is(err, ErrLineTooLong) {
			cc.reply("HELLO REPLY", newError(ResultI2PError, "command line too long"))
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			cc.reply("HELLO REPLY", newError(ResultI2PError, "timeout waiting for HELLO"))
		}
		return false
	}
	cmd, err := ParseCommand(line)
	if err == nil && (cmd.Verb != "HELLO" || cmd.Sub != "VERSION") {
		err = newError(ResultI2PError, "expected HELLO VERSION")
	}
	if err != nil {
		cc.reply("HELLO REPLY", err)
		return false
	}
	minor, err := negotiate(cmd.Value("MIN"), cmd.Value("MAX"))
	if err != nil {
		cc.reply("HELLO REPLY", err)
		return false
	}
	if b.cfg.User != "" {
		user, uok := cmd.Get("USER")
		pass, pok := cmd.Get("PASSWORD")
		ok := uok && pok &&
			subtle.ConstantTimeCompare([]byte(user), []byte(b.cfg.User)) == 1 &&
			subtle.ConstantTimeCompare([]byte(pass), []byte(b.cfg.Password)) == 1
		if !ok {
			cc.reply("HELLO REPLY", newError(ResultI2PError, "authorization failed"))
			return false
		}
	}
	cc.minor = minor
	return cc.reply("HELLO REPLY", nil, fmt.Sprintf("VERSION=3.%d", minor)) == nil
}

// negotiate picks the highest 3.x in [min, max] (either may be empty).
func negotiate(minS, maxS string) (int, error) {
	lo, hi := minMinor, maxMinor
	if minS != "" {
		maj, mi, err := parseVersion(minS)
		if err != nil {
			return 0, err
		}
		switch {
		case maj > 3:
			return 0, newError(ResultNoVersion, "")
		case maj == 3:
			lo = max(lo, mi)
		}
	}
	if maxS != "" {
		maj, mi, err := parseVersion(maxS)
		if err != nil {
			return 0, err
		}
		switch {
		case maj < 3:
			return 0, newError(ResultNoVersion, "")
		case maj == 3 && !strings.Contains(maxS, "."):
			// "MAX=3" admits every 3.x.
		case maj == 3:
			hi = min(hi, mi)
		}
	}
	if lo > hi {
		return 0, newError(ResultNoVersion, "")
	}
	return hi, nil
}

// parseVersion reads "3" or "3.1" (SAM 3.1 allows single-digit versions).
func parseVersion(s string) (major, minor int, err error) {
	ma, mi, hasMinor := strings.Cut(s, ".")
	major, err1 := strconv.Atoi(ma)
	if hasMinor {
		minor, err = strconv.Atoi(mi)
	}
	if err1 != nil || err != nil || major < 0 || minor < 0 || major > 99 || minor > 99 {
		return 0, 0, newError(ResultI2PError, "bad version "+s)
	}
	return major, minor, nil
}
