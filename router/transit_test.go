package router

import (
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/tunnel/build"
)

// buildFor makes a one-hop short build request whose hop is r, as a
// participant forwarding to next.
func buildFor(t *testing.T, r *Router, flags i2np.HopFlags, next data.Hash) i2np.Message {
	return hopBuild(t, r, flags, next, false)
}

// longBuildFor is buildFor with long (VariableTunnelBuild) records.
func longBuildFor(t *testing.T, r *Router, flags i2np.HopFlags, next data.Hash) i2np.Message {
	return hopBuild(t, r, flags, next, true)
}

func hopBuild(t *testing.T, r *Router, flags i2np.HopFlags, next data.Hash, long bool) i2np.Message {
	t.Helper()
	var k [32]byte
	copy(k[:], r.id.encPriv.PublicKey().Bytes())
	cfg := build.Config{Hops: []build.Hop{{
		Ident: r.hash, EncryptionKey: k, ReceiveTunnel: randomTunnelID(),
		NextIdent: next, NextTunnel: randomTunnelID(), Flags: flags,
	}}}
	var body i2np.Body
	if long {
		req, err := build.NewRequest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		body = req.Message()
	} else {
		req, err := build.NewShortRequest(cfg)
		if err != nil {
			t.Fatal(err)
		}
		body = req.Message()
	}
	m, err := i2np.NewMessage(randomMessageID(), time.Now().Add(time.Minute), body)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTransitAcceptsAndDropsReplays(t *testing.T) {
	r := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	var next data.Hash
	next[0] = 1
	m := buildFor(t, r, 0, next)
	r.handleShortTunnelBuild(next, m)
	if got := r.transit.accepted.Load(); got != 1 || r.transit.count() != 1 {
		t.Fatalf("accepted %d, %d participating; want 1, 1", got, r.transit.count())
	}
	// The same request again: its record's ephemeral key was seen.
	r.handleShortTunnelBuild(next, m)
	if r.transit.accepted.Load() != 1 || r.transit.dropped.Load() != 1 {
		t.Fatalf("replay: accepted %d dropped %d", r.transit.accepted.Load(), r.transit.dropped.Load())
	}
	// A request whose next hop is ourselves is refused.
	r.handleShortTunnelBuild(next, buildFor(t, r, 0, r.hash))
	if r.transit.rejected.Load() != 1 {
		t.Fatalf("rejected %d, want 1", r.transit.rejected.Load())
	}
	// Garbage and a record for someone else: dropped, no panic.
	bad := m
	bad.Payload = append([]byte{}, m.Payload...)
	bad.Payload[20] ^= 0xff
	r.handleShortTunnelBuild(next, bad)
	r.handleShortTunnelBuild(next, i2np.Message{Type: i2np.ShortTunnelBuild, Payload: []byte{1, 2, 3}})
	if r.transit.accepted.Load() != 1 {
		t.Fatal("a bad record was accepted")
	}
	// Transit tunnels expire after 10 minutes.
	r.transit.expire(time.Now().Add(transitLifetime + time.Second))
	if r.transit.count() != 0 {
		t.Fatalf("%d transit tunnels after expiry", r.transit.count())
	}
}

func TestTunnelDataForUnknownTunnelDropped(t *testing.T) {
	r := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	m, _ := i2np.NewMessage(1, time.Now().Add(time.Minute), i2np.TunnelDataMessage{TunnelID: 42})
	r.handleTunnelData(data.Hash{}, m)
	if r.transit.dropped.Load() != 1 {
		t.Fatalf("dropped %d", r.transit.dropped.Load())
	}
}

func TestReplyTagsOpenOnce(t *testing.T) {
	r := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	key, tag := r.newReplyTag()
	inner, _ := i2np.NewMessage(5, time.Now().Add(time.Minute), i2np.DeliveryStatusMessage{ID: 5, Time: time.Now()})
	p, err := sealReply(key, tag, inner)
	if err != nil {
		t.Fatal(err)
	}
	r.handleGarlic(data.Hash{}, p, 0)
	if r.taggedOpened.Load() != 1 {
		t.Fatalf("opened %d, want 1", r.taggedOpened.Load())
	}
	// The same tag again is not ours any more.
	r.handleGarlic(data.Hash{}, p, 0)
	if r.taggedOpened.Load() != 1 {
		t.Fatal("a reply tag was used twice")
	}
}

func TestTransitLongRecords(t *testing.T) {
	r := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	var next data.Hash
	next[0] = 1
	m := longBuildFor(t, r, 0, next)
	r.dispatch(next, m, 0)
	if got := r.transit.accepted.Load(); got != 1 || r.transit.count() != 1 {
		t.Fatalf("accepted %d, %d participating; want 1, 1", got, r.transit.count())
	}
	r.dispatch(next, m, 0) // replayed record
	if r.transit.accepted.Load() != 1 || r.transit.dropped.Load() != 1 {
		t.Fatalf("replay: accepted %d dropped %d", r.transit.accepted.Load(), r.transit.dropped.Load())
	}
	// An outbound endpoint's request is accepted too (its reply goes to
	// the reply tunnel); one whose next hop is us is refused.
	r.dispatch(next, longBuildFor(t, r, i2np.HopEndpoint, next), 0)
	r.dispatch(next, longBuildFor(t, r, 0, r.hash), 0)
	if r.transit.accepted.Load() != 2 || r.transit.rejected.Load() != 1 {
		t.Fatalf("accepted %d rejected %d, want 2 and 1", r.transit.accepted.Load(), r.transit.rejected.Load())
	}
	bad := m
	bad.Payload = append([]byte{}, m.Payload...)
	bad.Payload[100] ^= 0xff
	r.dispatch(next, bad, 0)
	r.dispatch(next, i2np.Message{Type: i2np.VariableTunnelBuild, Payload: []byte{9, 1, 2}}, 0)
	if r.transit.accepted.Load() != 2 {
		t.Fatal("a bad record was accepted")
	}
}
