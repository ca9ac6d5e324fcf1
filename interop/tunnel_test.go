//go:build interop

package interop

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testedRe = regexp.MustCompile(`\(\s*\d+ms\s*\)\s*established`)

type tunnelStatus struct {
	RouterHash string `json:"router_hash"`
	NetDB      struct {
		LookupsViaTunnels uint64 `json:"lookups_via_tunnels"`
		RepliesViaTunnels uint64 `json:"replies_via_tunnels"`
	} `json:"netdb"`
	Tunnels struct {
		Exploratory     int     `json:"exploratory"`
		Participating   int     `json:"participating"`
		BuildSuccess    float64 `json:"build_success"`
		Built           uint64  `json:"built"`
		BuildFailed     uint64  `json:"build_failed"`
		TransitAccepted uint64  `json:"transit_accepted"`
	} `json:"tunnels"`
}

var i2pdRateRe = regexp.MustCompile(`Tunnel creation success rate:\s*(\d+)%`)

// i2pdBuildRate is router k's "Tunnel creation success rate" (since its
// start), or -1.
func i2pdBuildRate(t *testing.T, k int) int {
	m := i2pdRateRe.FindStringSubmatch(i2pdPage(t, k, ""))
	if m == nil {
		return -1
	}
	v, _ := strconv.Atoi(m[1])
	return v
}

// TestTunnels is the tunnel acceptance of issue 5. Exploratory pool: i2pgo
// keeps 2 inbound and 2 outbound tunnels built through i2pd hops, and its
// build success rate over the run (I2PGO_TUNNEL_SOAK, default 5 min; the
// acceptance asks for 10) is not lower than the i2pd routers' own. Transit:
// the i2pd routers build tunnels through i2pgo, list them with our hash,
// and their tunnel tests pass over them (i2pd prints a tested tunnel as
// "( N ms ) established").
func TestTunnels(t *testing.T) {
	start := time.Now()
	n := startNode(t, t.TempDir(), freePort(t))
	var st tunnelStatus
	waitFor(t, 2*time.Minute, "an exploratory pool of 2+2 tunnels", func() (bool, string) {
		if err := n.getJSON("/api/status", &st); err != nil {
			return false, err.Error()
		}
		return st.Tunnels.Exploratory >= 4, fmt.Sprintf("%+v", st.Tunnels)
	})
	t.Logf("exploratory pool built %v after start: %+v", time.Since(start).Round(time.Millisecond), st.Tunnels)
	// netDb lookups now go out through our tunnels, and i2pd's floodfills
	// answer them with ECIES-sealed replies through our inbound tunnels.
	waitFor(t, 2*time.Minute, "netDb replies through our tunnels", func() (bool, string) {
		if err := n.getJSON("/api/status", &st); err != nil {
			return false, err.Error()
		}
		return st.NetDB.RepliesViaTunnels > 0, fmt.Sprintf("%+v", st.NetDB)
	})
	t.Logf("netDb through tunnels: %+v", st.NetDB)
	waitFor(t, 10*time.Minute, "i2pd builds a tunnel through us", func() (bool, string) {
		if err := n.getJSON("/api/status", &st); err != nil {
			return false, err.Error()
		}
		return st.Tunnels.Participating > 0, fmt.Sprintf("%+v", st.Tunnels)
	})
	t.Logf("participating in %d tunnels %v after start", st.Tunnels.Participating, time.Since(start).Round(time.Millisecond))
	abbr := st.RouterHash[:4]
	var tested []string
	waitFor(t, 5*time.Minute, "an i2pd tunnel through us passes its tunnel test", func() (bool, string) {
		tested = tested[:0]
		seen := 0
		for k := 1; k <= netN; k++ {
			page := strings.ReplaceAll(i2pdPage(t, k, "tunnels"), "</div>", "\n")
			for _, line := range strings.Split(page, "\n") {
				if !strings.Contains(line, "&#8658; "+abbr) && !strings.Contains(line, abbr+" &#8658;") {
					continue
				}
				seen++
				if testedRe.MatchString(line) {
					tested = append(tested, fmt.Sprintf("r%d: %s", k, strings.Join(strings.Fields(line), " ")))
				}
			}
		}
		return len(tested) > 0, fmt.Sprintf("%d tunnels through us listed, %d tested", seen, len(tested))
	})
	for _, l := range tested {
		t.Logf("tested: %s", strings.ReplaceAll(l, "&#8658;", "->"))
	}

	soak := 5 * time.Minute
	if v := os.Getenv("I2PGO_TUNNEL_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		soak = d
	}
	for end := start.Add(soak); time.Now().Before(end); time.Sleep(5 * time.Second) {
		if err := n.getJSON("/api/status", &st); err != nil {
			t.Fatal(err)
		}
		if st.Tunnels.Exploratory < 2 {
			t.Fatalf("exploratory pool fell to %d: %+v", st.Tunnels.Exploratory, st.Tunnels)
		}
	}
	sum, cnt := 0, 0
	var rates []string
	for k := 1; k <= netN; k++ {
		if r := i2pdBuildRate(t, k); r >= 0 {
			sum += r
			cnt++
			rates = append(rates, fmt.Sprintf("r%d %d%%", k, r))
		}
	}
	ours := 100 * st.Tunnels.BuildSuccess
	t.Logf("after %v: i2pgo build success %.0f%% (%d built, %d failed); i2pd: %s", time.Since(start).Round(time.Second), ours, st.Tunnels.Built, st.Tunnels.BuildFailed, strings.Join(rates, ", "))
	if cnt > 0 && ours < float64(sum)/float64(cnt) {
		t.Errorf("our build success %.0f%% is below the i2pd routers' mean %d%%", ours, sum/cnt)
	}
}

// TestLongBuildsAndPoolSettings: with router.longbuilds the exploratory
// pool is built with long ECIES records (VariableTunnelBuild) through
// i2pd hops, with the tunnel length of router.exploratory (3 hops
// inbound, 1 outbound), and its tunnels pass their tests.
func TestLongBuildsAndPoolSettings(t *testing.T) {
	start := time.Now()
	n := startNodeWith(t, t.TempDir(), freePort(t), options{routerYAML: `  longbuilds: true
  exploratory:
    inbound:
      length: 3
    outbound:
      length: 1
      quantity: 3
`})
	type tunnelInfo struct {
		Direction string   `json:"direction"`
		Pool      string   `json:"pool"`
		Hops      []string `json:"hops"`
		State     string   `json:"state"`
	}
	var list []tunnelInfo
	waitFor(t, 3*time.Minute, "2 inbound tunnels of 3 hops and 3 outbound of 1, tested", func() (bool, string) {
		if err := n.getJSON("/api/router/tunnels", &list); err != nil {
			return false, err.Error()
		}
		in, out := 0, 0
		for _, ti := range list {
			if ti.Pool != "exploratory" || ti.State != "tested" {
				continue
			}
			switch {
			case ti.Direction == "inbound" && len(ti.Hops) == 3:
				in++
			case ti.Direction == "outbound" && len(ti.Hops) == 1:
				out++
			}
		}
		return in >= 2 && out >= 3, fmt.Sprintf("%+v", list)
	})
	long := strings.Count(n.logString(), `msg="tunnel built" component=tunnels pool=exploratory`)
	if !strings.Contains(n.logString(), "long=true") || strings.Contains(n.logString(), "long=false") {
		t.Fatalf("tunnels not built with long records only; log:\n%s", n.logString())
	}
	t.Logf("%d tunnels built with long records and tested %v after start", long, time.Since(start).Round(time.Millisecond))
}
