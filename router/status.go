package router

// Status is a snapshot of the router's state, served as JSON at
// GET /api/status. Its field names are a public contract (issue 3):
// extend it, never rename.
type Status struct {
	RouterHash    string          `json:"router_hash"` // I2P base64 of the ident hash
	NetID         int             `json:"netid"`
	Version       string          `json:"version"`        // i2pgo version
	RouterVersion string          `json:"router_version"` // I2P API version we publish
	UptimeS       int64           `json:"uptime_s"`
	Peers         PeerStatus      `json:"peers"`
	NetDB         NetDBStatus     `json:"netdb"`
	Tunnels       TunnelStatus    `json:"tunnels"`
	Bandwidth     BandwidthStatus `json:"bandwidth"`
	I2NP          I2NPStatus      `json:"i2np"`
	Network       NetworkStatus   `json:"network"`
}

// NetworkStatus is our reachability as SSU2 peer tests found it.
type NetworkStatus struct {
	// Status is "ok" (reachable), "firewalled", "symmetric_nat",
	// "testing" (a test runs, none finished) or "unknown" (no SSU2, or
	// no test could run yet).
	Status string `json:"status"`
	// Peer tests we started (as Alice) that gave a result, and that
	// failed (rejected or timed out); tests we helped with as Bob and
	// Charlie.
	PeerTestsOK      uint64 `json:"peer_tests_ok"`
	PeerTestsFailed  uint64 `json:"peer_tests_failed"`
	PeerTestsBob     uint64 `json:"peer_tests_bob"`
	PeerTestsCharlie uint64 `json:"peer_tests_charlie"`
	// Forced is true when router.firewalled says we are firewalled,
	// whatever the peer tests find.
	Forced bool `json:"forced"`
	// Introducers are the introducers in our RouterInfo (while
	// firewalled). Relays count introductions: as Bob (RelayIntros we
	// passed on), as Charlie (introductions of others to us that we
	// accepted) and as Alice (sessions we opened through an introducer).
	Introducers   int    `json:"introducers"`
	RelaysBob     uint64 `json:"relays_bob"`
	RelaysCharlie uint64 `json:"relays_charlie"`
	RelaysAlice   uint64 `json:"relays_alice"`
}

// PeerStatus counts established transport sessions.
type PeerStatus struct {
	NTCP2    int `json:"ntcp2"`
	SSU2     int `json:"ssu2"`
	Inbound  int `json:"inbound"`
	Outbound int `json:"outbound"`
	// Sessions established since start, by who initiated them.
	InboundTotal  uint64 `json:"inbound_total"`
	OutboundTotal uint64 `json:"outbound_total"`
}

// NetDBStatus counts what the network database holds.
type NetDBStatus struct {
	Routers    int `json:"routers"`
	Floodfills int `json:"floodfills"`
	LeaseSets  int `json:"leasesets"`

	Floodfill          bool   `json:"floodfill"` // we serve the netDb
	StoresAccepted     uint64 `json:"stores_accepted"`
	StoresRefused      uint64 `json:"stores_refused"`
	LookupsAnswered    uint64 `json:"lookups_answered"`
	LookupsDropped     uint64 `json:"lookups_dropped"`
	Flooded            uint64 `json:"flooded"`
	RateLimited        uint64 `json:"rate_limited"`
	PublishedConfirmed uint64 `json:"published_confirmed"` // our RouterInfo, confirmed by DeliveryStatus
	LookupsViaTunnels  uint64 `json:"lookups_via_tunnels"` // our lookups sent through our tunnels
	RepliesViaTunnels  uint64 `json:"replies_via_tunnels"` // tag-sealed replies that came back through them
	LastPublishS       int64  `json:"last_publish_s"`      // seconds since the last confirmation; -1 never
}

// TunnelStatus counts tunnels. BuildSuccess is a fraction in [0,1].
type TunnelStatus struct {
	Exploratory   int     `json:"exploratory"`
	Client        int     `json:"client"`
	Participating int     `json:"participating"`
	BuildSuccess  float64 `json:"build_success"`
	// Our tunnel builds that succeeded and failed (refused or timed out).
	Built       uint64 `json:"built"`
	BuildFailed uint64 `json:"build_failed"`
	// Build requests from other routers that we accepted and rejected.
	TransitAccepted uint64 `json:"transit_accepted"`
	TransitRejected uint64 `json:"transit_rejected"`
}

// BandwidthStatus is the recent transfer rate in bytes per second.
type BandwidthStatus struct {
	InBps  int64 `json:"in_bps"`
	OutBps int64 `json:"out_bps"`
}

// I2NPStatus counts I2NP messages received, by type name, and the ones
// rejected as malformed or expired.
type I2NPStatus struct {
	Received  map[string]uint64 `json:"received"`
	Malformed uint64            `json:"malformed"`
	Expired   uint64            `json:"expired"` // dropped: expired more than 60 s ago, too far ahead, or a duplicate
}
