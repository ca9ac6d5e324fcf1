package socks

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	socks5 "github.com/armon/go-socks5"
)

// SOCKS 5 goes through github.com/armon/go-socks5, one socks5.Server per
// client (its New only fills a map), so that the hooks below are closures
// over the session:
//
//   - Resolver: resolves nothing (so go-socks5's DNSResolver is never
//     used); names stay names.
//   - Rewriter: classifies the request (no I/O) and returns the session's
//     context carrying a *decision; go-socks5 hands that context on to
//     Rules and Dial.
//   - Rules: refuses (reply 0x02) what classify refused with
//     ErrNotAllowed; lets BIND and UDP ASSOCIATE through so that
//     go-socks5 answers 0x07.
//   - Dial: ignores its address string and calls Server.connect, which
//     uses only our Resolver and Dialer. Its errors become 0x04 (0x05 if
//     the text says "refused").

type decisionKey struct{}

type decision struct {
	rt  route
	err error
}

type noResolver struct{}

func (noResolver) Resolve(ctx context.Context, name string) (context.Context, net.IP, error) {
	return ctx, nil, nil
}

type rewriter struct {
	s   *Server
	ctx context.Context // the session's
}

func (w rewriter) Rewrite(_ context.Context, req *socks5.Request) (context.Context, *socks5.AddrSpec) {
	d := &decision{}
	a := req.DestAddr
	switch {
	case a == nil:
		d.err = fmt.Errorf("%w: no address", ErrNotAllowed)
	case a.Port < 0 || a.Port > 65535:
		d.err = fmt.Errorf("%w: bad port", ErrNotAllowed)
	case a.FQDN != "":
		d.rt, d.err = w.s.classify(a.FQDN, netip.Addr{}, uint16(a.Port))
	case a.IP != nil:
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			d.err = fmt.Errorf("%w: bad address", ErrNotAllowed)
			break
		}
		d.rt, d.err = w.s.classify("", ip, uint16(a.Port))
	default:
		d.err = fmt.Errorf("%w: empty host name", ErrNotAllowed)
	}
	return context.WithValue(w.ctx, decisionKey{}, d), a
}

type rules struct{}

func (rules) Allow(ctx context.Context, req *socks5.Request) (context.Context, bool) {
	if req.Command != socks5.ConnectCommand {
		return ctx, true // go-socks5 then replies "command not supported"
	}
	d, ok := ctx.Value(decisionKey{}).(*decision)
	if !ok {
		return ctx, false
	}
	return ctx, !errors.Is(d.err, ErrNotAllowed)
}

// credentials compares in constant time (go-socks5's StaticCredentials
// does not).
type credentials struct{ user, pass string }

func (c credentials) Valid(user, pass string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(c.user))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(c.pass))
	return u&p == 1
}

// stdLogger adapts our logger for go-socks5, at Debug: its lines name the
// requested host but never the client's address.
func stdLogger(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelDebug)
}

// serve5 runs a SOCKS 5 session; br holds the peeked version byte.
func (s *Server) serve5(ctx context.Context, c net.Conn, br *bufio.Reader) error {
	g := newGuard()
	client := &guardedConn{Conn: c, r: br, g: g}
	var (
		mu     sync.Mutex
		target net.Conn // guarded by mu
	)
	conf := &socks5.Config{
		Resolver: noResolver{},
		Rewriter: rewriter{s: s, ctx: ctx},
		Rules:    rules{},
		Logger:   stdLogger(s.log),
		Dial: func(dctx context.Context, _, _ string) (net.Conn, error) {
			d, ok := dctx.Value(decisionKey{}).(*decision)
			if !ok {
				return nil, errors.New("socks: no decision (bug)")
			}
			if d.err != nil {
				return nil, d.err
			}
			// The request is complete: the dial has its own timeout.
			c.SetDeadline(time.Time{})
			t, err := s.connect(dctx, d.rt)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			target = t
			mu.Unlock()
			return &guardedConn{Conn: t, r: t, g: g}, nil
		},
	}
	if s.cfg.Username != "" {
		conf.Credentials = credentials{s.cfg.Username, s.cfg.Password}
	}
	srv, err := socks5.New(conf)
	if err != nil {
		return fmt.Errorf("socks: %w", err)
	}
	err = srv.ServeConn(client)
	c.Close()
	mu.Lock()
	if target != nil {
		target.Close()
	}
	mu.Unlock()
	g.closeAndWait()
	if err != nil {
		return fmt.Errorf("socks: socks5: %w", err)
	}
	return nil
}
