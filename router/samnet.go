package router

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/sam"
)

// The SAM bridge's view of the router (router/sam declares it): SAM
// sessions are local destinations like the tunnels', with the keys the
// application gives.

// SAMNetwork returns the router as a sam.Network. resolve maps hosts.txt
// names to base64 destinations (the address book); nil: names do not
// resolve.
func (r *Router) SAMNetwork(resolve func(ctx context.Context, name string) (string, error)) sam.Network {
	return &samNet{r: r, resolve: resolve}
}

type samNet struct {
	r       *Router
	resolve func(ctx context.Context, name string) (string, error)
}

// samKeys turns SAM's private keys into a destination's keys: the
// Ed25519 signing key, the ElGamal key when the keys carry one, and a new
// X25519 key for the LeaseSet2 (as i2pd does for SAM sessions).
func samKeys(k *sam.PrivateKeys) (*client.Keys, error) {
	if k.Destination.SigType() != crypto.SigEd25519 {
		return nil, fmt.Errorf("router: SAM keys of signature type %v; only Ed25519 (7) is supported", k.Destination.SigType())
	}
	s, err := crypto.NewEd25519Signer(k.SigningKey)
	if err != nil {
		return nil, err
	}
	enc, err := crypto.GenerateX25519(nil)
	if err != nil {
		return nil, err
	}
	keys := &client.Keys{Destination: k.Destination, Signer: s, Encryption: enc}
	if len(k.EncryptionKey) == crypto.ElGamalKeyLen {
		keys.ElGamal, err = crypto.NewElGamalPrivateKey(k.EncryptionKey)
	}
	if keys.ElGamal == nil || err != nil {
		keys.ElGamal, err = crypto.GenerateElGamal(nil)
	}
	return keys, err
}

// poolOption reads an inbound.* or outbound.* integer option.
func poolOption(opts map[string]string, key string) int {
	n, _ := strconv.Atoi(opts[key])
	return n
}

func (n *samNet) NewDestination(ctx context.Context, cfg sam.DestinationConfig) (sam.Destination, error) {
	keys, err := samKeys(cfg.Keys)
	if err != nil {
		return nil, err
	}
	o := cfg.Options
	ld, err := n.r.newDestination(DestinationConfig{
		Name:     "sam:" + cfg.Nickname,
		Inbound:  TunnelSettings{Length: poolOption(o, "inbound.length"), Quantity: poolOption(o, "inbound.quantity")},
		Outbound: TunnelSettings{Length: poolOption(o, "outbound.length"), Quantity: poolOption(o, "outbound.quantity")},
	}, keys)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	sd := &samDest{ld: ld, cancel: cancel}
	sd.wg.Go(func() { ld.Run(rctx) })
	// Answer SESSION CREATE once the destination can be reached, as Java
	// and i2pd do: tunnels both ways and a published LeaseSet.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	wait := time.NewTimer(samReadyTimeout)
	defer wait.Stop()
	for !ld.Ready() {
		select {
		case <-ctx.Done():
			sd.Close()
			return nil, ctx.Err()
		case <-wait.C:
			sd.Close()
			return nil, fmt.Errorf("router: no tunnels for the SAM session after %v", samReadyTimeout)
		case <-tick.C:
		}
	}
	return sd, nil
}

// samReadyTimeout bounds how long SESSION CREATE waits for tunnels.
const samReadyTimeout = 3 * time.Minute

func (n *samNet) Lookup(ctx context.Context, name string) (data.Destination, error) {
	host := strings.ToLower(name)
	switch {
	case strings.HasSuffix(host, data.B32Suffix) && len(host)-len(data.B32Suffix) > 52:
		a, err := data.ParseB33Address(host)
		if err != nil {
			return data.Destination{}, err
		}
		key, err := a.Key(time.Now(), "")
		if err != nil {
			return data.Destination{}, err
		}
		e, err := n.r.netdb.LookupLeaseSet(ctx, key)
		if err != nil {
			return data.Destination{}, err
		}
		els, ok := e.(*data.EncryptedLeaseSet)
		if !ok {
			return data.Destination{}, errors.New("router: no encrypted LeaseSet under the blinded key")
		}
		inner, err := els.Decrypt(a, "", time.Now())
		if err != nil {
			return data.Destination{}, err
		}
		return inner.Destination, nil
	case strings.HasSuffix(host, data.B32Suffix):
		h, err := data.ParseB32Address(host)
		if err != nil {
			return data.Destination{}, err
		}
		e, err := n.r.netdb.LookupLeaseSet(ctx, h)
		if err != nil {
			return data.Destination{}, err
		}
		switch x := e.(type) {
		case *data.LeaseSet2:
			return x.Destination, nil
		case *data.LeaseSet:
			return x.Destination, nil
		}
		return data.Destination{}, fmt.Errorf("router: %s has a %T", host, e)
	case strings.HasSuffix(host, ".i2p"):
		if n.resolve == nil {
			return data.Destination{}, fmt.Errorf("router: no address book for %s", name)
		}
		b64, err := n.resolve(ctx, host)
		if err != nil {
			return data.Destination{}, err
		}
		if strings.HasSuffix(b64, data.B32Suffix) {
			return n.Lookup(ctx, b64)
		}
		return data.DestinationFromBase64(b64)
	}
	return data.DestinationFromBase64(name)
}

// samDest is a local destination as a SAM session's.
type samDest struct {
	ld     *LocalDestination
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

func (s *samDest) Destination() data.Destination { return s.ld.d.Destination() }

func (s *samDest) Dial(ctx context.Context, to data.Destination, fromPort, toPort uint16) (net.Conn, error) {
	return s.ld.stream.DialFrom(ctx, to, fromPort, toPort)
}

func (s *samDest) Listen(port uint16) (net.Listener, error) { return s.ld.Listen(port) }

func (s *samDest) SendDatagram(ctx context.Context, to data.Hash, proto uint8, fromPort, toPort uint16, payload []byte) error {
	return s.ld.SendDatagram(ctx, to, proto, fromPort, toPort, payload)
}

func (s *samDest) HandleDatagrams(h func(sam.Datagram)) {
	if h == nil {
		s.ld.HandleDatagrams(func(Datagram) {})
		return
	}
	s.ld.HandleDatagrams(func(d Datagram) {
		h(sam.Datagram{Proto: d.Proto, From: d.From, FromHash: d.FromHash, FromPort: d.FromPort, ToPort: d.ToPort, Payload: d.Payload})
	})
}

func (s *samDest) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.wg.Wait()
		s.ld.Close()
	})
	return nil
}
