package i2np

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// gen makes random message bodies and records.
type gen struct{ *rand.Rand }

func (g gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.Uint32())
	}
	return b
}

func (g gen) hash() data.Hash { return data.Hash(g.bytes(32)) }

func (g gen) hashes(max int) []data.Hash {
	n := g.IntN(max + 1)
	if n == 0 {
		return nil
	}
	hs := make([]data.Hash, n)
	for i := range hs {
		hs[i] = g.hash()
	}
	return hs
}

func (g gen) tunnel() data.TunnelID { return data.TunnelID(g.Uint32()%0xfffffffe + 1) }

// millis is a random time with millisecond precision, or the zero time.
func (g gen) millis() time.Time {
	if g.IntN(8) == 0 {
		return time.Time{}
	}
	return time.UnixMilli(g.Int64N(1 << 45)).UTC()
}

// minutes is a random time on a whole minute, or the zero time.
func (g gen) minutes() time.Time {
	if g.IntN(8) == 0 {
		return time.Time{}
	}
	return time.Unix(60*(1+g.Int64N(1<<32-1)), 0).UTC()
}

// mapping returns a random Mapping of at most max encoded bytes.
func (g gen) mapping(max int) data.Mapping {
	var pairs []data.Pair
	size := 2
	for g.IntN(3) != 0 {
		k := strings.Repeat(string(rune('a'+g.IntN(26))), 1+g.IntN(4)) + string(rune('A'+len(pairs)))
		v := string(g.bytes(g.IntN(20)))
		if size+4+len(k)+len(v) > max {
			break
		}
		size += 4 + len(k) + len(v)
		pairs = append(pairs, data.Pair{Key: k, Value: v})
	}
	m, err := data.NewMapping(pairs...)
	if err != nil {
		panic(err)
	}
	return m
}

// tail returns a random mapping and the padding that fills the rest of
// size bytes exactly, so that parsing gives the same value back.
func (g gen) tail(size int) (data.Mapping, []byte) {
	m := g.mapping(size)
	enc, _ := m.AppendBinary(nil)
	if len(enc) == size {
		return m, nil // as Parse returns it
	}
	return m, g.bytes(size - len(enc))
}

func (g gen) body(t MessageType) Body {
	switch t {
	case DatabaseStore:
		m := DatabaseStoreMessage{Key: g.hash(), StoreType: []uint8{0, 1, 3, 5, 7}[g.IntN(5)]}
		if g.IntN(2) == 0 {
			m.ReplyToken = g.Uint32() | 1
			m.ReplyGateway = g.hash()
			if g.IntN(2) == 0 {
				m.ReplyTunnel = g.tunnel()
			}
		}
		m.Data = g.bytes(1 + g.IntN(3000))
		return m
	case DatabaseLookup:
		m := DatabaseLookupMessage{Key: g.hash(), From: g.hash(), Lookup: LookupType(g.IntN(4)), Exclude: g.hashes(20)}
		if g.IntN(2) == 0 {
			m.ReplyTunnel = g.tunnel()
		}
		m.Encryption = ReplyEncryption(g.IntN(3))
		if m.Encryption != ReplyPlain {
			m.ReplyKey = [32]byte(g.bytes(32))
		}
		for n := 1 + g.IntN(MaxReplyTags); m.Encryption == ReplyElGamalAES && len(m.SessionTags) < n; {
			m.SessionTags = append(m.SessionTags, SessionTag(g.bytes(32)))
		}
		for n := 1 + g.IntN(3); m.Encryption == ReplyECIES && len(m.RatchetTags) < n; {
			m.RatchetTags = append(m.RatchetTags, RatchetTag(g.bytes(8)))
		}
		return m
	case DatabaseSearchReply:
		return DatabaseSearchReplyMessage{Key: g.hash(), Peers: g.hashes(16), From: g.hash()}
	case DeliveryStatus:
		return DeliveryStatusMessage{ID: MessageID(g.Uint32()), Time: g.millis()}
	case Garlic:
		return GarlicMessage{Data: g.bytes(g.IntN(2000))}
	case Data:
		return DataMessage{Data: g.bytes(g.IntN(2000))}
	case TunnelData:
		return TunnelDataMessage{TunnelID: g.tunnel(), Data: [1024]byte(g.bytes(1024))}
	case TunnelGateway:
		return TunnelGatewayMessage{TunnelID: g.tunnel(), Message: Message{
			Type: MessageType(g.Uint32()), ID: MessageID(g.Uint32()), Expiration: g.millis(), Payload: g.bytes(g.IntN(3000))}}
	case TunnelBuild, TunnelBuildReply, VariableTunnelBuild, VariableTunnelBuildReply:
		n := MaxBuildRecords
		if t == VariableTunnelBuild || t == VariableTunnelBuildReply {
			n = 1 + g.IntN(MaxBuildRecords)
		}
		recs := make([]BuildRecord, n)
		for i := range recs {
			recs[i] = BuildRecord(g.bytes(BuildRecordLen))
		}
		switch t {
		case TunnelBuild:
			return TunnelBuildMessage{Records: recs}
		case TunnelBuildReply:
			return TunnelBuildReplyMessage{Records: recs}
		case VariableTunnelBuild:
			return VariableTunnelBuildMessage{Records: recs}
		}
		return VariableTunnelBuildReplyMessage{Records: recs}
	case ShortTunnelBuild, OutboundTunnelBuildReply:
		recs := make([]ShortBuildRecord, 1+g.IntN(MaxBuildRecords))
		for i := range recs {
			recs[i] = ShortBuildRecord(g.bytes(ShortBuildRecordLen))
		}
		if t == ShortTunnelBuild {
			return ShortTunnelBuildMessage{Records: recs}
		}
		return OutboundTunnelBuildReplyMessage{Records: recs}
	}
	panic(t)
}

