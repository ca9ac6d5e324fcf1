package i2cp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/acceptor"
	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/data"
)

// Network is what the server uses of the router.
type Network interface {
	// NewDestination makes the local destination of a session. It does
	// not wait for tunnels: once it has inbound tunnels it calls
	// cfg.SignLeaseSet, and cfg.Deliver with each payload it receives.
	NewDestination(ctx context.Context, cfg DestinationConfig) (Destination, error)
	// Lookup resolves a host name (address book) or a b32.i2p address.
	Lookup(ctx context.Context, name string) (data.Destination, error)
	// LookupHash finds the destination whose hash is h and the options
	// of its LeaseSet (empty for an original LeaseSet).
	LookupHash(ctx context.Context, h data.Hash) (data.Destination, data.Mapping, error)
	// BandwidthLimits is the router's bandwidth, KBps each way.
	BandwidthLimits() (in, out int)
}

// Tunnels are one direction's tunnel settings of a session, from its
// inbound.* or outbound.* options (zero: the router's default).
type Tunnels struct {
	Length, Variance, Quantity, Backup int
}

// DestinationConfig configures a session's destination.
type DestinationConfig struct {
	// Name labels it in logs (the client's inbound.nickname, if any).
	Name string
	// Destination is the client's; the router has no private key of it.
	Destination       data.Destination
	Inbound, Outbound Tunnels
	// SignLeaseSet asks the client to sign a LeaseSet2 for the leases
	// (RequestVariableLeaseSet) and returns its answer (CreateLeaseSet2):
	// the checked LeaseSet2 and its encryption private keys.
	SignLeaseSet func(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []PrivateKey, error)
	// Deliver gets each I2CP payload (gzip) that arrives for the
	// destination. It does not block.
	Deliver func(payload []byte)
}

// Destination is a session's destination on the router.
type Destination interface {
	// Send sends an I2CP payload (gzip, made by the client) to `to`,
	// looking up its LeaseSet if need be. The errors of router/client
	// (ErrNoLeaseSet, ErrNoTunnels, …) become MessageStatus codes.
	Send(ctx context.Context, to data.Destination, payload []byte) error
	// Close stops it and waits for its goroutines.
	Close() error
}

// Config configures the server; the zero value is the default.
type Config struct {
	// MaxConns bounds the connections (default 32).
	MaxConns int
	// MaxSessions bounds the sessions of one connection (default 8).
	MaxSessions int
	// Version is the I2CP API version we announce in SetDate (default
	// 0.9.66).
	Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Limits.
const (
	defaultMaxConns    = 32
	defaultMaxSessions = 8
	defaultVersion     = "0.9.66"
	// maxSkew is how far CreateSession's date may be from our clock.
	maxSkew = 30 * time.Second
	// ctrlQueue holds replies; dataQueue holds MessagePayloads, which
	// are dropped when it is full.
	ctrlQueue = 64
	dataQueue = 256
	// maxDataBytes bounds the bytes of the MessagePayloads queued on a
	// connection, maxPendingBytes those of a session's unsent messages.
	maxDataBytes    = 4 << 20
	maxPendingBytes = 4 << 20
	// maxLookups bounds the lookups in flight per connection.
	maxLookups = 16
	// maxSenders bounds the destinations a session sends to at once;
	// senderQueue the messages waiting for each.
	maxSenders   = 64
	senderQueue  = 64
	senderIdle   = 30 * time.Second
	sendTimeout  = 60 * time.Second
	helloTimeout = 30 * time.Second
	writeTimeout = 30 * time.Second
)

// Server is the I2CP server: it serves connections, each with its
// sessions.
type Server struct {
	cfg Config
	net Network
	log *slog.Logger

	mu     sync.Mutex
	ids    map[SessionID]bool // in use
	dests  map[data.Hash]bool // destinations with a session
	nextID SessionID
	nconns int

	wg sync.WaitGroup // connections
}

// New makes a server on n. It does no I/O.
func New(cfg Config, n Network, log *slog.Logger) (*Server, error) {
	if n == nil {
		return nil, errors.New("i2cp: no Network")
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = defaultMaxSessions
	}
	if cfg.Version == "" {
		cfg.Version = defaultVersion
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, net: n, log: log.With("component", "i2cp"),
		ids: make(map[SessionID]bool), dests: make(map[data.Hash]bool), nextID: 1}, nil
}

// Serve accepts connections on ln until ctx is done or ln fails, then
// closes ln and every connection and waits for them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.wg.Wait()
	var delay time.Duration
	for {
		c, err := acceptor.Accept(ctx, ln, &delay)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("i2cp: accept: %w", err)
		}
		s.mu.Lock()
		full := s.nconns >= s.cfg.MaxConns
		if !full {
			s.nconns++
		}
		s.mu.Unlock()
		if full {
			s.log.Warn("connection refused: too many", "max", s.cfg.MaxConns)
			c.Close()
			continue
		}
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				s.nconns--
				s.mu.Unlock()
			}()
			s.ServeConn(ctx, c)
		})
	}
}

