package pool

import (
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is one set of tunnels: the exploratory pool or a client
// destination's.
type Pool struct {
	m           *Manager
	cfg         Config
	deliver     Deliver
	exploratory bool
	closed      atomic.Bool

	mu                sync.Mutex
	inbound, outbound []*Tunnel

	built, failed atomic.Uint64
}

// Name is the pool's name.
func (p *Pool) Name() string { return p.cfg.Name }

// Settings returns the pool's settings with the defaults filled in.
func (p *Pool) Settings() (inbound, outbound Settings) { return p.cfg.Inbound, p.cfg.Outbound }

// Close removes a client pool; its tunnels are no longer used or rebuilt
// (they expire at the hops). Closing the exploratory pool does nothing.
func (p *Pool) Close() {
	if p.exploratory || p.closed.Swap(true) {
		return
	}
	p.m.removePool(p)
	p.mu.Lock()
	p.inbound, p.outbound = nil, nil
	p.mu.Unlock()
}

// PickInbound returns a random usable inbound tunnel, or nil.
func (p *Pool) PickInbound() *Tunnel { return p.pick(true, p.m.now()) }

// PickOutbound returns a random usable outbound tunnel, or nil.
func (p *Pool) PickOutbound() *Tunnel { return p.pick(false, p.m.now()) }

// Inbound returns the usable inbound tunnels, newest first (for a
// LeaseSet: a lease per tunnel).
func (p *Pool) Inbound() []*Tunnel {
	now := p.m.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*Tunnel
	for _, t := range p.inbound {
		if t.usable(now, p.m.cfg.Lifetime) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *Tunnel) int { return b.Built.Compare(a.Built) })
	return out
}

// Usable reports whether t is still one of the pool's tunnels with a
// minute of life left and not dropped.
func (p *Pool) Usable(t *Tunnel) bool {
	return t != nil && t.pool == p && !p.closed.Load() && t.usable(p.m.now(), p.m.cfg.Lifetime)
}

// Expires is when t stops carrying traffic at its hops.
func (p *Pool) Expires(t *Tunnel) time.Time { return t.Built.Add(p.m.cfg.Lifetime) }

// Counts returns the usable tunnels each way.
func (p *Pool) Counts() (inbound, outbound int) {
	now := p.m.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.inbound {
		if t.usable(now, p.m.cfg.Lifetime) {
			inbound++
		}
	}
	for _, t := range p.outbound {
		if t.usable(now, p.m.cfg.Lifetime) {
			outbound++
		}
	}
	return
}

// Stats are the pool's build counts.
func (p *Pool) Stats() Stats { return Stats{Built: p.built.Load(), Failed: p.failed.Load()} }

func (p *Pool) pick(inbound bool, now time.Time) *Tunnel {
	p.mu.Lock()
	defer p.mu.Unlock()
	ts := p.outbound
	if inbound {
		ts = p.inbound
	}
	var c []*Tunnel
	for _, t := range ts {
		if t.usable(now, p.m.cfg.Lifetime) {
			c = append(c, t)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[mrand.IntN(len(c))]
}

func (p *Pool) add(t *Tunnel) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.Inbound {
		p.inbound = append(p.inbound, t)
	} else {
		p.outbound = append(p.outbound, t)
	}
}

// expire drops tunnels past their lifetime and those dropped after
// failed tests.
func (p *Pool) expire(now time.Time) {
	gone := func(t *Tunnel) bool { return now.Sub(t.Built) > p.m.cfg.Lifetime || t.dropped.Load() }
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inbound = slices.DeleteFunc(p.inbound, gone)
	p.outbound = slices.DeleteFunc(p.outbound, gone)
}

// need is how many builds to start in one direction: the target less the
// tunnels that are not due for replacement, less the builds in flight.
func (p *Pool) need(inbound bool, now time.Time) int {
	if p.closed.Load() {
		return 0
	}
	s := p.cfg.Outbound
	if inbound {
		s = p.cfg.Inbound
	}
	n := s.target()
	p.mu.Lock()
	ts := p.outbound
	if inbound {
		ts = p.inbound
	}
	for _, t := range ts {
		if now.Sub(t.Built) < p.m.cfg.RebuildAt && !t.dropped.Load() {
			n--
		}
	}
	p.mu.Unlock()
	p.m.mu.Lock()
	for _, b := range p.m.pending {
		if b.pool == p && b.tun.Inbound == inbound {
			n--
		}
	}
	p.m.mu.Unlock()
	return max(n, 0)
}
