package netdb_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb"
)

// TestLookupThroughRoute: with a Route, a non-floodfill's lookup leaves by
// the route, asks for its reply at the route's gateway and tunnel, sealed
// with a fresh ECIES key and tag; a floodfill's lookups never use it.
func TestLookupThroughRoute(t *testing.T) {
	for _, ff := range []bool{false, true} {
		n := newMemNet(t)
		floodfill := newNode(t, n, nodeOpts{ff: true, offline: true})
		var mu sync.Mutex
		var via []i2np.Message
		gw := data.Hash{7}
		asker := newNode(t, n, nodeOpts{ff: ff, timeout: 50 * time.Millisecond, tune: func(c *netdb.DBConfig) {
			c.Route = func() (netdb.Route, bool) {
				return netdb.Route{
					ReplyGateway: gw, ReplyTunnel: 99,
					Send: func(to data.Hash, m i2np.Message) error {
						mu.Lock()
						via = append(via, m)
						mu.Unlock()
						return nil
					},
					NewReplyTag: func() (k [32]byte, tag [8]byte) { k[0], tag[0] = 1, 2; return },
				}, true
			}
		}})
		asker.learn(t, floodfill)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		asker.db.LookupRouter(ctx, data.Hash{9})
		cancel()
		mu.Lock()
		got := len(via)
		var first i2np.Message
		if got > 0 {
			first = via[0]
		}
		mu.Unlock()
		if ff {
			if got != 0 {
				t.Fatalf("a floodfill sent %d lookups through tunnels", got)
			}
			continue
		}
		if got == 0 {
			t.Fatal("no lookup went through the route")
		}
		lk, err := i2np.ParseDatabaseLookupMessage(first.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if lk.From != gw || lk.ReplyTunnel != 99 || lk.Encryption != i2np.ReplyECIES || lk.ReplyKey[0] != 1 || len(lk.RatchetTags) != 1 || lk.RatchetTags[0][0] != 2 {
			t.Fatalf("lookup through the route: %+v", lk)
		}
		if asker.db.Stats().LookupsViaTunnels == 0 {
			t.Fatal("LookupsViaTunnels not counted")
		}
	}
}
