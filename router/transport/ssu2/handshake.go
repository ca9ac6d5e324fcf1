package ssu2

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"

	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

const protocolName = "Noise_XKchaobfse+hs1+hs2+hs3_25519_ChaChaPoly_SHA256"

const (
	retryTokenLife  = 9 * time.Second  // a Retry's token (i2pd: 9 s)
	newTokenLife    = 52 * time.Minute // a New Token block's (i2pd: 52 min)
	handshakeResend = time.Second
)

var (
	errBadHandshake = errors.New("ssu2: bad handshake message")
	errNotCurve     = errors.New("ssu2: key is not a valid X25519 point")
)

func hkdf32(salt []byte, info string) (out [32]byte) {
	io.ReadFull(hkdf.New(sha256.New, nil, salt, []byte(info)), out[:])
	return
}

func hkdf64(salt []byte, info string) (a, b [32]byte) {
	r := hkdf.New(sha256.New, nil, salt, []byte(info))
	io.ReadFull(r, a[:])
	io.ReadFull(r, b[:])
	return
}

func dh(priv *ecdh.PrivateKey, pub []byte) ([]byte, error) {
	p, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, errNotCurve
	}
	s, err := priv.ECDH(p)
	if err != nil {
		return nil, errNotCurve
	}
	return s, nil
}

// dataKeys are one direction's data phase keys.
type dataKeys struct {
	k  [32]byte // AEAD
	k2 [32]byte // k_header_2
}

// splitKeys is the data phase KDF: Alice sends with ab, Bob with ba.
func splitKeys(ck [32]byte) (ab, ba dataKeys) {
	kab, kba := hkdf64(ck[:], "")
	ab.k, ab.k2 = hkdf64(kab[:], "HKDFSSU2DataKeys")
	ba.k, ba.k2 = hkdf64(kba[:], "HKDFSSU2DataKeys")
	return
}

// sealSymmetric builds a long-header message whose payload is AEAD with
// key k, nonce = packet number, AD = the 32-byte header: Retry,
// TokenRequest, PeerTest and HolePunch. k1, k2 protect the header.
func sealSymmetric(h header, k, k1, k2 *[32]byte, payload []byte) []byte {
	pkt := make([]byte, longHeaderLen, longHeaderLen+len(payload)+macLen)
	h.putLong(pkt)
	a, _ := chacha20poly1305.New(k[:])
	n := nonceFor(uint64(h.pn))
	pkt = a.Seal(pkt, n[:], payload, pkt[:longHeaderLen])
	xorHeader16(pkt, k1, k2)
	xorLongTail(pkt[16:32], k2)
	return pkt
}

// openSymmetric decrypts such a message whose first 16 header bytes are
// already unprotected; it unprotects bytes 16..31 with k2.
func openSymmetric(pkt []byte, k, k2 *[32]byte) (header, []byte, error) {
	if len(pkt) < longHeaderLen+macLen+8 {
		return header{}, nil, errShort
	}
	xorLongTail(pkt[16:32], k2)
	h := parseLong(pkt)
	a, _ := chacha20poly1305.New(k[:])
	n := nonceFor(uint64(h.pn))
	p, err := a.Open(nil, n[:], pkt[longHeaderLen:], pkt[:longHeaderLen])
	if err != nil {
		return h, nil, ErrAEAD
	}
	return h, p, nil
}

// openBlocks opens a symmetric long-header message with key (as AEAD key
// and k_header_2) and parses its blocks; a failure is counted as a
// dropped datagram.
func (t *Transport) openBlocks(pkt []byte, key *[32]byte) (header, []block, bool) {
	h, p, err := openSymmetric(pkt, key, key)
	if err != nil {
		t.dropped.Add(1)
		return h, nil, false
	}
	blocks, err := parseBlocks(p, nil)
	if err != nil {
		t.dropped.Add(1)
		return h, nil, false
	}
	return h, blocks, true
}

