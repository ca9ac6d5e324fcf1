//go:build interop

package interop

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestJoinTestnet is the acceptance of issue 3: i2pgo joins the i2pd test
// network over NTCP2, in both directions, stays up without malformed
// messages, and keeps its router hash across a restart.
func TestJoinTestnet(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	start := time.Now()
	// A new identity: the check that i2pd opens a session to us (below)
	// relies on i2pd learning of this router during the test.
	n := startNodeWith(t, dir, port, options{freshIdentity: true})

	// Sessions with all 4 i2pd routers within 30 s.
	var st status
	waitFor(t, 30*time.Second, "NTCP2 sessions with all 4 i2pd routers", func() (bool, string) {
		s, err := n.status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return s.Peers.NTCP2 >= netN, fmt.Sprintf("%+v", s.Peers)
	})
	t.Logf("sessions with %d routers after %v: %+v", st.Peers.NTCP2, time.Since(start).Round(time.Millisecond), st.Peers)
	if st.NetID != 7 {
		t.Fatalf("netid %d", st.NetID)
	}
	hash := st.RouterHash
	short := hash[:4]

	// Every i2pd router counts 5 routers: our RouterInfo was accepted.
	for k := 1; k <= netN; k++ {
		waitFor(t, 60*time.Second, fmt.Sprintf("r%d knows 5 routers", k), func() (bool, string) {
			c := i2pdRouters(t, k)
			return c >= netN+1, fmt.Sprintf("routers=%d", c)
		})
	}
	t.Logf("every i2pd console counts %d routers after %v", netN+1, time.Since(start).Round(time.Millisecond))

	// Both directions: i2pd's transports pages list us, with the arrow of
	// who connected; our status counts sessions we initiated and sessions
	// i2pd initiated.
	in, out := 0, 0
	for k := 1; k <= netN; k++ {
		page := i2pdPage(t, k, "transports")
		for _, line := range strings.Split(page, "\n") {
			if !strings.Contains(line, short+":") {
				continue
			}
			// i2pd writes "⇒ HASH: ip:port" for a session it opened and
			// "HASH: ip:port ⇒" for one opened to it.
			arrow := strings.Index(line, "&#8658;")
			switch {
			case arrow < 0:
			case arrow < strings.Index(line, short+":"):
				in++
			default:
				out++
			}
		}
	}
	t.Logf("i2pd transports pages: %d sessions i2pd opened to us, %d we opened to i2pd", in, out)
	if out == 0 {
		t.Errorf("no i2pd router lists a session opened by us")
	}
	// Soak: the sessions stay up and nothing from i2pd is malformed.
	soak := 60 * time.Second
	if v := os.Getenv("I2PGO_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		soak = d
	}
	deadline := time.Now().Add(soak)
	for time.Now().Before(deadline) {
		s, err := n.status()
		if err != nil {
			t.Fatalf("status during soak: %v", err)
		}
		if s.Peers.NTCP2 < netN {
			t.Fatalf("sessions dropped to %d during the soak: %+v", s.Peers.NTCP2, s.Peers)
		}
		if s.I2NP.Malformed != 0 {
			t.Fatalf("%d malformed I2NP messages from i2pd", s.I2NP.Malformed)
		}
		st = s
		time.Sleep(2 * time.Second)
	}
	t.Logf("after a %v soak: peers %+v, I2NP received %v, malformed %d", soak, st.Peers, st.I2NP.Received, st.I2NP.Malformed)
	inbound := st.Peers.InboundTotal

	// Clean shutdown, then a restart keeps the router hash.
	if err := n.stop(); err != nil {
		t.Fatalf("i2pgo exited with %v", err)
	}
	if !strings.Contains(n.logString(), "router stopped") {
		t.Fatalf("no clean stop in the log")
	}
	n2 := startNode(t, dir, port)
	waitFor(t, 30*time.Second, "restarted i2pgo answers", func() (bool, string) {
		s, err := n2.status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return true, ""
	})
	if st.RouterHash != hash {
		t.Fatalf("router hash changed across restart: %s -> %s", hash, st.RouterHash)
	}
	waitFor(t, 30*time.Second, "restarted i2pgo has sessions with all 4 routers", func() (bool, string) {
		s, err := n2.status()
		if err != nil {
			return false, err.Error()
		}
		return s.Peers.NTCP2 >= netN, fmt.Sprintf("%+v", s.Peers)
	})

	// i2pd opens sessions to us when it wants us as a tunnel hop; it knows
	// us now, and i2pgo connects to non-floodfills only after 20 s, so the
	// restarted router normally gets one at once. Wait for one either way.
	if inbound == 0 {
		waitFor(t, 3*time.Minute, "an i2pd router opens a session to us", func() (bool, string) {
			s, err := n2.status()
			if err != nil {
				return false, err.Error()
			}
			return s.Peers.InboundTotal > 0, fmt.Sprintf("%+v", s.Peers)
		})
	}
	s2, _ := n2.status()
	t.Logf("after the restart: peers %+v", s2.Peers)
}
