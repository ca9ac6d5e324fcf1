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
	if sess := r.session(to); sess != nil {
		return sess.Send(b)
	}
	ri := r.netdb.Get(to)
	if ri == nil {
		return fmt.Errorf("%w for %v", errNoRouterInfo, to)
	}
	if !r.reachable(ri) {
		return fmt.Errorf("router: %v has no address we can reach", to)
	}
	select {
	case r.dials <- struct{}{}:
	default:
		return errors.New("router: too many connections being opened")
	}
	dial := func(ctx context.Context) {
		defer func() { <-r.dials }()
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		sess, err := r.dialRouter(ctx, ri)
		if err != nil {
			if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				r.noteDialFailure(to)
			}
			r.log.Info("connect failed", "peer", to, "err", err)
			return
		}
		sess.Send(b)
	}
	if !r.goBG(dial) {
		// Before Run (tests that drive the router by hand): a dial
		// of its own, bounded by its timeout.
		go dial(context.Background())
	}
	return nil
}

// errNoRouterInfo: Send does not know the peer's RouterInfo.
var errNoRouterInfo = errors.New("router: no RouterInfo")

// sendLookingUp sends m to the router to; when its RouterInfo is not in
// the netDb it looks it up first (in the background, at most 16 at a
// time, 10 s each), as Java and i2pd do for the next hop of a tunnel build.
func (r *Router) sendLookingUp(to data.Hash, m i2np.Message, what string) {
	err := (*sender)(r).Send(to, m)
	if !errors.Is(err, errNoRouterInfo) {
		if err != nil {
			r.log.Info(what+" not forwarded", "next", to, "err", err)
		}
		return
	}
	select {
	case r.riLookups <- struct{}{}:
	default:
		r.log.Info(what+" not forwarded: too many RouterInfo lookups", "next", to)
		return
	}
	started := r.goBG(func(ctx context.Context) {
		defer func() { <-r.riLookups }()
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := r.netdb.LookupRouter(lctx, to); err != nil {
			r.log.Info(what+" not forwarded: next hop's RouterInfo not found", "next", to, "err", err)
			return
		}
		if err := (*sender)(r).Send(to, m); err != nil {
			r.log.Info(what+" not forwarded", "next", to, "err", err)
		}
	})
	if !started {
		<-r.riLookups
		r.log.Info(what+" not forwarded", "next", to, "err", err)
	}
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
