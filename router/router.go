package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb"
	"github.com/i2pgo/i2pgo/router/netdb/reseed"
	"github.com/i2pgo/i2pgo/router/profile"
	"github.com/i2pgo/i2pgo/router/transport/ntcp2"
	"github.com/i2pgo/i2pgo/router/transport/ssu2"
	"github.com/i2pgo/i2pgo/router/tunnel/build"
	"github.com/i2pgo/i2pgo/router/tunnel/pool"
)

// Version is the i2pgo release.
const Version = "0.1.0"

// APIVersion is the I2P router version we publish (router.version): the
// spec set we follow (i2p.www 3afd7340, accurate for 0.9.66).
const APIVersion = "0.9.66"

// Config configures a Router. Zero values mean the defaults of
// configs/i2pgo.yaml.
type Config struct {
	DataDir    string
	NetID      int    // 2 on the public network
	Host       string // IPv4 to publish; empty: publish no NTCP2 host (outbound only)
	Port       int    // NTCP2 port; 0: chosen once and kept in datadir
	Floodfill  bool
	Bandwidth  int // KB/s
	ReseedURLs []string
	ReseedFile string
	Logger     *slog.Logger

	// MinPeers is how many sessions the router keeps open on its own
	// (0: 8; negative: none); PeerFillDelay is how long after start it waits before
	// it connects to non-floodfills to reach it, so that peers can connect
	// to us first (default 20 s).
	MinPeers      int
	PeerFillDelay time.Duration

	// Exploratory sets the exploratory pool's tunnels (router.exploratory;
	// zero fields: 2 hops, 2 tunnels each way).
	Exploratory PoolConfig
	// LongBuilds builds our tunnels with long (VariableTunnelBuild)
	// records even through routers that take short ones
	// (router.longbuilds; for testing).
	LongBuilds bool

	// Network carries NTCP2's connections; nil: TCP. Simulations use an
	// in-memory network (router/transport/memnet, router/sim).
	Network ntcp2.Network

	// NTCP2Disabled and SSU2Disabled turn a transport off
	// (router.ntcp2.enabled, router.ssu2.enabled): it is neither
	// published nor dialed. NTCP2 still listens, for the console's port
	// check and a later re-enable.
	NTCP2Disabled bool
	SSU2Disabled  bool
	// SSU2MTU is the mtu we publish for SSU2 (router.ssu2.mtu; 0: 1500).
	SSU2MTU int
	// Firewalled (router.firewalled): we cannot be reached, whatever
	// peer tests find: publish no host, get introducers over SSU2.
	Firewalled bool
	// SSU2Network carries SSU2's datagrams; nil: UDP.
	SSU2Network ssu2.Network
}

// PoolConfig and TunnelSettings configure a tunnel pool
// (router/tunnel/pool).
type (
	PoolConfig     = pool.Config
	TunnelSettings = pool.Settings
)

// Router is the I2P router.
type Router struct {
	cfg   Config
	log   *slog.Logger
	start time.Time

	id        *identity
	hash      data.Hash
	port      int
	netdb     *netdb.DB
	profiles  *profile.Store
	reseeder  *reseed.Reseeder
	dials     chan struct{} // bounds concurrent dials made to send a message
	riLookups chan struct{} // bounds the RouterInfo lookups of forwarded builds
	// bg counts the goroutines that sending starts (dials, lookups); Run
	// waits for them. bgMu guards bgClosed, set when Run stops taking
	// new ones; runCtx is Run's context (nil before Run).
	bg        sync.WaitGroup
	bgMu      sync.Mutex
	bgClosed  bool
	runCtx    atomic.Pointer[context.Context]
	dups      *i2np.DupFilter
	transit   *transit
	pools     *pool.Manager // our tunnels; set by Open
	replyTags replyTags
	hopKey    *build.HopKey // our encryption key, prepared for build records
	ntcp2     *ntcp2.Transport
	ssu2      *ssu2.Transport

	riMu sync.RWMutex
	ri   *data.RouterInfo

	i2npMu        sync.Mutex
	i2npCounts    map[string]uint64
	malformed     atomic.Uint64
	expired       atomic.Uint64
	garlicFailed  atomic.Uint64
	taggedOpened  atomic.Uint64
	inboundTotal  atomic.Uint64
	outboundTotal atomic.Uint64

	failMu   sync.Mutex
	dialFail map[data.Hash]time.Time // last failed dial, for back-off
	// transportFail is the last failed dial per peer and transport.
	transportFail map[transportKey]time.Time

	bw bandwidth
}

