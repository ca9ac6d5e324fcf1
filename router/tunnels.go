package router

import (
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Our own tunnels live in router/tunnel/pool; the router gives the pool
// manager its hop selection (below), its transports (sender) and its
// profiles, and hands it the messages that answer its builds and tests.

// hopSelector is the router's pool.PeerSelector.
type hopSelector Router

func (s *hopSelector) SelectHops(n int) ([]*data.RouterInfo, error) {
	return (*Router)(s).selectHops(n)
}

// selectHops picks n distinct routers for a tunnel: reachable over NTCP2,
// ECIES (crypto type 4), not us, not marked bad in their profiles.
func (r *Router) selectHops(n int) ([]*data.RouterInfo, error) {
	var cands, bad []*data.RouterInfo
	for _, ri := range r.netdb.Routers() {
		if ri.Hash() == r.hash || ri.Identity.CryptoType() != 4 {
			continue
		}
		if !r.reachable(ri) && r.session(ri.Hash()) == nil {
			continue
		}
		if strings.ContainsAny(ri.Caps(), "GEU") {
			continue
		}
		if r.profiles.IsBad(ri.Hash()) || r.recentlyUnreachable(ri.Hash()) {
			if r.session(ri.Hash()) != nil {
				bad = append(bad, ri)
			}
			continue
		}
		cands = append(cands, ri)
	}
	if len(cands) < n {
		// Too few good routers (a small net whose first builds timed
		// out): rather than build nothing until the profiles decay, try
		// again through bad ones we have a session with, as Java I2P
		// falls back to its not-failing tier. Their low scores still make
		// them the last choice.
		cands = append(cands, bad...)
	}
	if len(cands) < n {
		return nil, fmt.Errorf("router: %d usable routers, need %d", len(cands), n)
	}
	// Routers we have a session with are alive; the netDb also holds
	// routers that are long gone. With enough of them (twice the hops),
	// choose among them only; in the first 30 s wait for them to come up;
	// after that take the netDb too.
	var live []*data.RouterInfo
	for _, ri := range cands {
		if r.session(ri.Hash()) != nil {
			live = append(live, ri)
		}
	}
	switch {
	case len(live) >= 2*n:
		cands = live
	case time.Since(r.start) < 30*time.Second:
		return nil, fmt.Errorf("router: %d routers connected, waiting for %d", len(live), 2*n)
	}
	// Weighted random choice: a router's profile score (builds and
	// lookups it answered; recent failures count more), times ten while we
	// have a session with it: a router we are talking to is alive, one we
	// only know from the netDb may be long gone. Routers that time out
	// sink fast.
	w := make([]float64, len(cands))
	total := 0.0
	for i, ri := range cands {
		w[i] = r.profiles.Score(ri.Hash()) + 0.01
		if r.session(ri.Hash()) != nil {
			w[i] *= 10
		}
		total += w[i]
	}
	out := make([]*data.RouterInfo, 0, n)
	for len(out) < n && total > 1e-9 {
		x := mrand.Float64() * total
		for i := range cands {
			if w[i] == 0 {
				continue
			}
			if x -= w[i]; x <= 0 || i == len(cands)-1 {
				out = append(out, cands[i])
				total -= w[i]
				w[i] = 0
				// On the public network, no two hops from one /16.
				if r.cfg.NetID == 2 {
					for j := range cands {
						if w[j] != 0 && same16(cands[i], cands[j]) {
							total -= w[j]
							w[j] = 0
						}
					}
				}
				break
			}
		}
	}
	if len(out) < n {
		return nil, fmt.Errorf("router: %d usable routers in distinct /16s, need %d", len(out), n)
	}
	return out, nil
}

// same16 reports whether two routers publish IPv4 addresses in one /16.
func same16(a, b *data.RouterInfo) bool {
	for _, x := range a.Addresses {
		ax, ok := x.IP()
		if !ok || !ax.Is4() {
			continue
		}
		for _, y := range b.Addresses {
			by, ok := y.IP()
			if ok && by.Is4() && ax.As4()[0] == by.As4()[0] && ax.As4()[1] == by.As4()[1] {
				return true
			}
		}
	}
	return false
}

// TunnelInfo describes one tunnel for the console and
// GET /api/router/tunnels.
type TunnelInfo struct {
	Direction string   `json:"direction"` // inbound, outbound, transit
	Pool      string   `json:"pool"`      // exploratory, or the transit role
	Hops      []string `json:"hops"`      // router hashes in tunnel order (ours only)
	AgeS      int64    `json:"age_s"`
	Bytes     uint64   `json:"bytes"`
	State     string   `json:"state"` // established, tested, expiring
}

// Tunnels lists our tunnels (every pool, and builds in flight) and the
// transit tunnels.
func (r *Router) Tunnels() []TunnelInfo {
	now := time.Now()
	var out []TunnelInfo
	if r.pools != nil {
		for _, t := range r.pools.List() {
			ti := TunnelInfo{Direction: t.Direction, Pool: t.Pool, AgeS: int64(t.Age.Seconds()), Bytes: t.Bytes, State: t.State}
			for _, h := range t.Hops {
				ti.Hops = append(ti.Hops, h.String())
			}
			out = append(out, ti)
		}
	}
	roles := [...]string{"participant", "inbound gateway", "outbound endpoint"}
	r.transit.mu.Lock()
	for _, tt := range r.transit.tunnels {
		out = append(out, TunnelInfo{Direction: "transit", Pool: roles[tt.role], AgeS: int64(now.Sub(tt.expires.Add(-transitLifetime)).Seconds()), Bytes: tt.bytes.Load(), State: "established"})
	}
	r.transit.mu.Unlock()
	slices.SortFunc(out, func(a, b TunnelInfo) int {
		if a.Direction != b.Direction {
			return strings.Compare(a.Direction, b.Direction)
		}
		return int(a.AgeS - b.AgeS)
	})
	return out
}
