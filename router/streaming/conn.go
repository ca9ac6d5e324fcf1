package streaming

import (
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// connState is the handshake state of a Conn. Closing is tracked apart,
// one flag per direction, because the two halves close independently.
//
//	stateInit ──SYN received──────────────▶ stateOpen
//	stateSynSent ──verified SYN reply─────▶ stateOpen
//	any ──RESET / max resends / idle / Close / both CLOSEs acked──▶ stateDone
type connState uint8

const (
	stateInit    connState = iota // incoming, SYN not yet processed
	stateSynSent                  // Dial sent the SYN
	stateOpen
	stateDone // removed from the Manager; err says why, nil for a clean end
)

const (
	// ackEvery is how many in-order packets we take before we ACK at
	// once instead of waiting for the ack timer.
	ackEvery = 4
	// maxAhead is how far beyond the next expected sequence number we
	// keep a packet, so that the NACKs of an ACK always fit in 255.
	maxAhead = MaxNACKs
	// encodeCap is the capacity of pooled encode buffers.
	encodeCap = 4096
)

var encodePool = sync.Pool{New: func() any { b := make([]byte, 0, encodeCap); return &b }}

// outPool recycles outPackets with their payload buffers. An outPacket
// goes back when it is acknowledged: its payload is only ever read under
// the Conn's mutex, while encoding.
var outPool = sync.Pool{New: func() any { return new(outPacket) }}

func newOutPacket(seq uint32, flags Flags, payload []byte) *outPacket {
	op := outPool.Get().(*outPacket)
	*op = outPacket{seq: seq, flags: flags, payload: append(op.payload[:0], payload...)}
	return op
}

func freeOutPacket(op *outPacket) {
	if cap(op.payload) > encodeCap {
		op.payload = nil
	}
	outPool.Put(op)
}

// outPacket is a sequenced packet we sent and the peer has not yet
// acknowledged.
type outPacket struct {
	seq     uint32
	flags   Flags // FlagSynchronize or FlagClose, else 0
	payload []byte
	sentAt  time.Time // last transmission
	sends   int       // transmissions so far
	probe   bool      // resent as a choke probe: no RTT sample (Karn)
	nacks   int       // NACKs since the last transmission
	// mark is our next sequence number at the last transmission: a NACK
	// counts only in an ACK through mark or later, that is, after the
	// peer saw a packet sent after this one.
	mark uint32
}

// rxSeg is an out-of-order packet we hold.
type rxSeg struct {
	payload []byte
	close   bool
}

// Conn is one stream; it implements net.Conn. All methods are safe for
// concurrent use.
type Conn struct {
	m        *Manager
	cfg      *Config
	local    Addr
	remote   Addr
	incoming bool
	localID  uint32        // set before the Conn is shared, then constant
	estab    chan struct{} // closed when the handshake ends either way
	done     chan struct{} // closed on stateDone
	readWake chan struct{} // capacity 1, never closed
	wrWake   chan struct{} // capacity 1, never closed
	rdl, wdl deadline

	mu    sync.Mutex
	state connState
	err   error // why the connection ended
	// peerID is the peer's stream ID: from the SYN for incoming
	// connections (set before sharing), from the SYN reply for ours.
	peerID   uint32
	sigType  crypto.SigType // the key that signs the peer's packets
	sigKey   []byte
	mss      int // payload bytes per packet we send
	lastRecv time.Time
	lastSend time.Time
	closedAt time.Time // when Close was called

	// Sending.
	nextSeq     uint32
	sendBuf     []byte // written, not yet in packets: sendBuf[sendOff:]
	sendOff     int
	flightBytes int
	inflight    []*outPacket // by sequence number
	writeClosed bool         // CloseWrite or Close called
	closeQueued bool         // our CLOSE has a sequence number
	closeAcked  bool
	keepAlive   bool // send an empty packet at the next flush
	cwnd        float64
	ssthresh    float64
	inRecovery  bool
	recoverSeq  uint32
	srtt        time.Duration
	rttvar      time.Duration
	rto         time.Duration
	rttValid    bool
	choked      bool // the peer asked us to stop (delay > 60000)
	resendTimer *time.Timer

	// Receiving.
	synRcvd      bool
	rcvNext      uint32 // next in-order sequence number
	ooo          map[uint32]rxSeg
	oooBytes     int
	oooMax       uint32
	readq        [][]byte
	readOff      int // into readq[0]
	readBytes    int
	remoteClosed bool // the peer's CLOSE was taken in order
	readClosed   bool // CloseRead or Close: discard what arrives
	userClosed   bool // Close called
	ackPending   int  // in-order packets not yet acknowledged
	ackNow       bool
	ackArmed     bool
	ackTimer     *time.Timer
	chokingPeer  bool
	nackScratch  [MaxNACKs]uint32
	checkTimer   *time.Timer // idle, keepalive, linger

	// Statistics.
	retransmits int
}

var _ net.Conn = (*Conn)(nil)

func newConn(m *Manager, localPort uint16, remote Addr, incoming bool) *Conn {
	now := time.Now()
	c := &Conn{
		m:        m,
		cfg:      &m.cfg,
		local:    Addr{Dest: m.local, Port: localPort},
		remote:   remote,
		incoming: incoming,
		estab:    make(chan struct{}),
		done:     make(chan struct{}),
		readWake: make(chan struct{}, 1),
		wrWake:   make(chan struct{}, 1),
		rdl:      newDeadline(),
		wdl:      newDeadline(),
		mss:      m.cfg.MTU,
		lastRecv: now,
		lastSend: now,
		cwnd:     float64(m.cfg.InitialWindow),
		ssthresh: float64(m.cfg.MaxWindow),
		rto:      m.cfg.InitialRTO,
	}
	return c
}

// ---- transmission ----

// transmit hands packets built under c.mu to the Session. Called without
// c.mu.
func (c *Conn) transmit(out []*[]byte) {
	for _, bp := range out {
		if err := c.m.sess.Send(c.remote.Dest, c.local.Port, c.remote.Port, *bp); err != nil {
			c.m.log.Debug("send failed", "stream", c.localID, "err", err)
		}
		if cap(*bp) <= 2*encodeCap {
			*bp = (*bp)[:0]
			encodePool.Put(bp)
		}
	}
}

func (c *Conn) resendDelayLocked() uint8 {
	s := (c.rto + time.Second - 1) / time.Second
	return uint8(min(s, 255))
}

// fillAckLocked writes what we have received into p.
func (c *Conn) fillAckLocked(p *Packet) {
	if !c.synRcvd {
		p.Flags |= FlagNoAck
		return
	}
	hi := c.rcvNext - 1
	if len(c.ooo) > 0 && c.oooMax > hi {
		hi = c.oooMax
		nacks := c.nackScratch[:0]
		for s := c.rcvNext; s < hi && len(nacks) < MaxNACKs; s++ {
			if _, ok := c.ooo[s]; !ok {
				nacks = append(nacks, s)
			}
		}
		p.NACKs = nacks
	}
	p.AckThrough = hi
	if c.chokingPeer {
		p.Flags |= FlagDelayRequested
		p.DelayRequested = DelayChoke
	}
	c.ackPending = 0
	c.ackNow = false
}

// buildLocked encodes a sequenced packet for (re)transmission, with fresh
// acknowledgement fields.
func (c *Conn) buildLocked(op *outPacket, now time.Time) *[]byte {
	p := Packet{
		SendStreamID:    c.peerID,
		ReceiveStreamID: c.localID,
		SequenceNum:     op.seq,
		ResendDelay:     c.resendDelayLocked(),
		Payload:         op.payload,
	}
	c.fillAckLocked(&p)
	signed := false
	switch {
	case op.flags.Has(FlagSynchronize):
		p.Flags |= FlagSynchronize | FlagFromIncluded | FlagMaxPacketSizeIncl
		p.From = c.m.local
		p.MaxPacketSize = uint16(c.cfg.MTU)
		if !c.incoming {
			// Replay prevention (0.9.58): the recipient's hash as NACKs.
			p.NACKs = HashNACKs(c.remote.Dest.Hash())
		}
		signed = true
	case op.flags.Has(FlagClose):
		p.Flags |= FlagClose
		signed = true
	}
	return c.encodeLocked(&p, signed, now)
}

func (c *Conn) encodeLocked(p *Packet, signed bool, now time.Time) *[]byte {
	bp := encodePool.Get().(*[]byte)
	var b []byte
	var err error
	if signed {
		b, err = p.AppendSigned((*bp)[:0], c.m.signer)
	} else {
		b, err = p.AppendBinary((*bp)[:0])
	}
	if err != nil {
		// Only a broken Signer gets here; the peer will time out.
		c.m.log.Debug("encoding packet", "stream", c.localID, "err", err)
		encodePool.Put(bp)
		return nil
	}
	c.lastSend = now
	*bp = b
	return bp
}

func appendOut(out []*[]byte, b *[]byte) []*[]byte {
	if b == nil {
		return out
	}
	return append(out, b)
}

// buildAckLocked encodes a plain ACK (sequence 0).
func (c *Conn) buildAckLocked(now time.Time) *[]byte {
	p := Packet{SendStreamID: c.peerID, ReceiveStreamID: c.localID}
	c.fillAckLocked(&p)
	return c.encodeLocked(&p, false, now)
}

// sendLocked transmits a new sequenced packet and tracks it.
func (c *Conn) sendLocked(op *outPacket, now time.Time, out []*[]byte) []*[]byte {
	op.sentAt, op.sends, op.mark = now, 1, c.nextSeq
	c.inflight = append(c.inflight, op)
	c.flightBytes += len(op.payload)
	out = appendOut(out, c.buildLocked(op, now))
	c.armResendLocked(now)
	return out
}

// retransmitLocked sends op again.
func (c *Conn) retransmitLocked(op *outPacket, now time.Time, out []*[]byte) []*[]byte {
	op.sentAt, op.nacks, op.mark = now, 0, c.nextSeq
	op.sends++
	c.retransmits++
	return appendOut(out, c.buildLocked(op, now))
}

// sendSynLocked starts the handshake of a dialed connection.
func (c *Conn) sendSynLocked(now time.Time) []*[]byte {
	c.state = stateSynSent
	c.nextSeq = 1
	out := c.sendLocked(&outPacket{seq: 0, flags: FlagSynchronize}, now, nil)
	c.armCheckLocked(now)
	return out
}

// acceptSynLocked takes the SYN of an incoming connection and answers it.
func (c *Conn) acceptSynLocked(p *Packet, now time.Time) []*[]byte {
	if c.state != stateInit {
		return nil
	}
	c.state = stateOpen
	close(c.estab)
	c.setPeerMTULocked(p)
	c.synRcvd = true
	c.receiveLocked(p)
	c.nextSeq = 1
	out := c.sendLocked(&outPacket{seq: 0, flags: FlagSynchronize}, now, nil)
	out = c.flushLocked(now, out)
	out = c.maybeAckLocked(now, out)
	c.armCheckLocked(now)
	c.checkFinishedLocked()
	return out
}

func (c *Conn) setPeerMTULocked(p *Packet) {
	if p.Flags.Has(FlagMaxPacketSizeIncl) && int(p.MaxPacketSize) >= minMTU {
		c.mss = min(c.cfg.MTU, int(p.MaxPacketSize))
	}
}

// flushLocked sends new packets while the window allows: data, then our
// CLOSE, or a keepalive.
func (c *Conn) flushLocked(now time.Time, out []*[]byte) []*[]byte {
	if c.state != stateOpen {
		return out
	}
	for {
		limit := int(c.cwnd)
		if c.choked {
			limit = 1 // one probe at a time while choked
		}
		if len(c.inflight) >= limit || c.nextSeq == ^uint32(0) {
			return out
		}
		var op *outPacket
		switch {
		case len(c.sendBuf) > c.sendOff:
			n := min(len(c.sendBuf)-c.sendOff, c.mss)
			op = newOutPacket(c.nextSeq, 0, c.sendBuf[c.sendOff:c.sendOff+n])
			c.sendOff += n
			if c.sendOff == len(c.sendBuf) {
				c.sendBuf, c.sendOff = c.sendBuf[:0], 0
			}
		case c.writeClosed && !c.closeQueued:
			op = newOutPacket(c.nextSeq, FlagClose, nil)
			c.closeQueued = true
		case c.keepAlive && !c.writeClosed:
			op = newOutPacket(c.nextSeq, 0, nil)
		default:
			return out
		}
		c.keepAlive = false
		c.nextSeq++
		out = c.sendLocked(op, now, out)
	}
}

// maybeAckLocked sends or schedules an ACK for what we received.
func (c *Conn) maybeAckLocked(now time.Time, out []*[]byte) []*[]byte {
	if !c.synRcvd || c.state != stateOpen {
		return out
	}
	if c.ackNow || c.ackPending >= ackEvery {
		return appendOut(out, c.buildAckLocked(now))
	}
	if c.ackPending > 0 && !c.ackArmed {
		c.ackArmed = true
		d := c.cfg.AckDelay
		if c.rttValid {
			d = min(max(c.srtt/10, 2*time.Millisecond), c.cfg.AckDelay)
		}
		if c.ackTimer == nil {
			c.ackTimer = time.AfterFunc(d, c.onAckTimer)
		} else {
			c.ackTimer.Reset(d)
		}
	}
	return out
}

func (c *Conn) onAckTimer() {
	c.mu.Lock()
	c.ackArmed = false
	var out []*[]byte
	if c.state == stateOpen && (c.ackPending > 0 || c.ackNow) {
		out = appendOut(out, c.buildAckLocked(time.Now()))
	}
	c.mu.Unlock()
	c.transmit(out)
}

// ---- retransmission ----

// armResendLocked points the resend timer at the earliest deadline of the
// packets in flight.
func (c *Conn) armResendLocked(now time.Time) {
	if len(c.inflight) == 0 {
		if c.resendTimer != nil {
			c.resendTimer.Stop()
		}
		return
	}
	due := c.inflight[0].sentAt
	for _, op := range c.inflight[1:] {
		if op.sentAt.Before(due) {
			due = op.sentAt
		}
	}
	d := max(due.Add(c.rto).Sub(now), time.Millisecond)
	if c.resendTimer == nil {
		c.resendTimer = time.AfterFunc(d, c.onResendTimer)
	} else {
		c.resendTimer.Reset(d)
	}
}

func (c *Conn) onResendTimer() {
	c.mu.Lock()
	now := time.Now()
	out := c.resendLocked(now)
	c.mu.Unlock()
	c.transmit(out)
}

// resendLocked retransmits every packet whose timeout passed, backs off
// the RTO and halves the window (RFC 6298 section 5; Java and i2pd halve
// rather than collapse to one packet). While the peer chokes us the
// resends are window probes and do not count towards MaxResends.
func (c *Conn) resendLocked(now time.Time) []*[]byte {
	if c.state == stateDone || len(c.inflight) == 0 {
		return nil
	}
	var out []*[]byte
	expired := false
	for _, op := range c.inflight {
		if now.Before(op.sentAt.Add(c.rto)) {
			continue
		}
		if c.choked {
			op.probe = true
			op.sends-- // not counted
		} else if op.sends >= c.cfg.MaxResends {
			err := ErrTimeout
			if c.state == stateSynSent {
				err = ErrConnectTimeout
			}
			c.m.log.Debug("giving up", "stream", c.localID, "seq", op.seq, "sends", op.sends)
			return c.failLocked(err, c.state == stateOpen)
		}
		expired = true
		out = c.retransmitLocked(op, now, out)
		if c.choked {
			break
		}
	}
	if expired {
		if !c.choked {
			c.lossLocked()
		}
		c.rto = min(2*c.rto, c.cfg.MaxRTO)
	}
	c.armResendLocked(now)
	return out
}

// lossLocked halves the window once per window of data.
func (c *Conn) lossLocked() {
	if c.inRecovery {
		return
	}
	c.ssthresh = max(c.cwnd/2, 2)
	c.cwnd = max(c.cwnd/2, 1)
	c.inRecovery = true
	c.recoverSeq = c.nextSeq - 1
}

// rttSampleLocked updates SRTT, RTTVAR and RTO (RFC 6298 section 2, as
// Java's ConnectionOptions.updateRTT).
func (c *Conn) rttSampleLocked(r time.Duration) {
	r = max(r, time.Millisecond)
	if !c.rttValid {
		c.srtt, c.rttvar, c.rttValid = r, r/2, true
	} else {
		diff := c.srtt - r
		if diff < 0 {
			diff = -diff
		}
		c.rttvar = (3*c.rttvar + diff) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	c.rto = min(max(c.srtt+max(4*c.rttvar, 10*time.Millisecond), c.cfg.MinRTO), c.cfg.MaxRTO)
}

// processAckLocked applies the ackThrough and NACKs of p to what we have
// in flight.
func (c *Conn) processAckLocked(p *Packet, now time.Time, out []*[]byte) []*[]byte {
	ack := p.AckThrough
	if ack >= c.nextSeq {
		return out // acknowledges what we never sent
	}
	nacks := p.NACKs
	if !slices.IsSorted(nacks) {
		slices.Sort(nacks) // ParsePacket copied them: ours to sort
	}
	acked := 0
	var fast []*outPacket
	keep := c.inflight[:0]
	for _, op := range c.inflight {
		if op.seq <= ack {
			if _, nacked := slices.BinarySearch(nacks, op.seq); !nacked {
				acked++
				if op.sends == 1 && !op.probe {
					c.rttSampleLocked(now.Sub(op.sentAt))
				}
				if op.flags.Has(FlagClose) {
					c.closeAcked = true
				}
				c.flightBytes -= len(op.payload)
				if c.cwnd < c.ssthresh {
					c.cwnd++
				} else {
					c.cwnd += 1 / c.cwnd
				}
				freeOutPacket(op)
				continue
			}
			if ack >= op.mark {
				op.nacks++
				if op.nacks >= 2 {
					fast = append(fast, op)
				}
			}
		}
		keep = append(keep, op)
	}
	clear(c.inflight[len(keep):])
	c.inflight = keep
	c.cwnd = min(c.cwnd, float64(c.cfg.MaxWindow))
	if c.inRecovery && (len(c.inflight) == 0 || c.inflight[0].seq > c.recoverSeq) {
		c.inRecovery = false
	}
	if acked > 0 {
		if c.rttValid {
			// New data acknowledged: drop the back-off.
			c.rto = min(max(c.srtt+max(4*c.rttvar, 10*time.Millisecond), c.cfg.MinRTO), c.cfg.MaxRTO)
		}
		signal(c.wrWake)
	}
	for _, op := range fast {
		if op.sends >= c.cfg.MaxResends {
			return c.failLocked(ErrTimeout, true)
		}
		c.lossLocked()
		out = c.retransmitLocked(op, now, out)
	}
	if acked > 0 || len(fast) > 0 {
		c.armResendLocked(now)
	}
	return out
}

// ---- receiving ----

// handle processes one packet addressed to this connection.
func (c *Conn) handle(p *Packet, raw []byte) {
	var arr [8]*[]byte
	c.mu.Lock()
	out := c.handleLocked(p, raw, time.Now(), arr[:0])
	c.mu.Unlock()
	c.transmit(out)
}

func (c *Conn) verifyLocked(p *Packet, raw []byte) bool {
	if err := p.VerifySignature(raw, c.sigType, c.sigKey); err != nil {
		c.m.log.Debug("dropping packet", "stream", c.localID, "err", err)
		return false
	}
	return true
}

func (c *Conn) handleLocked(p *Packet, raw []byte, now time.Time, out []*[]byte) []*[]byte {
	if c.state == stateDone || c.state == stateInit {
		return nil
	}
	if c.peerID != 0 && p.ReceiveStreamID != 0 && p.ReceiveStreamID != c.peerID {
		return nil
	}
	if p.Flags.Has(FlagReset) {
		if !c.verifyLocked(p, raw) {
			return nil
		}
		err := ErrReset
		if c.state == stateSynSent {
			err = ErrRefused
		}
		return c.failLocked(err, false)
	}
	if c.state == stateSynSent {
		// Only the SYN reply opens the connection; anything sent after
		// it and overtaking it is resent by the peer.
		if !p.Flags.Has(FlagSynchronize) || p.ReceiveStreamID == 0 || p.SequenceNum != 0 {
			return nil
		}
		if !p.From.IsZero() && !p.From.Equal(c.remote.Dest.KeysAndCert) {
			return nil
		}
		t, key := c.sigType, c.sigKey
		if p.Offline != nil {
			var err error
			if t, key, err = SignerKey(c.remote.Dest, p.Offline, now); err != nil {
				return nil
			}
		}
		if err := p.VerifySignature(raw, t, key); err != nil {
			return nil
		}
		c.sigType, c.sigKey = t, key
		c.peerID = p.ReceiveStreamID
		c.state = stateOpen
		c.synRcvd = true
		close(c.estab)
		c.setPeerMTULocked(p)
	} else if p.Flags.Has(FlagSynchronize) {
		// A resent SYN or SYN reply: already taken, acknowledge again
		// without paying for its signature.
		if !p.Flags.Has(FlagNoAck) {
			out = c.processAckLocked(p, now, out)
			if c.state == stateOpen {
				c.ackNow = true
				out = c.maybeAckLocked(now, out)
			}
			return out
		}
		c.ackNow = true
		return c.maybeAckLocked(now, out)
	} else if p.Flags.Has(FlagClose) && !c.verifyLocked(p, raw) {
		return nil
	}
	c.lastRecv = now

	if !p.Flags.Has(FlagNoAck) {
		out = c.processAckLocked(p, now, out)
		if c.state == stateDone {
			return out
		}
		c.choked = p.Flags.Has(FlagDelayRequested) && p.DelayRequested > chokeLimit
	}
	if !p.IsPlainAck() {
		c.receiveLocked(p)
		if p.Flags.Has(FlagDelayRequested) && p.DelayRequested == 0 {
			c.ackNow = true
		}
	}
	out = c.flushLocked(now, out)
	out = c.maybeAckLocked(now, out)
	c.checkFinishedLocked()
	return out
}

// receiveLocked files a sequenced packet: in order to the reader, ahead
// into the bounded reorder map, behind as a duplicate.
func (c *Conn) receiveLocked(p *Packet) {
	seq := p.SequenceNum
	closing := p.Flags.Has(FlagClose)
	switch {
	case seq < c.rcvNext || c.remoteClosed:
		c.ackNow = true // duplicate: our ACK was lost
	case seq-c.rcvNext > maxAhead:
		// Too far ahead to NACK what is between: drop.
	case seq > c.rcvNext:
		c.ackNow = true // out of order: NACK the gap at once
		if _, dup := c.ooo[seq]; dup {
			return
		}
		n := len(p.Payload)
		if c.readClosed {
			n = 0
		}
		if c.readBytes+c.oooBytes+n > c.cfg.ReceiveBuffer {
			c.chokingPeer = true
			return
		}
		if c.ooo == nil {
			c.ooo = make(map[uint32]rxSeg)
		}
		c.ooo[seq] = rxSeg{payload: slices.Clone(p.Payload[:n]), close: closing}
		c.oooBytes += n
		c.oooMax = max(c.oooMax, seq)
	default:
		n := len(p.Payload)
		if !c.readClosed && n > 0 && c.readBytes+n > c.cfg.ReceiveBuffer {
			c.chokingPeer = true
			c.ackNow = true
			return
		}
		c.deliverLocked(p.Payload, closing, true)
		for len(c.ooo) > 0 {
			seg, ok := c.ooo[c.rcvNext]
			if !ok {
				break
			}
			delete(c.ooo, c.rcvNext)
			c.oooBytes -= len(seg.payload)
			c.deliverLocked(seg.payload, seg.close, false)
		}
		if len(c.ooo) == 0 {
			c.oooMax = 0
		}
		if c.readBytes >= c.cfg.ReceiveBuffer-c.cfg.MTU {
			c.chokingPeer = true
		}
	}
}

// deliverLocked hands the next in-order packet to the reader.
func (c *Conn) deliverLocked(payload []byte, closing, copyIt bool) {
	c.rcvNext++
	c.ackPending++
	if len(payload) > 0 && !c.readClosed {
		if copyIt {
			payload = slices.Clone(payload)
		}
		c.readq = append(c.readq, payload)
		c.readBytes += len(payload)
		signal(c.readWake)
	}
	if closing {
		c.remoteClosed = true
		c.ackNow = true
		clear(c.ooo)
		c.oooBytes = 0
		signal(c.readWake)
	}
}

// ---- ending ----

// checkFinishedLocked ends a connection whose both halves are closed.
func (c *Conn) checkFinishedLocked() {
	// closeAcked alone is not enough: an ACK through our CLOSE may still
	// NACK data before it.
	if c.state == stateOpen && c.closeAcked && len(c.inflight) == 0 && c.remoteClosed {
		c.endLocked(nil)
	}
}

// failLocked ends the connection with err, first sending a signed RESET
// if reset is set and the peer knows us.
func (c *Conn) failLocked(err error, reset bool) []*[]byte {
	if c.state == stateDone {
		return nil
	}
	var out []*[]byte
	if reset && c.peerID != 0 {
		p := Packet{SendStreamID: c.peerID, ReceiveStreamID: c.localID, SequenceNum: c.nextSeq, Flags: FlagReset}
		c.nextSeq++
		c.fillAckLocked(&p)
		out = appendOut(out, c.encodeLocked(&p, true, time.Now()))
	}
	c.endLocked(err)
	return out
}

// endLocked moves to stateDone, releases buffers and timers and leaves the
// Manager.
func (c *Conn) endLocked(err error) {
	c.state = stateDone
	c.err = err
	if !isClosed(c.estab) {
		close(c.estab)
	}
	close(c.done)
	for _, t := range []*time.Timer{c.resendTimer, c.ackTimer, c.checkTimer} {
		if t != nil {
			t.Stop()
		}
	}
	for _, op := range c.inflight {
		freeOutPacket(op)
	}
	c.inflight, c.flightBytes = nil, 0
	c.sendBuf, c.sendOff = nil, 0
	c.ooo, c.oooBytes = nil, 0
	if err != nil {
		c.readq, c.readOff, c.readBytes = nil, 0, 0
	}
	c.m.forget(c)
	signal(c.readWake)
	signal(c.wrWake)
}

// abort resets the connection from our side (Manager or Listener Close,
// Reset).
func (c *Conn) abort(err error) {
	c.mu.Lock()
	out := c.failLocked(err, true)
	c.mu.Unlock()
	c.transmit(out)
}

// armCheckLocked points the check timer at the next idle, keepalive or
// linger deadline.
func (c *Conn) armCheckLocked(now time.Time) {
	if c.state == stateDone {
		return
	}
	var due time.Time
	consider := func(t time.Time) {
		if due.IsZero() || t.Before(due) {
			due = t
		}
	}
	if c.cfg.IdleTimeout > 0 {
		consider(c.lastRecv.Add(c.cfg.IdleTimeout))
	}
	if c.cfg.KeepAlive > 0 && c.state == stateOpen && !c.writeClosed {
		consider(c.lastSend.Add(c.cfg.KeepAlive))
	}
	if c.userClosed {
		consider(c.closedAt.Add(c.cfg.Linger))
	}
	if due.IsZero() {
		return
	}
	d := max(due.Sub(now), time.Millisecond)
	if c.checkTimer == nil {
		c.checkTimer = time.AfterFunc(d, c.onCheckTimer)
	} else {
		c.checkTimer.Reset(d)
	}
}

func (c *Conn) onCheckTimer() {
	c.mu.Lock()
	now := time.Now()
	var out []*[]byte
	switch {
	case c.state == stateDone:
	case c.userClosed && !now.Before(c.closedAt.Add(c.cfg.Linger)):
		out = c.failLocked(nil, c.state == stateOpen && !c.remoteClosed)
	case c.cfg.IdleTimeout > 0 && !now.Before(c.lastRecv.Add(c.cfg.IdleTimeout)):
		out = c.failLocked(ErrIdleTimeout, c.state == stateOpen)
	default:
		if c.cfg.KeepAlive > 0 && c.state == stateOpen && !c.writeClosed && len(c.inflight) == 0 &&
			!now.Before(c.lastSend.Add(c.cfg.KeepAlive)) {
			c.keepAlive = true
			out = c.flushLocked(now, out)
		}
	}
	c.armCheckLocked(now)
	c.mu.Unlock()
	c.transmit(out)
}

// ---- net.Conn ----

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "i2p", Source: c.local, Addr: c.remote, Err: err}
}

