package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/router/bob"
)

// listenBOB binds the BOB bridge's command port when the bridge is
// enabled; it returns nil when it is not.
func listenBOB(cfg configs.Bridge) (net.Listener, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("bob: %w", err)
	}
	return ln, nil
}

// serveBOB runs the BOB bridge on ln (nil: none) on a goroutine of wg
// until ctx ends; its tunnels' destinations come from n (the router's SAM
// adapter).
func serveBOB(ctx context.Context, wg *sync.WaitGroup, ln net.Listener, n bob.Network, log *slog.Logger) error {
	if ln == nil {
		return nil
	}
	b, err := bob.New(bob.Config{}, n, log)
	if err != nil {
		return err
	}
	wg.Go(func() { b.Serve(ctx, ln) })
	log.Info("BOB bridge listening", "tcp", ln.Addr().String())
	return nil
}
