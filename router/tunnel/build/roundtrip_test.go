package build

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	xhkdf "golang.org/x/crypto/hkdf"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

type testRouter struct {
	hash data.Hash
	key  crypto.X25519KeyPair
}

func newRouters(t testing.TB, n int) []testRouter {
	t.Helper()
	rs := make([]testRouter, n)
	for i := range rs {
		rand.Read(rs[i].hash[:])
		k, err := crypto.GenerateX25519(nil)
		if err != nil {
			t.Fatal(err)
		}
		rs[i].key = k
	}
	return rs
}

func randTunnelID() data.TunnelID {
	for {
		if id := data.TunnelID(randUint64()); id != 0 {
			return id
		}
	}
}

var testTime = time.Date(2025, 6, 1, 12, 34, 0, 0, time.UTC)

// tunnelConfig chains routers into an outbound tunnel (replying to a
// random gateway) or an inbound one (ending at us).
func tunnelConfig(rs []testRouter, inbound bool, us data.Hash) Config {
	hops := make([]Hop, len(rs))
	for i, r := range rs {
		hops[i] = Hop{Ident: r.hash, EncryptionKey: r.key.Public, ReceiveTunnel: randTunnelID()}
	}
	for i := range hops {
		if i+1 < len(hops) {
			hops[i].NextIdent, hops[i].NextTunnel = hops[i+1].Ident, hops[i+1].ReceiveTunnel
		} else if inbound {
			hops[i].NextIdent, hops[i].NextTunnel = us, randTunnelID()
		} else {
			rand.Read(hops[i].NextIdent[:])
			hops[i].NextTunnel = randTunnelID()
			hops[i].Flags = i2np.HopEndpoint
		}
	}
	if inbound {
		hops[0].Flags |= i2np.HopGateway
	}
	m, _ := data.NewMapping(data.Pair{Key: "m", Value: "10"}, data.Pair{Key: "r", Value: "100"})
	hops[0].Options = m
	hops[len(hops)-1].NextMessageID = 0x01020304
	cfg := Config{Hops: hops, RequestTime: testTime}
	if inbound {
		cfg.Originator = us
	}
	return cfg
}

// codeFor is the reply of hop i in the simulations: accept, but hop 1
// rejects when reject is set.
func codeFor(i int, reject bool) i2np.BuildReply {
	if reject && i == 1 {
		return i2np.ReplyRejectBandwidth
	}
	return i2np.ReplyAccept
}

// wireLong sends records through the VariableTunnelBuild codec, as a hop
// receives them.
func wireLong(t testing.TB, recs []i2np.BuildRecord) []i2np.BuildRecord {
	t.Helper()
	b, err := i2np.VariableTunnelBuildMessage{Records: recs}.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := i2np.ParseVariableTunnelBuildMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return m.Records
}

func wireShort(t testing.TB, recs []i2np.ShortBuildRecord) []i2np.ShortBuildRecord {
	t.Helper()
	b, err := i2np.ShortTunnelBuildMessage{Records: recs}.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := i2np.ParseShortTunnelBuildMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return m.Records
}