// padTo appends a padding block so that the payload reaches min bytes, or
// a random 0..max one.
func padTo(p []byte, minLen, max int) []byte {
	n := 0
	if max > 0 {
		var b [1]byte
		rand.Read(b[:])
		n = int(b[0]) % (max + 1)
	}
	if len(p)+3+n < minLen {
		n = minLen - len(p) - 3
	}
	return appendPadding(p, n)
}

// ---- Alice ----

// outbound is one dial in progress, registered by Bob's address.
type outbound struct {
	t    *Transport
	peer Peer
	mu   sync.Mutex
	// state
	srcID, dstID uint64
	e            *ecdh.PrivateKey
	ss           noise.SymmetricState
	k2Created    [32]byte // k_header_2 of SessionCreated
	sent         [][]byte // the last handshake packet(s), resent as-is
	phase        int      // 0 token request, 1 session request, 2 confirmed sent
	confirmed    *Session // after SessionCreated: the session, waiting for Bob's first packet
	retried      bool
	relayTag     bool
	done         chan struct{}
	err          error
	sess         *Session
}

// Dial makes a session with peer at peer.Addr, or returns the existing
// one. Without a token for that address it starts with a TokenRequest.
func (t *Transport) Dial(ctx context.Context, peer Peer) (*Session, error) {
	if s := t.Session(peer.Hash); s != nil {
		return s, nil
	}
	if !peer.Addr.IsValid() {
		if len(peer.Introducers) > 0 {
			return t.dialIntroduced(ctx, peer)
		}
		return nil, errors.New("ssu2: peer has no address")
	}
	peer.Addr = netip.AddrPortFrom(peer.Addr.Addr().Unmap(), peer.Addr.Port())
	t.mu.Lock()
	if t.mu.closed {
		t.mu.Unlock()
		return nil, ErrClosed
	}
	if o := t.mu.dialing[peer.Hash]; o != nil {
		t.mu.Unlock()
		return o.wait(ctx)
	}
	if _, busy := t.mu.outbound[peer.Addr]; busy {
		t.mu.Unlock()
		return nil, fmt.Errorf("ssu2: a handshake with %v is already running", peer.Addr)
	}
	o := &outbound{t: t, peer: peer, done: make(chan struct{})}
	if f := t.cfg.WantRelayTag; f != nil {
		o.relayTag = f(peer.Hash)
	}
	o.srcID, o.dstID = randUint64(), randUint64()
	for o.dstID == o.srcID {
		o.dstID = randUint64()
	}
	t.mu.outbound[peer.Addr] = o
	t.mu.dialing[peer.Hash] = o
	t.mu.Unlock()

	o.mu.Lock()
	tok := t.takeToken(peer.Addr)
	var err error
	if tok != 0 {
		err = o.sendSessionRequest(tok)
	} else {
		o.sendTokenRequest()
	}
	o.mu.Unlock()
	if err != nil {
		o.finish(nil, err)
		return nil, err
	}
	go o.resendLoop()
	return o.wait(ctx)
}

