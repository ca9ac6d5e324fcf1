package sam

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/acceptor"
	"github.com/i2pgo/i2pgo/router/data"
)

// Network is what the bridge needs of the router. The router adapts its
// local destinations to it.
type Network interface {
	// NewDestination starts a local destination with SAM's options. It may
	// block until tunnels are built; ctx ends with the control socket.
	NewDestination(ctx context.Context, cfg DestinationConfig) (Destination, error)
	// Lookup resolves a hosts.txt name, a b32 (or b33) address or a base64
	// destination to a full destination (NAMING LOOKUP, and names in
	// STREAM CONNECT and datagram sends). It may return an *Error to pick
	// the RESULT; other errors are reported as KEY_NOT_FOUND.
	Lookup(ctx context.Context, name string) (data.Destination, error)
}

// DestinationConfig describes a local destination to start.
type DestinationConfig struct {
	// Keys are never nil: for DESTINATION=TRANSIENT the bridge generates
	// them itself (it must return them in SESSION STATUS) and sets
	// Transient.
	Keys      *PrivateKeys
	Transient bool
	// Nickname is the SAM session ID, for logs and status pages.
	Nickname string
	// Options holds every SESSION CREATE option the bridge does not
	// interpret itself: i2cp.*, inbound.*, outbound.*, streaming options.
	Options map[string]string
}

// Destination is a running local destination.
type Destination interface {
	Destination() data.Destination
	// Dial opens a stream from fromPort to toPort of to (STREAM CONNECT's
	// FROM_PORT and TO_PORT). It may return an *Error to pick the RESULT;
	// other errors are reported as CANT_REACH_PEER, and
	// context.DeadlineExceeded as TIMEOUT.
	Dial(ctx context.Context, to data.Destination, fromPort, toPort uint16) (net.Conn, error)
	// Listen accepts streams to port (0: all ports). The connections'
	// RemoteAddr and LocalAddr should be streaming.Addr values, which
	// carry the peer's destination and both ports.
	Listen(port uint16) (net.Listener, error)
	// SendDatagram sends a datagram of I2CP protocol proto (17, 18, 19 or
	// 20, or a RAW session's PROTOCOL), signing it as that protocol needs.
	SendDatagram(ctx context.Context, to data.Hash, proto uint8, fromPort, toPort uint16, payload []byte) error
	// HandleDatagrams installs the receiver of all incoming datagrams
	// (nil: drop them). h must not be called after Close returns; it may
	// be called from several goroutines and must not block for long. The
	// bridge queues the Datagram as it is, so its Payload must not be
	// reused after h returns.
	HandleDatagrams(h func(Datagram))
	Close() error
}

// Datagram is an incoming datagram. From is set for verified repliable
// datagrams (protocols 17 and 19); FromHash for those and for Datagram3
// (20); both are zero for raw ones.
type Datagram struct {
	Proto            uint8
	From             data.Destination
	FromHash         data.Hash
	FromPort, ToPort uint16
	Payload          []byte
}

// I2CP protocol numbers.
const (
	protoStreaming uint8 = 6
	protoDatagram  uint8 = 17
	protoRaw       uint8 = 18
	protoDatagram2 uint8 = 19
	protoDatagram3 uint8 = 20
)

// Config configures a Bridge. The zero value is a bridge without
// authorization and with the defaults below.
type Config struct {
	// User and Password, when User is set, must be given in HELLO
	// (SAM 3.2 authorization).
	User, Password string
	// MaxLineLen bounds a command line, terminator included; a longer
	// line is answered with RESULT=I2P_ERROR and the socket closed.
	// Default 64 KiB.
	MaxLineLen int
	// HelloTimeout bounds the wait for HELLO and then for the first
	// command. Default 60s; negative: no limit.
	HelloTimeout time.Duration
	// WriteTimeout bounds a write to a client socket (a reply or a
	// received datagram); a client that does not read for that long is
	// disconnected. Default 60s; negative: no limit.
	WriteTimeout time.Duration
	// ConnectTimeout bounds STREAM CONNECT. Default 2 minutes.
	ConnectTimeout time.Duration
	// ForwardDialTimeout bounds the TCP dial of STREAM FORWARD to the
	// client's server (the spec's 3 seconds). Default 3s.
	ForwardDialTimeout time.Duration
	// LookupTimeout bounds a name lookup. Default 30s.
	LookupTimeout time.Duration
	// DatagramQueue is the number of received datagrams queued per
	// session before newer ones are dropped. Default 64.
	DatagramQueue int
	// Rand is the source of new keys. Default crypto/rand.
	Rand io.Reader
	// UDPSendWorkers bounds concurrent sends from the UDP socket;
	// datagrams beyond it are dropped. Default 16.
	UDPSendWorkers int
}

func (c *Config) setDefaults() {
	if c.MaxLineLen <= 0 {
		c.MaxLineLen = 64 << 10
	}
	if c.HelloTimeout == 0 {
		c.HelloTimeout = 60 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 60 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 2 * time.Minute
	}
	if c.ForwardDialTimeout <= 0 {
		c.ForwardDialTimeout = 3 * time.Second
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = 30 * time.Second
	}
	if c.DatagramQueue <= 0 {
		c.DatagramQueue = 64
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.UDPSendWorkers <= 0 {
		c.UDPSendWorkers = 16
	}
}

// Bridge is a SAM v3 bridge. Serve handles control sockets, ServeUDP the
// datagram socket; both may run at once, and Serve may run on several
// listeners.
type Bridge struct {
	cfg Config
	net Network
	log *slog.Logger

	mu       sync.Mutex
	sessions map[string]*session    // by ID, subsessions included
	dests    map[data.Hash]*session // local destinations in use (plain and primary sessions)
	udp      net.PacketConn         // the ServeUDP socket, nil when none
}

// New returns a bridge over net. log nil discards. It does no I/O.
func New(cfg Config, net Network, log *slog.Logger) (*Bridge, error) {
	if net == nil {
		return nil, errors.New("sam: nil Network")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.setDefaults()
	return &Bridge{
		cfg:      cfg,
		net:      net,
		log:      log.With("component", "sam"),
		sessions: make(map[string]*session),
		dests:    make(map[data.Hash]*session),
	}, nil
}

// Serve accepts control sockets on ln until ctx is done or ln fails. It
// then closes ln and every socket it accepted (which ends their sessions),
// waits for their goroutines, and returns ctx.Err() or the accept error.
func (b *Bridge) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var backoff time.Duration
	var err error
	for {
		var c net.Conn
		if c, err = acceptor.Accept(ctx, ln, &backoff); err != nil {
			break
		}
		wg.Go(func() { b.serveConn(ctx, c) })
	}
	cancel()
	wg.Wait()
	return err
}

// NumSessions returns the number of sessions, subsessions included.
func (b *Bridge) NumSessions() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.sessions)
}

func (b *Bridge) lookupSession(id string) *session {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.sessions[id]
	if s == nil || !s.ready {
		return nil
	}
	return s
}

func (b *Bridge) udpConn() net.PacketConn {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.udp
}
