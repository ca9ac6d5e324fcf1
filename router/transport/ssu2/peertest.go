package ssu2

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Peer testing (ssu2.rst, "Peer Test Process"): Alice asks Bob (in
// session, message 1); Bob asks a Charlie (2); Charlie answers Bob (3) and
// sends Alice message 5 out of session at the address Alice signed; Bob
// forwards Charlie's answer (4). Alice reachable: 5 arrives, she sends 6
// to Charlie, who answers 7 with the address 6 came from. Message 4
// without 5: firewalled; 7 with another port than ours: symmetric NAT.

const (
	peerTestFirst    = 500 * time.Millisecond // polling for a first Bob
	peerTestRetry    = 30 * time.Second       // while we do not know
	peerTestInterval = 20 * time.Minute       // once we know
	peerTestWait5    = 5 * time.Second        // after an accepting message 4
	peerTestTimeout  = 20 * time.Second
	peerTestLife     = 60 * time.Second // Bob's and Charlie's state
	maxPeerTests     = 64               // Bob's and Charlie's state entries
)

// extensions holds peer testing and relaying.
type extensions struct {
	t  *Transport
	mu sync.Mutex

	status      Reachability
	alice       map[uint32]*aliceTest
	bob         map[uint32]*bobTest
	charlie     map[uint32]*charlieTest
	ok, failed  atomic.Uint64
	asBob, asCh atomic.Uint64
	observed    netip.AddrPort // our address as peers see it
	relay       relayState
}

type aliceTest struct {
	nonce    uint32
	bob      *Session
	started  time.Time
	got4     time.Time
	msg4     PeerTest
	charlie  Peer
	got5     bool
	from5    netip.AddrPort
	sent6    bool
	finished bool
}

type bobTest struct {
	alice   *Session
	charlie [32]byte
	created time.Time
}

type charlieTest struct {
	aliceIntro [32]byte
	msg        PeerTest // our message 3 data (signed), copied into 5 and 7
	created    time.Time
}

func (e *extensions) init(t *Transport) {
	e.t = t
	e.alice = make(map[uint32]*aliceTest)
	e.bob = make(map[uint32]*bobTest)
	e.charlie = make(map[uint32]*charlieTest)
	e.relay.init()
}

func (e *extensions) peerTestStats() PeerTestStats {
	e.mu.Lock()
	st := e.status
	e.mu.Unlock()
	return PeerTestStats{Status: st, OK: e.ok.Load(), Failed: e.failed.Load(), AsBob: e.asBob.Load(), AsCharlie: e.asCh.Load()}
}

func (e *extensions) setStatus(r Reachability) {
	e.mu.Lock()
	changed := e.status != r
	e.status = r
	e.mu.Unlock()
	if changed {
		e.t.log.Info("reachability", "status", r.String())
		if f := e.t.cfg.OnReachability; f != nil {
			go f(r)
		}
	}
}

func peerTestIDs(nonce uint32) (n, inv uint64) {
	n = uint64(nonce)<<32 | uint64(nonce)
	return n, ^n
}

// sendPeerTestPacket sends a Peer Test message (type 7) out of session.
func (e *extensions) sendPeerTestPacket(dst, src uint64, key *[32]byte, to netip.AddrPort, addr netip.AddrPort, pt PeerTest) {
	t := e.t
	p := appendDateTime(nil, nowSeconds(t.cfg.now()))
	if addr.IsValid() {
		p = appendAddress(p, addr)
	}
	p = appendBlock(p, blkPeerTest, pt.Append(nil))
	p = padTo(p, 8, 16)
	h := header{dstID: dst, pn: randUint32(), typ: typePeerTest, ver: protocolVersion, netID: t.cfg.NetID, srcID: src, token: randUint64()}
	t.write(sealSymmetric(h, key, key, key, p), to)
}

// runPeerTests starts tests as Alice: soon after start, again while we do
// not know our reachability, then every peerTestInterval.
func (e *extensions) runPeerTests() {
	t := e.t
	if t.cfg.PublicAddr == nil || t.cfg.Sign == nil || t.cfg.CanTest == nil {
		return
	}
	// The first test as soon as there is a Bob: before tunnel builds
	// connect us to every router, so that Bob finds a Charlie we have
	// no session with (i2pd's Charlie refuses Alice it knows, code 68).
	tick := time.NewTicker(peerTestFirst)
	for started := false; !started; {
		select {
		case <-t.ctx.Done():
			tick.Stop()
			return
		case <-tick.C:
		}
		started = e.startPeerTest()
	}
	tick.Stop()
	timer := time.NewTimer(peerTestRetry)
	defer timer.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-timer.C:
		}
		e.startPeerTest()
		e.mu.Lock()
		st := e.status
		e.mu.Unlock()
		d := peerTestRetry
		if st == ReachOK || st == ReachFirewalled || st == ReachSymmetricNAT {
			d = peerTestInterval
		}
		timer.Reset(d + time.Duration(rand.Int64N(int64(5*time.Second))))
	}
}

