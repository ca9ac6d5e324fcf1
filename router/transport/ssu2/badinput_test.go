package ssu2

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	mrand "math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// ---- helpers ----

// blackhole is an address nobody listens on: datagrams to it vanish.
var blackhole = netip.MustParseAddrPort("192.0.2.1:9")

func spoofAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1000+i%50000))
}

func (r *testRouter) memConn(t testing.TB) *memConn {
	nw, ok := r.t.cfg.Network.(*memNet)
	if !ok {
		t.Fatal("not on a memNet")
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.conns[r.t.Addr()]
}

// inject puts a datagram straight into r's socket queue as if it came
// from from (bypassing the tap and the loss).
func inject(t testing.TB, r *testRouter, from netip.AddrPort, b []byte) {
	t.Helper()
	c := r.memConn(t)
	select {
	case c.ch <- dgram{bytes.Clone(b), from}:
	case <-time.After(10 * time.Second):
		t.Fatal("inject: socket queue stuck")
	}
}

// flush returns once r's reader has handled every datagram queued before
// the call: two empty datagrams are queued, and the queue drains only when
// the reader has finished with the first (it reads one at a time). Each
// flush adds 2 to Dropped and PacketsIn.
func flush(t testing.TB, r *testRouter) {
	t.Helper()
	inject(t, r, blackhole, nil)
	inject(t, r, blackhole, nil)
	c := r.memConn(t)
	waitFor(t, 10*time.Second, "reader to drain", func() bool { return len(c.ch) == 0 })
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// tapLog records datagrams seen by the memNet tap and optionally filters.
type tapLog struct {
	mu     sync.Mutex
	pkts   []tapped
	filter func(from, to netip.AddrPort, b []byte) bool // false: drop
}

type tapped struct {
	from, to netip.AddrPort
	b        []byte
}

func installTap(nw *memNet) *tapLog {
	l := &tapLog{}
	nw.mu.Lock()
	nw.tap = func(from, to netip.AddrPort, b []byte) []byte {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.pkts = append(l.pkts, tapped{from, to, bytes.Clone(b)})
		if l.filter != nil && !l.filter(from, to, b) {
			return nil
		}
		return b
	}
	nw.mu.Unlock()
	return l
}

func (l *tapLog) setFilter(f func(from, to netip.AddrPort, b []byte) bool) {
	l.mu.Lock()
	l.filter = f
	l.mu.Unlock()
}

func (l *tapLog) to(a netip.AddrPort) [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]byte
	for _, p := range l.pkts {
		if p.to == a {
			out = append(out, p.b)
		}
	}
	return out
}

func (l *tapLog) reset() {
	l.mu.Lock()
	l.pkts = nil
	l.mu.Unlock()
}

// longType unprotects a copy of a long-header packet protected with
// k1 = k2 = ik (TokenRequest, SessionRequest, Retry) and returns its type
// byte, or -1 when it is not of that shape.
func longType(pkt []byte, ik *[32]byte) int {
	if len(pkt) < MinPacket {
		return -1
	}
	c := bytes.Clone(pkt)
	xorHeader16(c, ik, ik)
	if c[13] != protocolVersion {
		return -1
	}
	return int(c[12])
}

// openRetry decrypts a Retry sent by the owner of ik.
func openRetry(pkt []byte, ik *[32]byte) (header, []block, bool) {
	if longType(pkt, ik) != typeRetry {
		return header{}, nil, false
	}
	c := bytes.Clone(pkt)
	xorHeader16(c, ik, ik)
	h, p, err := openSymmetric(c, ik, ik)
	if err != nil {
		return header{}, nil, false
	}
	bl, err := parseBlocks(p, nil)
	if err != nil {
		return header{}, nil, false
	}
	return h, bl, true
}

// craftTokenRequest builds a TokenRequest to bob with Alice's own code.
func craftTokenRequest(via *testRouter, bob Peer) []byte {
	o := &outbound{t: via.t, peer: bob, done: make(chan struct{})}
	o.peer.Addr = blackhole
	o.srcID, o.dstID = randUint64(), randUint64()
	o.sendTokenRequest()
	return bytes.Clone(o.sent[0])
}

// craftSessionRequest builds a SessionRequest to bob carrying token.
func craftSessionRequest(t testing.TB, via *testRouter, bob Peer, token uint64) []byte {
	o := &outbound{t: via.t, peer: bob, done: make(chan struct{})}
	o.peer.Addr = blackhole
	o.srcID, o.dstID = randUint64(), randUint64()
	o.mu.Lock()
	err := o.sendSessionRequest(token)
	o.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(o.sent[0])
}

func (r *testRouter) counts() (inbound, sessions, issued, buckets int) {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	return len(r.t.mu.inbound), len(r.t.mu.byID), len(r.t.mu.issued), len(r.t.mu.retryRate)
}

// establish dials a→b and waits for both sides.
func establish(t *testing.T, a, b *testRouter) (as, bs *Session) {
	t.Helper()
	as = dial(t, a, b)
	select {
	case bs = <-b.h.est:
	case <-time.After(10 * time.Second):
		t.Fatal("Bob never established")
	}
	return as, bs
}

// expectMsg waits for message id on r's handler; any other message fails.
func expectMsg(t *testing.T, r *testRouter, want []byte) {
	t.Helper()
	select {
	case got := <-r.h.got:
		if !bytes.Equal(got, want) {
			t.Fatalf("got message %d (%d bytes), want %d", binary.BigEndian.Uint32(got[1:]), len(got), binary.BigEndian.Uint32(want[1:]))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("message %d never arrived", binary.BigEndian.Uint32(want[1:]))
	}
}

func noAmplification(t *testing.T, r *testRouter, factor uint64) {
	t.Helper()
	st := r.t.Stats()
	if st.HandshakeBytesOut > factor*st.HandshakeBytesIn {
		t.Fatalf("amplification: %d handshake bytes out for %d in (limit %d×)", st.HandshakeBytesOut, st.HandshakeBytesIn, factor)
	}
}

// ---- spoofed source addresses ----

// A token is bound to the address it was issued to: a SessionRequest with
// A's token sent from B gets only a Retry; the same request from A gets a
// SessionCreated. A TokenRequest replayed from B gets only a Retry.
func TestSpoofedSourceTokenBound(t *testing.T) {
	nw := newMemNet()
	b := newTestRouter(t, nw, func(c *Config) { c.RetryRate = 1000 })
	tap := installTap(nw)
	addrA, addrB := spoofAddr(1), spoofAddr(2)

	tr := craftTokenRequest(b, b.peer())
	inject(t, b, addrA, tr)
	flush(t, b)
	var tokA uint64
	for _, p := range tap.to(addrA) {
		if h, _, ok := openRetry(p, &b.intro); ok {
			tokA = h.token
		}
	}
	if tokA == 0 {
		t.Fatal("no Retry with a token for A")
	}
	// The same TokenRequest replayed from B: only a Retry, with B's token.
	inject(t, b, addrB, tr)
	flush(t, b)
	toB := tap.to(addrB)
	if len(toB) != 1 {
		t.Fatalf("%d datagrams to B, want 1 Retry", len(toB))
	}
	if h, _, ok := openRetry(toB[0], &b.intro); !ok || h.token == tokA {
		t.Fatalf("B got no Retry or A's token (ok %v)", ok)
	}
	tap.reset()

	// A SessionRequest with A's token from B: a Retry, no DH, no state.
	sr := craftSessionRequest(t, b, b.peer(), tokA)
	inject(t, b, addrB, sr)
	flush(t, b)
	toB = tap.to(addrB)
	if len(toB) != 1 {
		t.Fatalf("%d datagrams to B for a SessionRequest with A's token, want 1", len(toB))
	}
	if _, _, ok := openRetry(toB[0], &b.intro); !ok {
		t.Fatal("B's answer is not a Retry")
	}
	if in, _, _, _ := b.counts(); in != 0 {
		t.Fatalf("%d inbound handshakes after a spoofed SessionRequest", in)
	}
	// From A (control): a SessionCreated (not a Retry) and one inbound.
	inject(t, b, addrA, sr)
	flush(t, b)
	toA := tap.to(addrA)
	if len(toA) != 1 {
		t.Fatalf("%d datagrams to A, want 1 SessionCreated", len(toA))
	}
	if _, _, ok := openRetry(toA[0], &b.intro); ok {
		t.Fatal("A got a Retry for a SessionRequest with its own token")
	}
	if in, _, _, _ := b.counts(); in != 1 {
		t.Fatalf("%d inbound handshakes, want 1", in)
	}
	noAmplification(t, b, 3)
}

// A data packet of an established session re-sent from another address
// does not move the session: Bob challenges the new address and keeps
// sending to the old one.
func TestSpoofedSourceDataNoMigration(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, bs := establish(t, a, b)
	aAddr, bAddr := a.t.Addr(), b.t.Addr()
	if bs.Addr() != aAddr {
		t.Fatalf("Bob sees Alice at %v, want %v", bs.Addr(), aAddr)
	}
	m1 := i2npMsg(1, 700)
	stolen := stealPacket(t, tap, as, aAddr, bAddr, m1)
	evil := spoofAddr(7)
	inject(t, b, evil, stolen)
	flush(t, b)
	if got := bs.Addr(); got != aAddr {
		t.Fatalf("session moved to %v on an unvalidated packet", got)
	}
	// Bob sent a PathChallenge (one small packet) to the new address, no
	// more than it received from there.
	toEvil := tap.to(evil)
	if len(toEvil) != 1 || len(toEvil[0]) > len(stolen) {
		t.Fatalf("%d datagrams to the spoofed address (want 1 challenge no bigger than %d)", len(toEvil), len(stolen))
	}
	// The message was inside (authenticated): delivered once, and not
	// again when Alice retransmits it.
	expectMsg(t, b, m1)
	// Traffic keeps flowing both ways on the old address.
	m2 := i2npMsg(2, 100)
	bs.Send(m2)
	expectMsg(t, a, m2)
	m3 := i2npMsg(3, 100)
	as.Send(m3)
	expectMsg(t, b, m3)
	if got := bs.Addr(); got != aAddr {
		t.Fatalf("session moved to %v", got)
	}
	select {
	case m := <-b.h.got:
		t.Fatalf("extra message %d delivered", binary.BigEndian.Uint32(m[1:]))
	default:
	}
}

// stealPacket sends m from Alice's session as and takes the first big
// datagram it makes off the wire before Bob sees it.
func stealPacket(t *testing.T, tap *tapLog, as *Session, aAddr, bAddr netip.AddrPort, m []byte) []byte {
	t.Helper()
	var stolen []byte
	var mu sync.Mutex
	tap.setFilter(func(from, to netip.AddrPort, p []byte) bool {
		if from == aAddr && to == bAddr && len(p) > 600 {
			mu.Lock()
			defer mu.Unlock()
			if stolen == nil {
				stolen = bytes.Clone(p)
				return false
			}
		}
		return true
	})
	as.Send(m)
	waitFor(t, 5*time.Second, "the stolen packet", func() bool { mu.Lock(); defer mu.Unlock(); return stolen != nil })
	tap.setFilter(nil)
	tap.reset()
	return stolen
}

// A path validation that gets no Path Response: while it lasts the
// session sends at the minimum MTU and window, it resends the challenge
// no more than the candidate address sent us (no amplification), and it
// gives up at the deadline, staying on the old address.
func TestPathValidationTimesOut(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, bs := establish(t, a, b)
	aAddr, bAddr := a.t.Addr(), b.t.Addr()
	stolen := stealPacket(t, tap, as, aAddr, bAddr, i2npMsg(1, 700))
	evil := spoofAddr(9)
	start := time.Now()
	inject(t, b, evil, stolen)
	flush(t, b)
	bs.mu.Lock()
	validating, mp, cwnd := bs.addrCand == evil, bs.maxPayload(), bs.cwnd
	bs.mu.Unlock()
	if !validating {
		t.Fatal("no path validation for the new address")
	}
	if want := MinMTU - ipv4Overhead - shortHeaderLen - macLen; mp != want || cwnd != minWindow {
		t.Fatalf("during validation: max payload %d (want %d, MTU 1280), window %v (want %d)", mp, want, cwnd, minWindow)
	}
	waitFor(t, pathTimeout+3*time.Second, "the validation to end", func() bool {
		bs.mu.Lock()
		defer bs.mu.Unlock()
		return !bs.addrCand.IsValid()
	})
	if took := time.Since(start); took < pathTimeout-100*time.Millisecond {
		t.Fatalf("validation ended after %v, before the %v deadline", took, pathTimeout)
	}
	sent := 0
	toEvil := tap.to(evil)
	for _, p := range toEvil {
		sent += len(p)
	}
	if len(toEvil) < 2 || sent > len(stolen) {
		t.Fatalf("%d challenges (%d bytes) to the unvalidated address that sent %d bytes: want a resend and no more bytes than received", len(toEvil), sent, len(stolen))
	}
	if got := bs.Addr(); got != aAddr {
		t.Fatalf("session on %v after a failed validation, want %v", got, aAddr)
	}
	bs.mu.Lock()
	mp = bs.maxPayload()
	bs.mu.Unlock()
	if mp != bs.mtu-ipv4Overhead-shortHeaderLen-macLen {
		t.Fatalf("max payload %d after the validation, want the session MTU's", mp)
	}
	// Traffic goes on over the old address.
	m2 := i2npMsg(2, 1000)
	bs.Send(m2)
	expectMsg(t, a, m2)
}

// A real migration (NAT rebinding): Alice's packets suddenly come from a
// new address N that forwards to her. Bob keeps the old address until the
// PathResponse arrives from N, then moves.
func TestPathValidationMigrates(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, bs := establish(t, a, b)
	aAddr, bAddr := a.t.Addr(), b.t.Addr()
	natC, _ := nw.ListenPacket("127.0.0.1:0")
	defer natC.Close()
	nat := natC.LocalAddr()
	// Alice→Bob goes out through the NAT's address; the NAT's inbound
	// traffic goes back to Alice as from Bob.
	var rebind sync.Mutex
	rebound := false
	tap.setFilter(func(from, to netip.AddrPort, p []byte) bool {
		rebind.Lock()
		on := rebound
		rebind.Unlock()
		if on && from == aAddr && to == bAddr {
			go nw.send(nat, bAddr, p)
			return false
		}
		return true
	})
	go func() {
		buf := make([]byte, 2000)
		for {
			n, from, err := natC.ReadFrom(buf)
			if err != nil {
				return
			}
			if from == bAddr {
				nw.send(bAddr, aAddr, bytes.Clone(buf[:n]))
			}
		}
	}()
	rebind.Lock()
	rebound = true
	rebind.Unlock()
	m := i2npMsg(10, 200)
	as.Send(m)
	expectMsg(t, b, m)
	waitFor(t, 10*time.Second, "Bob to move to the NAT address", func() bool { return bs.Addr() == nat })
	m2 := i2npMsg(11, 200)
	bs.Send(m2)
	expectMsg(t, a, m2)
}

// ---- Retry and token floods ----

func TestTokenRequestFlood(t *testing.T) {
	nw := newMemNet()
	frozen := time.Now()
	const rate = 5
	b := newTestRouter(t, nw, func(c *Config) {
		c.RetryRate = rate
		c.Now = func() time.Time { return frozen } // one rate window for the whole test
	})
	// One source IP (many ports): at most rate Retries.
	for i := 0; i < 2000; i++ {
		from := netip.AddrPortFrom(netip.MustParseAddr("203.0.113.5"), uint16(1000+i))
		inject(t, b, from, craftTokenRequest(b, b.peer()))
	}
	flush(t, b)
	if r := b.t.Stats().RetriesSent; r > rate {
		t.Fatalf("%d Retries to one IP in one second, limit %d", r, rate)
	}
	// Many source IPs.
	const n = 10000
	for i := 0; i < n; i++ {
		inject(t, b, spoofAddr(i), craftTokenRequest(b, b.peer()))
	}
	flush(t, b)
	st := b.t.Stats()
	in, sess, issued, buckets := b.counts()
	t.Logf("stats %+v; issued %d, rate buckets %d", st, issued, buckets)
	if issued > maxTokens {
		t.Fatalf("%d issued tokens, bound %d", issued, maxTokens)
	}
	if buckets > 4096 {
		t.Fatalf("%d rate buckets", buckets)
	}
	if st.RetriesSent > n+rate {
		t.Fatalf("%d Retries for %d requests", st.RetriesSent, n+2000)
	}
	if in != 0 || sess != 0 {
		t.Fatalf("state from TokenRequests: %d inbound, %d sessions", in, sess)
	}
	// The recommended bound (ssu2.rst: a Retry at most three times the
	// request); the strict one is TestNoAmplificationStrict.
	noAmplification(t, b, 3)
}

// SessionRequests with bad tokens get Retries only: no DH, no inbound
// state, rate-limited per IP.
func TestBadTokenSessionRequests(t *testing.T) {
	nw := newMemNet()
	b := newTestRouter(t, nw, func(c *Config) { c.RetryRate = 3 })
	tap := installTap(nw)
	const n = 500
	for i := 0; i < n; i++ {
		tok := randUint64()
		if i%5 == 0 {
			tok = 0 // no token at all
		}
		from := spoofAddr(i % 20)
		inject(t, b, from, craftSessionRequest(t, b, b.peer(), tok))
	}
	flush(t, b)
	st := b.t.Stats()
	in, sess, _, _ := b.counts()
	if in != 0 || sess != 0 || st.HandshakesOK != 0 {
		t.Fatalf("bad tokens made state: %d inbound, %d sessions, %d OK", in, sess, st.HandshakesOK)
	}
	// 20 IPs, 3 Retries each per second; allow two windows for a slow run.
	if st.RetriesSent > 20*3*2 || st.RetriesSent == 0 {
		t.Fatalf("%d Retries for %d bad SessionRequests from 20 IPs", st.RetriesSent, n)
	}
	for i := 0; i < 20; i++ {
		for _, p := range tap.to(spoofAddr(i)) {
			if _, _, ok := openRetry(p, &b.intro); !ok {
				t.Fatal("something other than a Retry answered a bad token")
			}
		}
	}
	noAmplification(t, b, 1)
}

// The issue's strict bound: before a handshake completes we never send
// more than we received. Our own TokenRequests (32+7+3+0..16+16 = 58..74
// bytes) are answered with Retries of 32+7+9+3+0..8+16 = 67..75 bytes,
// and an unconfirmed SessionCreated is resent five times on a timer.
func TestNoAmplificationStrict(t *testing.T) {
	nw := newMemNet()
	b := newTestRouter(t, nw, func(c *Config) { c.RetryRate = 1000 })
	for i := 0; i < 300; i++ {
		inject(t, b, spoofAddr(i), craftTokenRequest(b, b.peer()))
	}
	flush(t, b)
	st := b.t.Stats()
	t.Logf("TokenRequests: %d bytes in, %d out", st.HandshakeBytesIn, st.HandshakeBytesOut)
	noAmplification(t, b, 1)
}

// Same, for SessionCreated resent without any new SessionRequest.
func TestNoAmplificationSessionCreatedResends(t *testing.T) {
	nw := newMemNet()
	b := newTestRouter(t, nw, nil)
	from := spoofAddr(1)
	tok := b.t.issueToken(from, retryTokenLife)
	inject(t, b, from, craftSessionRequest(t, b, b.peer(), tok))
	flush(t, b)
	time.Sleep(6 * time.Second) // the resend timer runs 5 times, once a second
	st := b.t.Stats()
	t.Logf("one SessionRequest: %d bytes in, %d out", st.HandshakeBytesIn, st.HandshakeBytesOut)
	noAmplification(t, b, 1)
}

// A TokenRequest spoofed from Alice's address must not invalidate the
// token Alice already holds (else one spoofed datagram breaks her
// handshake).
func TestSpoofedTokenRequestKeepsToken(t *testing.T) {
	nw := newMemNet()
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	alice := spoofAddr(1)
	inject(t, b, alice, craftTokenRequest(b, b.peer()))
	flush(t, b)
	var tok uint64
	for _, p := range tap.to(alice) {
		if h, _, ok := openRetry(p, &b.intro); ok {
			tok = h.token
		}
	}
	if tok == 0 {
		t.Fatal("no token")
	}
	// The attacker, from Alice's address.
	for i := 0; i < 50; i++ {
		inject(t, b, alice, craftTokenRequest(b, b.peer()))
	}
	flush(t, b)
	if !b.t.tokenValid(alice, tok) {
		t.Fatal("Alice's token was replaced by spoofed TokenRequests")
	}
}

// ---- malformed packets ----

func TestMalformedDatagrams(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, bs := establish(t, a, b)
	aAddr := a.t.Addr()
	before := b.t.Stats()

	// Random bytes of every length, from a stranger and from Alice.
	rnd := mrand.New(mrand.NewPCG(1, 2))
	sent := 0
	for n := 0; n <= 1600; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rnd.Uint32())
		}
		from := spoofAddr(n)
		if n%2 == 0 {
			from = aAddr
		}
		inject(t, b, from, p)
		sent++
	}
	// Random bytes that carry the session's connection ID (they reach
	// the session's AEAD).
	for n := MinPacket; n <= 1500; n += 7 {
		p := make([]byte, n)
		rand.Read(p)
		binary.BigEndian.PutUint64(p, bs.rcvID)
		xorFirst8(p, &b.intro)
		inject(t, b, aAddr, p)
		sent++
	}
	flush(t, b)
	st := b.t.Stats()
	if d := st.Dropped - before.Dropped; d < uint64(sent) {
		t.Fatalf("%d of %d garbage datagrams dropped", d, sent)
	}

	// A captured data packet, truncated at every length and with every
	// single bit flipped.
	var data []byte
	var mu sync.Mutex
	tap.setFilter(func(from, to netip.AddrPort, p []byte) bool {
		if from == aAddr && len(p) > 400 {
			mu.Lock()
			if data == nil {
				data = bytes.Clone(p)
			}
			mu.Unlock()
		}
		return true
	})
	m := i2npMsg(1, 400)
	as.Send(m)
	expectMsg(t, b, m)
	tap.setFilter(nil)
	mu.Lock()
	pkt := data
	mu.Unlock()
	if pkt == nil {
		t.Fatal("no data packet captured")
	}
	before = b.t.Stats()
	sent = 0
	for n := 0; n < len(pkt); n++ {
		inject(t, b, aAddr, pkt[:n])
		sent++
	}
	for i := 0; i < 8*len(pkt); i++ {
		p := bytes.Clone(pkt)
		p[i/8] ^= 1 << (i % 8)
		inject(t, b, aAddr, p)
		sent++
	}
	flush(t, b)
	st = b.t.Stats()
	if d := st.Dropped - before.Dropped; d < uint64(sent) {
		t.Fatalf("%d of %d corrupted data packets dropped", d, sent)
	}
	if bs.Err() != nil || as.Err() != nil {
		t.Fatalf("session ended: %v / %v", bs.Err(), as.Err())
	}
	// Still working both ways, and nothing extra delivered.
	m2 := i2npMsg(2, 3000)
	as.Send(m2)
	expectMsg(t, b, m2)
	m3 := i2npMsg(3, 3000)
	bs.Send(m3)
	expectMsg(t, a, m3)
}

