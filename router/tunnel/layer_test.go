package tunnel

import (
	"crypto/aes"
	"math/rand/v2"
	"testing"
	"time"
)

// testRNG is a deterministic source for tests: an io.Reader and a
// rand.Rand.
type testRNG struct {
	c *rand.ChaCha8
	*rand.Rand
}

func (r *testRNG) Read(p []byte) (int, error) { return r.c.Read(p) }

func testRand(seed byte) *testRNG {
	var s [32]byte
	s[0] = seed
	c := rand.NewChaCha8(s)
	return &testRNG{c: c, Rand: rand.New(c)}
}

func randKeys(r *testRNG) LayerKeys {
	var k LayerKeys
	r.Read(k.Layer[:])
	r.Read(k.IV[:])
	return k
}

func TestLayerRoundTrip(t *testing.T) {
	r := testRand(1)
	var hops []*Cipher
	for range 8 {
		hops = append(hops, NewCipher(randKeys(r)))
	}
	var plain [BodyLen]byte
	r.Read(plain[:])
	for n := 0; n <= len(hops); n++ {
		b := plain
		for _, h := range hops[:n] {
			h.EncryptLayer(&b)
		}
		if n > 0 && b == plain {
			t.Fatalf("%d layers left the body unchanged", n)
		}
		DecryptLayers(hops[:n], &b)
		if b != plain {
			t.Fatalf("%d layers: decrypt did not invert encrypt", n)
		}
		// Outbound order: decrypt first, encrypt at each hop.
		DecryptLayers(hops[:n], &b)
		for _, h := range hops[:n] {
			h.EncryptLayer(&b)
		}
		if b != plain {
			t.Fatalf("%d layers: encrypt did not invert decrypt", n)
		}
	}
}

// TestLayerDefinition checks EncryptLayer against the spec's three steps
// done with crypto/aes block by block.
func TestLayerDefinition(t *testing.T) {
	r := testRand(2)
	k := randKeys(r)
	var b [BodyLen]byte
	r.Read(b[:])
	want := b
	ivb, _ := aes.NewCipher(k.IV[:])
	lb, _ := aes.NewCipher(k.Layer[:])
	ivb.Encrypt(want[:16], want[:16])
	prev := want[:16]
	for i := 16; i < BodyLen; i += 16 {
		for j := range 16 {
			want[i+j] ^= prev[j]
		}
		lb.Encrypt(want[i:i+16], want[i:i+16])
		prev = want[i : i+16]
	}
	ivb.Encrypt(want[:16], want[:16])
	NewCipher(k).EncryptLayer(&b)
	if b != want {
		t.Fatal("EncryptLayer differs from the spec's definition")
	}
}

// TestCBCFallback checks the block-by-block CBC kept for a crypto/aes
// without SetIV against the standard one.
func TestCBCFallback(t *testing.T) {
	r := testRand(3)
	k := randKeys(r)
	c := NewCipher(k)
	lb, _ := aes.NewCipher(k.Layer[:])
	f := &Cipher{iv: c.iv, enc: &cbcMode{b: lb}, dec: &cbcMode{b: lb, decrypt: true}}
	if f.enc.BlockSize() != 16 {
		t.Fatal("BlockSize")
	}
	var b [BodyLen]byte
	r.Read(b[:])
	x, y := b, b
	c.EncryptLayer(&x)
	f.EncryptLayer(&y)
	if x != y {
		t.Fatal("fallback EncryptLayer differs")
	}
	c.DecryptLayer(&x)
	f.DecryptLayer(&y)
	if x != b || y != b {
		t.Fatal("fallback DecryptLayer differs")
	}
}

func TestLayerNoAllocs(t *testing.T) {
	c := NewCipher(randKeys(testRand(4)))
	var b [BodyLen]byte
	if n := testing.AllocsPerRun(100, func() {
		c.EncryptLayer(&b)
		c.DecryptLayer(&b)
	}); n != 0 {
		t.Fatalf("%v allocations per message", n)
	}
}

// BenchmarkParticipantLayer is what a participant does per message: the
// IV filter (default size) and one layer. msgs/s is per core. The clock
// advances 1 ms per message, the filter's design load of 1 MB/s, so
// generations rotate as they would; "fp/Mmsg" counts false positives per
// million messages (the doc's bound is about 50).
func BenchmarkParticipantLayer(b *testing.B) {
	r := testRand(5)
	p := Participant{Cipher: NewCipher(randKeys(r)), Filter: NewIVFilter(IVFilterConfig{})}
	var body [BodyLen]byte
	r.Read(body[:])
	now := testNow
	fp := 0
	b.SetBytes(BodyLen)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		// Each encrypted body is new to the filter: its IV has changed.
		if err := p.Process(&body, now); err != nil {
			fp++
			body[0]++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(fp)*1e6/float64(b.N), "fp/Mmsg")
}

func BenchmarkEncryptLayer(b *testing.B) {
	c := NewCipher(randKeys(testRand(6)))
	var body [BodyLen]byte
	b.SetBytes(BodyLen)
	b.ReportAllocs()
	for b.Loop() {
		c.EncryptLayer(&body)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkDecryptLayer(b *testing.B) {
	c := NewCipher(randKeys(testRand(7)))
	var body [BodyLen]byte
	b.SetBytes(BodyLen)
	b.ReportAllocs()
	for b.Loop() {
		c.DecryptLayer(&body)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
