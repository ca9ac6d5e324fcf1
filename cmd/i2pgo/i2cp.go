package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/router"
	"github.com/i2pgo/i2pgo/router/i2cp"
)

// i2cpBridge is the I2CP server (router/i2cp) for Java client
// applications: bound by listenI2CP before the router opens, so that a
// port in use is reported at once, and served by start once it has.
type i2cpBridge struct {
	ln  net.Listener // nil: disabled
	url string
}

// listenI2CP binds i2cp.listen when i2cp.enabled.
func listenI2CP(cfg configs.Bridge) (*i2cpBridge, error) {
	if !cfg.Enabled {
		return &i2cpBridge{}, nil
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("i2cp: %w", err)
	}
	return &i2cpBridge{ln: ln, url: cfg.Listen}, nil
}

// start serves I2CP on wg until ctx is done; resolve is the address
// book's name lookup.
func (b *i2cpBridge) start(ctx context.Context, wg *sync.WaitGroup, r *router.Router, resolve func(context.Context, string) (string, error), log *slog.Logger) error {
	if b.ln == nil {
		return nil
	}
	srv, err := i2cp.New(i2cp.Config{}, r.I2CPNetwork(resolve), log)
	if err != nil {
		return err
	}
	wg.Go(func() { srv.Serve(ctx, b.ln) })
	log.Info("I2CP server listening", "tcp", b.url)
	return nil
}

// Close closes the listener (Serve closes it too; closing twice is
// harmless).
func (b *i2cpBridge) Close() error {
	if b.ln == nil {
		return nil
	}
	return b.ln.Close()
}