// StartPeerTest runs one peer test now (as Alice), if a Bob is available.
func (t *Transport) StartPeerTest() bool { return t.ext.startPeerTest() }

func (e *extensions) startPeerTest() bool {
	t := e.t
	me := t.cfg.PublicAddr()
	if !me.IsValid() || !me.Addr().Is4() {
		return false
	}
	var bobs []*Session
	for _, s := range t.Sessions() {
		if t.cfg.CanTest(s.remote) && s.Addr().Addr().Is4() {
			bobs = append(bobs, s)
		}
	}
	if len(bobs) == 0 {
		return false
	}
	bob := bobs[rand.IntN(len(bobs))]
	now := t.cfg.now()
	pt := PeerTest{Msg: 1, Ver: protocolVersion, Nonce: randUint32(), Timestamp: nowSeconds(now), AddrPort: me}
	if err := pt.Sign(bob.remote, nil, t.cfg.Sign); err != nil {
		t.log.Warn("peer test: signing", "err", err)
		return false
	}
	a := &aliceTest{nonce: pt.Nonce, bob: bob, started: now}
	e.mu.Lock()
	if len(e.alice) >= maxPeerTests {
		e.mu.Unlock()
		return false
	}
	e.alice[pt.Nonce] = a
	if e.status == ReachUnknown {
		e.status = ReachTesting
	}
	e.mu.Unlock()
	if err := bob.queueCtrl(appendBlock(nil, blkPeerTest, pt.Append(nil))); err != nil {
		e.mu.Lock()
		delete(e.alice, pt.Nonce)
		e.mu.Unlock()
		return false
	}
	t.log.Debug("peer test started", "bob", shortHash(bob.remote))
	return true
}

func shortHash(h [32]byte) string { return fmt.Sprintf("%x", h[:4]) }

// handlePeerTestBlock handles messages 1-4 (in session).
func (e *extensions) handlePeerTestBlock(s *Session, d []byte) {
	pt, err := ParsePeerTest(d)
	if err != nil {
		e.t.dropped.Add(1)
		return
	}
	switch pt.Msg {
	case 1:
		e.bobGot1(s, pt)
	case 2:
		e.charlieGot2(s, pt)
	case 3:
		e.bobGot3(s, pt)
	case 4:
		e.aliceGot4(s, pt)
	}
}

// ---- Bob ----

