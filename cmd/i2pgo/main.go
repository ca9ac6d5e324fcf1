// Command i2pgo runs the i2pgo I2P router: the router itself and its
// console, in one process.
//
// Usage:
//
//	i2pgo [-config FILE]
//	i2pgo import FILE|DIR     print Java/i2pd tunnel configs as a tunnels: list
//	i2pgo testnet [flags]     a private I2P network on 127.0.0.1 (i2pgo testnet -h)
//
// Exit codes: 0 after a clean shutdown (SIGINT or SIGTERM), 1 when the
// router could not start or failed (port in use, unwritable datadir), 2 for
// a bad command line or config file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/i2pgo/i2pgo/addressbook"
	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/console"
	"github.com/i2pgo/i2pgo/proxies"
	"github.com/i2pgo/i2pgo/router"
	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/sam"
	"github.com/i2pgo/i2pgo/router/streaming"
)

func main() {
	// A router keeps little live data but allocates per message; with
	// Go's default GOGC of 100 the heap may grow to twice the live data
	// between collections. 25 keeps the peak RSS near i2pd's (measured with
	// make bench-net: 23.7 MB against 25.8 MB at 50) for a few
	// per cent more CPU. GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

// usageError marks errors that exit with code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func run(args []string, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "import" {
		return runImport(args[1:], os.Stdout, stderr)
	}
	if len(args) > 0 && args[0] == "testnet" {
		return runTestnet(args[1:], os.Stdout, stderr)
	}
	fs := flag.NewFlagSet("i2pgo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config `file` (YAML); the defaults are in configs/i2pgo.yaml")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "i2pgo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *version {
		fmt.Fprintf(stderr, "i2pgo %s (I2P %s)\n", router.Version, router.APIVersion)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := start(ctx, *configPath, stderr)
	for errors.Is(err, errRestart) { // the console's restart button
		fmt.Fprintf(stderr, "i2pgo: restarting\n")
		err = start(ctx, *configPath, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "i2pgo: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// errRestart ends start when the console asked for a restart; run then
// starts again, with the config file read anew.
var errRestart = errors.New("restart requested")

func start(parent context.Context, configPath string, stderr io.Writer) (err error) {
	configPath, savePath := configPaths(configPath)
	cfg, err := configs.Load(configPath)
	if err != nil {
		return usageError{err}
	}
	// The console's shutdown and restart buttons cancel root.
	root, stopRoot := context.WithCancelCause(parent)
	defer stopRoot(nil)
	defer func() {
		if err == nil && errors.Is(context.Cause(root), errRestart) {
			err = errRestart
		}
	}()
	ctx := root
	logs := console.NewLogRing(2000, slog.LevelInfo)
	log := slog.New(logs.Handler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.Log.SlogLevel()})))
	shutdown := func(restart bool) {
		if restart {
			stopRoot(errRestart)
		} else {
			stopRoot(errors.New("shutdown requested in the console"))
		}
	}

	r, err := router.New(router.Config{
		DataDir:    cfg.DataDir(),
		NetID:      cfg.Router.NetID,
		Host:       cfg.Router.Host,
		Port:       cfg.Router.Port,
		Floodfill:  cfg.Router.Floodfill,
		Bandwidth:  cfg.Router.Bandwidth,
		ReseedURLs: cfg.Router.Reseed.URLs,
		ReseedFile: cfg.Router.Reseed.File,
		MinPeers:   minPeers(cfg.Router.MinPeers),
		Exploratory: router.PoolConfig{Name: "exploratory",
			Inbound: tunnelSettings(cfg.Router.Exploratory.Inbound), Outbound: tunnelSettings(cfg.Router.Exploratory.Outbound)},
		LongBuilds:    cfg.Router.LongBuilds,
		NTCP2Disabled: !cfg.Router.NTCP2.Enabled,
		SSU2Disabled:  !cfg.Router.SSU2.Enabled,
		SSU2MTU:       cfg.Router.SSU2.MTU,
		Firewalled:    cfg.Router.Firewalled,
		Logger:        log,
	})
	if err != nil {
		return usageError{err}
	}
	tuns, err := proxies.New(tunnelConfigs(cfg.Tunnels), (*tunnelNet)(r), log)
	if err != nil {
		return usageError{err}
	}
	book, err := newAddressbook(cfg, log)
	if err != nil {
		return usageError{err}
	}
	tuns.SetNames(names{book})
	con, err := console.New(console.Config{Listen: cfg.Console.Listen, Password: cfg.Console.Password}, console.Deps{Status: r.Status, Peers: r.Peers,
		NetDBRouters: r.NetDBRouters, Tunnels: r.Tunnels, I2PTunnels: tuns.Status, TunnelManager: newTunnelAdmin(tuns, cfg, savePath, log), AddressBook: book, Logs: logs, Shutdown: shutdown, Settings: newSettingsAdmin(cfg, savePath), Logger: log})
	if err != nil {
		return usageError{err}
	}
	// Bind everything before running anything, so that a port in use or
	// an unwritable datadir is reported at once.
	if err := con.Listen(); err != nil {
		return err
	}
	defer con.Close()
	if err := tuns.Listen(); err != nil {
		return err
	}
	var samLn net.Listener
	var samUDP net.PacketConn
	if cfg.SAM.Enabled {
		if samLn, err = net.Listen("tcp", cfg.SAM.Listen); err != nil {
			return fmt.Errorf("sam: %w", err)
		}
		defer samLn.Close()
		if samUDP, err = net.ListenPacket("udp", cfg.SAM.UDP); err != nil {
			return fmt.Errorf("sam: %w", err)
		}
		defer samUDP.Close()
	}
	bobLn, err := listenBOB(cfg.BOB)
	if err != nil {
		return err
	}
	if bobLn != nil {
		defer bobLn.Close()
	}
	i2cpb, err := listenI2CP(cfg.I2CP)
	if err != nil {
		return err
	}
	defer i2cpb.Close()
	var site *eepsite
	if cfg.Eepsite.Listen != "" {
		hosts := ""
		if cfg.Addressbook.Publish {
			hosts = book.PublishedPath()
		}
		if site, err = listenEepsite(cfg.Eepsite.Listen, cfg.DataDir(), hosts); err != nil {
			return err
		}
	}
	if err := r.Open(); err != nil {
		return err
	}
	if err := book.Load(); err != nil {
		log.Warn("address book not loaded", "err", err)
	}
	log.Info("i2pgo started", "version", router.Version, "console", "http://"+cfg.Console.Listen, "datadir", cfg.DataDir())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	var siteWG sync.WaitGroup
	siteWG.Go(func() { book.Run(ctx) })
	if samLn != nil {
		bridge, err := sam.New(sam.Config{}, r.SAMNetwork(names{book}.Resolve), log.With("component", "sam"))
		if err != nil {
			return err
		}
		siteWG.Go(func() { bridge.Serve(ctx, samLn) })
		siteWG.Go(func() { bridge.ServeUDP(ctx, samUDP) })
		log.Info("SAM bridge listening", "tcp", cfg.SAM.Listen, "udp", cfg.SAM.UDP)
	}
	if err := serveBOB(ctx, &siteWG, bobLn, r.SAMNetwork(names{book}.Resolve), log); err != nil {
		return err
	}
	if err := i2cpb.start(ctx, &siteWG, r, names{book}.Resolve, log); err != nil {
		return err
	}
	if site != nil {
		siteWG.Go(func() {
			if err := site.run(ctx); err != nil {
				log.Warn("the built-in eepsite stopped", "err", err)
			}
		})
	}
	go func() { errc <- r.Run(ctx) }()
	go func() { errc <- con.Run(ctx) }()
	go func() {
		if err := tuns.Run(ctx); !errors.Is(err, context.Canceled) {
			errc <- err
			return
		}
		errc <- nil
	}()
	first := <-errc
	cancel()
	second := <-errc
	if third := <-errc; second == nil {
		second = third
	}
	siteWG.Wait()
	log.Info("i2pgo stopped")
	return errors.Join(first, second)
}