// Truncated and bit-flipped handshake messages are dropped without state
// and without breaking a handshake: the genuine SessionRequest still works
// after all its corrupted copies.
func TestMalformedHandshake(t *testing.T) {
	nw := newMemNet()
	b := newTestRouter(t, nw, func(c *Config) { c.RetryRate = 1 << 20 })
	tap := installTap(nw)
	alice := spoofAddr(3)

	tr := craftTokenRequest(b, b.peer())
	for n := 0; n < len(tr); n++ {
		inject(t, b, alice, tr[:n])
	}
	for i := 0; i < 8*len(tr); i++ {
		p := bytes.Clone(tr)
		p[i/8] ^= 1 << (i % 8)
		inject(t, b, alice, p)
	}
	flush(t, b)
	if r := b.t.Stats().RetriesSent; r != 0 {
		t.Fatalf("%d Retries for corrupted TokenRequests", r)
	}

	tok := b.t.issueToken(alice, retryTokenLife)
	sr := craftSessionRequest(t, b, b.peer(), tok)
	for n := 0; n < len(sr); n++ {
		inject(t, b, alice, sr[:n])
	}
	for i := 0; i < 8*len(sr); i++ {
		if i/8 >= 24 && i/8 < 32 {
			continue // the token: answered with a Retry, below
		}
		p := bytes.Clone(sr)
		p[i/8] ^= 1 << (i % 8)
		inject(t, b, alice, p)
	}
	flush(t, b)
	st := b.t.Stats()
	in, _, _, _ := b.counts()
	if in != 0 || st.RetriesSent != 0 || len(tap.to(alice)) != 0 {
		t.Fatalf("corrupted SessionRequests answered: %d inbound, %d Retries, %d datagrams", in, st.RetriesSent, len(tap.to(alice)))
	}
	// The genuine one still gets its SessionCreated.
	inject(t, b, alice, sr)
	flush(t, b)
	if in, _, _, _ := b.counts(); in != 1 || len(tap.to(alice)) != 1 {
		t.Fatalf("genuine SessionRequest after the corrupted ones: %d inbound, %d answers", in, len(tap.to(alice)))
	}
	// Token bit flips of a fresh request: Retries, no state.
	tap.reset()
	sr2 := craftSessionRequest(t, b, b.peer(), b.t.issueToken(spoofAddr(4), retryTokenLife))
	for i := 24 * 8; i < 32*8; i++ {
		p := bytes.Clone(sr2)
		p[i/8] ^= 1 << (i % 8)
		inject(t, b, spoofAddr(4), p)
	}
	flush(t, b)
	if in, _, _, _ := b.counts(); in != 1 {
		t.Fatalf("%d inbound after token flips, want the 1 from before", in)
	}
	for _, p := range tap.to(spoofAddr(4)) {
		if _, _, ok := openRetry(p, &b.intro); !ok {
			t.Fatal("a bad token got something other than a Retry")
		}
	}
	noAmplification(t, b, 3)
}

