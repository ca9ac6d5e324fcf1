package pool

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/profile"
	"github.com/i2pgo/i2pgo/router/tunnel"
	"github.com/i2pgo/i2pgo/router/tunnel/build"
)

// PeerSelector picks the hops of a new tunnel.
type PeerSelector interface {
	// SelectHops returns n distinct routers, not us, in the order they
	// are to be used, or an error when there are not enough.
	SelectHops(n int) ([]*data.RouterInfo, error)
}

// Sender puts one I2NP message on a transport to a router (us included:
// the router loops a message to itself back into its dispatcher).
type Sender interface {
	Send(to data.Hash, m i2np.Message) error
}

// Profiles records what the hops did with our builds and tests
// (*profile.Store is one).
type Profiles interface {
	RecordTunnelBuild(h data.Hash, r profile.BuildResult)
	RecordTunnelTest(h data.Hash, ok bool)
}

// Deliver receives the messages that come out of a pool's inbound
// tunnels (other than the Manager's own build replies and tests). gw is
// the tunnel's gateway router.
type Deliver func(gw data.Hash, m i2np.Message)

// ManagerConfig configures a Manager. The zero value of each field means
// its default.
type ManagerConfig struct {
	// Us is our router hash. Required.
	Us data.Hash
	// Exploratory configures the exploratory pool (default 2 hops, 2
	// tunnels each way).
	Exploratory Config
	// Lifetime of a tunnel (10 minutes, the spec's), RebuildAt the age at
	// which its replacement is built (8 minutes), BuildTimeout how long a
	// build waits for its reply (15 s), TestTimeout how long a tunnel test
	// waits (15 s), TestInterval how often a tested tunnel is tested
	// again (60 s).
	Lifetime, RebuildAt, BuildTimeout, TestTimeout, TestInterval time.Duration
	// ForceLong builds with long (VariableTunnelBuild) records even
	// through hops that take short ones.
	ForceLong bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Deps are what the Manager uses of the router.
type Deps struct {
	Selector PeerSelector
	Sender   Sender
	Profiles Profiles
	// Deliver receives what comes out of the exploratory pool's inbound
	// tunnels.
	Deliver Deliver
	Log     *slog.Logger
}

// Manager keeps every pool. Its methods are safe for concurrent use.
type Manager struct {
	cfg      ManagerConfig
	sel      PeerSelector
	send     Sender
	profiles Profiles
	log      *slog.Logger
	now      func() time.Time
	zeroHop  data.TunnelID
	explore  *Pool

	mu      sync.Mutex
	pools   []*Pool                          // exploratory first
	inbound map[data.TunnelID]*Tunnel        // every pool's inbound tunnels, by our receive ID
	pending map[i2np.MessageID]*pendingBuild // by reply message ID
	tags    map[[8]byte]*pendingBuild        // OBEP garlic reply tags
	tests   map[i2np.MessageID]*tunnelTest

	built, failed atomic.Uint64
}

// pendingBuild is a build request waiting for its reply; exactly one of
// short and long is set.
type pendingBuild struct {
	pool    *Pool
	short   *build.ShortRequest
	long    *build.Request
	tun     *Tunnel
	sent    time.Time
	replyID i2np.MessageID
	via     string // how the request or reply travels, for logs
}

// tunnelTest is a DeliveryStatus sent out through out and expected back
// through in.
type tunnelTest struct {
	out, in *Tunnel
	sent    time.Time
}

// NewManager returns a Manager with its exploratory pool. It starts
// nothing; call Run.
func NewManager(cfg ManagerConfig, deps Deps) (*Manager, error) {
	if cfg.Us.IsZero() {
		return nil, errors.New("pool: ManagerConfig.Us is required")
	}
	if deps.Selector == nil || deps.Sender == nil {
		return nil, errors.New("pool: Deps.Selector and Deps.Sender are required")
	}
	if err := cfg.Exploratory.Check(); err != nil {
		return nil, fmt.Errorf("pool: exploratory %w", err)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Lifetime, 10*time.Minute)
	def(&cfg.RebuildAt, 8*time.Minute)
	def(&cfg.BuildTimeout, 15*time.Second)
	def(&cfg.TestTimeout, 15*time.Second)
	def(&cfg.TestInterval, 60*time.Second)
	if cfg.RebuildAt >= cfg.Lifetime {
		cfg.RebuildAt = cfg.Lifetime * 4 / 5
	}
	m := &Manager{
		cfg: cfg, sel: deps.Selector, send: deps.Sender, profiles: deps.Profiles, log: deps.Log, now: cfg.Now,
		zeroHop: randomTunnelID(),
		inbound: make(map[data.TunnelID]*Tunnel),
		pending: make(map[i2np.MessageID]*pendingBuild),
		tags:    make(map[[8]byte]*pendingBuild),
		tests:   make(map[i2np.MessageID]*tunnelTest),
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.profiles == nil {
		m.profiles = nopProfiles{}
	}
	ec := cfg.Exploratory
	if ec.Name == "" {
		ec.Name = "exploratory"
	}
	ec.Inbound = ec.Inbound.withDefaults(ExploratoryDefaults)
	ec.Outbound = ec.Outbound.withDefaults(ExploratoryDefaults)
	m.explore = &Pool{m: m, cfg: ec, deliver: deps.Deliver, exploratory: true}
	m.pools = []*Pool{m.explore}
	return m, nil
}

type nopProfiles struct{}

func (nopProfiles) RecordTunnelBuild(data.Hash, profile.BuildResult) {}
func (nopProfiles) RecordTunnelTest(data.Hash, bool)                 {}

// Exploratory returns the exploratory pool.
func (m *Manager) Exploratory() *Pool { return m.explore }

// ZeroHopID is the tunnel ID of our zero-hop inbound gateway: a
// TunnelGateway message to us with this ID is for us.
func (m *Manager) ZeroHopID() data.TunnelID { return m.zeroHop }

// NewPool adds a client pool; deliver receives what comes out of its
// inbound tunnels. Zero settings take ClientDefaults.
func (m *Manager) NewPool(cfg Config, deliver Deliver) (*Pool, error) {
	if err := cfg.Check(); err != nil {
		return nil, fmt.Errorf("pool %q: %w", cfg.Name, err)
	}
	if deliver == nil {
		return nil, errors.New("pool: NewPool needs a Deliver function")
	}
	cfg.Inbound = cfg.Inbound.withDefaults(ClientDefaults)
	cfg.Outbound = cfg.Outbound.withDefaults(ClientDefaults)
	p := &Pool{m: m, cfg: cfg, deliver: deliver}
	m.mu.Lock()
	m.pools = append(m.pools, p)
	m.mu.Unlock()
	return p, nil
}

// removePool takes p out of the table with its tunnels and builds.
func (m *Manager) removePool(p *Pool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pools = slices.DeleteFunc(m.pools, func(q *Pool) bool { return q == p })
	for id, t := range m.inbound {
		if t.pool == p {
			delete(m.inbound, id)
		}
	}
	for id, b := range m.pending {
		if b.pool == p {
			m.deletePendingLocked(id, b)
		}
	}
}

func (m *Manager) deletePendingLocked(id i2np.MessageID, b *pendingBuild) {
	delete(m.pending, id)
	if b.short != nil {
		delete(m.tags, b.short.GarlicTag)
	}
}

// Run keeps the pools full until ctx is done.
func (m *Manager) Run(ctx context.Context) error {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	m.Round()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			m.Round()
		}
	}
}

