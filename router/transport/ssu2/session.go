package ssu2

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Data phase parameters (as i2pd 2.45.1 where it has one).
const (
	minWindow     = 16  // packets in flight
	maxWindow     = 256 //
	minRTO        = 100 * time.Millisecond
	maxRTO        = 2500 * time.Millisecond
	initialRTO    = 540 * time.Millisecond
	ackDelay      = 15 * time.Millisecond
	maxFragSends  = 8  // a fragment sent this often without an ACK: its message is dropped
	maxRTOs       = 10 // RTO expiries in a row without any ACK: the peer stopped ACKing
	maxAckRanges  = 16
	maxFragments  = 64
	reasmTimeout  = 30 * time.Second
	maxReasmBytes = 1 << 20 // per session, incomplete messages
	maxPartials   = 256
	recentMsgIDs  = 4096
	maxPathData   = 64
	maxCtrlQueued = 64
	// pathTimeout ends a path validation without a Path Response: the
	// session stays on its old address (ssu2.rst, "Path Validation").
	pathTimeout = 3 * time.Second
	// pathResend is how often a Path Challenge is sent again while the
	// validation lasts (and what the candidate sent us allows).
	pathResend = time.Second
)

type sessionParams struct {
	remote       [32]byte
	outbound     bool
	addr         netip.AddrPort
	mtu          int
	rcvID, sndID uint64
	send, recv   dataKeys
	peerIntro    [32]byte
	skew         time.Duration
	confirmedK2  [32]byte // Bob: SessionConfirmed's k_header_2, for resent ones
}

// Session is an established SSU2 session with one peer.
type Session struct {
	t            *Transport
	remote       [32]byte
	outbound     bool
	created      time.Time
	skew         time.Duration
	rcvID, sndID uint64
	mtu          int
	sendAEAD     cipher.AEAD
	recvAEAD     cipher.AEAD
	sendK2       [32]byte
	recvK2       [32]byte
	peerIntro    [32]byte
	confirmedK2  [32]byte

	established       atomic.Bool
	bytesIn, bytesOut atomic.Uint64
	onFirstPacket     func()
	firstPN           uint32

	done chan struct{}
	wake chan struct{}

	mu struct {
		sync.Mutex
		addr    netip.AddrPort
		closed  bool
		err     error
		started bool
	}
	// The fields below are guarded by mu too (kept flat for brevity).
	addrCand       netip.AddrPort
	pathData       [8]byte
	pathDeadline   time.Time // end of the path validation
	pathNext       time.Time // next Path Challenge resend
	candBytes      int       // bytes received from addrCand
	challengeBytes int       // bytes of Path Challenges sent to addrCand
	side           []sidePacket
	nextPN         uint32
	gotFirst       bool
	rw             recvWindow
	ackNow         bool
	ackPending     int
	ackDue         time.Time
	sendNewToken   bool
	queue          []*outMsg
	resendQ        []*frag
	inflight       map[uint32]*sentPacket
	cwnd, ssthresh float64
	srtt, rttvar   time.Duration
	rto            time.Duration
	recoveryPN     uint32
	rtoCount       int
	lastRTO        time.Time
	lastRecv       time.Time
	lastSend       time.Time
	reasm          map[uint32]*partial
	reasmBytes     int
	recent         msgRing
	ctrl           [][]byte // blocks to send once (path, relay, peer test, RouterInfo)
	closing        uint8    // termination reason to send
	closingSet     bool
}

// sidePacket is a packet for an address other than the session's (a Path
// Challenge to a candidate address).
type sidePacket struct {
	pkt []byte
	to  netip.AddrPort
}

type outMsg struct {
	id      uint32
	data    []byte // short-header I2NP
	frags   []*frag
	left    int // frags not yet acked
	dropped bool
}

type frag struct {
	m        *outMsg
	idx      int
	off, n   int
	acked    bool
	pn       uint32 // the packet that carries it now
	inflight bool
	sends    int
}

