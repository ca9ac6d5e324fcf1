// Package sim runs many routers in one process over the in-memory network
// twin (router/transport/memnet), for tests and benchmarks (issue 12). The
// routers are the real ones (router.New), with NTCP2's handshake and
// crypto unchanged; only the sockets are simulated, with the latency,
// bandwidth and loss of memnet.Link on every link.
//
// Run is meant to be called inside a testing/synctest bubble: time is then
// simulated, so that minutes of router time (timers, link latencies) pass
// as fast as the CPU does the crypto, and durations measured are the
// network's, with CPU time counted as zero. Outside a bubble it works too,
// in real time.
//
// # What Run does
//
//  1. Bootstrap: N routers, the first Floodfills of them floodfills, each
//     on a host of its own (10.x.y.z, NTCP2 port 7654). Each is opened
//     once to make its identity and RouterInfo, then reseeded from a zip
//     of ReseedSize RouterInfos of the others picked at random, at least
//     one of them a floodfill's (a reseed server's answer), and run.
//  2. Convergence: the time until every router's netDb holds every
//     floodfill's RouterInfo (its own aside), polled each second.
//  3. Memory: heap and goroutine stacks in use (after a GC) with the
//     routers converged, minus before, divided by N.
//  4. LeaseSet lookups: a destination on a non-floodfill router; once it
//     has published its LeaseSet, Lookups other non-floodfill routers look
//     it up one after another (router.LookupLeaseSet: netDb search of the
//     floodfills, through exploratory tunnels once they are built). The
//     time of each lookup, divided by the one-way link latency, is its
//     latency in hops: the number of link crossings on its critical path,
//     exact when CPU time is zero (synctest), the links uniform and
//     without loss.
//  5. Churn: for ChurnFor, Churn of the non-floodfill routers per minute
//     (one at a time, evenly spread) leave (their Run is cancelled) and as
//     many new ones join, reseeded from the routers then alive. For each
//     newcomer: the time until it knows every floodfill. Floodfills do not
//     churn, so that "every floodfill" stays one set.
//  6. Tunnel builds: Status().Tunnels.Built and BuildFailed summed over
//     every router that ran, the departed ones included.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/netdb/reseed"
	"github.com/i2pgo/i2pgo/router/transport/memnet"
)

// Config configures a simulation. Zero values mean the defaults in
// brackets.
type Config struct {
	Dir        string      // parent of the datadirs (required)
	N          int         // routers at start (required, at least 3)
	Floodfills int         // how many of them are floodfills [max(3, N/10)]
	Link       memnet.Link // every link, both ways
	ReseedSize int         // RouterInfos in each reseed [5]
	Settle     time.Duration
	// Settle is the longest wait for convergence and for the LeaseSet
	// to be published [45 min].
	Lookups  int           // LeaseSet lookups [10, at most the non-floodfills but one]
	Churn    float64       // fraction of non-floodfills replaced per minute [0.1; negative: no churn]
	ChurnFor time.Duration // [3 min]
	Seed     uint64        // for the network's loss draws and the picks [1]
	NetID    int           // [99]
	Log      *slog.Logger  // the harness's progress; nil: none
	// RouterLog, if set, is every router's logger.
	RouterLog *slog.Logger
}

