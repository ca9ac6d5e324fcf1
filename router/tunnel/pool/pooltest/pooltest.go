// Package pooltest is an in-memory I2P network for tests of the tunnel
// pools and of what runs over them (router/client, streaming on top).
//
// A Network holds N simulated transit routers (hops) and any number of
// Routers, each the home of one *pool.Manager ("us") with its own router
// hash. The hops are real enough for tunnels to be built and used with
// the production code paths: each has an X25519 key and a signed
// RouterInfo (router.version 0.9.57 by default, caps XR), answers
// ShortTunnelBuild and VariableTunnelBuild records (tunnel-creation-ecies
// .rst), and then acts as participant, inbound gateway or outbound
// endpoint, with the layered encryption, fragmentation and delivery
// instructions of router/tunnel. A message sent out of one Router's
// outbound tunnel to another Router's inbound tunnel therefore travels
// OBEP → the other's inbound gateway → its participants → its inbound
// endpoint, where its Manager removes the layers.
//
// # Delivery
//
// Every message sent (by a Router's Manager or by a hop) goes into one
// FIFO queue, bounded by Config.Queue: a message that finds it full is
// dropped and counted, as a congested link would. Nothing is delivered
// during Send, so no call ever recurses into a Manager while it sends.
// The queue is drained in one of two ways:
//
//   - synchronously, by Flush on the test goroutine, while Start has not
//     been called: deterministic, for tests that drive Manager.Round and
//     a manual Clock themselves;
//   - by the delivery goroutine that Start runs, for concurrent users
//     (streaming's goroutines and timers). Flush then waits until the
//     queue is empty and the goroutine idle. The goroutine is owned by
//     the Network and stopped by Close, which Start registers with
//     t.Cleanup.
//
// A Fault hook (SetFault) may drop or delay each message, for loss
// tests. Delayed messages go back into the queue from a timer
// (time.AfterFunc, so they follow a testing/synctest bubble's clock).
//
// Errors in the network's own work (a build record that does not
// decrypt, a reply that cannot be sealed) are reported with t.Errorf,
// which is safe from the delivery goroutine; nothing here calls
// t.Fatal off the test goroutine. Messages a Router's Manager does not
// take (TunnelData for an expired tunnel, a late build reply) are only
// counted, in Stats.
package pooltest

import (
	"crypto/ecdh"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/tunnel"
	"github.com/i2pgo/i2pgo/router/tunnel/build"
	"github.com/i2pgo/i2pgo/router/tunnel/pool"
)

// Config shapes a Network. The zero value of each field means its
// default.
type Config struct {
	// Hops is the number of transit routers (default 8).
	Hops int
	// Version is the router.version they publish (default 0.9.57, which
	// takes short build records; below 0.9.51 builds use long ones).
	Version string
	// Queue bounds the messages waiting for delivery (default 16384).
	Queue int
	// Now is the clock of the hops and, when their ManagerConfig leaves
	// Now nil, of the Routers' Managers (default time.Now, which is the
	// bubble's clock under testing/synctest).
	Now func() time.Time
}

// Fault decides the fate of one message from router from to router to:
// drop it, or deliver it after delay (0: in turn). It is called on the
// goroutine that sends, with no lock held, and must be safe for
// concurrent use.
type Fault func(from, to data.Hash, m i2np.Message) (drop bool, delay time.Duration)

// Stats counts the network's messages.
type Stats struct {
	Sent      uint64 // accepted into the queue
	Delivered uint64 // handed to a hop or a Router
	Faulted   uint64 // dropped by the Fault hook
	Overflow  uint64 // dropped because the queue was full
	Delayed   uint64 // delayed by the Fault hook
	// Unhandled are messages to a Router that its Manager did not take,
	// and messages to a hop for a tunnel it does not know.
	Unhandled uint64
}

