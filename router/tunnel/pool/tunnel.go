package pool

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/tunnel"
)

// Tunnel is one of our built tunnels. Its exported fields are not changed
// after it is built.
type Tunnel struct {
	Inbound bool
	// Hops are the routers in tunnel order: the gateway first for an
	// inbound tunnel, the first hop after us for an outbound one.
	Hops  []data.Hash
	Built time.Time

	pool    *Pool
	ciphers []*tunnel.Cipher // one per hop, tunnel order
	// inbound: recvID is our receive ID at the endpoint (us); gwID is the
	// gateway's receive ID, where others send. outbound: firstID is
	// hops[0]'s receive ID.
	recvID, gwID, firstID data.TunnelID

	tested   atomic.Bool
	fails    atomic.Int32 // tests failed in a row
	dropped  atomic.Bool  // removed after failed tests
	lastTest atomic.Int64 // unix nanoseconds of the last test sent
	bytes    atomic.Uint64

	mu       sync.Mutex // guards gw and endpoint, and the use of ciphers on them
	gw       *tunnel.Gateway
	endpoint *tunnel.Endpoint
}

// Gateway returns where messages for an inbound tunnel are sent: its
// gateway router and the gateway's tunnel ID.
func (t *Tunnel) Gateway() (data.Hash, data.TunnelID) { return t.Hops[0], t.gwID }

// Pool returns the pool the tunnel belongs to.
func (t *Tunnel) Pool() *Pool { return t.pool }

// Tested reports whether a tunnel test passed through the tunnel.
func (t *Tunnel) Tested() bool { return t.tested.Load() }

// usable reports whether t can carry traffic at now: built, not dropped,
// and with a minute of life left.
func (t *Tunnel) usable(now time.Time, lifetime time.Duration) bool {
	return !t.dropped.Load() && now.Sub(t.Built) < lifetime-time.Minute
}

// Send sends m through outbound tunnel t, to be delivered at its
// endpoint as d says. Messages larger than one TunnelData body are
// fragmented.
func (t *Tunnel) Send(d tunnel.DeliveryInstructions, m i2np.Message) error {
	return t.SendAll([]tunnel.DeliveryInstructions{d}, []i2np.Message{m})
}

// SendAll sends several messages through t, packed together into as few
// TunnelData messages as they fit in; ds[i] is msgs[i]'s delivery.
func (t *Tunnel) SendAll(ds []tunnel.DeliveryInstructions, msgs []i2np.Message) error {
	m := t.pool.m
	t.mu.Lock()
	if t.gw == nil {
		t.gw = tunnel.NewGateway(tunnel.GatewayConfig{})
	}
	var bodies [][tunnel.BodyLen]byte
	var err error
	for i := range msgs {
		if bodies, err = t.gw.Put(bodies, ds[i], msgs[i]); err != nil {
			break
		}
	}
	if err == nil {
		bodies, err = t.gw.Flush(bodies)
	}
	for i := range bodies {
		tunnel.DecryptLayers(t.ciphers, &bodies[i])
	}
	t.mu.Unlock()
	if err != nil {
		return err
	}
	exp := m.now().Add(60 * time.Second)
	for i := range bodies {
		out, err := i2np.NewMessage(randomMessageID(), exp, i2np.TunnelDataMessage{TunnelID: t.firstID, Data: bodies[i]})
		if err != nil {
			return err
		}
		t.bytes.Add(tunnel.BodyLen)
		if err := m.send.Send(t.Hops[0], out); err != nil {
			return err
		}
	}
	return nil
}

// receive removes every layer of a TunnelData body that reached us as
// the endpoint of inbound tunnel t, and returns the messages it
// completes.
func (t *Tunnel) receive(b *[tunnel.BodyLen]byte, now time.Time) ([]tunnel.Delivered, error) {
	t.bytes.Add(tunnel.BodyLen)
	t.mu.Lock()
	defer t.mu.Unlock()
	tunnel.DecryptLayers(t.ciphers, b)
	return t.endpoint.Receive(nil, b, now)
}