// ---- replays ----

func TestReplayedSessionRequest(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	aAddr, bAddr := a.t.Addr(), b.t.Addr()
	var sr []byte
	var mu sync.Mutex
	tap.setFilter(func(from, to netip.AddrPort, p []byte) bool {
		if from == aAddr && to == bAddr && longType(p, &b.intro) == typeSessionRequest {
			mu.Lock()
			sr = bytes.Clone(p)
			mu.Unlock()
		}
		return true
	})
	_, bs := establish(t, a, b)
	tap.setFilter(nil)
	mu.Lock()
	captured := sr
	mu.Unlock()
	if captured == nil {
		t.Fatal("no SessionRequest captured")
	}
	ok0 := b.t.Stats().HandshakesOK
	// While the session lives: it reaches the session and is dropped.
	for i := 0; i < 5; i++ {
		inject(t, b, aAddr, captured)
	}
	flush(t, b)
	if in, sess, _, _ := b.counts(); in != 0 || sess != 1 || b.t.Stats().HandshakesOK != ok0 {
		t.Fatalf("replay during the session: %d inbound, %d sessions", in, sess)
	}
	// After the session: the token was used up (a Retry at most).
	bs.Close(ReasonNormal)
	flush(t, b)
	tap.reset()
	inject(t, b, aAddr, captured)
	flush(t, b)
	if in, _, _, _ := b.counts(); in != 0 {
		t.Fatalf("replay with a used token made %d inbound", in)
	}
	for _, p := range tap.to(aAddr) {
		if _, _, ok := openRetry(p, &b.intro); !ok {
			t.Fatal("replay answered with something other than a Retry")
		}
	}
	// Even with its token valid again, the replay filter stops it (same X).
	h := bytes.Clone(captured)
	xorHeader16(h, &b.intro, &b.intro)
	xorLongTail(h[16:32], &b.intro)
	tok := parseLong(h).token
	b.t.mu.Lock()
	b.t.mu.issued[aAddr] = tokenEntry{tok, time.Now().Add(time.Minute)}
	b.t.mu.Unlock()
	tap.reset()
	d0 := b.t.Stats().Dropped
	inject(t, b, aAddr, captured)
	flush(t, b)
	if in, _, _, _ := b.counts(); in != 0 {
		t.Fatalf("replayed SessionRequest (same X) made %d inbound", in)
	}
	if n := len(tap.to(aAddr)); n != 0 {
		t.Fatalf("replayed SessionRequest answered with %d datagrams", n)
	}
	if b.t.Stats().Dropped < d0+1 {
		t.Fatal("replay not counted as dropped")
	}
}

