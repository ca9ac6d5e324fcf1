package router

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// sender is the Router as netdb's Sender: messages go over the session
// with the peer, or over a new one dialed from its RouterInfo.
type sender Router

// Send queues m to router to. Without a session it dials in the background
// (at most 16 dials at once) and sends once connected.
func (s *sender) Send(to data.Hash, m i2np.Message) error {
	r := (*Router)(s)
	if to == r.hash {
		return errors.New("router: message to ourselves")
	}
	b, err := m.AppendShort(nil)
	if err != nil {
		return err
	}
	if sess := r.ntcp2.Session(to); sess != nil {
		return sess.Send(b)
	}
	ri := r.netdb.Get(to)
	if ri == nil {
		return fmt.Errorf("router: no RouterInfo for %v", to)
	}
	peer, addr, ok := ntcp2Peer(ri)
	if !ok {
		return fmt.Errorf("router: %v has no NTCP2 address we can reach", to)
	}
	select {
	case r.dials <- struct{}{}:
	default:
		return errors.New("router: too many connections being opened")
	}
	go func() {
		defer func() { <-r.dials }()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		sess, err := r.ntcp2.Dial(ctx, peer, addr)
		if err != nil {
			r.noteDialFailure(to)
			r.log.Info("connect failed", "peer", to, "err", err)
			return
		}
		sess.Send(b)
	}()
	return nil
}

// dispatch routes one received I2NP message to the subsystem that handles
// it. depth counts garlic nesting.
func (r *Router) dispatch(from data.Hash, m i2np.Message, depth int) {
	switch m.Type {
	case i2np.DeliveryStatus:
		if !r.pools.HandleDeliveryStatus(m) {
			r.netdb.Handle(from, m)
		}
	case i2np.DatabaseStore, i2np.DatabaseLookup, i2np.DatabaseSearchReply:
		r.netdb.Handle(from, m)
	case i2np.Garlic:
		if depth < 2 {
			r.handleGarlic(from, m, depth)
		}
	case i2np.ShortTunnelBuild:
		if !r.pools.HandleBuildReply(m) {
			r.handleShortTunnelBuild(from, m)
		}
	case i2np.VariableTunnelBuild:
		if !r.pools.HandleBuildReply(m) {
			r.handleVariableTunnelBuild(from, m)
		}
	case i2np.OutboundTunnelBuildReply, i2np.VariableTunnelBuildReply:
		r.pools.HandleBuildReply(m)
	case i2np.TunnelData:
		r.handleTunnelData(from, m)
	case i2np.TunnelGateway:
		r.handleTunnelGateway(from, m, depth)
	}
}