func (o *outbound) wait(ctx context.Context) (*Session, error) {
	select {
	case <-o.done:
		return o.sess, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (o *outbound) resendLoop() {
	t := o.t
	deadline := time.NewTimer(t.cfg.hsTimeout())
	defer deadline.Stop()
	tk := time.NewTicker(handshakeResend)
	defer tk.Stop()
	for {
		select {
		case <-o.done:
			return
		case <-t.ctx.Done():
			o.finish(nil, ErrClosed)
			return
		case <-deadline.C:
			o.finish(nil, ErrTimeout)
			return
		case <-tk.C:
			o.mu.Lock()
			pkts := o.sent
			o.mu.Unlock()
			for _, p := range pkts {
				t.write(p, o.peer.Addr)
			}
		}
	}
}

// finish ends the dial once.
func (o *outbound) finish(s *Session, err error) {
	o.mu.Lock()
	select {
	case <-o.done:
		o.mu.Unlock()
		return
	default:
	}
	o.sess, o.err = s, err
	cs := o.confirmed
	close(o.done)
	o.mu.Unlock()
	t := o.t
	t.mu.Lock()
	if t.mu.outbound[o.peer.Addr] == o {
		delete(t.mu.outbound, o.peer.Addr)
	}
	if t.mu.dialing[o.peer.Hash] == o {
		delete(t.mu.dialing, o.peer.Hash)
	}
	if err != nil && cs != nil && t.mu.byID[cs.rcvID] == cs && !cs.established.Load() {
		delete(t.mu.byID, cs.rcvID)
	}
	t.mu.Unlock()
	if err != nil {
		t.hsFail.Add(1)
		if cs != nil {
			cs.fail(err, 0, false)
		}
	}
}

func (o *outbound) longHeader(typ uint8, token uint64) header {
	return header{dstID: o.dstID, pn: randUint32(), typ: typ, ver: protocolVersion, netID: o.t.cfg.NetID, srcID: o.srcID, token: token}
}

func (o *outbound) sendTokenRequest() {
	t := o.t
	p := appendDateTime(nil, nowSeconds(t.cfg.now()))
	// Large enough for Bob's Retry to carry the Address block (he sends
	// no more than he got).
	p = padTo(p, 28, 16)
	ik := &o.peer.IntroKey
	pkt := sealSymmetric(o.longHeader(typeTokenRequest, 0), ik, ik, ik, p)
	o.phase, o.sent = 0, [][]byte{pkt}
	t.write(pkt, o.peer.Addr)
}

func (o *outbound) sendSessionRequest(token uint64) error {
	t := o.t
	e, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	shared, err := dh(e, o.peer.Static[:])
	if err != nil {
		return fmt.Errorf("%w: peer static key", err)
	}
	o.e = e
	o.ss = noise.SymmetricState{}
	o.ss.Init(protocolName)
	o.ss.MixHash(nil)
	o.ss.MixHash(o.peer.Static[:])
	h := o.longHeader(typeSessionRequest, token)
	pkt := make([]byte, 64, 64+64+macLen)
	h.putLong(pkt)
	copy(pkt[32:64], e.PublicKey().Bytes())
	o.ss.MixHash(pkt[:32])
	o.ss.MixHash(pkt[32:64])
	o.ss.MixKey(shared)
	ck := o.ss.ChainingKey()
	o.k2Created = hkdf32(ck[:], "SessCreateHeader")
	p := appendDateTime(nil, nowSeconds(t.cfg.now()))
	if o.relayTag {
		p = appendBlockHeader(p, blkRelayTagRequest, 0)
	}
	// At least 40 bytes of payload (as i2pd), so that Bob's
	// SessionCreated fits in what he received.
	p = padTo(p, 40, 31)
	pkt, err = o.ss.EncryptAndHash(pkt, p)
	if err != nil {
		return err
	}
	ik := &o.peer.IntroKey
	xorHeader16(pkt, ik, ik)
	xorLongTail(pkt[16:64], ik)
	o.phase, o.sent = 1, [][]byte{pkt}
	t.write(pkt, o.peer.Addr)
	return nil
}

// handle processes a datagram from Bob's address with the first 16 header
// bytes still protected.
func (o *outbound) handle(pkt []byte, from netip.AddrPort) {
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case <-o.done:
		return
	default:
	}
	t := o.t
	ik := &o.peer.IntroKey
	if o.phase == 2 {
		t.dropped.Add(1)
		return
	}
	xorFirst8(pkt, ik)
	if binary.BigEndian.Uint64(pkt) != o.srcID {
		t.dropped.Add(1)
		return
	}
	var second [8]byte
	copy(second[:], pkt[8:16])
	if o.phase == 1 {
		xorSecond8(pkt, &o.k2Created)
		if pkt[12] == typeSessionCreated && pkt[13] == protocolVersion && pkt[14] == t.cfg.NetID {
			if err := o.handleCreated(pkt, from); err != nil {
				t.log.Debug("SessionCreated", "err", err)
				if errors.Is(err, ErrSkew) {
					go o.finish(nil, err)
				}
				t.dropped.Add(1)
			}
			return
		}
		copy(pkt[8:16], second[:])
	}
	xorSecond8(pkt, ik)
	if pkt[12] != typeRetry || pkt[13] != protocolVersion || pkt[14] != t.cfg.NetID {
		t.dropped.Add(1)
		return
	}
	h, blocks, ok := t.openBlocks(pkt, ik)
	if !ok {
		return
	}
	if h.srcID != o.dstID {
		t.dropped.Add(1)
		return
	}
	for _, b := range blocks {
		switch b.typ {
		case blkTermination:
			te, err := parseTermination(b.data)
			if err == nil {
				go o.finish(nil, fmt.Errorf("%w: %v", ErrRejected, te))
				return
			}
		case blkDateTime:
			if len(b.data) == 4 {
				if _, err := checkSkew(binary.BigEndian.Uint32(b.data), t.cfg.now(), t.cfg.maxSkew()); err != nil {
					go o.finish(nil, err)
					return
				}
			}
		case blkAddress:
			if ap, err := parseAddress(b.data); err == nil {
				t.ext.observedAddress(o.peer.Hash, ap)
			}
		}
	}
	if h.token == 0 || o.retried && o.phase == 1 {
		go o.finish(nil, fmt.Errorf("%w: Retry without a token", ErrRejected))
		return
	}
	o.retried = o.phase == 1
	t.storeToken(o.peer.Addr, h.token, t.cfg.now().Add(retryTokenLife))
	if err := o.sendSessionRequest(h.token); err != nil {
		go o.finish(nil, err)
	}
}

func (o *outbound) handleCreated(pkt []byte, from netip.AddrPort) error {
	t := o.t
	if len(pkt) < 88 {
		return errShort
	}
	// Work on a copy: on failure the handshake must go on unchanged.
	pkt = bytes.Clone(pkt)
	xorLongTail(pkt[16:64], &o.k2Created)
	h := parseLong(pkt)
	if h.srcID != o.dstID {
		return errBadHandshake
	}
	ss := o.ss
	ss.MixHash(pkt[:32])
	ss.MixHash(pkt[32:64])
	shared, err := dh(o.e, pkt[32:64])
	if err != nil {
		return err
	}
	ss.MixKey(shared)
	ck := ss.ChainingKey()
	k2Confirmed := hkdf32(ck[:], "SessionConfirmed")
	p, err := ss.DecryptAndHash(nil, pkt[64:])
	if err != nil {
		return ErrAEAD
	}
	blocks, err := parseBlocks(p, nil)
	if err != nil {
		return err
	}
	var skew time.Duration
	var gotTS bool
	for _, b := range blocks {
		switch b.typ {
		case blkDateTime:
			if len(b.data) != 4 {
				return ErrBlock
			}
			gotTS = true
			if skew, err = checkSkew(binary.BigEndian.Uint32(b.data), t.cfg.now(), t.cfg.maxSkew()); err != nil {
				return err
			}
		case blkAddress:
			if ap, err := parseAddress(b.data); err == nil {
				t.ext.observedAddress(o.peer.Hash, ap)
			}
		case blkRelayTag:
			if len(b.data) == 4 {
				t.ext.relayTagReceived(o.peer, binary.BigEndian.Uint32(b.data))
			}
		case blkNewToken:
			if len(b.data) == 12 {
				t.storeToken(o.peer.Addr, binary.BigEndian.Uint64(b.data[4:]), time.Unix(int64(binary.BigEndian.Uint32(b.data)), 0))
			}
		case blkTermination:
			te, _ := parseTermination(b.data)
			go o.finish(nil, fmt.Errorf("%w: %v", ErrRejected, te))
			return nil
		}
	}
	if !gotTS {
		return fmt.Errorf("%w: SessionCreated without DateTime", errBadHandshake)
	}

	// SessionConfirmed.
	ri := t.cfg.RouterInfo()
	flag := t.cfg.RouterInfoFlag &^ 2
	mtu := sessionMTU(t.cfg.mtu(), o.peer.MTU)
	maxPkt := mtu - overheadFor(o.peer.Addr)
	if 16+48+3+2+len(ri)+macLen > maxPkt {
		if z, err := gzipBytes(ri); err == nil && len(z) < len(ri) {
			ri, flag = z, flag|2
		}
	}
	riBlock := appendRouterInfoBlock(nil, flag, ri)
	per := maxPkt - shortHeaderLen
	padLen := 0
	var payload []byte
	var nfrag int
	for {
		payload = appendPadding(bytes.Clone(riBlock), padLen)
		jumbo := 48 + len(payload) + macLen
		nfrag = (jumbo + per - 1) / per
		last := jumbo - (nfrag-1)*per
		if last >= 24 {
			break
		}
		padLen += 24 - last // the last fragment's header needs 24 bytes after it
	}
	if nfrag > 2 { // i2pd 2.45.1 reassembles two fragments at most
		return fmt.Errorf("ssu2: our RouterInfo needs %d SessionConfirmed fragments", nfrag)
	}
	hdr := header{dstID: o.dstID, pn: 0, typ: typeSessionConfirmed, ver: byte(nfrag)}
	var h0 [16]byte
	hdr.putShort(h0[:])
	ss.MixHash(h0[:])
	ct, err := ss.EncryptAndHash(nil, t.cfg.Static.PublicKey().Bytes())
	if err != nil {
		return err
	}
	se, err := dh(t.cfg.Static, pkt[32:64])
	if err != nil {
		return err
	}
	ss.MixKey(se)
	ct, err = ss.EncryptAndHash(ct, payload)
	if err != nil {
		return err
	}
	var sent [][]byte
	for i := 0; i < nfrag; i++ {
		part := ct[i*per : min(len(ct), (i+1)*per)]
		fp := make([]byte, 16, 16+len(part))
		hdr.ver = byte(i<<4 | nfrag)
		hdr.putShort(fp)
		fp = append(fp, part...)
		xorHeader16(fp, &o.peer.IntroKey, &k2Confirmed)
		sent = append(sent, fp)
	}
	ab, ba := splitKeys(ss.ChainingKey())
	s := newSession(t, sessionParams{
		remote: o.peer.Hash, outbound: true, addr: o.peer.Addr, mtu: mtu,
		rcvID: o.srcID, sndID: o.dstID, send: ab, recv: ba,
		peerIntro: o.peer.IntroKey, skew: skew,
	})
	s.firstPN = 1 // SessionConfirmed was packet 0
	o.ss = ss
	o.confirmed = s
	o.phase, o.sent = 2, sent
	t.mu.Lock()
	t.mu.byID[s.rcvID] = s // Bob's first data packet finds it
	t.mu.Unlock()
	s.onFirstPacket = func() { go o.established(s) }
	for _, p := range sent {
		t.write(p, o.peer.Addr)
	}
	return nil
}

// established runs when Bob's first data packet arrives.
func (o *outbound) established(s *Session) {
	t := o.t
	if !t.register(s) {
		o.finish(nil, fmt.Errorf("%w: session limit", ErrClosed))
		return
	}
	t.hsOK.Add(1)
	s.start()
	o.finish(s, nil)
	t.cfg.Handler.SessionEstablished(s)
}

func sessionMTU(ours, theirs int) int {
	if theirs == 0 {
		theirs = DefaultMTU
	}
	return max(MinMTU, min(ours, theirs, DefaultMTU))
}

func overheadFor(a netip.AddrPort) int {
	if a.Addr().Is4() {
		return ipv4Overhead
	}
	return ipv6Overhead
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gunzipLimited inflates at most max bytes.
func gunzipLimited(b []byte, max int) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > max {
		return nil, errors.New("ssu2: gzip RouterInfo too large")
	}
	return out, nil
}

// ---- Bob ----

// handleRequest answers a TokenRequest or SessionRequest; the first 16
// header bytes are unprotected.
func (t *Transport) handleRequest(pkt []byte, from netip.AddrPort) {
	ik := &t.cfg.IntroKey
	t.hsIn.Add(uint64(len(pkt)))
	if pkt[12] == typeTokenRequest {
		h, blocks, ok := t.openBlocks(pkt, ik)
		if !ok {
			return
		}
		if h.srcID == h.dstID || !hasValidDateTime(blocks) || !t.allowRetry(from.Addr()) {
			t.dropped.Add(1)
			return
		}
		t.sendRetry(h, from, t.issueToken(from, retryTokenLife), 0, len(pkt))
		return
	}
	if len(pkt) < 88 {
		t.dropped.Add(1)
		return
	}
	xorLongTail(pkt[16:64], ik)
	h := parseLong(pkt)
	if h.srcID == h.dstID {
		t.dropped.Add(1)
		return
	}
	if !t.tokenValid(from, h.token) {
		// No DH for an unvalidated address: a Retry with a token.
		if !t.allowRetry(from.Addr()) {
			t.dropped.Add(1)
			return
		}
		t.sendRetry(h, from, t.issueToken(from, retryTokenLife), 0, len(pkt))
		return
	}
	t.mu.Lock()
	n := len(t.mu.inbound)
	t.mu.Unlock()
	if n >= orInt(t.cfg.MaxPending, 128) {
		t.dropped.Add(1)
		return
	}
	var x [32]byte
	copy(x[:], pkt[32:64])
	var ss noise.SymmetricState
	ss.Init(protocolName)
	ss.MixHash(nil)
	ss.MixHash(t.cfg.Static.PublicKey().Bytes())
	ss.MixHash(pkt[:32])
	ss.MixHash(x[:])
	shared, err := dh(t.cfg.Static, x[:])
	if err != nil {
		t.dropped.Add(1)
		return
	}
	ss.MixKey(shared)
	ck := ss.ChainingKey()
	k2Created := hkdf32(ck[:], "SessCreateHeader")
	p, err := ss.DecryptAndHash(nil, pkt[64:])
	if err != nil {
		t.dropped.Add(1)
		return
	}
	blocks, err := parseBlocks(p, nil)
	if err != nil {
		t.dropped.Add(1)
		return
	}
	var skew time.Duration
	gotTS, wantTag := false, false
	for _, b := range blocks {
		switch b.typ {
		case blkDateTime:
			if len(b.data) == 4 {
				gotTS = true
				skew, err = checkSkew(binary.BigEndian.Uint32(b.data), t.cfg.now(), t.cfg.maxSkew())
			}
		case blkRelayTagRequest:
			wantTag = true
		}
	}
	if !gotTS {
		t.dropped.Add(1)
		return
	}
	if err != nil {
		if t.allowRetry(from.Addr()) {
			t.sendRetry(h, from, 0, ReasonClockSkew, len(pkt))
		}
		return
	}
	if t.replay.Seen(x, t.cfg.now()) {
		t.dropped.Add(1)
		return
	}
	// The token is used up.
	t.mu.Lock()
	delete(t.mu.issued, from)
	t.mu.Unlock()

	y, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return
	}
	ee, err := dh(y, x[:])
	if err != nil {
		return
	}
	in := &inbound{t: t, from: from, started: t.cfg.now(), skew: skew, y: y, rcvID: h.dstID, sndID: h.srcID}
	sh := header{dstID: h.srcID, pn: randUint32(), typ: typeSessionCreated, ver: protocolVersion, netID: t.cfg.NetID, srcID: h.dstID}
	out := make([]byte, 64, 160)
	sh.putLong(out)
	copy(out[32:], y.PublicKey().Bytes())
	ss.MixHash(out[:32])
	ss.MixHash(out[32:64])
	ss.MixKey(ee)
	ck = ss.ChainingKey()
	in.k2Confirmed = hkdf32(ck[:], "SessionConfirmed")
	pl := appendDateTime(nil, nowSeconds(t.cfg.now()))
	pl = appendAddress(pl, from)
	if wantTag {
		if tag := t.ext.relayTagFor(from); tag != 0 {
			pl = appendRelayTag(pl, tag)
			in.relayTag = tag
		}
	}
	// Padding only as far as the SessionCreated stays within the
	// SessionRequest: never more out than in before the handshake is done.
	room := len(pkt) - (64 + len(pl) + macLen + 3)
	if room >= 0 {
		var rb [1]byte
		randRead(rb[:])
		pl = appendPadding(pl, min(room, int(rb[0])%32))
	}
	out, err = ss.EncryptAndHash(out, pl)
	if err != nil {
		return
	}
	xorHeader16(out, ik, &k2Created)
	xorLongTail(out[16:64], &k2Created)
	in.ss = ss
	in.created = out
	t.mu.Lock()
	if old := t.mu.inbound[in.rcvID]; old != nil {
		t.mu.Unlock()
		t.dropped.Add(1)
		return
	}
	t.mu.inbound[in.rcvID] = in
	t.mu.Unlock()
	// Not resent on a timer: Alice resends her SessionRequest, and each
	// one gets this SessionCreated again (inbound.handle).
	t.hsOut.Add(uint64(len(out)))
	t.write(out, from)
}

