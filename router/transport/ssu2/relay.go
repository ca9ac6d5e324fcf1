package ssu2

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Relaying (ssu2.rst, "Relay Process" and "Introducers"). Bob gives a
// firewalled Charlie a relay tag (asked for with a Relay Tag Request);
// Charlie publishes Bob as an introducer (ih, itag, iexp). Alice, wanting
// Charlie, sends Bob a RelayRequest with the tag; Bob passes it to Charlie
// as a RelayIntro; Charlie sends Alice a HolePunch (which opens Charlie's
// NAT towards her) and answers Bob, who passes the RelayResponse to
// Alice. Either one gives Alice Charlie's address and a token for her
// SessionRequest.

const (
	relayWait      = 5 * time.Second  // Alice waits this long for an answer
	relayFwdLife   = 10 * time.Second // Bob's nonce to Alice state
	relayTokenLife = 60 * time.Second // the token Charlie gives Alice
	maxRelayState  = 1024
	// IntroducerLife is how long an introducer we publish stays valid
	// (iexp); i2pd uses the session's start + 80 min.
	IntroducerLife = 80 * time.Minute
)

// Introducer is one of a firewalled router's introducers, from its
// RouterInfo (ihN, itagN, iexpN), or one of ours to publish.
type Introducer struct {
	Hash    [32]byte
	Tag     uint32
	Expires time.Time
}

type relayState struct {
	mu      sync.Mutex
	tags    map[uint32]*Session // Bob: the tags we gave, to Charlie's session
	fwd     map[uint32]relayFwd // Bob: RelayIntro nonces, to Alice's session
	waits   map[uint32]*relayWaiter
	ourTags map[[32]byte]Introducer // Charlie: tags introducers gave us

	asBob, asCharlie, asAlice atomic.Uint64
}

// RelayStats count the introductions we took part in.
type RelayStats struct {
	AsBob     uint64 // RelayIntros we passed to a Charlie we introduce
	AsCharlie uint64 // introductions we accepted (HolePunch sent)
	AsAlice   uint64 // sessions we opened through an introducer
	Tags      int    // relay tags introducers gave us, unexpired
}

// RelayStats returns the relay counters.
func (t *Transport) RelayStats() RelayStats {
	r := &t.ext.relay
	st := RelayStats{AsBob: r.asBob.Load(), AsCharlie: r.asCharlie.Load(), AsAlice: r.asAlice.Load()}
	st.Tags = len(t.Introducers(maxRelayState))
	return st
}

type relayFwd struct {
	alice   *Session
	created time.Time
}

type relayWaiter struct {
	charlie [32]byte
	bob     [32]byte
	done    chan relayResult
}

type relayResult struct {
	addr  netip.AddrPort
	token uint64
	err   error
}

func (r *relayState) init() {
	r.tags = make(map[uint32]*Session)
	r.fwd = make(map[uint32]relayFwd)
	r.waits = make(map[uint32]*relayWaiter)
	r.ourTags = make(map[[32]byte]Introducer)
}

func (r *relayState) housekeeping(e *extensions, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for tag, s := range r.tags {
		select {
		case <-s.done:
			delete(r.tags, tag)
		default:
		}
	}
	for n, f := range r.fwd {
		if now.Sub(f.created) > relayFwdLife {
			delete(r.fwd, n)
		}
	}
	for h, in := range r.ourTags {
		if now.After(in.Expires) || e.t.Session(h) == nil {
			delete(r.ourTags, h)
		}
	}
}

// ---- Bob ----

// relayTagFor makes a tag for a SessionRequest that asked for one; it is
// bound to the session when SessionConfirmed arrives.
func (e *extensions) relayTagFor(from netip.AddrPort) uint32 {
	tag := randUint32()
	for tag == 0 {
		tag = randUint32()
	}
	return tag
}

func (e *extensions) relayTagIssued(s *Session, tag uint32) {
	r := &e.relay
	r.mu.Lock()
	if len(r.tags) < maxRelayState {
		r.tags[tag] = s
	}
	r.mu.Unlock()
}

