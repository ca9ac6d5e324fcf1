package router

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2cp"
)

// The I2CP server's view of the router (router/i2cp declares it): each
// I2CP session is a local destination whose LeaseSet its client signs
// (client.Config.SignLeaseSet) and whose payloads go both ways as they
// are (SendPayload, HandlePayloads): the client's own streaming and
// datagram code makes and reads them.

// I2CPNetwork returns the router as an i2cp.Network. resolve maps
// hosts.txt names to base64 destinations (the address book); nil: names
// do not resolve.
func (r *Router) I2CPNetwork(resolve func(ctx context.Context, name string) (string, error)) i2cp.Network {
	return &i2cpNet{r: r, names: &samNet{r: r, resolve: resolve}}
}

type i2cpNet struct {
	r *Router
	// names resolves as SAM does: host names, b32 and b33 addresses,
	// base64 destinations.
	names *samNet
}

func (n *i2cpNet) NewDestination(ctx context.Context, cfg i2cp.DestinationConfig) (i2cp.Destination, error) {
	if n.r.pools == nil {
		return nil, errors.New("router: I2CP session before Open")
	}
	sign := cfg.SignLeaseSet
	d, err := client.New(client.Config{
		Name:     cfg.Name,
		Keys:     &client.Keys{Destination: cfg.Destination},
		Inbound:  TunnelSettings{Length: cfg.Inbound.Length, Variance: cfg.Inbound.Variance, Quantity: cfg.Inbound.Quantity, Backup: cfg.Inbound.Backup},
		Outbound: TunnelSettings{Length: cfg.Outbound.Length, Variance: cfg.Outbound.Variance, Quantity: cfg.Outbound.Quantity, Backup: cfg.Outbound.Backup},
		SignLeaseSet: func(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []client.PrivateKey, error) {
			ls, keys, err := sign(ctx, leases)
			if err != nil {
				return nil, nil, err
			}
			out := make([]client.PrivateKey, len(keys))
			for i, k := range keys {
				out[i] = client.PrivateKey{Type: k.Type, Key: k.Key}
			}
			return ls, out, nil
		},
		Log: n.r.log,
	}, (*clientNet)(n.r))
	if err != nil {
		return nil, fmt.Errorf("router: I2CP session: %w", err)
	}
	d.HandlePayloads(cfg.Deliver)
	rctx, cancel := context.WithCancel(context.Background())
	id := &i2cpDest{d: d, cancel: cancel}
	id.wg.Go(func() { d.Run(rctx) })
	return id, nil
}

func (n *i2cpNet) Lookup(ctx context.Context, name string) (data.Destination, error) {
	return n.names.Lookup(ctx, name)
}

func (n *i2cpNet) LookupHash(ctx context.Context, h data.Hash) (data.Destination, data.Mapping, error) {
	e, err := n.r.netdb.LookupLeaseSet(ctx, h)
	if err != nil {
		return data.Destination{}, data.Mapping{}, err
	}
	switch x := e.(type) {
	case *data.LeaseSet2:
		return x.Destination, x.Options, nil
	case *data.LeaseSet:
		return x.Destination, data.Mapping{}, nil
	}
	return data.Destination{}, data.Mapping{}, fmt.Errorf("router: %s has a %T", data.B32Address(h), e)
}

func (n *i2cpNet) BandwidthLimits() (in, out int) {
	return n.r.cfg.Bandwidth, n.r.cfg.Bandwidth
}

// i2cpDest is a local destination as an I2CP session's.
type i2cpDest struct {
	d      *client.Destination
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

func (s *i2cpDest) Send(ctx context.Context, to data.Destination, payload []byte) error {
	return s.d.SendPayload(ctx, to.Hash(), payload)
}

func (s *i2cpDest) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.d.Close()
		s.wg.Wait()
	})
	return nil
}