// ServeConn serves one connection until the client leaves, a protocol
// error, or ctx is done; it closes c.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	// Shutdown closes the socket at once; the connection's own end
	// (c.cancel) lets the writer flush a Disconnect first.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	c := &conn{s: s, nc: nc, ctx: ctx, cancel: cancel, log: s.log,
		ctrl: make(chan []byte, ctrlQueue), data: make(chan []byte, dataQueue), stop: make(chan struct{}),
		sessions: make(map[SessionID]*session)}
	c.run()
}

// conn is one client connection.
type conn struct {
	s      *Server
	nc     net.Conn
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	// ctrl and data are the writer's queues of encoded frames; never
	// closed. stop is closed by run when the reader is done.
	ctrl, data chan []byte
	stop       chan struct{}

	wg sync.WaitGroup // lookups and senders

	mu       sync.Mutex
	sessions map[SessionID]*session
	primary  *session
	lookups  int

	dropped   atomic.Uint64
	dataBytes atomic.Int64 // bytes queued on data
}

// errDisconnect carries the reason a Disconnect told the client.
type errDisconnect struct{ reason string }

func (e errDisconnect) Error() string { return "i2cp: disconnect: " + e.reason }

func disconnect(format string, a ...any) error {
	return errDisconnect{fmt.Sprintf(format, a...)}
}

func (c *conn) run() {
	defer c.nc.Close()
	defer c.cancel()
	var writer sync.WaitGroup
	writer.Go(c.writeLoop)
	err := c.readLoop()
	var d errDisconnect
	if errors.As(err, &d) {
		c.log.Info("client disconnected", "reason", d.reason)
		c.queue(c.ctrl, &Disconnect{Reason: d.reason})
	} else if err != nil {
		c.log.Debug("connection closed", "err", err)
	}
	c.closeSessions()
	c.cancel()
	c.wg.Wait()
	close(c.stop)
	writer.Wait()
}

// writeLoop writes the queued frames, replies first; after stop it
// flushes the replies and returns.
func (c *conn) writeLoop() {
	w := bufio.NewWriter(c.nc)
	write := func(f []byte) bool {
		c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(f); err != nil {
			c.cancel()
			c.nc.Close() // ends the reader
			return false
		}
		return true
	}
	flush := func() bool {
		if err := w.Flush(); err != nil {
			c.cancel()
			c.nc.Close()
			return false
		}
		return true
	}
	for {
		var f []byte
		select {
		case f = <-c.ctrl:
		default:
			select {
			case f = <-c.ctrl:
			case f = <-c.data:
				c.dataBytes.Add(-int64(len(f)))
			case <-c.stop:
				for {
					select {
					case f := <-c.ctrl:
						if !write(f) {
							return
						}
					default:
						flush()
						return
					}
				}
			}
		}
		if !write(f) {
			return
		}
		if len(c.ctrl) == 0 && len(c.data) == 0 && !flush() {
			return
		}
	}
}

