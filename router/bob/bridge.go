package bob

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/acceptor"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/sam"
)

// Network is what the bridge needs of the router: local destinations with
// given keys, and name lookups. It has sam.Network's methods, so that the
// router's SAM adapter ((*router.Router).SAMNetwork) serves BOB as it is;
// BOB uses only Destination, Dial, Listen and Close of the destinations.
type Network interface {
	// NewDestination starts a local destination. It may block until its
	// tunnels are built; ctx ends when the tunnel is stopped.
	NewDestination(ctx context.Context, cfg sam.DestinationConfig) (sam.Destination, error)
	// Lookup resolves a hosts.txt name, a b32 address or a base64
	// destination.
	Lookup(ctx context.Context, name string) (data.Destination, error)
}

// LocalLookuper is implemented by a Network that can resolve a name
// without asking the network (from the address book and the LeaseSets it
// holds): lookuplocal uses it, and answers ERROR without it.
type LocalLookuper interface {
	LookupLocal(name string) (data.Destination, error)
}

// Config configures a Bridge. The zero value is the defaults below.
type Config struct {
	// MaxLineLen bounds a command line and the destination line of an
	// inbound connection, terminator included. A longer command line is
	// answered with ERROR and skipped. Default 64 KiB.
	MaxLineLen int
	// WriteTimeout bounds a reply on the command channel. Default 60s;
	// negative: no limit.
	WriteTimeout time.Duration
	// LookupTimeout bounds a name lookup. Default 30s.
	LookupTimeout time.Duration
	// ConnectTimeout bounds the stream an inbound connection opens to its
	// destination. Default 2 minutes.
	ConnectTimeout time.Duration
	// AddressTimeout bounds the wait for the destination line of an
	// inbound connection. Default 60s.
	AddressTimeout time.Duration
	// DialTimeout bounds the TCP connection to outhost:outport for an
	// incoming stream. Default 10s.
	DialTimeout time.Duration
	// Rand is the source of new keys. Default crypto/rand.
	Rand io.Reader
	// Listen opens the TCP listener of an inbound tunnel (inhost:inport).
	// Default net.ListenConfig.Listen on "tcp".
	Listen func(ctx context.Context, addr string) (net.Listener, error)
	// Dial opens the TCP connection to outhost:outport. Default
	// net.Dialer.DialContext on "tcp".
	Dial func(ctx context.Context, addr string) (net.Conn, error)
}

func (c *Config) setDefaults() {
	if c.MaxLineLen <= 0 {
		c.MaxLineLen = 64 << 10
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 60 * time.Second
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = 30 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 2 * time.Minute
	}
	if c.AddressTimeout <= 0 {
		c.AddressTimeout = 60 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Listen == nil {
		c.Listen = func(ctx context.Context, addr string) (net.Listener, error) {
			var lc net.ListenConfig
			return lc.Listen(ctx, "tcp", addr)
		}
	}
	if c.Dial == nil {
		c.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}
	}
}

// ErrServing is returned by a second Serve.
var ErrServing = errors.New("bob: already serving")

// Bridge is a BOB bridge: command sessions on the listener given to
// Serve, and the tunnels they define, which outlive the sessions.
type Bridge struct {
	cfg Config
	net Network
	log *slog.Logger

	mu      sync.Mutex
	tunnels map[string]*tunnel // by nickname
	serving bool
	base    context.Context // Serve's; nil before Serve and after it ends
	runners sync.WaitGroup  // every tunnel's run goroutine
}

// New returns a bridge over net. log nil discards. It does no I/O.
func New(cfg Config, net Network, log *slog.Logger) (*Bridge, error) {
	if net == nil {
		return nil, errors.New("bob: nil Network")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.setDefaults()
	return &Bridge{cfg: cfg, net: net, log: log.With("component", "bob"), tunnels: make(map[string]*tunnel)}, nil
}

// Serve accepts command sessions on ln until ctx is done or ln fails. It
// then closes ln and every session, stops every tunnel, waits for all
// their goroutines, and returns ctx.Err() or the accept error. A bridge
// is served once.
func (b *Bridge) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.mu.Lock()
	if b.serving {
		b.mu.Unlock()
		return ErrServing
	}
	b.serving, b.base = true, ctx
	b.mu.Unlock()

	var sessions sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var backoff time.Duration
	var err error
	for {
		var c net.Conn
		if c, err = acceptor.Accept(ctx, ln, &backoff); err != nil {
			break
		}
		s := &session{b: b, c: c}
		sessions.Go(func() { s.serve(ctx) })
	}
	cancel()
	sessions.Wait()
	// No session is left to start a tunnel; the runners end with ctx.
	b.mu.Lock()
	b.base = nil
	b.mu.Unlock()
	b.runners.Wait()
	return err
}

// tunnelState is a tunnel's life:
//
//	stopped --start--> starting --destination ready--> running
//	starting, running --stop, clear, Serve ends, failure--> stopping --> stopped
type tunnelState int

const (
	stopped tunnelState = iota
	starting
	running
	stopping
)

// tunnel is a nickname and its settings. All fields are guarded by the
// bridge's mu.
type tunnel struct {
	name string
	// owner is the session that made the tunnel with setnick, until the
	// tunnel is first started: a tunnel never started goes away with its
	// session (as i2pd keeps such settings in the session).
	owner *session

	keys            *sam.PrivateKeys
	inHost, outHost string
	inPort, outPort int
	quiet           bool
	options         map[string]string
	state           tunnelState
	run             *runner // non-nil unless stopped
}

func (t *tunnel) statusLocked() tunnelStatus {
	return tunnelStatus{
		Nickname: t.name,
		Starting: t.state == starting, Running: t.state == running, Stopping: t.state == stopping,
		Keys: t.keys != nil, Quiet: t.quiet,
		InHost: t.inHost, OutHost: t.outHost, InPort: t.inPort, OutPort: t.outPort,
	}
}

// statusLines returns the DATA line of every tunnel, sorted by nickname.
func (b *Bridge) statusLines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	names := make([]string, 0, len(b.tunnels))
	for n := range b.tunnels {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = statusLine(b.tunnels[n].statusLocked())
	}
	return lines
}

// Status is a tunnel's state, for status pages.
type Status struct {
	Nickname        string
	Starting        bool
	Running         bool
	Destination     string // b32 address; empty without keys
	InHost, OutHost string
	InPort, OutPort int
	Quiet           bool
}

// Tunnels returns the state of every tunnel, sorted by nickname.
func (b *Bridge) Tunnels() []Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Status, 0, len(b.tunnels))
	for _, t := range b.tunnels {
		s := Status{Nickname: t.name, Starting: t.state == starting, Running: t.state == running,
			InHost: t.inHost, OutHost: t.outHost, InPort: t.inPort, OutPort: t.outPort, Quiet: t.quiet}
		if t.keys != nil {
			s.Destination = t.keys.Destination.B32()
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Nickname < out[j].Nickname })
	return out
}