// Read reads stream data. It returns io.EOF after the peer's CLOSE, and
// the connection's error after a RESET or a timeout.
func (c *Conn) Read(b []byte) (int, error) {
	for {
		if isClosed(c.rdl.wait()) {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		c.mu.Lock()
		if c.userClosed {
			c.mu.Unlock()
			return 0, c.opErr("read", net.ErrClosed)
		}
		if c.readBytes > 0 {
			if len(b) == 0 {
				c.mu.Unlock()
				return 0, nil
			}
			n := c.readLocked(b)
			out := c.afterReadLocked(time.Now())
			if c.readBytes > 0 {
				signal(c.readWake)
			}
			c.mu.Unlock()
			c.transmit(out)
			return n, nil
		}
		switch {
		case c.remoteClosed || c.readClosed:
			c.mu.Unlock()
			return 0, io.EOF
		case c.err != nil:
			err := c.err
			c.mu.Unlock()
			return 0, c.opErr("read", err)
		case c.state == stateDone:
			c.mu.Unlock()
			return 0, io.EOF
		}
		c.mu.Unlock()
		select {
		case <-c.readWake:
		case <-c.done:
		case <-c.rdl.wait():
		}
	}
}

func (c *Conn) readLocked(b []byte) int {
	n := 0
	for n < len(b) && len(c.readq) > 0 {
		seg := c.readq[0][c.readOff:]
		k := copy(b[n:], seg)
		n += k
		c.readOff += k
		if k == len(seg) {
			c.readq[0] = nil
			c.readq = c.readq[1:]
			c.readOff = 0
		}
	}
	if len(c.readq) == 0 {
		c.readq = nil // let the backing array go
	}
	c.readBytes -= n
	return n
}

// afterReadLocked lifts our choke once half the receive buffer is free.
func (c *Conn) afterReadLocked(now time.Time) []*[]byte {
	if !c.chokingPeer || c.readBytes > c.cfg.ReceiveBuffer/2 || c.state != stateOpen {
		return nil
	}
	c.chokingPeer = false
	p := Packet{SendStreamID: c.peerID, ReceiveStreamID: c.localID}
	c.fillAckLocked(&p)
	p.Flags |= FlagDelayRequested
	p.DelayRequested = 0
	return appendOut(nil, c.encodeLocked(&p, false, now))
}

// Write queues b for sending, blocking while the send buffer is full.
func (c *Conn) Write(b []byte) (int, error) {
	n := 0
	for {
		if isClosed(c.wdl.wait()) {
			return n, c.opErr("write", os.ErrDeadlineExceeded)
		}
		c.mu.Lock()
		switch {
		case c.userClosed:
			c.mu.Unlock()
			return n, c.opErr("write", net.ErrClosed)
		case c.err != nil:
			err := c.err
			c.mu.Unlock()
			return n, c.opErr("write", err)
		case c.writeClosed:
			c.mu.Unlock()
			return n, c.opErr("write", ErrWriteClosed)
		case c.state == stateDone:
			c.mu.Unlock()
			return n, c.opErr("write", net.ErrClosed)
		}
		if len(b) == 0 {
			c.mu.Unlock()
			return n, nil
		}
		if space := c.cfg.SendBuffer - (len(c.sendBuf) - c.sendOff) - c.flightBytes; space > 0 {
			k := min(space, len(b))
			if c.sendOff > 0 && cap(c.sendBuf)-len(c.sendBuf) < k {
				c.sendBuf = c.sendBuf[:copy(c.sendBuf, c.sendBuf[c.sendOff:])]
				c.sendOff = 0
			}
			c.sendBuf = append(c.sendBuf, b[:k]...)
			n += k
			b = b[k:]
			var arr [8]*[]byte
			out := c.flushLocked(time.Now(), arr[:0])
			c.mu.Unlock()
			c.transmit(out)
			continue
		}
		c.mu.Unlock()
		select {
		case <-c.wrWake:
		case <-c.done:
		case <-c.wdl.wait():
		}
	}
}

// CloseWrite sends our CLOSE after the data written so far: the peer
// reads EOF, and we can still read. Write fails afterwards.
func (c *Conn) CloseWrite() error {
	c.mu.Lock()
	if c.userClosed || c.state == stateDone {
		c.mu.Unlock()
		return nil
	}
	c.writeClosed = true
	now := time.Now()
	out := c.flushLocked(now, nil)
	c.checkFinishedLocked()
	c.mu.Unlock()
	c.transmit(out)
	signal(c.wrWake)
	return nil
}

// CloseRead discards data that arrives from now on; Read returns io.EOF.
func (c *Conn) CloseRead() error {
	c.mu.Lock()
	c.readClosed = true
	c.readq, c.readOff, c.readBytes = nil, 0, 0
	var out []*[]byte
	if c.chokingPeer && c.state == stateOpen {
		out = c.afterReadLocked(time.Now())
	}
	c.mu.Unlock()
	c.transmit(out)
	signal(c.readWake)
	return nil
}

// Close closes both halves: our CLOSE goes out after the data written so
// far, and what the peer still sends is acknowledged and discarded. The
// connection lingers (at most Config.Linger) until both CLOSEs are
// acknowledged. Close does not block and is idempotent.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.userClosed {
		c.mu.Unlock()
		return nil
	}
	now := time.Now()
	c.userClosed, c.closedAt = true, now
	c.readClosed = true
	c.readq, c.readOff, c.readBytes = nil, 0, 0
	var out []*[]byte
	if c.state == stateSynSent || c.state == stateInit {
		c.endLocked(nil)
	} else if c.state == stateOpen {
		if c.chokingPeer {
			out = c.afterReadLocked(now)
		}
		c.writeClosed = true
		out = c.flushLocked(now, out)
		c.checkFinishedLocked()
		c.armCheckLocked(now)
	}
	c.mu.Unlock()
	c.transmit(out)
	c.rdl.stop()
	c.wdl.stop()
	signal(c.readWake)
	signal(c.wrWake)
	return nil
}

