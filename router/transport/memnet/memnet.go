// Package memnet is an in-memory twin of a TCP/IP network, for tests and
// simulations: stream listeners and connections (net.Listener, net.Conn)
// between hosts named by IPv4 addresses, with a latency, a bandwidth and a
// loss rate on every link. It has no spec; it models what NTCP2 sees of
// TCP.
//
// # Model
//
// A Network holds hosts; Host(ip) returns one, whose Listen and
// DialContext have the shape ntcp2.Network asks for. Each direction of
// each pair of hosts is a link with its own Link parameters
// (Config.Link, or Config.Default):
//
//   - Latency: one-way propagation delay. A byte written at t is readable
//     at the earliest at t + Latency. Connecting takes one round trip
//     (SYN, SYN-ACK); a refused connection (no listener) fails after one
//     round trip as well.
//   - Bandwidth: bytes per second, per connection and direction (0:
//     unlimited). Writes are serialized: a write of n bytes leaves after
//     the ones before it, taking n/Bandwidth. Writes never block (the
//     socket buffer is unbounded), so a full link shows as queueing delay.
//   - Loss: the probability that a segment (up to MSS bytes) is lost. TCP
//     retransmits it, so loss is extra delay, not missing bytes: a lost
//     segment arrives one retransmission timeout later (RTO = 200 ms +
//     the round trip: the Linux minimum plus the RTT), and since
//     the stream is in order, everything written after it waits for it
//     (head-of-line blocking). DropConn, separately, is the probability
//     that a lost segment is one too many and the connection is reset:
//     both ends then read and write errors, as after a TCP timeout.
//
// Close sends a FIN: the peer reads the bytes in flight, then io.EOF.
// Deadlines behave as on a TCP conn (os.ErrDeadlineExceeded, a net.Error
// whose Timeout is true).
//
// Everything waits on channels and timers, so a Network works inside a
// testing/synctest bubble, where time is simulated: latencies then cost
// no real time.
package memnet

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MSS is the segment size that loss applies to.
const MSS = 1460

// Link describes one direction of a link between two hosts.
type Link struct {
	Latency   time.Duration // one way
	Bandwidth int           // bytes per second; 0: unlimited
	Loss      float64       // probability that a segment is lost (and retransmitted)
	DropConn  float64       // probability that a lost segment resets the connection
}

// Config configures a Network.
type Config struct {
	// Default is the link between any two hosts for which Link is nil or
	// returns false.
	Default Link
	// Link, if set, gives the link from host from to host to (IPv4
	// strings).
	Link func(from, to string) (Link, bool)
	// Seed seeds the loss draws (0: 1), so that runs repeat.
	Seed uint64
	// AcceptBacklog is each listener's queue of connections not yet
	// accepted; a dial to a full one is refused (128).
	AcceptBacklog int
}

// Errors.
var (
	ErrRefused   = errors.New("memnet: connection refused")
	ErrReset     = errors.New("memnet: connection reset by peer")
	ErrAddrInUse = errors.New("memnet: address already in use")
)

// Stats are network-wide counters.
type Stats struct {
	Conns        uint64 // connections established
	Refused      uint64 // dials refused
	Bytes        uint64 // bytes written
	SegmentsLost uint64 // segments retransmitted
	Resets       uint64 // connections reset by DropConn
}

// Network is a set of hosts and the links between them. Its zero value is
// not usable; make one with New.
type Network struct {
	cfg Config

	mu struct {
		sync.Mutex
		listeners map[string]*listener // by "ip:port"
		nextPort  map[string]int       // by ip, for ephemeral ports
		rng       *mrand.Rand
	}

	conns, refused, bytes, lost, resets atomic.Uint64
}

// New makes a Network. It starts nothing.
func New(cfg Config) *Network {
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.AcceptBacklog <= 0 {
		cfg.AcceptBacklog = 128
	}
	n := &Network{cfg: cfg}
	n.mu.listeners = make(map[string]*listener)
	n.mu.nextPort = make(map[string]int)
	n.mu.rng = mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	return n
}

// Stats returns the network-wide counters.
func (n *Network) Stats() Stats {
	return Stats{Conns: n.conns.Load(), Refused: n.refused.Load(), Bytes: n.bytes.Load(),
		SegmentsLost: n.lost.Load(), Resets: n.resets.Load()}
}

func (n *Network) link(from, to string) Link {
	if n.cfg.Link != nil {
		if l, ok := n.cfg.Link(from, to); ok {
			return l
		}
	}
	return n.cfg.Default
}

