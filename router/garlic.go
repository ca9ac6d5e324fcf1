package router

import (
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
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
	if r.openBuildReplyGarlic(from, gm.Data) {
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
