// Package pool keeps our own tunnels: the exploratory pool and one pool
// per client destination (tunnel-creation-ecies.rst, "lastupdated
// 2025-03"; the tunnel implementation page, "Tunnel Pools" and "Tunnel
// Testing").
//
// A Manager owns every pool and the state they share: the builds in
// flight (keyed by the message ID their reply comes back with, and by the
// garlic tag of an outbound endpoint's sealed reply), the tunnel tests in
// flight, and the table of our inbound tunnels by receive ID. The router
// gives it three things through interfaces declared here: a PeerSelector
// that picks hops from the netDb and the profiles, a Sender that puts an
// I2NP message on a transport, and the Profiles to record build and test
// outcomes in. The router hands the Manager what arrives for it:
// TunnelData for our inbound endpoints, build replies, tunnel-test
// DeliveryStatus messages and garlic sealed with a build-reply tag.
//
// # Settings
//
// Each pool has Settings per direction, as Java's and i2pd's
// inbound.* / outbound.* tunnel options:
//
//	length    hops, 1..7 (zero-hop tunnels are not supported)
//	variance  -3..3: > 0 adds 0..v hops, < 0 adds -|v|..|v|, clamped to 1..7
//	quantity  tunnels kept, 1..16
//	backup    extra tunnels kept ready, 0..16
//
// The exploratory pool defaults to 2 hops and 2 tunnels each way, client
// pools to 3 hops and 2 tunnels.
//
// # Lifecycle of a tunnel
//
//	requested ──reply, every hop accepts──▶ built ──test passes──▶ tested
//	    │                                     │                      │
//	    └─refused or no reply in 15 s─▶ failed └──2 failed tests──▶ dropped
//	built/tested ──8 min──▶ expiring (a replacement is built) ──10 min──▶ gone
//
// A build uses short records (ShortTunnelBuild) when every hop publishes
// router.version 0.9.51 or newer, else long ones (VariableTunnelBuild);
// ManagerConfig.ForceLong uses long records always. An inbound build is
// sent through one of the pool's outbound tunnels (or an exploratory one),
// so its gateway cannot tell who built it; the reply of an outbound build
// comes back through one of the pool's inbound tunnels, an exploratory one,
// or our zero-hop inbound gateway.
//
// Each outbound tunnel is tested by a DeliveryStatus sent through it to
// an inbound tunnel of the same pool; each inbound tunnel by one sent
// through an outbound tunnel of the pool. A test that does not come back
// in 15 s counts against every hop of both tunnels in the profiles;
// after two failures in a row a tunnel is dropped and replaced.
package pool

// Imports: beyond the list in STYLE.md (tunnel, build, profile, data) the
// package imports i2np, to make and read the build, data and test
// messages it sends and receives, and garlic, to open the sealed
// OutboundTunnelBuildReply; the alternative, leaving the wire to the
// router, would split one state machine across two packages.
