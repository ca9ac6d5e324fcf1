package router

import (
	"slices"
	"strings"

	"github.com/i2pgo/i2pgo/router/data"
)

// RouterEntry describes one router of the netDb, for the console and
// GET /api/netdb/routers.
type RouterEntry struct {
	Hash      string   `json:"hash"`
	Caps      string   `json:"caps"`
	Version   string   `json:"version"`
	Published int64    `json:"published"` // unix seconds
	Addresses []string `json:"addresses"`
	Profile   struct {
		Score float64 `json:"score"`
		Bad   bool    `json:"bad"`
	} `json:"profile"`
}

// NetDBRouters lists the routers the netDb holds, by hash.
func (r *Router) NetDBRouters() []RouterEntry {
	if r.netdb == nil {
		return nil
	}
	var out []RouterEntry
	for _, ri := range r.netdb.Routers() {
		e := RouterEntry{Hash: ri.Hash().String(), Caps: ri.Caps(), Version: ri.Version(), Published: ri.Published.Unix()}
		for _, a := range ri.Addresses {
			e.Addresses = append(e.Addresses, addressString(a))
		}
		p := r.profiles.Get(ri.Hash())
		e.Profile.Score, e.Profile.Bad = p.Score(), p.IsBad()
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b RouterEntry) int { return strings.Compare(a.Hash, b.Hash) })
	return out
}

func addressString(a data.RouterAddress) string {
	s := a.TransportStyle
	if ap, ok := a.AddrPort(); ok {
		s += " " + ap.String()
	}
	return s
}