// queue encodes m and puts it on q: it waits for room on ctrl and drops
// from data when full.
func (c *conn) queue(q chan []byte, m Message) {
	f, err := AppendFrame(nil, m)
	if err != nil {
		c.log.Warn("message not encoded", "type", m.Type(), "err", err)
		return
	}
	if q == c.data {
		if c.dataBytes.Add(int64(len(f))) > maxDataBytes {
			c.dataBytes.Add(-int64(len(f)))
			c.dropped.Add(1)
			return
		}
		select {
		case q <- f:
		default:
			c.dataBytes.Add(-int64(len(f)))
			c.dropped.Add(1)
		}
		return
	}
	select {
	case q <- f:
	case <-c.stop:
	case <-c.ctx.Done():
		// The connection is going: a last Disconnect still fits.
		select {
		case q <- f:
		default:
		}
	}
}

func (c *conn) reply(m Message) { c.queue(c.ctrl, m) }

func (c *conn) readLoop() error {
	c.nc.SetReadDeadline(time.Now().Add(helloTimeout))
	r := bufio.NewReader(c.nc)
	b, err := r.ReadByte()
	if err != nil {
		return err
	}
	if b != ProtocolByte {
		return disconnect("not I2CP: first byte %#02x, want 0x2a", b)
	}
	c.nc.SetReadDeadline(time.Time{})
	var buf []byte
	for {
		t, body, err := ReadFrame(r, buf)
		if errors.Is(err, ErrTooLarge) {
			return disconnect("message of type %d too large: %v", t, err)
		}
		if err != nil {
			return err
		}
		if cap(body) > cap(buf) {
			buf = body[:0]
		}
		m, err := Parse(t, body)
		if errors.Is(err, ErrUnknownType) {
			return disconnect("unsupported message type %d", t)
		}
		if err != nil {
			return disconnect("bad message of type %d: %v", t, err)
		}
		if err := c.handle(m); err != nil {
			return err
		}
	}
}

func (c *conn) handle(m Message) error {
	s := c.s
	switch m := m.(type) {
	case *GetDate:
		c.reply(&SetDate{Date: data.DateOf(s.cfg.Now()), Version: s.cfg.Version})
	case *GetBandwidthLimits:
		in, out := s.net.BandwidthLimits()
		var bl BandwidthLimits
		bl.Values[0], bl.Values[1] = uint32(in), uint32(out)
		bl.Values[2], bl.Values[3], bl.Values[4], bl.Values[5] = uint32(in), uint32(in), uint32(out), uint32(out)
		c.reply(&bl)
	case *CreateSession:
		return c.createSession(m.Config)
	case *ReconfigureSession:
		return c.reconfigure(m)
	case *DestroySession:
		return c.destroy(m.Session)
	case *CreateLeaseSet:
		return disconnect("CreateLeaseSet (type 4) is not supported: use CreateLeaseSet2 (API 0.9.39 or later)")
	case *CreateLeaseSet2:
		return c.createLeaseSet2(m)
	case *SendMessage:
		c.send(m)
	case *HostLookup:
		c.hostLookup(m)
	case *DestLookup:
		c.destLookup(m)
	case *ReceiveMessageBegin:
		if ss := c.session(m.Session); ss != nil {
			ss.receiveBegin(m.Message)
		}
	case *ReceiveMessageEnd:
		if ss := c.session(m.Session); ss != nil {
			ss.receiveEnd(m.Message)
		}
	case *BlindingInfo:
		// Blinded destinations with secrets or per-client keys are not
		// supported.
		c.log.Debug("BlindingInfo ignored", "session", m.Session)
	case *Disconnect:
		c.log.Debug("client said disconnect", "reason", m.Reason)
		return errClientLeft
	default:
		return disconnect("unexpected message type %d from a client", m.Type())
	}
	return nil
}

var errClientLeft = errors.New("i2cp: the client disconnected")

