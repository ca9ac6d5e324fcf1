package router

import (
	"context"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2cp"
)

func TestI2CPNetwork(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), Host: "127.0.0.1", Port: freePort(t), NetID: 99, Bandwidth: 300}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := r.I2CPNetwork(func(ctx context.Context, name string) (string, error) {
		return "", client.ErrNoLeaseSet
	})
	keys, err := client.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	sign := func(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []i2cp.PrivateKey, error) {
		<-ctx.Done()
		return nil, nil, ctx.Err()
	}
	dcfg := i2cp.DestinationConfig{Name: "i2cp:test", Destination: keys.Destination, SignLeaseSet: sign, Deliver: func([]byte) {},
		Inbound: i2cp.Tunnels{Length: 1, Quantity: 1}}
	if _, err := n.NewDestination(context.Background(), dcfg); err == nil {
		t.Fatal("NewDestination before Open")
	}
	if err := r.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, r) })
	d, err := n.NewDestination(context.Background(), dcfg)
	if err != nil {
		t.Fatal(err)
	}
	if in, out := n.BandwidthLimits(); in != 300 || out != 300 {
		t.Errorf("bandwidth %d/%d", in, out)
	}
	got, err := n.Lookup(context.Background(), keys.Destination.Base64())
	if err != nil || got.Hash() != keys.Destination.Hash() {
		t.Errorf("Lookup base64: %v", err)
	}
	if _, err := n.Lookup(context.Background(), "nobody.i2p"); err == nil {
		t.Error("Lookup of an unknown name succeeded")
	}
	// No peers: the send finds no LeaseSet (or no tunnels) quickly.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, _ := client.EncodePayload(client.ProtoRaw, 0, 0, []byte("x"), false)
	if err := d.Send(ctx, keys.Destination, p); err == nil {
		t.Error("Send without tunnels succeeded")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d.Close()
}
