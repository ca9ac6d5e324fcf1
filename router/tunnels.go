package router

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
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

// Our own tunnels: the exploratory pool (tunnel-creation-ecies.rst short
// builds, tunnels-implementation.html). This first version keeps the
// exploratory pool: 2 inbound and 2 outbound tunnels of 2 hops, built
// through routers of the netDb, tested, and rebuilt before they expire.
// TODO(issue 5): move into router/tunnel/pool; client pools; length
// variance; netDb traffic through these tunnels.

const (
	tunnelLifetime  = 10 * time.Minute
	tunnelRebuildAt = 8 * time.Minute // age at which a replacement is built
	buildTimeout    = 15 * time.Second
	poolHops        = 2
	poolQuantity    = 2
)

// ownTunnel is one of our tunnels.
type ownTunnel struct {
	inbound bool
	hops    []data.Hash      // in tunnel order
	ciphers []*tunnel.Cipher // one per hop, tunnel order
	// inbound: recvID is our receive ID at the endpoint (us), gwID and
	// gateway are where others send to. outbound: firstID at hops[0].
	recvID, gwID, firstID data.TunnelID
	built                 time.Time
	tested                atomic.Bool
	replaced              atomic.Bool

	mu       sync.Mutex // guards ciphers use, gw, endpoint
	gw       *tunnel.Gateway
	endpoint *tunnel.Endpoint
}

func (t *ownTunnel) gateway() data.Hash { return t.hops[0] }

// pendingBuild is a build request waiting for its reply.
type pendingBuild struct {
	req     *build.ShortRequest
	tun     *ownTunnel
	sent    time.Time
	replyID i2np.MessageID
	via     string // how the request or reply travelled, for logs
}

// tunnels is our tunnel table and the exploratory pool.
type tunnels struct {
	mu       sync.Mutex
	inbound  map[data.TunnelID]*ownTunnel // by our receive ID
	outbound []*ownTunnel
	pending  map[i2np.MessageID]*pendingBuild // by reply message ID
	tags     map[[8]byte]*pendingBuild        // OBEP garlic reply tags
	zeroHop  data.TunnelID                    // our zero-hop inbound gateway ID
	tests    map[i2np.MessageID]*ownTunnel    // tunnel tests in flight, by DeliveryStatus ID

	built, failed atomic.Uint64
}

func newTunnels() *tunnels {
	return &tunnels{
		inbound: make(map[data.TunnelID]*ownTunnel),
		pending: make(map[i2np.MessageID]*pendingBuild),
		tags:    make(map[[8]byte]*pendingBuild),
		tests:   make(map[i2np.MessageID]*ownTunnel),
		zeroHop: randomTunnelID(),
	}
}

func randomTunnelID() data.TunnelID {
	for {
		if id := data.TunnelID(randomMessageID()); id != 0 {
			return id
		}
	}
}

// counts returns the live inbound and outbound tunnels.
func (ts *tunnels) counts(now time.Time) (in, out int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.inbound {
		if now.Sub(t.built) < tunnelLifetime {
			in++
		}
	}
	for _, t := range ts.outbound {
		if now.Sub(t.built) < tunnelLifetime {
			out++
		}
	}
	return
}

// buildRate is the share of our builds that succeeded.
func (ts *tunnels) buildRate() float64 {
	b, f := ts.built.Load(), ts.failed.Load()
	if b+f == 0 {
		return 0
	}
	return float64(b) / float64(b+f)
}

