package router

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/tunnel"
	"github.com/i2pgo/i2pgo/router/tunnel/build"
)

// Transit tunnels: other routers' tunnels that pass through us
// (tunnel-creation-ecies.rst, tunnels-implementation.html). We answer
// ShortTunnelBuild requests, then carry the tunnel's messages as a
// participant, inbound gateway or outbound endpoint for 10 minutes.

const (
	transitLifetime = 10 * time.Minute
	// maxTransit caps the participating tunnels (i2pd's default is 5000;
	// Java scales with bandwidth).
	maxTransit = 2500
)

type transitRole uint8

const (
	roleParticipant transitRole = iota
	roleGateway                 // inbound gateway: TunnelGateway in, TunnelData out
	roleEndpoint                // outbound endpoint: TunnelData in, messages out
)

// transitTunnel is one participating tunnel, keyed by its receive ID.
type transitTunnel struct {
	role    transitRole
	next    data.Hash
	nextID  data.TunnelID
	expires time.Time
	bytes   atomic.Uint64

	mu       sync.Mutex // guards cipher, gateway, endpoint
	cipher   *tunnel.Cipher
	gateway  *tunnel.Gateway
	endpoint *tunnel.Endpoint
}

// transit is the table of participating tunnels.
type transit struct {
	mu      sync.Mutex
	tunnels map[data.TunnelID]*transitTunnel
	ivs     *tunnel.IVFilter
	// seenKeys holds the ephemeral keys of the build records we decrypted
	// in the last 20 minutes (a request is valid for at most 10 minutes
	// around its request time), so a replayed record is dropped.
	seenKeys map[[32]byte]time.Time

	accepted, rejected, dropped atomic.Uint64
}

func newTransit() *transit {
	return &transit{tunnels: make(map[data.TunnelID]*transitTunnel), ivs: tunnel.NewIVFilter(tunnel.IVFilterConfig{}), seenKeys: make(map[[32]byte]time.Time)}
}

func (t *transit) get(id data.TunnelID) *transitTunnel {
	t.mu.Lock()
	defer t.mu.Unlock()
	tt := t.tunnels[id]
	if tt != nil && time.Now().After(tt.expires) {
		delete(t.tunnels, id)
		return nil
	}
	return tt
}

func (t *transit) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.tunnels)
}

// replayed records k and reports whether it was seen before. Bounded: at
// most maxSeenKeys are kept; when full, new records are refused.
func (t *transit) replayed(k [32]byte, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.seenKeys[k]; ok {
		return true
	}
	if len(t.seenKeys) >= maxSeenKeys {
		return true
	}
	t.seenKeys[k] = now
	return false
}

const maxSeenKeys = 200000

func (t *transit) expire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, at := range t.seenKeys {
		if now.Sub(at) > 20*time.Minute {
			delete(t.seenKeys, k)
		}
	}
	for id, tt := range t.tunnels {
		if now.After(tt.expires) {
			delete(t.tunnels, id)
		}
	}
}

// add registers tt under id unless the ID is taken or the table is full.
func (t *transit) add(id data.TunnelID, tt *transitTunnel) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, taken := t.tunnels[id]; taken || len(t.tunnels) >= maxTransit {
		return false
	}
	t.tunnels[id] = tt
	return true
}

func randomMessageID() i2np.MessageID {
	var b [4]byte
	rand.Read(b[:])
	return i2np.MessageID(binary.BigEndian.Uint32(b[:]))
}

// hopRequest is what a build request record asks of us, in either
// format, once decrypted.
type hopRequest struct {
	receive, next   data.TunnelID
	nextIdent       data.Hash
	nextMsgID       i2np.MessageID
	flags           i2np.HopFlags
	requestTime     time.Time
	layerKey, ivKey [32]byte
}

// admit checks a decrypted request against our limits and, when it is
// accepted, registers the transit tunnel. It returns the reply code, or
// ok false when the request must be dropped without a reply (too old, or
// in the future).
func (r *Router) admit(from data.Hash, q hopRequest) (reply i2np.BuildReply, role transitRole, ok bool) {
	now := time.Now()
	if d := now.Sub(q.requestTime); d > 5*time.Minute || d < -5*time.Minute {
		r.transit.dropped.Add(1)
		r.log.Info("tunnel build request too old or in the future", "peer", from, "request_time", q.requestTime)
		return 0, 0, false
	}
	role = roleParticipant
	switch {
	case q.flags&i2np.HopGateway != 0:
		role = roleGateway
	case q.flags&i2np.HopEndpoint != 0:
		role = roleEndpoint
	}
	reply = i2np.ReplyAccept
	tt := &transitTunnel{role: role, next: q.nextIdent, nextID: q.next, expires: now.Add(transitLifetime),
		cipher: tunnel.NewCipher(tunnel.LayerKeys{Layer: q.layerKey, IV: q.ivKey})}
	switch role {
	case roleGateway:
		tt.gateway = tunnel.NewGateway(tunnel.GatewayConfig{})
	case roleEndpoint:
		tt.endpoint = tunnel.NewEndpoint(tunnel.EndpointConfig{})
	}
	// Refuse when our traffic is over 80 % of router.bandwidth (the share
	// of bandwidth transit may use), the table is full, or the request
	// makes us our own next hop.
	in, out := r.bw.rates()
	limit := int64(r.cfg.Bandwidth) * 1024 * 8 / 10
	if q.nextIdent == r.hash || max(in, out) > limit || !r.transit.add(q.receive, tt) {
		reply = i2np.ReplyRejectBandwidth
	}
	if reply == i2np.ReplyAccept {
		r.transit.accepted.Add(1)
	} else {
		r.transit.rejected.Add(1)
	}
	return reply, role, true
}