// New checks cfg. It does no I/O; Open does.
func New(cfg Config) (*Router, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("router: no datadir")
	}
	if cfg.NetID < 1 || cfg.NetID > 254 {
		return nil, fmt.Errorf("router: netid %d out of range 1..254", cfg.NetID)
	}
	if cfg.Host != "" {
		a, err := netip.ParseAddr(cfg.Host)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("router: host %q is not an IPv4 address", cfg.Host)
		}
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("router: port %d out of range", cfg.Port)
	}
	if cfg.Bandwidth <= 0 {
		cfg.Bandwidth = 2048
	}
	if err := cfg.Exploratory.Check(); err != nil {
		return nil, fmt.Errorf("router: exploratory tunnels: %w", err)
	}
	if cfg.MinPeers == 0 {
		cfg.MinPeers = 8
	}
	if cfg.PeerFillDelay <= 0 {
		cfg.PeerFillDelay = 20 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Router{cfg: cfg, log: log, i2npCounts: make(map[string]uint64), dialFail: make(map[data.Hash]time.Time), transportFail: make(map[transportKey]time.Time), transit: newTransit()}, nil
}

// state is what datadir keeps besides keys.
type state struct {
	NTCP2Port int `json:"ntcp2_port"`
}

// Open prepares everything that can fail before the router runs: datadir
// (0700), keys, the NTCP2 port and listener, the netDb and reseed. Its
// errors are meant for the user.
func (r *Router) Open() (err error) {
	dir := r.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("router: datadir %s: %w", dir, err)
	}
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o077 != 0 {
		os.Chmod(dir, 0o700) // keys live here
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if err := checkWritable(dir); err != nil {
		return fmt.Errorf("router: datadir %s is not writable: %w", dir, err)
	}
	id, created, err := loadOrCreateIdentity(dir)
	if err != nil {
		return err
	}
	r.id = id
	r.hash = id.ident.Hash()
	var priv, pub [32]byte
	copy(priv[:], id.encPriv.Bytes())
	copy(pub[:], id.encPriv.PublicKey().Bytes())
	if r.hopKey, err = build.NewHopKey(priv, pub); err != nil {
		return err
	}
	if created {
		r.log.Info("created new router identity", "router", r.hash)
	}

	var st state
	statePath := filepath.Join(dir, "router.state.json")
	if b, err := os.ReadFile(statePath); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("router: %s is corrupt (%v); remove it to pick a new NTCP2 port", statePath, err)
		}
	}
	port := r.cfg.Port
	if port == 0 {
		port = st.NTCP2Port
	}
	if port == 0 {
		port = 9151 + mrand.IntN(30777-9151) // the range Java I2P picks from
	}
	r.profiles = profile.New(profile.Config{}, nil)
	if err := r.profiles.Load(dir); err != nil {
		r.log.Warn("peer profiles not loaded; starting empty", "err", err)
	}
	if r.pools, err = pool.NewManager(pool.ManagerConfig{Us: r.hash, Exploratory: r.cfg.Exploratory, ForceLong: r.cfg.LongBuilds},
		pool.Deps{Selector: (*hopSelector)(r), Sender: (*sender)(r), Profiles: r.profiles, Log: r.log.With("component", "tunnels"),
			Deliver: func(gw data.Hash, m i2np.Message) { r.dispatch(gw, m, 1) }}); err != nil {
		return err
	}
	r.dials = make(chan struct{}, 16)
	r.riLookups = make(chan struct{}, 16)
	r.dups = i2np.NewDupFilter(i2np.DupFilterConfig{})
	db, err := netdb.NewDB(netdb.DBConfig{
		Config:     netdb.Config{NetID: r.cfg.NetID, Dir: filepath.Join(dir, "netDb"), Self: r.hash, Logger: r.log},
		Floodfill:  r.cfg.Floodfill,
		RouterInfo: r.routerInfoBytes,
		Sender:     (*sender)(r),
		Profiles:   r.profiles,
		SealReply:  sealReply,
		Route:      r.netdbRoute,
	})
	if err != nil {
		return err
	}
	r.netdb = db

	tr, err := ntcp2.New(ntcp2.Config{
		NetID:           uint8(r.cfg.NetID),
		Static:          id.ntcp2,
		IV:              id.ntcp2IV,
		RouterHash:      r.hash,
		RouterInfo:      r.routerInfoBytes,
		RouterInfoFlag:  1, // ask floodfills to flood it
		CheckRouterInfo: r.checkPeerRouterInfo,
		Handler:         (*ntcp2Handler)(r),
		Logger:          r.log,
		Network:         r.cfg.Network,
	})
	if err != nil {
		return err
	}
	listenHost := r.cfg.Host
	if listenHost == "" {
		listenHost = "0.0.0.0"
	}
	if err := tr.Listen(net.JoinHostPort(listenHost, strconv.Itoa(port))); err != nil {
		return fmt.Errorf("router: NTCP2 port %d: %w", port, err)
	}
	r.ntcp2 = tr
	r.port = port
	if !r.cfg.SSU2Disabled {
		st2, err := ssu2.New(ssu2.Config{
			NetID:           uint8(r.cfg.NetID),
			Static:          id.ssu2,
			IntroKey:        id.ssu2Intro,
			RouterHash:      r.hash,
			MTU:             r.cfg.SSU2MTU,
			RouterInfo:      r.routerInfoBytes,
			RouterInfoFlag:  1,
			CheckRouterInfo: r.checkSSU2RouterInfo,
			Handler:         (*ssu2Handler)(r),
			Logger:          r.log,
			Network:         r.cfg.SSU2Network,
			Sign:            r.id.signer.Sign,
			VerifyRouter:    r.verifyRouter,
			RouterInfoOf: func(h [32]byte) []byte {
				if ri := r.netdb.Get(h); ri != nil {
					return ri.Bytes()
				}
				return nil
			},
			PeerOf: func(h [32]byte) (ssu2.Peer, bool) {
				if ri := r.netdb.Get(h); ri != nil {
					return ssu2Peer(ri)
				}
				return ssu2.Peer{}, false
			},
			CanTest:        r.ssu2CanTest,
			PublicAddr:     r.ssu2PublicAddr,
			OnReachability: r.reachabilityChanged,
			OnIntroducers:  r.introducersChanged,
			WantRelayTag: func(h [32]byte) bool {
				return r.firewalled() && r.ssu2CanIntroduce(h)
			},
		})
		if err != nil {
			tr.Close()
			return err
		}
		if err := st2.Listen(net.JoinHostPort(listenHost, strconv.Itoa(port))); err != nil {
			tr.Close()
			return fmt.Errorf("router: SSU2 UDP port %d: %w", port, err)
		}
		r.ssu2 = st2
	}
	if st.NTCP2Port != port {
		st.NTCP2Port = port
		b, _ := json.Marshal(st)
		if err := writeFileAtomic(statePath, b, 0o600); err != nil {
			return err
		}
	}
	if err := r.resign(); err != nil {
		return err
	}

	n, _ := r.netdb.Load()
	r.log.Info("netDb loaded", "routers", n)
	rs, err := reseed.New(reseed.Config{URLs: r.cfg.ReseedURLs, NetID: r.cfg.NetID, Logger: r.log})
	if err != nil {
		return err
	}
	r.reseeder = rs
	if r.cfg.ReseedFile != "" {
		ris, err := rs.FromFile(r.cfg.ReseedFile)
		if err != nil {
			return fmt.Errorf("router: router.reseed.file: %w", err)
		}
		added, refused := r.importRouterInfos(ris)
		r.log.Info("reseeded from file", "file", r.cfg.ReseedFile, "added", added, "refused", refused)
	}
	r.start = time.Now() // here, not in Run: Status may be called while Run starts
	return nil
}