type sentPacket struct {
	at    time.Time
	frags []*frag
}

type partial struct {
	parts   [maxFragments][]byte
	last    int // -1: unknown
	have    int
	bytes   int
	created time.Time
}

// msgRing remembers recently completed I2NP message IDs.
type msgRing struct {
	ids  [recentMsgIDs]uint32
	next int
	set  map[uint32]struct{}
}

func (r *msgRing) seen(id uint32) bool {
	_, ok := r.set[id]
	return ok
}

func (r *msgRing) add(id uint32) {
	if r.set == nil {
		r.set = make(map[uint32]struct{}, recentMsgIDs)
	}
	if len(r.set) >= recentMsgIDs {
		delete(r.set, r.ids[r.next])
	}
	r.ids[r.next] = id
	r.next = (r.next + 1) % recentMsgIDs
	r.set[id] = struct{}{}
}

func newSession(t *Transport, p sessionParams) *Session {
	s := &Session{
		t: t, remote: p.remote, outbound: p.outbound, created: t.cfg.now(), skew: p.skew,
		rcvID: p.rcvID, sndID: p.sndID, mtu: p.mtu,
		sendK2: p.send.k2, recvK2: p.recv.k2, peerIntro: p.peerIntro, confirmedK2: p.confirmedK2,
		done: make(chan struct{}), wake: make(chan struct{}, 1),
	}
	s.sendAEAD, _ = chacha20poly1305.New(p.send.k[:])
	s.recvAEAD, _ = chacha20poly1305.New(p.recv.k[:])
	s.mu.addr = p.addr
	s.inflight = make(map[uint32]*sentPacket)
	s.reasm = make(map[uint32]*partial)
	s.cwnd, s.ssthresh = minWindow, maxWindow
	s.rto = initialRTO
	s.lastRecv, s.lastSend = s.created, s.created
	return s
}

// Remote is the peer's router hash.
func (s *Session) Remote() [32]byte { return s.remote }

// Outbound says whether we dialed.
func (s *Session) Outbound() bool { return s.outbound }

// Created is when the handshake finished.
func (s *Session) Created() time.Time { return s.created }

// ClockSkew is the peer's clock minus ours, from the handshake.
func (s *Session) ClockSkew() time.Duration { return s.skew }

// BytesIn and BytesOut count datagram bytes.
func (s *Session) BytesIn() uint64  { return s.bytesIn.Load() }
func (s *Session) BytesOut() uint64 { return s.bytesOut.Load() }

// Done is closed when the session ends.
func (s *Session) Done() <-chan struct{} { return s.done }

// Addr is the peer's current address.
func (s *Session) Addr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.addr
}

// MTU is the session's path MTU.
func (s *Session) MTU() int { return s.mtu }

// RTT is the smoothed round-trip time (0 before the first sample).
func (s *Session) RTT() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srtt
}

// Window is the congestion window in packets.
func (s *Session) Window() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.cwnd)
}

// Pending is how many messages are queued or sent and not yet
// acknowledged by the peer (dropped ones not counted).
func (s *Session) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	open := make(map[*outMsg]bool)
	add := func(f *frag) {
		if f.m.left > 0 && !f.m.dropped {
			open[f.m] = true
		}
	}
	for _, sp := range s.inflight {
		for _, f := range sp.frags {
			add(f)
		}
	}
	for _, f := range s.resendQ {
		add(f)
	}
	for _, m := range s.queue {
		if !m.dropped {
			open[m] = true
		}
	}
	return len(open)
}

// Err is why the session ended (nil while it runs).
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.err
}

func (s *Session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Send queues one short-header I2NP message (9-byte header + body). It
// never blocks: when the queue is full the oldest message not yet started
// is dropped.
func (s *Session) Send(msg []byte) error {
	if len(msg) < 9 || len(msg) > 65535 {
		return ErrBlock
	}
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.queue) >= orInt(s.t.cfg.QueueLen, 512) {
		s.queue = s.queue[1:]
		s.t.dropped.Add(1)
	}
	s.queue = append(s.queue, &outMsg{id: binary.BigEndian.Uint32(msg[1:5]), data: msg})
	s.mu.Unlock()
	s.poke()
	return nil
}