func TestReplayedDataPacket(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, bs := establish(t, a, b)
	aAddr := a.t.Addr()
	var cap [][]byte
	var mu sync.Mutex
	tap.setFilter(func(from, to netip.AddrPort, p []byte) bool {
		if from == aAddr && len(p) > 300 {
			mu.Lock()
			cap = append(cap, bytes.Clone(p))
			mu.Unlock()
		}
		return true
	})
	var msgs [][]byte
	for i := 0; i < 5; i++ {
		m := i2npMsg(uint32(100+i), 300+i*1000) // 300 B .. 4.3 KB: fragmented too
		msgs = append(msgs, m)
		as.Send(m)
	}
	got := map[uint32]int{}
	for range msgs {
		select {
		case m := <-b.h.got:
			got[binary.BigEndian.Uint32(m[1:])]++
		case <-time.After(10 * time.Second):
			t.Fatal("message missing")
		}
	}
	tap.setFilter(nil)
	mu.Lock()
	replays := cap
	mu.Unlock()
	for round := 0; round < 3; round++ {
		for _, p := range replays {
			inject(t, b, aAddr, p)
			inject(t, b, spoofAddr(round), p) // from elsewhere too
		}
	}
	flush(t, b)
	tap.reset()
	// Delivered once only; the end marker flushes the reader.
	end := i2npMsg(999, 50)
	as.Send(end)
	for {
		select {
		case m := <-b.h.got:
			id := binary.BigEndian.Uint32(m[1:])
			if id == 999 {
				goto done
			}
			got[id]++
		case <-time.After(10 * time.Second):
			t.Fatal("end marker missing")
		}
	}
done:
	for _, m := range msgs {
		if n := got[binary.BigEndian.Uint32(m[1:])]; n != 1 {
			t.Fatalf("message %d delivered %d times", binary.BigEndian.Uint32(m[1:]), n)
		}
	}
	if bs.Addr() != aAddr {
		t.Fatal("replays from elsewhere moved the session")
	}
	for r := 0; r < 3; r++ {
		if n := len(tap.to(spoofAddr(r))); n != 0 {
			t.Fatalf("%d datagrams to the replaying address", n)
		}
	}
}

