package ssu2

import (
	"net/netip"
	"time"
)

// extensions holds peer testing and relaying. (Filled in by peertest.go
// and relay.go.)
type extensions struct {
	t *Transport
}

func (e *extensions) init(t *Transport) { e.t = t }

func (e *extensions) handlePeerTestPacket(pkt []byte, from netip.AddrPort)                { e.t.dropped.Add(1) }
func (e *extensions) handleHolePunch(pkt []byte, from netip.AddrPort)                     { e.t.dropped.Add(1) }
func (e *extensions) observedAddress(peer [32]byte, ap netip.AddrPort)                    {}
func (e *extensions) relayTagReceived(peer Peer, tag uint32)                              {}
func (e *extensions) relayTagFor(from netip.AddrPort) uint32                              { return 0 }
func (e *extensions) relayTagIssued(s *Session, tag uint32)                               {}
func (e *extensions) handleBlock(s *Session, typ uint8, data []byte, from netip.AddrPort) {}
func (e *extensions) housekeeping(now time.Time)                                          {}

// Reachability is what peer tests found about us.
type Reachability int

const (
	ReachUnknown Reachability = iota
	ReachTesting
	ReachOK
	ReachFirewalled
	ReachSymmetricNAT
)

func (r Reachability) String() string {
	switch r {
	case ReachTesting:
		return "testing"
	case ReachOK:
		return "ok"
	case ReachFirewalled:
		return "firewalled"
	case ReachSymmetricNAT:
		return "symmetric_nat"
	}
	return "unknown"
}

// PeerTestStats are the peer test counters and our reachability.
type PeerTestStats struct {
	Status           Reachability
	OK, Failed       uint64 // tests we ran as Alice
	AsBob, AsCharlie uint64 // tests we helped with
}

// PeerTestStats returns our reachability and the test counters.
func (t *Transport) PeerTestStats() PeerTestStats { return t.ext.peerTestStats() }

func (e *extensions) peerTestStats() PeerTestStats { return PeerTestStats{} }