// checkConfig checks a session config's date and signature.
func (c *conn) checkConfig(cfg *SessionConfig) (SessionState, error) {
	if skew := c.s.cfg.Now().Sub(cfg.Date.Time()); skew > maxSkew || skew < -maxSkew {
		return SessionInvalid, disconnect("session config date is %v off the router's clock (at most %v)", skew.Round(time.Second), maxSkew)
	}
	if _, ok := cfg.Options.Get("i2cp.leaseSetTransientPublicKey"); ok {
		return SessionInvalid, disconnect("offline-signed destinations are not supported")
	}
	if err := cfg.Verify(); err != nil {
		return SessionInvalid, disconnect("invalid signature on the session config: %v", err)
	}
	return 0, nil
}

func (c *conn) createSession(cfg SessionConfig) error {
	if st, err := c.checkConfig(&cfg); err != nil {
		c.reply(&SessionStatus{Session: NoSession, Status: st})
		return err
	}
	s := c.s
	h := cfg.Destination.Hash()
	c.mu.Lock()
	n := len(c.sessions)
	c.mu.Unlock()
	s.mu.Lock()
	var id SessionID
	ok := n < s.cfg.MaxSessions && !s.dests[h]
	if ok {
		for s.ids[s.nextID] || s.nextID == NoSession {
			s.nextID++
		}
		id = s.nextID
		s.nextID++
		s.ids[id], s.dests[h] = true, true
	}
	s.mu.Unlock()
	if !ok {
		c.log.Info("session refused", "dest", h, "sessions", n)
		c.reply(&SessionStatus{Session: NoSession, Status: SessionRefused})
		return nil
	}
	ss := &session{id: id, c: c, dest: cfg.Destination, hash: h, opts: optionMap(cfg.Options),
		senders: make(map[data.Hash]*sender), done: make(chan struct{}), created: make(chan struct{})}
	ss.ctx, ss.cancel = context.WithCancel(c.ctx)
	ss.applyOptions()
	dcfg := DestinationConfig{Name: "i2cp:" + ss.opts["inbound.nickname"], Destination: cfg.Destination,
		Inbound: tunnelOptions(ss.opts, "inbound."), Outbound: tunnelOptions(ss.opts, "outbound."),
		SignLeaseSet: ss.signLeaseSet, Deliver: ss.deliver}
	d, err := s.net.NewDestination(c.ctx, dcfg)
	if err != nil {
		s.release(id, h)
		ss.cancel()
		c.log.Warn("session not created", "err", err)
		c.reply(&SessionStatus{Session: NoSession, Status: SessionRefused})
		return nil
	}
	ss.d = d
	c.mu.Lock()
	c.sessions[id] = ss
	if c.primary == nil {
		c.primary = ss
	}
	c.mu.Unlock()
	c.log.Info("session created", "session", id, "dest", h)
	c.reply(&SessionStatus{Session: id, Status: SessionCreated})
	close(ss.created)
	return nil
}

func (s *Server) release(id SessionID, h data.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
	delete(s.dests, h)
}

func (c *conn) session(id SessionID) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions[id]
}

func (c *conn) reconfigure(m *ReconfigureSession) error {
	ss := c.session(m.Session)
	if ss == nil {
		return disconnect("ReconfigureSession for unknown session %d", m.Session)
	}
	if !m.Config.Destination.Equal(ss.dest.KeysAndCert) {
		c.reply(&SessionStatus{Session: m.Session, Status: SessionInvalid})
		return nil
	}
	if st, err := c.checkConfig(&m.Config); err != nil {
		c.reply(&SessionStatus{Session: m.Session, Status: st})
		return err
	}
	ss.mu.Lock()
	for k, v := range m.Config.Options.All() {
		ss.opts[k] = v
	}
	ss.mu.Unlock()
	ss.applyOptions()
	c.reply(&SessionStatus{Session: m.Session, Status: SessionUpdated})
	return nil
}

