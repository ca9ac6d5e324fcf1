package garlic

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// sessionState is where a session is in its handshake.
//
//	Alice: stateNSSent --NSR--> stateEstablished
//	Bob:   stateNSReceived --NSR sent--> stateNSRSent --ES--> stateEstablished
type sessionState uint8

const (
	stateNSSent sessionState = iota
	stateNSReceived
	stateNSRSent
	stateEstablished
)

// NextKey block flags (ecies.rst, "Next DH Ratchet Public Key").
const (
	nkKeyPresent = 0x01
	nkReverse    = 0x02
	nkRequest    = 0x04
)

// peer is everything a Ratchet holds for one remote static key.
type peer struct {
	key        [KeyLen]byte
	sessions   []*session // oldest first
	out        *session   // the established session we send ES on, or nil
	lastActive time.Time
}

// session is one handshake with a peer and the tag set chains it leads to
// (i2pd's ECIESX25519AEADRatchetSession).
type session struct {
	p     *peer
	state sessionState
	alice bool

	created     time.Time // NS sent or received
	established time.Time
	// createdSeq and establishedSeq order these events within the Ratchet
	// (times may be equal).
	createdSeq, establishedSeq uint64
	lastRecv                   time.Time
	lastSend                   time.Time
	terminated                 bool
	// superseded marks an NS of ours answered after another session was
	// established: its NSRs are decrypted, nothing more.
	superseded bool

	ns      nsResult  // the handshake state after the NS
	nsrIn   *inTagSet // Alice: tags of the NSRs to our NS
	nsrOut  tagChain  // Bob: tags of our NSRs
	replies []*nsrReply
	needES  bool // Alice: no ES sent since the NSR established the session

	send *outTagSet
	recv []*inTagSet // ES tag sets, oldest first

	// Our sending direction's DH ratchet: we own the outbound tag sets.
	fwd        *fwdRatchet // NextKey sent, reverse not yet received
	myOBKey    crypto.X25519KeyPair
	myOBKeyID  int // -1 before the first ratchet
	hisIBKey   [KeyLen]byte
	hisIBKeyID int

	// The receiving direction's: the peer owns the inbound tag sets.
	myIBKey    crypto.X25519KeyPair
	myIBKeyID  int
	hisOBKey   [KeyLen]byte
	hisOBKeyID int
	lastFwd    [3]byte // flags and key ID of the last forward NextKey handled
	rev        []byte  // reverse NextKey block data to send, or nil
	revFor     int     // the inbound tag set whose first message ends rev
	revSent    bool

	acks []uint32 // tag set ID << 16 | N, to acknowledge
}

// nsrReply is one NSR we sent: the ES tag set Alice answers on, and the
// chain we then send on.
type nsrReply struct {
	recv *inTagSet
	ba   tagChain
}

// fwdRatchet is a NextKey we send until the reverse key comes back.
type fwdRatchet struct {
	newID int // the tag set it leads to
	key   crypto.X25519KeyPair
	keyID int
	flags byte
}

func (r *Ratchet) newSessionLocked(p *peer, state sessionState, alice bool, now time.Time) *session {
	r.seq++
	return &session{
		p: p, state: state, alice: alice, created: now, lastRecv: now, lastSend: now, createdSeq: r.seq,
		myOBKeyID: -1, hisIBKeyID: -1, myIBKeyID: -1, hisOBKeyID: -1,
	}
}

// usable reports whether we may send ES on s.
func (r *Ratchet) usable(s *session, now time.Time) bool {
	return s != nil && s.state == stateEstablished && !s.terminated && s.send != nil &&
		s.send.chain.nextTag <= maxSendIndex && now.Sub(s.lastSend) < r.cfg.SendTimeout
}

// peerLocked returns the state of key, creating it (and evicting another
// peer if MaxPeers is reached).
func (r *Ratchet) peerLocked(key [KeyLen]byte, now time.Time) *peer {
	p := r.peers[key]
	if p == nil {
		if len(r.peers) >= r.cfg.MaxPeers {
			r.evictPeerLocked(nil)
		}
		p = &peer{key: key}
		r.peers[key] = p
	}
	p.lastActive = now
	return p
}