// draw reports whether an event of probability p happens.
func (n *Network) draw(p float64) bool {
	if p <= 0 {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mu.rng.Float64() < p
}

func (n *Network) ephemeralLocked(ip string) int {
	for {
		p := n.mu.nextPort[ip]
		if p < 32768 || p >= 61000 {
			p = 32768
		}
		n.mu.nextPort[ip] = p + 1
		if _, used := n.mu.listeners[net.JoinHostPort(ip, strconv.Itoa(p))]; !used {
			return p
		}
	}
}

// Host is one host of a Network: it listens and dials from its IPv4
// address.
type Host struct {
	n  *Network
	ip string
}

// Host returns the host with IPv4 address ip. Hosts need no setup: any
// address names one.
func (n *Network) Host(ip string) *Host { return &Host{n: n, ip: ip} }

// IP is the host's address.
func (h *Host) IP() string { return h.ip }

func checkNetwork(network string) error {
	if network != "tcp" && network != "tcp4" {
		return fmt.Errorf("memnet: network %q not supported", network)
	}
	return nil
}

// Listen listens on addr ("ip:port"): ip must be the host's, or empty or
// 0.0.0.0 for the host's; port 0 picks a free one.
func (h *Host) Listen(network, addr string) (net.Listener, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("memnet: listen %s: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" {
		host = h.ip
	}
	if host != h.ip {
		return nil, fmt.Errorf("memnet: listen %s: not an address of host %s", addr, h.ip)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("memnet: listen %s: bad port", addr)
	}
	h.n.mu.Lock()
	defer h.n.mu.Unlock()
	if port == 0 {
		port = h.n.ephemeralLocked(h.ip)
	}
	key := net.JoinHostPort(h.ip, strconv.Itoa(port))
	if _, used := h.n.mu.listeners[key]; used {
		return nil, fmt.Errorf("memnet: listen %s: %w", key, ErrAddrInUse)
	}
	l := &listener{n: h.n, key: key, addr: tcpAddr(key), queue: make(chan *conn, h.n.cfg.AcceptBacklog), done: make(chan struct{})}
	h.n.mu.listeners[key] = l
	return l, nil
}

// DialContext connects to addr ("ip:port") after one round trip, or fails
// with ErrRefused (wrapped in a *net.OpError) after one when nothing
// listens there or its backlog is full.
func (h *Host) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("memnet: dial %s: %w", addr, err)
	}
	to := ap.Addr().String()
	fwd, back := h.n.link(h.ip, to), h.n.link(to, h.ip)
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: tcpAddr(addr), Err: err}
	}
	if err := sleep(ctx, fwd.Latency+back.Latency); err != nil {
		return nil, opErr(err)
	}
	h.n.mu.Lock()
	l := h.n.mu.listeners[ap.String()]
	local := tcpAddr(net.JoinHostPort(h.ip, strconv.Itoa(h.n.ephemeralLocked(h.ip))))
	h.n.mu.Unlock()
	if l == nil {
		h.n.refused.Add(1)
		return nil, opErr(ErrRefused)
	}
	p := &pair{rto: 200*time.Millisecond + fwd.Latency + back.Latency}
	out := newHalf(h.n, fwd, p) // we write, they read
	in := newHalf(h.n, back, p)
	c := &conn{local: local, remote: l.addr, in: in, out: out, done: make(chan struct{})}
	sc := &conn{local: l.addr, remote: local, in: out, out: in, done: make(chan struct{})}
	if !l.enqueue(sc) {
		h.n.refused.Add(1)
		return nil, opErr(ErrRefused)
	}
	h.n.conns.Add(1)
	return c, nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type tcpAddr string

func (a tcpAddr) Network() string { return "tcp" }
func (a tcpAddr) String() string  { return string(a) }

// listener is a Host's net.Listener.
type listener struct {
	n     *Network
	key   string
	addr  tcpAddr
	queue chan *conn    // never closed
	done  chan struct{} // closed by Close
	once  sync.Once

	mu     sync.Mutex // guards closed, and sends on queue against Close
	closed bool
}

// enqueue queues c for Accept, unless the listener is closed or its
// backlog full.
func (l *listener) enqueue(c *conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	select {
	case l.queue <- c:
		return true
	default:
		return false
	}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.queue:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
	}
}

// Close stops listening; connections queued and not accepted are reset.
func (l *listener) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.done)
		l.n.mu.Lock()
		if l.n.mu.listeners[l.key] == l {
			delete(l.n.mu.listeners, l.key)
		}
		l.n.mu.Unlock()
		for {
			select {
			case c := <-l.queue:
				c.reset()
			default:
				return
			}
		}
	})
	return nil
}

func (l *listener) Addr() net.Addr { return l.addr }