// Close releases what Open acquired, for a Router that will not Run (Run
// releases it itself). It is idempotent.
func (r *Router) Close() {
	if r.ntcp2 != nil {
		r.ntcp2.Close()
	}
	if r.ssu2 != nil {
		r.ssu2.Close()
	}
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-test")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// Hash is the router's ident hash (valid after Open).
func (r *Router) Hash() data.Hash { return r.hash }

// LookupLeaseSet finds the LeaseSet of the destination whose hash is key,
// in the netDb or by a search of the floodfills, as a client's Dial does.
func (r *Router) LookupLeaseSet(ctx context.Context, key data.Hash) error {
	if r.netdb == nil {
		return errors.New("router: LookupLeaseSet before Open")
	}
	_, err := r.netdb.LookupLeaseSet(ctx, key)
	return err
}

// NTCP2Addr is the NTCP2 listener's address (valid after Open).
func (r *Router) NTCP2Addr() net.Addr { return r.ntcp2.Addr() }

// caps returns our RouterInfo caps: bandwidth class, f, R or U.
func (r *Router) caps() string {
	kbps := r.cfg.Bandwidth
	var c string
	switch {
	case kbps < 12:
		c = "K"
	case kbps < 48:
		c = "L"
	case kbps < 64:
		c = "M"
	case kbps < 128:
		c = "N"
	case kbps < 256:
		c = "O"
	case kbps < 2000:
		c = "P"
	default:
		c = "X"
	}
	if r.cfg.Floodfill {
		c += "f"
	}
	if r.cfg.Host != "" && !r.firewalled() {
		c += "R"
	} else {
		c += "U"
	}
	return c
}

// resign builds and signs a new RouterInfo.
func (r *Router) resign() error {
	opts := map[string]string{
		"s": data.Base64Encode(r.id.ntcp2.PublicKey().Bytes()),
		"v": "2",
	}
	cost := uint8(14) // outbound only (ntcp2.rst, "Unpublished NTCP2 Address")
	if r.cfg.Host != "" && !r.firewalled() {
		// Firewalled, TCP is taken to be blocked too, as Java I2P and
		// i2pd do: no NTCP2 host until a peer test finds us reachable.
		opts["host"] = r.cfg.Host
		opts["port"] = strconv.Itoa(r.port)
		opts["i"] = data.Base64Encode(r.id.ntcp2IV[:])
		cost = 3
	} else {
		opts["caps"] = "4"
	}
	var addrs []data.RouterAddress
	if !r.cfg.NTCP2Disabled {
		addr, err := data.NewRouterAddress(cost, "NTCP2", opts)
		if err != nil {
			return err
		}
		addrs = append(addrs, addr)
	}
	if !r.cfg.SSU2Disabled && r.id.ssu2 != nil {
		a, err := r.ssu2Address()
		if err != nil {
			return err
		}
		addrs = append(addrs, a)
	}
	ropts, err := data.SortedMapping(map[string]string{
		data.OptionCaps:    r.caps(),
		data.OptionNetID:   strconv.Itoa(r.cfg.NetID),
		data.OptionVersion: APIVersion,
	})
	if err != nil {
		return err
	}
	ri := &data.RouterInfo{Identity: r.id.ident, Published: time.Now(), Addresses: addrs, Options: ropts}
	if err := ri.Sign(r.id.signer); err != nil {
		return fmt.Errorf("router: signing RouterInfo: %w", err)
	}
	r.riMu.Lock()
	r.ri = ri
	r.riMu.Unlock()
	return writeFileAtomic(filepath.Join(r.cfg.DataDir, "router.info"), ri.Bytes(), 0o644)
}

func (r *Router) routerInfoBytes() []byte {
	r.riMu.RLock()
	defer r.riMu.RUnlock()
	return r.ri.Bytes()
}

// RouterInfo returns our current signed RouterInfo.
func (r *Router) RouterInfo() *data.RouterInfo {
	r.riMu.RLock()
	defer r.riMu.RUnlock()
	return r.ri
}

// checkPeerRouterInfo is NTCP2's check of the RouterInfo in
// SessionConfirmed: the netDb checks, then an NTCP2 address whose "s" is
// the static key the peer proved.
func (r *Router) checkPeerRouterInfo(b, static []byte) ([32]byte, error) {
	ri, err := r.netdb.Check(b)
	if err != nil {
		return [32]byte{}, err
	}
	for _, a := range ri.Addresses {
		if !strings.HasPrefix(a.TransportStyle, "NTCP") {
			continue
		}
		if s, ok := a.StaticKey(); ok && string(s) == string(static) {
			return ri.Hash(), nil
		}
	}
	return [32]byte{}, &ntcp2.StaticKeyError{Msg: "RouterInfo has no NTCP2 address with the static key of the handshake"}
}

// Run runs the router until ctx is done: the NTCP2 listener, the peer
// connector and the RouterInfo refresh. Open must have succeeded. On return
// every session has been sent a termination and RouterInfo and keys are on
// disk.
func (r *Router) Run(ctx context.Context) error {
	if r.ntcp2 == nil {
		return errors.New("router: Run before Open")
	}
	r.log.Info("router running", "router", r.hash, "netid", r.cfg.NetID, "ntcp2_port", r.port, "caps", r.caps())
	r.runCtx.Store(&ctx)
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Add(6)
	if r.ssu2 != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.ssu2.Run(ctx); err != nil {
				errc <- err
			}
		}()
	}
	go func() { defer wg.Done(); r.pools.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := r.ntcp2.Run(ctx); err != nil {
			errc <- err
		}
	}()
	go func() { defer wg.Done(); r.reseedIfNeeded(ctx) }()
	go func() { defer wg.Done(); r.netdb.Run(ctx) }()
	go func() { defer wg.Done(); r.connectLoop(ctx) }()
	go func() { defer wg.Done(); r.maintain(ctx) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	r.ntcp2.Close()
	if r.ssu2 != nil {
		r.ssu2.Close()
	}
	wg.Wait()
	r.bgMu.Lock()
	r.bgClosed = true
	r.bgMu.Unlock()
	r.bg.Wait() // dials and lookups started by sends; they end with ctx
	if e := r.resign(); e != nil && err == nil {
		err = e
	}
	if e := r.profiles.Save(r.cfg.DataDir); e != nil {
		r.log.Warn("saving peer profiles failed", "err", e)
	}
	r.log.Info("router stopped")
	return err
}