// Result holds the figures of a run. Durations are simulated time inside
// a synctest bubble.
type Result struct {
	N, Floodfills int
	// Convergence is the time from the start until every router knew
	// every floodfill; -1 if that did not happen within Settle, when
	// KnownFloodfills says how far it got (mean fraction known).
	Convergence     time.Duration
	KnownFloodfills float64
	// ConvergenceP50 and P90: the times by which half and nine tenths of
	// the routers knew every floodfill (-1: never).
	ConvergenceP50, ConvergenceP90 time.Duration

	HeapPerRouter  uint64 // bytes: heap in use with N routers, minus before, over N
	StackPerRouter uint64 // bytes: goroutine stacks in use, likewise

	LeaseSetPublish               time.Duration // destination start to Ready
	Lookups, LookupsFailed        int
	LookupMean, LookupMax         time.Duration
	LookupMedian                  time.Duration
	LookupHopsMean, LookupHopsMax float64 // latency over the link latency

	Joined, Left        int
	JoinConverged       int           // newcomers that came to know every floodfill
	JoinConvergenceMean time.Duration // their mean time to it
	JoinConvergenceMax  time.Duration
	ConvergedAfterChurn float64 // fraction of the routers alive at the end that know every floodfill
	TunnelsBuilt        uint64
	TunnelsFailed       uint64
	// TunnelsBuiltPre and TunnelsFailedPre count the builds before churn.
	TunnelsBuiltPre, TunnelsFailedPre uint64
	// TransitAccepted and TransitRejected count the build requests the
	// routers answered, over the whole run.
	TransitAccepted, TransitRejected uint64
	Net                              memnet.Stats
}

// BuildSuccess is TunnelsBuilt over all builds finished.
func (r Result) BuildSuccess() float64 {
	if r.TunnelsBuilt+r.TunnelsFailed == 0 {
		return 0
	}
	return float64(r.TunnelsBuilt) / float64(r.TunnelsBuilt+r.TunnelsFailed)
}

// node is one router of the simulation.
type node struct {
	id      int
	ip      string
	dir     string
	ff      bool
	r       *router.Router
	ri      []byte // RouterInfo at preparation
	hash    data.Hash
	started time.Time
	cancel  context.CancelFunc
	done    chan struct{} // closed when Run returned
	// converged is when it first knew every floodfill (zero: not yet).
	converged time.Time
}

// sim is one run.
type sim struct {
	cfg  Config
	net  *memnet.Network
	rng  *mrand.Rand
	log  *slog.Logger
	ctx  context.Context
	wg   sync.WaitGroup
	next int

	dest  *node   // the router with the destination; it does not churn
	nodes []*node // alive
	gone  []*node // departed
	ffs   []data.Hash
	res   Result
}

