package bob

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/acceptor"
	"github.com/i2pgo/i2pgo/router/sam"
)

// runner is a started tunnel: its destination, the TCP listener of its
// inbound side and the accept loop of its outbound side.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{} // closed by run when everything is closed
}

// tunnelConfig is what a runner uses of its tunnel, copied at start.
type tunnelConfig struct {
	name    string
	keys    *sam.PrivateKeys
	inAddr  string // empty: no inbound side
	outAddr string // empty: no outbound side
	quiet   bool
	options map[string]string
}

// Errors of start and stop, with the replies i2pd gives.
var (
	errActive   = errors.New("bob: tunnel is active")
	errInactive = errors.New("bob: tunnel is inactive")
	errNoKeys   = errors.New("bob: Keys must be set.")
	errNoPorts  = errors.New("bob: (inhost):inport or outhost:outport must be set.")
	errNoNick   = errors.New("bob: no nickname has been set")
	errClosed   = errors.New("bob: bridge is shutting down")
)

// hostOr returns host, or 127.0.0.1 when it is empty (Java's BOB
// defaults to localhost; i2pd listens on every address, which we do not).
func hostOr(host string) string {
	if host == "" {
		return "127.0.0.1"
	}
	return host
}

// configLocked checks that t can start and copies its settings.
func (t *tunnel) configLocked() (tunnelConfig, error) {
	if t.state != stopped {
		return tunnelConfig{}, errActive
	}
	if t.keys == nil {
		return tunnelConfig{}, errNoKeys
	}
	if t.inPort == 0 && t.outPort == 0 {
		return tunnelConfig{}, errNoPorts
	}
	c := tunnelConfig{name: t.name, keys: t.keys, quiet: t.quiet, options: maps.Clone(t.options)}
	if t.inPort != 0 {
		c.inAddr = net.JoinHostPort(hostOr(t.inHost), strconv.Itoa(t.inPort))
	}
	if t.outPort != 0 {
		c.outAddr = net.JoinHostPort(hostOr(t.outHost), strconv.Itoa(t.outPort))
	}
	return c, nil
}

// start starts t: it binds the inbound listener at once (so that a port
// in use is an ERROR of start), then starts the destination in the
// background, as i2pd answers "OK Tunnel starting" before the tunnels are
// built.
func (b *Bridge) start(ctx context.Context, t *tunnel) error {
	b.mu.Lock()
	if b.tunnels[t.name] != t {
		b.mu.Unlock()
		return errNoNick
	}
	cfg, err := t.configLocked()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	var ln net.Listener
	if cfg.inAddr != "" {
		if ln, err = b.cfg.Listen(ctx, cfg.inAddr); err != nil {
			return fmt.Errorf("bob: could not listen on %s: %v", cfg.inAddr, err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.base == nil:
		err = errClosed
	case b.tunnels[t.name] != t:
		err = errNoNick
	case t.state != stopped:
		err = errActive
	}
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	rctx, cancel := context.WithCancel(b.base)
	r := &runner{cancel: cancel, done: make(chan struct{})}
	t.state, t.run, t.owner = starting, r, nil
	b.runners.Go(func() { b.run(rctx, t, r, cfg, ln) })
	return nil
}

// stop stops t and waits until its destination and connections are
// closed.
func (b *Bridge) stop(t *tunnel) error {
	b.mu.Lock()
	r := t.run
	if t.state == stopped || r == nil {
		b.mu.Unlock()
		return errInactive
	}
	t.state = stopping
	r.cancel()
	b.mu.Unlock()
	<-r.done
	return nil
}

// run is a started tunnel's goroutine, until ctx ends or the destination
// fails to start.
func (b *Bridge) run(ctx context.Context, t *tunnel, r *runner, cfg tunnelConfig, ln net.Listener) {
	log := b.log.With("tunnel", cfg.name)
	defer func() {
		b.mu.Lock()
		t.state, t.run = stopped, nil
		b.mu.Unlock()
		r.cancel()
		close(r.done)
	}()
	if ln != nil {
		// Connections wait in the backlog until the destination is ready.
		defer ln.Close()
	}
	dest, err := b.net.NewDestination(ctx, sam.DestinationConfig{Keys: cfg.keys, Nickname: "bob:" + cfg.name, Options: cfg.options})
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("tunnel did not start", "err", err)
		}
		return
	}
	defer dest.Close()
	b.mu.Lock()
	if t.state == starting {
		t.state = running
	}
	b.mu.Unlock()
	log.Info("tunnel running", "dest", cfg.keys.Destination.B32(), "in", cfg.inAddr, "out", cfg.outAddr)

	var wg sync.WaitGroup
	if cfg.outAddr != "" {
		il, err := dest.Listen(0)
		if err != nil {
			log.Warn("tunnel cannot accept streams", "err", err)
			return
		}
		defer il.Close()
		stop := context.AfterFunc(ctx, func() { il.Close() })
		defer stop()
		wg.Go(func() {
			acceptLoop(ctx, il, log, func(s net.Conn) { b.outbound(ctx, s, cfg) })
		})
	}
	if ln != nil {
		stop := context.AfterFunc(ctx, func() { ln.Close() })
		defer stop()
		wg.Go(func() {
			acceptLoop(ctx, ln, log, func(c net.Conn) { b.inbound(ctx, c, dest) })
		})
	}
	<-ctx.Done()
	b.mu.Lock()
	t.state = stopping
	b.mu.Unlock()
	wg.Wait()
	log.Info("tunnel stopped")
}