func bandwidthReply(t testing.TB) data.Mapping {
	m, err := data.NewMapping(data.Pair{Key: "b", Value: "250"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runLong plays every hop of a long build, checking what each sees.
func runLong(t *testing.T, rs []testRouter, cfg Config, r *Request, reject bool) []i2np.BuildRecord {
	t.Helper()
	recs := r.Message().Records
	for i, h := range rs {
		recs = wireLong(t, recs)
		idx := FindRecord(recs, h.hash)
		if idx != r.Hops[i].Record {
			t.Fatalf("hop %d found record %d, creator put it in %d", i, idx, r.Hops[i].Record)
		}
		key, err := NewHopKey(h.key.Private, h.key.Public)
		if err != nil {
			t.Fatal(err)
		}
		q, st, err := key.DecryptRecord(recs[idx])
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		c := cfg.Hops[i]
		if q.ReceiveTunnel != c.ReceiveTunnel || q.NextTunnel != c.NextTunnel || q.NextIdent != c.NextIdent || q.Flags != c.Flags {
			t.Fatalf("hop %d got %+v, want %+v", i, q, c)
		}
		if q.LayerKey != r.Hops[i].LayerKey || q.IVKey != r.Hops[i].IVKey {
			t.Fatalf("hop %d layer keys differ from the creator's", i)
		}
		if !q.RequestTime.Equal(testTime) || q.Expiration != DefaultExpiration {
			t.Fatalf("hop %d: time %s expiration %s", i, q.RequestTime, q.Expiration)
		}
		if i == len(rs)-1 && q.NextMessageID != 0x01020304 {
			t.Fatalf("last hop next message ID %#x", q.NextMessageID)
		}
		if q.Options.String() != c.Options.String() {
			t.Fatalf("hop %d options %s, want %s", i, q.Options, c.Options)
		}
		resp := i2np.BuildResponse{Reply: codeFor(i, reject), Options: bandwidthReply(t)}
		if err := st.EncryptReply(resp, recs, idx); err != nil {
			t.Fatal(err)
		}
	}
	return wireLong(t, recs)
}

func runShort(t *testing.T, rs []testRouter, cfg Config, r *ShortRequest, reject bool) []i2np.ShortBuildRecord {
	t.Helper()
	recs := r.Message().Records
	for i, h := range rs {
		recs = wireShort(t, recs)
		idx := FindShortRecord(recs, h.hash)
		if idx != r.Hops[i].Record {
			t.Fatalf("hop %d found record %d, creator put it in %d", i, idx, r.Hops[i].Record)
		}
		key, err := NewHopKey(h.key.Private, h.key.Public)
		if err != nil {
			t.Fatal(err)
		}
		q, st, err := key.DecryptShortRecord(recs[idx])
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		c := cfg.Hops[i]
		if q.ReceiveTunnel != c.ReceiveTunnel || q.NextTunnel != c.NextTunnel || q.NextIdent != c.NextIdent || q.Flags != c.Flags {
			t.Fatalf("hop %d got %+v, want %+v", i, q, c)
		}
		if st.LayerKey != r.Hops[i].LayerKey || st.IVKey != r.Hops[i].IVKey {
			t.Fatalf("hop %d derived other layer keys than the creator", i)
		}
		if st.LayerKey == st.IVKey || st.LayerKey == ([32]byte{}) {
			t.Fatalf("hop %d: degenerate keys", i)
		}
		if q.Flags&i2np.HopEndpoint != 0 {
			if st.GarlicKey != r.GarlicKey || st.GarlicTag != r.GarlicTag || r.GarlicKey == ([32]byte{}) {
				t.Fatalf("OBEP garlic key/tag differ from the creator's")
			}
		}
		if !q.RequestTime.Equal(testTime) || q.Expiration != DefaultExpiration {
			t.Fatalf("hop %d: time %s expiration %s", i, q.RequestTime, q.Expiration)
		}
		if i == len(rs)-1 && q.NextMessageID != 0x01020304 {
			t.Fatalf("last hop next message ID %#x", q.NextMessageID)
		}
		resp := i2np.ShortBuildResponse{Reply: codeFor(i, reject), Options: bandwidthReply(t)}
		if err := st.EncryptReply(resp, recs, idx); err != nil {
			t.Fatal(err)
		}
	}
	return wireShort(t, recs)
}

func TestRoundTrip(t *testing.T) {
	for _, short := range []bool{false, true} {
		for _, inbound := range []bool{false, true} {
			for n := 1; n <= 8; n++ {
				for _, reject := range []bool{false, true} {
					if reject && n < 2 {
						continue
					}
					name := fmt.Sprintf("short=%v/inbound=%v/hops=%d/reject=%v", short, inbound, n, reject)
					t.Run(name, func(t *testing.T) {
						roundTrip(t, short, inbound, n, reject)
					})
				}
			}
		}
	}
}

func roundTrip(t *testing.T, short, inbound bool, n int, reject bool) {
	rs := newRouters(t, n+1)
	us := rs[n].hash
	rs = rs[:n]
	cfg := tunnelConfig(rs, inbound, us)
	if n == 8 && inbound {
		cfg.Originator = data.Hash{} // no room for it
	}
	wantRecs := 4
	need := n
	if cfg.Originator != (data.Hash{}) {
		need++
	}
	if need > 4 {
		wantRecs = 8
	}
	var codes []i2np.BuildReply
	var opts []data.Mapping
	var final int
	if short {
		r, err := NewShortRequest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.records) != wantRecs || r.ReplyMessageID() != 0x01020304 {
			t.Fatalf("%d records, reply ID %#x", len(r.records), r.ReplyMessageID())
		}
		recs := runShort(t, rs, cfg, r, reject)
		final = FindShortRecord(recs, us)
		resps, err := r.ProcessReply(recs)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resps {
			codes = append(codes, p.Reply)
			opts = append(opts, p.Options)
		}
	} else {
		r, err := NewRequest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.records) != wantRecs || r.ReplyMessageID() != 0x01020304 {
			t.Fatalf("%d records, reply ID %#x", len(r.records), r.ReplyMessageID())
		}
		recs := runLong(t, rs, cfg, r, reject)
		final = FindRecord(recs, us)
		resps, err := r.ProcessReply(recs)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resps {
			codes = append(codes, p.Reply)
			opts = append(opts, p.Options)
		}
	}
	if len(codes) != n {
		t.Fatalf("%d replies for %d hops", len(codes), n)
	}
	for i, c := range codes {
		if c != codeFor(i, reject) {
			t.Errorf("hop %d replied %d, want %d", i, c, codeFor(i, reject))
		}
		if v, _ := opts[i].Get("b"); v != "250" {
			t.Errorf("hop %d reply options %s", i, opts[i])
		}
	}
	// An inbound build arrives at us with a record addressed to us.
	if cfg.Originator != (data.Hash{}) && final < 0 {
		t.Error("no originator record when the build reached us")
	}
}

// TestProcessReplyTampered alters one byte of each record of a finished
// build in turn: the creator must notice in every hop record and in the
// originator record, and ignore the filler records.
func TestProcessReplyTampered(t *testing.T) {
	rs := newRouters(t, 4)
	cfg := tunnelConfig(rs[:3], true, rs[3].hash)

	t.Run("long", func(t *testing.T) {
		r, err := NewRequest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		recs := runLong(t, rs[:3], cfg, r, false)
		if _, err := r.ProcessReply(recs); err != nil {
			t.Fatal(err)
		}
		for slot := range recs {
			bad := append([]i2np.BuildRecord(nil), recs...)
			bad[slot][100] ^= 1
			_, err := r.ProcessReply(bad)
			switch {
			case slot == r.originSlot:
				if !errors.Is(err, ErrTampered) {
					t.Errorf("originator slot %d: %v", slot, err)
				}
			case isHopSlot(r.Hops, slot):
				if !errors.Is(err, ErrAuth) {
					t.Errorf("hop slot %d: %v", slot, err)
				}
			default:
				if err != nil {
					t.Errorf("filler slot %d: %v", slot, err)
				}
			}
		}
		if _, err := r.ProcessReply(recs[:3]); !errors.Is(err, ErrMalformed) {
			t.Errorf("short reply: %v", err)
		}
	})
	t.Run("short", func(t *testing.T) {
		r, err := NewShortRequest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		recs := runShort(t, rs[:3], cfg, r, false)
		if _, err := r.ProcessReply(recs); err != nil {
			t.Fatal(err)
		}
		for slot := range recs {
			bad := append([]i2np.ShortBuildRecord(nil), recs...)
			bad[slot][200] ^= 0x80
			_, err := r.ProcessReply(bad)
			switch {
			case slot == r.originSlot:
				if !errors.Is(err, ErrTampered) {
					t.Errorf("originator slot %d: %v", slot, err)
				}
			case isHopSlot(r.Hops, slot):
				if !errors.Is(err, ErrAuth) {
					t.Errorf("hop slot %d: %v", slot, err)
				}
			default:
				if err != nil {
					t.Errorf("filler slot %d: %v", slot, err)
				}
			}
		}
		if _, err := r.ProcessReply(append(recs, recs[0])); !errors.Is(err, ErrMalformed) {
			t.Errorf("long reply: %v", err)
		}
	})
}

func isHopSlot(hops []HopKeys, slot int) bool {
	for _, h := range hops {
		if h.Record == slot {
			return true
		}
	}
	return false
}

// TestDecryptTampered flips every byte of a request record (after toPeer)
// in turn; each must fail with ErrAuth, not panic.
func TestDecryptTampered(t *testing.T) {
	rs := newRouters(t, 2)
	cfg := tunnelConfig(rs[:1], false, data.Hash{})
	k := rs[0].key

	lr, err := NewRequest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := lr.records[lr.Hops[0].Record]
	if _, _, err := DecryptRecord(k.Private, k.Public, rec); err != nil {
		t.Fatal(err)
	}
	for i := toPeerLen; i < len(rec); i++ {
		bad := rec
		bad[i] ^= 0x01
		if _, _, err := DecryptRecord(k.Private, k.Public, bad); !errors.Is(err, ErrAuth) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	other := rs[1].key
	if _, _, err := DecryptRecord(other.Private, other.Public, rec); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key: %v", err)
	}

	sr, err := NewShortRequest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srec := sr.records[sr.Hops[0].Record]
	if _, _, err := DecryptShortRecord(k.Private, k.Public, srec); err != nil {
		t.Fatal(err)
	}
	for i := toPeerLen; i < len(srec); i++ {
		bad := srec
		bad[i] ^= 0x80
		if _, _, err := DecryptShortRecord(k.Private, k.Public, bad); !errors.Is(err, ErrAuth) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	// A long record is not a short one and vice versa: a zero (low-order)
	// ephemeral key fails before any AEAD.
	var zero i2np.ShortBuildRecord
	if _, _, err := DecryptShortRecord(k.Private, k.Public, zero); !errors.Is(err, ErrAuth) || !errors.Is(err, crypto.ErrLowOrderPoint) {
		t.Fatalf("zero record: %v", err)
	}
}

// TestInvalidRequest seals well-formed records that ask for forbidden
// things.
func TestInvalidRequest(t *testing.T) {
	rs := newRouters(t, 1)
	k := rs[0].key
	to := [16]byte(rs[0].hash[:16])
	base := i2np.ShortBuildRequest{ReceiveTunnel: 1, NextTunnel: 2, RequestTime: testTime, Expiration: DefaultExpiration}
	for name, mod := range map[string]func(*i2np.ShortBuildRequest){
		"both flags":   func(q *i2np.ShortBuildRequest) { q.Flags = i2np.HopGateway | i2np.HopEndpoint },
		"zero receive": func(q *i2np.ShortBuildRequest) { q.ReceiveTunnel = 0 },
		"layer type 1": func(q *i2np.ShortBuildRequest) { q.LayerEncryption = 1 },
	} {
		q := base
		mod(&q)
		pt, err := q.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var rec i2np.ShortBuildRecord
		if _, err := sealRecord(rec[:], to, k.Public, pt); err != nil {
			t.Fatal(err)
		}
		if _, _, err := DecryptShortRecord(k.Private, k.Public, rec); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A bad options Mapping inside an authentic record.
	pt, _ := base.AppendBinary(nil)
	pt[56], pt[57] = 0x00, 0xff // options length beyond the record
	var rec i2np.ShortBuildRecord
	if _, err := sealRecord(rec[:], to, k.Public, pt); err != nil {
		t.Fatal(err)
	}
	if _, _, err := DecryptShortRecord(k.Private, k.Public, rec); !errors.Is(err, i2np.ErrMalformed) && !errors.Is(err, i2np.ErrShort) {
		t.Errorf("bad options: %v", err)
	}

	lq := i2np.BuildRequest{ReceiveTunnel: 1, NextTunnel: 2, Flags: i2np.HopGateway | i2np.HopEndpoint}
	lpt, err := lq.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var lrec i2np.BuildRecord
	if _, err := sealRecord(lrec[:], to, k.Public, lpt); err != nil {
		t.Fatal(err)
	}
	if _, _, err := DecryptRecord(k.Private, k.Public, lrec); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("long both flags: %v", err)
	}
}

func TestEncryptReplyMisuse(t *testing.T) {
	rs := newRouters(t, 1)
	cfg := tunnelConfig(rs, false, data.Hash{})
	k := rs[0].key

	sr, err := NewShortRequest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs := sr.Message().Records
	idx := sr.Hops[0].Record
	_, st, err := DecryptShortRecord(k.Private, k.Public, recs[idx])
	if err != nil {
		t.Fatal(err)
	}
	before := append([]i2np.ShortBuildRecord(nil), recs...)
	for _, i := range []int{-1, len(recs)} {
		if err := st.EncryptReply(i2np.ShortBuildResponse{}, recs, i); !errors.Is(err, ErrMalformed) {
			t.Errorf("index %d: %v", i, err)
		}
	}
	if err := st.EncryptReply(i2np.ShortBuildResponse{}, make([]i2np.ShortBuildRecord, 9), 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("9 records: %v", err)
	}
	big := i2np.ShortBuildResponse{Padding: make([]byte, 200)}
	if err := st.EncryptReply(big, recs, idx); err == nil {
		t.Error("oversized response accepted")
	}
	for i := range recs {
		if recs[i] != before[i] {
			t.Fatalf("record %d changed by a failed EncryptReply", i)
		}
	}
	if err := st.EncryptReply(i2np.ShortBuildResponse{}, recs, idx); err != nil {
		t.Fatal(err)
	}
	if err := st.EncryptReply(i2np.ShortBuildResponse{}, recs, idx); err == nil {
		t.Error("second EncryptReply with the same state accepted")
	}

	lr, err := NewRequest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lrecs := lr.Message().Records
	_, lst, err := DecryptRecord(k.Private, k.Public, lrecs[lr.Hops[0].Record])
	if err != nil {
		t.Fatal(err)
	}
	if err := lst.EncryptReply(i2np.BuildResponse{}, lrecs, 7); !errors.Is(err, ErrMalformed) {
		t.Errorf("index 7 of 4: %v", err)
	}
	if err := lst.EncryptReply(i2np.BuildResponse{}, lrecs, lr.Hops[0].Record); err != nil {
		t.Fatal(err)
	}
	if err := lst.EncryptReply(i2np.BuildResponse{}, lrecs, lr.Hops[0].Record); err == nil {
		t.Error("second EncryptReply with the same state accepted")
	}
}

func TestConfigErrors(t *testing.T) {
	rs := newRouters(t, 9)
	good := func() Config { return tunnelConfig(rs[:3], false, data.Hash{}) }
	cases := map[string]func(*Config){
		"no hops":       func(c *Config) { c.Hops = nil },
		"nine hops":     func(c *Config) { c.Hops = tunnelConfig(rs, false, data.Hash{}).Hops },
		"zero receive":  func(c *Config) { c.Hops[2].ReceiveTunnel = 0 },
		"zero next":     func(c *Config) { c.Hops[2].NextTunnel = 0 },
		"broken chain":  func(c *Config) { c.Hops[0].NextTunnel++ },
		"gateway late":  func(c *Config) { c.Hops[1].Flags = i2np.HopGateway },
		"endpoint mid":  func(c *Config) { c.Hops[1].Flags = i2np.HopEndpoint },
		"both flags":    func(c *Config) { c.Hops[2].Flags = i2np.HopGateway | i2np.HopEndpoint },
		"odd flag":      func(c *Config) { c.Hops[2].Flags |= 1 },
		"two records":   func(c *Config) { c.Records = 2 },
		"nine records":  func(c *Config) { c.Records = 9 },
		"no originator": func(c *Config) { c.Records = 3; c.Originator = rs[8].hash },
		"negative exp":  func(c *Config) { c.Expiration = -time.Second },
	}
	for name, mod := range cases {
		c := good()
		mod(&c)
		if _, err := NewRequest(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: long: %v", name, err)
		}
		if _, err := NewShortRequest(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: short: %v", name, err)
		}
	}
	// Options that do not fit the short record but fit the long one.
	c := good()
	var pairs []data.Pair
	for i := range 10 {
		pairs = append(pairs, data.Pair{Key: fmt.Sprintf("k%d", i), Value: "0123456789"})
	}
	c.Hops[1].Options, _ = data.NewMapping(pairs...)
	if _, err := NewShortRequest(c); !errors.Is(err, i2np.ErrSize) {
		t.Errorf("big options, short: %v", err)
	}
	if _, err := NewRequest(c); err != nil {
		t.Errorf("big options, long: %v", err)
	}
	// A low-order hop key.
	c = good()
	c.Hops[0].EncryptionKey = [32]byte{}
	if _, err := NewShortRequest(c); !errors.Is(err, crypto.ErrLowOrderPoint) {
		t.Errorf("zero hop key: %v", err)
	}
	// Explicit record counts, and random reply IDs.
	c = good()
	c.Records = 3
	c.Hops[2].NextMessageID = 0
	r, err := NewShortRequest(c)
	if err != nil || len(r.Message().Records) != 3 || r.ReplyMessageID() == 0 {
		t.Errorf("3 records: %v", err)
	}
}

// TestHKDF checks the spec's HKDF(ck, ZEROLEN, info, 64) against
// x/crypto's RFC 5869 implementation.
func TestHKDF(t *testing.T) {
	var ck [32]byte
	rand.Read(ck[:])
	for _, info := range []string{infoReplyKey, infoLayerKey, infoIVKey, infoGarlicKey} {
		a, b := hkdf(ck, info)
		var want [64]byte
		if _, err := xhkdf.New(sha256.New, nil, ck[:], []byte(info)).Read(want[:]); err != nil {
			t.Fatal(err)
		}
		if [32]byte(want[:32]) != a || [32]byte(want[32:]) != b {
			t.Errorf("%s: %x %x, want %x", info, a, b, want)
		}
	}
}

// TestSlotsRandom checks that the hops do not always land in the same
// slots.
func TestSlotsRandom(t *testing.T) {
	rs := newRouters(t, 3)
	cfg := tunnelConfig(rs, false, data.Hash{})
	seen := map[[3]int]bool{}
	for range 50 {
		r, err := NewShortRequest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		seen[[3]int{r.Hops[0].Record, r.Hops[1].Record, r.Hops[2].Record}] = true
	}
	if len(seen) < 5 {
		t.Errorf("only %d slot orders in 50 builds", len(seen))
	}
}

func TestNewHopKeyMismatch(t *testing.T) {
	rs := newRouters(t, 2)
	if _, err := NewHopKey(rs[0].key.Private, rs[1].key.Public); err == nil {
		t.Fatal("mismatched key pair accepted")
	}
	var rec i2np.ShortBuildRecord
	if _, _, err := DecryptShortRecord(rs[0].key.Private, rs[1].key.Public, rec); err == nil {
		t.Fatal("mismatched key pair accepted")
	}
}

// TestHopKeyConcurrent answers many requests on one HopKey from several
// goroutines (run with -race).
func TestHopKeyConcurrent(t *testing.T) {
	rs := newRouters(t, 3)
	cfg := tunnelConfig(rs, false, data.Hash{})
	key, err := NewHopKey(rs[0].key.Private, rs[0].key.Public)
	if err != nil {
		t.Fatal(err)
	}
	reqs := make([]*ShortRequest, 8)
	for i := range reqs {
		if reqs[i], err = NewShortRequest(cfg); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, len(reqs))
	for _, r := range reqs {
		go func() {
			recs := r.Message().Records
			idx := r.Hops[0].Record
			_, st, err := key.DecryptShortRecord(recs[idx])
			if err == nil {
				err = st.EncryptReply(i2np.ShortBuildResponse{}, recs, idx)
			}
			errs <- err
		}()
	}
	for range reqs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