// SendRouterInfo sends a RouterInfo block (ours, updated), gzipped when
// that is smaller.
func (s *Session) SendRouterInfo(ri []byte, flood bool) error {
	var flag byte
	if flood {
		flag = 1
	}
	if z, err := gzipBytes(ri); err == nil && len(z) < len(ri) {
		ri, flag = z, flag|2
	}
	b := appendRouterInfoBlock(nil, flag, ri)
	if len(b) > s.maxPayload()-8 {
		return ErrBlock
	}
	return s.queueCtrl(b)
}

// queueCtrl sends a block once, in the next packet.
func (s *Session) queueCtrl(b []byte) error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.ctrl) >= maxCtrlQueued {
		s.mu.Unlock()
		return ErrQueueFull
	}
	s.ctrl = append(s.ctrl, b)
	s.mu.Unlock()
	s.poke()
	return nil
}

func (s *Session) maxPayload() int {
	mtu := s.mtu
	if s.addrCand.IsValid() {
		mtu = MinMTU // during path validation (ssu2.rst)
	}
	return mtu - overheadFor(s.mu.addr) - shortHeaderLen - macLen
}

// challengeLocked seals a Path Challenge for the candidate address (with
// an ACK and an Address block, as the spec's path validation sends).
func (s *Session) challengeLocked() []byte {
	mp := s.rw.appendAck(nil, 4)
	mp = appendBlock(mp, blkPathChallenge, s.pathData[:])
	mp = appendAddress(mp, s.addrCand)
	return s.sealLocked(mp, false)
}

func minTime(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.Before(t) {
			t = u
		}
	}
	return t
}

// Close ends the session, sending a Termination block with reason.
func (s *Session) Close(reason uint8) {
	s.fail(&TerminationError{Reason: reason}, reason, true)
}

// fail ends the session once. With term, a Termination goes out first.
func (s *Session) fail(err error, reason uint8, term bool) {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return
	}
	s.mu.closed = true
	s.mu.err = err
	var pkt []byte
	addr := s.mu.addr
	if term {
		// Termination first: i2pd 2.45.1 reads the reason at payload
		// byte 11, i.e. from a Termination that is the first block.
		p := appendTermination(nil, uint64(s.rw.highest), reason)
		pkt = s.sealLocked(p, false)
	}
	started := s.mu.started
	s.queue, s.resendQ, s.inflight, s.reasm, s.ctrl = nil, nil, nil, nil, nil
	s.mu.Unlock()
	if pkt != nil {
		s.t.write(pkt, addr)
	}
	close(s.done)
	s.t.unregister(s)
	if started {
		s.t.cfg.Handler.SessionClosed(s, err)
	}
}

// start runs the session's send loop.
func (s *Session) start() {
	s.mu.Lock()
	if s.mu.closed || s.mu.started {
		s.mu.Unlock()
		return
	}
	s.mu.started = true
	s.established.Store(true)
	s.mu.Unlock()
	s.t.wg.Add(1)
	go func() {
		defer s.t.wg.Done()
		s.run()
	}()
}

func (s *Session) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := s.t.cfg.now()
		s.mu.Lock()
		pkts, next, fail := s.pumpLocked(now)
		addr := s.mu.addr
		side := s.side
		s.side = nil
		s.mu.Unlock()
		for _, p := range pkts {
			s.bytesOut.Add(uint64(len(p)))
			s.t.write(p, addr)
		}
		for _, p := range side {
			s.bytesOut.Add(uint64(len(p.pkt)))
			s.t.write(p.pkt, p.to)
		}
		if fail != nil {
			s.fail(fail, ReasonTimeout, true)
			return
		}
		d := next.Sub(s.t.cfg.now())
		if d < time.Millisecond {
			d = time.Millisecond
		}
		timer.Reset(d)
		select {
		case <-s.done:
			return
		case <-s.t.ctx.Done():
			return
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-timer.C:
		}
	}
}

