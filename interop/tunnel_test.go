//go:build interop

package interop

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var testedRe = regexp.MustCompile(`\(\s*\d+ms\s*\)\s*established`)

// TestTransit is the transit acceptance of issue 5: the i2pd routers build
// tunnels through i2pgo, list them with our hash, and their tunnel tests
// pass over them (i2pd prints a tested tunnel as "( N ms ) established").
func TestTransit(t *testing.T) {
	start := time.Now()
	n := startNode(t, t.TempDir(), freePort(t))
	var st struct {
		RouterHash string `json:"router_hash"`
		Tunnels    struct {
			Participating   int    `json:"participating"`
			TransitAccepted uint64 `json:"transit_accepted"`
		} `json:"tunnels"`
	}
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
}
