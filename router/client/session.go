package client

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// Session is a destination seen by one protocol's layer (streaming,
// datagrams): it sends that protocol's payloads. It satisfies
// streaming.Session.
type Session struct {
	d     *Destination
	proto uint8
}

// Session returns the destination's session for protocol proto.
func (d *Destination) Session(proto uint8) *Session { return &Session{d: d, proto: proto} }

// Destination is our destination.
func (s *Session) Destination() data.Destination { return s.d.keys.Destination }

// Signer is its signing key.
func (s *Session) Signer() crypto.Signer { return s.d.Signer() }

// maxPendingLookups bounds the sends waiting for a LeaseSet lookup.
const maxPendingLookups = 64

var errBusy = errors.New("client: too many LeaseSet lookups in flight")

// Send sends one payload to `to`. When to's LeaseSet is known it is sent
// at once; otherwise the send waits for the lookup in the background
// (at most maxPendingLookups at a time) and Send returns nil.
func (s *Session) Send(to data.Destination, fromPort, toPort uint16, payload []byte) error {
	d := s.d
	h := to.Hash()
	d.mu.Lock()
	_, known := d.remotes[h]
	d.mu.Unlock()
	if known {
		return d.Send(context.Background(), h, s.proto, fromPort, toPort, payload)
	}
	select {
	case d.lookups <- struct{}{}:
	default:
		return errBusy
	}
	p := append([]byte(nil), payload...)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.lookups }()
		if err := d.Send(d.ctx, h, s.proto, fromPort, toPort, p); err != nil {
			d.log.Debug("send after lookup failed", "err", err)
		}
	}()
	return nil
}

func randomMessageID() i2np.MessageID {
	var b [4]byte
	crand.Read(b[:])
	return i2np.MessageID(binary.BigEndian.Uint32(b[:]))
}