// Run runs the simulation and returns its figures. Every goroutine it
// starts has returned when it returns.
func Run(ctx context.Context, cfg Config) (res Result, err error) {
	if cfg.Dir == "" || cfg.N < 3 {
		return Result{}, errors.New("sim: Config needs Dir and N >= 3")
	}
	if cfg.Floodfills <= 0 {
		cfg.Floodfills = max(3, cfg.N/10)
	}
	cfg.Floodfills = min(cfg.Floodfills, cfg.N-1)
	if cfg.ReseedSize <= 0 {
		cfg.ReseedSize = 5
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 45 * time.Minute
	}
	if cfg.Lookups <= 0 {
		cfg.Lookups = 10
	}
	cfg.Lookups = min(cfg.Lookups, cfg.N-cfg.Floodfills-1)
	if cfg.Churn == 0 {
		cfg.Churn = 0.1
	}
	if cfg.ChurnFor <= 0 {
		cfg.ChurnFor = 3 * time.Minute
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.NetID == 0 {
		cfg.NetID = 99
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &sim{
		cfg: cfg, log: log, ctx: ctx,
		net: memnet.New(memnet.Config{Default: cfg.Link, Seed: cfg.Seed}),
		rng: mrand.New(mrand.NewPCG(cfg.Seed, 2)),
	}
	s.res.N, s.res.Floodfills = cfg.N, cfg.Floodfills
	defer func() {
		cancel()
		s.wg.Wait()
		if err == nil {
			s.tunnelTotals()
			s.res.Net = s.net.Stats()
			res = s.res
		}
	}()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	// 1. Bootstrap.
	for i := range cfg.N {
		n, err := s.prepare(i < cfg.Floodfills)
		if err != nil {
			return Result{}, err
		}
		s.nodes = append(s.nodes, n)
		if n.ff {
			s.ffs = append(s.ffs, n.hash)
		}
	}
	pool := s.nodes
	for _, n := range s.nodes {
		if err := s.start(n, pool); err != nil {
			return Result{}, err
		}
	}
	start := time.Now()
	log.Info("routers started", "n", cfg.N, "floodfills", cfg.Floodfills)

	// 2. Convergence.
	s.res.Convergence = -1
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		all, frac := s.checkConvergence()
		if all {
			s.res.Convergence = time.Since(start)
			s.res.KnownFloodfills = 1
			break
		}
		s.res.KnownFloodfills = frac
		if time.Since(start) > cfg.Settle {
			break
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-tick.C:
		}
	}
	var times []time.Duration
	for _, n := range s.nodes {
		if !n.converged.IsZero() {
			times = append(times, n.converged.Sub(start))
		}
	}
	slices.Sort(times)
	if k := (len(s.nodes) + 1) / 2; len(times) >= k {
		s.res.ConvergenceP50 = times[k-1]
	} else {
		s.res.ConvergenceP50 = -1
	}
	if k := (9*len(s.nodes) + 9) / 10; len(times) >= k {
		s.res.ConvergenceP90 = times[k-1]
	} else {
		s.res.ConvergenceP90 = -1
	}
	log.Info("convergence", "took", s.res.Convergence, "p50", s.res.ConvergenceP50, "p90", s.res.ConvergenceP90, "known", s.res.KnownFloodfills)

	// 3. Memory.
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapInuse > before.HeapInuse {
		s.res.HeapPerRouter = (after.HeapInuse - before.HeapInuse) / uint64(cfg.N)
	}
	if after.StackInuse > before.StackInuse {
		s.res.StackPerRouter = (after.StackInuse - before.StackInuse) / uint64(cfg.N)
	}

	// 4. LeaseSet lookups.
	if err := s.lookups(); err != nil {
		return Result{}, err
	}

	s.res.TunnelsBuiltPre, s.res.TunnelsFailedPre = s.tunnelSums()

	// 5. Churn.
	if cfg.Churn > 0 {
		if err := s.churn(); err != nil {
			return Result{}, err
		}
	}
	return s.res, nil
}

// prepare makes a router's datadir, identity and RouterInfo.
func (s *sim) prepare(ff bool) (*node, error) {
	id := s.next
	s.next++
	n := &node{
		id: id, ff: ff,
		ip:  fmt.Sprintf("10.%d.%d.%d", id/(255*255), (id/255)%255, 1+id%255),
		dir: filepath.Join(s.cfg.Dir, fmt.Sprintf("r%d", id)),
	}
	r, err := router.New(s.routerConfig(n, ""))
	if err != nil {
		return nil, err
	}
	if err := r.Open(); err != nil {
		return nil, fmt.Errorf("sim: router %d: %w", id, err)
	}
	n.ri = r.RouterInfo().Bytes()
	n.hash = r.Hash()
	r.Close()
	return n, nil
}

func (s *sim) routerConfig(n *node, reseed string) router.Config {
	return router.Config{
		DataDir:      n.dir,
		NetID:        s.cfg.NetID,
		Host:         n.ip,
		Port:         7654,
		Floodfill:    n.ff,
		Bandwidth:    2048,
		ReseedFile:   reseed,
		Logger:       s.cfg.RouterLog,
		Network:      s.net.Host(n.ip),
		SSU2Disabled: true, // NTCP2 over memnet only: memnet has no UDP twin yet
	}
}

// start reseeds n from pool and runs it.
func (s *sim) start(n *node, pool []*node) error {
	var ffs, others []*node
	for _, p := range pool {
		switch {
		case p == n:
		case p.ff:
			ffs = append(ffs, p)
		default:
			others = append(others, p)
		}
	}
	var pick [][]byte
	var names []data.Hash
	if len(ffs) > 0 {
		f := ffs[s.rng.IntN(len(ffs))]
		pick, names = append(pick, s.currentRI(f)), append(names, f.hash)
		ffs = slices.DeleteFunc(ffs, func(x *node) bool { return x == f })
	}
	rest := append(ffs, others...)
	s.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	for _, p := range rest[:min(len(rest), s.cfg.ReseedSize-len(pick))] {
		pick, names = append(pick, s.currentRI(p)), append(names, p.hash)
	}
	zipPath := filepath.Join(n.dir, "seed.zip")
	if err := reseed.WriteZip(zipPath, names, pick); err != nil {
		return err
	}
	r, err := router.New(s.routerConfig(n, zipPath))
	if err != nil {
		return err
	}
	if err := r.Open(); err != nil {
		return fmt.Errorf("sim: router %d: %w", n.id, err)
	}
	n.r = r
	ctx, cancel := context.WithCancel(s.ctx)
	n.cancel, n.done, n.started = cancel, make(chan struct{}), time.Now()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(n.done)
		if err := r.Run(ctx); err != nil {
			s.log.Warn("router stopped", "id", n.id, "err", err)
		}
	}()
	return nil
}