// Round does one round of upkeep: expire builds without a reply, tests
// without an answer and old tunnels; start the builds each pool needs;
// send tunnel tests.
func (m *Manager) Round() {
	now := m.now()
	m.mu.Lock()
	var timedOut []*pendingBuild
	for id, b := range m.pending {
		if now.Sub(b.sent) > m.cfg.BuildTimeout {
			m.deletePendingLocked(id, b)
			timedOut = append(timedOut, b)
		}
	}
	var failedTests []*tunnelTest
	for id, tt := range m.tests {
		if now.Sub(tt.sent) > m.cfg.TestTimeout {
			delete(m.tests, id)
			failedTests = append(failedTests, tt)
		}
	}
	for id, t := range m.inbound {
		if now.Sub(t.Built) > m.cfg.Lifetime || t.dropped.Load() {
			delete(m.inbound, id)
		} else {
			t.mu.Lock()
			t.endpoint.Expire(now)
			t.mu.Unlock()
		}
	}
	pools := slices.Clone(m.pools)
	m.mu.Unlock()

	for _, b := range timedOut {
		m.failed.Add(1)
		b.pool.failed.Add(1)
		m.log.Debug("tunnel build timed out", "pool", b.pool.cfg.Name, "inbound", b.tun.Inbound, "via", b.via, "hops", fmt.Sprint(b.tun.Hops))
		for _, h := range b.tun.Hops {
			m.profiles.RecordTunnelBuild(h, profile.BuildTimedOut)
		}
	}
	for _, tt := range failedTests {
		m.testFailed(tt)
	}
	for _, p := range pools {
		p.expire(now)
		for _, inbound := range []bool{true, false} {
			for range p.need(inbound, now) {
				if err := m.build(p, inbound, now); err != nil {
					m.log.Debug("tunnel build not sent", "pool", p.cfg.Name, "inbound", inbound, "err", err)
					break
				}
			}
		}
		m.test(p, now)
	}
}