// sealLocked encrypts a payload as the next data packet.
func (s *Session) sealLocked(payload []byte, immediateAck bool) []byte {
	if len(payload) < 8 {
		payload = appendPadding(payload, 8-len(payload)-3+3)
	}
	pn := s.nextPN
	if pn < s.firstPN {
		pn = s.firstPN
	}
	s.nextPN = pn + 1
	h := header{dstID: s.sndID, pn: pn, typ: typeData}
	if immediateAck {
		h.ver = 1
	}
	pkt := make([]byte, shortHeaderLen, shortHeaderLen+len(payload)+macLen)
	h.putShort(pkt)
	n := nonceFor(uint64(pn))
	pkt = s.sendAEAD.Seal(pkt, n[:], payload, pkt[:shortHeaderLen])
	xorHeader16(pkt, &s.peerIntro, &s.sendK2)
	s.lastSend = s.t.cfg.now()
	return pkt
}

// pumpLocked declares losses, builds what can be sent now and returns the
// next time it must run.
func (s *Session) pumpLocked(now time.Time) (pkts [][]byte, next time.Time, fail error) {
	if s.mu.closed {
		return nil, now.Add(time.Hour), nil
	}
	next = now.Add(time.Hour)
	// Idle.
	if now.Sub(s.lastRecv) > s.t.cfg.idle() {
		return nil, next, &TerminationError{Reason: ReasonIdle}
	}
	// RTO losses.
	rtoHit := false
	for pn, sp := range s.inflight {
		if now.Sub(sp.at) >= s.rto {
			s.lostLocked(pn, sp)
			rtoHit = true
		}
	}
	if rtoHit && now.Sub(s.lastRTO) >= s.rto {
		// One count per (backed-off) RTO period, however many packets
		// expired in it.
		s.lastRTO = now
		s.rtoCount++
		if s.rtoCount >= maxRTOs {
			return nil, next, &TerminationError{Reason: ReasonTimeout}
		}
		s.rto = min(2*s.rto, maxRTO)
		s.ssthresh = max(s.cwnd/2, minWindow)
		s.cwnd = minWindow
		s.recoveryPN = s.nextPN
	}
	// Reassembly timeouts.
	for id, p := range s.reasm {
		if now.Sub(p.created) > reasmTimeout {
			s.reasmBytes -= p.bytes
			delete(s.reasm, id)
		}
	}
	// Path validation: resend the challenge while the candidate has sent
	// us at least as much as we sent it; give up at the deadline.
	if s.addrCand.IsValid() {
		if !now.Before(s.pathDeadline) {
			s.addrCand = netip.AddrPort{}
		} else {
			if !now.Before(s.pathNext) {
				s.pathNext = now.Add(pathResend)
				if c := s.challengeLocked(); s.challengeBytes+len(c) <= s.candBytes {
					s.challengeBytes += len(c)
					s.side = append(s.side, sidePacket{c, s.addrCand})
				}
			}
			next = minTime(next, s.pathNext, s.pathDeadline)
		}
	}
	max := s.maxPayload()
	for {
		ackDue := s.ackNow || (s.ackPending > 0 && !now.Before(s.ackDue))
		canData := len(s.inflight) < int(s.cwnd)
		hasData := canData && (len(s.resendQ) > 0 || len(s.queue) > 0)
		hasCtrl := len(s.ctrl) > 0 || s.sendNewToken
		if !ackDue && !hasData && !hasCtrl {
			break
		}
		p := make([]byte, 0, max)
		if s.rw.any {
			p = s.rw.appendAck(p, maxAckRanges)
		}
		s.ackNow, s.ackPending = false, 0
		eliciting := false
		if s.sendNewToken {
			tok := s.t.issueToken(s.mu.addr, newTokenLife)
			p = appendNewToken(p, nowSeconds(now.Add(newTokenLife)), tok)
			s.sendNewToken = false
			eliciting = true
		}
		for len(s.ctrl) > 0 && len(s.ctrl[0]) > max-48 {
			s.ctrl = s.ctrl[1:] // can never fit
		}
		for len(s.ctrl) > 0 && len(p)+len(s.ctrl[0]) <= max {
			p = append(p, s.ctrl[0]...)
			s.ctrl = s.ctrl[1:]
			eliciting = true
		}
		var sent []*frag
		if canData {
			sent, p = s.fillLocked(p, max)
		}
		if len(sent) > 0 {
			eliciting = true
		}
		pn := max32(s.nextPN, s.firstPN)
		pkt := s.sealLocked(p, false)
		pkts = append(pkts, pkt)
		if len(sent) > 0 {
			for _, f := range sent {
				f.pn, f.inflight = pn, true
				f.sends++
				if f.sends > 1 {
					s.t.resent.Add(1)
				}
			}
			s.inflight[pn] = &sentPacket{at: now, frags: sent}
		} else if eliciting {
			s.inflight[pn] = &sentPacket{at: now}
		}
		if len(pkts) >= 64 {
			next = now // more to do: yield, then go on
			break
		}
	}
	// Keepalive.
	if now.Sub(s.lastSend) >= s.t.cfg.keepAlive() {
		p := appendDateTime(nil, nowSeconds(now))
		pn := max32(s.nextPN, s.firstPN)
		pkts = append(pkts, s.sealLocked(p, false))
		s.inflight[pn] = &sentPacket{at: now}
	}
	// Next deadline.
	if s.ackPending > 0 && s.ackDue.Before(next) {
		next = s.ackDue
	}
	for _, sp := range s.inflight {
		if d := sp.at.Add(s.rto); d.Before(next) {
			next = d
		}
	}
	if d := s.lastSend.Add(s.t.cfg.keepAlive()); d.Before(next) {
		next = d
	}
	if d := s.lastRecv.Add(s.t.cfg.idle()); d.Before(next) {
		next = d
	}
	return pkts, next, nil
}