// goBG runs f in a goroutine that Run waits for, with Run's context; it
// reports false (and does not run f) once Run is stopping, or before Run.
func (r *Router) goBG(f func(ctx context.Context)) bool {
	ctx := r.runCtx.Load()
	if ctx == nil {
		return false
	}
	r.bgMu.Lock()
	defer r.bgMu.Unlock()
	if r.bgClosed {
		return false
	}
	r.bg.Go(func() { f(*ctx) })
	return true
}

// reseedMin is the netDb size below which the router reseeds over HTTPS.
const reseedMin = 25

// importRouterInfos puts reseeded RouterInfos into the netDb.
func (r *Router) importRouterInfos(ris [][]byte) (added, refused int) {
	for _, b := range ris {
		if _, fresh, err := r.netdb.Put(b); err != nil {
			refused++
		} else if fresh {
			added++
		}
	}
	return
}

// reseedIfNeeded fetches RouterInfos from the reseed servers when the netDb
// knows fewer than reseedMin routers and servers are configured, retrying
// with back-off until it has enough or ctx is done.
func (r *Router) reseedIfNeeded(ctx context.Context) {
	if len(r.cfg.ReseedURLs) == 0 {
		if n, _ := r.netdb.Counts(); n == 0 {
			r.log.Warn("the netDb is empty and no reseed is configured: set router.reseed.urls or router.reseed.file")
		}
		return
	}
	wait := time.Minute
	for {
		if n, _ := r.netdb.Counts(); n >= reseedMin {
			return
		}
		r.log.Info("reseeding", "servers", len(r.cfg.ReseedURLs))
		ris, err := r.reseeder.Fetch(ctx)
		if err == nil {
			added, refused := r.importRouterInfos(ris)
			r.log.Info("reseeded", "added", added, "refused", refused)
			if n, _ := r.netdb.Counts(); n >= reseedMin {
				return
			}
		} else {
			r.log.Warn("reseed failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Minute)
	}
}

// maintain re-signs our RouterInfo every 30 minutes (i2pd refuses one
// older than 90 minutes in SessionConfirmed) and samples bandwidth.
func (r *Router) maintain(ctx context.Context) {
	resign := time.NewTicker(30 * time.Minute)
	defer resign.Stop()
	sample := time.NewTicker(time.Second)
	defer sample.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-resign.C:
			if err := r.resign(); err != nil {
				r.log.Warn("re-signing RouterInfo failed", "err", err)
			} else {
				r.netdb.RepublishSoon()
			}
			if err := r.profiles.Save(r.cfg.DataDir); err != nil {
				r.log.Warn("saving peer profiles failed", "err", err)
			}
		case now := <-sample.C:
			in, out := r.transportBytes()
			r.bw.sample(now, in, out)
			r.transit.expire(now)
		}
	}
}