func tunnelSettings(s configs.TunnelSettings) router.TunnelSettings {
	return router.TunnelSettings{Length: s.Length, Variance: s.Variance, Quantity: s.Quantity, Backup: s.Backup}
}

// tunnelNet is the router as the tunnel manager's proxies.Network.
type tunnelNet router.Router

func (n *tunnelNet) NewDestination(c proxies.DestinationConfig) (proxies.Destination, error) {
	d, err := (*router.Router)(n).NewDestination(router.DestinationConfig{Name: c.Name, Keys: c.Keys, Encrypted: c.Encrypted,
		Inbound:  router.TunnelSettings{Length: c.Inbound.Length, Quantity: c.Inbound.Quantity},
		Outbound: router.TunnelSettings{Length: c.Outbound.Length, Quantity: c.Outbound.Quantity}})
	if err != nil {
		return nil, err
	}
	return tunnelDest{d}, nil
}

// newAddressbook makes the address book in datadir/addressbook, fetching
// its feeds through addressbook.proxy (our own HTTP proxy).
func newAddressbook(cfg configs.File, log *slog.Logger) (*addressbook.Resolver, error) {
	var hc *http.Client
	if cfg.Addressbook.Proxy != "" {
		pu := &url.URL{Scheme: "http", Host: cfg.Addressbook.Proxy}
		hc = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true}}
	}
	subs := cfg.Addressbook.Subscriptions
	if subs == nil {
		subs = []string{}
	}
	return addressbook.New(addressbook.Config{Dir: filepath.Join(cfg.DataDir(), "addressbook"), Subscriptions: subs,
		Interval: cfg.Addressbook.IntervalDuration()}, hc, log.With("component", "addressbook"))
}

