package router

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/transport/ssu2"
)

// The transport manager: one session per peer over NTCP2 or SSU2, chosen
// per peer from its RouterInfo and our history with it. (It lives in the
// composition root rather than router/transport because it needs the
// netDb's RouterInfos and the profiles; both transports keep their own
// session tables.)

// peerSession is what both transports' sessions offer.
type peerSession interface {
	Send(msg []byte) error
	Remote() [32]byte
	Outbound() bool
	Created() time.Time
	BytesIn() uint64
	BytesOut() uint64
}

// session returns an established session with h over either transport.
func (r *Router) session(h data.Hash) peerSession {
	if r.ntcp2 != nil {
		if s := r.ntcp2.Session(h); s != nil {
			return s
		}
	}
	if r.ssu2 != nil {
		if s := r.ssu2.Session(h); s != nil {
			return s
		}
	}
	return nil
}

// sessionCount counts sessions over both transports.
func (r *Router) sessionCount() int {
	n := 0
	if r.ntcp2 != nil {
		n += len(r.ntcp2.Sessions())
	}
	if r.ssu2 != nil {
		n += len(r.ssu2.Sessions())
	}
	return n
}

// reachable reports whether we can dial ri over a transport we run.
func (r *Router) reachable(ri *data.RouterInfo) bool {
	if r.ntcp2 != nil && !r.cfg.NTCP2Disabled {
		if _, _, ok := ntcp2Peer(ri); ok {
			return true
		}
	}
	if r.ssu2 != nil {
		if _, ok := ssu2Peer(ri); ok {
			return true
		}
	}
	return false
}