// Network is the simulated network. Its methods are safe for concurrent
// use, except where noted.
type Network struct {
	t   testing.TB
	cfg Config
	now func() time.Time

	hops  map[data.Hash]*Hop // never changed after New
	fault atomic.Pointer[Fault]

	mu      sync.Mutex
	cond    *sync.Cond // signalled when the network may have become idle, or closed
	order   []*Hop     // SelectHops rotates it
	routers map[data.Hash]*Router
	queue   []envelope
	busy    bool // the delivery goroutine is handling a message
	delayed int  // messages waiting in a Fault delay
	started bool
	closed  bool

	wake chan struct{} // capacity 1; never closed
	done chan struct{} // closed by Close
	wg   sync.WaitGroup

	sent, delivered, faulted, overflow, delayedN, unhandled atomic.Uint64
}

type envelope struct {
	from, to data.Hash
	m        i2np.Message
}

// New makes a network of cfg.Hops transit routers. It starts nothing;
// call Start for concurrent use, or Flush to deliver synchronously. Call
// it from the test goroutine (it calls t.Fatal).
func New(t testing.TB, cfg Config) *Network {
	t.Helper()
	if cfg.Hops <= 0 {
		cfg.Hops = 8
	}
	if cfg.Version == "" {
		cfg.Version = "0.9.57"
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 16384
	}
	n := &Network{t: t, cfg: cfg, now: cfg.Now, hops: make(map[data.Hash]*Hop), routers: make(map[data.Hash]*Router),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if n.now == nil {
		n.now = time.Now
	}
	n.cond = sync.NewCond(&n.mu)
	for range cfg.Hops {
		h, err := newHop(cfg.Version, n.now())
		if err != nil {
			t.Fatalf("pooltest: %v", err)
		}
		n.hops[h.hash] = h
		n.order = append(n.order, h)
	}
	return n
}

// Now is the network's clock.
func (n *Network) Now() time.Time { return n.now() }

// Hops returns the transit routers, in the order New made them.
func (n *Network) Hops() []*Hop {
	out := make([]*Hop, 0, len(n.hops))
	for _, h := range n.hops {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b *Hop) int { return a.index - b.index })
	return out
}

// Hop returns the transit router h, or nil.
func (n *Network) Hop(h data.Hash) *Hop { return n.hops[h] }

// SetFault sets (or, with nil, clears) the fault hook.
func (n *Network) SetFault(f Fault) {
	if f == nil {
		n.fault.Store(nil)
		return
	}
	n.fault.Store(&f)
}

// Stats returns the counts so far.
func (n *Network) Stats() Stats {
	return Stats{Sent: n.sent.Load(), Delivered: n.delivered.Load(), Faulted: n.faulted.Load(),
		Overflow: n.overflow.Load(), Delayed: n.delayedN.Load(), Unhandled: n.unhandled.Load()}
}

// SelectHops returns k distinct transit routers, rotating through them
// so that successive tunnels differ. It is every Router's
// pool.PeerSelector.
func (n *Network) SelectHops(k int) ([]*data.RouterInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if k > len(n.order) {
		return nil, fmt.Errorf("pooltest: %d hops, need %d", len(n.order), k)
	}
	out := make([]*data.RouterInfo, 0, k)
	for i := range k {
		out = append(out, n.order[i].ri)
	}
	n.order = append(n.order[1:], n.order[0])
	return out, nil
}

// send queues m from from to to. It never blocks and never delivers.
func (n *Network) send(from, to data.Hash, m i2np.Message) error {
	n.mu.Lock()
	_, isRouter := n.routers[to]
	closed := n.closed
	n.mu.Unlock()
	if !isRouter && n.hops[to] == nil {
		return fmt.Errorf("pooltest: no route to %s", to)
	}
	if closed {
		return nil // lost with the network
	}
	if fp := n.fault.Load(); fp != nil {
		drop, delay := (*fp)(from, to, m)
		if drop {
			n.faulted.Add(1)
			return nil
		}
		if delay > 0 {
			n.delayedN.Add(1)
			n.mu.Lock()
			n.delayed++
			n.mu.Unlock()
			time.AfterFunc(delay, func() {
				n.mu.Lock()
				n.delayed--
				n.mu.Unlock()
				n.enqueue(envelope{from, to, m})
			})
			return nil
		}
	}
	n.enqueue(envelope{from, to, m})
	return nil
}