// connectLoop opens sessions: at once with the floodfills we know (our
// RouterInfo goes to them in SessionConfirmed, flagged for flooding), and
// after PeerFillDelay with other routers until MinPeers sessions are up.
// It stands in for the tunnel builds and netDb traffic of later issues,
// which open sessions as they need them.
func (r *Router) connectLoop(ctx context.Context) {
	start := time.Now()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		fill := time.Since(start) >= r.cfg.PeerFillDelay
		r.connectSome(ctx, fill)
		r.gatherIntroducers(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (r *Router) connectSome(ctx context.Context, fill bool) {
	have := r.sessionCount()
	if r.cfg.MinPeers < 0 || have >= r.cfg.MinPeers {
		return
	}
	var floodfills, others []*data.RouterInfo
	for _, ri := range r.netdb.Routers() {
		if r.session(ri.Hash()) != nil {
			continue
		}
		if strings.ContainsRune(ri.Caps(), 'f') {
			floodfills = append(floodfills, ri)
		} else {
			others = append(others, ri)
		}
	}
	mrand.Shuffle(len(floodfills), func(i, j int) { floodfills[i], floodfills[j] = floodfills[j], floodfills[i] })
	mrand.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	cands := floodfills
	if len(cands) > 3 {
		cands = cands[:3]
	}
	if fill {
		cands = append(cands, others...)
	}
	var wg sync.WaitGroup
	for _, ri := range cands {
		if have >= r.cfg.MinPeers {
			break
		}
		if !r.shouldDial(ri.Hash()) {
			continue
		}
		if !r.reachable(ri) {
			continue
		}
		have++
		r.dialAsync(ctx, &wg, ri.Hash(), "connect failed", func(dctx context.Context) error {
			_, err := r.dialRouter(dctx, ri)
			return err
		})
	}
	wg.Wait()
}

// dialAsync runs dial in a goroutine of wg with a 15 s deadline; a
// failure backs h off (shouldDial) and is logged as what.
func (r *Router) dialAsync(ctx context.Context, wg *sync.WaitGroup, h data.Hash, what string, dial func(context.Context) error) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := dial(dctx); err != nil {
			r.noteDialFailure(h)
			if ctx.Err() == nil {
				r.log.Info(what, "peer", h, "err", err)
			}
		}
	}()
}

