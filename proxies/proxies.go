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
// The Manager runs the list it is made with, and adds, changes, removes,
// starts, stops and restarts single tunnels while it runs (the console's
// tunnel manager): each tunnel runs on goroutines of its own, which Stop
// waits for; its local port is bound before the operation returns, so a
// port in use is the caller's error; its destination is closed when it
// stops. Start and Stop do not change a tunnel's Enabled, which says
// whether it starts with the router (Java I2P's "auto start").
//
// Bytes are counted per tunnel on the local side: BytesOut is what local
// applications (client types) or I2P peers (server types) sent, BytesIn
// what they received.
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
	// Enabled: the tunnel starts with the router (left out when false;
	// GET /api/tunnels/{name} has its whole config).
	Enabled bool `json:"enabled,omitempty"`
}

// Errors of the live operations, for callers to branch on.
var (
	ErrNoTunnel = errors.New("proxies: no such tunnel")
	ErrExists   = errors.New("proxies: a tunnel of that name exists")
	ErrClosed   = errors.New("proxies: the manager has stopped")
	// ErrSameListen: New refuses two enabled tunnels on one address.
	ErrSameListen = errors.New("proxies: two tunnels listen on one address")
)

// Manager runs the tunnels. Besides the list given to New, tunnels can be
// added, changed, removed, started and stopped one at a time, before or
// while Run runs (the console's tunnel manager does so).
//
// Locks: opMu serializes the operations that change what runs (Listen,
// Add, Update, Remove, Start, Stop, Restart, and Run's start and end); it
// is held while a tunnel's goroutines are waited for, so it is never taken
// by Status. mu guards the tunnel list and the run context and is held for
// no I/O. A tunnel's cfg, ln, cancel and done change only under opMu and
// while none of its goroutines runs; its run goroutine reads cfg without
// a lock.
type Manager struct {
	net      Network
	log      *slog.Logger
	resolver Names

	opMu sync.Mutex

	mu      sync.Mutex
	tunnels []*tunnel       // in list order; guarded by mu
	ctx     context.Context // Run's, nil before Run; guarded by mu
	closed  bool            // Run has returned; guarded by mu

	wg sync.WaitGroup // every tunnel's run goroutine
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
				return nil, fmt.Errorf("%w: %s", ErrSameListen, c.Listen)
			}
			listens[c.Listen] = true
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{net: net, log: log.With("component", "tunnels"), resolver: noNames{}}
	for _, c := range cfgs {
		m.tunnels = append(m.tunnels, &tunnel{cfg: c, state: StateStopped, want: c.Enabled})
	}
	return m, nil
}

// Listen binds the local ports of the enabled client tunnels, so that a
// port in use is reported before anything runs.
func (m *Manager) Listen() error {
	m.opMu.Lock()
	defer m.opMu.Unlock()
	var bound []*tunnel
	for _, t := range m.list() {
		if !t.want || t.ln != nil {
			continue
		}
		if err := t.bindLocked(); err != nil {
			for _, b := range bound {
				b.ln.Close()
				b.ln = nil
			}
			return err
		}
		bound = append(bound, t)
	}
	return nil
}

// list is a copy of the tunnel list.
func (m *Manager) list() []*tunnel {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tunnels)
}

// Run starts the enabled tunnels and runs them until ctx is done, then
// stops every tunnel and waits for them. Operations after Run has
// returned fail with ErrClosed.
func (m *Manager) Run(ctx context.Context) error {
	m.opMu.Lock()
	m.mu.Lock()
	if m.ctx != nil || m.closed {
		m.mu.Unlock()
		m.opMu.Unlock()
		return errors.New("proxies: Run called twice")
	}
	m.ctx = ctx
	ts := slices.Clone(m.tunnels)
	m.mu.Unlock()
	for _, t := range ts {
		if t.want {
			if err := m.startLocked(t); err != nil {
				t.set(StateFailed, err)
				m.log.Warn("tunnel not started", "tunnel", t.cfg.Name, "err", err)
			}
		}
	}
	m.opMu.Unlock()

	<-ctx.Done()
	m.opMu.Lock()
	defer m.opMu.Unlock()
	m.mu.Lock()
	m.closed = true
	ts = slices.Clone(m.tunnels)
	m.mu.Unlock()
	for _, t := range ts {
		m.stopLocked(t)
	}
	m.wg.Wait()
	return ctx.Err()
}