// currentRI is n's RouterInfo as it runs (re-signed), or as prepared.
func (s *sim) currentRI(n *node) []byte {
	if n.r != nil {
		if ri := n.r.RouterInfo(); ri != nil {
			return ri.Bytes()
		}
	}
	return n.ri
}

// knowsAll reports whether n's netDb holds every floodfill but itself,
// and how many of them it holds.
func (s *sim) knowsAll(n *node) (bool, int) {
	have := make(map[string]bool)
	for _, e := range n.r.NetDBRouters() {
		have[e.Hash] = true
	}
	k, want := 0, 0
	for _, h := range s.ffs {
		if h == n.hash {
			continue
		}
		want++
		if have[h.String()] {
			k++
		}
	}
	return k == want, k
}

// checkConvergence records newly converged routers and reports whether
// all the live ones are, and the mean fraction of floodfills known.
func (s *sim) checkConvergence() (bool, float64) {
	all, sum := true, 0.0
	now := time.Now()
	for _, n := range s.nodes {
		ok, k := s.knowsAll(n)
		if ok && n.converged.IsZero() {
			n.converged = now
		}
		if !ok {
			all = false
		}
		want := len(s.ffs)
		if n.ff {
			want--
		}
		sum += float64(k) / float64(max(want, 1))
	}
	return all, sum / float64(len(s.nodes))
}

// lookups publishes a destination and looks it up from other routers.
func (s *sim) lookups() error {
	var nonFF []*node
	for _, n := range s.nodes {
		if !n.ff {
			nonFF = append(nonFF, n)
		}
	}
	if len(nonFF) < 2 || s.cfg.Lookups <= 0 {
		return nil
	}
	host := nonFF[0]
	s.dest = host
	d, err := host.r.NewDestination(router.DestinationConfig{Name: "sim"})
	if err != nil {
		return err
	}
	key, err := data.ParseB32Address(d.B32())
	if err != nil {
		return err
	}
	dctx, dcancel := context.WithCancel(s.ctx)
	defer dcancel()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		d.Run(dctx)
	}()
	t0 := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !d.Ready() {
		if time.Since(t0) > s.cfg.Settle {
			s.log.Warn("LeaseSet not published", "within", s.cfg.Settle)
			s.res.LookupsFailed = s.cfg.Lookups
			return nil
		}
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case <-tick.C:
		}
	}
	s.res.LeaseSetPublish = time.Since(t0)
	s.log.Info("LeaseSet published", "took", s.res.LeaseSetPublish)
	var total time.Duration
	var all []time.Duration
	lat := s.cfg.Link.Latency
	for _, n := range nonFF[1 : 1+s.cfg.Lookups] {
		lctx, cancel := context.WithTimeout(s.ctx, time.Minute)
		t := time.Now()
		err := n.r.LookupLeaseSet(lctx, key)
		took := time.Since(t)
		cancel()
		if s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		if err != nil {
			s.res.LookupsFailed++
			s.log.Info("lookup failed", "from", n.id, "err", err, "took", took)
			continue
		}
		s.res.Lookups++
		total += took
		all = append(all, took)
		s.res.LookupMax = max(s.res.LookupMax, took)
		if lat > 0 {
			h := float64(took) / float64(lat)
			s.res.LookupHopsMax = max(s.res.LookupHopsMax, h)
		}
		s.log.Info("lookup", "from", n.id, "took", took)
	}
	if s.res.Lookups > 0 {
		slices.Sort(all)
		s.res.LookupMedian = all[(len(all)-1)/2]
		s.res.LookupMean = total / time.Duration(s.res.Lookups)
		if lat > 0 {
			s.res.LookupHopsMean = float64(s.res.LookupMean) / float64(lat)
		}
	}
	return nil
}