// shouldDial applies a back-off of 30 s after a failed dial.
func (r *Router) shouldDial(h data.Hash) bool {
	r.failMu.Lock()
	defer r.failMu.Unlock()
	t, ok := r.dialFail[h]
	return !ok || time.Since(t) > 30*time.Second
}

// recentlyUnreachable reports a failed dial to h in the last 10 minutes.
func (r *Router) recentlyUnreachable(h data.Hash) bool {
	r.failMu.Lock()
	defer r.failMu.Unlock()
	t, ok := r.dialFail[h]
	return ok && time.Since(t) < 10*time.Minute
}

func (r *Router) noteDialFailure(h data.Hash) {
	r.failMu.Lock()
	r.dialFail[h] = time.Now()
	r.failMu.Unlock()
}

// ntcp2Peer finds a dialable NTCP2 address (IPv4 host, port, s, i, v=2).
func ntcp2Peer(ri *data.RouterInfo) (ntcp2.Peer, string, bool) {
	for _, a := range ri.Addresses {
		if a.TransportStyle != "NTCP2" && a.TransportStyle != "NTCP" {
			continue
		}
		if !slices.Contains(strings.Split(a.Version(), ","), "2") {
			continue
		}
		ap, ok := a.AddrPort()
		if !ok || !ap.Addr().Is4() || ap.Port() == 0 {
			continue
		}
		s, ok1 := a.StaticKey()
		iv, ok2 := a.Base64Option("i")
		if !ok1 || !ok2 || len(s) != 32 || len(iv) != 16 {
			continue
		}
		var p ntcp2.Peer
		p.Hash = ri.Hash()
		copy(p.Static[:], s)
		copy(p.IV[:], iv)
		return p, ap.String(), true
	}
	return ntcp2.Peer{}, "", false
}