// evictPeerLocked drops the least recently active peer other than keep,
// preferring one with no established session. It reports whether it
// dropped one.
func (r *Ratchet) evictPeerLocked(keep *peer) bool {
	var victim *peer
	victimEst := true
	for _, p := range r.peers {
		if p == keep {
			continue
		}
		est := p.out != nil
		if victim == nil || (victimEst && !est) || (est == victimEst && p.lastActive.Before(victim.lastActive)) {
			victim, victimEst = p, est
		}
	}
	if victim == nil {
		return false
	}
	r.dropPeerLocked(victim)
	return true
}

func (r *Ratchet) dropPeerLocked(p *peer) {
	for _, s := range p.sessions {
		r.dropSessionTagsLocked(s)
	}
	p.sessions, p.out = nil, nil
	delete(r.peers, p.key)
}

func (r *Ratchet) dropSessionTagsLocked(s *session) {
	if s.nsrIn != nil {
		r.tags.drop(s.nsrIn)
	}
	for _, rp := range s.replies {
		r.tags.drop(rp.recv)
	}
	for _, ts := range s.recv {
		r.tags.drop(ts)
	}
	s.replies, s.recv, s.nsrIn = nil, nil, nil
}

// addSessionLocked adds s to p, dropping the oldest session other than
// p.out beyond MaxSessionsPerPeer.
func (r *Ratchet) addSessionLocked(p *peer, s *session) {
	for len(p.sessions) >= r.cfg.MaxSessionsPerPeer {
		i := slices.IndexFunc(p.sessions, func(o *session) bool { return o != p.out })
		if i < 0 {
			break
		}
		r.removeSessionLocked(p, p.sessions[i])
	}
	p.sessions = append(p.sessions, s)
}

func (r *Ratchet) removeSessionLocked(p *peer, s *session) {
	r.dropSessionTagsLocked(s)
	p.sessions = slices.DeleteFunc(p.sessions, func(o *session) bool { return o == s })
	if p.out == s {
		p.out = nil
	}
}

// makeRoomLocked evicts idle peers other than keep until n more tags fit
// under MaxTags, or none is left to evict.
func (r *Ratchet) makeRoomLocked(keep *peer, n int) {
	for len(r.tags.m)+n > r.tags.max && r.evictPeerLocked(keep) {
	}
}

// Encrypt builds a garlic message to the peer whose static X25519 public
// key is peer, carrying blocks, and returns the data of a Garlic I2NP
// message (what follows its 4-byte length; see the package doc).
//
// It sends an NSR if the peer's newest NS to us is unanswered (or
// answered, but no ES has come back), an ES on the established session
// otherwise, and else a New Session bound to our static key. It adds what
// the session owes: a DateTime block first in an NS, ACKs and NextKey
// blocks in an ES, a Padding block last. The caller's blocks must not
// include DateTime or NextKey blocks; a Padding block must be the last and
// replaces ours; a Termination block must be the last but Padding, and
// ends the session after this message. Blocks an NS or NSR may not carry
// (ACK, ACK Request, Termination, Message Numbers) are left out of those.
//
// It fails with ErrOrder or ErrMalformed for such blocks, ErrSize if the
// payload does not fit a Garlic message, crypto.ErrLowOrderPoint for a bad
// peer key, and the errors of the random source.
func (r *Ratchet) Encrypt(peer [KeyLen]byte, blocks []Block, now time.Time) ([]byte, error) {
	if err := checkCallerBlocks(blocks); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.peerLocked(peer, now)
	if s := r.unansweredLocked(p); s != nil {
		return r.encryptNSRLocked(s, blocks, now)
	}
	if r.usable(p.out, now) {
		return r.encryptESLocked(p.out, blocks, now)
	}
	return r.encryptNSLocked(p, blocks, now)
}

// EncryptUnbound builds a one-time NS to peer that carries no static key
// (ecies.rst "1c"/"1d"): it cannot be answered and leaves no state. It
// takes blocks as Encrypt does.
func (r *Ratchet) EncryptUnbound(peer [KeyLen]byte, blocks []Block, now time.Time) ([]byte, error) {
	if err := checkCallerBlocks(blocks); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	payload, err := r.payloadLocked(nil, blocks, true, now, nsOverhead)
	if err != nil {
		return nil, err
	}
	out, _, err := sealNS(peer, nil, payload, r)
	return out, err
}

