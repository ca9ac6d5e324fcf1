package ssu2

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"testing"
	"time"
)

// benchNets runs fn over real UDP on 127.0.0.1 and over the memNet.
func benchNets(b *testing.B, fn func(b *testing.B, nw func() Network)) {
	b.Run("udp", func(b *testing.B) { fn(b, func() Network { return nil }) })
	b.Run("mem", func(b *testing.B) {
		m := newMemNet()
		fn(b, func() Network { return m })
	})
}

// BenchmarkHandshake: full handshakes (TokenRequest, Retry,
// SessionRequest, SessionCreated, SessionConfirmed, Bob's first data
// packet). Alice forgets Bob's token and closes the session each time.
func BenchmarkHandshake(b *testing.B) {
	benchNets(b, func(b *testing.B, nw func() Network) {
		n := nw()
		bob := newTestRouter(b, n, func(c *Config) { c.RetryRate = 1 << 30 })
		alice := newTestRouter(b, n, nil)
		peer := bob.peer()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			alice.t.mu.Lock()
			delete(alice.t.mu.received, peer.Addr)
			alice.t.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			s, err := alice.t.Dial(ctx, peer)
			cancel()
			if err != nil {
				b.Fatalf("dial %d: %v", i, err)
			}
			s.Close(ReasonNormal)
		}
		el := time.Since(start).Seconds()
		b.StopTimer()
		b.ReportMetric(float64(b.N)/el, "handshakes/s")
		st := bob.t.Stats()
		if st.HandshakesOK < uint64(b.N) {
			b.Fatalf("Bob: %d handshakes for %d dials", st.HandshakesOK, b.N)
		}
	})
}

// BenchmarkDataPhase: one direction, Alice to Bob, until Bob's handler has
// every message.
func BenchmarkDataPhase(b *testing.B) {
	for _, size := range []int{1 << 10, 4 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			benchNets(b, func(b *testing.B, nw func() Network) {
				n := nw()
				alice := newTestRouter(b, n, nil)
				bob := newTestRouter(b, n, nil)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				s, err := alice.t.Dial(ctx, bob.peer())
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				body := make([]byte, size)
				rand.Read(body)
				// Keep at most ~512 KiB outstanding (the send queue drops
				// beyond QueueLen).
				window := max(8, min(256, (512<<10)/size))
				got := bob.h.got
				recv := 0
				take := func() {
					select {
					case <-got:
						recv++
					case <-time.After(20 * time.Second):
						b.Fatalf("stalled: %d of %d received; stats %+v", recv, b.N, alice.t.Stats())
					}
				}
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for i-recv >= window {
						take()
					}
					m := make([]byte, 9+size-9)
					m[0] = 20
					binary.BigEndian.PutUint32(m[1:], uint32(i+1))
					copy(m[9:], body)
					if err := s.Send(m); err != nil {
						b.Fatal(err)
					}
				}
				for recv < b.N {
					take()
				}
				b.StopTimer()
				st := alice.t.Stats()
				b.ReportMetric(float64(st.Retransmits)/float64(b.N), "resends/msg")
			})
		})
	}
}

func BenchmarkHeaderProtection(b *testing.B) {
	var k1, k2 [32]byte
	rand.Read(k1[:])
	rand.Read(k2[:])
	b.Run("short", func(b *testing.B) {
		pkt := make([]byte, 1200)
		rand.Read(pkt)
		for i := 0; i < b.N; i++ {
			xorHeader16(pkt, &k1, &k2)
		}
	})
	b.Run("long+key", func(b *testing.B) {
		pkt := make([]byte, 120)
		rand.Read(pkt)
		for i := 0; i < b.N; i++ {
			xorHeader16(pkt, &k1, &k2)
			xorLongTail(pkt[16:64], &k2)
		}
	})
}

// BenchmarkSealOpen: a data packet sealed as a session does and opened as
// the receiving side does (header unprotection + AEAD).
func BenchmarkSealOpen(b *testing.B) {
	for _, n := range []int{64, 1024, 1400} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			tr, err := New(Config{Static: mustKey(b), RouterInfo: func() []byte { return nil },
				CheckRouterInfo: checkFakeRI, Handler: newRecHandler()})
			if err != nil {
				b.Fatal(err)
			}
			var k dataKeys
			rand.Read(k.k[:])
			rand.Read(k.k2[:])
			var ik [32]byte
			rand.Read(ik[:])
			snd := newSession(tr, sessionParams{sndID: 5, send: k, recv: k, peerIntro: ik, mtu: 1500})
			rcv := newSession(tr, sessionParams{rcvID: 5, send: k, recv: k, mtu: 1500})
			payload := make([]byte, n)
			rand.Read(payload)
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				pkt := snd.sealLocked(payload, false)
				xorFirst8(pkt, &ik)
				xorSecond8(pkt, &rcv.recvK2)
				h := parseShort(pkt)
				nc := nonceFor(uint64(h.pn))
				if _, err := rcv.recvAEAD.Open(pkt[shortHeaderLen:shortHeaderLen], nc[:], pkt[shortHeaderLen:], pkt[:shortHeaderLen]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
