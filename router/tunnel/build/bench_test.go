package build

import (
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// BenchmarkHopShort is one participant answering a 4-record
// ShortTunnelBuild with a prepared HopKey: find its record, decrypt (one
// X25519), derive the keys, write the reply and encrypt the other three
// records.
func BenchmarkHopShort(b *testing.B) {
	rs := newRouters(b, 3)
	cfg := tunnelConfig(rs, false, data.Hash{})
	r, err := NewShortRequest(cfg)
	if err != nil {
		b.Fatal(err)
	}
	msg := r.Message().Records
	h := rs[0]
	key, err := NewHopKey(h.key.Private, h.key.Public)
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]i2np.ShortBuildRecord, len(msg))
	b.ReportAllocs()
	for b.Loop() {
		copy(recs, msg)
		i := FindShortRecord(recs, h.hash)
		_, st, err := key.DecryptShortRecord(recs[i])
		if err != nil {
			b.Fatal(err)
		}
		if err := st.EncryptReply(i2np.ShortBuildResponse{}, recs, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkHopLong is BenchmarkHopShort for a 4-record
// VariableTunnelBuild (AES-CBC on the other records).
func BenchmarkHopLong(b *testing.B) {
	rs := newRouters(b, 3)
	cfg := tunnelConfig(rs, false, data.Hash{})
	r, err := NewRequest(cfg)
	if err != nil {
		b.Fatal(err)
	}
	msg := r.Message().Records
	h := rs[0]
	key, err := NewHopKey(h.key.Private, h.key.Public)
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]i2np.BuildRecord, len(msg))
	b.ReportAllocs()
	for b.Loop() {
		copy(recs, msg)
		i := FindRecord(recs, h.hash)
		_, st, err := key.DecryptRecord(recs[i])
		if err != nil {
			b.Fatal(err)
		}
		if err := st.EncryptReply(i2np.BuildResponse{}, recs, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkNewShortRequest is the creator building a 3-hop short request
// (three ephemeral keys and DHs).
func BenchmarkNewShortRequest(b *testing.B) {
	cfg := tunnelConfig(newRouters(b, 3), false, data.Hash{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewShortRequest(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcessShortReply is the creator reading a 3-hop short reply.
func BenchmarkProcessShortReply(b *testing.B) {
	rs := newRouters(b, 3)
	cfg := tunnelConfig(rs, false, data.Hash{})
	r, err := NewShortRequest(cfg)
	if err != nil {
		b.Fatal(err)
	}
	recs := r.Message().Records
	for i, h := range rs {
		idx := FindShortRecord(recs, h.hash)
		_, st, err := DecryptShortRecord(h.key.Private, h.key.Public, recs[idx])
		if err != nil {
			b.Fatal(err)
		}
		if err := st.EncryptReply(i2np.ShortBuildResponse{Reply: codeFor(i, false)}, recs, idx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ProcessReply(recs); err != nil {
			b.Fatal(err)
		}
	}
}