// unansweredLocked returns the newest session in which p sent us an NS
// that has not led to an established session newer than p.out.
func (r *Ratchet) unansweredLocked(p *peer) *session {
	for i := len(p.sessions) - 1; i >= 0; i-- {
		s := p.sessions[i]
		if s.alice || (s.state != stateNSReceived && s.state != stateNSRSent) {
			continue
		}
		if p.out == nil || s.createdSeq > p.out.establishedSeq {
			return s
		}
		return nil
	}
	return nil
}

// Pending reports whether the ratchet owes peer a message: an NSR to its
// NS, an ES confirming its NSR, ACKs it asked for, or the reverse key of
// its NextKey. The caller should then send one, with no cloves if it has
// nothing else, within about a second (ecies.rst, "Ratchet-layer
// Responses").
func (r *Ratchet) Pending(peer [KeyLen]byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.peers[peer]
	if p == nil {
		return false
	}
	if s := r.unansweredLocked(p); s != nil {
		return s.state == stateNSReceived
	}
	s := p.out
	return s != nil && !s.terminated && (s.needES || len(s.acks) > 0 || (s.rev != nil && !s.revSent))
}

// checkCallerBlocks enforces Encrypt's rules on the caller's blocks.
func checkCallerBlocks(blocks []Block) error {
	for i, b := range blocks {
		switch b.Type {
		case BlockDateTime, BlockNextKey:
			return fmt.Errorf("%w: Encrypt adds %v blocks itself", ErrMalformed, b.Type)
		case BlockPadding:
			if i != len(blocks)-1 {
				return fmt.Errorf("%w: Padding block not last", ErrOrder)
			}
		case BlockTermination:
			if i != len(blocks)-1 && !(i == len(blocks)-2 && blocks[i+1].Type == BlockPadding) {
				return fmt.Errorf("%w: Termination block not last", ErrOrder)
			}
		}
		if len(b.Data) > MaxBlockData {
			return fmt.Errorf("%w: %v block of %d bytes", ErrSize, b.Type, len(b.Data))
		}
	}
	return nil
}

// handshakeOnly reports whether an NS or NSR leaves out blocks of type t.
func handshakeOnly(t BlockType) bool {
	switch t {
	case BlockTermination, BlockACK, BlockACKRequest, BlockMessageNumbers:
		return true
	}
	return false
}

// payloadLocked assembles a payload: a DateTime block for an NS, then for
// an ES (s non-nil) the ACK and NextKey blocks s owes, the caller's
// blocks, and a Padding block of 0 to 15 bytes unless the caller ended with
// one. overhead is the message's own, to check the Garlic message size.
func (r *Ratchet) payloadLocked(s *session, blocks []Block, ns bool, now time.Time, overhead int) ([]byte, error) {
	var p []byte
	var err error
	if ns {
		dt, err := DateTimeBlock(now)
		if err != nil {
			return nil, err
		}
		p, _ = AppendBlock(p, dt)
	}
	handshake := s == nil || s.state != stateEstablished
	if !handshake {
		if len(s.acks) > 0 {
			d := make([]byte, 0, 4*len(s.acks))
			for _, a := range s.acks {
				d = binary.BigEndian.AppendUint32(d, a)
			}
			p, _ = AppendBlock(p, Block{Type: BlockACK, Data: d})
		}
		if s.rev != nil {
			p, _ = AppendBlock(p, Block{Type: BlockNextKey, Data: s.rev})
		}
		if f := s.fwd; f != nil {
			d := []byte{f.flags, byte(f.keyID >> 8), byte(f.keyID)}
			if f.flags&nkKeyPresent != 0 {
				d = append(d, f.key.Public[:]...)
			}
			p, _ = AppendBlock(p, Block{Type: BlockNextKey, Data: d})
		}
	}
	padded := false
	for _, b := range blocks {
		if handshake && handshakeOnly(b.Type) {
			continue
		}
		if p, err = AppendBlock(p, b); err != nil {
			return nil, err
		}
		padded = b.Type == BlockPadding
	}
	if !padded {
		var n [1]byte
		if _, err := io.ReadFull(r.cfg.Rand, n[:]); err != nil {
			return nil, fmt.Errorf("garlic: padding length: %w", err)
		}
		p, _ = AppendBlock(p, PaddingBlock(int(n[0])%maxPad))
	}
	if len(p) > MaxPlaintext || len(p)+overhead > maxGarlicData {
		return nil, fmt.Errorf("%w: payload of %d bytes does not fit a Garlic message", ErrSize, len(p))
	}
	return p, nil
}

