package streaming

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// Session is the local destination streaming runs on (router/client
// provides it).
type Session interface {
	// Destination is our destination.
	Destination() data.Destination
	// Signer is its signing key.
	Signer() crypto.Signer
	// Send hands one streaming packet to the client layer for delivery to
	// `to`, with I2CP ports (protocol 6). It must not block for long; it
	// may drop. It must not keep packet after it returns.
	Send(to data.Destination, fromPort, toPort uint16, packet []byte) error
}

// Errors callers branch on (with errors.Is). Dial wraps its errors in a
// *net.OpError.
var (
	// ErrReset means the peer reset the connection.
	ErrReset = errors.New("streaming: connection reset by peer")
	// ErrRefused means the peer answered our SYN with a RESET.
	ErrRefused = errors.New("streaming: connection refused")
	// ErrTimeout means a packet went unacknowledged MaxResends times.
	ErrTimeout error = &timeoutError{"streaming: peer stopped acknowledging"}
	// ErrConnectTimeout means Dial got no SYN reply within ConnectTimeout.
	ErrConnectTimeout error = &timeoutError{"streaming: connect timed out"}
	// ErrIdleTimeout means nothing arrived from the peer for IdleTimeout.
	ErrIdleTimeout error = &timeoutError{"streaming: connection idle too long"}
	// ErrTooManyConns means the Manager holds MaxConns connections.
	ErrTooManyConns = errors.New("streaming: too many connections")
	// ErrPortInUse means a Listener already has the port.
	ErrPortInUse = errors.New("streaming: port already has a listener")
	// ErrWriteClosed is returned by Write after CloseWrite.
	ErrWriteClosed = errors.New("streaming: write side closed")
)

// timeoutError is an error that is a net.Error with Timeout true.
type timeoutError struct{ s string }

func (e *timeoutError) Error() string   { return e.s }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// synKey identifies an incoming connection by what its SYN said.
type synKey struct {
	peerID uint32
	from   data.Hash
}

// Manager runs the streaming protocol for one Session: it matches incoming
// packets to connections, dials and listens. It starts no goroutines of
// its own; its connections use timers (time.AfterFunc), which Close stops.
type Manager struct {
	sess   Session
	cfg    Config
	cfgErr error
	log    *slog.Logger
	local  data.Destination
	signer crypto.Signer
	done   chan struct{} // closed by Close

	mu        sync.Mutex // a leaf lock: never held while taking a Conn's mu
	closed    bool
	conns     map[uint32]*Conn     // by our stream ID
	incoming  map[synKey]*Conn     // connections created by a SYN, for dedup
	listeners map[uint16]*Listener // by port; 0 = any port
	pings     map[uint32]chan struct{}
}

// NewManager returns a Manager on sess. A nil log discards. An invalid cfg
// makes Dial and Listen fail.
func NewManager(sess Session, cfg Config, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := cfg.withDefaults()
	return &Manager{
		sess:      sess,
		cfg:       cfg,
		cfgErr:    err,
		log:       log.With("component", "streaming"),
		local:     sess.Destination(),
		signer:    sess.Signer(),
		done:      make(chan struct{}),
		conns:     make(map[uint32]*Conn),
		incoming:  make(map[synKey]*Conn),
		listeners: make(map[uint16]*Listener),
		pings:     make(map[uint32]chan struct{}),
	}
}

// Close resets every connection, closes the listeners and fails later
// calls with net.ErrClosed. It is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	conns := make([]*Conn, 0, len(m.conns))
	for _, c := range m.conns {
		conns = append(conns, c)
	}
	ls := make([]*Listener, 0, len(m.listeners))
	for _, l := range m.listeners {
		ls = append(ls, l)
	}
	m.mu.Unlock()
	close(m.done)
	for _, l := range ls {
		l.Close()
	}
	for _, c := range conns {
		c.abort(net.ErrClosed)
	}
	return nil
}

// NumConns returns the number of connections the Manager tracks, in any
// state (for tests and status pages).
func (m *Manager) NumConns() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.conns)
}

// newIDLocked returns a random stream ID, not zero and not in use.
func (m *Manager) newIDLocked() uint32 {
	var b [4]byte
	for {
		_, _ = crand.Read(b[:])
		id := binary.BigEndian.Uint32(b[:])
		if _, used := m.conns[id]; id != 0 && !used {
			if _, used := m.pings[id]; !used {
				return id
			}
		}
	}
}

// forget removes c from the tables. Called with c.mu held (m.mu is a leaf).
func (m *Manager) forget(c *Conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns[c.localID] == c {
		delete(m.conns, c.localID)
	}
	if c.incoming {
		k := synKey{c.peerID, c.remote.Dest.Hash()}
		if m.incoming[k] == c {
			delete(m.incoming, k)
		}
	}
}

// Dial opens a stream to port on to. It returns when the peer has answered
// our SYN, or with an error when ctx ends, ConnectTimeout passes, the peer
// refuses or the Manager closes. The net.Conn is a *Conn.
func (m *Manager) Dial(ctx context.Context, to data.Destination, port uint16) (net.Conn, error) {
	return m.DialFrom(ctx, to, 0, port)
}