// Status lists the tunnels.
func (m *Manager) Status() []TunnelStatus {
	ts := m.list()
	out := make([]TunnelStatus, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.status())
	}
	return out
}

// find returns the tunnel named name and its index.
func (m *Manager) find(name string) (*tunnel, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, -1, ErrClosed
	}
	for i, t := range m.tunnels {
		if t.name() == name {
			return t, i, nil
		}
	}
	return nil, -1, fmt.Errorf("%w: %q", ErrNoTunnel, name)
}

// Add adds a tunnel; an enabled one is started at once. Its local port
// is bound before Add returns, so a port in use is Add's error, and
// nothing is added then.
func (m *Manager) Add(c TunnelConfig) error {
	if err := c.Check(); err != nil {
		return err
	}
	m.opMu.Lock()
	defer m.opMu.Unlock()
	if _, _, err := m.find(c.Name); err == nil {
		return fmt.Errorf("%w: %q", ErrExists, c.Name)
	} else if !errors.Is(err, ErrNoTunnel) {
		return err
	}
	t := &tunnel{cfg: c, state: StateStopped}
	if c.Enabled {
		if err := m.startLocked(t); err != nil {
			return err
		}
	}
	m.mu.Lock()
	m.tunnels = append(m.tunnels, t)
	m.mu.Unlock()
	return nil
}

// Update replaces the config of the tunnel named name (c may rename it).
// A running tunnel is stopped, changed and started again; if the new
// config cannot start (a port in use), the old one is restored, started
// again if it ran, and the error returned. A stopped tunnel stays
// stopped.
func (m *Manager) Update(name string, c TunnelConfig) error {
	if err := c.Check(); err != nil {
		return err
	}
	m.opMu.Lock()
	defer m.opMu.Unlock()
	t, _, err := m.find(name)
	if err != nil {
		return err
	}
	if c.Name != name {
		if _, _, err := m.find(c.Name); err == nil {
			return fmt.Errorf("%w: %q", ErrExists, c.Name)
		}
	}
	was := t.want
	old := t.cfg
	m.stopLocked(t)
	t.setConfig(c)
	if !was {
		return nil
	}
	if err := m.startLocked(t); err != nil {
		t.setConfig(old)
		if err2 := m.startLocked(t); err2 != nil {
			t.set(StateFailed, err2)
		}
		return err
	}
	return nil
}

// Remove stops the tunnel named name and removes it.
func (m *Manager) Remove(name string) error {
	m.opMu.Lock()
	defer m.opMu.Unlock()
	t, _, err := m.find(name)
	if err != nil {
		return err
	}
	m.stopLocked(t)
	m.mu.Lock()
	if i := slices.Index(m.tunnels, t); i >= 0 {
		m.tunnels = slices.Delete(m.tunnels, i, i+1)
	}
	m.mu.Unlock()
	return nil
}

// Start starts the tunnel named name (nothing if it runs). Its local port
// is bound before Start returns. Before Run, the tunnel is only bound and
// marked to start with Run.
func (m *Manager) Start(name string) error {
	m.opMu.Lock()
	defer m.opMu.Unlock()
	t, _, err := m.find(name)
	if err != nil {
		return err
	}
	return m.startLocked(t)
}

// Stop stops the tunnel named name, waiting for its connections to end;
// its local port is free and its destination closed when Stop returns.
func (m *Manager) Stop(name string) error {
	m.opMu.Lock()
	defer m.opMu.Unlock()
	t, _, err := m.find(name)
	if err != nil {
		return err
	}
	m.stopLocked(t)
	return nil
}

// Restart stops and starts the tunnel named name.
func (m *Manager) Restart(name string) error {
	m.opMu.Lock()
	defer m.opMu.Unlock()
	t, _, err := m.find(name)
	if err != nil {
		return err
	}
	m.stopLocked(t)
	return m.startLocked(t)
}