// encryptNSLocked starts a new session with p as Alice.
func (r *Ratchet) encryptNSLocked(p *peer, blocks []Block, now time.Time) ([]byte, error) {
	payload, err := r.payloadLocked(nil, blocks, true, now, nsOverhead)
	if err != nil {
		return nil, err
	}
	out, ns, err := sealNS(p.key, &r.static, payload, r)
	if err != nil {
		return nil, err
	}
	s := r.newSessionLocked(p, stateNSSent, true, now)
	s.ns = ns
	r.makeRoomLocked(p, nsrTags)
	r.addSessionLocked(p, s)
	s.nsrIn = r.tags.newInTagSet(s, kindNSR, 0, nsrTagChain(ns.state.ChainingKey()), nsrTags, nsrTags)
	return out, nil
}

// encryptNSRLocked answers s, an NS from the peer, with an NSR.
func (r *Ratchet) encryptNSRLocked(s *session, blocks []Block, now time.Time) ([]byte, error) {
	payload, err := r.payloadLocked(s, blocks, false, now, nsrOverhead)
	if err != nil {
		return nil, err
	}
	if s.nsrOut.nextTag > maxSendIndex {
		return nil, fmt.Errorf("%w: NSR tags used up", ErrBusy)
	}
	snap := s.nsrOut
	_, tag := s.nsrOut.tag()
	out, k, err := sealNSR(&s.ns, tag, payload, r)
	if err != nil {
		s.nsrOut = snap
		return nil, err
	}
	if len(s.replies) >= r.cfg.MaxRepliesPerSession {
		r.tags.drop(s.replies[0].recv)
		s.replies = slices.Delete(s.replies, 0, 1)
	}
	r.makeRoomLocked(s.p, r.cfg.TagWindowMin)
	rp := &nsrReply{ba: k.ba}
	rp.recv = r.tags.newInTagSet(s, kindReply, 0, k.ab, r.cfg.TagWindowMin, r.cfg.TagWindowMax)
	rp.recv.reply = rp
	s.replies = append(s.replies, rp)
	s.state = stateNSRSent
	s.lastSend = now
	return out, nil
}

// encryptESLocked sends on s's current outbound tag set.
func (r *Ratchet) encryptESLocked(s *session, blocks []Block, now time.Time) ([]byte, error) {
	if s.fwd == nil && s.send.chain.nextTag >= r.cfg.RatchetAfter && s.send.id < maxTagSetID {
		if err := r.startRatchetLocked(s); err != nil {
			return nil, err
		}
	}
	payload, err := r.payloadLocked(s, blocks, false, now, esOverhead)
	if err != nil {
		return nil, err
	}
	n, tag, key, ok := s.send.next()
	if !ok { // usable checked this
		return nil, fmt.Errorf("%w: tag set used up", ErrBusy)
	}
	out := sealES(n, tag, key, payload)
	s.lastSend = now
	s.acks = s.acks[:0]
	s.needES = false
	if s.rev != nil {
		s.revSent = true
	}
	for _, b := range blocks {
		if b.Type == BlockTermination {
			s.terminated = true
			if s.p.out == s {
				s.p.out = nil
			}
		}
	}
	return out, nil
}

// startRatchetLocked begins a DH ratchet of s's outbound tag sets (ecies.rst,
// "DH Ratchet Message Flow"): for an odd new tag set ID we ask for a new
// reverse key (and send a new key of ours only for tag set 1), for an even
// one we send a new key and the receiver reuses its last.
func (r *Ratchet) startRatchetLocked(s *session) error {
	f := &fwdRatchet{newID: s.send.id + 1}
	switch {
	case f.newID == 1:
		f.flags, f.keyID = nkKeyPresent|nkRequest, 0
	case f.newID%2 == 1:
		f.flags, f.keyID, f.key = nkRequest, s.myOBKeyID, s.myOBKey
	default:
		f.flags, f.keyID = nkKeyPresent, s.myOBKeyID+1
	}
	if f.flags&nkKeyPresent != 0 {
		kp, err := crypto.GenerateX25519(r.cfg.Rand)
		if err != nil {
			return fmt.Errorf("garlic: ratchet key: %w", err)
		}
		f.key = kp
	}
	s.fwd = f
	return nil
}