// pickInbound returns a random live inbound tunnel, or nil.
func (ts *tunnels) pickInbound(now time.Time) *ownTunnel {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var c []*ownTunnel
	for _, t := range ts.inbound {
		if now.Sub(t.built) < tunnelLifetime-time.Minute {
			c = append(c, t)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[mrand.IntN(len(c))]
}

func (ts *tunnels) pickOutbound(now time.Time) *ownTunnel {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var c []*ownTunnel
	for _, t := range ts.outbound {
		if now.Sub(t.built) < tunnelLifetime-time.Minute {
			c = append(c, t)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[mrand.IntN(len(c))]
}

// selectHops picks n distinct routers for a tunnel: reachable over NTCP2,
// ECIES (crypto type 4), not us, not marked bad in their profiles.
func (r *Router) selectHops(n int) ([]*data.RouterInfo, error) {
	var cands []*data.RouterInfo
	for _, ri := range r.netdb.Routers() {
		if ri.Hash() == r.hash || ri.Identity.CryptoType() != 4 {
			continue
		}
		if _, _, ok := ntcp2Peer(ri); !ok && r.ntcp2.Session(ri.Hash()) == nil {
			continue
		}
		if strings.ContainsAny(ri.Caps(), "GEU") || r.profiles.IsBad(ri.Hash()) || r.recentlyUnreachable(ri.Hash()) {
			continue
		}
		cands = append(cands, ri)
	}
	if len(cands) < n {
		return nil, fmt.Errorf("router: %d usable routers, need %d", len(cands), n)
	}
	// Routers we have a session with are alive; the netDb also holds
	// routers that are long gone. With enough of them (twice the hops),
	// choose among them only; in the first 30 s wait for them to come up;
	// after that take the netDb too.
	var live []*data.RouterInfo
	for _, ri := range cands {
		if r.ntcp2.Session(ri.Hash()) != nil {
			live = append(live, ri)
		}
	}
	switch {
	case len(live) >= 2*n:
		cands = live
	case time.Since(r.start) < 30*time.Second:
		return nil, fmt.Errorf("router: %d routers connected, waiting for %d", len(live), 2*n)
	}
	// Weighted random choice: a router's profile score (builds and
	// lookups it answered; recent failures count more), times ten while we
	// have a session with it: a router we are talking to is alive, one we
	// only know from the netDb may be long gone. Routers that time out
	// sink fast.
	w := make([]float64, len(cands))
	total := 0.0
	for i, ri := range cands {
		w[i] = r.profiles.Score(ri.Hash()) + 0.01
		if r.ntcp2.Session(ri.Hash()) != nil {
			w[i] *= 10
		}
		total += w[i]
	}
	out := make([]*data.RouterInfo, 0, n)
	for len(out) < n && total > 1e-9 {
		x := mrand.Float64() * total
		for i := range cands {
			if w[i] == 0 {
				continue
			}
			if x -= w[i]; x <= 0 || i == len(cands)-1 {
				out = append(out, cands[i])
				total -= w[i]
				w[i] = 0
				// On the public network, no two hops from one /16.
				if r.cfg.NetID == 2 {
					for j := range cands {
						if w[j] != 0 && same16(cands[i], cands[j]) {
							total -= w[j]
							w[j] = 0
						}
					}
				}
				break
			}
		}
	}
	if len(out) < n {
		return nil, fmt.Errorf("router: %d usable routers in distinct /16s, need %d", len(out), n)
	}
	return out, nil
}

// same16 reports whether two routers publish IPv4 addresses in one /16.
func same16(a, b *data.RouterInfo) bool {
	for _, x := range a.Addresses {
		ax, ok := x.IP()
		if !ok || !ax.Is4() {
			continue
		}
		for _, y := range b.Addresses {
			by, ok := y.IP()
			if ok && by.Is4() && ax.As4()[0] == by.As4()[0] && ax.As4()[1] == by.As4()[1] {
				return true
			}
		}
	}
	return false
}

// buildTunnel sends one build request for an inbound or outbound
// exploratory tunnel.
func (r *Router) buildTunnel(inbound bool) error {
	ts := r.tunnels
	ris, err := r.selectHops(poolHops)
	if err != nil {
		return err
	}
	now := time.Now()
	hops := make([]build.Hop, len(ris))
	for i, ri := range ris {
		var k [32]byte
		copy(k[:], ri.Identity.EncryptionKey())
		hops[i] = build.Hop{Ident: ri.Hash(), EncryptionKey: k, ReceiveTunnel: randomTunnelID()}
	}
	for i := range hops[:len(hops)-1] {
		hops[i].NextIdent, hops[i].NextTunnel = hops[i+1].Ident, hops[i+1].ReceiveTunnel
	}
	last := &hops[len(hops)-1]
	t := &ownTunnel{inbound: inbound}
	for _, h := range hops {
		t.hops = append(t.hops, h.Ident)
	}
	var replyVia *ownTunnel // outbound build: the inbound tunnel the reply comes back by
	if inbound {
		hops[0].Flags = i2np.HopGateway
		t.recvID = randomTunnelID()
		t.gwID = hops[0].ReceiveTunnel
		last.NextIdent, last.NextTunnel = r.hash, t.recvID
	} else {
		last.Flags = i2np.HopEndpoint
		t.firstID = hops[0].ReceiveTunnel
		if replyVia = ts.pickInbound(now); replyVia != nil {
			last.NextIdent, last.NextTunnel = replyVia.gateway(), replyVia.gwID
		} else {
			last.NextIdent, last.NextTunnel = r.hash, ts.zeroHop
		}
	}
	cfg := build.Config{Hops: hops}
	req, err := build.NewShortRequest(cfg)
	if err != nil {
		return err
	}
	p := &pendingBuild{req: req, tun: t, sent: now, replyID: req.ReplyMessageID()}
	ts.mu.Lock()
	ts.pending[p.replyID] = p
	if !inbound {
		ts.tags[req.GarlicTag] = p
	}
	ts.mu.Unlock()
	msg, err := i2np.NewMessage(randomMessageID(), now.Add(buildTimeout), req.Message())
	if err != nil {
		return err
	}
	// An inbound build goes through one of our outbound tunnels to its
	// gateway when we have one, so the gateway cannot tell it is us; an
	// outbound build goes straight to its first hop (we are its gateway).
	if !inbound {
		p.via = "reply via zero-hop"
		if replyVia != nil {
			p.via = "reply via inbound tunnel"
		}
	}
	if out := ts.pickOutbound(now); inbound && out != nil {
		p.via = "request via outbound tunnel"
		return r.sendThroughTunnel(out, tunnel.DeliveryInstructions{Type: tunnel.DeliveryRouter, To: hops[0].Ident}, msg)
	}
	return (*sender)(r).Send(hops[0].Ident, msg)
}

// sendThroughTunnel sends m through our outbound tunnel t, to be
// delivered at its endpoint as d says.
func (r *Router) sendThroughTunnel(t *ownTunnel, d tunnel.DeliveryInstructions, m i2np.Message) error {
	t.mu.Lock()
	if t.gw == nil {
		t.gw = tunnel.NewGateway(tunnel.GatewayConfig{})
	}
	bodies, err := t.gw.Put(nil, d, m)
	if err == nil {
		bodies, err = t.gw.Flush(bodies)
	}
	for i := range bodies {
		tunnel.DecryptLayers(t.ciphers, &bodies[i])
	}
	t.mu.Unlock()
	if err != nil {
		return err
	}
	exp := time.Now().Add(60 * time.Second)
	for i := range bodies {
		out, err := i2np.NewMessage(randomMessageID(), exp, i2np.TunnelDataMessage{TunnelID: t.firstID, Data: bodies[i]})
		if err != nil {
			return err
		}
		if err := (*sender)(r).Send(t.hops[0], out); err != nil {
			return err
		}
	}
	return nil
}

// finishBuild processes the reply records of a pending build.
func (r *Router) finishBuild(p *pendingBuild, recs []i2np.ShortBuildRecord) {
	ts := r.tunnels
	ts.mu.Lock()
	delete(ts.pending, p.replyID)
	delete(ts.tags, p.req.GarlicTag)
	ts.mu.Unlock()
	resps, err := p.req.ProcessReply(recs)
	ok := err == nil
	for i, resp := range resps {
		res := profile.BuildAccepted
		if resp.Reply != i2np.ReplyAccept {
			ok = false
			res = profile.BuildRejected
		}
		if i < len(p.tun.hops) {
			r.profiles.RecordTunnelBuild(p.tun.hops[i], res)
		}
	}
	if !ok {
		ts.failed.Add(1)
		r.log.Debug("tunnel build refused", "inbound", p.tun.inbound, "err", err)
		return
	}
	t := p.tun
	for _, hk := range p.req.Hops {
		t.ciphers = append(t.ciphers, tunnel.NewCipher(tunnel.LayerKeys{Layer: hk.LayerKey, IV: hk.IVKey}))
	}
	t.built = time.Now()
	ts.built.Add(1)
	ts.mu.Lock()
	if t.inbound {
		t.endpoint = tunnel.NewEndpoint(tunnel.EndpointConfig{})
		ts.inbound[t.recvID] = t
	} else {
		ts.outbound = append(ts.outbound, t)
	}
	ts.mu.Unlock()
	r.log.Info("tunnel built", "inbound", t.inbound, "hops", len(t.hops), "build_ms", time.Since(p.sent).Milliseconds())
}

// takeBuildReply checks whether m is the reply to one of our builds.
func (r *Router) takeBuildReply(m i2np.Message) bool {
	ts := r.tunnels
	ts.mu.Lock()
	p := ts.pending[m.ID]
	ts.mu.Unlock()
	if p == nil {
		return false
	}
	var recs []i2np.ShortBuildRecord
	switch m.Type {
	case i2np.ShortTunnelBuild:
		stb, err := i2np.ParseShortTunnelBuildMessage(m.Payload)
		if err != nil {
			return true
		}
		recs = stb.Records
	case i2np.OutboundTunnelBuildReply:
		otb, err := i2np.ParseOutboundTunnelBuildReplyMessage(m.Payload)
		if err != nil {
			return true
		}
		recs = otb.Records
	default:
		return false
	}
	r.finishBuild(p, recs)
	return true
}

// openBuildReplyGarlic opens a Garlic message sealed with the garlic reply
// tag of one of our outbound builds; false if it is not one.
func (r *Router) openBuildReplyGarlic(from data.Hash, gm []byte) bool {
	if len(gm) < 8 {
		return false
	}
	var tag [8]byte
	copy(tag[:], gm[:8])
	ts := r.tunnels
	ts.mu.Lock()
	p := ts.tags[tag]
	ts.mu.Unlock()
	if p == nil {
		return false
	}
	_, payload, err := garlic.OpenWithTag(p.req.GarlicKey, gm)
	if err != nil {
		return false
	}
	blocks, err := garlic.ParseBlocks(payload)
	if err != nil {
		return true
	}
	for _, b := range blocks {
		if b.Type != garlic.BlockGarlicClove {
			continue
		}
		if c, err := garlic.ParseClove(b.Data); err == nil && c.Delivery == garlic.DeliveryLocal {
			r.dispatch(from, c.Msg, 1)
		}
	}
	return true
}

// handleInboundData is TunnelData arriving at the endpoint of one of our
// inbound tunnels: remove every layer, reassemble, handle locally.
func (r *Router) handleInboundData(t *ownTunnel, b *[1024]byte) {
	t.mu.Lock()
	tunnel.DecryptLayers(t.ciphers, b)
	msgs, err := t.endpoint.Receive(nil, b, time.Now())
	t.mu.Unlock()
	if err != nil {
		r.transit.dropped.Add(1)
		return
	}
	for _, d := range msgs {
		if d.Delivery.Type == tunnel.DeliveryLocal {
			r.dispatch(t.gateway(), d.Message, 1)
		}
	}
}

// inboundTunnel returns our inbound tunnel with receive ID id, or nil.
func (r *Router) inboundTunnel(id data.TunnelID) *ownTunnel {
	ts := r.tunnels
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.inbound[id]
}

// testTunnels sends a DeliveryStatus out through each untested outbound
// tunnel and back through an inbound one; the tunnel pair passes when it
// arrives (tunnels-implementation.html, "Tunnel Testing").
func (r *Router) testTunnels(now time.Time) {
	ts := r.tunnels
	in := ts.pickInbound(now)
	if in == nil {
		return
	}
	ts.mu.Lock()
	outs := slices.Clone(ts.outbound)
	ts.mu.Unlock()
	for _, out := range outs {
		if out.tested.Load() || now.Sub(out.built) > tunnelLifetime-time.Minute {
			continue
		}
		id := randomMessageID()
		st, _ := i2np.NewMessage(id, now.Add(30*time.Second), i2np.DeliveryStatusMessage{ID: id, Time: now})
		ts.mu.Lock()
		ts.tests[id] = out
		ts.mu.Unlock()
		r.sendThroughTunnel(out, tunnel.DeliveryInstructions{Type: tunnel.DeliveryTunnel, To: in.gateway(), TunnelID: in.gwID}, st)
	}
}

// takeTunnelTest checks whether a DeliveryStatus answers a tunnel test.
func (r *Router) takeTunnelTest(m i2np.Message) bool {
	st, err := i2np.ParseDeliveryStatusMessage(m.Payload)
	if err != nil {
		return false
	}
	ts := r.tunnels
	ts.mu.Lock()
	t := ts.tests[st.ID]
	delete(ts.tests, st.ID)
	ts.mu.Unlock()
	if t == nil {
		return false
	}
	t.tested.Store(true)
	r.log.Debug("tunnel test passed", "rtt_ms", time.Since(st.Time).Milliseconds())
	return true
}

// maintainTunnels keeps the exploratory pool full until ctx is done.
func (r *Router) maintainTunnels(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			r.tunnelRound(now)
		}
	}
}

func (r *Router) tunnelRound(now time.Time) {
	ts := r.tunnels
	ts.mu.Lock()
	// Expire builds without a reply, and old tunnels.
	for id, p := range ts.pending {
		if now.Sub(p.sent) > buildTimeout {
			delete(ts.pending, id)
			delete(ts.tags, p.req.GarlicTag)
			ts.failed.Add(1)
			r.log.Debug("tunnel build timed out", "inbound", p.tun.inbound, "via", p.via, "hops", fmt.Sprint(p.tun.hops))
			for _, h := range p.tun.hops {
				r.profiles.RecordTunnelBuild(h, profile.BuildTimedOut)
			}
		}
	}
	for id, t := range ts.inbound {
		if now.Sub(t.built) > tunnelLifetime {
			delete(ts.inbound, id)
		}
	}
	ts.outbound = slices.DeleteFunc(ts.outbound, func(t *ownTunnel) bool { return now.Sub(t.built) > tunnelLifetime })
	for id, t := range ts.tests {
		if now.Sub(t.built) > tunnelLifetime {
			delete(ts.tests, id)
		}
	}
	// Count what is live and not due for replacement, plus builds in
	// flight, per direction.
	need := map[bool]int{true: poolQuantity, false: poolQuantity}
	for _, t := range ts.inbound {
		if now.Sub(t.built) < tunnelRebuildAt {
			need[true]--
		}
	}
	for _, t := range ts.outbound {
		if now.Sub(t.built) < tunnelRebuildAt {
			need[false]--
		}
	}
	for _, p := range ts.pending {
		need[p.tun.inbound]--
	}
	ts.mu.Unlock()
	for _, inbound := range []bool{true, false} {
		for i := 0; i < need[inbound]; i++ {
			if err := r.buildTunnel(inbound); err != nil {
				if !errors.Is(err, context.Canceled) {
					r.log.Debug("tunnel build not sent", "inbound", inbound, "err", err)
				}
				break
			}
		}
	}
	r.testTunnels(now)
}

// TunnelInfo describes one tunnel for the console and
// GET /api/router/tunnels.
type TunnelInfo struct {
	Direction string   `json:"direction"` // inbound, outbound, transit
	Pool      string   `json:"pool"`      // exploratory, or the transit role
	Hops      []string `json:"hops"`      // router hashes in tunnel order (ours only)
	AgeS      int64    `json:"age_s"`
	Bytes     uint64   `json:"bytes"`
	State     string   `json:"state"` // established, tested, expiring
}

// Tunnels lists our tunnels and the transit tunnels.
func (r *Router) Tunnels() []TunnelInfo {
	now := time.Now()
	var out []TunnelInfo
	own := func(t *ownTunnel, dir string) {
		ti := TunnelInfo{Direction: dir, Pool: "exploratory", AgeS: int64(now.Sub(t.built).Seconds()), State: "established"}
		for _, h := range t.hops {
			ti.Hops = append(ti.Hops, h.String())
		}
		if t.tested.Load() {
			ti.State = "tested"
		}
		if now.Sub(t.built) > tunnelRebuildAt {
			ti.State = "expiring"
		}
		out = append(out, ti)
	}
	ts := r.tunnels
	ts.mu.Lock()
	for _, t := range ts.inbound {
		own(t, "inbound")
	}
	for _, t := range ts.outbound {
		own(t, "outbound")
	}
	ts.mu.Unlock()
	roles := [...]string{"participant", "inbound gateway", "outbound endpoint"}
	r.transit.mu.Lock()
	for _, tt := range r.transit.tunnels {
		out = append(out, TunnelInfo{Direction: "transit", Pool: roles[tt.role], AgeS: int64(now.Sub(tt.expires.Add(-transitLifetime)).Seconds()), Bytes: tt.bytes.Load(), State: "established"})
	}
	r.transit.mu.Unlock()
	slices.SortFunc(out, func(a, b TunnelInfo) int {
		if a.Direction != b.Direction {
			return strings.Compare(a.Direction, b.Direction)
		}
		return int(a.AgeS - b.AgeS)
	})
	return out
}
