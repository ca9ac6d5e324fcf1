package ssu2

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

func i2npMsg(id uint32, n int) []byte {
	m := make([]byte, 9+n)
	m[0] = 20
	binary.BigEndian.PutUint32(m[1:], id)
	binary.BigEndian.PutUint32(m[5:], uint32(time.Now().Unix()+60))
	rand.Read(m[9:])
	return m
}

func dial(t *testing.T, a, b *testRouter) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := a.t.Dial(ctx, b.peer())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return s
}

func TestHandshakeAndMessages(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	s := dial(t, a, b)
	if s.Remote() != b.hash {
		t.Fatal("wrong remote")
	}
	var bs *Session
	select {
	case bs = <-b.h.est:
	case <-time.After(5 * time.Second):
		t.Fatal("Bob never established")
	}
	if bs.Remote() != a.hash {
		t.Fatal("Bob sees the wrong remote")
	}
	// Small, large (fragmented) and maximum messages both ways.
	sizes := []int{1, 100, 1200, 5000, 30000, 65000}
	var want [][]byte
	for i, n := range sizes {
		m := i2npMsg(uint32(i+1), n)
		want = append(want, m)
		if err := s.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range sizes {
		select {
		case got := <-b.h.got:
			if !bytes.Equal(got, want[i]) && !containsMsg(want, got) {
				t.Fatalf("message %d corrupted (%d bytes)", i, len(got))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d never arrived", i)
		}
	}
	m := i2npMsg(99, 3000)
	bs.Send(m)
	select {
	case got := <-a.h.got:
		if !bytes.Equal(got, m) {
			t.Fatal("reply corrupted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reply never arrived")
	}
	// A second dial returns the same session; a token was issued.
	if s2 := dial(t, a, b); s2 != s {
		t.Fatal("second dial made a new session")
	}
	if a.t.takeToken(b.t.Addr()) == 0 {
		t.Fatal("no New Token from Bob")
	}
}

func containsMsg(ms [][]byte, m []byte) bool {
	for _, x := range ms {
		if bytes.Equal(x, m) {
			return true
		}
	}
	return false
}

func TestTransferUnderLoss(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	s := dial(t, a, b)
	nw.mu.Lock()
	nw.loss = 0.05
	nw.mu.Unlock()
	const n = 400
	want := make(map[uint32][]byte)
	for i := 0; i < n; i++ {
		m := i2npMsg(uint32(1000+i), 2000+i*7)
		want[uint32(1000+i)] = m
		for s.Send(m) != nil {
			time.Sleep(time.Millisecond)
		}
	}
	deadline := time.After(60 * time.Second)
	for len(want) > 0 {
		select {
		case got := <-b.h.got:
			id := binary.BigEndian.Uint32(got[1:])
			w, ok := want[id]
			if !ok {
				t.Fatalf("unexpected or duplicate message %d", id)
			}
			if !bytes.Equal(w, got) {
				t.Fatalf("message %d corrupted", id)
			}
			delete(want, id)
		case <-deadline:
			t.Fatalf("%d of %d messages missing; stats %+v", len(want), n, a.t.Stats())
		}
	}
	if a.t.Stats().Retransmits == 0 {
		t.Fatal("5% loss but no retransmissions")
	}
}

// Pending counts the messages the peer has not acknowledged yet.
func TestPending(t *testing.T) {
	nw := newMemNet()
	a := newTestRouter(t, nw, nil)
	b := newTestRouter(t, nw, nil)
	tap := installTap(nw)
	as, _ := establish(t, a, b)
	aAddr := a.t.Addr()
	// Bob's ACKs are lost: everything stays pending.
	tap.setFilter(func(from, to netip.AddrPort, p []byte) bool { return to != aAddr })
	var sent [][]byte
	for i := 1; i <= 5; i++ {
		m := i2npMsg(uint32(i), 3000)
		sent = append(sent, m)
		if err := as.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range sent {
		expectMsg(t, b, m)
	}
	if n := as.Pending(); n != 5 {
		t.Fatalf("Pending = %d with every ACK lost, want 5", n)
	}
	// ACKs get through again: nothing pending.
	tap.setFilter(nil)
	waitFor(t, 10*time.Second, "no pending messages", func() bool { return as.Pending() == 0 })
}