func max32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

// fillLocked adds fragments (resends first) to p while they fit.
func (s *Session) fillLocked(p []byte, max int) ([]*frag, []byte) {
	var sent []*frag
	for len(s.resendQ) > 0 {
		f := s.resendQ[0]
		if f.acked || f.m.dropped || f.inflight {
			s.resendQ = s.resendQ[1:]
			continue
		}
		if len(p)+fragBlockLen(f) > max {
			return sent, p
		}
		p = appendFrag(p, f)
		sent = append(sent, f)
		s.resendQ = s.resendQ[1:]
	}
	for len(s.queue) > 0 {
		m := s.queue[0]
		if m.frags == nil {
			s.planLocked(m, max)
		}
		started := false
		for _, f := range m.frags {
			if f.sends > 0 || f.inflight {
				continue
			}
			if len(p)+fragBlockLen(f) > max {
				if started || len(sent) > 0 {
					return sent, p
				}
				return sent, p
			}
			p = appendFrag(p, f)
			sent = append(sent, f)
			f.inflight = true // so that the loop skips it; reset by the caller's bookkeeping
			started = true
		}
		s.queue = s.queue[1:]
	}
	return sent, p
}

// planLocked splits m into fragments for payloads of max bytes (leaving
// room for an ACK block).
func (s *Session) planLocked(m *outMsg, max int) {
	room := max - 3 - 8 - 2*maxAckRanges // what one block may use
	if len(m.data) <= room {
		m.frags = []*frag{{m: m, idx: 0, off: 0, n: len(m.data)}}
	} else {
		off := 0
		for i := 0; off < len(m.data) && i < maxFragments; i++ {
			n := room
			if i > 0 {
				n = room - 5
			}
			n = min(n, len(m.data)-off)
			m.frags = append(m.frags, &frag{m: m, idx: i, off: off, n: n})
			off += n
		}
		if off < len(m.data) { // more than 64 fragments: cannot be sent
			m.frags = nil
			m.dropped = true
			s.t.dropped.Add(1)
			return
		}
	}
	m.left = len(m.frags)
}