// version reports whether a router publishes a router.version of at
// least 0.9.51, the first that takes short build records.
func takesShortRecords(ri *data.RouterInfo) bool {
	v := strings.Split(ri.Version(), ".")
	if len(v) < 3 {
		return false
	}
	var n [3]int
	for i := range n {
		x, err := strconv.Atoi(v[i])
		if err != nil {
			return false
		}
		n[i] = x
	}
	return n[0] > 0 || n[1] > 9 || (n[1] == 9 && n[2] >= 51)
}

// build sends one build request for a tunnel of pool p.
func (m *Manager) build(p *Pool, inbound bool, now time.Time) error {
	s := p.cfg.Outbound
	if inbound {
		s = p.cfg.Inbound
	}
	ris, err := m.sel.SelectHops(s.hops())
	if err != nil {
		return err
	}
	short := !m.cfg.ForceLong
	hops := make([]build.Hop, len(ris))
	for i, ri := range ris {
		if ri.Hash() == m.cfg.Us {
			return errors.New("pool: selector chose us as a hop")
		}
		if !takesShortRecords(ri) {
			short = false
		}
		var k [32]byte
		copy(k[:], ri.Identity.EncryptionKey())
		hops[i] = build.Hop{Ident: ri.Hash(), EncryptionKey: k, ReceiveTunnel: randomTunnelID()}
	}
	for i := range hops[:len(hops)-1] {
		hops[i].NextIdent, hops[i].NextTunnel = hops[i+1].Ident, hops[i+1].ReceiveTunnel
	}
	last := &hops[len(hops)-1]
	t := &Tunnel{Inbound: inbound, pool: p}
	for _, h := range hops {
		t.Hops = append(t.Hops, h.Ident)
	}
	b := &pendingBuild{pool: p, tun: t, sent: now}
	var replyVia *Tunnel // outbound build: the inbound tunnel the reply comes back by
	if inbound {
		hops[0].Flags = i2np.HopGateway
		t.recvID = randomTunnelID()
		t.gwID = hops[0].ReceiveTunnel
		last.NextIdent, last.NextTunnel = m.cfg.Us, t.recvID
	} else {
		last.Flags = i2np.HopEndpoint
		t.firstID = hops[0].ReceiveTunnel
		b.via = "reply via zero-hop"
		if replyVia = m.pickWithFallback(p, true, now); replyVia != nil {
			last.NextIdent, last.NextTunnel = replyVia.Gateway()
			b.via = "reply via inbound tunnel"
		} else {
			last.NextIdent, last.NextTunnel = m.cfg.Us, m.zeroHop
		}
	}
	cfg := build.Config{Hops: hops, RequestTime: now}
	var body i2np.Body
	if short {
		if b.short, err = build.NewShortRequest(cfg); err != nil {
			return err
		}
		b.replyID = b.short.ReplyMessageID()
		body = b.short.Message()
	} else {
		if b.long, err = build.NewRequest(cfg); err != nil {
			return err
		}
		b.replyID = b.long.ReplyMessageID()
		body = b.long.Message()
	}
	m.mu.Lock()
	m.pending[b.replyID] = b
	if b.short != nil && !inbound {
		m.tags[b.short.GarlicTag] = b
	}
	m.mu.Unlock()
	msg, err := i2np.NewMessage(randomMessageID(), now.Add(m.cfg.BuildTimeout), body)
	if err != nil {
		return err
	}
	// An inbound build goes through an outbound tunnel to its gateway
	// when we have one, so the gateway cannot tell it is us; an outbound
	// build goes straight to its first hop (we are its gateway).
	if inbound {
		if out := m.pickWithFallback(p, false, now); out != nil {
			b.via = "request via outbound tunnel"
			return out.Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryRouter, To: hops[0].Ident}, msg)
		}
		b.via = "request direct"
	}
	return m.send.Send(hops[0].Ident, msg)
}