// ---- a peer that stops ACKing ----

// Driven with a fake clock: Alice keeps sending into a black hole; her
// session ends after maxRTOs expiries with backoff, in bounded (fake) time
// and bounded memory.
func TestPeerStopsAckingBounded(t *testing.T) {
	clk := time.Unix(1_700_000_000, 0)
	nw := newMemNet()
	tr, err := New(Config{
		NetID: 7, Static: mustKey(t), RouterInfo: func() []byte { return nil },
		CheckRouterInfo: checkFakeRI, Handler: newRecHandler(), Network: nw,
		Now: func() time.Time { return clk }, QueueLen: 64,
	})
	if err != nil {
		t.Fatal(err)
	}
	var k dataKeys
	rand.Read(k.k[:])
	s := newSession(tr, sessionParams{remote: [32]byte{1}, outbound: true, addr: blackhole, mtu: 1500,
		rcvID: 1, sndID: 2, send: k, recv: k})
	start := clk
	var id uint32
	sentBytes := 0
	for step := 0; ; step++ {
		// Alice keeps sending: a few messages before every pump.
		for i := 0; i < 20; i++ {
			id++
			if err := s.Send(i2npMsg(id, 1000)); err != nil {
				t.Fatal(err)
			}
		}
		s.mu.Lock()
		pkts, next, fail := s.pumpLocked(clk)
		q, infl, rq, cw := len(s.queue), len(s.inflight), len(s.resendQ), int(s.cwnd)
		s.mu.Unlock()
		for _, p := range pkts {
			sentBytes += len(p)
		}
		if q > 64 {
			t.Fatalf("queue %d > QueueLen", q)
		}
		if infl > cw || infl > maxWindow {
			t.Fatalf("%d in flight, window %d", infl, cw)
		}
		if rq > maxWindow*4 {
			t.Fatalf("resend queue %d", rq)
		}
		if fail != nil {
			var te *TerminationError
			if !errors.As(fail, &te) || te.Reason != ReasonTimeout {
				t.Fatalf("ended with %v, want a timeout", fail)
			}
			el := clk.Sub(start)
			t.Logf("session ended after %v (fake), %d pumps, %d bytes sent", el, step, sentBytes)
			if el > 30*time.Second {
				t.Fatalf("took %v to notice a silent peer", el)
			}
			return
		}
		if !next.After(clk) {
			next = clk.Add(time.Millisecond)
		}
		clk = next
		if clk.Sub(start) > 5*time.Minute {
			t.Fatal("session never ended")
		}
	}
}