// acceptLoop runs handle on its own goroutine for each connection of ln
// until ln fails, and waits for them all.
func acceptLoop(ctx context.Context, ln net.Listener, log *slog.Logger, handle func(net.Conn)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var backoff time.Duration
	for {
		c, err := acceptor.Accept(ctx, ln, &backoff)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("tunnel stopped accepting", "err", err)
			}
			return
		}
		wg.Go(func() { handle(c) })
	}
}

// peerDestination is implemented by streaming.Conn.
type peerDestination interface {
	PeerDestination() (string, [32]byte)
}

// outbound connects a stream that reached the tunnel's destination to
// outhost:outport. Unless quiet, the peer's base64 destination and a
// newline come first.
func (b *Bridge) outbound(ctx context.Context, s net.Conn, cfg tunnelConfig) {
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	dctx, cancel := context.WithTimeout(ctx, b.cfg.DialTimeout)
	c, err := b.cfg.Dial(dctx, cfg.outAddr)
	cancel()
	stop()
	if err != nil {
		b.log.Debug("outhost unreachable", "tunnel", cfg.name, "err", err)
		return
	}
	var prefix []byte
	if !cfg.quiet {
		if p, ok := s.(peerDestination); ok {
			d, _ := p.PeerDestination()
			prefix = []byte(d + "\n")
		}
	}
	sam.Pipe(ctx, ctx, s, s, prefix, c) // prefix (the peer line) goes to the local side
}

// inbound reads a destination line from a local connection, opens a
// stream to that destination and connects the two. A connection whose
// line does not resolve is closed, as i2pd does.
func (b *Bridge) inbound(ctx context.Context, c net.Conn, dest sam.Destination) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	c.SetReadDeadline(time.Now().Add(b.cfg.AddressTimeout))
	br := bufio.NewReaderSize(c, 4096)
	line, err := readLine(br, b.cfg.MaxLineLen)
	if err != nil {
		b.log.Debug("inbound connection without a destination", "err", err)
		return
	}
	c.SetReadDeadline(time.Time{})
	name := strings.Trim(line, " \t")
	lctx, cancel := context.WithTimeout(ctx, b.cfg.LookupTimeout)
	to, err := b.net.Lookup(lctx, name)
	cancel()
	if err != nil {
		b.log.Debug("inbound destination not found", "err", err)
		return
	}
	dctx, cancel := context.WithTimeout(ctx, b.cfg.ConnectTimeout)
	s, err := dest.Dial(dctx, to, 0, 0)
	cancel()
	if err != nil {
		b.log.Debug("inbound destination unreachable", "dest", to.B32(), "err", err)
		return
	}
	defer s.Close()
	sam.Pipe(ctx, ctx, c, br, nil, s)
}

// errLineTooLong: a line longer than the bound.
var errLineTooLong = errors.New("bob: line too long")

// readLine reads a line of at most max bytes, terminator included, and
// returns it without the terminator. A longer line is read to its end and
// discarded, and errLineTooLong returned. A line cut by EOF is an error.
func readLine(br *bufio.Reader, max int) (string, error) {
	var line []byte
	tooLong := false
	for {
		frag, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(frag) > max {
				tooLong, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return "", errLineTooLong
			}
			s := strings.TrimSuffix(string(line), "\n")
			return strings.TrimSuffix(s, "\r"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(line) > 0 || tooLong):
			return "", io.ErrUnexpectedEOF
		default:
			return "", err
		}
	}
}