func hasValidDateTime(blocks []block) bool {
	for _, b := range blocks {
		if b.typ == blkDateTime && len(b.data) == 4 {
			return true
		}
	}
	return false
}

// sendRetry answers h (a request from Alice) with a token, or with a
// Termination (token 0) for reason. The Retry stays smaller than three
// times the request (ssu2.rst, Retry notes).
func (t *Transport) sendRetry(h header, to netip.AddrPort, token uint64, reason uint8, reqLen int) {
	p := appendDateTime(nil, nowSeconds(t.cfg.now()))
	if token == 0 {
		p = appendTermination(p, 0, reason)
	}
	// The Address block only when the Retry stays within the request:
	// we never send more than we received before the handshake is done.
	if longHeaderLen+len(p)+5+len(to.Addr().Unmap().AsSlice())+macLen <= reqLen {
		p = appendAddress(p, to)
	}
	if len(p) < 8 {
		p = appendPadding(p, max(0, 8-len(p)-3))
	}
	rh := header{dstID: h.srcID, pn: randUint32(), typ: typeRetry, ver: protocolVersion, netID: t.cfg.NetID, srcID: h.dstID, token: token}
	ik := &t.cfg.IntroKey
	pkt := sealSymmetric(rh, ik, ik, ik, p)
	if len(pkt) > reqLen {
		t.dropped.Add(1)
		return
	}
	t.retries.Add(1)
	t.hsOut.Add(uint64(len(pkt)))
	t.write(pkt, to)
}