func fragBlockLen(f *frag) int {
	if f.idx == 0 {
		return 3 + f.n
	}
	return 3 + 5 + f.n
}

func appendFrag(p []byte, f *frag) []byte {
	m := f.m
	part := m.data[f.off : f.off+f.n]
	switch {
	case len(m.frags) == 1:
		return appendI2NPBlock(p, part)
	case f.idx == 0:
		return appendFirstFragment(p, part)
	default:
		return appendFollowOn(p, f.idx, f.idx == len(m.frags)-1, m.id, part)
	}
}

// lostLocked declares packet pn lost: its unacked fragments are resent.
func (s *Session) lostLocked(pn uint32, sp *sentPacket) {
	delete(s.inflight, pn)
	for _, f := range sp.frags {
		if f.acked || f.pn != pn || f.m.dropped {
			continue
		}
		f.inflight = false
		if f.sends >= maxFragSends {
			f.m.dropped = true
			s.t.dropped.Add(1)
			continue
		}
		s.resendQ = append(s.resendQ, f)
	}
}

// handlePacket processes a datagram whose first 8 header bytes are
// unprotected. It runs on the transport's reader goroutine.
func (s *Session) handlePacket(pkt []byte, from netip.AddrPort) {
	var second [8]byte
	copy(second[:], pkt[8:16])
	xorSecond8(pkt, &s.recvK2)
	if pkt[12] != typeData {
		copy(pkt[8:16], second[:])
		if !s.outbound {
			xorSecond8(pkt, &s.confirmedK2)
			if pkt[12] == typeSessionConfirmed {
				// Our ACK of packet 0 was lost: ACK again.
				s.mu.Lock()
				s.ackNow = true
				s.mu.Unlock()
				s.poke()
				return
			}
		}
		s.t.dropped.Add(1)
		return
	}
	h := parseShort(pkt)
	n := nonceFor(uint64(h.pn))
	p, err := s.recvAEAD.Open(nil, n[:], pkt[shortHeaderLen:], pkt[:shortHeaderLen])
	if err != nil {
		s.t.dropped.Add(1)
		return
	}
	s.bytesIn.Add(uint64(len(pkt)))
	blocks, err := parseBlocks(p, nil)
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return
	}
	if !s.rw.add(h.pn) {
		s.mu.Unlock()
		s.t.dropped.Add(1)
		return
	}
	now := s.t.cfg.now()
	s.lastRecv = now
	first := !s.gotFirst
	s.gotFirst = true
	if err != nil {
		s.mu.Unlock()
		s.fail(err, ReasonPayloadFormat, true)
		return
	}
	var migrate []byte
	if from != s.mu.addr {
		if from != s.addrCand {
			// Connection migration (ssu2.rst, "Connection Migration"):
			// validate the new address before using it, with the
			// congestion window and the MTU at their minimum meanwhile.
			s.addrCand = from
			randRead(s.pathData[:])
			s.pathDeadline = now.Add(max(pathTimeout, 3*s.rto))
			s.pathNext = now.Add(pathResend)
			s.candBytes, s.challengeBytes = 0, 0
			s.cwnd = minWindow
			migrate = s.challengeLocked()
			s.challengeBytes = len(migrate)
		}
		s.candBytes += len(pkt)
	}
	deliver := s.handleBlocksLocked(blocks, from)
	onFirst := s.onFirstPacket
	if first {
		s.onFirstPacket = nil
	}
	s.mu.Unlock()
	if migrate != nil {
		s.t.write(migrate, from)
	}
	if first && onFirst != nil {
		onFirst()
	}
	s.deliver(deliver)
	if h.ver&1 != 0 {
		s.mu.Lock()
		s.ackNow = true
		s.mu.Unlock()
	}
	s.poke()
}