// DialFrom is Dial with a source port: the stream's packets carry
// fromPort as their I2CP source port (SAM's FROM_PORT).
func (m *Manager) DialFrom(ctx context.Context, to data.Destination, fromPort, port uint16) (net.Conn, error) {
	raddr := Addr{Dest: to, Port: port}
	opErr := func(err error) error { return &net.OpError{Op: "dial", Net: "i2p", Addr: raddr, Err: err} }
	if m.cfgErr != nil {
		return nil, opErr(m.cfgErr)
	}
	if to.IsZero() {
		return nil, opErr(errors.New("streaming: no destination"))
	}
	c := newConn(m, fromPort, raddr, false)
	c.sigType, c.sigKey = to.SigType(), to.SigningKey()
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return nil, opErr(net.ErrClosed)
	case len(m.conns) >= m.cfg.MaxConns:
		m.mu.Unlock()
		return nil, opErr(ErrTooManyConns)
	}
	c.localID = m.newIDLocked()
	m.conns[c.localID] = c
	m.mu.Unlock()

	c.mu.Lock()
	out := c.sendSynLocked(time.Now())
	c.mu.Unlock()
	c.transmit(out)

	ctx, cancel := context.WithTimeoutCause(ctx, m.cfg.ConnectTimeout, ErrConnectTimeout)
	defer cancel()
	select {
	case <-c.estab:
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateOpen {
		return c, nil
	}
	if c.state != stateDone {
		// Nothing to send: we do not know the peer's stream ID.
		c.failLocked(context.Cause(ctx), false)
	}
	err := c.err
	if err == nil {
		err = net.ErrClosed
	}
	return nil, opErr(err)
}

// Ping sends a signed ECHO to `to` and waits for the pong, returning the
// round-trip time.
func (m *Manager) Ping(ctx context.Context, to data.Destination) (time.Duration, error) {
	if m.cfgErr != nil {
		return 0, m.cfgErr
	}
	ch := make(chan struct{})
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, net.ErrClosed
	}
	id := m.newIDLocked()
	m.pings[id] = ch
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.pings, id)
		m.mu.Unlock()
	}()
	p := Packet{SendStreamID: id, Flags: FlagEcho | FlagFromIncluded, From: m.local}
	b, err := p.AppendSigned(nil, m.signer)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := m.sess.Send(to, 0, 0, b); err != nil {
		return 0, fmt.Errorf("streaming: sending ping: %w", err)
	}
	select {
	case <-ch:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-m.done:
		return 0, net.ErrClosed
	}
}

// HandlePacket processes one incoming streaming payload (I2CP protocol
// 6) with its ports. It never keeps b. Malformed packets, packets for
// unknown streams and packets whose signature fails are dropped.
func (m *Manager) HandlePacket(fromPort, toPort uint16, b []byte) {
	p, err := ParsePacket(b)
	if err != nil {
		m.log.Debug("dropping malformed packet", "err", err, "len", len(b))
		return
	}
	switch {
	case p.Flags.Has(FlagEcho):
		m.handleEcho(fromPort, toPort, &p, b)
	case p.SendStreamID != 0:
		m.mu.Lock()
		c := m.conns[p.SendStreamID]
		m.mu.Unlock()
		if c == nil {
			m.log.Debug("dropping packet for unknown stream", "stream", p.SendStreamID)
			return
		}
		c.handle(&p, b)
	case p.Flags.Has(FlagSynchronize):
		m.handleSyn(fromPort, toPort, &p, b)
	default:
		// A follow-on packet sent before our SYN reply arrived, or junk.
		// The peer resends it with our stream ID once it has the reply.
		m.log.Debug("dropping packet without stream", "rstream", p.ReceiveStreamID)
	}
}

func (m *Manager) handleEcho(fromPort, toPort uint16, p *Packet, raw []byte) {
	if p.SendStreamID == 0 { // pong
		m.mu.Lock()
		if ch := m.pings[p.ReceiveStreamID]; ch != nil {
			delete(m.pings, p.ReceiveStreamID)
			close(ch)
		}
		m.mu.Unlock()
		return
	}
	if m.cfg.NoPingReply || !p.Flags.Has(FlagFromIncluded|FlagSignatureIncluded) {
		return
	}
	if err := p.VerifyFrom(raw, time.Now()); err != nil {
		m.log.Debug("dropping ping", "err", err)
		return
	}
	pong := Packet{ReceiveStreamID: p.SendStreamID, Flags: FlagEcho, Payload: p.Payload}
	b, err := pong.AppendBinary(make([]byte, 0, MinHeaderLen+len(p.Payload)))
	if err == nil {
		_ = m.sess.Send(p.From, toPort, fromPort, b)
	}
}

// listenerLocked returns the listener for port, or the any-port one.
func (m *Manager) listenerLocked(port uint16) *Listener {
	if l := m.listeners[port]; l != nil {
		return l
	}
	return m.listeners[0]
}