// destroy ends a session, as Java I2P does: no SessionStatus; when no
// session is left (or the primary one went, taking the others), a
// Disconnect.
func (c *conn) destroy(id SessionID) error {
	c.mu.Lock()
	ss := c.sessions[id]
	primary := ss != nil && ss == c.primary
	if ss != nil {
		delete(c.sessions, id)
	}
	left := len(c.sessions)
	c.mu.Unlock()
	if ss == nil {
		c.log.Debug("DestroySession for unknown session", "session", id)
		return nil
	}
	ss.close()
	if primary || left == 0 {
		return disconnect("all sessions destroyed")
	}
	return nil
}

func (c *conn) closeSessions() {
	c.mu.Lock()
	all := c.sessions
	c.sessions = make(map[SessionID]*session)
	c.mu.Unlock()
	for _, ss := range all {
		ss.close()
	}
}

func (c *conn) createLeaseSet2(m *CreateLeaseSet2) error {
	ss := c.session(m.Session)
	if ss == nil {
		return disconnect("CreateLeaseSet2 for unknown session %d", m.Session)
	}
	if m.StoreType != data.StoreLeaseSet2 || m.LeaseSet == nil {
		return disconnect("CreateLeaseSet2 of store type %d is not supported: only LeaseSet2 (3)", m.StoreType)
	}
	ls := m.LeaseSet
	if !ls.Destination.Equal(ss.dest.KeysAndCert) {
		return disconnect("CreateLeaseSet2 for another destination than session %d's", m.Session)
	}
	if err := ls.Verify(); err != nil {
		return disconnect("invalid LeaseSet2 signature: %v", err)
	}
	ss.mu.Lock()
	w := ss.lsWait
	ss.lsWait = nil
	ss.mu.Unlock()
	if w == nil {
		c.log.Debug("unrequested CreateLeaseSet2 ignored", "session", m.Session)
		return nil
	}
	w <- lsReply{ls: ls, keys: m.Keys}
	return nil
}

// sendStatus reports a message's fate when the client asked (nonzero
// nonce).
func (c *conn) sendStatus(id SessionID, msg MessageID, st DeliveryStatus, size int, nonce uint32) {
	if nonce == 0 {
		return
	}
	c.reply(&MessageStatus{Session: id, Message: msg, Status: st, Size: uint32(size), Nonce: nonce})
}

func (c *conn) send(m *SendMessage) {
	ss := c.session(m.Session)
	if ss == nil {
		c.sendStatus(m.Session, 0, StatusBadSession, 0, m.Nonce)
		return
	}
	id := MessageID(ss.nextMsg.Add(1))
	to := m.Destination.Hash()
	switch {
	case len(m.Payload) == 0 || len(m.Payload) > client.DefaultMaxPayload+1024:
		c.sendStatus(m.Session, id, StatusBadMessage, len(m.Payload), m.Nonce)
		return
	case to == ss.hash:
		c.sendStatus(m.Session, id, StatusLoopbackDenied, len(m.Payload), m.Nonce)
		return
	}
	exp := m.ExpiresAt()
	now := c.s.cfg.Now()
	if !exp.IsZero() && !exp.After(now) {
		c.sendStatus(m.Session, id, StatusMessageExpired, len(m.Payload), m.Nonce)
		return
	}
	if exp.IsZero() || exp.Sub(now) > sendTimeout {
		exp = now.Add(sendTimeout)
	}
	ss.mu.Lock()
	none := ss.reliabilityNone
	ss.mu.Unlock()
	if !none {
		c.sendStatus(m.Session, id, StatusAccepted, len(m.Payload), m.Nonce)
	}
	if !ss.enqueue(outMsg{id: id, to: m.Destination, payload: m.Payload, nonce: m.Nonce, expires: exp}) {
		c.sendStatus(m.Session, id, StatusOverflowFailure, len(m.Payload), m.Nonce)
	}
}