// churn replaces Churn of the non-floodfills per minute for ChurnFor.
func (s *sim) churn() error {
	nonFF := s.cfg.N - s.cfg.Floodfills
	perMin := max(1, int(float64(nonFF)*s.cfg.Churn+0.5))
	every := time.Minute / time.Duration(perMin)
	steps := int(s.cfg.ChurnFor / every)
	s.log.Info("churn", "per_minute", perMin, "every", every, "replacements", steps)
	var joined []*node
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	nextSwap := time.Now().Add(every)
	end := time.Now().Add(s.cfg.ChurnFor)
	for done := 0; ; {
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case <-tick.C:
		}
		s.checkConvergence()
		now := time.Now()
		for done < steps && !now.Before(nextSwap) {
			nextSwap = nextSwap.Add(every)
			done++
			// A random non-floodfill leaves (not the one with the
			// destination).
			var cands []int
			for i, n := range s.nodes {
				if !n.ff && n != s.dest {
					cands = append(cands, i)
				}
			}
			if len(cands) == 0 {
				continue
			}
			i := cands[s.rng.IntN(len(cands))]
			old := s.nodes[i]
			old.cancel()
			<-old.done
			s.gone = append(s.gone, old)
			s.nodes = slices.Delete(s.nodes, i, i+1)
			s.res.Left++
			n, err := s.prepare(false)
			if err != nil {
				return err
			}
			if err := s.start(n, s.nodes); err != nil {
				return err
			}
			s.nodes = append(s.nodes, n)
			joined = append(joined, n)
			s.res.Joined++
		}
		if !now.Before(end) {
			break
		}
	}
	// Give the last newcomers up to a minute to converge.
	for range 60 {
		all := true
		for _, n := range joined {
			if n.converged.IsZero() {
				all = false
			}
		}
		if all {
			break
		}
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case <-tick.C:
		}
		s.checkConvergence()
	}
	var total time.Duration
	for _, n := range joined {
		if n.converged.IsZero() {
			continue
		}
		d := n.converged.Sub(n.started)
		s.res.JoinConverged++
		total += d
		s.res.JoinConvergenceMax = max(s.res.JoinConvergenceMax, d)
	}
	if s.res.JoinConverged > 0 {
		s.res.JoinConvergenceMean = total / time.Duration(s.res.JoinConverged)
	}
	k := 0
	for _, n := range s.nodes {
		if ok, _ := s.knowsAll(n); ok {
			k++
		}
	}
	s.res.ConvergedAfterChurn = float64(k) / float64(len(s.nodes))
	return nil
}