// dialRouter opens a session with ri. With both transports possible it
// picks one at random, but never the one whose last dial to this peer
// failed in the last 10 minutes, and falls back to the other.
func (r *Router) dialRouter(ctx context.Context, ri *data.RouterInfo) (peerSession, error) {
	h := ri.Hash()
	np, naddr, nok := ntcp2Peer(ri)
	nok = nok && r.ntcp2 != nil && !r.cfg.NTCP2Disabled
	sp, sok := ssu2Peer(ri)
	sok = sok && r.ssu2 != nil
	if !nok && !sok {
		return nil, fmt.Errorf("router: %v has no address we can reach", h)
	}
	first := "NTCP2"
	if sok && (!nok || mrand.IntN(2) == 0) {
		first = "SSU2"
	}
	r.failMu.Lock()
	if t, ok := r.transportFail[transportKey{h, first}]; ok && time.Since(t) < 10*time.Minute && nok && sok {
		first = map[string]string{"NTCP2": "SSU2", "SSU2": "NTCP2"}[first]
	}
	r.failMu.Unlock()
	try := func(tr string) (peerSession, error) {
		if tr == "SSU2" {
			s, err := r.ssu2.Dial(ctx, sp)
			if err != nil {
				return nil, err
			}
			return s, nil
		}
		s, err := r.ntcp2.Dial(ctx, np, naddr)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := try(first)
	if err == nil {
		return s, nil
	}
	r.failMu.Lock()
	r.transportFail[transportKey{h, first}] = time.Now()
	r.failMu.Unlock()
	if nok && sok && ctx.Err() == nil {
		other := map[string]string{"NTCP2": "SSU2", "SSU2": "NTCP2"}[first]
		if s, err2 := try(other); err2 == nil {
			return s, nil
		} else {
			r.failMu.Lock()
			r.transportFail[transportKey{h, other}] = time.Now()
			r.failMu.Unlock()
			return nil, fmt.Errorf("%s: %v; %s: %w", first, err, other, err2)
		}
	}
	return nil, fmt.Errorf("%s: %w", first, err)
}

type transportKey struct {
	h  data.Hash
	tr string
}

// ssu2Peer finds a dialable SSU2 address (IPv4 host, port, s, i, v=2).
func ssu2Peer(ri *data.RouterInfo) (ssu2.Peer, bool) {
	for _, a := range ri.Addresses {
		if a.TransportStyle != "SSU2" && a.TransportStyle != "SSU" {
			continue
		}
		if !slices.Contains(strings.Split(a.Version(), ","), "2") {
			continue
		}
		s, ok1 := a.StaticKey()
		ik, ok2 := a.Base64Option("i")
		if !ok1 || !ok2 || len(s) != 32 || len(ik) != 32 {
			continue
		}
		var p ssu2.Peer
		p.Hash = ri.Hash()
		copy(p.Static[:], s)
		copy(p.IntroKey[:], ik)
		if ap, ok := a.AddrPort(); ok && ap.Addr().Is4() && ap.Port() != 0 {
			p.Addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		} else if p.Introducers = introducers(a); len(p.Introducers) == 0 {
			continue
		}
		if m, ok := a.Get("mtu"); ok {
			p.MTU, _ = strconv.Atoi(m)
		}
		return p, true
	}
	return ssu2.Peer{}, false
}

// introducers reads ihN, itagN and iexpN (N = 0..9) of an SSU2 address;
// expired ones and ones without iexp are left out, as i2pd does.
func introducers(a data.RouterAddress) []ssu2.Introducer {
	var out []ssu2.Introducer
	now := time.Now()
	for n := 0; n <= 9; n++ {
		k := strconv.Itoa(n)
		h, ok1 := a.Base64Option("ih" + k)
		tagS, ok2 := a.Get("itag" + k)
		expS, ok3 := a.Get("iexp" + k)
		if !ok1 || !ok2 || !ok3 || len(h) != 32 {
			continue
		}
		tag, err1 := strconv.ParseUint(tagS, 10, 32)
		exp, err2 := strconv.ParseInt(expS, 10, 64)
		if err1 != nil || err2 != nil || tag == 0 || time.Unix(exp, 0).Before(now) {
			continue
		}
		out = append(out, ssu2.Introducer{Hash: [32]byte(h), Tag: uint32(tag), Expires: time.Unix(exp, 0)})
	}
	return out
}

// checkSSU2RouterInfo is SSU2's check of the RouterInfo in
// SessionConfirmed: the netDb checks, then an SSU2 address whose "s" is
// the proved static key; its "i" is the peer's intro key.
func (r *Router) checkSSU2RouterInfo(b, static []byte) (ssu2.PeerInfo, error) {
	ri, err := r.netdb.Check(b)
	if err != nil {
		return ssu2.PeerInfo{}, err
	}
	for _, a := range ri.Addresses {
		if a.TransportStyle != "SSU2" && a.TransportStyle != "SSU" {
			continue
		}
		s, ok := a.StaticKey()
		ik, ok2 := a.Base64Option("i")
		if !ok || !ok2 || string(s) != string(static) || len(ik) != 32 {
			continue
		}
		info := ssu2.PeerInfo{Hash: ri.Hash()}
		copy(info.IntroKey[:], ik)
		if m, ok := a.Get("mtu"); ok {
			info.MTU, _ = strconv.Atoi(m)
		}
		return info, nil
	}
	return ssu2.PeerInfo{}, errors.New("router: RouterInfo has no SSU2 address with the static key of the handshake")
}

// ssu2Handler receives from SSU2 sessions: the same as NTCP2's.
type ssu2Handler Router

func (h *ssu2Handler) HandleI2NP(from [32]byte, msg []byte) { (*ntcp2Handler)(h).HandleI2NP(from, msg) }
func (h *ssu2Handler) HandleRouterInfo(from [32]byte, b []byte, flood bool) {
	(*ntcp2Handler)(h).HandleRouterInfo(from, b, flood)
}
func (h *ssu2Handler) SessionEstablished(s *ssu2.Session) {
	r := (*Router)(h)
	r.established(s, "SSU2")
}
func (h *ssu2Handler) SessionClosed(s *ssu2.Session, err error) {
	r := (*Router)(h)
	r.log.Info("session closed", "peer", data.Hash(s.Remote()), "transport", "SSU2", "err", err)
}

func (r *Router) established(s peerSession, tr string) {
	if s.Outbound() {
		r.outboundTotal.Add(1)
	} else {
		r.inboundTotal.Add(1)
	}
	r.log.Info("session established", "peer", data.Hash(s.Remote()), "transport", tr, "outbound", s.Outbound())
}

// transportBytes sums both transports' byte counters.
func (r *Router) transportBytes() (in, out uint64) {
	if r.ntcp2 != nil {
		st := r.ntcp2.Stats()
		in, out = st.BytesIn, st.BytesOut
	}
	if r.ssu2 != nil {
		st := r.ssu2.Stats()
		in, out = in+st.BytesIn, out+st.BytesOut
	}
	return
}

// ssu2Address is our published SSU2 address: host and port when we have
// a public host; without one, no host (outbound only, "caps=4").
func (r *Router) ssu2Address() (data.RouterAddress, error) {
	opts := map[string]string{
		"s": data.Base64Encode(r.id.ssu2.PublicKey().Bytes()),
		"i": data.Base64Encode(r.id.ssu2Intro[:]),
		"v": "2",
	}
	mtu := r.cfg.SSU2MTU
	if mtu == 0 {
		mtu = ssu2.DefaultMTU
	}
	cost := uint8(14)
	if r.firewalled() {
		// Reachable only through introducers (ssu2.rst, "Published
		// Router Info" with introducers): no host and port.
		opts["caps"] = "4"
		opts["mtu"] = strconv.Itoa(mtu)
		for n, in := range r.ssu2.Introducers(3) {
			k := strconv.Itoa(n)
			opts["ih"+k] = data.Base64Encode(in.Hash[:])
			opts["itag"+k] = strconv.FormatUint(uint64(in.Tag), 10)
			opts["iexp"+k] = strconv.FormatInt(in.Expires.Unix(), 10)
		}
		return data.NewRouterAddress(15, "SSU2", opts)
	}
	if r.cfg.Host != "" {
		opts["host"] = r.cfg.Host
		opts["port"] = strconv.Itoa(r.port)
		opts["mtu"] = strconv.Itoa(mtu)
		if c := r.ssu2Caps(); c != "" {
			opts["caps"] = c
		}
		cost = 8 // above NTCP2's 3, as Java I2P and i2pd publish
	} else {
		opts["caps"] = "4"
	}
	return data.NewRouterAddress(cost, "SSU2", opts)
}

// ssu2Caps are the SSU2 address caps: B (we can be Bob in a peer test)
// and C (we introduce firewalled routers).
func (r *Router) ssu2Caps() string { return "BC" }

// ssu2CanIntroduce: the router's SSU2 address has caps C.
func (r *Router) ssu2CanIntroduce(h [32]byte) bool {
	ri := r.netdb.Get(h)
	if ri == nil {
		return false
	}
	for _, a := range ri.Addresses {
		if strings.HasPrefix(a.TransportStyle, "SSU") && strings.ContainsRune(a.Caps(), 'C') {
			return true
		}
	}
	return false
}

func (r *Router) verifyRouter(h [32]byte, msg, sig []byte) error {
	ri := r.netdb.Get(h)
	if ri == nil {
		return errNoRouterInfo
	}
	return ri.Identity.Verify(msg, sig)
}

// ssu2CanTest: the router's SSU2 address has caps B (peer testing).
func (r *Router) ssu2CanTest(h [32]byte) bool {
	ri := r.netdb.Get(h)
	if ri == nil {
		return false
	}
	for _, a := range ri.Addresses {
		if strings.HasPrefix(a.TransportStyle, "SSU") && strings.ContainsRune(a.Caps(), 'B') {
			return true
		}
	}
	return false
}

// ssu2PublicAddr is the SSU2 address we publish (invalid without a host).
func (r *Router) ssu2PublicAddr() netip.AddrPort {
	if r.cfg.Host == "" {
		return netip.AddrPort{}
	}
	a, err := netip.ParseAddr(r.cfg.Host)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(r.port))
}