// delivery is what handleBlocksLocked found for the handler.
type delivery struct {
	msgs [][]byte
	ris  []riDelivery
	term *TerminationError
	ext  []extBlock
}

type riDelivery struct {
	ri    []byte
	flood bool
}

type extBlock struct {
	typ  uint8
	data []byte
	from netip.AddrPort
}

func (s *Session) handleBlocksLocked(blocks []block, from netip.AddrPort) delivery {
	var d delivery
	now := s.t.cfg.now()
	eliciting := false
	for _, b := range blocks {
		switch b.typ {
		case blkAck:
			if a, err := parseAck(b.data); err == nil {
				s.ackLocked(a, now)
			}
			continue
		case blkPadding:
			continue
		case blkI2NP:
			if len(b.data) >= 9 {
				id := binary.BigEndian.Uint32(b.data[1:5])
				if !s.recent.seen(id) {
					s.recent.add(id)
					d.msgs = append(d.msgs, b.data)
				}
			}
		case blkFirstFragment:
			if len(b.data) > 9 {
				if m := s.fragmentLocked(binary.BigEndian.Uint32(b.data[1:5]), 0, false, b.data, now); m != nil {
					d.msgs = append(d.msgs, m)
				}
			}
		case blkFollowOn:
			if len(b.data) > 5 {
				n := int(b.data[0] >> 1)
				if n >= 1 && n < maxFragments {
					if m := s.fragmentLocked(binary.BigEndian.Uint32(b.data[1:5]), n, b.data[0]&1 != 0, b.data[5:], now); m != nil {
						d.msgs = append(d.msgs, m)
					}
				}
			}
		case blkRouterInfo:
			if len(b.data) > 2 {
				ri := b.data[2:]
				if b.data[0]&2 != 0 {
					z, err := gunzipLimited(ri, 64<<10)
					if err != nil {
						break
					}
					ri = z
				}
				d.ris = append(d.ris, riDelivery{ri, b.data[0]&1 != 0})
			}
		case blkTermination:
			if te, err := parseTermination(b.data); err == nil {
				d.term = te
			}
		case blkNewToken:
			if len(b.data) == 12 {
				s.t.storeToken(s.mu.addr, binary.BigEndian.Uint64(b.data[4:]), time.Unix(int64(binary.BigEndian.Uint32(b.data)), 0))
			}
		case blkPathChallenge:
			if len(b.data) <= maxPathData && len(s.ctrl) < maxCtrlQueued {
				s.ctrl = append(s.ctrl, appendBlock(nil, blkPathResponse, b.data))
			}
		case blkPathResponse:
			if s.addrCand.IsValid() && from == s.addrCand && bytes.Equal(b.data, s.pathData[:]) {
				s.mu.addr = s.addrCand
				s.addrCand = netip.AddrPort{}
				s.t.migrations.Add(1)
			}
		case blkRelayRequest, blkRelayResponse, blkRelayIntro, blkPeerTest, blkRelayTag, blkRelayTagRequest, blkAddress:
			d.ext = append(d.ext, extBlock{b.typ, b.data, from})
		case blkDateTime, blkOptions, blkCongestion, blkFirstPacketNum, blkNextNonce:
		}
		eliciting = true
	}
	if eliciting {
		s.ackPending++
		if s.ackPending >= 2 {
			s.ackNow = true
		} else if s.ackPending == 1 {
			s.ackDue = now.Add(ackDelay)
		}
	}
	return d
}

func (s *Session) deliver(d delivery) {
	h := s.t.cfg.Handler
	for _, m := range d.msgs {
		h.HandleI2NP(s.remote, m)
	}
	for _, r := range d.ris {
		h.HandleRouterInfo(s.remote, r.ri, r.flood)
	}
	for _, e := range d.ext {
		s.t.ext.handleBlock(s, e.typ, e.data, e.from)
	}
	if d.term != nil {
		if d.term.Reason == ReasonTermReceived {
			s.fail(d.term, 0, false)
		} else {
			s.fail(d.term, ReasonTermReceived, true)
		}
	}
}