// ntcp2Handler receives from NTCP2 sessions.
type ntcp2Handler Router

func (h *ntcp2Handler) HandleI2NP(from [32]byte, msg []byte) {
	r := (*Router)(h)
	m, err := i2np.ParseShort(msg)
	if err != nil {
		r.malformed.Add(1)
		r.log.Warn("malformed I2NP message", "peer", data.Hash(from), "err", err)
		return
	}
	if m.Type != i2np.TunnelData && r.dups.Seen(m.ID, m.Expiration, time.Now()) {
		// Expired (past the 60 s grace, or too far ahead) or a
		// duplicate: dropped.
		r.expired.Add(1)
		r.log.Debug("expired or duplicate I2NP message dropped", "peer", data.Hash(from), "type", m.Type.String(), "msg_id", m.ID)
		return
	}
	r.i2npMu.Lock()
	r.i2npCounts[m.Type.String()]++
	r.i2npMu.Unlock()
	r.log.Debug("I2NP received", "peer", data.Hash(from), "type", m.Type.String(), "msg_id", m.ID, "len", len(m.Payload))
	r.dispatch(data.Hash(from), m, 0)
}

func (h *ntcp2Handler) HandleRouterInfo(from [32]byte, b []byte, flood bool) {
	r := (*Router)(h)
	if _, _, err := r.netdb.Put(b); err != nil {
		r.log.Info("RouterInfo refused", "peer", data.Hash(from), "err", err)
	}
}

func (h *ntcp2Handler) SessionEstablished(s *ntcp2.Session) {
	(*Router)(h).established(s, "NTCP2")
}

func (h *ntcp2Handler) SessionClosed(s *ntcp2.Session, err error) {
	r := (*Router)(h)
	r.log.Info("session closed", "peer", data.Hash(s.Remote()), "transport", "NTCP2", "err", err)
}

