package pool

import (
	"crypto/ecdh"
	crand "crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/profile"
	"github.com/i2pgo/i2pgo/router/tunnel"
	"github.com/i2pgo/i2pgo/router/tunnel/build"
)

// fakeNet is a network of simulated transit routers and one Manager
// ("us"). Messages are queued and delivered by pump, so no call recurses
// into the Manager while it sends.
type fakeNet struct {
	t     *testing.T
	us    data.Hash
	m     *Manager
	hops  map[data.Hash]*fakeHop
	order []*fakeHop
	queue []queued
	clock time.Time
	// drop, if set, loses the messages it returns true for.
	drop func(to data.Hash, m i2np.Message) bool
	// delivered collects what the client pools' Deliver functions got.
	delivered []i2np.Message
}

type queued struct {
	to data.Hash
	m  i2np.Message
}

type fakeHop struct {
	ri      *data.RouterInfo
	key     *build.HopKey
	reject  bool // answer every build with a rejection
	silent  bool // never answer
	tunnels map[data.TunnelID]*fakeTransit
	builds  int
	long    int // long build records seen
}

type fakeTransit struct {
	role     transitRoleT
	next     data.Hash
	nextID   data.TunnelID
	cipher   *tunnel.Cipher
	gw       *tunnel.Gateway
	endpoint *tunnel.Endpoint
}

type transitRoleT int

const (
	participant transitRoleT = iota
	ibgw
	obep
)

// newFakeNet makes n transit routers publishing version.
func newFakeNet(t *testing.T, n int, version string) *fakeNet {
	t.Helper()
	fn := &fakeNet{t: t, hops: make(map[data.Hash]*fakeHop), clock: time.Unix(1_800_000_000, 0)}
	fn.us[0], fn.us[1] = 0xee, 0xee
	for i := range n {
		fn.addHop(t, version, i)
	}
	return fn
}