func (n *Network) enqueue(e envelope) {
	n.mu.Lock()
	switch {
	case n.closed:
	case len(n.queue) >= n.cfg.Queue:
		n.overflow.Add(1)
	default:
		n.queue = append(n.queue, e)
		n.sent.Add(1)
	}
	n.cond.Broadcast() // a delayed message may have been the last thing Flush waited for
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// pop takes the next message; ok is false when the queue is empty.
func (n *Network) pop() (envelope, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 || n.closed {
		return envelope{}, false
	}
	e := n.queue[0]
	n.queue[0] = envelope{}
	n.queue = n.queue[1:]
	if len(n.queue) == 0 {
		n.queue = nil // let the backing array go
	}
	n.busy = true
	return e, true
}

func (n *Network) handled() {
	n.mu.Lock()
	n.busy = false
	n.cond.Broadcast()
	n.mu.Unlock()
}

// Start runs the delivery goroutine until Close, which it registers with
// t.Cleanup. Call it at most once, from the test goroutine.
func (n *Network) Start() {
	n.mu.Lock()
	if n.started || n.closed {
		n.mu.Unlock()
		return
	}
	n.started = true
	n.mu.Unlock()
	n.wg.Add(1)
	go n.run()
	n.t.Cleanup(n.Close)
}

func (n *Network) run() {
	defer n.wg.Done()
	for {
		for {
			e, ok := n.pop()
			if !ok {
				break
			}
			n.deliver(e)
			n.handled()
		}
		select {
		case <-n.done:
			return
		case <-n.wake:
		}
	}
}

// Close stops the delivery goroutine and waits for it; later messages are
// lost. It is idempotent.
func (n *Network) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	n.queue = nil
	n.cond.Broadcast()
	n.mu.Unlock()
	close(n.done)
	n.wg.Wait()
}

// Flush delivers every queued message, and what their delivery sends in
// turn, until the network is idle. Before Start it does the work itself,
// on the caller's goroutine (at most a million messages: more is
// reported as a message storm); after Start it waits for the delivery
// goroutine to be idle with nothing queued or delayed.
func (n *Network) Flush() {
	n.mu.Lock()
	started := n.started
	n.mu.Unlock()
	if !started {
		for i := 0; ; i++ {
			if i > 1_000_000 {
				n.t.Errorf("pooltest: message storm")
				return
			}
			e, ok := n.pop()
			if !ok {
				return
			}
			n.deliver(e)
			n.handled()
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for !n.closed && (len(n.queue) > 0 || n.busy || n.delayed > 0) {
		n.cond.Wait()
	}
}

func (n *Network) deliver(e envelope) {
	n.delivered.Add(1)
	if h := n.hops[e.to]; h != nil {
		h.handle(n, e.m)
		return
	}
	n.mu.Lock()
	r := n.routers[e.to]
	n.mu.Unlock()
	if r != nil && !r.dispatch(e.m) {
		n.unhandled.Add(1)
	}
}

// toTunnel sends m from hop from to tunnel id at gateway gw.
func (n *Network) toTunnel(from, gw data.Hash, id data.TunnelID, m i2np.Message) {
	out, err := i2np.NewMessage(randomMessageID(), m.Expiration, i2np.TunnelGatewayMessage{TunnelID: id, Message: m})
	if err != nil {
		n.t.Errorf("pooltest: TunnelGateway: %v", err)
		return
	}
	n.send(from, gw, out)
}

// NewRouter adds a router with a new random hash and its pool.Manager.
// cfg.Us is set to that hash; cfg.Now, if nil, to the network's clock.
// deps.Selector and deps.Sender are set to the network's; a nil
// deps.Deliver collects what the exploratory pool delivers (Delivered).
// Call it from the test goroutine (it calls t.Fatal).
func (n *Network) NewRouter(cfg pool.ManagerConfig, deps pool.Deps) *Router {
	n.t.Helper()
	r := &Router{n: n}
	crand.Read(r.hash[:])
	cfg.Us = r.hash
	if cfg.Now == nil {
		cfg.Now = n.now
	}
	deps.Selector, deps.Sender = n, r
	if deps.Deliver == nil {
		deps.Deliver = func(_ data.Hash, m i2np.Message) {
			r.mu.Lock()
			r.delivered = append(r.delivered, m)
			r.mu.Unlock()
		}
	}
	m, err := pool.NewManager(cfg, deps)
	if err != nil {
		n.t.Fatalf("pooltest: %v", err)
	}
	r.m = m
	n.mu.Lock()
	n.routers[r.hash] = r
	n.mu.Unlock()
	return r
}

// Rounds runs k rounds of upkeep on every given Router, flushing the
// network after each round and calling advance (if not nil) between
// rounds, to move a manual clock. Call it from the test goroutine.
func (n *Network) Rounds(k int, advance func(), rs ...*Router) {
	for range k {
		for _, r := range rs {
			r.m.Round()
		}
		n.Flush()
		if advance != nil {
			advance()
		}
	}
}

// Router is one router of the network with its pool.Manager. It is the
// Manager's pool.Sender.
type Router struct {
	n    *Network
	hash data.Hash
	m    *pool.Manager

	mu        sync.Mutex
	delivered []i2np.Message
}

// Hash is the router's hash.
func (r *Router) Hash() data.Hash { return r.hash }

// Manager is the router's pool manager.
func (r *Router) Manager() *pool.Manager { return r.m }

// Send puts m on the network, from r to the router to (a hop, another
// Router, or r itself).
func (r *Router) Send(to data.Hash, m i2np.Message) error { return r.n.send(r.hash, to, m) }

// Delivered returns what the exploratory pool's inbound tunnels
// delivered (when NewRouter was given no Deliver).
func (r *Router) Delivered() []i2np.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.delivered)
}

