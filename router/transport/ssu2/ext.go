package ssu2

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