var allTypes = []MessageType{DatabaseStore, DatabaseLookup, DatabaseSearchReply, DeliveryStatus, Garlic,
	TunnelData, TunnelGateway, Data, TunnelBuild, TunnelBuildReply, VariableTunnelBuild,
	VariableTunnelBuildReply, ShortTunnelBuild, OutboundTunnelBuildReply}

func TestBodyRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			for range 200 {
				body := g.body(typ)
				enc, err := body.AppendBinary(nil)
				if err != nil {
					t.Fatalf("AppendBinary(%+v): %v", body, err)
				}
				got, err := ParsePayload(typ, enc)
				if err != nil {
					t.Fatalf("ParsePayload: %v\n%x", err, enc)
				}
				if !reflect.DeepEqual(got, body) {
					t.Fatalf("round trip\n got %+v\nwant %+v", got, body)
				}
				enc2, err := got.AppendBinary(nil)
				if err != nil || !bytes.Equal(enc, enc2) {
					t.Fatalf("re-encoding differs: %v", err)
				}
			}
		})
	}
}

func TestRecordRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(5, 6))}
	for range 300 {
		var q BuildRequest
		q.ReceiveTunnel, q.NextTunnel, q.NextIdent = g.tunnel(), g.tunnel(), g.hash()
		q.LayerKey, q.IVKey, q.ReplyKey = [32]byte(g.bytes(32)), [32]byte(g.bytes(32)), [32]byte(g.bytes(32))
		q.ReplyIV = [16]byte(g.bytes(16))
		q.Flags, q.MoreFlags = HopFlags(g.Uint32()), g.Uint32()>>8
		q.RequestTime, q.Expiration = g.minutes(), time.Duration(g.Uint32())*time.Second
		q.NextMessageID = MessageID(g.Uint32())
		q.Options, q.Padding = g.tail(BuildRequestLen - buildRequestOptions)
		checkRecordRoundTrip(t, q, ParseBuildRequest)

		var s ShortBuildRequest
		s.ReceiveTunnel, s.NextTunnel, s.NextIdent = g.tunnel(), g.tunnel(), g.hash()
		s.Flags, s.MoreFlags, s.LayerEncryption = HopFlags(g.Uint32()), uint16(g.Uint32()), uint8(g.Uint32())
		s.RequestTime, s.Expiration = g.minutes(), time.Duration(g.Uint32())*time.Second
		s.NextMessageID = MessageID(g.Uint32())
		s.Options, s.Padding = g.tail(ShortBuildRequestLen - shortBuildRequestOptions)
		checkRecordRoundTrip(t, s, ParseShortBuildRequest)

		var p BuildResponse
		p.Options, p.Padding = g.tail(BuildResponseLen - 1)
		p.Reply = BuildReply(g.Uint32())
		checkRecordRoundTrip(t, p, ParseBuildResponse)

		var sp ShortBuildResponse
		sp.Options, sp.Padding = g.tail(ShortBuildResponseLen - 1)
		sp.Reply = BuildReply(g.Uint32())
		checkRecordRoundTrip(t, sp, ParseShortBuildResponse)
	}
}

func checkRecordRoundTrip[T interface{ AppendBinary([]byte) ([]byte, error) }](t *testing.T, v T, parse func([]byte) (T, error)) {
	t.Helper()
	enc, err := v.AppendBinary(nil)
	if err != nil {
		t.Fatalf("AppendBinary(%+v): %v", v, err)
	}
	got, err := parse(enc)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, v)
	}
}