// Status returns a snapshot for /api/status.
func (r *Router) Status() Status {
	st := Status{
		RouterHash:    r.hash.String(),
		NetID:         r.cfg.NetID,
		Version:       Version,
		RouterVersion: APIVersion,
		I2NP:          I2NPStatus{Received: map[string]uint64{}},
	}
	if !r.start.IsZero() {
		st.UptimeS = int64(time.Since(r.start).Seconds())
	}
	if r.ntcp2 != nil {
		for _, s := range r.ntcp2.Sessions() {
			st.Peers.NTCP2++
			if s.Outbound() {
				st.Peers.Outbound++
			} else {
				st.Peers.Inbound++
			}
		}
	}
	if r.ssu2 != nil {
		for _, s := range r.ssu2.Sessions() {
			st.Peers.SSU2++
			if s.Outbound() {
				st.Peers.Outbound++
			} else {
				st.Peers.Inbound++
			}
		}
	}
	st.Peers.InboundTotal = r.inboundTotal.Load()
	st.Peers.OutboundTotal = r.outboundTotal.Load()
	if r.netdb != nil {
		st.NetDB.Routers, st.NetDB.Floodfills = r.netdb.Counts()
		st.NetDB.LeaseSets = r.netdb.LeaseSetCount()
		ds := r.netdb.Stats()
		st.NetDB.Floodfill = r.cfg.Floodfill
		st.NetDB.StoresAccepted, st.NetDB.StoresRefused = ds.StoresAccepted, ds.StoresRefused
		st.NetDB.LookupsAnswered, st.NetDB.LookupsDropped = ds.LookupsAnswered, ds.LookupsDropped
		st.NetDB.Flooded, st.NetDB.RateLimited = ds.Flooded, ds.RateLimited
		st.NetDB.PublishedConfirmed = ds.PublishedConfirmed
		st.NetDB.LookupsViaTunnels = ds.LookupsViaTunnels
		st.NetDB.RepliesViaTunnels = r.taggedOpened.Load()
		st.NetDB.LastPublishS = -1
		if !ds.LastPublishConfirmed.IsZero() {
			st.NetDB.LastPublishS = int64(time.Since(ds.LastPublishConfirmed).Seconds())
		}
	}
	st.Bandwidth.InBps, st.Bandwidth.OutBps = r.bw.rates()
	st.Tunnels.Participating = r.transit.count()
	if r.pools != nil {
		in, out := r.pools.Exploratory().Counts()
		st.Tunnels.Exploratory = in + out
		st.Tunnels.Client = r.pools.ClientCount()
		ps := r.pools.Stats()
		st.Tunnels.BuildSuccess = ps.BuildSuccess()
		st.Tunnels.Built, st.Tunnels.BuildFailed = ps.Built, ps.Failed
	}
	st.Tunnels.TransitAccepted = r.transit.accepted.Load()
	st.Tunnels.TransitRejected = r.transit.rejected.Load()
	r.i2npMu.Lock()
	for k, v := range r.i2npCounts {
		st.I2NP.Received[k] = v
	}
	r.i2npMu.Unlock()
	st.I2NP.Malformed = r.malformed.Load()
	st.Network.Status = "unknown"
	if r.ssu2 != nil {
		pt := r.ssu2.PeerTestStats()
		st.Network.Status = pt.Status.String()
		st.Network.PeerTestsOK, st.Network.PeerTestsFailed = pt.OK, pt.Failed
		st.Network.PeerTestsBob, st.Network.PeerTestsCharlie = pt.AsBob, pt.AsCharlie
		if r.cfg.Firewalled {
			st.Network.Status, st.Network.Forced = ssu2.ReachFirewalled.String(), true
		}
		rs := r.ssu2.RelayStats()
		st.Network.RelaysBob, st.Network.RelaysCharlie, st.Network.RelaysAlice = rs.AsBob, rs.AsCharlie, rs.AsAlice
		if ri := r.RouterInfo(); ri != nil {
			for _, a := range ri.Addresses {
				st.Network.Introducers += len(introducers(a))
			}
		}
	}
	st.I2NP.Expired = r.expired.Load()
	return st
}

// PeerInfo describes one transport session, for the console.
type PeerInfo struct {
	Router    string `json:"router"`
	Transport string `json:"transport"`
	Outbound  bool   `json:"outbound"`
	AgeS      int64  `json:"age_s"`
	BytesIn   uint64 `json:"bytes_in"`
	BytesOut  uint64 `json:"bytes_out"`
}

// Peers lists the transport sessions.
func (r *Router) Peers() []PeerInfo {
	var out []PeerInfo
	if r.ntcp2 == nil {
		return out
	}
	for _, s := range r.ntcp2.Sessions() {
		out = append(out, PeerInfo{
			Router: data.Hash(s.Remote()).String(), Transport: "NTCP2", Outbound: s.Outbound(),
			AgeS: int64(time.Since(s.Created()).Seconds()), BytesIn: s.BytesIn(), BytesOut: s.BytesOut(),
		})
	}
	if r.ssu2 != nil {
		for _, s := range r.ssu2.Sessions() {
			out = append(out, PeerInfo{
				Router: data.Hash(s.Remote()).String(), Transport: "SSU2", Outbound: s.Outbound(),
				AgeS: int64(time.Since(s.Created()).Seconds()), BytesIn: s.BytesIn(), BytesOut: s.BytesOut(),
			})
		}
	}
	slices.SortFunc(out, func(a, b PeerInfo) int { return strings.Compare(a.Router, b.Router) })
	return out
}
