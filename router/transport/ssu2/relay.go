package ssu2

import (
	"net/netip"
	"time"
)

// relayState is Bob's side of relaying: the tags we gave. Relaying as
// Alice and Charlie (introductions, hole punching) is not built yet:
// RelayRequest and RelayIntro are answered with a rejection.
type relayState struct{}

func (r *relayState) init()                                             {}
func (r *relayState) housekeeping(e *extensions, now time.Time)         {}
func (r *relayState) tagReceived(e *extensions, s *Session, tag uint32) {}
func (r *relayState) handleBlock(e *extensions, s *Session, typ uint8, d []byte) {
	e.t.dropped.Add(1)
}

func (e *extensions) handleHolePunch(pkt []byte, from netip.AddrPort) { e.t.dropped.Add(1) }
func (e *extensions) relayTagReceived(peer Peer, tag uint32)          {}
func (e *extensions) relayTagFor(from netip.AddrPort) uint32          { return 0 }
func (e *extensions) relayTagIssued(s *Session, tag uint32)           {}
