// Package proxies is the I2PTunnel suite's tunnel manager: it starts and
// stops the tunnels of the config's `tunnels:` list, each on a local
// destination of its own. This first version has the plain TCP tunnels of
// Java I2P's I2PTunnel (apps/i2ptunnel, I2PTunnelClient and
// I2PTunnelServer):
//
//   - client: accepts TCP connections on a local host:port and opens, for
//     each, an I2P stream to a fixed destination, then copies bytes both
//     ways until either side closes.
//   - server: accepts I2P streams to its destination and connects each to a
//     local TCP target.
//
// The package sees the router only through the Network and Destination
// interfaces below, so it is tested with in-memory twins.
package proxies

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Destination is a local I2P destination with streaming.
type Destination interface {
	B32() string
	// B33 is its b33 address when it publishes an encrypted LeaseSet,
	// else "".
	B33() string
	// Ready reports whether it has tunnels and a published LeaseSet.
	Ready() bool
	// Dial opens a stream to a b32.i2p address or base64 destination,
	// with an optional ":port"; port, if nonzero, overrides it.
	Dial(ctx context.Context, to string, port uint16) (net.Conn, error)
	// Listen accepts streams to port (0: any port).
	Listen(port uint16) (net.Listener, error)
	// Run keeps it running until ctx is done; it closes the destination
	// when it returns.
	Run(ctx context.Context) error
	Close() error
}

// Network makes local destinations.
type Network interface {
	NewDestination(cfg DestinationConfig) (Destination, error)
}

// Settings are one direction's tunnel settings of a destination.
type Settings struct {
	Length, Quantity int // zero: the default (3 hops, 2 tunnels)
}

// DestinationConfig configures the destination of a tunnel.
type DestinationConfig struct {
	Name              string
	Keys              string // keys file in datadir; empty: transient
	Inbound, Outbound Settings
	Encrypted         bool // publish an encrypted LeaseSet (b33 address)
}

// Tunnel types.
const (
	TypeClient = "client"
	TypeServer = "server"
)

// TunnelConfig is one entry of the `tunnels:` list (a public contract).
type TunnelConfig struct {
	Name string
	Type string // client or server
	// Listen is the local host:port of a client tunnel.
	Listen string
	// Destination is where a client tunnel connects: a b32.i2p address or
	// a base64 destination, with an optional :port.
	Destination string
	// Target is the local host:port a server tunnel connects to.
	Target            string
	Keys              string
	Inbound, Outbound Settings
	// Encrypted publishes an encrypted LeaseSet; the tunnel is then
	// reached by its b33 address.
	Encrypted bool
	// Hostname is an httpserver's site name (the Host its web server
	// sees); Outproxy the outproxy of an httpclient, connectclient or
	// sockstunnel (empty: none).
	Hostname, Outproxy string
	// WebIRCPassword: an ircserver announces clients with WEBIRC.
	WebIRCPassword string
	Enabled        bool
}

// Types are the tunnel types.
var Types = []string{TypeClient, TypeServer, TypeHTTPClient, TypeConnectClient, TypeIRCClient, TypeIRCServer, TypeSOCKS, TypeHTTPServer}

// Check reports what is wrong with the entry.
func (c TunnelConfig) Check() error {
	switch {
	case c.Name == "":
		return errors.New("proxies: a tunnel needs a name")
	case !listens(c.Type) && !serves(c.Type):
		return fmt.Errorf("proxies: tunnel %q: type %q, want one of %s", c.Name, c.Type, strings.Join(Types, ", "))
	case listens(c.Type) && c.Listen == "":
		return fmt.Errorf("proxies: %s tunnel %q needs listen", c.Type, c.Name)
	case (c.Type == TypeClient || c.Type == TypeIRCClient) && c.Destination == "":
		return fmt.Errorf("proxies: %s tunnel %q needs a destination", c.Type, c.Name)
	case serves(c.Type) && c.Target == "":
		return fmt.Errorf("proxies: %s tunnel %q needs a target", c.Type, c.Name)
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("proxies: tunnel %q: listen %q: %w", c.Name, c.Listen, err)
		}
	}
	if c.Target != "" {
		if _, _, err := net.SplitHostPort(c.Target); err != nil {
			return fmt.Errorf("proxies: tunnel %q: target %q: %w", c.Name, c.Target, err)
		}
	}
	return nil
}