// tunnelTotals sums the tunnel builds of every router that ran.
func (s *sim) tunnelTotals() {
	s.res.TunnelsBuilt, s.res.TunnelsFailed = s.tunnelSums()
	for _, n := range slices.Concat(s.nodes, s.gone) {
		if n.r != nil {
			st := n.r.Status()
			s.res.TransitAccepted += st.Tunnels.TransitAccepted
			s.res.TransitRejected += st.Tunnels.TransitRejected
		}
	}
}

func (s *sim) tunnelSums() (built, failed uint64) {
	for _, n := range slices.Concat(s.nodes, s.gone) {
		if n.r == nil {
			continue
		}
		st := n.r.Status()
		built += st.Tunnels.Built
		failed += st.Tunnels.BuildFailed
	}
	return built, failed
}

// WriteTable prints results as a table.
func WriteTable(w io.Writer, link memnet.Link, rs []Result) {
	fmt.Fprintf(w, "links: latency %v one way, bandwidth %d B/s (0: unlimited), loss %.3g%% of segments; times are simulated\n",
		link.Latency, link.Bandwidth, 100*link.Loss)
	fmt.Fprintf(w, "%5s %3s | %8s %8s %8s %8s | %7s %7s | %6s %5s %7s %7s %6s %6s %6s | %13s %13s | %5s %10s %6s\n",
		"N", "ff", "conv_p50", "conv_p90", "conv_all", "ff_known",
		"heap/r", "stack/r",
		"ls_pub", "found", "lk_med", "lk_mean", "hops_m", "hops_a", "hops_x",
		"tunnels_pre", "tunnels_all",
		"churn", "join_conv", "end_ok")
	d := func(x time.Duration) string {
		if x < 0 {
			return "-"
		}
		if x >= 10*time.Second {
			return x.Round(time.Second).String()
		}
		return x.Round(10 * time.Millisecond).String()
	}
	pct := func(ok, fail uint64) string {
		if ok+fail == 0 {
			return "-"
		}
		return fmt.Sprintf("%d/%d %.0f%%", ok, ok+fail, 100*float64(ok)/float64(ok+fail))
	}
	hops := func(x time.Duration) float64 {
		if link.Latency <= 0 {
			return 0
		}
		return float64(x) / float64(link.Latency)
	}
	for _, r := range rs {
		fmt.Fprintf(w, "%5d %3d | %8s %8s %8s %7.1f%% | %5.1fMB %5.1fMB | %6s %5s %7s %7s %6.1f %6.1f %6.1f | %13s %13s | %5s %10s %5.0f%%\n",
			r.N, r.Floodfills, d(r.ConvergenceP50), d(r.ConvergenceP90), d(r.Convergence), 100*r.KnownFloodfills,
			float64(r.HeapPerRouter)/(1<<20), float64(r.StackPerRouter)/(1<<20),
			d(r.LeaseSetPublish), fmt.Sprintf("%d/%d", r.Lookups, r.Lookups+r.LookupsFailed),
			d(r.LookupMedian), d(r.LookupMean), hops(r.LookupMedian), r.LookupHopsMean, r.LookupHopsMax,
			pct(r.TunnelsBuiltPre, r.TunnelsFailedPre), pct(r.TunnelsBuilt, r.TunnelsFailed),
			fmt.Sprintf("%d", r.Joined),
			fmt.Sprintf("%d/%d %s", r.JoinConverged, r.Joined, d(r.JoinConvergenceMean)),
			100*r.ConvergedAfterChurn)
	}
	fmt.Fprintf(w, "conv_*: time until 50 %%, 90 %%, all routers knew every floodfill (-: not within Settle); ff_known: mean share of the floodfills known then; heap/r, stack/r: memory per router;\n"+
		"ls_pub: LeaseSet published after; found: lookups that found it; lk_*: lookup time; hops_m/a/x: lookup time over link latency (median, mean, max);\n"+
		"tunnels: builds that succeeded, before churn and overall; churn: routers replaced; join_conv: newcomers that came to know every floodfill, mean time;\n"+
		"end_ok: routers knowing every floodfill at the end\n")
}