func (r *relayState) handleBlock(e *extensions, s *Session, typ uint8, d []byte) {
	switch typ {
	case blkRelayTagRequest:
		// In the data phase (i2pd answers only in SessionCreated).
		tag := e.relayTagFor(s.Addr())
		e.relayTagIssued(s, tag)
		s.queueCtrl(appendRelayTag(nil, tag))
	case blkRelayRequest:
		e.bobGotRelayRequest(s, d)
	case blkRelayIntro:
		e.charlieGotRelayIntro(s, d)
	case blkRelayResponse:
		e.gotRelayResponse(s, d)
	}
}

func (e *extensions) bobGotRelayRequest(alice *Session, d []byte) {
	t := e.t
	req, err := ParseRelayRequest(d)
	if err != nil {
		t.dropped.Add(1)
		return
	}
	r := &e.relay
	r.mu.Lock()
	charlie := r.tags[req.RelayTag]
	full := len(r.fwd) >= maxRelayState
	if charlie != nil && !full {
		r.fwd[req.Nonce] = relayFwd{alice: alice, created: t.cfg.now()}
	}
	r.mu.Unlock()
	if charlie == nil || full || charlie.remote == alice.remote {
		code := uint8(RelayBobRelayTagNotFound)
		if full {
			code = RelayBobLimitExceeded
		}
		resp := RelayResponse{Code: code, Nonce: req.Nonce, Timestamp: nowSeconds(t.cfg.now()), Ver: protocolVersion}
		if t.cfg.Sign != nil {
			resp.Sign(t.cfg.RouterHash, t.cfg.Sign)
		}
		alice.queueCtrl(appendBlock(nil, blkRelayResponse, resp.Append(nil)))
		return
	}
	r.asBob.Add(1)
	e.sendWithRouterInfo(charlie, alice.remote, appendBlock(nil, blkRelayIntro, req.Intro(alice.remote).Append(nil)))
}

// gotRelayResponse: as Bob, pass Charlie's answer on to Alice unchanged;
// as Alice, it is Bob's answer (or Charlie's, passed on).
func (e *extensions) gotRelayResponse(s *Session, d []byte) {
	resp, err := ParseRelayResponse(d)
	if err != nil {
		e.t.dropped.Add(1)
		return
	}
	r := &e.relay
	r.mu.Lock()
	f, isFwd := r.fwd[resp.Nonce]
	if isFwd {
		delete(r.fwd, resp.Nonce)
	}
	w := r.waits[resp.Nonce]
	r.mu.Unlock()
	if isFwd {
		f.alice.queueCtrl(appendBlock(nil, blkRelayResponse, d))
		return
	}
	if w == nil || w.bob != s.remote {
		e.t.dropped.Add(1)
		return
	}
	e.aliceGotResponse(w, resp, netip.AddrPort{})
}

// ---- Charlie ----

