package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/console"
	"github.com/i2pgo/i2pgo/proxies"
)

// configFileName is the config file the router reads from its data
// directory when no -config is given, and where the console's tunnel
// manager saves then.
const configFileName = "i2pgo.yaml"

// configPaths returns the config file to load ("" for the built-in
// defaults) and the file the console saves changes to. With -config both
// are that file. Without it the router reads datadir/i2pgo.yaml (the
// default datadir, ~/.i2pgo) if it exists, as Java I2P reads its
// i2ptunnel.config from its config directory, and saves there, creating
// the file at the first change.
func configPaths(flagPath string) (load, save string) {
	if flagPath != "" {
		return flagPath, flagPath
	}
	def, err := configs.Default()
	if err != nil {
		return "", ""
	}
	p := filepath.Join(def.DataDir(), configFileName)
	if _, err := os.Stat(p); err == nil {
		return p, p
	}
	return "", p
}

// tunnelAdmin is the console's TunnelManager: each change is verified
// against the whole config as the loader would (configs.Validate), then
// committed: applied to the running proxies.Manager (which binds the port,
// so a port in use fails here and changes nothing) and saved as the config
// file's tunnels list (configs.SaveTunnels). A save that fails is undone
// in the Manager.
type tunnelAdmin struct {
	m    *proxies.Manager
	file configs.File // as loaded, for Validate
	path string       // the file changes are saved to
	log  *slog.Logger

	mu      sync.Mutex       // serializes changes
	tunnels []configs.Tunnel // the saved list; guarded by mu
}

// newTunnelAdmin returns the admin of m, whose list is cfg's, saving to
// path. A nil log discards.
func newTunnelAdmin(m *proxies.Manager, cfg configs.File, path string, log *slog.Logger) *tunnelAdmin {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &tunnelAdmin{m: m, file: cfg, path: path, log: log.With("component", "tunnels"), tunnels: slices.Clone(cfg.Tunnels)}
}

var _ console.TunnelManager = (*tunnelAdmin)(nil)

func (a *tunnelAdmin) Status() []proxies.TunnelStatus { return a.m.Status() }
func (a *tunnelAdmin) Start(name string) error        { return a.m.Start(name) }
func (a *tunnelAdmin) Stop(name string) error         { return a.m.Stop(name) }
func (a *tunnelAdmin) Restart(name string) error      { return a.m.Restart(name) }
func (a *tunnelAdmin) SavePath() string               { return a.path }

func (a *tunnelAdmin) Configs() []configs.Tunnel {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.tunnels)
}

// verify checks the config with list as its tunnels, as the next start
// would: configs.Validate, then proxies.New's checks (which also refuse
// two enabled tunnels on one port, even while one of them is stopped).
func (a *tunnelAdmin) verify(list []configs.Tunnel) error {
	f := a.file
	f.Tunnels = list
	if err := f.Validate(); err != nil {
		return err
	}
	_, err := proxies.New(tunnelConfigs(list), nil, nil)
	return err
}

// save writes list to the config file.
func (a *tunnelAdmin) save(list []configs.Tunnel) error {
	if err := configs.SaveTunnels(a.path, list); err != nil {
		return fmt.Errorf("%w: %w", console.ErrNotSaved, err)
	}
	a.log.Info("tunnels saved to the config file", "file", a.path)
	return nil
}

func (a *tunnelAdmin) index(name string) int {
	return slices.IndexFunc(a.tunnels, func(t configs.Tunnel) bool { return t.Name == name })
}

func proxyConfig(t configs.Tunnel) proxies.TunnelConfig { return tunnelConfigs([]configs.Tunnel{t})[0] }

func (a *tunnelAdmin) Add(t configs.Tunnel) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.index(t.Name) >= 0 {
		return fmt.Errorf("%w: %q", proxies.ErrExists, t.Name)
	}
	list := append(slices.Clone(a.tunnels), t)
	if err := a.verify(list); err != nil {
		return err
	}
	if err := a.m.Add(proxyConfig(t)); err != nil {
		return err
	}
	if err := a.save(list); err != nil {
		if err2 := a.m.Remove(t.Name); err2 != nil {
			a.log.Warn("tunnel not saved, and not removed again", "tunnel", t.Name, "err", err2)
		}
		return err
	}
	a.tunnels = list
	return nil
}

func (a *tunnelAdmin) Update(name string, t configs.Tunnel) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := a.index(name)
	if i < 0 {
		return fmt.Errorf("%w: %q", proxies.ErrNoTunnel, name)
	}
	if j := a.index(t.Name); j >= 0 && j != i {
		return fmt.Errorf("%w: %q", proxies.ErrExists, t.Name)
	}
	old := a.tunnels[i]
	list := slices.Clone(a.tunnels)
	list[i] = t
	if err := a.verify(list); err != nil {
		return err
	}
	if err := a.m.Update(name, proxyConfig(t)); err != nil {
		return err
	}
	if err := a.save(list); err != nil {
		if err2 := a.m.Update(t.Name, proxyConfig(old)); err2 != nil {
			a.log.Warn("tunnel not saved, and not changed back", "tunnel", name, "err", err2)
		}
		return err
	}
	a.tunnels = list
	return nil
}

// Remove saves first, then stops the tunnel: only an unknown name or a
// router shutting down can fail in the Manager, and the file is put back
// then.
func (a *tunnelAdmin) Remove(name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := a.index(name)
	if i < 0 {
		return fmt.Errorf("%w: %q", proxies.ErrNoTunnel, name)
	}
	list := slices.Delete(slices.Clone(a.tunnels), i, i+1)
	if err := a.save(list); err != nil {
		return err
	}
	if err := a.m.Remove(name); err != nil && !errors.Is(err, proxies.ErrNoTunnel) {
		if err2 := a.save(a.tunnels); err2 != nil {
			a.log.Warn("tunnel not removed, and the config file not restored", "tunnel", name, "err", err2)
		}
		return err
	}
	a.tunnels = list
	return nil
}
