package streaming

import (
	"bytes"
	crand "crypto/rand"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// linkConfig shapes one direction of a test link.
type linkConfig struct {
	latency time.Duration // one way
	loss    float64       // probability a packet is dropped
	reorder float64       // probability a packet is held back behind the next
	queue   int           // packets in flight before the link drops; default 4096
	// drop, if set, drops the packets it returns true for.
	drop func(p *Packet) bool
}

type frame struct {
	fromPort, toPort uint16
	b                []byte
	due              time.Time
}

// pipe carries packets one way, from a Session's Send to a Manager's
// HandlePacket, on its own goroutine (owned by the testNet, stopped by
// close).
type pipe struct {
	cfg  linkConfig
	dst  *Manager
	q    chan frame
	done chan struct{}
	wg   sync.WaitGroup

	mu                         sync.Mutex
	rng                        *rand.Rand
	sent, dropped, delivered   int
	sentBytes, deliveredFrames int
}

func newPipe(cfg linkConfig, seed uint64) *pipe {
	if cfg.queue == 0 {
		cfg.queue = 4096
	}
	return &pipe{cfg: cfg, q: make(chan frame, cfg.queue), done: make(chan struct{}), rng: rand.New(rand.NewPCG(seed, 7))}
}

// update changes the link's shape while it runs.
func (p *pipe) update(f func(*linkConfig)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.cfg)
}

func (p *pipe) send(fromPort, toPort uint16, b []byte) error {
	p.mu.Lock()
	p.sent++
	p.sentBytes += len(b)
	drop := p.cfg.loss > 0 && p.rng.Float64() < p.cfg.loss
	if !drop && p.cfg.drop != nil {
		if pk, err := ParsePacket(b); err == nil && p.cfg.drop(&pk) {
			drop = true
		}
	}
	if drop {
		p.dropped++
	}
	latency := p.cfg.latency
	p.mu.Unlock()
	if drop {
		return nil
	}
	select {
	case p.q <- frame{fromPort, toPort, bytes.Clone(b), time.Now().Add(latency)}:
	default:
		p.mu.Lock()
		p.dropped++
		p.mu.Unlock()
	}
	return nil
}

func (p *pipe) start() {
	p.wg.Add(1)
	go p.run()
}

func (p *pipe) run() {
	defer p.wg.Done()
	var held frame
	holding := false
	var flush <-chan time.Time
	for {
		select {
		case <-p.done:
			return
		case <-flush:
			p.deliver(held)
			holding, flush = false, nil
			continue
		case f := <-p.q:
			if d := time.Until(f.due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-p.done:
					t.Stop()
					return
				}
			}
			if !holding {
				p.mu.Lock()
				hold := p.cfg.reorder > 0 && p.rng.Float64() < p.cfg.reorder
				p.mu.Unlock()
				if hold {
					held, holding = f, true
					flush = time.After(5 * time.Millisecond)
					continue
				}
			}
			p.deliver(f)
			if holding {
				p.deliver(held)
				holding, flush = false, nil
			}
		}
	}
}

func (p *pipe) deliver(f frame) {
	p.mu.Lock()
	p.delivered++
	p.mu.Unlock()
	p.dst.HandlePacket(f.fromPort, f.toPort, f.b)
}

func (p *pipe) close() {
	close(p.done)
	p.wg.Wait()
}

func (p *pipe) stats() (sent, dropped, delivered int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent, p.dropped, p.delivered
}

// testSession is a Session whose Send goes into a pipe.
type testSession struct {
	dest   data.Destination
	signer crypto.Signer
	out    *pipe
	// peer is the destination the pipe leads to; Send to others drops.
	peer data.Destination
}

func (s *testSession) Destination() data.Destination { return s.dest }
func (s *testSession) Signer() crypto.Signer         { return s.signer }
func (s *testSession) Send(to data.Destination, fromPort, toPort uint16, b []byte) error {
	if !to.Equal(s.peer.KeysAndCert) {
		return nil
	}
	return s.out.send(fromPort, toPort, b)
}

func newIdentity(t testing.TB) (data.Destination, crypto.Signer) {
	t.Helper()
	s, err := crypto.GenerateEd25519(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := data.NewDestination(crypto.SigEd25519, s.Public(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return d, s
}

// testNet is two Managers joined by two pipes.
type testNet struct {
	a, b     *Manager
	sa, sb   *testSession
	ab, ba   *pipe
	stopOnce sync.Once
}

func newTestNet(t testing.TB, ca, cb Config, lab, lba linkConfig) *testNet {
	t.Helper()
	da, ka := newIdentity(t)
	db, kb := newIdentity(t)
	n := &testNet{ab: newPipe(lab, 1), ba: newPipe(lba, 2)}
	n.sa = &testSession{dest: da, signer: ka, out: n.ab, peer: db}
	n.sb = &testSession{dest: db, signer: kb, out: n.ba, peer: da}
	n.a = NewManager(n.sa, ca, nil)
	n.b = NewManager(n.sb, cb, nil)
	n.ab.dst, n.ba.dst = n.b, n.a
	n.ab.start()
	n.ba.start()
	return n
}

// close shuts both Managers, then the pipes.
func (n *testNet) close() {
	n.stopOnce.Do(func() {
		n.a.Close()
		n.b.Close()
		n.ab.close()
		n.ba.close()
	})
}