// End to end, in real time: Bob's datagrams to Alice vanish; Alice's
// session ends on its own.
func TestPeerStopsAckingLive(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~15 s")
	}
	nw := newMemNet()
	a := newTestRouter(t, nw, func(c *Config) { c.QueueLen = 32 })
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, _ := establish(t, a, b)
	aAddr, bAddr := a.t.Addr(), b.t.Addr()
	tap.setFilter(func(from, to netip.AddrPort, p []byte) bool { return !(from == bAddr && to == aAddr) })
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for i := uint32(0); ctx.Err() == nil; i++ {
			if as.Send(i2npMsg(5000+i, 1000)) != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	select {
	case <-as.Done():
	case <-time.After(40 * time.Second):
		t.Fatal("Alice's session still open after 40 s of silence")
	}
	el := time.Since(start)
	t.Logf("Alice noticed the silent peer after %v: %v", el, as.Err())
	var te *TerminationError
	if !errors.As(as.Err(), &te) || te.Reason != ReasonTimeout {
		t.Fatalf("ended with %v", as.Err())
	}
	if el > 30*time.Second {
		t.Fatalf("took %v", el)
	}
}

func mustKey(t testing.TB) *ecdh.PrivateKey {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ---- termination ----

// A Termination from the peer closes the session; we answer with reason 1
// (termination received).
func TestTerminationFromPeer(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, bs := establish(t, a, b)
	aAddr, bAddr := a.t.Addr(), b.t.Addr()
	tap.reset()
	bs.Close(ReasonNormal)
	select {
	case <-as.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Alice's session did not end on Bob's Termination")
	}
	var te *TerminationError
	if !errors.As(as.Err(), &te) || !te.Received || te.Reason != ReasonNormal {
		t.Fatalf("Alice's session ended with %v", as.Err())
	}
	if a.t.Session(b.hash) != nil {
		t.Fatal("Alice still lists the session")
	}
	// Alice's answer: decrypt what she sent Bob with Bob's receive keys.
	var reasons []int
	waitFor(t, 5*time.Second, "Alice's answer", func() bool {
		reasons = reasons[:0]
		for _, p := range tap.to(bAddr) {
			if r, ok := termReason(bs, &b.intro, p); ok {
				reasons = append(reasons, r)
			}
		}
		return len(reasons) > 0
	})
	_ = aAddr
	if len(reasons) != 1 || reasons[0] != ReasonTermReceived {
		t.Fatalf("Alice answered with termination reasons %v, want [1]", reasons)
	}
	// Bob's own reason went out too, and Bob does not answer Alice's.
	select {
	case err := <-a.h.closed:
		if !errors.As(err, &te) || te.Reason != ReasonNormal {
			t.Fatalf("SessionClosed got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no SessionClosed")
	}
}

// termReason decrypts a data packet sent to s's owner and returns the
// reason of its Termination block.
func termReason(s *Session, ik *[32]byte, pkt []byte) (int, bool) {
	if len(pkt) < MinPacket {
		return 0, false
	}
	p := bytes.Clone(pkt)
	xorFirst8(p, ik)
	if binary.BigEndian.Uint64(p) != s.rcvID {
		return 0, false
	}
	xorSecond8(p, &s.recvK2)
	if p[12] != typeData {
		return 0, false
	}
	h := parseShort(p)
	n := nonceFor(uint64(h.pn))
	pl, err := s.recvAEAD.Open(nil, n[:], p[shortHeaderLen:], p[:shortHeaderLen])
	if err != nil {
		return 0, false
	}
	bl, err := parseBlocks(pl, nil)
	if err != nil {
		return 0, false
	}
	for _, b := range bl {
		if b.typ == blkTermination && len(b.data) >= 9 {
			return int(b.data[8]), true
		}
	}
	return 0, false
}