func (e *extensions) bobGot1(alice *Session, pt PeerTest) {
	t := e.t
	var charlie *Session
	var cands []*Session
	for _, s := range t.Sessions() {
		if s == alice || s.remote == alice.remote || !s.Addr().Addr().Is4() {
			continue
		}
		if t.cfg.PeerOf != nil {
			if _, ok := t.cfg.PeerOf(s.remote); !ok {
				continue
			}
		}
		cands = append(cands, s)
	}
	if len(cands) > 0 {
		charlie = cands[rand.IntN(len(cands))]
	}
	e.mu.Lock()
	full := len(e.bob) >= maxPeerTests
	if charlie != nil && !full {
		e.bob[pt.Nonce] = &bobTest{alice: alice, charlie: charlie.remote, created: t.cfg.now()}
	}
	e.mu.Unlock()
	if charlie == nil || full {
		// Message 4, rejected by Bob: zero hash, Alice's data echoed.
		pt.Msg, pt.Code, pt.Hash = 4, PeerTestBobNoCharlie, [32]byte{}
		if full {
			pt.Code = PeerTestBobLimitExceeded
		}
		alice.queueCtrl(appendBlock(nil, blkPeerTest, pt.Append(nil)))
		return
	}
	e.asBob.Add(1)
	pt.Msg, pt.Hash = 2, alice.remote
	e.sendWithRouterInfo(charlie, alice.remote, appendBlock(nil, blkPeerTest, pt.Append(nil)))
}

// sendWithRouterInfo queues block to s, after a RouterInfo block with
// ri's RouterInfo when we have it (in the same packet when it fits).
func (e *extensions) sendWithRouterInfo(s *Session, ri [32]byte, block []byte) {
	if f := e.t.cfg.RouterInfoOf; f != nil {
		if b := f(ri); b != nil {
			flag := byte(0)
			if z, err := gzipBytes(b); err == nil && len(z) < len(b) {
				b, flag = z, 2
			}
			rb := appendRouterInfoBlock(nil, flag, b)
			if len(rb)+len(block) <= s.maxPayloadSafe()-48 {
				s.queueCtrl(append(rb, block...))
				return
			}
			s.queueCtrl(rb)
		}
	}
	s.queueCtrl(block)
}

func (e *extensions) bobGot3(charlie *Session, pt PeerTest) {
	e.mu.Lock()
	bt := e.bob[pt.Nonce]
	if bt != nil && bt.charlie == charlie.remote {
		delete(e.bob, pt.Nonce)
	} else {
		bt = nil
	}
	e.mu.Unlock()
	if bt == nil {
		e.t.dropped.Add(1)
		return
	}
	pt.Msg, pt.Hash = 4, charlie.remote
	e.sendWithRouterInfo(bt.alice, charlie.remote, appendBlock(nil, blkPeerTest, pt.Append(nil)))
}

// ---- Charlie ----

func (e *extensions) charlieGot2(bob *Session, pt PeerTest) {
	t := e.t
	aliceHash := pt.Hash
	code := uint8(PeerTestAccept)
	var alice Peer
	ok := false
	if t.cfg.PeerOf != nil {
		alice, ok = t.cfg.PeerOf(aliceHash)
	}
	switch {
	case !ok || t.cfg.VerifyRouter == nil:
		code = PeerTestCharlieAliceUnknown
	case pt.Verify(bob.remote, nil, func(m, sig []byte) error { return t.cfg.VerifyRouter(aliceHash, m, sig) }) != nil:
		code = PeerTestCharlieSignatureFailure
	case t.Session(aliceHash) != nil:
		code = PeerTestCharlieAliceConnected
	case !pt.AddrPort.IsValid() || !pt.AddrPort.Addr().Is4():
		code = PeerTestCharlieUnsupportedAddr
	}
	now := t.cfg.now()
	e.mu.Lock()
	if code == PeerTestAccept && len(e.charlie) >= maxPeerTests {
		code = PeerTestCharlieLimitExceeded
	}
	e.mu.Unlock()
	m3 := PeerTest{Msg: 3, Code: code, Ver: protocolVersion, Nonce: pt.Nonce, Timestamp: nowSeconds(now), AddrPort: pt.AddrPort}
	if t.cfg.Sign == nil {
		return
	}
	if err := m3.Sign(bob.remote, &aliceHash, t.cfg.Sign); err != nil {
		return
	}
	if code == PeerTestAccept {
		e.asCh.Add(1)
		e.mu.Lock()
		e.charlie[pt.Nonce] = &charlieTest{aliceIntro: alice.IntroKey, msg: m3, created: now}
		e.mu.Unlock()
		// Message 5 before 3 (i2pd as Alice declares itself firewalled
		// when 4 comes first).
		n, inv := peerTestIDs(pt.Nonce)
		m5 := m3
		m5.Msg = 5
		e.sendPeerTestPacket(n, inv, &alice.IntroKey, pt.AddrPort, netip.AddrPort{}, m5)
	}
	bob.queueCtrl(appendBlock(nil, blkPeerTest, m3.Append(nil)))
}