// Reset aborts the connection at once with a signed RESET; buffered data
// is lost.
func (c *Conn) Reset() error {
	c.mu.Lock()
	c.userClosed = true
	out := c.failLocked(net.ErrClosed, true)
	c.mu.Unlock()
	c.transmit(out)
	return nil
}

// LocalAddr returns our destination and port.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's destination and port.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { c.rdl.set(t); return nil }

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }

// Stats is a snapshot of a connection's counters.
type Stats struct {
	LocalID, PeerID uint32
	Window          float64
	RTT, RTO        time.Duration
	InFlight        int
	Retransmits     int
	MSS             int
	Choked          bool // the peer has choked us
}

// Stats returns a snapshot of the connection's state.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{LocalID: c.localID, PeerID: c.peerID, Window: c.cwnd, RTT: c.srtt, RTO: c.rto,
		InFlight: len(c.inflight), Retransmits: c.retransmits, MSS: c.mss, Choked: c.choked}
}

// PeerDestination returns the remote destination in I2P base64 and its
// hash: the server tunnels pass them to the local service
// (X-I2P-DestB64, X-I2P-DestHash).
func (c *Conn) PeerDestination() (string, [32]byte) {
	return c.remote.Dest.Base64(), [32]byte(c.remote.Dest.Hash())
}
