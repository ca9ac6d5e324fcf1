package router

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb"
	"github.com/i2pgo/i2pgo/router/tunnel"
)

// handleGarlic opens a Garlic message addressed to our router
// (ecies-routers.rst: Noise N to our encryption key) and dispatches the
// cloves delivered locally. i2pd sends its netDb stores and lookups to
// floodfills this way.
func (r *Router) handleGarlic(from data.Hash, m i2np.Message, depth int) {
	gm, err := i2np.ParseGarlicMessage(m.Payload)
	if err != nil {
		r.malformed.Add(1)
		return
	}
	if r.pools.OpenGarlicReply(gm.Data) || r.openTagged(from, gm.Data, depth) {
		return
	}
	var priv, pub [32]byte
	copy(priv[:], r.id.encPriv.Bytes())
	copy(pub[:], r.id.encPriv.PublicKey().Bytes())
	blocks, err := garlic.DecryptForRouter(priv, pub, gm.Data)
	if err != nil {
		r.garlicFailed.Add(1)
		r.log.Debug("garlic not for us or not decryptable", "peer", from, "err", err)
		return
	}
	for _, b := range blocks {
		if b.Type != garlic.BlockGarlicClove {
			continue
		}
		c, err := garlic.ParseClove(b.Data)
		if err != nil {
			r.malformed.Add(1)
			continue
		}
		if c.Delivery != garlic.DeliveryLocal {
			// Router cloves for other routers or tunnels come with
			// the tunnel issue.
			continue
		}
		r.i2npMu.Lock()
		r.i2npCounts["Garlic/"+c.Msg.Type.String()]++
		r.i2npMu.Unlock()
		r.dispatch(from, c.Msg, depth+1)
	}
}

// sealReply wraps a netDb reply for an encrypted lookup.
func sealReply(key [32]byte, tag [8]byte, m i2np.Message) (i2np.Message, error) {
	p, err := garlic.WrapReply(key, tag, m)
	if err != nil {
		return i2np.Message{}, err
	}
	return i2np.Message{Type: i2np.Garlic, ID: m.ID ^ 0x5a5a5a5a, Expiration: m.Expiration, Payload: p}, nil
}

// replyTags are one-time ECIES tags (i2np.rst "Reply Encryption") we
// handed out with lookups sent through our tunnels: a reply sealed with
// one is opened with its key. Each expires after two minutes.
type replyTags struct {
	mu sync.Mutex
	m  map[[8]byte]replyTag
}

type replyTag struct {
	key     [32]byte
	expires time.Time
}

// newReplyTag makes and registers a key and tag.
func (r *Router) newReplyTag() (key [32]byte, tag [8]byte) {
	rand.Read(key[:])
	rand.Read(tag[:])
	rt := &r.replyTags
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.m == nil {
		rt.m = make(map[[8]byte]replyTag)
	}
	now := time.Now()
	if len(rt.m) > 10000 {
		for t, e := range rt.m {
			if now.After(e.expires) {
				delete(rt.m, t)
			}
		}
	}
	rt.m[tag] = replyTag{key: key, expires: now.Add(2 * time.Minute)}
	return key, tag
}

// openTagged opens a Garlic message sealed with one of our reply tags and
// dispatches its local cloves; false if the tag is not ours.
func (r *Router) openTagged(from data.Hash, gm []byte, depth int) bool {
	if len(gm) < 8 {
		return false
	}
	tag := [8]byte(gm[:8])
	rt := &r.replyTags
	rt.mu.Lock()
	e, ok := rt.m[tag]
	delete(rt.m, tag) // one use
	rt.mu.Unlock()
	if !ok || time.Now().After(e.expires) {
		return false
	}
	_, payload, err := garlic.OpenWithTag(e.key, gm)
	if err != nil {
		r.garlicFailed.Add(1)
		return true
	}
	r.taggedOpened.Add(1)
	blocks, err := garlic.ParseBlocks(payload)
	if err != nil {
		r.malformed.Add(1)
		return true
	}
	for _, b := range blocks {
		if b.Type != garlic.BlockGarlicClove {
			continue
		}
		if c, err := garlic.ParseClove(b.Data); err == nil && c.Delivery == garlic.DeliveryLocal {
			r.dispatch(from, c.Msg, depth+1)
		}
	}
	return true
}

// netdbRoute is netdb's way out through our exploratory tunnels: send
// through an outbound tunnel, replies to an inbound tunnel's gateway.
func (r *Router) netdbRoute() (netdb.Route, bool) {
	if r.pools == nil {
		return netdb.Route{}, false
	}
	ex := r.pools.Exploratory()
	out, in := ex.PickOutbound(), ex.PickInbound()
	if out == nil || in == nil {
		return netdb.Route{}, false
	}
	gw, gwID := in.Gateway()
	return netdb.Route{
		ReplyGateway: gw,
		ReplyTunnel:  gwID,
		Send: func(to data.Hash, m i2np.Message) error {
			return out.Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryRouter, To: to}, m)
		},
		NewReplyTag: r.newReplyTag,
	}, true
}