// handlePeerTestPacket handles messages 5-7 (type 7, out of session);
// the first 16 header bytes are unprotected (our intro key).
func (e *extensions) handlePeerTestPacket(pkt []byte, from netip.AddrPort) {
	t := e.t
	ik := &t.cfg.IntroKey
	h, blocks, ok := t.openBlocks(pkt, ik)
	if !ok {
		return
	}
	var pt *PeerTest
	var addr netip.AddrPort
	for _, b := range blocks {
		switch b.typ {
		case blkPeerTest:
			if x, err := ParsePeerTest(b.data); err == nil {
				pt = &x
			}
		case blkAddress:
			addr, _ = parseAddress(b.data)
		}
	}
	if pt == nil {
		t.dropped.Add(1)
		return
	}
	n, inv := peerTestIDs(pt.Nonce)
	switch pt.Msg {
	case 5:
		if h.dstID == n && h.srcID == inv {
			e.aliceGot5(*pt, from)
			return
		}
	case 6:
		if h.dstID == inv && h.srcID == n {
			e.charlieGot6(*pt, from)
			return
		}
	case 7:
		if h.dstID == n && h.srcID == inv {
			e.aliceGot7(*pt, addr)
			return
		}
	}
	t.dropped.Add(1)
}

func (e *extensions) charlieGot6(pt PeerTest, from netip.AddrPort) {
	e.mu.Lock()
	ct := e.charlie[pt.Nonce]
	if ct != nil {
		delete(e.charlie, pt.Nonce)
	}
	e.mu.Unlock()
	if ct == nil {
		e.t.dropped.Add(1)
		return
	}
	n, inv := peerTestIDs(pt.Nonce)
	m7 := ct.msg
	m7.Msg = 7
	e.sendPeerTestPacket(n, inv, &ct.aliceIntro, from, from, m7)
}

// ---- Alice ----

func (e *extensions) aliceGot4(bob *Session, pt PeerTest) {
	t := e.t
	e.mu.Lock()
	a := e.alice[pt.Nonce]
	if a == nil || a.bob != bob || !a.got4.IsZero() {
		e.mu.Unlock()
		t.dropped.Add(1)
		return
	}
	a.got4 = t.cfg.now()
	a.msg4 = pt
	e.mu.Unlock()
	if pt.Code != PeerTestAccept {
		t.log.Info("peer test rejected", "code", pt.Code, "bob", shortHash(bob.remote), "charlie", shortHash(pt.Hash))
		e.finishAlice(a, ReachUnknown)
		return
	}
	var charlie Peer
	ok := false
	if t.cfg.PeerOf != nil {
		charlie, ok = t.cfg.PeerOf(pt.Hash)
	}
	if !ok || t.cfg.VerifyRouter == nil {
		e.finishAlice(a, ReachUnknown)
		return
	}
	me := t.cfg.RouterHash
	if err := pt.Verify(bob.remote, &me, func(m, sig []byte) error { return t.cfg.VerifyRouter(pt.Hash, m, sig) }); err != nil {
		t.log.Debug("peer test: Charlie's signature", "err", err)
		e.finishAlice(a, ReachUnknown)
		return
	}
	e.mu.Lock()
	a.charlie = charlie
	got5 := a.got5
	e.mu.Unlock()
	if got5 {
		e.aliceSend6(a)
		e.finishAlice(a, ReachOK)
	}
	// Otherwise housekeeping declares us firewalled if 5 does not come.
}

func (e *extensions) aliceGot5(pt PeerTest, from netip.AddrPort) {
	e.mu.Lock()
	a := e.alice[pt.Nonce]
	if a == nil || a.got5 {
		e.mu.Unlock()
		return
	}
	a.got5, a.from5 = true, from
	have4 := !a.got4.IsZero() && a.charlie.Addr.IsValid()
	e.mu.Unlock()
	if have4 {
		e.aliceSend6(a)
		e.finishAlice(a, ReachOK)
	}
}