// lookup runs f in the background, at most maxLookups at a time; false
// when too many are in flight.
func (c *conn) lookup(timeout uint32, f func(ctx context.Context)) bool {
	c.mu.Lock()
	if c.lookups >= maxLookups {
		c.mu.Unlock()
		return false
	}
	c.lookups++
	c.mu.Unlock()
	d := time.Duration(timeout) * time.Millisecond
	d = min(max(d, time.Second), 60*time.Second)
	if timeout == 0 {
		d = 15 * time.Second
	}
	c.wg.Go(func() {
		defer func() {
			c.mu.Lock()
			c.lookups--
			c.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(c.ctx, d)
		defer cancel()
		f(ctx)
	})
	return true
}

func (c *conn) hostLookup(m *HostLookup) {
	fail := &HostReply{Session: m.Session, Request: m.Request, Result: HostFailure}
	switch m.Kind {
	case LookupHash, LookupName, LookupHashOptions, LookupNameOptions, LookupDestination:
	default:
		fail.Result = HostUnsupported
		c.reply(fail)
		return
	}
	ok := c.lookup(m.Timeout, func(ctx context.Context) {
		var d data.Destination
		var err error
		switch m.Kind {
		case LookupHash:
			d, _, err = c.s.net.LookupHash(ctx, m.Hash)
		case LookupName:
			d, err = c.s.net.Lookup(ctx, m.Name)
		default:
			c.reply(c.lookupOptions(ctx, m))
			return
		}
		if err != nil {
			c.log.Debug("host lookup failed", "err", err)
			c.reply(fail)
			return
		}
		c.reply(&HostReply{Session: m.Session, Request: m.Request, Result: HostSuccess, Destination: d})
	})
	if !ok {
		c.reply(fail)
	}
}

// lookupOptions answers lookup types 2-4 (proposal 167): the LeaseSet
// is always fetched, and its options come back with the destination;
// result 6 when the LeaseSet is not found.
func (c *conn) lookupOptions(ctx context.Context, m *HostLookup) *HostReply {
	r := &HostReply{Session: m.Session, Request: m.Request, Result: HostFailure}
	h := m.Hash
	switch m.Kind {
	case LookupNameOptions:
		d, err := c.s.net.Lookup(ctx, m.Name)
		if err != nil {
			return r
		}
		r.Destination, h = d, d.Hash()
	case LookupDestination:
		r.Destination, h = m.Destination, m.Destination.Hash()
	}
	d, opts, err := c.s.net.LookupHash(ctx, h)
	if err != nil {
		r.Result = HostLeaseSetFailure
		return r
	}
	r.Result, r.Destination, r.Options = HostSuccess, d, &opts
	return r
}

func (c *conn) destLookup(m *DestLookup) {
	ok := c.lookup(0, func(ctx context.Context) {
		d, _, err := c.s.net.LookupHash(ctx, m.Hash)
		if err != nil {
			c.reply(&DestReply{Hash: m.Hash})
			return
		}
		c.reply(&DestReply{Destination: d})
	})
	if !ok {
		c.reply(&DestReply{Hash: m.Hash})
	}
}

// optionMap copies a Mapping.
func optionMap(m data.Mapping) map[string]string {
	o := make(map[string]string, m.Len())
	for k, v := range m.All() {
		o[k] = v
	}
	return o
}

// tunnelOptions reads prefix+length, lengthVariance, quantity and
// backupQuantity, clamped to what our pools build (1..7 hops: no
// zero-hop tunnels; 1..16 tunnels).
func tunnelOptions(o map[string]string, prefix string) Tunnels {
	get := func(k string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(o[prefix+k]))
		return n, err == nil
	}
	var t Tunnels
	if n, ok := get("length"); ok {
		t.Length = min(max(n, 1), 7)
	}
	if n, ok := get("lengthVariance"); ok {
		t.Variance = min(max(n, -3), 3)
	}
	if n, ok := get("quantity"); ok {
		t.Quantity = min(max(n, 1), 16)
	}
	if n, ok := get("backupQuantity"); ok {
		t.Backup = min(max(n, 0), 16)
	}
	return t
}