func (e *extensions) charlieGotRelayIntro(bob *Session, d []byte) {
	t := e.t
	intro, err := ParseRelayIntro(d)
	if err != nil {
		t.dropped.Add(1)
		return
	}
	code := uint8(RelayAccept)
	var alice Peer
	ok := false
	if t.cfg.PeerOf != nil {
		alice, ok = t.cfg.PeerOf(intro.AliceHash)
	}
	me := t.cfg.RouterHash
	switch {
	case !ok || t.cfg.VerifyRouter == nil:
		code = RelayCharlieAliceUnknown
	case intro.Verify(bob.remote, me, func(m, sig []byte) error { return t.cfg.VerifyRouter(intro.AliceHash, m, sig) }) != nil:
		code = RelayCharlieSignatureFailure
	case !intro.AddrPort.IsValid() || !intro.AddrPort.Addr().Is4():
		code = RelayCharlieUnsupportedAddr
	case t.Session(intro.AliceHash) != nil:
		code = RelayCharlieAliceConnected
	}
	resp := RelayResponse{Code: code, Nonce: intro.Nonce, Timestamp: nowSeconds(t.cfg.now()), Ver: protocolVersion}
	if code == RelayAccept {
		resp.AddrPort = e.ourAddress()
		resp.Token = t.issueToken(intro.AddrPort, relayTokenLife)
		if !resp.AddrPort.IsValid() {
			resp.Code, resp.Token = RelayCharlieUnsupportedAddr, 0
		}
	}
	if t.cfg.Sign == nil || resp.Sign(bob.remote, t.cfg.Sign) != nil {
		return
	}
	if resp.Code == RelayAccept {
		// The HolePunch opens our NAT towards Alice.
		p := appendDateTime(nil, nowSeconds(t.cfg.now()))
		p = appendAddress(p, intro.AddrPort)
		p = appendBlock(p, blkRelayResponse, resp.Append(nil))
		p = padTo(p, 8, 16)
		n, inv := peerTestIDs(intro.Nonce)
		h := header{dstID: n, pn: randUint32(), typ: typeHolePunch, ver: protocolVersion, netID: t.cfg.NetID, srcID: inv, token: randUint64()}
		t.write(sealSymmetric(h, &alice.IntroKey, &alice.IntroKey, &alice.IntroKey, p), intro.AddrPort)
		e.relay.asCharlie.Add(1)
	}
	bob.queueCtrl(appendBlock(nil, blkRelayResponse, resp.Append(nil)))
}