// handleShortTunnelBuild answers a ShortTunnelBuild whose record for us
// we can find: accept (or reject when full), encrypt our reply into the
// message, and pass it on: to the next hop, or, as the outbound endpoint,
// back to the creator through its reply tunnel.
func (r *Router) handleShortTunnelBuild(from data.Hash, m i2np.Message) {
	stb, err := i2np.ParseShortTunnelBuildMessage(m.Payload)
	if err != nil {
		r.malformed.Add(1)
		return
	}
	i := build.FindShortRecord(stb.Records, r.hash)
	if i < 0 {
		r.transit.dropped.Add(1)
		return
	}
	if r.transit.replayed(stb.Records[i].EphemeralKey(), time.Now()) {
		r.transit.dropped.Add(1)
		r.log.Info("replayed tunnel build record dropped", "peer", from)
		return
	}
	req, st, err := r.hopKey.DecryptShortRecord(stb.Records[i])
	if err != nil {
		r.transit.dropped.Add(1)
		r.log.Info("tunnel build record refused", "peer", from, "err", err)
		return
	}
	reply, role, ok := r.admit(from, hopRequest{receive: req.ReceiveTunnel, next: req.NextTunnel, nextIdent: req.NextIdent,
		nextMsgID: req.NextMessageID, flags: req.Flags, requestTime: req.RequestTime, layerKey: st.LayerKey, ivKey: st.IVKey})
	if !ok {
		return
	}
	if err := st.EncryptReply(i2np.ShortBuildResponse{Reply: reply}, stb.Records, i); err != nil {
		r.transit.dropped.Add(1)
		return
	}
	exp := time.Now().Add(60 * time.Second)
	if role == roleEndpoint {
		// The reply goes to the creator through its inbound tunnel
		// (next ident, next tunnel), sealed with the garlic reply key.
		otbr, err := i2np.NewMessage(req.NextMessageID, exp, i2np.OutboundTunnelBuildReplyMessage{Records: stb.Records})
		if err != nil {
			return
		}
		p, err := garlic.WrapReply(st.GarlicKey, st.GarlicTag, otbr)
		if err != nil {
			return
		}
		g := i2np.Message{Type: i2np.Garlic, ID: randomMessageID(), Expiration: exp, Payload: p}
		r.sendToTunnel(req.NextIdent, req.NextTunnel, g)
		return
	}
	fwd, err := i2np.NewMessage(req.NextMessageID, exp, stb)
	if err != nil {
		return
	}
	r.sendLookingUp(req.NextIdent, fwd, "tunnel build")
}

// handleVariableTunnelBuild answers a VariableTunnelBuild with long ECIES
// records (tunnel-creation-ecies.rst, "Long Records"), as
// handleShortTunnelBuild does: the layer and IV keys come in the record,
// and an outbound endpoint sends a VariableTunnelBuildReply to the reply
// tunnel as it is, without garlic.
func (r *Router) handleVariableTunnelBuild(from data.Hash, m i2np.Message) {
	vtb, err := i2np.ParseVariableTunnelBuildMessage(m.Payload)
	if err != nil {
		r.malformed.Add(1)
		return
	}
	i := build.FindRecord(vtb.Records, r.hash)
	if i < 0 {
		r.transit.dropped.Add(1)
		return
	}
	if r.transit.replayed(vtb.Records[i].EphemeralKey(), time.Now()) {
		r.transit.dropped.Add(1)
		r.log.Info("replayed tunnel build record dropped", "peer", from)
		return
	}
	req, st, err := r.hopKey.DecryptRecord(vtb.Records[i])
	if err != nil {
		r.transit.dropped.Add(1)
		r.log.Info("tunnel build record refused", "peer", from, "err", err)
		return
	}
	reply, role, ok := r.admit(from, hopRequest{receive: req.ReceiveTunnel, next: req.NextTunnel, nextIdent: req.NextIdent,
		nextMsgID: req.NextMessageID, flags: req.Flags, requestTime: req.RequestTime, layerKey: req.LayerKey, ivKey: req.IVKey})
	if !ok {
		return
	}
	if err := st.EncryptReply(i2np.BuildResponse{Reply: reply}, vtb.Records, i); err != nil {
		r.transit.dropped.Add(1)
		return
	}
	exp := time.Now().Add(60 * time.Second)
	if role == roleEndpoint {
		vtbr, err := i2np.NewMessage(req.NextMessageID, exp, i2np.VariableTunnelBuildReplyMessage{Records: vtb.Records})
		if err == nil {
			r.sendToTunnel(req.NextIdent, req.NextTunnel, vtbr)
		}
		return
	}
	fwd, err := i2np.NewMessage(req.NextMessageID, exp, vtb)
	if err != nil {
		return
	}
	r.sendLookingUp(req.NextIdent, fwd, "tunnel build")
}