// Tunnel states.
const (
	StateStopped  = "stopped"
	StateStarting = "starting" // building tunnels, publishing the LeaseSet
	StateRunning  = "running"
	StateFailed   = "failed"
)

// TunnelStatus is one tunnel for GET /api/tunnels (field names are a
// public contract).
type TunnelStatus struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	State       string `json:"state"`
	Listen      string `json:"listen,omitempty"`
	Target      string `json:"target,omitempty"`
	Destination string `json:"destination,omitempty"`
	B32         string `json:"b32"`
	B33         string `json:"b33,omitempty"`
	Error       string `json:"error,omitempty"`
	Connections uint64 `json:"connections"`
	BytesIn     uint64 `json:"bytes_in"`
	BytesOut    uint64 `json:"bytes_out"`
}

// Manager runs the tunnels.
type Manager struct {
	net      Network
	log      *slog.Logger
	cfgs     []TunnelConfig
	resolver Names

	mu      sync.Mutex
	tunnels []*tunnel
	wg      sync.WaitGroup
}

// New checks the tunnel list. It starts nothing.
func New(cfgs []TunnelConfig, net Network, log *slog.Logger) (*Manager, error) {
	names := map[string]bool{}
	listens := map[string]bool{}
	for _, c := range cfgs {
		if err := c.Check(); err != nil {
			return nil, err
		}
		if names[c.Name] {
			return nil, fmt.Errorf("proxies: two tunnels named %q", c.Name)
		}
		names[c.Name] = true
		if c.Listen != "" && c.Enabled {
			if listens[c.Listen] {
				return nil, fmt.Errorf("proxies: two tunnels listen on %s", c.Listen)
			}
			listens[c.Listen] = true
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{net: net, log: log.With("component", "tunnels"), cfgs: slices.Clone(cfgs), resolver: noNames{}}
	for _, c := range cfgs {
		m.tunnels = append(m.tunnels, &tunnel{cfg: c, state: StateStopped})
	}
	return m, nil
}

// Listen binds the local ports of the enabled client tunnels, so that a
// port in use is reported before anything runs.
func (m *Manager) Listen() error {
	for _, t := range m.tunnels {
		if !t.cfg.Enabled || !listens(t.cfg.Type) {
			continue
		}
		l, err := net.Listen("tcp", t.cfg.Listen)
		if err != nil {
			m.closeListeners()
			return fmt.Errorf("proxies: tunnel %q: %w", t.cfg.Name, err)
		}
		t.ln = l
	}
	m.wrapClientListeners()
	return nil
}

func (m *Manager) closeListeners() {
	for _, t := range m.tunnels {
		if t.ln != nil {
			t.ln.Close()
		}
	}
}

// Run starts the enabled tunnels and runs them until ctx is done.
func (m *Manager) Run(ctx context.Context) error {
	for _, t := range m.tunnels {
		if !t.cfg.Enabled {
			continue
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.run(ctx, t)
		}()
	}
	<-ctx.Done()
	m.closeListeners()
	m.wg.Wait()
	return ctx.Err()
}

// Status lists the tunnels.
func (m *Manager) Status() []TunnelStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]TunnelStatus, 0, len(m.tunnels))
	for _, t := range m.tunnels {
		out = append(out, t.status())
	}
	return out
}

// tunnel is one running tunnel.
type tunnel struct {
	cfg TunnelConfig
	ln  net.Listener // client tunnels: bound by Listen

	mu    sync.Mutex
	state string
	err   string
	dest  Destination

	conns, in, out atomic.Uint64
}

func (t *tunnel) set(state string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state = state
	t.err = ""
	if err != nil {
		t.err = err.Error()
	}
}

