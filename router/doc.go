// Package router is the composition root of the I2P router: it owns the
// identity, the transports and (in later issues) the netDb, tunnels and
// client destinations, and it serves Status snapshots.
package router