// sendToTunnel sends m to tunnel id at gateway gw (a TunnelGateway
// message).
func (r *Router) sendToTunnel(gw data.Hash, id data.TunnelID, m i2np.Message) {
	out, err := i2np.NewMessage(randomMessageID(), m.Expiration, i2np.TunnelGatewayMessage{TunnelID: id, Message: m})
	if err != nil {
		return
	}
	if gw == r.hash {
		r.handleTunnelGateway(r.hash, out, 1)
		return
	}
	r.sendLookingUp(gw, out, "message to a tunnel gateway")
}

// handleTunnelData carries a TunnelData message of a participating
// tunnel: add our layer and pass it on, or, at an outbound endpoint,
// reassemble and deliver.
func (r *Router) handleTunnelData(from data.Hash, m i2np.Message) {
	td, err := i2np.ParseTunnelDataMessage(m.Payload)
	if err != nil {
		r.malformed.Add(1)
		return
	}
	if r.pools.HandleTunnelData(td.TunnelID, &td.Data) {
		return
	}
	tt := r.transit.get(td.TunnelID)
	if tt == nil || tt.role == roleGateway {
		r.transit.dropped.Add(1)
		return
	}
	now := time.Now()
	if r.transit.ivs.Seen(&td.Data, now) {
		r.transit.dropped.Add(1)
		return
	}
	tt.bytes.Add(uint64(len(td.Data)))
	tt.mu.Lock()
	tt.cipher.EncryptLayer(&td.Data)
	if tt.role == roleParticipant {
		tt.mu.Unlock()
		out, err := i2np.NewMessage(randomMessageID(), now.Add(60*time.Second), i2np.TunnelDataMessage{TunnelID: tt.nextID, Data: td.Data})
		if err == nil {
			(*sender)(r).Send(tt.next, out)
		}
		return
	}
	msgs, err := tt.endpoint.Receive(nil, &td.Data, now)
	tt.mu.Unlock()
	if err != nil {
		r.transit.dropped.Add(1)
		return
	}
	for _, d := range msgs {
		switch d.Delivery.Type {
		case tunnel.DeliveryRouter:
			if d.Delivery.To == r.hash {
				r.dispatch(from, d.Message, 1)
			} else {
				(*sender)(r).Send(d.Delivery.To, d.Message)
			}
		case tunnel.DeliveryTunnel:
			r.sendToTunnel(d.Delivery.To, d.Delivery.TunnelID, d.Message)
		default:
			r.transit.dropped.Add(1) // local delivery at an OBEP is not defined
		}
	}
}

// handleTunnelGateway takes a message for the inbound tunnel we are the
// gateway of, and sends it down the tunnel.
func (r *Router) handleTunnelGateway(from data.Hash, m i2np.Message, depth int) {
	tg, err := i2np.ParseTunnelGatewayMessage(m.Payload)
	if err != nil {
		r.malformed.Add(1)
		return
	}
	if tg.TunnelID == r.pools.ZeroHopID() {
		// Our zero-hop inbound tunnel: the message is for us.
		if depth < 2 {
			r.dispatch(from, tg.Message, depth+1)
		}
		return
	}
	tt := r.transit.get(tg.TunnelID)
	if tt == nil || tt.role != roleGateway {
		r.transit.dropped.Add(1)
		return
	}
	tt.mu.Lock()
	bodies, err := tt.gateway.Put(nil, tunnel.DeliveryInstructions{Type: tunnel.DeliveryLocal}, tg.Message)
	if err == nil {
		bodies, err = tt.gateway.Flush(bodies)
	}
	for i := range bodies {
		tt.cipher.EncryptLayer(&bodies[i])
	}
	tt.mu.Unlock()
	if err != nil {
		r.transit.dropped.Add(1)
		return
	}
	exp := time.Now().Add(60 * time.Second)
	for i := range bodies {
		tt.bytes.Add(uint64(len(bodies[i])))
		out, err := i2np.NewMessage(randomMessageID(), exp, i2np.TunnelDataMessage{TunnelID: tt.nextID, Data: bodies[i]})
		if err == nil {
			(*sender)(r).Send(tt.next, out)
		}
	}
}

func randomTunnelID() data.TunnelID {
	for {
		if id := data.TunnelID(randomMessageID()); id != 0 {
			return id
		}
	}
}