// fragmentLocked stores fragment n of message id; it returns the whole
// message when complete.
func (s *Session) fragmentLocked(id uint32, n int, last bool, part []byte, now time.Time) []byte {
	if s.recent.seen(id) {
		return nil
	}
	p := s.reasm[id]
	if p == nil {
		if len(s.reasm) >= maxPartials {
			s.evictOldestLocked()
		}
		p = &partial{last: -1, created: now}
		s.reasm[id] = p
	}
	if p.parts[n] != nil {
		return nil
	}
	if last {
		if p.last >= 0 && p.last != n || n < p.have-1 {
			return nil
		}
		p.last = n
	}
	if p.last >= 0 && n > p.last {
		return nil
	}
	for s.reasmBytes+len(part) > maxReasmBytes && len(s.reasm) > 1 {
		if !s.evictOldestLocked() {
			break
		}
	}
	p.parts[n] = part
	p.have++
	p.bytes += len(part)
	s.reasmBytes += len(part)
	if p.last < 0 || p.have != p.last+1 {
		return nil
	}
	m := make([]byte, 0, p.bytes)
	for i := 0; i <= p.last; i++ {
		m = append(m, p.parts[i]...)
	}
	s.reasmBytes -= p.bytes
	delete(s.reasm, id)
	s.recent.add(id)
	if len(m) < 9 {
		return nil
	}
	return m
}

func (s *Session) evictOldestLocked() bool {
	var oldID uint32
	var old *partial
	for id, p := range s.reasm {
		if old == nil || p.created.Before(old.created) {
			oldID, old = id, p
		}
	}
	if old == nil {
		return false
	}
	s.reasmBytes -= old.bytes
	delete(s.reasm, oldID)
	return true
}

// ackLocked applies an ACK block: acked fragments are done, RTT is
// sampled, the window grows; packets three below an acked one are lost.
func (s *Session) ackLocked(a ack, now time.Time) {
	progress := false
	a.each(func(pn uint32) {
		sp := s.inflight[pn]
		if sp == nil {
			return
		}
		delete(s.inflight, pn)
		progress = true
		if pn == a.through {
			s.rttSampleLocked(now.Sub(sp.at))
		}
		for _, f := range sp.frags {
			if f.acked {
				continue
			}
			f.acked = true
			if f.pn == pn {
				f.inflight = false
			}
			f.m.left--
		}
		if s.cwnd < s.ssthresh {
			s.cwnd++
		} else {
			s.cwnd += 1 / s.cwnd
		}
		if s.cwnd > maxWindow {
			s.cwnd = maxWindow
		}
		if s.addrCand.IsValid() {
			s.cwnd = minWindow // held there during path validation
		}
	})
	if !progress {
		return
	}
	s.rtoCount = 0
	// Fast retransmit: three later packets acked.
	lost := false
	for pn, sp := range s.inflight {
		if int64(pn)+3 <= int64(a.through) && int64(pn) >= a.lowest() {
			s.lostLocked(pn, sp)
			if pn >= s.recoveryPN {
				lost = true
			}
		}
	}
	if lost {
		s.ssthresh = max(s.cwnd/2, minWindow)
		s.cwnd = s.ssthresh
		s.recoveryPN = s.nextPN
	}
}

func (s *Session) rttSampleLocked(r time.Duration) {
	if s.srtt == 0 {
		s.srtt, s.rttvar = r, r/2
	} else {
		d := s.srtt - r
		if d < 0 {
			d = -d
		}
		s.rttvar = (3*s.rttvar + d) / 4
		s.srtt = (7*s.srtt + r) / 8
	}
	s.rto = min(max(s.srtt+4*s.rttvar+ackDelay, minRTO), maxRTO)
}
