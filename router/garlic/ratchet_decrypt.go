package garlic

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Decrypt opens msg, the data of a Garlic I2NP message (after its 4-byte
// length) addressed to this destination: an ES or NSR found by its tag, a
// message sealed with a tag of AddTag, or else an NS, by trial decryption
// with our static key. It returns the payload's blocks, in a fresh buffer,
// and the sender's static key: the one bound in an NS, the peer of the
// session an ES or NSR belongs to, zero for an unbound NS and a one-time
// tag.
//
// NextKey, ACK Request and Termination blocks are acted on here (see the
// package doc); all blocks are returned, and the caller delivers the
// cloves.
//
// It fails with ErrShort for a message too short for its kind, ErrReplay
// for a tag already used or an NS ephemeral key seen in the replay window,
// ErrUnknownTag (elgamal.go) for a message with an unknown tag too short
// for an NS, ErrAuth when the AEAD does not verify (including NS trial
// decryption of anything else),
// ErrMalformed for an NS key that is no Elligator2 representative,
// ErrNoDateTime and ErrStale for an NS without a current DateTime, ErrBusy
// when the replay filter is full, and the errors of ParseBlocks. Nothing in
// the ratchet changes on failure.
func (r *Ratchet) Decrypt(msg []byte, now time.Time) (blocks []Block, peer [KeyLen]byte, err error) {
	if len(msg) < esOverhead {
		return nil, peer, fmt.Errorf("%w: garlic data of %d bytes, need at least %d", ErrShort, len(msg), esOverhead)
	}
	tag := tagValue(msg)
	r.mu.Lock()
	if ref, ok := r.tags.m[tag]; ok {
		defer r.mu.Unlock()
		return r.decryptTaggedLocked(ref, msg, now)
	}
	if ot, ok := r.oneTime[tag]; ok {
		defer r.mu.Unlock()
		_, pt, err := OpenWithTag(ot.key, msg)
		if err != nil {
			return nil, peer, err
		}
		if blocks, err = ParseBlocks(pt); err != nil {
			return nil, peer, err
		}
		delete(r.oneTime, tag)
		return blocks, peer, nil
	}
	r.mu.Unlock()
	return r.decryptNS(msg, now)
}

// decryptTaggedLocked opens an ES or NSR whose tag is in the table.
func (r *Ratchet) decryptTaggedLocked(ref tagRef, msg []byte, now time.Time) ([]Block, [KeyLen]byte, error) {
	ts, n := ref.ts, ref.n
	s := ts.s
	if !ts.has(n) {
		return nil, [KeyLen]byte{}, fmt.Errorf("%w: tag %d of tag set %d", ErrReplay, n, ts.id)
	}
	if ts.kind == kindNSR {
		return r.decryptNSRLocked(ts, n, msg, now)
	}
	pt, err := openES(n, ts.keyFor(n), msg)
	if err != nil {
		return nil, [KeyLen]byte{}, err
	}
	blocks, err := ParseBlocks(pt)
	if err != nil {
		return nil, [KeyLen]byte{}, err
	}
	r.tags.received(ts, n)
	s.lastRecv = now
	s.p.lastActive = now
	if ts.kind == kindReply {
		r.establishBobLocked(s, ts.reply, now)
	}
	if s.rev != nil && ts.id >= s.revFor && ts.kind == kindES {
		s.rev = nil // the peer moved to the tag set our reverse key made
	}
	r.handleBlocksLocked(s, ts, n, blocks, now)
	return blocks, s.p.key, nil
}

// decryptNSRLocked opens an NSR on one of our NS's tag sets.
func (r *Ratchet) decryptNSRLocked(ts *inTagSet, n int, msg []byte, now time.Time) ([]Block, [KeyLen]byte, error) {
	s := ts.s
	if len(msg) < nsrOverhead {
		return nil, [KeyLen]byte{}, fmt.Errorf("%w: NSR of %d bytes, need at least %d", ErrShort, len(msg), nsrOverhead)
	}
	pt, k, err := openNSR(&s.ns, &r.static, msg)
	if err != nil {
		return nil, [KeyLen]byte{}, err
	}
	blocks, err := ParseBlocks(pt)
	if err != nil {
		return nil, [KeyLen]byte{}, err
	}
	r.tags.received(ts, n)
	p := s.p
	p.lastActive = now
	s.lastRecv = now
	if s.state == stateNSSent && !s.superseded {
		if p.out != nil && r.usable(p.out, now) {
			s.superseded = true
		} else {
			r.makeRoomLocked(p, r.cfg.TagWindowMin)
			s.state = stateEstablished
			s.established, s.lastSend = now, now
			r.seq++
			s.establishedSeq = r.seq
			s.send = &outTagSet{id: 0, chain: k.ab}
			s.recv = []*inTagSet{r.tags.newInTagSet(s, kindES, 0, k.ba, r.cfg.TagWindowMin, r.cfg.TagWindowMax)}
			s.needES = true
			p.out = s
		}
	}
	return blocks, p.key, nil
}

// establishBobLocked makes s established on the NSR reply whose first ES
// tag set Alice used, dropping the other replies and the peer's older
// unanswered NS sessions.
func (r *Ratchet) establishBobLocked(s *session, rp *nsrReply, now time.Time) {
	for _, o := range s.replies {
		if o != rp {
			r.tags.drop(o.recv)
		}
	}
	s.replies = nil
	rp.recv.kind, rp.recv.reply = kindES, nil
	s.recv = []*inTagSet{rp.recv}
	s.send = &outTagSet{id: 0, chain: rp.ba}
	s.state = stateEstablished
	s.established, s.lastSend = now, now
	r.seq++
	s.establishedSeq = r.seq
	s.ns = nsResult{}
	p := s.p
	p.out = s
	for _, o := range slices.Clone(p.sessions) {
		if o != s && !o.alice && o.state != stateEstablished && o.createdSeq < s.createdSeq {
			r.removeSessionLocked(p, o)
		}
	}
}

// handleBlocksLocked acts on the control blocks of an ES that arrived on
// ts with message number n.
func (r *Ratchet) handleBlocksLocked(s *session, ts *inTagSet, n int, blocks []Block, now time.Time) {
	for _, b := range blocks {
		switch b.Type {
		case BlockNextKey:
			if b.Data[0]&nkReverse != 0 {
				r.reverseKeyLocked(s, b.Data)
			} else {
				r.forwardKeyLocked(s, b.Data, now)
			}
		case BlockACKRequest:
			if len(s.acks) == maxAcks {
				s.acks = slices.Delete(s.acks, 0, 1)
			}
			s.acks = append(s.acks, uint32(ts.id)<<16|uint32(n))
		case BlockTermination:
			s.terminated = true
			if s.p.out == s {
				s.p.out = nil
			}
			if ts.expires == 0 {
				ts.expires = now.Add(r.cfg.PrevTagSetTimeout).UnixNano()
			}
		}
	}
}

// reverseKeyLocked handles the peer's answer to our forward NextKey:
// once it matches, our outbound direction moves to the new tag set.
func (r *Ratchet) reverseKeyLocked(s *session, d []byte) {
	f := s.fwd
	if f == nil || s.send == nil {
		return // a duplicate, or unasked for
	}
	id := int(binary.BigEndian.Uint16(d[1:]))
	remote := s.hisIBKey
	if f.newID%2 == 1 { // the receiver sends a new key
		if d[0]&nkKeyPresent == 0 || id != s.hisIBKeyID+1 {
			return
		}
		copy(remote[:], d[3:])
	} else if id != s.hisIBKeyID || s.hisIBKeyID < 0 {
		return
	}
	dh, err := crypto.X25519(f.key.Private, remote)
	if err != nil {
		return
	}
	tk, _ := kdf(&dh, nil, infoXDHTagSet)
	s.send = &outTagSet{id: f.newID, chain: newTagChain(s.send.chain.nextRoot, tk)}
	s.myOBKey, s.myOBKeyID = f.key, f.keyID
	s.hisIBKey, s.hisIBKeyID = remote, id
	s.fwd = nil
}

// forwardKeyLocked handles a NextKey for our inbound direction: we make
// the next inbound tag set and owe the peer the reverse key.
func (r *Ratchet) forwardKeyLocked(s *session, d []byte, now time.Time) {
	if len(s.recv) == 0 {
		return
	}
	flags := d[0]
	id := int(binary.BigEndian.Uint16(d[1:]))
	sig := [3]byte{flags, d[1], d[2]}
	if sig == s.lastFwd && s.rev != nil {
		s.revSent = false // our reverse key was lost: send it again
		return
	}
	latest := s.recv[len(s.recv)-1]
	req := flags&nkRequest != 0
	newID := latest.id + 1
	// i2pd numbers the new tag set 2*keyID + request; so does the table of
	// the spec.
	if newID > maxTagSetID || 2*id+btoi(req) != newID {
		return
	}
	hisKey, hisID := s.hisOBKey, s.hisOBKeyID
	if flags&nkKeyPresent != 0 {
		if id != hisID+1 {
			return
		}
		copy(hisKey[:], d[3:])
		hisID = id
	} else if id != hisID || hisID < 0 {
		return
	}
	myKey, myID := s.myIBKey, s.myIBKeyID
	if req {
		kp, err := crypto.GenerateX25519(r.cfg.Rand)
		if err != nil {
			return
		}
		myKey, myID = kp, myID+1
	} else if myID < 0 {
		return
	}
	dh, err := crypto.X25519(myKey.Private, hisKey)
	if err != nil {
		return
	}
	tk, _ := kdf(&dh, nil, infoXDHTagSet)
	r.makeRoomLocked(s.p, r.cfg.TagWindowMax)
	ts := r.tags.newInTagSet(s, kindES, newID, newTagChain(latest.chain.nextRoot, tk), r.cfg.TagWindowMax, r.cfg.TagWindowMax)
	if latest.expires == 0 {
		latest.expires = now.Add(r.cfg.PrevTagSetTimeout).UnixNano()
	}
	s.recv = append(s.recv, ts)
	if len(s.recv) > maxInTagSets {
		r.tags.drop(s.recv[0])
		s.recv = slices.Delete(s.recv, 0, 1)
	}
	s.hisOBKey, s.hisOBKeyID = hisKey, hisID
	s.myIBKey, s.myIBKeyID = myKey, myID
	rev := []byte{nkReverse, byte(myID >> 8), byte(myID)}
	if req {
		rev[0] |= nkKeyPresent
		rev = append(rev, myKey.Public[:]...)
	}
	s.rev, s.revFor, s.revSent, s.lastFwd = rev, newID, false, sig
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// decryptNS tries msg as an NS to our static key. The DH and AEAD run
// without the lock.
func (r *Ratchet) decryptNS(msg []byte, now time.Time) ([]Block, [KeyLen]byte, error) {
	var zero [KeyLen]byte
	if len(msg) < minNS {
		return nil, zero, fmt.Errorf("%w: %d bytes, too short for an NS", ErrUnknownTag, len(msg))
	}
	var repr [KeyLen]byte
	copy(repr[:], msg)
	aepk, ok := crypto.Elligator2Decode(repr)
	if !ok {
		return nil, zero, fmt.Errorf("%w: NS ephemeral key is no Elligator2 representative", ErrMalformed)
	}
	r.mu.Lock()
	r.replay.expire(now)
	seen := r.replay.has(aepk)
	r.mu.Unlock()
	if seen {
		return nil, zero, fmt.Errorf("%w: NS ephemeral key", ErrReplay)
	}
	pt, ns, err := openNS(r, aepk, msg)
	if err != nil {
		return nil, zero, err
	}
	blocks, err := checkNSPayload(r, pt, now)
	if err != nil {
		return nil, zero, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.replay.has(aepk) { // raced with a copy
		return nil, zero, fmt.Errorf("%w: NS ephemeral key", ErrReplay)
	}
	if !r.replay.add(aepk, now) {
		return nil, zero, fmt.Errorf("%w: NS replay filter full", ErrBusy)
	}
	if ns.apk == zero {
		return blocks, zero, nil // unbound: no session
	}
	p := r.peerLocked(ns.apk, now)
	if o := p.out; r.usable(o, now) && now.Sub(o.established) < r.cfg.RestartAfter {
		return blocks, p.key, nil // a retransmission; the session stands
	}
	s := r.newSessionLocked(p, stateNSReceived, false, now)
	s.ns = ns
	s.nsrOut = nsrTagChain(ns.state.ChainingKey())
	r.addSessionLocked(p, s)
	return blocks, p.key, nil
}

// Expire drops what has timed out at now: NS of ours with no NSR after
// NSRTimeout, answered or unanswered NS from peers and established sessions
// with nothing received for RecvTimeout and nothing sent for SendTimeout,
// replaced tag sets after PrevTagSetTimeout, old replay filter entries and
// one-time tags. Call it every few seconds.
func (r *Ratchet) Expire(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replay.expire(now)
	r.expireOneTimeLocked(now)
	ns := now.UnixNano()
	for _, p := range r.peers {
		for _, s := range slices.Clone(p.sessions) {
			if r.sessionDead(s, now) {
				r.removeSessionLocked(p, s)
				continue
			}
			if s.nsrIn != nil && now.Sub(s.created) > r.cfg.NSRTimeout {
				r.tags.drop(s.nsrIn)
				s.nsrIn = nil
				s.ns = nsResult{} // no more NSRs: forget the handshake keys
			}
			s.recv = slices.DeleteFunc(s.recv, func(ts *inTagSet) bool {
				if ts.expires != 0 && ns > ts.expires {
					r.tags.drop(ts)
					return true
				}
				return false
			})
			if s.state == stateEstablished && len(s.recv) == 0 && (s.terminated || s.send == nil) {
				r.removeSessionLocked(p, s)
			}
		}
		if len(p.sessions) == 0 {
			delete(r.peers, p.key)
		}
	}
}

func (r *Ratchet) sessionDead(s *session, now time.Time) bool {
	switch s.state {
	case stateNSSent:
		return now.Sub(s.created) > r.cfg.NSRTimeout
	case stateNSReceived, stateNSRSent:
		return now.Sub(s.lastSend) > r.cfg.RecvTimeout && now.Sub(s.created) > r.cfg.RecvTimeout
	}
	return now.Sub(s.lastRecv) > r.cfg.RecvTimeout && now.Sub(s.lastSend) > r.cfg.SendTimeout
}