// pickWithFallback returns a usable tunnel of p in the direction asked,
// else one of the exploratory pool, else nil.
func (m *Manager) pickWithFallback(p *Pool, inbound bool, now time.Time) *Tunnel {
	if t := p.pick(inbound, now); t != nil {
		return t
	}
	if p != m.explore {
		return m.explore.pick(inbound, now)
	}
	return nil
}

// HandleBuildReply takes m if it is the reply to one of our builds: a
// ShortTunnelBuild or VariableTunnelBuild that came back through a new
// inbound tunnel, or an OutboundTunnelBuildReply or
// VariableTunnelBuildReply from the endpoint of a new outbound one.
func (m *Manager) HandleBuildReply(msg i2np.Message) bool {
	switch msg.Type {
	case i2np.ShortTunnelBuild, i2np.OutboundTunnelBuildReply, i2np.VariableTunnelBuild, i2np.VariableTunnelBuildReply:
	default:
		return false
	}
	m.mu.Lock()
	b := m.pending[msg.ID]
	if b != nil {
		m.deletePendingLocked(msg.ID, b)
	}
	m.mu.Unlock()
	if b == nil {
		return false
	}
	var err error
	var codes []i2np.BuildReply
	switch {
	case b.short != nil && (msg.Type == i2np.ShortTunnelBuild || msg.Type == i2np.OutboundTunnelBuildReply):
		var recs []i2np.ShortBuildRecord
		if msg.Type == i2np.ShortTunnelBuild {
			var x i2np.ShortTunnelBuildMessage
			x, err = i2np.ParseShortTunnelBuildMessage(msg.Payload)
			recs = x.Records
		} else {
			var x i2np.OutboundTunnelBuildReplyMessage
			x, err = i2np.ParseOutboundTunnelBuildReplyMessage(msg.Payload)
			recs = x.Records
		}
		if err == nil {
			var resps []i2np.ShortBuildResponse
			resps, err = b.short.ProcessReply(recs)
			for _, r := range resps {
				codes = append(codes, r.Reply)
			}
		}
	case b.long != nil && (msg.Type == i2np.VariableTunnelBuild || msg.Type == i2np.VariableTunnelBuildReply):
		var recs []i2np.BuildRecord
		if msg.Type == i2np.VariableTunnelBuild {
			var x i2np.VariableTunnelBuildMessage
			x, err = i2np.ParseVariableTunnelBuildMessage(msg.Payload)
			recs = x.Records
		} else {
			var x i2np.VariableTunnelBuildReplyMessage
			x, err = i2np.ParseVariableTunnelBuildReplyMessage(msg.Payload)
			recs = x.Records
		}
		if err == nil {
			var resps []i2np.BuildResponse
			resps, err = b.long.ProcessReply(recs)
			for _, r := range resps {
				codes = append(codes, r.Reply)
			}
		}
	default:
		err = fmt.Errorf("pool: %v reply to a %s build", msg.Type, map[bool]string{true: "short", false: "long"}[b.short != nil])
	}
	m.finish(b, codes, err)
	return true
}

// finish records the outcome of build b, whose hops answered codes.
func (m *Manager) finish(b *pendingBuild, codes []i2np.BuildReply, err error) {
	ok := err == nil && len(codes) == len(b.tun.Hops)
	for i, c := range codes {
		res := profile.BuildAccepted
		if c != i2np.ReplyAccept {
			ok = false
			res = profile.BuildRejected
		}
		if i < len(b.tun.Hops) {
			m.profiles.RecordTunnelBuild(b.tun.Hops[i], res)
		}
	}
	p := b.pool
	if !ok {
		m.failed.Add(1)
		p.failed.Add(1)
		m.log.Debug("tunnel build refused", "pool", p.cfg.Name, "inbound", b.tun.Inbound, "codes", fmt.Sprint(codes), "err", err)
		return
	}
	t := b.tun
	keys := b.hopKeys()
	for _, hk := range keys {
		t.ciphers = append(t.ciphers, tunnel.NewCipher(tunnel.LayerKeys{Layer: hk.LayerKey, IV: hk.IVKey}))
	}
	t.Built = m.now()
	m.built.Add(1)
	p.built.Add(1)
	if p.closed.Load() {
		return
	}
	if t.Inbound {
		t.endpoint = tunnel.NewEndpoint(tunnel.EndpointConfig{})
		m.mu.Lock()
		m.inbound[t.recvID] = t
		m.mu.Unlock()
	}
	p.add(t)
	m.log.Info("tunnel built", "pool", p.cfg.Name, "inbound", t.Inbound, "hops", len(t.Hops), "long", b.long != nil,
		"build_ms", t.Built.Sub(b.sent).Milliseconds())
}

