package ssu2

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestRelayIntroduction: Charlie is behind a NAT that lets in only
// datagrams from addresses Charlie sent to. Charlie gets a relay tag
// from Bob; Alice reaches Charlie through Bob (RelayRequest, RelayIntro,
// HolePunch, RelayResponse) and then dials him with Charlie's token.
func TestRelayIntroduction(t *testing.T) {
	nw := newMemNet()
	g := &registry{rs: make(map[[32]byte]*ptRouter)}
	a, b := newPTRouter(t, nw, g), newPTRouter(t, nw, g)
	c := newPTRouter(t, nw, g, func(cfg *Config) { cfg.WantRelayTag = func([32]byte) bool { return true } })
	ca := c.t.Addr()
	var mu sync.Mutex
	opened := map[netip.AddrPort]bool{}
	nw.mu.Lock()
	nw.tap = func(from, to netip.AddrPort, pkt []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		if from == ca {
			opened[to] = true
		}
		if to == ca && !opened[from] {
			return nil // Charlie's NAT
		}
		return pkt
	}
	nw.mu.Unlock()

	// Alice cannot reach Charlie directly.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	if _, err := a.t.Dial(ctx, c.peer()); err == nil {
		t.Fatal("Alice reached Charlie through his NAT")
	}
	cancel()

	dial(t, c.testRouter, b.testRouter)
	var intros []Introducer
	deadline := time.Now().Add(5 * time.Second)
	for len(intros) == 0 && time.Now().Before(deadline) {
		intros = c.t.Introducers(3)
		time.Sleep(10 * time.Millisecond)
	}
	if len(intros) != 1 || intros[0].Hash != b.hash || intros[0].Tag == 0 {
		t.Fatalf("Charlie's introducers: %+v", intros)
	}
	p := c.peer()
	p.Addr = netip.AddrPort{}
	p.Introducers = intros
	ctx, cancel = context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := a.t.Dial(ctx, p)
	if err != nil {
		t.Fatalf("introduced dial: %v", err)
	}
	if s.Remote() != c.hash {
		t.Fatal("wrong peer")
	}
	m := i2npMsg(7, 500)
	s.Send(m)
	select {
	case got := <-c.h.got:
		if string(got) != string(m) {
			t.Fatal("corrupted")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message over the introduced session")
	}
	// Each counted its part once.
	if st := a.t.RelayStats(); st.AsAlice != 1 || st.AsBob != 0 || st.AsCharlie != 0 {
		t.Errorf("Alice's relay stats %+v", st)
	}
	if st := b.t.RelayStats(); st.AsBob != 1 || st.AsAlice != 0 || st.AsCharlie != 0 {
		t.Errorf("Bob's relay stats %+v", st)
	}
	if st := c.t.RelayStats(); st.AsCharlie != 1 || st.Tags != 1 || st.AsAlice != 0 {
		t.Errorf("Charlie's relay stats %+v", st)
	}
}

// TestRelayUnknownTag: Bob answers a RelayRequest with an unknown tag
// with a rejection; the dial fails fast.
func TestRelayUnknownTag(t *testing.T) {
	nw := newMemNet()
	g := &registry{rs: make(map[[32]byte]*ptRouter)}
	a, b, c := newPTRouter(t, nw, g), newPTRouter(t, nw, g), newPTRouter(t, nw, g)
	p := c.peer()
	p.Addr = netip.AddrPort{}
	p.Introducers = []Introducer{{Hash: b.hash, Tag: 12345, Expires: time.Now().Add(time.Hour)}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := a.t.Dial(ctx, p); err == nil {
		t.Fatal("dial through an unknown tag worked")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("rejection took %v", d)
	}
}