// handleSyn creates a connection for a new SYN. Cheap checks come first;
// a full backlog drops the SYN before its signature is checked, so a SYN
// flood costs at most one verification per SYN and allocates nothing
// beyond the backlog.
func (m *Manager) handleSyn(fromPort, toPort uint16, p *Packet, raw []byte) {
	if p.ReceiveStreamID == 0 || p.SequenceNum != 0 || !p.Flags.Has(FlagFromIncluded|FlagSignatureIncluded) {
		m.log.Debug("dropping bad SYN", "flags", uint16(p.Flags))
		return
	}
	if h, ok := p.NACKHash(); ok && h != m.local.Hash() {
		m.log.Debug("dropping SYN for another destination (replay?)")
		return
	}
	key := synKey{p.ReceiveStreamID, p.From.Hash()}
	m.mu.Lock()
	l := m.listenerLocked(toPort)
	_, dup := m.incoming[key]
	full := l != nil && (len(l.queue) >= cap(l.queue) || len(m.conns) >= m.cfg.MaxConns)
	closed := m.closed
	m.mu.Unlock()
	if closed || dup || full {
		// A duplicate SYN means our SYN reply was lost; its resend
		// timer answers it.
		m.log.Debug("dropping SYN", "dup", dup, "full", full)
		return
	}
	now := time.Now()
	t, sigKey, err := SignerKey(p.From, p.Offline, now)
	if err == nil {
		err = p.VerifySignature(raw, t, sigKey)
	}
	if err != nil {
		m.log.Debug("dropping SYN", "err", err)
		return
	}
	if l == nil {
		m.refuse(p, fromPort, toPort)
		return
	}

	c := newConn(m, toPort, Addr{Dest: p.From, Port: fromPort}, true)
	c.peerID = p.ReceiveStreamID
	c.sigType, c.sigKey = t, sigKey
	m.mu.Lock()
	_, dup = m.incoming[key]
	ok := !m.closed && !dup && !l.closed && len(m.conns) < m.cfg.MaxConns
	if ok {
		c.localID = m.newIDLocked()
		select {
		case l.queue <- c:
			m.conns[c.localID] = c
			m.incoming[key] = c
		default:
			ok = false
		}
	}
	m.mu.Unlock()
	if !ok {
		return
	}
	// The Conn is visible to Accept and to HandlePacket from here on; its
	// mutex orders the SYN before anything else.
	c.mu.Lock()
	out := c.acceptSynLocked(p, now)
	c.mu.Unlock()
	c.transmit(out)
}

// refuse answers a verified SYN we cannot take with a signed RESET. Its
// sequence number is 1: i2pd ignores flags of a packet with sequence 0 and
// no SYN (a plain ACK).
func (m *Manager) refuse(p *Packet, fromPort, toPort uint16) {
	r := Packet{SendStreamID: p.ReceiveStreamID, SequenceNum: 1, Flags: FlagReset}
	b, err := r.AppendSigned(nil, m.signer)
	if err != nil {
		m.log.Debug("signing RESET", "err", err)
		return
	}
	_ = m.sess.Send(p.From, toPort, fromPort, b)
}

// Listen returns a Listener for incoming streams to port; port 0 takes
// every port no other Listener has. The net.Listener is a *Listener.
func (m *Manager) Listen(port uint16) (net.Listener, error) {
	if m.cfgErr != nil {
		return nil, m.cfgErr
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, net.ErrClosed
	}
	if m.listeners[port] != nil {
		return nil, fmt.Errorf("%w: %d", ErrPortInUse, port)
	}
	l := &Listener{m: m, port: port, queue: make(chan *Conn, m.cfg.Backlog), done: make(chan struct{})}
	m.listeners[port] = l
	return l, nil
}

// Listener accepts incoming streams on one port (or all, for port 0).
type Listener struct {
	m     *Manager
	port  uint16
	queue chan *Conn    // connections not yet accepted; the backlog. Never closed.
	done  chan struct{} // closed by Close

	closed bool // guarded by m.mu
}

// Accept waits for the next incoming stream; the net.Conn is a *Conn.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "i2p", Addr: l.Addr(), Err: net.ErrClosed}
	default:
	}
	select {
	case c := <-l.queue:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "i2p", Addr: l.Addr(), Err: net.ErrClosed}
	}
}

// Close stops the listener and resets the connections it had not yet
// handed out. It is idempotent.
func (l *Listener) Close() error {
	m := l.m
	m.mu.Lock()
	if l.closed {
		m.mu.Unlock()
		return nil
	}
	l.closed = true
	if m.listeners[l.port] == l {
		delete(m.listeners, l.port)
	}
	m.mu.Unlock()
	close(l.done)
	for {
		select {
		case c := <-l.queue:
			c.abort(net.ErrClosed)
		default:
			return nil
		}
	}
}

// Addr returns our destination and the listening port.
func (l *Listener) Addr() net.Addr { return Addr{Dest: l.m.local, Port: l.port} }
