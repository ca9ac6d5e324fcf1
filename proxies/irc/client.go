package irc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Dialer opens a stream to an I2P destination (b32, b33 or base64, or a
// host name the dialer resolves), with an optional destination port (0 for
// none).
type Dialer interface {
	Dial(ctx context.Context, to string, port uint16) (net.Conn, error)
}

// Defaults for the zero fields of ClientConfig and ServerConfig.
const (
	DefaultReadTimeout   = 5 * time.Minute // Java I2PTunnelIRCClient.DEFAULT_READ_TIMEOUT
	DefaultDialTimeout   = time.Minute
	DefaultHeaderTimeout = time.Minute // Java I2PTunnelIRCServer.HEADER_TIMEOUT
)

// ClientConfig configures an IRC client tunnel (i2ptunnel type ircclient).
// The zero value of every field but Targets means the default.
type ClientConfig struct {
	// Targets are the IRC servers, each "dest[:port]" (Java's
	// targetDestination, comma- or space-separated there). Required. Each
	// connection starts at a random target, as Java does, and, unlike Java,
	// tries the next ones in order if a dial fails.
	Targets []string
	// DCC rewrites DCC offers; nil (the default) drops all DCC, like Java
	// without i2ptunnel.ircclient.enableDCC. See DCCHelper.
	DCC DCCHelper
	// MaxLine is the longest line, CR LF included, passed either way
	// (default MaxLine). Longer lines are dropped whole, never truncated:
	// a truncated line could change meaning (a cut CTCP, a cut channel list).
	MaxLine int
	// ReadTimeout bounds the wait for each complete line from either side
	// (default DefaultReadTimeout, negative for none). It is not reset by
	// partial lines, so a peer that never sends a newline is cut off. The
	// same value bounds each write.
	ReadTimeout time.Duration
	// DialTimeout bounds each dial of a target (default DefaultDialTimeout).
	DialTimeout time.Duration
}

type target struct {
	to   string
	port uint16
}

func (t target) String() string {
	if t.port == 0 {
		return t.to
	}
	return t.to + ":" + strconv.Itoa(int(t.port))
}

// parseTarget splits "dest[:port]". I2P base64 and base32 never contain ':'.
func parseTarget(s string) (target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return target{}, errors.New("irc: empty target")
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		p, err := strconv.ParseUint(s[i+1:], 10, 16)
		if err != nil || p == 0 || i == 0 {
			return target{}, fmt.Errorf("irc: bad target %q", s)
		}
		return target{to: s[:i], port: uint16(p)}, nil
	}
	return target{to: s}, nil
}

// Client is an IRC client tunnel: local IRC clients connect to it, and it
// carries their lines, filtered, to an IRC server over I2P.
type Client struct {
	targets     []target
	dcc         DCCHelper
	maxLine     int
	readTimeout time.Duration
	dialTimeout time.Duration
	d           Dialer
	log         *slog.Logger
	pick        func(n int) int // first target to try; rand.IntN, replaced in tests
}

// NewClient validates cfg. It does no I/O. A nil log discards.
func NewClient(cfg ClientConfig, d Dialer, log *slog.Logger) (*Client, error) {
	if d == nil {
		return nil, errors.New("irc: nil Dialer")
	}
	c := &Client{
		dcc:         cfg.DCC,
		maxLine:     cfg.MaxLine,
		readTimeout: cfg.ReadTimeout,
		dialTimeout: cfg.DialTimeout,
		d:           d,
		pick:        rand.IntN,
	}
	for _, s := range cfg.Targets {
		t, err := parseTarget(s)
		if err != nil {
			return nil, err
		}
		c.targets = append(c.targets, t)
	}
	if len(c.targets) == 0 {
		return nil, errors.New("irc: no target destinations")
	}
	if c.maxLine == 0 {
		c.maxLine = MaxLine
	}
	if c.maxLine < 16 {
		return nil, fmt.Errorf("irc: MaxLine %d too small", c.maxLine)
	}
	if c.readTimeout == 0 {
		c.readTimeout = DefaultReadTimeout
	}
	if c.dialTimeout <= 0 {
		c.dialTimeout = DefaultDialTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c.log = log.With("component", "ircclient")
	return c, nil
}

// Serve accepts local IRC connections on ln until ctx is done, then closes
// ln and every connection, waits for their goroutines and returns
// ctx.Err(). If Accept fails for another reason Serve also shuts down and
// returns that error.
func (c *Client) Serve(ctx context.Context, ln net.Listener) error {
	return serveListener(ctx, ln, c.log, func(ctx context.Context, conn net.Conn) {
		c.handle(ctx, conn)
	})
}

// serveListener is the accept loop of both tunnels. It owns one goroutine
// per connection and waits for all of them before returning.
func serveListener(ctx context.Context, ln net.Listener, log *slog.Logger, handle func(context.Context, net.Conn)) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // runs before wg.Wait: connections close, then we wait
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				log.Warn("accept", "err", err, "retry", delay)
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				}
				continue
			}
			ln.Close()
			return fmt.Errorf("irc: accept: %w", err)
		}
		delay = 0
		wg.Go(func() { handle(ctx, conn) })
	}
}

