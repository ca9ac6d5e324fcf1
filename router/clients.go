package router

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/datagram"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb"
	"github.com/i2pgo/i2pgo/router/streaming"
	"github.com/i2pgo/i2pgo/router/tunnel"
	"github.com/i2pgo/i2pgo/router/tunnel/pool"
)

// Local destinations (router/client) with streaming on top
// (router/streaming): what the I2PTunnel client and server tunnels, SAM
// and I2CP use.

// clientNet is the router as a client.Net.
type clientNet Router

func (n *clientNet) NewPool(cfg pool.Config, deliver pool.Deliver) (*pool.Pool, error) {
	if n.pools == nil {
		return nil, errors.New("router: not open")
	}
	return n.pools.NewPool(cfg, deliver)
}

func (n *clientNet) LookupLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error) {
	return n.netdb.LookupLeaseSet(ctx, key)
}

func (n *clientNet) RefreshLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error) {
	return n.netdb.RefreshLeaseSet(ctx, key)
}

// PublishLeaseSet sends the store out through the destination's outbound
// tunnel, garlic-wrapped to the floodfill so that the outbound endpoint
// cannot read it, as i2pd does; the DeliveryStatus comes back through an
// exploratory inbound tunnel.
func (n *clientNet) PublishLeaseSet(ctx context.Context, e data.Entry, out *pool.Tunnel) error {
	r := (*Router)(n)
	in := r.pools.Exploratory().PickInbound()
	if in == nil {
		return errors.New("router: no exploratory inbound tunnel for the reply")
	}
	gw, gwID := in.Gateway()
	route := netdb.Route{
		ReplyGateway: gw,
		ReplyTunnel:  gwID,
		Send: func(to data.Hash, m i2np.Message) error {
			if ri := r.netdb.Get(to); ri != nil && ri.Identity.CryptoType() == data.CryptoX25519 {
				p, err := garlic.WrapForRouter([32]byte(ri.Identity.EncryptionKey()), m, time.Now(), nil)
				if err != nil {
					return err
				}
				m = i2np.Message{Type: i2np.Garlic, ID: randomMessageID(), Expiration: m.Expiration, Payload: p}
			}
			return out.Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryRouter, To: to}, m)
		},
	}
	_, err := r.netdb.PublishLeaseSet(ctx, e, route)
	return err
}

// DestinationConfig configures a local destination.
type DestinationConfig struct {
	// Name labels it in logs and lists.
	Name string
	// Keys is the keys file, relative to the datadir unless absolute;
	// created if missing. Empty: transient keys, new each start.
	Keys string
	// Inbound and Outbound are its tunnel settings (zero fields: 3 hops,
	// 2 tunnels).
	Inbound, Outbound TunnelSettings
	// Encrypted publishes an encrypted LeaseSet: the destination is then
	// reached by its b33 address only.
	Encrypted bool
}

// LocalDestination is a destination of ours with streaming: Dial and
// Listen give net.Conns to and from other destinations.
type LocalDestination struct {
	r      *Router
	d      *client.Destination
	stream *streaming.Manager
	once   sync.Once
}

// NewDestination makes a local destination: its keys (loaded or made),
// its tunnel pool, and its streaming manager. Open must have succeeded.
// Run it with its Run method.
func (r *Router) NewDestination(cfg DestinationConfig) (*LocalDestination, error) {
	if r.pools == nil {
		return nil, errors.New("router: NewDestination before Open")
	}
	var keys *client.Keys
	var err error
	if cfg.Keys == "" {
		keys, err = client.GenerateKeys()
	} else {
		path := cfg.Keys
		if !filepath.IsAbs(path) {
			path = filepath.Join(r.cfg.DataDir, path)
		}
		var created bool
		keys, created, err = client.LoadOrCreateKeys(path)
		if created {
			r.log.Info("created destination keys", "name", cfg.Name, "file", path)
		}
	}
	if err != nil {
		return nil, err
	}
	return r.newDestination(cfg, keys)
}

// newDestination makes a local destination with the given keys.
func (r *Router) newDestination(cfg DestinationConfig, keys *client.Keys) (*LocalDestination, error) {
	if r.pools == nil {
		return nil, errors.New("router: NewDestination before Open")
	}
	d, err := client.New(client.Config{Name: cfg.Name, Keys: keys, Inbound: cfg.Inbound, Outbound: cfg.Outbound, Encrypted: cfg.Encrypted, Log: r.log}, (*clientNet)(r))
	if err != nil {
		return nil, err
	}
	sm := streaming.NewManager(d.Session(client.ProtoStreaming), streaming.Config{}, r.log.With("component", "streaming", "dest", cfg.Name))
	d.Handle(client.ProtoStreaming, sm.HandlePacket)
	return &LocalDestination{r: r, d: d, stream: sm}, nil
}

// Run keeps the destination's LeaseSet published until ctx is done,
// then closes it.
func (l *LocalDestination) Run(ctx context.Context) error {
	err := l.d.Run(ctx)
	l.Close()
	return err
}

// Close closes the streams and the destination.
func (l *LocalDestination) Close() error {
	l.once.Do(func() {
		l.stream.Close()
		l.d.Close()
	})
	return nil
}