// session is one I2CP session.
type session struct {
	id   SessionID
	c    *conn
	dest data.Destination
	hash data.Hash
	d    Destination // set before the session is listed

	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	// done is closed by close; created once SessionStatus Created is
	// queued (a LeaseSet request must not overtake it).
	done    chan struct{}
	created chan struct{}
	once    sync.Once
	nextMsg atomic.Uint32
	pending atomic.Int64 // payload bytes waiting in the senders

	mu              sync.Mutex
	opts            map[string]string
	reliabilityNone bool
	// slowReceive is i2cp.fastReceive=false (deprecated): payloads wait
	// in held, announced by MessageStatus Available, until the client's
	// ReceiveMessageBegin; ReceiveMessageEnd drops them. order is held's
	// IDs, oldest first, for eviction.
	slowReceive bool
	held        map[MessageID][]byte
	order       []MessageID
	heldBytes   int
	lsWait      chan lsReply // the pending RequestVariableLeaseSet
	senders     map[data.Hash]*sender
}

type lsReply struct {
	ls   *data.LeaseSet2
	keys []PrivateKey
}

func (ss *session) applyOptions() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.reliabilityNone = strings.EqualFold(ss.opts["i2cp.messageReliability"], "none")
	// Fast receive unless the client says false: Java clients always set
	// it true, i2pd knows no other mode.
	ss.slowReceive = strings.EqualFold(strings.TrimSpace(ss.opts["i2cp.fastReceive"]), "false")
}

// close ends the session: pending sends and the LeaseSet request end,
// then its destination closes.
func (ss *session) close() {
	ss.once.Do(func() {
		close(ss.done)
		ss.cancel()
		if ss.d != nil {
			ss.d.Close()
		}
		ss.c.s.release(ss.id, ss.hash)
		ss.c.log.Info("session closed", "session", ss.id)
	})
}

// signLeaseSet is the destination's DestinationConfig.SignLeaseSet: a
// RequestVariableLeaseSet, then the client's CreateLeaseSet2.
func (ss *session) signLeaseSet(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []PrivateKey, error) {
	w := make(chan lsReply, 1)
	ss.mu.Lock()
	ss.lsWait = w
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		if ss.lsWait == w {
			ss.lsWait = nil
		}
		ss.mu.Unlock()
	}()
	req := &RequestVariableLeaseSet{Session: ss.id}
	for _, l := range leases {
		req.Leases = append(req.Leases, data.Lease{Gateway: l.Gateway, TunnelID: l.TunnelID, End: l.End})
	}
	select {
	case <-ss.done:
		return nil, nil, errors.New("i2cp: session closed")
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-ss.created:
	}
	ss.c.reply(req)
	select {
	case r := <-w:
		return r.ls, r.keys, nil
	case <-ss.done:
		return nil, nil, errors.New("i2cp: session closed")
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("i2cp: no CreateLeaseSet2 from the client: %w", ctx.Err())
	}
}

// deliver is the destination's DestinationConfig.Deliver.
func (ss *session) deliver(payload []byte) {
	select {
	case <-ss.done:
		return
	default:
	}
	id := MessageID(ss.nextMsg.Add(1))
	ss.mu.Lock()
	slow := ss.slowReceive
	if slow {
		for len(ss.order) > 0 && (len(ss.order) >= maxHeld || ss.heldBytes+len(payload) > maxDataBytes) {
			old := ss.order[0]
			ss.order = ss.order[1:]
			ss.heldBytes -= len(ss.held[old])
			delete(ss.held, old)
			ss.c.dropped.Add(1)
		}
		if ss.held == nil {
			ss.held = make(map[MessageID][]byte)
		}
		ss.held[id] = payload
		ss.order = append(ss.order, id)
		ss.heldBytes += len(payload)
	}
	ss.mu.Unlock()
	if slow {
		ss.c.queue(ss.c.data, &MessageStatus{Session: ss.id, Message: id, Status: StatusAvailable, Size: uint32(len(payload))})
		return
	}
	ss.c.queue(ss.c.data, &MessagePayload{Session: ss.id, Message: id, Payload: payload})
}

