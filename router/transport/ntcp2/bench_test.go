package ntcp2

import (
	"context"
	"net"
	"testing"
)

// loopbackPair connects alice to bob over real TCP on 127.0.0.1.
func loopbackPair(b *testing.B, alice, bob *node) (*Session, *Session) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			bob.t.Accept(c)
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	sa, err := alice.t.DialConn(context.Background(), c, bob.peer)
	if err != nil {
		b.Fatal(err)
	}
	return sa, <-bob.rec.up
}

// BenchmarkHandshake measures complete NTCP2 handshakes (both sides, one
// process) over loopback TCP: handshakes/s = 1e9 / ns/op.
func BenchmarkHandshake(b *testing.B) {
	alice, bob := newNode(b, 7, nil), newNode(b, 7, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.SetDeadline(deadline())
				bob.t.serverHandshake(c)
				c.Close()
			}()
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := alice.t.clientHandshake(c, bob.peer); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
}

// BenchmarkBulk measures data-phase throughput: 16 KB I2NP messages from
// Alice to Bob over loopback TCP, including framing, AEAD, SipHash and the
// session goroutines.
func BenchmarkBulk(b *testing.B) {
	for _, size := range []int{1024, 16 << 10, 60000} {
		b.Run(sizeName(size), func(b *testing.B) {
			alice, bob := newNode(b, 7, func(c *Config) { c.QueueLen = 4096 }), newNode(b, 7, nil)
			sa, _ := loopbackPair(b, alice, bob)
			msg := i2npMsg(size-9, 7)
			b.SetBytes(int64(size))
			b.ResetTimer()
			go func() {
				for i := 0; i < b.N; i++ {
					for sa.Send(msg) != nil {
					}
					if len(sa.queue) > cap(sa.queue)/2 {
						waitDrain(sa)
					}
				}
			}()
			for i := 0; i < b.N; i++ {
				<-bob.rec.got
			}
			b.StopTimer()
			if d := alice.t.Stats().Dropped; d != 0 {
				b.Fatalf("%d messages dropped", d)
			}
		})
	}
}
