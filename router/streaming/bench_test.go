package streaming

import (
	"context"
	"io"
	"runtime"
	"testing"
)

// BenchmarkTransfer measures throughput over the in-memory link without
// loss or latency (real time, two goroutines per link), and allocations
// per packet on the link, both directions counted. The link itself
// copies each packet once (1 alloc); that is included.
func BenchmarkTransfer(b *testing.B) {
	for _, tc := range []struct {
		name string
		size int
	}{{"1MiB", 1 << 20}, {"16MiB", 16 << 20}} {
		b.Run(tc.name, func(b *testing.B) {
			n := newTestNet(b, Config{}, Config{}, linkConfig{}, linkConfig{})
			defer n.close()
			l, err := n.b.Listen(80)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			s0, _, _ := n.ab.stats()
			r0, _, _ := n.ba.stats()
			b.ResetTimer()
			for range b.N {
				c, err := n.a.Dial(context.Background(), n.sb.dest, 80)
				if err != nil {
					b.Fatal(err)
				}
				s, err := l.Accept()
				if err != nil {
					b.Fatal(err)
				}
				done := make(chan error)
				go func() {
					for left := tc.size; left > 0; {
						k, err := c.Write(buf[:min(left, len(buf))])
						if err != nil {
							done <- err
							return
						}
						left -= k
					}
					done <- c.Close()
				}()
				got, err := io.Copy(io.Discard, s)
				if err != nil || got != int64(tc.size) {
					b.Fatalf("read %d, %v", got, err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			s1, _, _ := n.ab.stats()
			r1, _, _ := n.ba.stats()
			pkts := (s1 - s0) + (r1 - r0)
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(pkts), "allocs/pkt")
			b.ReportMetric(float64(s1-s0)/float64(b.N), "datapkts/op")
			b.ReportMetric(float64(r1-r0)/float64(b.N), "acks/op")
		})
	}
}