// ourAddress is our published address, else the one peers saw.
func (e *extensions) ourAddress() netip.AddrPort {
	if f := e.t.cfg.PublicAddr; f != nil {
		if a := f(); a.IsValid() {
			return a
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.observed
}

// relayTagReceived: an introducer gave us a tag (in SessionCreated).
func (e *extensions) relayTagReceived(peer Peer, tag uint32) {
	r := &e.relay
	r.mu.Lock()
	if len(r.ourTags) < maxRelayState {
		r.ourTags[peer.Hash] = Introducer{Hash: peer.Hash, Tag: tag, Expires: e.t.cfg.now().Add(IntroducerLife)}
	}
	r.mu.Unlock()
	if f := e.t.cfg.OnIntroducers; f != nil {
		go f()
	}
}

func (r *relayState) tagReceived(e *extensions, s *Session, tag uint32) {
	e.relayTagReceived(Peer{Hash: s.remote}, tag)
}

// Introducers lists the relay tags introducers gave us, to publish while
// we are firewalled (at most max, newest first).
func (t *Transport) Introducers(max int) []Introducer {
	r := &t.ext.relay
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Introducer
	for _, in := range r.ourTags {
		out = append(out, in)
	}
	for i := 1; i < len(out); i++ { // newest first
		for j := i; j > 0 && out[j].Expires.After(out[j-1].Expires); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// RequestRelayTag asks the peer of an established session for a relay
// tag (in the data phase; i2pd answers this only in SessionCreated, so
// dials made while firewalled ask in SessionRequest).
func (t *Transport) RequestRelayTag(peer [32]byte) error {
	s := t.Session(peer)
	if s == nil {
		return ErrClosed
	}
	return s.queueCtrl(appendBlockHeader(nil, blkRelayTagRequest, 0))
}

// ---- Alice ----

var ErrNoIntroducer = errors.New("ssu2: no introducer answered")

// dialIntroduced reaches a firewalled peer through one of its
// introducers, then dials it with the token Charlie gave.
func (t *Transport) dialIntroduced(ctx context.Context, peer Peer) (*Session, error) {
	e := &t.ext
	me := e.ourAddress()
	if !me.IsValid() || t.cfg.Sign == nil || t.cfg.PeerOf == nil {
		return nil, fmt.Errorf("%w: we have no address to be introduced at", ErrNoIntroducer)
	}
	var lastErr error = ErrNoIntroducer
	now := t.cfg.now()
	for _, in := range peer.Introducers {
		if in.Tag == 0 || now.After(in.Expires) || in.Hash == t.cfg.RouterHash {
			continue
		}
		bob := t.Session(in.Hash)
		if bob == nil {
			bp, ok := t.cfg.PeerOf(in.Hash)
			if !ok || !bp.Addr.IsValid() {
				continue
			}
			dctx, cancel := context.WithTimeout(ctx, t.cfg.hsTimeout())
			s, err := t.Dial(dctx, bp)
			cancel()
			if err != nil {
				lastErr = err
				continue
			}
			bob = s
		}
		req := RelayRequest{Nonce: randUint32(), RelayTag: in.Tag, Timestamp: nowSeconds(t.cfg.now()), Ver: protocolVersion, AddrPort: me}
		if err := req.Sign(in.Hash, peer.Hash, t.cfg.Sign); err != nil {
			return nil, err
		}
		w := &relayWaiter{charlie: peer.Hash, bob: in.Hash, done: make(chan relayResult, 1)}
		r := &e.relay
		r.mu.Lock()
		r.waits[req.Nonce] = w
		r.mu.Unlock()
		bob.queueCtrl(appendBlock(nil, blkRelayRequest, req.Append(nil)))
		var res relayResult
		select {
		case res = <-w.done:
		case <-time.After(relayWait):
			res.err = fmt.Errorf("%w: introducer %x timed out", ErrNoIntroducer, in.Hash[:4])
		case <-ctx.Done():
			res.err = ctx.Err()
		}
		r.mu.Lock()
		delete(r.waits, req.Nonce)
		r.mu.Unlock()
		if res.err != nil {
			lastErr = res.err
			continue
		}
		t.storeToken(res.addr, res.token, t.cfg.now().Add(relayTokenLife))
		p := peer
		p.Addr, p.Introducers = res.addr, nil
		s, err := t.Dial(ctx, p)
		if err == nil {
			r.asAlice.Add(1)
		}
		return s, err
	}
	return nil, lastErr
}

// aliceGotResponse completes a wait with Charlie's answer (from Bob or in
// a HolePunch from addr).
func (e *extensions) aliceGotResponse(w *relayWaiter, resp RelayResponse, from netip.AddrPort) {
	t := e.t
	var res relayResult
	switch {
	case resp.Code != RelayAccept:
		res.err = fmt.Errorf("%w: rejected with code %d", ErrNoIntroducer, resp.Code)
	case t.cfg.VerifyRouter == nil || resp.Verify(w.bob, func(m, sig []byte) error { return t.cfg.VerifyRouter(w.charlie, m, sig) }) != nil:
		res.err = fmt.Errorf("%w: bad signature from Charlie", ErrNoIntroducer)
	default:
		res.addr, res.token = resp.AddrPort, resp.Token
		if from.IsValid() {
			res.addr = from // where the HolePunch came from: Charlie's NAT
		}
		if !res.addr.IsValid() || res.token == 0 {
			res.err = fmt.Errorf("%w: answer without address or token", ErrNoIntroducer)
		}
	}
	select {
	case w.done <- res:
	default:
	}
}

// handleHolePunch takes a HolePunch (type 11): Charlie's NAT is open.
func (e *extensions) handleHolePunch(pkt []byte, from netip.AddrPort) {
	t := e.t
	ik := &t.cfg.IntroKey
	h, blocks, ok := t.openBlocks(pkt, ik)
	if !ok {
		return
	}
	for _, b := range blocks {
		if b.typ != blkRelayResponse {
			continue
		}
		resp, err := ParseRelayResponse(b.data)
		if err != nil {
			break
		}
		n, inv := peerTestIDs(resp.Nonce)
		if h.dstID != n || h.srcID != inv {
			break
		}
		e.relay.mu.Lock()
		w := e.relay.waits[resp.Nonce]
		e.relay.mu.Unlock()
		if w != nil {
			e.aliceGotResponse(w, resp, from)
			return
		}
	}
	t.dropped.Add(1)
}