// startLocked binds t's port and, once Run runs, starts its goroutine.
// The caller holds opMu.
func (m *Manager) startLocked(t *tunnel) error {
	if t.done != nil {
		select {
		case <-t.done:
			// It ended by itself (failed): start it afresh.
			m.stopLocked(t)
		default:
			return nil // running
		}
	}
	if err := t.bindLocked(); err != nil {
		t.set(StateFailed, err)
		return err
	}
	t.want = true
	m.mu.Lock()
	base := m.ctx
	m.mu.Unlock()
	if base == nil {
		return nil // Run starts it
	}
	ctx, cancel := context.WithCancel(base)
	done := make(chan struct{}) // closed by the run goroutine when it returns
	t.cancel, t.done = cancel, done
	t.set(StateStarting, nil)
	ln := t.ln
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(done)
		m.run(ctx, t, ln)
	}()
	return nil
}

// stopLocked stops t's goroutines, waits for them, and frees its port.
// The caller holds opMu.
func (m *Manager) stopLocked(t *tunnel) {
	t.want = false
	if t.cancel != nil {
		t.cancel()
	}
	if t.ln != nil {
		t.ln.Close()
		t.ln = nil
	}
	if t.done != nil {
		<-t.done
	}
	t.cancel, t.done = nil, nil
	t.mu.Lock()
	t.dest = nil
	t.state, t.err = StateStopped, ""
	t.mu.Unlock()
}

// tunnel is one tunnel of the list.
type tunnel struct {
	// Changed under Manager.opMu only, while no goroutine of t runs.
	cfg    TunnelConfig // also guarded by mu, for status
	ln     net.Listener // listening types: bound by bindLocked
	cancel context.CancelFunc
	done   chan struct{} // closed when the run goroutine returns; nil if none started
	want   bool          // it should run (started, or enabled before Run)

	mu    sync.Mutex
	state string
	err   string
	dest  Destination

	conns, in, out atomic.Uint64
}

func (t *tunnel) name() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cfg.Name
}

func (t *tunnel) setConfig(c TunnelConfig) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cfg = c
}

// bindLocked binds the local port of a listening tunnel, if not bound.
// The caller holds Manager.opMu.
func (t *tunnel) bindLocked() error {
	if !listens(t.cfg.Type) || t.ln != nil {
		return nil
	}
	l, err := net.Listen("tcp", t.cfg.Listen)
	if err != nil {
		return fmt.Errorf("proxies: tunnel %q: %w", t.cfg.Name, err)
	}
	t.ln = l
	if t.cfg.Type != TypeClient { // serveClient counts its own
		t.ln = countConns(l, t, &t.out, &t.in)
	}
	return nil
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
		Destination: t.cfg.Destination, Error: t.err, Connections: t.conns.Load(), BytesIn: t.in.Load(), BytesOut: t.out.Load(),
		Enabled: t.cfg.Enabled}
	if t.dest != nil {
		st.B32, st.B33 = t.dest.B32(), t.dest.B33()
		if st.State == StateStarting && t.dest.Ready() {
			st.State = StateRunning
		}
	}
	return st
}

// run runs t on its own destination until ctx is done; ln is t's local
// listener (nil for server types), which the caller closes.
func (m *Manager) run(ctx context.Context, t *tunnel, ln net.Listener) {
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
	// rctx ends d.Run also when the tunnel fails by itself.
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { d.Run(rctx) })
	// Accept loops end when ln is closed; close it when ctx is done, so
	// that a tunnel ending by itself does not wait for a Stop.
	if ln != nil {
		stop := context.AfterFunc(ctx, func() { ln.Close() })
		defer stop()
	}
	switch t.cfg.Type {
	case TypeClient:
		m.serveClient(ctx, t, d, ln)
	case TypeServer:
		m.serveServer(ctx, t, d)
	default:
		if err := m.serveTyped(ctx, t, d, ln); err != nil && ctx.Err() == nil {
			t.set(StateFailed, err)
			m.log.Warn("tunnel failed", "tunnel", t.cfg.Name, "err", err)
			d.Close()
			return
		}
	}
	d.Close()
	if ctx.Err() != nil {
		t.set(StateStopped, nil)
	}
	m.log.Info("tunnel stopped", "tunnel", t.cfg.Name)
}

// dialTimeout bounds the stream setup of a client tunnel: LeaseSet
// lookup and the SYN exchange.
const dialTimeout = 60 * time.Second

func (m *Manager) serveClient(ctx context.Context, t *tunnel, d Destination, ln net.Listener) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
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
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer l.Close()
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