func (t *tunnel) status() TunnelStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := TunnelStatus{Name: t.cfg.Name, Type: t.cfg.Type, State: t.state, Listen: t.cfg.Listen, Target: t.cfg.Target,
		Destination: t.cfg.Destination, Error: t.err, Connections: t.conns.Load(), BytesIn: t.in.Load(), BytesOut: t.out.Load()}
	if t.dest != nil {
		st.B32, st.B33 = t.dest.B32(), t.dest.B33()
		if st.State == StateStarting && t.dest.Ready() {
			st.State = StateRunning
		}
	}
	return st
}

func (m *Manager) run(ctx context.Context, t *tunnel) {
	t.set(StateStarting, nil)
	d, err := m.net.NewDestination(DestinationConfig{Name: t.cfg.Name, Keys: t.cfg.Keys, Inbound: t.cfg.Inbound, Outbound: t.cfg.Outbound, Encrypted: t.cfg.Encrypted})
	if err != nil {
		t.set(StateFailed, err)
		m.log.Warn("tunnel not started", "tunnel", t.cfg.Name, "err", err)
		return
	}
	t.mu.Lock()
	t.dest = d
	t.mu.Unlock()
	m.log.Info("tunnel started", "tunnel", t.cfg.Name, "type", t.cfg.Type, "b32", d.B32())
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); d.Run(ctx) }()
	switch t.cfg.Type {
	case TypeClient:
		m.serveClient(ctx, t, d)
	case TypeServer:
		m.serveServer(ctx, t, d)
	default:
		if err := m.serveTyped(ctx, t, d); err != nil && ctx.Err() == nil {
			t.set(StateFailed, err)
			m.log.Warn("tunnel failed", "tunnel", t.cfg.Name, "err", err)
			d.Close()
			return
		}
	}
	d.Close()
	t.set(StateStopped, nil)
}

// dialTimeout bounds the stream setup of a client tunnel: LeaseSet
// lookup and the SYN exchange.
const dialTimeout = 60 * time.Second

func (m *Manager) serveClient(ctx context.Context, t *tunnel, d Destination) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				t.set(StateFailed, err)
			}
			return
		}
		t.conns.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			s, err := namedDialer{d, m.resolver}.Dial(dctx, t.cfg.Destination, 0)
			cancel()
			if err != nil {
				m.log.Info("client tunnel: stream not opened", "tunnel", t.cfg.Name, "err", err)
				return
			}
			defer s.Close()
			pipe(ctx, c, s, &t.out, &t.in)
		}()
	}
}

func (m *Manager) serveServer(ctx context.Context, t *tunnel, d Destination) {
	l, err := d.Listen(0)
	if err != nil {
		t.set(StateFailed, err)
		return
	}
	go func() { <-ctx.Done(); l.Close() }()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		s, err := l.Accept()
		if err != nil {
			if ctx.Err() == nil {
				t.set(StateFailed, err)
			}
			return
		}
		t.conns.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
			var dl net.Dialer
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			c, err := dl.DialContext(dctx, "tcp", t.cfg.Target)
			cancel()
			if err != nil {
				m.log.Info("server tunnel: target not reachable", "tunnel", t.cfg.Name, "err", err)
				return
			}
			defer c.Close()
			pipe(ctx, c, s, &t.in, &t.out)
		}()
	}
}

// pipe copies a→b and b→a until both directions end or ctx is done,
// counting the bytes each way. A direction that ends half-closes its
// write side where the conn supports it.
func pipe(ctx context.Context, a, b net.Conn, aToB, bToA *atomic.Uint64) {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { a.Close(); b.Close() })
	defer stop()
	cp := func(dst, src net.Conn, n *atomic.Uint64) {
		w, _ := io.Copy(dst, src)
		n.Add(uint64(w))
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
		done <- struct{}{}
	}
	go cp(b, a, aToB)
	go cp(a, b, bToA)
	<-done
	<-done
}