func (e *extensions) aliceSend6(a *aliceTest) {
	e.mu.Lock()
	if a.sent6 {
		e.mu.Unlock()
		return
	}
	a.sent6 = true
	m6 := a.msg4
	c := a.charlie
	e.mu.Unlock()
	m6.Msg = 6
	n, inv := peerTestIDs(a.nonce)
	e.sendPeerTestPacket(inv, n, &c.IntroKey, c.Addr, c.Addr, m6)
}

func (e *extensions) aliceGot7(pt PeerTest, addr netip.AddrPort) {
	e.mu.Lock()
	a := e.alice[pt.Nonce]
	if a != nil {
		delete(e.alice, pt.Nonce)
	}
	e.mu.Unlock()
	if a == nil || !addr.IsValid() {
		return
	}
	e.mu.Lock()
	e.observed = addr
	e.mu.Unlock()
	if me := e.t.cfg.PublicAddr(); me.IsValid() && addr.Port() != me.Port() {
		e.setStatus(ReachSymmetricNAT)
	}
}

// finishAlice records a test's result once; ReachUnknown is a failed test.
func (e *extensions) finishAlice(a *aliceTest, r Reachability) {
	e.mu.Lock()
	if a.finished {
		e.mu.Unlock()
		return
	}
	a.finished = true
	if r == ReachUnknown || r == ReachFirewalled {
		delete(e.alice, a.nonce)
	}
	e.mu.Unlock()
	if r == ReachUnknown {
		e.failed.Add(1)
		return
	}
	e.ok.Add(1)
	e.setStatus(r)
}

// housekeeping expires test state and declares firewalled the tests whose
// message 5 never came.
func (e *extensions) housekeeping(now time.Time) {
	var firewalled, timedOut []*aliceTest
	e.mu.Lock()
	for n, a := range e.alice {
		switch {
		case !a.got4.IsZero() && a.msg4.Code == PeerTestAccept && !a.got5 && now.Sub(a.got4) > peerTestWait5:
			firewalled = append(firewalled, a)
		case now.Sub(a.started) > peerTestTimeout:
			if !a.finished {
				timedOut = append(timedOut, a)
			}
			delete(e.alice, n)
		}
	}
	for n, b := range e.bob {
		if now.Sub(b.created) > peerTestLife {
			delete(e.bob, n)
		}
	}
	for n, c := range e.charlie {
		if now.Sub(c.created) > peerTestLife {
			delete(e.charlie, n)
		}
	}
	e.mu.Unlock()
	for _, a := range firewalled {
		e.finishAlice(a, ReachFirewalled)
	}
	for _, a := range timedOut {
		e.finishAlice(a, ReachUnknown)
	}
	e.relay.housekeeping(e, now)
}

// observedAddress records the address a peer saw us at (Address blocks
// of SessionCreated and Retry).
func (e *extensions) observedAddress(peer [32]byte, ap netip.AddrPort) {
	if !ap.IsValid() {
		return
	}
	e.mu.Lock()
	e.observed = ap
	e.mu.Unlock()
}

// handleBlock gets the peer test and relay blocks of a session.
func (e *extensions) handleBlock(s *Session, typ uint8, d []byte, from netip.AddrPort) {
	switch typ {
	case blkPeerTest:
		e.handlePeerTestBlock(s, d)
	case blkRelayTag:
		if len(d) == 4 {
			e.relay.tagReceived(e, s, binary.BigEndian.Uint32(d))
		}
	case blkRelayTagRequest, blkRelayRequest, blkRelayResponse, blkRelayIntro:
		e.relay.handleBlock(e, s, typ, d)
	case blkAddress:
		if ap, err := parseAddress(d); err == nil {
			e.observedAddress(s.remote, ap)
		}
	}
}

func (s *Session) maxPayloadSafe() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxPayload()
}
