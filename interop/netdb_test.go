//go:build interop

package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oneRouterSeed writes a reseed zip holding only rK's RouterInfo.
func oneRouterSeed(t *testing.T, k int) string {
	p := filepath.Join(t.TempDir(), "one.zip")
	writeSeed(t, netCmd, netDir, p, k)
	return p
}

// hasRouterInfo reports whether i2pd router k has stored hash's
// RouterInfo on disk (i2pd writes new RouterInfos within about a minute).
func hasRouterInfo(k int, hash string) bool {
	_, err := os.Stat(filepath.Join(netDir, fmt.Sprintf("r%d", k), "netDb", "r"+hash[:1], "routerInfo-"+hash+".dat"))
	return err == nil
}

// connectedTo reports whether i2pd router k lists a session with hash.
func connectedTo(t *testing.T, k int, hash string) bool {
	return strings.Contains(i2pdPage(t, k, "transports"), hash[:4]+":")
}

// TestNetDbFromOneRouter is the first acceptance of issue 4: from a reseed
// of ONE floodfill's RouterInfo, i2pgo learns the whole network, publishes
// its RouterInfo with a confirmed DatabaseStore, and an i2pd router that
// never had a session with us learns our RouterInfo from the floodfills.
func TestNetDbFromOneRouter(t *testing.T) {
	seed := oneRouterSeed(t, 1)
	start := time.Now()
	n := startNodeWith(t, t.TempDir(), freePort(t), options{seed: seed, minPeers: -1, freshIdentity: true})
	var st status
	waitFor(t, 2*time.Minute, "netDb learns every router", func() (bool, string) {
		s, err := n.status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return s.NetDB.Routers >= netN && s.NetDB.Floodfills == 2, fmt.Sprintf("%+v", s.NetDB)
	})
	t.Logf("knew %d routers (%d floodfills) %v after start from a one-router reseed", st.NetDB.Routers, st.NetDB.Floodfills, time.Since(start).Round(time.Millisecond))
	waitFor(t, time.Minute, "our RouterInfo confirmed by a floodfill", func() (bool, string) {
		s, err := n.status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return s.NetDB.PublishedConfirmed > 0, fmt.Sprintf("%+v", s.NetDB)
	})
	hash := st.RouterHash
	t.Logf("RouterInfo publication confirmed by DeliveryStatus %v after start", time.Since(start).Round(time.Millisecond))

	// Non-floodfills r3 and r4: one of them must store our RouterInfo,
	// asked from the floodfills, before it ever had a session with us. i2pd
	// logs "NetDb: RouterInfo added: HASH" when it stores one; our log has
	// the time of every session.
	learnedBy := 0
	waitFor(t, 5*time.Minute, "a non-floodfill learns our RouterInfo before any session with us", func() (bool, string) {
		state := ""
		for k := 3; k <= netN; k++ {
			at, ok := i2pdLearned(t, k, hash)
			if !ok {
				state += fmt.Sprintf("r%d: not yet; ", k)
				continue
			}
			first, had := n.firstSession(routerHash(t, k))
			state += fmt.Sprintf("r%d: learned %s, first session %v (%v); ", k, at.Format("15:04:05"), first.Format("15:04:05.000"), had)
			if !had || !first.Truncate(time.Second).Before(at) {
				learnedBy = k
				return true, state
			}
		}
		return false, state
	})
	t.Logf("r%d stored our RouterInfo, learned from the floodfills, before any session with us (%v after start)", learnedBy, time.Since(start).Round(time.Millisecond))
}

// i2pdLearned finds when i2pd router k logged storing hash's RouterInfo.
func i2pdLearned(t *testing.T, k int, hash string) (time.Time, bool) {
	b, err := os.ReadFile(filepath.Join(netDir, fmt.Sprintf("r%d", k), "i2pd.log"))
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "RouterInfo added: "+hash) || len(line) < 8 {
			continue
		}
		// "HH:MM:SS@..." in local time, today.
		tod, err := time.ParseInLocation("15:04:05", line[:8], time.Local)
		if err != nil {
			continue
		}
		now := time.Now()
		at := time.Date(now.Year(), now.Month(), now.Day(), tod.Hour(), tod.Minute(), tod.Second(), 0, time.Local)
		return at, true
	}
	return time.Time{}, false
}

// routerHash is i2pd router k's ident hash.
func routerHash(t *testing.T, k int) string {
	out, err := netCmd("ri", netDir).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == fmt.Sprintf("r%d", k) {
			return f[1]
		}
	}
	t.Fatalf("no hash for r%d", k)
	return ""
}

// TestFloodfill is the floodfill acceptance of issue 4: with
// router.floodfill, the i2pd routers' RouterInfos and LeaseSets reach our
// netDb and the lookups i2pd sends us are answered.
func TestFloodfill(t *testing.T) {
	start := time.Now()
	n := startNodeWith(t, t.TempDir(), freePort(t), options{floodfill: true})
	waitFor(t, time.Minute, "i2pgo floodfill confirmed its own RouterInfo", func() (bool, string) {
		s, err := n.status()
		if err != nil {
			return false, err.Error()
		}
		return s.NetDB.PublishedConfirmed > 0, fmt.Sprintf("%+v", s.NetDB)
	})
	// A server tunnel on r3 publishes a LeaseSet to r1/r2, which flood it
	// to the other floodfills: us.
	addr, err := i2pdServer(3, fmt.Sprintf("ffsite%d", time.Now().Unix()%100000), 8081)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("i2pd server tunnel %s", addr)
	var st status
	waitFor(t, 4*time.Minute, "a LeaseSet stored with us, and lookups answered", func() (bool, string) {
		s, err := n.status()
		if err != nil {
			return false, err.Error()
		}
		st = s
		return s.NetDB.LeaseSets > 0 && s.NetDB.StoresAccepted > 0 && s.NetDB.LookupsAnswered > 0, fmt.Sprintf("%+v", s.NetDB)
	})
	t.Logf("floodfill after %v: %+v", time.Since(start).Round(time.Millisecond), st.NetDB)
}
