package ssu2

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// registry is a fake netDb for peer tests: routers by hash, with Ed25519
// identities.
type registry struct {
	mu sync.Mutex
	rs map[[32]byte]*ptRouter
}

type ptRouter struct {
	*testRouter
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func (g *registry) get(h [32]byte) *ptRouter {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rs[h]
}

func newPTRouter(t *testing.T, nw *memNet, g *registry, mods ...func(*Config)) *ptRouter {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	r := &ptRouter{pub: pub, priv: priv}
	var self atomic.Pointer[Transport] // set once Run may already call PublicAddr
	r.testRouter = newTestRouter(t, nw, func(c *Config) {
		for _, m := range mods {
			m(c)
		}
		c.Sign = func(m []byte) ([]byte, error) { return ed25519.Sign(priv, m), nil }
		c.VerifyRouter = func(h [32]byte, m, sig []byte) error {
			o := g.get(h)
			if o == nil || !ed25519.Verify(o.pub, m, sig) {
				return errors.New("bad signature")
			}
			return nil
		}
		c.RouterInfoOf = func(h [32]byte) []byte {
			if o := g.get(h); o != nil {
				return fakeRI(o.hash, o.static.PublicKey().Bytes(), o.intro)
			}
			return nil
		}
		c.PeerOf = func(h [32]byte) (Peer, bool) {
			if o := g.get(h); o != nil {
				return o.peer(), true
			}
			return Peer{}, false
		}
		c.CanTest = func(h [32]byte) bool { return g.get(h) != nil }
		c.PublicAddr = func() netip.AddrPort {
			if t := self.Load(); t != nil {
				return t.Addr()
			}
			return netip.AddrPort{}
		}
	})
	self.Store(r.t)
	g.mu.Lock()
	g.rs[r.hash] = r
	g.mu.Unlock()
	return r
}

func waitStatus(t *testing.T, r *ptRouter, want Reachability, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if r.t.PeerTestStats().Status == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("status %v, want %v; stats %+v", r.t.PeerTestStats().Status, want, r.t.PeerTestStats())
}

func setupPeerTest(t *testing.T) (nw *memNet, a, b, c *ptRouter) {
	nw = newMemNet()
	g := &registry{rs: make(map[[32]byte]*ptRouter)}
	a, b, c = newPTRouter(t, nw, g), newPTRouter(t, nw, g), newPTRouter(t, nw, g)
	dial(t, a.testRouter, b.testRouter)
	dial(t, c.testRouter, b.testRouter)
	return
}

func TestPeerTestReachable(t *testing.T) {
	_, a, b, c := setupPeerTest(t)
	if !a.t.StartPeerTest() {
		t.Fatal("no Bob for the test")
	}
	waitStatus(t, a, ReachOK, 10*time.Second)
	if b.t.PeerTestStats().AsBob != 1 || c.t.PeerTestStats().AsCharlie != 1 {
		t.Fatalf("Bob %+v, Charlie %+v", b.t.PeerTestStats(), c.t.PeerTestStats())
	}
	if a.t.Session(c.hash) != nil {
		t.Fatal("the test made a session with Charlie")
	}
}

func TestPeerTestFirewalled(t *testing.T) {
	nw, a, _, c := setupPeerTest(t)
	// Nothing reaches Alice from Charlie's address: messages 5 and 7 are lost.
	ca, aa := c.t.Addr(), a.t.Addr()
	nw.mu.Lock()
	nw.tap = func(from, to netip.AddrPort, b []byte) []byte {
		if from == ca && to == aa {
			return nil
		}
		return b
	}
	nw.mu.Unlock()
	if !a.t.StartPeerTest() {
		t.Fatal("no Bob for the test")
	}
	waitStatus(t, a, ReachFirewalled, 20*time.Second)
}

func TestPeerTestCharlieKnowsAlice(t *testing.T) {
	_, a, _, c := setupPeerTest(t)
	dial(t, a.testRouter, c.testRouter) // Charlie rejects: Alice connected (code 68)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Bob may be c itself now (A has two sessions); try until a test
		// with Bob = b was rejected.
		a.t.StartPeerTest()
		time.Sleep(50 * time.Millisecond)
		if a.t.PeerTestStats().Failed > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rejected test: %+v", a.t.PeerTestStats())
		}
	}
	if st := a.t.PeerTestStats().Status; st == ReachOK || st == ReachFirewalled {
		t.Fatalf("a rejected test set status %v", st)
	}
}