// inbound is Bob's handshake after SessionCreated, registered by the
// connection ID Alice's packets carry.
type inbound struct {
	t            *Transport
	from         netip.AddrPort
	started      time.Time
	skew         time.Duration
	y            *ecdh.PrivateKey
	ss           noise.SymmetricState
	rcvID, sndID uint64
	k2Confirmed  [32]byte
	created      []byte
	relayTag     uint32

	mu      sync.Mutex
	frags   [15][]byte
	hdr0    [16]byte
	total   int
	resends int
	done    bool
	wake    chan struct{}
}

func (in *inbound) fail(err error) {
	in.mu.Lock()
	if in.done {
		in.mu.Unlock()
		return
	}
	in.done = true
	in.mu.Unlock()
	t := in.t
	t.mu.Lock()
	if t.mu.inbound[in.rcvID] == in {
		delete(t.mu.inbound, in.rcvID)
	}
	t.mu.Unlock()
	t.hsFail.Add(1)
	t.log.Debug("inbound handshake failed", "err", err)
}

// handle takes a datagram whose first 8 bytes are unprotected.
func (in *inbound) handle(pkt []byte, from netip.AddrPort) {
	t := in.t
	t.hsIn.Add(uint64(len(pkt)))
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.done || from != in.from {
		t.dropped.Add(1)
		return
	}
	var second [8]byte
	copy(second[:], pkt[8:16])
	xorSecond8(pkt, &in.k2Confirmed)
	if pkt[12] != typeSessionConfirmed {
		// A resent SessionRequest (same IDs): resend SessionCreated.
		copy(pkt[8:16], second[:])
		xorSecond8(pkt, &t.cfg.IntroKey)
		if pkt[12] == typeSessionRequest && in.resends < 5 {
			in.resends++
			t.hsOut.Add(uint64(len(in.created)))
			t.write(in.created, in.from)
			return
		}
		t.dropped.Add(1)
		return
	}
	frag := pkt[13]
	n, total := int(frag>>4), int(frag&0x0f)
	if total == 0 || n >= total || in.total != 0 && total != in.total {
		t.dropped.Add(1)
		return
	}
	in.total = total
	if n == 0 {
		copy(in.hdr0[:], pkt[:16])
	}
	if in.frags[n] == nil {
		in.frags[n] = bytes.Clone(pkt[16:])
	}
	size := 0
	for i := 0; i < total; i++ {
		if in.frags[i] == nil {
			return
		}
		size += len(in.frags[i])
	}
	if size > total*MaxPacket {
		t.dropped.Add(1)
		return
	}
	jumbo := make([]byte, 0, size)
	for i := 0; i < total; i++ {
		jumbo = append(jumbo, in.frags[i]...)
	}
	in.frags = [15][]byte{}
	in.total = 0
	if err := in.confirm(jumbo); err != nil {
		t.log.Debug("SessionConfirmed", "err", err)
		in.done = true
		go func() {
			t.mu.Lock()
			if t.mu.inbound[in.rcvID] == in {
				delete(t.mu.inbound, in.rcvID)
			}
			t.mu.Unlock()
			t.hsFail.Add(1)
		}()
	}
}