// handle runs one local connection until either side closes or ctx is done.
func (c *Client) handle(ctx context.Context, local net.Conn) {
	defer local.Close()
	remote, t, err := c.dial(ctx)
	if err != nil {
		c.log.Info("dial failed", "dest", t.String(), "err", err)
		// Tell the user, so that they don't just see a disconnect (Java
		// sends ":<name> 499 you :<exception>").
		msg := ":" + t.String() + " 499 you :" + strings.Map(noCRLF, err.Error()) + "\r\n"
		local.SetWriteDeadline(time.Now().Add(10 * time.Second))
		local.Write([]byte(msg))
		return
	}
	defer remote.Close()
	c.log.Debug("connected", "dest", t.String())
	st := &State{DCC: c.dcc}
	stop := context.AfterFunc(ctx, func() {
		local.Close()
		remote.Close()
	})
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		err := c.copyLines(local, remote, FilterInbound, st)
		c.log.Debug("inbound done", "dest", t.String(), "err", err)
		local.Close()
		remote.Close()
	})
	err = c.copyLines(remote, local, FilterOutbound, st)
	c.log.Debug("outbound done", "dest", t.String(), "err", err)
	local.Close()
	remote.Close()
	wg.Wait()
}

func noCRLF(r rune) rune {
	if r == '\r' || r == '\n' {
		return ' '
	}
	return r
}

// dial tries every target once, starting at a random one. On failure it
// returns the last target tried and its error.
func (c *Client) dial(ctx context.Context) (net.Conn, target, error) {
	n := len(c.targets)
	first := 0
	if n > 1 {
		first = c.pick(n)
	}
	var t target
	var err error
	for i := range n {
		t = c.targets[(first+i)%n]
		dctx, cancel := context.WithTimeout(ctx, c.dialTimeout)
		var conn net.Conn
		conn, err = c.d.Dial(dctx, t.to, t.port)
		cancel()
		if err == nil {
			return conn, t, nil
		}
		err = fmt.Errorf("irc: dial %s: %w", t, err)
		if ctx.Err() != nil {
			break
		}
		if i+1 < n {
			c.log.Debug("dial failed, trying next target", "dest", t.String(), "err", err)
		}
	}
	return nil, t, err
}

type filterFunc func(line []byte, st *State) ([]byte, bool)

// copyLines reads lines from src, filters them and writes the survivors to
// dst with CR LF. Memory is bounded by the line reader's buffer and a 4 KiB
// write buffer. It returns the read or write error that ended it.
func (c *Client) copyLines(dst, src net.Conn, filter filterFunc, st *State) error {
	lr := newLineReader(src, c.maxLine-2)
	w := bufio.NewWriterSize(dst, 4096)
	var dropped, tooLong int
	defer func() {
		if dropped+tooLong > 0 {
			c.log.Debug("lines dropped", "filtered", dropped, "too_long", tooLong)
		}
	}()
	for {
		if c.readTimeout > 0 {
			src.SetReadDeadline(time.Now().Add(c.readTimeout))
		}
		line, long, err := lr.next()
		if err != nil {
			return err
		}
		if long {
			tooLong++
			continue
		}
		out, drop := filter(line, st)
		if drop {
			dropped++
			c.log.Debug("line blocked", "cmd", firstWord(line))
			continue
		}
		if c.readTimeout > 0 {
			dst.SetWriteDeadline(time.Now().Add(c.readTimeout))
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
		if _, err := w.WriteString("\r\n"); err != nil {
			return err
		}
		if !lr.pending() {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}

// firstWord is the command (or prefix) of a line for logs, at most 16
// bytes: never the text of a message.
func firstWord(line []byte) string {
	s := string(line[:min(len(line), 16)])
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	return strings.ToValidUTF8(s, "?")
}