// names is the address book as the tunnels' proxies.Names.
type names struct{ r *addressbook.Resolver }

func (n names) Resolve(ctx context.Context, name string) (string, error) {
	d, err := n.r.Resolve(ctx, name)
	if errors.Is(err, addressbook.ErrUnknownName) {
		return "", fmt.Errorf("%w: %w", proxies.ErrUnknownName, err)
	}
	return d, err
}

func (n names) Add(name, dest string) error { return n.r.Add(name, dest) }

// tunnelDest marks the router's Dial errors with the proxies' sentinels.
type tunnelDest struct{ *router.LocalDestination }

func (d tunnelDest) Dial(ctx context.Context, to string, port uint16) (net.Conn, error) {
	c, err := d.LocalDestination.Dial(ctx, to, port)
	if err == nil {
		return c, nil
	}
	var kind error
	switch {
	case errors.Is(err, client.ErrNoLeaseSet):
		kind = proxies.ErrNotFound
	case errors.Is(err, client.ErrNoTunnels):
		kind = proxies.ErrNotReady
	case errors.Is(err, streaming.ErrRefused), errors.Is(err, streaming.ErrReset):
		kind = proxies.ErrRefused
	case errors.Is(err, streaming.ErrConnectTimeout), errors.Is(err, context.DeadlineExceeded):
		kind = proxies.ErrTimeout
	default:
		return nil, err
	}
	return nil, fmt.Errorf("%w: %w", kind, err)
}

func tunnelConfigs(ts []configs.Tunnel) []proxies.TunnelConfig {
	out := make([]proxies.TunnelConfig, 0, len(ts))
	for _, t := range ts {
		out = append(out, proxies.TunnelConfig{Name: t.Name, Type: t.Type, Listen: t.Listen, Destination: t.Destination,
			Target: t.Target, Keys: t.Keys, Enabled: t.Enabled, Encrypted: t.Encrypted, Hostname: t.Hostname, Outproxy: t.Outproxy, WebIRCPassword: t.WebIRCPassword,
			Inbound:  proxies.Settings{Length: t.Inbound.Length, Quantity: t.Inbound.Quantity},
			Outbound: proxies.Settings{Length: t.Outbound.Length, Quantity: t.Outbound.Quantity}})
	}
	return out
}

// minPeers maps router.minpeers (0 = none) to router.Config.MinPeers
// (0 = default, negative = none).
func minPeers(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