// B32 is the destination's b32.i2p address.
func (l *LocalDestination) B32() string { return l.d.B32() }

// B33 is the destination's b33 address when it publishes an encrypted
// LeaseSet, else "".
func (l *LocalDestination) B33() string { return l.d.B33() }

// Base64 is the full destination in I2P base64.
func (l *LocalDestination) Base64() string { return l.d.Destination().Base64() }

// Ready reports whether the destination has tunnels and a published
// LeaseSet.
func (l *LocalDestination) Ready() bool { return l.d.Ready() }

// Listen accepts streams to port (0: any port).
func (l *LocalDestination) Listen(port uint16) (net.Listener, error) { return l.stream.Listen(port) }

// Dial opens a stream to the destination named by to: a b32.i2p address
// or a full base64 destination, each with an optional ":port" (which
// port overrides when nonzero).
func (l *LocalDestination) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	host, p, err := splitI2PAddr(to)
	if err != nil {
		return nil, err
	}
	if port == 0 {
		port = p
	}
	var dest data.Destination
	if strings.HasSuffix(host, data.B32Suffix) && len(host)-len(data.B32Suffix) > 52 {
		a, err := data.ParseB33Address(host)
		if err != nil {
			return nil, fmt.Errorf("router: %q: %w", host, err)
		}
		if dest, err = l.d.ResolveB33(ctx, a); err != nil {
			return nil, err
		}
	} else if strings.HasSuffix(host, data.B32Suffix) {
		h, err := data.ParseB32Address(host)
		if err != nil {
			return nil, fmt.Errorf("router: %q: %w", host, err)
		}
		if dest, err = l.d.Resolve(ctx, h); err != nil {
			return nil, err
		}
	} else if dest, err = data.DestinationFromBase64(host); err != nil {
		return nil, fmt.Errorf("router: %q is neither a b32.i2p address nor a base64 destination: %w", host, err)
	}
	return l.stream.Dial(ctx, dest, port)
}

// splitI2PAddr splits "host[:port]".
func splitI2PAddr(s string) (string, uint16, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0, nil
	}
	var port uint16
	if _, err := fmt.Sscanf(s[i+1:], "%d", &port); err != nil {
		return "", 0, fmt.Errorf("router: bad port in %q", s)
	}
	return s[:i], port, nil
}

// Datagram is one datagram received by a local destination. From is
// the verified sender for repliable datagrams (Datagram1, Datagram2),
// the sender's hash only for Datagram3, and zero for raw ones.
type Datagram struct {
	Proto            uint8 // client.ProtoDatagram, ProtoRaw, ProtoDatagram2, ProtoDatagram3
	From             data.Destination
	FromHash         data.Hash
	FromPort, ToPort uint16
	Payload          []byte
}

// HandleDatagrams delivers the destination's incoming datagrams of
// every kind to h; repliable ones whose signature does not verify are
// dropped.
func (l *LocalDestination) HandleDatagrams(h func(Datagram)) {
	us := l.d.Hash()
	handle := func(proto uint8) client.Handler {
		return func(sp, dp uint16, b []byte) {
			dg, err := datagram.Parse(proto, b)
			if err != nil {
				return
			}
			out := Datagram{Proto: proto, FromPort: sp, ToPort: dp, Payload: dg.Data()}
			switch x := dg.(type) {
			case datagram.Datagram1:
				if x.Verify() != nil {
					return
				}
				out.From, out.FromHash = x.From, x.From.Hash()
			case datagram.Datagram2:
				if x.Verify(us, time.Now()) != nil {
					return
				}
				out.From, out.FromHash = x.From, x.From.Hash()
			case datagram.Datagram3:
				out.FromHash = x.From
			}
			h(out)
		}
	}
	for _, p := range []uint8{client.ProtoDatagram, client.ProtoRaw, client.ProtoDatagram2, client.ProtoDatagram3} {
		l.d.Handle(p, handle(p))
	}
}

// SendDatagram sends payload to the destination whose hash is to, as a
// datagram of kind proto: client.ProtoDatagram (repliable, Datagram1),
// ProtoDatagram2 (repliable, replay-resistant), ProtoDatagram3
// (repliable by hash, unsigned) or ProtoRaw.
func (l *LocalDestination) SendDatagram(ctx context.Context, to data.Hash, proto uint8, fromPort, toPort uint16, payload []byte) error {
	var dg datagram.Datagram
	var err error
	switch proto {
	case client.ProtoDatagram:
		dg, err = datagram.NewDatagram1(l.d.Destination(), l.d.Signer(), payload)
	case client.ProtoDatagram2:
		dg, err = datagram.NewDatagram2(l.d.Destination(), l.d.Signer(), to, data.Mapping{}, nil, payload)
	case client.ProtoDatagram3:
		dg = datagram.NewDatagram3(l.d.Hash(), data.Mapping{}, payload)
	case client.ProtoRaw:
		dg = datagram.Raw{Payload: payload}
	default:
		return fmt.Errorf("router: protocol %d is not a datagram", proto)
	}
	if err != nil {
		return err
	}
	b, err := dg.AppendBinary(nil)
	if err != nil {
		return err
	}
	return l.d.Send(ctx, to, proto, fromPort, toPort, b)
}
