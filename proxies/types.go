package proxies

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"github.com/i2pgo/i2pgo/proxies/httpproxy"
	"github.com/i2pgo/i2pgo/proxies/irc"
	"github.com/i2pgo/i2pgo/proxies/server"
	"github.com/i2pgo/i2pgo/proxies/socks"
)

// The I2PTunnel types beyond plain client and server, each served by its
// own package: the HTTP and CONNECT proxies (httpproxy), the IRC client
// and server tunnels (irc), SOCKS 4/4a/5 (socks) and the HTTP server
// tunnel (server).
const (
	TypeHTTPClient    = "httpclient"
	TypeConnectClient = "connectclient"
	TypeIRCClient     = "ircclient"
	TypeIRCServer     = "ircserver"
	TypeSOCKS         = "sockstunnel"
	TypeHTTPServer    = "httpserver"
)

// listens reports whether a tunnel type listens on a local port;
// serves whether it accepts I2P streams to a local target.
func listens(typ string) bool {
	switch typ {
	case TypeClient, TypeHTTPClient, TypeConnectClient, TypeIRCClient, TypeSOCKS:
		return true
	}
	return false
}

func serves(typ string) bool {
	switch typ {
	case TypeServer, TypeHTTPServer, TypeIRCServer:
		return true
	}
	return false
}

// Errors a Destination's Dial wraps, so that the proxies can tell the
// user what went wrong (the HTTP proxy's error pages).
var (
	ErrNotFound = errors.New("proxies: destination not found") // no LeaseSet
	ErrNotReady = errors.New("proxies: tunnels not ready")
	ErrTimeout  = errors.New("proxies: timed out")
	ErrRefused  = errors.New("proxies: connection refused")
)

// Names is the address book as the tunnels see it: Resolve maps a
// hosts.txt name to a base64 destination (or b32), wrapping ErrUnknownName
// when no book has it; Add saves a name the user confirmed with the HTTP
// proxy's address helper.
type Names interface {
	Resolve(ctx context.Context, name string) (string, error)
	Add(name, dest string) error
}

// ErrUnknownName is what Names.Resolve wraps for a name no book has.
var ErrUnknownName = errors.New("proxies: unknown host name")

// noNames knows no names.
type noNames struct{}

func (noNames) Resolve(_ context.Context, name string) (string, error) {
	return "", fmt.Errorf("%w: %s", ErrUnknownName, name)
}
func (noNames) Add(string, string) error { return errors.New("proxies: no address book") }

// SetNames gives the manager the address book; call it before Run.
func (m *Manager) SetNames(n Names) {
	if n != nil {
		m.resolver = resolver{n}
	}
}

// resolver maps the address book's unknown-name error to the proxies'.
type resolver struct{ n Names }

func (r resolver) Resolve(ctx context.Context, name string) (string, error) {
	d, err := r.n.Resolve(ctx, name)
	if err != nil && errors.Is(err, ErrUnknownName) {
		return "", fmt.Errorf("%w: %w", httpproxy.ErrUnknownName, err)
	}
	return d, err
}
func (r resolver) Add(name, dest string) error { return r.n.Add(name, dest) }

// namedDialer resolves hosts.txt names (anything under .i2p that is not
// a .b32.i2p address) through the address book before dialing, for the
// tunnels whose destination is written as a name (client, ircclient).
type namedDialer struct {
	d Destination
	r Names
}

func (n namedDialer) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	host, rest := to, ""
	if i := strings.LastIndexByte(to, ':'); i >= 0 && !strings.Contains(to[i:], "=") {
		host, rest = to[:i], to[i:]
	}
	if strings.HasSuffix(host, ".i2p") && !strings.HasSuffix(host, ".b32.i2p") {
		dest, err := n.r.Resolve(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		to = dest + rest
	}
	return n.d.Dial(ctx, to, port)
}

// httpDialer maps our Dial errors to the HTTP proxy's.
type httpDialer struct{ d Destination }

func (h httpDialer) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	c, err := h.d.Dial(ctx, to, port)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("%w: %v", httpproxy.ErrNotFound, err)
	case errors.Is(err, ErrNotReady):
		return nil, fmt.Errorf("%w: %v", httpproxy.ErrNotReady, err)
	case errors.Is(err, ErrTimeout):
		return nil, fmt.Errorf("%w: %v", httpproxy.ErrTimeout, err)
	case errors.Is(err, ErrRefused):
		return nil, fmt.Errorf("%w: %v", httpproxy.ErrRefused, err)
	}
	return nil, err
}

// serveTyped runs a tunnel of one of the types above until ctx is done.
func (m *Manager) serveTyped(ctx context.Context, t *tunnel, d Destination, ln net.Listener) error {
	log := m.log.With("tunnel", t.cfg.Name)
	c := t.cfg
	switch c.Type {
	case TypeHTTPClient, TypeConnectClient:
		mode := httpproxy.ModeHTTP
		if c.Type == TypeConnectClient {
			mode = httpproxy.ModeConnect
		}
		p, err := httpproxy.New(httpproxy.Config{Mode: mode, Outproxy: c.Outproxy}, httpproxy.Deps{Dialer: httpDialer{d}, Resolver: m.resolver, Book: m.resolver, Logger: log})
		if err != nil {
			return err
		}
		return p.Serve(ctx, ln)
	case TypeSOCKS:
		s, err := socks.New(socks.Config{Outproxy: c.Outproxy}, d, m.resolver, log)
		if err != nil {
			return err
		}
		return s.Serve(ctx, ln)
	case TypeIRCClient:
		cl, err := irc.NewClient(irc.ClientConfig{Targets: splitTargets(c.Destination)}, namedDialer{d, m.resolver}, log)
		if err != nil {
			return err
		}
		return cl.Serve(ctx, ln)
	}
	l, err := d.Listen(0)
	if err != nil {
		return err
	}
	defer l.Close()
	switch c.Type {
	case TypeHTTPServer:
		s, err := server.NewHTTP(server.HTTPConfig{Config: server.Config{Target: c.Target}, Hostname: c.Hostname}, log)
		if err != nil {
			return err
		}
		return s.Serve(ctx, countConns(l, t, &t.in, &t.out))
	case TypeIRCServer:
		s, err := irc.NewServer(irc.ServerConfig{Target: c.Target, WebIRCPassword: c.WebIRCPassword}, nil, log)
		if err != nil {
			return err
		}
		return s.Serve(ctx, countConns(l, t, &t.in, &t.out))
	}
	return fmt.Errorf("proxies: tunnel type %q not supported", c.Type)
}

// splitTargets splits a comma- or space-separated destination list.
func splitTargets(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// countConns counts the connections a listener accepts for the
// tunnel's status, and the bytes read from them into rd and written to
// them into wr.
func countConns(l net.Listener, t *tunnel, rd, wr *atomic.Uint64) net.Listener {
	return &countingListener{Listener: l, t: t, rd: rd, wr: wr}
}

type countingListener struct {
	net.Listener
	t      *tunnel
	rd, wr *atomic.Uint64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.t.conns.Add(1)
	return &countingConn{Conn: c, rd: l.rd, wr: l.wr}, nil
}

// countingConn counts the bytes through a conn. It keeps CloseWrite
// (half-close), falling back to Close where the conn has none.
type countingConn struct {
	net.Conn
	rd, wr *atomic.Uint64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.rd.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.wr.Add(uint64(n))
	return n, err
}

func (c *countingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