// dispatch is the router's dispatcher, reduced to what the pools need;
// false if the Manager did not take m.
func (r *Router) dispatch(m i2np.Message) bool {
	switch m.Type {
	case i2np.TunnelData:
		td, err := i2np.ParseTunnelDataMessage(m.Payload)
		return err == nil && r.m.HandleTunnelData(td.TunnelID, &td.Data)
	case i2np.TunnelGateway:
		tg, err := i2np.ParseTunnelGatewayMessage(m.Payload)
		if err != nil || tg.TunnelID != r.m.ZeroHopID() {
			return false
		}
		return r.dispatch(tg.Message)
	case i2np.Garlic:
		g, err := i2np.ParseGarlicMessage(m.Payload)
		return err == nil && r.m.OpenGarlicReply(g.Data)
	case i2np.DeliveryStatus:
		return r.m.HandleDeliveryStatus(m)
	}
	return r.m.HandleBuildReply(m)
}

// Hop is a simulated transit router.
type Hop struct {
	index int
	hash  data.Hash
	ri    *data.RouterInfo
	key   *build.HopKey

	reject, silent atomic.Bool

	mu      sync.Mutex // guards the fields below, and the use of the tunnels' state
	tunnels map[data.TunnelID]*transit
	builds  int
	long    int
}

type role int

const (
	participant role = iota
	inboundGateway
	outboundEndpoint
)

type transit struct {
	role     role
	next     data.Hash
	nextID   data.TunnelID
	cipher   *tunnel.Cipher
	gw       *tunnel.Gateway
	endpoint *tunnel.Endpoint
}

var hopCount atomic.Int64

func newHop(version string, now time.Time) (*Hop, error) {
	enc, err := ecdh.X25519().GenerateKey(crand.Reader)
	if err != nil {
		return nil, err
	}
	sig, err := crypto.GenerateEd25519(crand.Reader)
	if err != nil {
		return nil, err
	}
	id, err := data.NewRouterIdentity(crypto.SigEd25519, sig.Public(), data.CryptoX25519, enc.PublicKey().Bytes(), crand.Reader)
	if err != nil {
		return nil, err
	}
	opts, err := data.SortedMapping(map[string]string{"router.version": version, "caps": "XR", "netId": "2"})
	if err != nil {
		return nil, err
	}
	ri := &data.RouterInfo{Identity: id, Published: now, Options: opts}
	if err := ri.Sign(sig); err != nil {
		return nil, err
	}
	hk, err := build.NewHopKey([32]byte(enc.Bytes()), [32]byte(enc.PublicKey().Bytes()))
	if err != nil {
		return nil, err
	}
	return &Hop{index: int(hopCount.Add(1)), hash: ri.Hash(), ri: ri, key: hk, tunnels: make(map[data.TunnelID]*transit)}, nil
}