// firewalled: router.firewalled says so, or peer tests found we cannot
// be reached.
func (r *Router) firewalled() bool {
	if r.ssu2 == nil {
		return false
	}
	if r.cfg.Firewalled {
		return true
	}
	st := r.ssu2.PeerTestStats().Status
	return st == ssu2.ReachFirewalled || st == ssu2.ReachSymmetricNAT
}

// reachabilityChanged re-signs our RouterInfo with the caps the result
// gives (R or U) and republishes it.
func (r *Router) reachabilityChanged(st ssu2.Reachability) {
	r.log.Info("peer test result", "status", st.String(), "caps", r.caps())
	if r.firewalled() {
		// Ask our introducers-to-be for relay tags (new dials ask in
		// SessionRequest; i2pd answers only there).
		for _, s := range r.ssu2.Sessions() {
			if r.ssu2CanIntroduce(s.Remote()) {
				r.ssu2.RequestRelayTag(s.Remote())
			}
		}
	}
	if err := r.resign(); err != nil {
		r.log.Warn("re-signing RouterInfo failed", "err", err)
		return
	}
	if r.netdb != nil {
		r.netdb.RepublishSoon()
	}
}

// wantIntroducers is how many introducers a firewalled router keeps
// (Java I2P and i2pd publish up to 3).
const wantIntroducers = 3

// gatherIntroducers: while firewalled with fewer than wantIntroducers
// relay tags, open SSU2 sessions (asking for a tag in SessionRequest,
// the only place i2pd answers) to routers that introduce (SSU2 caps C)
// and that we have no session with; a couple each call.
func (r *Router) gatherIntroducers(ctx context.Context) {
	if r.ssu2 == nil || !r.firewalled() {
		return
	}
	need := wantIntroducers - len(r.ssu2.Introducers(wantIntroducers))
	if need <= 0 {
		return
	}
	routers := r.netdb.Routers()
	mrand.Shuffle(len(routers), func(i, j int) { routers[i], routers[j] = routers[j], routers[i] })
	var wg sync.WaitGroup
	for _, ri := range routers {
		if need <= 0 {
			break
		}
		h := ri.Hash()
		if h == r.hash || r.session(h) != nil || !r.shouldDial(h) || !r.ssu2CanIntroduce(h) {
			continue
		}
		p, ok := ssu2Peer(ri)
		if !ok || !p.Addr.IsValid() {
			continue
		}
		need--
		r.dialAsync(ctx, &wg, h, "introducer dial failed", func(dctx context.Context) error {
			_, err := r.ssu2.Dial(dctx, p)
			return err
		})
	}
	wg.Wait()
}

// introducersChanged republishes our RouterInfo with new introducers
// while we are firewalled.
func (r *Router) introducersChanged() {
	if !r.firewalled() {
		return
	}
	if err := r.resign(); err == nil && r.netdb != nil {
		r.netdb.RepublishSoon()
	}
}
