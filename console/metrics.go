package console

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/i2pgo/i2pgo/proxies"
	"github.com/i2pgo/i2pgo/router"
)

// GET /metrics: the status snapshot in the Prometheus text exposition
// format (version 0.0.4). Names are i2pgo_<part>_<what>; counters end in
// _total.

type metric struct {
	name, help, typ string
	value           float64
	labels          string // `{k="v"}` or ""
}

func statusMetrics(st router.Status, tuns []proxies.TunnelStatus) []metric {
	g := func(name, help string, v float64) metric { return metric{name, help, "gauge", v, ""} }
	c := func(name, help string, v uint64) metric { return metric{name, help, "counter", float64(v), ""} }
	ms := []metric{
		g("i2pgo_uptime_seconds", "Seconds since the router started.", float64(st.UptimeS)),
		g("i2pgo_peers_ntcp2", "Established NTCP2 sessions.", float64(st.Peers.NTCP2)),
		g("i2pgo_peers_ssu2", "Established SSU2 sessions.", float64(st.Peers.SSU2)),
		g("i2pgo_peers_inbound", "Established sessions that peers opened.", float64(st.Peers.Inbound)),
		g("i2pgo_peers_outbound", "Established sessions that we opened.", float64(st.Peers.Outbound)),
		c("i2pgo_peers_inbound_sessions_total", "Sessions peers opened since start.", st.Peers.InboundTotal),
		c("i2pgo_peers_outbound_sessions_total", "Sessions we opened since start.", st.Peers.OutboundTotal),
		g("i2pgo_netdb_routers", "RouterInfos in the netDb.", float64(st.NetDB.Routers)),
		g("i2pgo_netdb_floodfills", "Floodfill routers in the netDb.", float64(st.NetDB.Floodfills)),
		g("i2pgo_netdb_leasesets", "LeaseSets in the netDb.", float64(st.NetDB.LeaseSets)),
		c("i2pgo_netdb_stores_accepted_total", "DatabaseStores accepted.", st.NetDB.StoresAccepted),
		c("i2pgo_netdb_stores_refused_total", "DatabaseStores refused.", st.NetDB.StoresRefused),
		c("i2pgo_netdb_lookups_answered_total", "DatabaseLookups answered.", st.NetDB.LookupsAnswered),
		c("i2pgo_netdb_lookups_dropped_total", "DatabaseLookups dropped.", st.NetDB.LookupsDropped),
		c("i2pgo_netdb_flooded_total", "Entries flooded to other floodfills.", st.NetDB.Flooded),
		g("i2pgo_tunnels_exploratory", "Exploratory tunnels.", float64(st.Tunnels.Exploratory)),
		g("i2pgo_tunnels_client", "Client tunnels.", float64(st.Tunnels.Client)),
		g("i2pgo_tunnels_participating", "Transit tunnels we take part in.", float64(st.Tunnels.Participating)),
		g("i2pgo_tunnels_build_success_ratio", "Recent share of our tunnel builds that succeeded.", st.Tunnels.BuildSuccess),
		c("i2pgo_tunnels_built_total", "Our tunnel builds that succeeded.", st.Tunnels.Built),
		c("i2pgo_tunnels_build_failed_total", "Our tunnel builds that failed.", st.Tunnels.BuildFailed),
		c("i2pgo_tunnels_transit_accepted_total", "Transit build requests accepted.", st.Tunnels.TransitAccepted),
		c("i2pgo_tunnels_transit_rejected_total", "Transit build requests rejected.", st.Tunnels.TransitRejected),
		g("i2pgo_bandwidth_in_bytes_per_second", "Recent inbound transfer rate.", float64(st.Bandwidth.InBps)),
		g("i2pgo_bandwidth_out_bytes_per_second", "Recent outbound transfer rate.", float64(st.Bandwidth.OutBps)),
		c("i2pgo_i2np_malformed_total", "I2NP messages rejected as malformed.", st.I2NP.Malformed),
		c("i2pgo_i2np_expired_total", "I2NP messages dropped as expired or duplicate.", st.I2NP.Expired),
	}
	types := make([]string, 0, len(st.I2NP.Received))
	for t := range st.I2NP.Received {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		ms = append(ms, metric{"i2pgo_i2np_received_total", "I2NP messages received, by type.", "counter",
			float64(st.I2NP.Received[t]), `{type="` + labelValue(t) + `"}`})
	}
	for _, t := range tuns {
		l := `{tunnel="` + labelValue(t.Name) + `",type="` + labelValue(t.Type) + `"}`
		up := 0.0
		if t.State == "running" {
			up = 1
		}
		ms = append(ms,
			metric{"i2pgo_i2ptunnel_up", "1 when the I2PTunnel tunnel runs.", "gauge", up, l},
			metric{"i2pgo_i2ptunnel_connections_total", "Connections the tunnel carried.", "counter", float64(t.Connections), l},
			metric{"i2pgo_i2ptunnel_received_bytes_total", "Bytes the tunnel received from I2P.", "counter", float64(t.BytesIn), l},
			metric{"i2pgo_i2ptunnel_sent_bytes_total", "Bytes the tunnel sent into I2P.", "counter", float64(t.BytesOut), l})
	}
	return ms
}

// labelValue escapes a Prometheus label value.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func writeMetrics(w io.Writer, ms []metric) {
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m.name] {
			seen[m.name] = true
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		}
		fmt.Fprintf(w, "%s%s %v\n", m.name, m.labels, m.value)
	}
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	var tuns []proxies.TunnelStatus
	if s.i2ptun != nil {
		tuns = s.i2ptun()
	}
	ms := statusMetrics(s.status(), tuns)
	// Group each family's lines together, as the format wants.
	slices.SortStableFunc(ms, func(a, b metric) int { return strings.Compare(a.name, b.name) })
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	writeMetrics(w, ms)
}