// Hash is the hop's router hash.
func (h *Hop) Hash() data.Hash { return h.hash }

// RouterInfo is the hop's signed RouterInfo.
func (h *Hop) RouterInfo() *data.RouterInfo { return h.ri }

// SetReject makes the hop refuse (true) or accept every build.
func (h *Hop) SetReject(v bool) { h.reject.Store(v) }

// SetSilent makes the hop never answer (true) or answer builds.
func (h *Hop) SetSilent(v bool) { h.silent.Store(v) }

// Builds returns the build records the hop decrypted, and how many of
// them were long (VariableTunnelBuild) ones.
func (h *Hop) Builds() (all, long int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.builds, h.long
}

// Transits is the number of tunnels the hop takes part in.
func (h *Hop) Transits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.tunnels)
}

func (h *Hop) handle(n *Network, m i2np.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := n.now()
	exp := now.Add(time.Minute)
	errorf := func(format string, args ...any) {
		n.t.Errorf("pooltest: hop %d: %s", h.index, fmt.Sprintf(format, args...))
	}
	switch m.Type {
	case i2np.ShortTunnelBuild:
		stb, err := i2np.ParseShortTunnelBuildMessage(m.Payload)
		if err != nil {
			errorf("ShortTunnelBuild: %v", err)
			return
		}
		i := build.FindShortRecord(stb.Records, h.hash)
		if i < 0 {
			errorf("ShortTunnelBuild without our record")
			return
		}
		req, st, err := h.key.DecryptShortRecord(stb.Records[i])
		if err != nil {
			errorf("short record: %v", err)
			return
		}
		h.builds++
		if h.silent.Load() {
			return
		}
		reply := h.admitLocked(req.ReceiveTunnel, req.NextIdent, req.NextTunnel, req.Flags, st.LayerKey, st.IVKey)
		if err := st.EncryptReply(i2np.ShortBuildResponse{Reply: reply}, stb.Records, i); err != nil {
			errorf("short reply: %v", err)
			return
		}
		if req.Flags&i2np.HopEndpoint != 0 {
			otbr, err := i2np.NewMessage(req.NextMessageID, exp, i2np.OutboundTunnelBuildReplyMessage{Records: stb.Records})
			if err != nil {
				errorf("OutboundTunnelBuildReply: %v", err)
				return
			}
			p, err := garlic.WrapReply(st.GarlicKey, st.GarlicTag, otbr)
			if err != nil {
				errorf("sealing the reply: %v", err)
				return
			}
			n.toTunnel(h.hash, req.NextIdent, req.NextTunnel, i2np.Message{Type: i2np.Garlic, ID: randomMessageID(), Expiration: exp, Payload: p})
			return
		}
		fwd, err := i2np.NewMessage(req.NextMessageID, exp, stb)
		if err != nil {
			errorf("forwarding the build: %v", err)
			return
		}
		n.send(h.hash, req.NextIdent, fwd)
	case i2np.VariableTunnelBuild:
		vtb, err := i2np.ParseVariableTunnelBuildMessage(m.Payload)
		if err != nil {
			errorf("VariableTunnelBuild: %v", err)
			return
		}
		i := build.FindRecord(vtb.Records, h.hash)
		if i < 0 {
			errorf("VariableTunnelBuild without our record")
			return
		}
		req, st, err := h.key.DecryptRecord(vtb.Records[i])
		if err != nil {
			errorf("long record: %v", err)
			return
		}
		h.builds++
		h.long++
		if h.silent.Load() {
			return
		}
		reply := h.admitLocked(req.ReceiveTunnel, req.NextIdent, req.NextTunnel, req.Flags, req.LayerKey, req.IVKey)
		if err := st.EncryptReply(i2np.BuildResponse{Reply: reply}, vtb.Records, i); err != nil {
			errorf("long reply: %v", err)
			return
		}
		if req.Flags&i2np.HopEndpoint != 0 {
			r, err := i2np.NewMessage(req.NextMessageID, exp, i2np.VariableTunnelBuildReplyMessage{Records: vtb.Records})
			if err != nil {
				errorf("VariableTunnelBuildReply: %v", err)
				return
			}
			n.toTunnel(h.hash, req.NextIdent, req.NextTunnel, r)
			return
		}
		fwd, err := i2np.NewMessage(req.NextMessageID, exp, vtb)
		if err != nil {
			errorf("forwarding the build: %v", err)
			return
		}
		n.send(h.hash, req.NextIdent, fwd)
	case i2np.TunnelGateway:
		tg, err := i2np.ParseTunnelGatewayMessage(m.Payload)
		if err != nil {
			n.unhandled.Add(1)
			return
		}
		tt := h.tunnels[tg.TunnelID]
		if tt == nil || tt.role != inboundGateway {
			n.unhandled.Add(1)
			return
		}
		bodies, err := tt.gw.Put(nil, tunnel.DeliveryInstructions{Type: tunnel.DeliveryLocal}, tg.Message)
		if err == nil {
			bodies, err = tt.gw.Flush(bodies)
		}
		if err != nil {
			errorf("inbound gateway: %v", err)
			return
		}
		for i := range bodies {
			tt.cipher.EncryptLayer(&bodies[i])
			out, err := i2np.NewMessage(randomMessageID(), exp, i2np.TunnelDataMessage{TunnelID: tt.nextID, Data: bodies[i]})
			if err != nil {
				errorf("TunnelData: %v", err)
				return
			}
			n.send(h.hash, tt.next, out)
		}
	case i2np.TunnelData:
		td, err := i2np.ParseTunnelDataMessage(m.Payload)
		if err != nil {
			n.unhandled.Add(1)
			return
		}
		tt := h.tunnels[td.TunnelID]
		if tt == nil || tt.role == inboundGateway {
			n.unhandled.Add(1)
			return
		}
		tt.cipher.EncryptLayer(&td.Data)
		if tt.role == participant {
			out, err := i2np.NewMessage(randomMessageID(), exp, i2np.TunnelDataMessage{TunnelID: tt.nextID, Data: td.Data})
			if err != nil {
				errorf("TunnelData: %v", err)
				return
			}
			n.send(h.hash, tt.next, out)
			return
		}
		msgs, err := tt.endpoint.Receive(nil, &td.Data, now)
		if err != nil {
			// Loss drops whole bodies, so a body or message that does
			// not parse means the sender's layers or fragments were
			// wrong. msgs still holds the good messages.
			errorf("outbound endpoint: %v", err)
		}
		for _, d := range msgs {
			switch d.Delivery.Type {
			case tunnel.DeliveryTunnel:
				n.toTunnel(h.hash, d.Delivery.To, d.Delivery.TunnelID, d.Message)
			case tunnel.DeliveryRouter:
				n.send(h.hash, d.Delivery.To, d.Message)
			default:
				n.unhandled.Add(1)
			}
		}
	default:
		n.unhandled.Add(1)
	}
}

func (h *Hop) admitLocked(recv data.TunnelID, next data.Hash, nextID data.TunnelID, flags i2np.HopFlags, layer, iv [32]byte) i2np.BuildReply {
	if h.reject.Load() {
		return i2np.ReplyRejectBandwidth
	}
	tt := &transit{next: next, nextID: nextID, cipher: tunnel.NewCipher(tunnel.LayerKeys{Layer: layer, IV: iv})}
	switch {
	case flags&i2np.HopGateway != 0:
		tt.role, tt.gw = inboundGateway, tunnel.NewGateway(tunnel.GatewayConfig{})
	case flags&i2np.HopEndpoint != 0:
		tt.role, tt.endpoint = outboundEndpoint, tunnel.NewEndpoint(tunnel.EndpointConfig{})
	}
	h.tunnels[recv] = tt
	return i2np.ReplyAccept
}

func randomMessageID() i2np.MessageID {
	var b [4]byte
	crand.Read(b[:])
	return i2np.MessageID(binary.BigEndian.Uint32(b[:]))
}

// Clock is a manual clock for tests that drive time themselves: pass
// its Now as Config.Now and as the Managers' and destinations' clocks.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