func (in *inbound) confirm(jumbo []byte) error {
	t := in.t
	if len(jumbo) < 48+macLen+8 {
		return errShort
	}
	ss := in.ss
	ss.MixHash(in.hdr0[:])
	s, err := ss.DecryptAndHash(nil, jumbo[:48])
	if err != nil {
		return ErrAEAD
	}
	se, err := dh(in.y, s)
	if err != nil {
		return err
	}
	ss.MixKey(se)
	p, err := ss.DecryptAndHash(nil, jumbo[48:])
	if err != nil {
		return ErrAEAD
	}
	blocks, err := parseBlocks(p, nil)
	if err != nil {
		return err
	}
	if len(blocks) == 0 || blocks[0].typ != blkRouterInfo || len(blocks[0].data) < 2 {
		return fmt.Errorf("%w: SessionConfirmed does not start with a RouterInfo", errBadHandshake)
	}
	rb := blocks[0].data
	ri := rb[2:]
	if rb[0]&2 != 0 {
		if ri, err = gunzipLimited(ri, 64<<10); err != nil {
			return err
		}
	}
	info, err := t.cfg.CheckRouterInfo(ri, s)
	if err != nil {
		return err
	}
	if info.Hash == t.cfg.RouterHash {
		return errors.New("ssu2: SessionConfirmed from ourselves")
	}
	ab, ba := splitKeys(ss.ChainingKey())
	sess := newSession(t, sessionParams{
		remote: info.Hash, outbound: false, addr: in.from, mtu: sessionMTU(t.cfg.mtu(), info.MTU),
		rcvID: in.rcvID, sndID: in.sndID, send: ba, recv: ab,
		peerIntro: info.IntroKey, skew: in.skew, confirmedK2: in.k2Confirmed,
	})
	sess.rw.add(0) // SessionConfirmed is Alice's packet 0
	sess.ackNow = true
	sess.sendNewToken = true
	in.done = true
	t.mu.Lock()
	if t.mu.inbound[in.rcvID] == in {
		delete(t.mu.inbound, in.rcvID)
	}
	t.mu.Unlock()
	if !t.register(sess) {
		return fmt.Errorf("%w: session limit", ErrClosed)
	}
	t.hsOK.Add(1)
	if in.relayTag != 0 {
		t.ext.relayTagIssued(sess, in.relayTag)
	}
	sess.start()
	t.cfg.Handler.HandleRouterInfo(info.Hash, ri, rb[0]&1 != 0)
	t.cfg.Handler.SessionEstablished(sess)
	// The other blocks (options, relay, peer test) go the data path.
	sess.mu.Lock()
	deliver := sess.handleBlocksLocked(blocks[1:], in.from)
	sess.mu.Unlock()
	sess.deliver(deliver)
	return nil
}