func (b *pendingBuild) hopKeys() []build.HopKeys {
	if b.short != nil {
		return b.short.Hops
	}
	return b.long.Hops
}

// OpenGarlicReply opens a Garlic message body sealed with the reply tag
// of one of our short outbound builds and handles the
// OutboundTunnelBuildReply inside; false if gm is not one.
func (m *Manager) OpenGarlicReply(gm []byte) bool {
	if len(gm) < 8 {
		return false
	}
	m.mu.Lock()
	b := m.tags[[8]byte(gm[:8])]
	m.mu.Unlock()
	if b == nil {
		return false
	}
	_, payload, err := garlic.OpenWithTag(b.short.GarlicKey, gm)
	if err != nil {
		return false
	}
	blocks, err := garlic.ParseBlocks(payload)
	if err != nil {
		return true
	}
	for _, blk := range blocks {
		if blk.Type != garlic.BlockGarlicClove {
			continue
		}
		if c, err := garlic.ParseClove(blk.Data); err == nil && c.Delivery == garlic.DeliveryLocal {
			m.HandleBuildReply(c.Msg)
		}
	}
	return true
}

// HandleTunnelData takes a TunnelData body for one of our inbound
// tunnels (false if id is none of ours), and delivers what it completes:
// our build replies and tunnel tests to ourselves, the rest to the pool.
func (m *Manager) HandleTunnelData(id data.TunnelID, body *[tunnel.BodyLen]byte) bool {
	m.mu.Lock()
	t := m.inbound[id]
	m.mu.Unlock()
	if t == nil {
		return false
	}
	msgs, err := t.receive(body, m.now())
	if err != nil {
		m.log.Debug("inbound tunnel data dropped", "pool", t.pool.cfg.Name, "err", err)
		return true
	}
	gw, _ := t.Gateway()
	for _, d := range msgs {
		if d.Delivery.Type != tunnel.DeliveryLocal {
			continue // an inbound gateway delivers locally only
		}
		if m.intercept(d.Message) {
			continue
		}
		if t.pool.deliver != nil {
			t.pool.deliver(gw, d.Message)
		}
	}
	return true
}

// intercept handles a message that came out of one of our inbound
// tunnels if it is ours to handle.
func (m *Manager) intercept(msg i2np.Message) bool {
	switch msg.Type {
	case i2np.DeliveryStatus:
		return m.HandleDeliveryStatus(msg)
	case i2np.Garlic:
		g, err := i2np.ParseGarlicMessage(msg.Payload)
		return err == nil && m.OpenGarlicReply(g.Data)
	}
	return m.HandleBuildReply(msg)
}

// test sends tunnel tests for p's tunnels that need one.
func (m *Manager) test(p *Pool, now time.Time) {
	due := func(t *Tunnel) bool {
		last := time.Unix(0, t.lastTest.Load())
		if t.tested.Load() {
			return now.Sub(last) >= m.cfg.TestInterval
		}
		return now.Sub(last) >= m.cfg.TestTimeout
	}
	p.mu.Lock()
	outs, ins := slices.Clone(p.outbound), slices.Clone(p.inbound)
	p.mu.Unlock()
	for _, out := range outs {
		if !out.usable(now, m.cfg.Lifetime) || !due(out) {
			continue
		}
		in := m.pickWithFallback(p, true, now)
		if in == nil {
			return
		}
		m.sendTest(out, in, now)
	}
	for _, in := range ins {
		if !in.usable(now, m.cfg.Lifetime) || !due(in) {
			continue
		}
		out := m.pickWithFallback(p, false, now)
		if out == nil {
			return
		}
		m.sendTest(out, in, now)
	}
}

func (m *Manager) sendTest(out, in *Tunnel, now time.Time) {
	id := randomMessageID()
	st, err := i2np.NewMessage(id, now.Add(m.cfg.TestTimeout), i2np.DeliveryStatusMessage{ID: id, Time: now})
	if err != nil {
		return
	}
	out.lastTest.Store(now.UnixNano())
	in.lastTest.Store(now.UnixNano())
	m.mu.Lock()
	m.tests[id] = &tunnelTest{out: out, in: in, sent: now}
	m.mu.Unlock()
	gw, gwID := in.Gateway()
	if err := out.Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryTunnel, To: gw, TunnelID: gwID}, st); err != nil {
		m.mu.Lock()
		delete(m.tests, id)
		m.mu.Unlock()
	}
}