// maxHeld bounds the payloads waiting for ReceiveMessageBegin.
const maxHeld = 256

// receiveBegin sends a held payload; unknown IDs are ignored, as Java
// does.
func (ss *session) receiveBegin(id MessageID) {
	ss.mu.Lock()
	p, ok := ss.held[id]
	ss.mu.Unlock()
	if ok {
		ss.c.reply(&MessagePayload{Session: ss.id, Message: id, Payload: p})
	}
}

// receiveEnd drops a held payload.
func (ss *session) receiveEnd(id MessageID) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	p, ok := ss.held[id]
	if !ok {
		return
	}
	delete(ss.held, id)
	ss.heldBytes -= len(p)
	if i := slices.Index(ss.order, id); i >= 0 {
		ss.order = slices.Delete(ss.order, i, i+1)
	}
}

// outMsg is one SendMessage waiting to go.
type outMsg struct {
	id      MessageID
	to      data.Destination
	payload []byte
	nonce   uint32
	expires time.Time
}

// sender sends a session's messages to one destination in order, on
// its own goroutine, so that a LeaseSet lookup for one peer does not
// hold up the others. It exits when idle.
type sender struct {
	q chan outMsg // never closed
}

// enqueue puts m on its destination's sender, starting one if need be;
// false if the queue or the sender table is full.
func (ss *session) enqueue(m outMsg) bool {
	h := m.to.Hash()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	select {
	case <-ss.done:
		return false
	default:
	}
	if ss.pending.Load()+int64(len(m.payload)) > maxPendingBytes {
		return false
	}
	sd := ss.senders[h]
	if sd == nil {
		if len(ss.senders) >= maxSenders {
			return false
		}
		sd = &sender{q: make(chan outMsg, senderQueue)}
		ss.senders[h] = sd
		ss.c.wg.Go(func() { ss.runSender(h, sd) })
	}
	select {
	case sd.q <- m:
		ss.pending.Add(int64(len(m.payload)))
		return true
	default:
		return false
	}
}

func (ss *session) runSender(h data.Hash, sd *sender) {
	idle := time.NewTimer(senderIdle)
	defer idle.Stop()
	for {
		select {
		case m := <-sd.q:
			ss.sendOne(m)
			idle.Reset(senderIdle)
		case <-idle.C:
			ss.mu.Lock()
			if len(sd.q) == 0 {
				delete(ss.senders, h)
				ss.mu.Unlock()
				return
			}
			ss.mu.Unlock()
			idle.Reset(senderIdle)
		case <-ss.done:
			ss.mu.Lock()
			delete(ss.senders, h)
			ss.mu.Unlock()
			return
		}
	}
}

func (ss *session) sendOne(m outMsg) {
	defer ss.pending.Add(-int64(len(m.payload)))
	if !m.expires.After(ss.c.s.cfg.Now()) {
		ss.c.sendStatus(ss.id, m.id, StatusMessageExpired, len(m.payload), m.nonce)
		return
	}
	ctx, cancel := context.WithDeadline(ss.ctx, m.expires)
	defer cancel()
	err := ss.d.Send(ctx, m.to, m.payload)
	ss.c.sendStatus(ss.id, m.id, statusOf(err, ctx), len(m.payload), m.nonce)
}

// statusOf maps a send's error to a MessageStatus code.
func statusOf(err error, ctx context.Context) DeliveryStatus {
	switch {
	case err == nil:
		return StatusGuaranteedSuccess
	case errors.Is(err, client.ErrNoLeaseSet):
		return StatusNoLeaseSet
	case errors.Is(err, client.ErrNoTunnels):
		return StatusNoLocalTunnels
	case errors.Is(err, client.ErrUnsupportedCrypto):
		return StatusUnsupportedEncryption
	case errors.Is(err, client.ErrClosed):
		return StatusBadSession
	case errors.Is(err, client.ErrPayloadTooLarge):
		return StatusBadMessage
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return StatusMessageExpired
	}
	return StatusGuaranteedFailure
}