func (fn *fakeNet) addHop(t *testing.T, version string, i int) *fakeHop {
	enc, err := ecdh.X25519().GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := crypto.GenerateEd25519(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := data.NewRouterIdentity(crypto.SigEd25519, sig.Public(), data.CryptoX25519, enc.PublicKey().Bytes(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := data.SortedMapping(map[string]string{"router.version": version, "caps": "XR", "netId": "7"})
	if err != nil {
		t.Fatal(err)
	}
	ri := &data.RouterInfo{Identity: id, Published: fn.clock, Options: opts}
	if err := ri.Sign(sig); err != nil {
		t.Fatal(err)
	}
	hk, err := build.NewHopKey([32]byte(enc.Bytes()), [32]byte(enc.PublicKey().Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHop{ri: ri, key: hk, tunnels: make(map[data.TunnelID]*fakeTransit)}
	fn.hops[ri.Hash()] = h
	fn.order = append(fn.order, h)
	_ = i
	return h
}

// SelectHops picks the first n hops that are not silent or rejecting
// first, rotating so that tunnels differ.
func (fn *fakeNet) SelectHops(n int) ([]*data.RouterInfo, error) {
	if n > len(fn.order) {
		return nil, fmt.Errorf("%d hops, need %d", len(fn.order), n)
	}
	out := make([]*data.RouterInfo, 0, n)
	for i := range n {
		out = append(out, fn.order[i].ri)
	}
	// rotate
	fn.order = append(fn.order[1:], fn.order[0])
	return out, nil
}

func (fn *fakeNet) Send(to data.Hash, m i2np.Message) error {
	if to != fn.us && fn.hops[to] == nil {
		return fmt.Errorf("no route to %s", to)
	}
	fn.queue = append(fn.queue, queued{to, m})
	return nil
}

func (fn *fakeNet) now() time.Time { return fn.clock }

// pump delivers queued messages until none are left (bounded).
func (fn *fakeNet) pump() {
	for i := 0; len(fn.queue) > 0; i++ {
		if i > 100000 {
			fn.t.Fatal("message storm")
		}
		q := fn.queue[0]
		fn.queue = fn.queue[1:]
		if fn.drop != nil && fn.drop(q.to, q.m) {
			continue
		}
		if q.to == fn.us {
			fn.toUs(q.m)
		} else {
			fn.hops[q.to].handle(fn, q.m)
		}
	}
}

// toUs is the router's dispatcher, reduced to what the pools need.
func (fn *fakeNet) toUs(m i2np.Message) {
	switch m.Type {
	case i2np.TunnelData:
		td, err := i2np.ParseTunnelDataMessage(m.Payload)
		if err != nil {
			fn.t.Fatal(err)
		}
		fn.m.HandleTunnelData(td.TunnelID, &td.Data)
	case i2np.TunnelGateway:
		tg, err := i2np.ParseTunnelGatewayMessage(m.Payload)
		if err != nil || tg.TunnelID != fn.m.ZeroHopID() {
			fn.t.Fatalf("TunnelGateway to us for %v: %v", tg.TunnelID, err)
		}
		fn.toUs(tg.Message)
	case i2np.Garlic:
		g, _ := i2np.ParseGarlicMessage(m.Payload)
		if !fn.m.OpenGarlicReply(g.Data) {
			fn.t.Fatal("garlic to us not opened")
		}
	case i2np.DeliveryStatus:
		fn.m.HandleDeliveryStatus(m)
	default:
		if !fn.m.HandleBuildReply(m) {
			fn.t.Fatalf("unexpected %v to us", m.Type)
		}
	}
}

func (h *fakeHop) handle(fn *fakeNet, m i2np.Message) {
	exp := fn.clock.Add(time.Minute)
	switch m.Type {
	case i2np.ShortTunnelBuild:
		stb, err := i2np.ParseShortTunnelBuildMessage(m.Payload)
		if err != nil {
			fn.t.Fatal(err)
		}
		i := build.FindShortRecord(stb.Records, h.ri.Hash())
		req, st, err := h.key.DecryptShortRecord(stb.Records[i])
		if err != nil {
			fn.t.Fatal(err)
		}
		h.builds++
		if h.silent {
			return
		}
		reply := h.admit(req.ReceiveTunnel, req.NextIdent, req.NextTunnel, req.Flags, st.LayerKey, st.IVKey)
		if err := st.EncryptReply(i2np.ShortBuildResponse{Reply: reply}, stb.Records, i); err != nil {
			fn.t.Fatal(err)
		}
		if req.Flags&i2np.HopEndpoint != 0 {
			otbr, _ := i2np.NewMessage(req.NextMessageID, exp, i2np.OutboundTunnelBuildReplyMessage{Records: stb.Records})
			p, err := garlic.WrapReply(st.GarlicKey, st.GarlicTag, otbr)
			if err != nil {
				fn.t.Fatal(err)
			}
			fn.toTunnel(req.NextIdent, req.NextTunnel, i2np.Message{Type: i2np.Garlic, ID: 7, Expiration: exp, Payload: p})
			return
		}
		fwd, _ := i2np.NewMessage(req.NextMessageID, exp, stb)
		fn.Send(req.NextIdent, fwd)
	case i2np.VariableTunnelBuild:
		vtb, err := i2np.ParseVariableTunnelBuildMessage(m.Payload)
		if err != nil {
			fn.t.Fatal(err)
		}
		i := build.FindRecord(vtb.Records, h.ri.Hash())
		req, st, err := h.key.DecryptRecord(vtb.Records[i])
		if err != nil {
			fn.t.Fatal(err)
		}
		h.builds++
		h.long++
		if h.silent {
			return
		}
		reply := h.admit(req.ReceiveTunnel, req.NextIdent, req.NextTunnel, req.Flags, req.LayerKey, req.IVKey)
		if err := st.EncryptReply(i2np.BuildResponse{Reply: reply}, vtb.Records, i); err != nil {
			fn.t.Fatal(err)
		}
		if req.Flags&i2np.HopEndpoint != 0 {
			r, _ := i2np.NewMessage(req.NextMessageID, exp, i2np.VariableTunnelBuildReplyMessage{Records: vtb.Records})
			fn.toTunnel(req.NextIdent, req.NextTunnel, r)
			return
		}
		fwd, _ := i2np.NewMessage(req.NextMessageID, exp, vtb)
		fn.Send(req.NextIdent, fwd)
	case i2np.TunnelGateway:
		tg, err := i2np.ParseTunnelGatewayMessage(m.Payload)
		if err != nil {
			fn.t.Fatal(err)
		}
		tt := h.tunnels[tg.TunnelID]
		if tt == nil || tt.role != ibgw {
			return
		}
		bodies, err := tt.gw.Put(nil, tunnel.DeliveryInstructions{Type: tunnel.DeliveryLocal}, tg.Message)
		if err == nil {
			bodies, err = tt.gw.Flush(bodies)
		}
		if err != nil {
			fn.t.Fatal(err)
		}
		for i := range bodies {
			tt.cipher.EncryptLayer(&bodies[i])
			out, _ := i2np.NewMessage(randomMessageID(), exp, i2np.TunnelDataMessage{TunnelID: tt.nextID, Data: bodies[i]})
			fn.Send(tt.next, out)
		}
	case i2np.TunnelData:
		td, err := i2np.ParseTunnelDataMessage(m.Payload)
		if err != nil {
			fn.t.Fatal(err)
		}
		tt := h.tunnels[td.TunnelID]
		if tt == nil || tt.role == ibgw {
			return
		}
		tt.cipher.EncryptLayer(&td.Data)
		if tt.role == participant {
			out, _ := i2np.NewMessage(randomMessageID(), exp, i2np.TunnelDataMessage{TunnelID: tt.nextID, Data: td.Data})
			fn.Send(tt.next, out)
			return
		}
		msgs, err := tt.endpoint.Receive(nil, &td.Data, fn.clock)
		if err != nil {
			fn.t.Fatal(err)
		}
		for _, d := range msgs {
			switch d.Delivery.Type {
			case tunnel.DeliveryTunnel:
				fn.toTunnel(d.Delivery.To, d.Delivery.TunnelID, d.Message)
			case tunnel.DeliveryRouter:
				fn.Send(d.Delivery.To, d.Message)
			}
		}
	}
}

func (h *fakeHop) admit(recv data.TunnelID, next data.Hash, nextID data.TunnelID, flags i2np.HopFlags, layer, iv [32]byte) i2np.BuildReply {
	if h.reject {
		return i2np.ReplyRejectBandwidth
	}
	tt := &fakeTransit{next: next, nextID: nextID, cipher: tunnel.NewCipher(tunnel.LayerKeys{Layer: layer, IV: iv})}
	switch {
	case flags&i2np.HopGateway != 0:
		tt.role, tt.gw = ibgw, tunnel.NewGateway(tunnel.GatewayConfig{})
	case flags&i2np.HopEndpoint != 0:
		tt.role, tt.endpoint = obep, tunnel.NewEndpoint(tunnel.EndpointConfig{})
	}
	h.tunnels[recv] = tt
	return i2np.ReplyAccept
}

// toTunnel sends m to tunnel id at gateway gw.
func (fn *fakeNet) toTunnel(gw data.Hash, id data.TunnelID, m i2np.Message) {
	out, err := i2np.NewMessage(randomMessageID(), m.Expiration, i2np.TunnelGatewayMessage{TunnelID: id, Message: m})
	if err != nil {
		fn.t.Fatal(err)
	}
	fn.Send(gw, out)
}

// recorder is a Profiles that counts.
type recorder struct {
	builds map[profile.BuildResult]int
	tests  map[bool]int
}

func (r *recorder) RecordTunnelBuild(_ data.Hash, res profile.BuildResult) { r.builds[res]++ }
func (r *recorder) RecordTunnelTest(_ data.Hash, ok bool)                  { r.tests[ok]++ }

func newRecorder() *recorder {
	return &recorder{builds: map[profile.BuildResult]int{}, tests: map[bool]int{}}
}

// start makes the Manager on fn.
func (fn *fakeNet) start(cfg ManagerConfig, prof Profiles) {
	fn.t.Helper()
	cfg.Us = fn.us
	cfg.Now = fn.now
	m, err := NewManager(cfg, Deps{Selector: fn, Sender: fn, Profiles: prof,
		Deliver: func(gw data.Hash, m i2np.Message) { fn.delivered = append(fn.delivered, m) }})
	if err != nil {
		fn.t.Fatal(err)
	}
	fn.m = m
}

// rounds runs n rounds of upkeep, pumping the network after each and
// advancing the clock by step.
func (fn *fakeNet) rounds(n int, step time.Duration) {
	for range n {
		fn.m.Round()
		fn.pump()
		fn.clock = fn.clock.Add(step)
	}
}