// HandleDeliveryStatus takes a DeliveryStatus that answers one of our
// tunnel tests.
func (m *Manager) HandleDeliveryStatus(msg i2np.Message) bool {
	st, err := i2np.ParseDeliveryStatusMessage(msg.Payload)
	if err != nil {
		return false
	}
	m.mu.Lock()
	tt := m.tests[st.ID]
	delete(m.tests, st.ID)
	m.mu.Unlock()
	if tt == nil {
		return false
	}
	for _, t := range []*Tunnel{tt.out, tt.in} {
		t.tested.Store(true)
		t.fails.Store(0)
		for _, h := range t.Hops {
			m.profiles.RecordTunnelTest(h, true)
		}
	}
	m.log.Debug("tunnel test passed", "pool", tt.out.pool.cfg.Name, "rtt_ms", m.now().Sub(tt.sent).Milliseconds())
	return true
}

// testFailed counts a test that did not come back against both tunnels;
// a tunnel that fails twice in a row is dropped.
func (m *Manager) testFailed(tt *tunnelTest) {
	for _, t := range []*Tunnel{tt.out, tt.in} {
		for _, h := range t.Hops {
			m.profiles.RecordTunnelTest(h, false)
		}
		if t.fails.Add(1) >= 2 && !t.dropped.Swap(true) {
			m.log.Info("tunnel dropped after failed tests", "pool", t.pool.cfg.Name, "inbound", t.Inbound, "hops", len(t.Hops))
		}
	}
}

// ClientCount is the number of usable tunnels of the client pools.
func (m *Manager) ClientCount() int {
	m.mu.Lock()
	pools := slices.Clone(m.pools)
	m.mu.Unlock()
	n := 0
	for _, p := range pools {
		if p != m.explore {
			in, out := p.Counts()
			n += in + out
		}
	}
	return n
}

// Stats are the build counts of every pool together.
type Stats struct {
	Built, Failed uint64
}

// Stats returns the build counts.
func (m *Manager) Stats() Stats { return Stats{Built: m.built.Load(), Failed: m.failed.Load()} }

// BuildSuccess is the share of our builds that succeeded, 0 before any.
func (s Stats) BuildSuccess() float64 {
	if s.Built+s.Failed == 0 {
		return 0
	}
	return float64(s.Built) / float64(s.Built+s.Failed)
}

// Info describes one tunnel for lists.
type Info struct {
	Direction string      // inbound, outbound
	Pool      string      // the pool's name
	Hops      []data.Hash // in tunnel order
	Age       time.Duration
	Bytes     uint64
	State     string // building, established, tested, expiring
}

// List describes every tunnel of every pool, and the builds in flight.
func (m *Manager) List() []Info {
	now := m.now()
	m.mu.Lock()
	pools := slices.Clone(m.pools)
	var out []Info
	for _, b := range m.pending {
		out = append(out, Info{Direction: direction(b.tun.Inbound), Pool: b.pool.cfg.Name, Hops: slices.Clone(b.tun.Hops), Age: now.Sub(b.sent), State: "building"})
	}
	m.mu.Unlock()
	for _, p := range pools {
		p.mu.Lock()
		for _, t := range slices.Concat(p.inbound, p.outbound) {
			in := Info{Direction: direction(t.Inbound), Pool: p.cfg.Name, Hops: slices.Clone(t.Hops), Age: now.Sub(t.Built), Bytes: t.bytes.Load(), State: "established"}
			if t.tested.Load() {
				in.State = "tested"
			}
			if in.Age > m.cfg.RebuildAt {
				in.State = "expiring"
			}
			out = append(out, in)
		}
		p.mu.Unlock()
	}
	return out
}

func direction(inbound bool) string {
	if inbound {
		return "inbound"
	}
	return "outbound"
}

func randomMessageID() i2np.MessageID {
	var b [4]byte
	crand.Read(b[:])
	return i2np.MessageID(binary.BigEndian.Uint32(b[:]))
}

func randomTunnelID() data.TunnelID {
	for {
		if id := data.TunnelID(randomMessageID()); id != 0 {
			return id
		}
	}
}
