package netdb

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/netdb/kad"
	"github.com/i2pgo/i2pgo/router/profile"
)

// Sender delivers I2NP messages to routers; the router implements it over
// its transports, opening a session when there is none. Send must not
// block for long.
type Sender interface {
	Send(to data.Hash, m i2np.Message) error
}

// ReplySealer wraps a reply for an encrypted lookup (i2np.rst "Reply
// Encryption", ECIES): the Garlic message payload holding m, sealed with
// key and tag. Nil: encrypted lookups are not answered.
type ReplySealer func(key [32]byte, tag [8]byte, m i2np.Message) (i2np.Message, error)

// Route is a way out through the router's tunnels, so that a lookup does
// not reveal us to the floodfill: the request goes out by Send, the reply
// comes back to tunnel ReplyTunnel at ReplyGateway, sealed with a one-time
// key and tag from NewReplyTag (i2np.rst "Reply Encryption", ECIES).
type Route struct {
	ReplyGateway data.Hash
	ReplyTunnel  data.TunnelID
	Send         func(to data.Hash, m i2np.Message) error
	NewReplyTag  func() (key [32]byte, tag [8]byte)
}

// DBConfig configures a DB.
type DBConfig struct {
	Config                    // the RouterInfo store
	Floodfill  bool           // serve the netDb to others
	RouterInfo func() []byte  // our current signed RouterInfo
	Sender     Sender         // how messages leave
	Profiles   *profile.Store // peer profiles; nil: none kept
	SealReply  ReplySealer    // for encrypted lookup replies
	// Route, if set and it has a route, carries our lookups through
	// tunnels (not when we are a floodfill: its lookups are not hidden).
	// Nil or no route: lookups go directly.
	Route func() (Route, bool)
	// LookupTimeout is how long one query waits for its answer (5 s);
	// Parallel is how many floodfills a lookup asks at once (2).
	LookupTimeout time.Duration
	Parallel      int
	// ExploreInterval is the time between explorations (30 s; 90 s once
	// 2000 routers are known, as i2pd does).
	ExploreInterval time.Duration
	// PublishInterval is the time between publications of our RouterInfo
	// (40 min; and at once when it changes).
	PublishInterval time.Duration
	// PeerRate is how many stores and lookups one peer may send us per
	// minute before the rest are dropped (floodfill mode; 120).
	PeerRate int
}

// Stats are the DB's counters.
type Stats struct {
	StoresAccepted, StoresRefused   uint64
	LookupsAnswered, LookupsDropped uint64
	Flooded                         uint64
	PublishedConfirmed              uint64
	LastPublishConfirmed            time.Time
	RateLimited                     uint64
	LookupsViaTunnels               uint64 // our lookups sent through tunnels
}

// DB is the network database: the RouterInfo Store plus LeaseSets,
// lookups, exploration, publishing and the floodfill service.
type DB struct {
	*Store
	cfg DBConfig
	ls  leaseSets

	mu      sync.Mutex
	waiters map[data.Hash][]chan reply       // by lookup key
	acks    map[i2np.MessageID]chan struct{} // by reply token
	rate    map[data.Hash]*rateBucket        // per peer, floodfill mode
	pubKick chan struct{}                    // publish now

	storesOK, storesRefused, answered, dropped, flooded, pubOK, limited atomic.Uint64
	viaTunnels                                                          atomic.Uint64
	lastPub                                                             atomic.Int64
}

type reply struct {
	key   data.Hash // the key notified
	from  data.Hash
	found bool
	peers []data.Hash // search reply
}

type rateBucket struct {
	start time.Time
	n     int
}

// NewDB makes a DB. It does no I/O.
func NewDB(cfg DBConfig) (*DB, error) {
	if cfg.Sender == nil || cfg.RouterInfo == nil {
		return nil, errors.New("netdb: DBConfig needs Sender and RouterInfo")
	}
	if cfg.LookupTimeout <= 0 {
		cfg.LookupTimeout = 5 * time.Second
	}
	cfg.LookupTimeout = max(cfg.LookupTimeout, 10*time.Millisecond)
	if cfg.Parallel <= 0 {
		cfg.Parallel = 2
	}
	if cfg.ExploreInterval <= 0 {
		cfg.ExploreInterval = 30 * time.Second
	}
	cfg.ExploreInterval = max(cfg.ExploreInterval, 100*time.Millisecond)
	if cfg.PublishInterval <= 0 {
		cfg.PublishInterval = 40 * time.Minute
	}
	if cfg.PeerRate <= 0 {
		cfg.PeerRate = 120
	}
	db := &DB{
		Store:   New(cfg.Config),
		cfg:     cfg,
		waiters: make(map[data.Hash][]chan reply),
		acks:    make(map[i2np.MessageID]chan struct{}),
		rate:    make(map[data.Hash]*rateBucket),
		pubKick: make(chan struct{}, 1),
	}
	return db, nil
}

func (db *DB) now() time.Time { return db.Store.cfg.Now() }

func (db *DB) self() data.Hash { return db.Store.cfg.Self }

// Stats returns the counters.
func (db *DB) Stats() Stats {
	s := Stats{
		StoresAccepted: db.storesOK.Load(), StoresRefused: db.storesRefused.Load(),
		LookupsAnswered: db.answered.Load(), LookupsDropped: db.dropped.Load(),
		Flooded: db.flooded.Load(), PublishedConfirmed: db.pubOK.Load(), RateLimited: db.limited.Load(),
		LookupsViaTunnels: db.viaTunnels.Load(),
	}
	if t := db.lastPub.Load(); t != 0 {
		s.LastPublishConfirmed = time.Unix(0, t)
	}
	return s
}

// LeaseSetCount is the number of LeaseSets held.
func (db *DB) LeaseSetCount() int { return db.ls.count() }

// LeaseSet returns the valid LeaseSet stored under key, or nil.
func (db *DB) LeaseSet(key data.Hash) data.Entry { return db.ls.get(key, db.now()) }

// LeaseSetKeys lists the keys of the LeaseSets held.
func (db *DB) LeaseSetKeys() []data.Hash { return db.ls.keys() }

// newMessage builds an I2NP message of type t with a random ID and a 60 s
// expiration.
func (db *DB) newMessage(t i2np.MessageType, payload []byte) i2np.Message {
	var id [4]byte
	rand.Read(id[:])
	return i2np.Message{Type: t, ID: i2np.MessageID(binary.BigEndian.Uint32(id[:])), Expiration: db.now().Add(60 * time.Second), Payload: payload}
}

// Handle takes the netDb messages a transport received from peer from.
// Other types are ignored. It never blocks for long.
func (db *DB) Handle(from data.Hash, m i2np.Message) {
	switch m.Type {
	case i2np.DatabaseStore:
		db.handleStore(from, m)
	case i2np.DatabaseLookup:
		db.handleLookup(from, m)
	case i2np.DatabaseSearchReply:
		db.handleSearchReply(from, m)
	case i2np.DeliveryStatus:
		db.handleDeliveryStatus(m)
	}
}

// allow applies the per-peer rate limit of floodfill mode.
func (db *DB) allow(from data.Hash) bool {
	now := db.now()
	db.mu.Lock()
	defer db.mu.Unlock()
	b := db.rate[from]
	if b == nil || now.Sub(b.start) >= time.Minute {
		if b == nil && len(db.rate) > 10000 {
			for k, v := range db.rate {
				if now.Sub(v.start) >= time.Minute {
					delete(db.rate, k)
				}
			}
		}
		db.rate[from] = &rateBucket{start: now, n: 1}
		return true
	}
	b.n++
	return b.n <= db.cfg.PeerRate
}

func (db *DB) handleStore(from data.Hash, m i2np.Message) {
	ds, err := i2np.ParseDatabaseStoreMessage(m.Payload)
	if err != nil {
		db.storesRefused.Add(1)
		db.log.Info("malformed DatabaseStore", "peer", from, "err", err)
		return
	}
	// Answers to our own lookups do not count against the peer's rate.
	if db.cfg.Floodfill && !db.waiting(ds.Key) && !db.allow(from) {
		db.limited.Add(1)
		return
	}
	var fresh bool
	if ds.StoreType == data.StoreRouterInfo {
		ri, err := db.Check(ds.Data)
		if err == nil && ri.Hash() != ds.Key {
			err = fmt.Errorf("netdb: RouterInfo %v stored under key %v", ri.Hash(), ds.Key)
		}
		if err != nil {
			db.storesRefused.Add(1)
			db.log.Info("DatabaseStore refused", "peer", from, "key", ds.Key, "err", err)
			return
		}
		_, fresh, err = db.put(ri)
		if err != nil {
			db.storesRefused.Add(1)
			return
		}
	} else {
		if !db.cfg.Floodfill && !db.waiting(ds.Key) {
			// An unsolicited LeaseSet to a non-floodfill: not ours to keep.
			db.storesRefused.Add(1)
			return
		}
		e, err := checkLeaseSet(ds.StoreType, ds.Data, ds.Key, db.now())
		if err != nil {
			db.storesRefused.Add(1)
			db.log.Info("LeaseSet store refused", "peer", from, "key", ds.Key, "err", err)
			return
		}
		fresh, err = db.ls.put(e)
		if err != nil {
			db.storesRefused.Add(1)
			return
		}
	}
	db.storesOK.Add(1)
	db.notify(ds.Key, reply{from: from, found: true})
	if ds.ReplyToken != 0 && db.cfg.Floodfill {
		db.ackStore(ds)
		if fresh {
			db.flood(ds, from)
		}
	}
}

// ackStore sends the DeliveryStatus a store's reply token asks for.
func (db *DB) ackStore(ds i2np.DatabaseStoreMessage) {
	st := i2np.DeliveryStatusMessage{ID: i2np.MessageID(ds.ReplyToken), Time: db.now()}
	p, _ := st.AppendBinary(nil)
	db.sendReply(ds.ReplyGateway, ds.ReplyTunnel, db.newMessage(i2np.DeliveryStatus, p))
}

// sendReply sends m to router to, or down tunnel at gateway to.
func (db *DB) sendReply(to data.Hash, tunnel data.TunnelID, m i2np.Message) {
	if tunnel != 0 {
		gw := i2np.TunnelGatewayMessage{TunnelID: tunnel, Message: m}
		p, err := gw.AppendBinary(nil)
		if err != nil {
			return
		}
		m = db.newMessage(i2np.TunnelGateway, p)
	}
	if err := db.cfg.Sender.Send(to, m); err != nil {
		db.log.Debug("reply not sent", "to", to, "err", err)
	}
}

// flood sends a newly stored entry, without a reply token, to the three
// floodfills closest to its routing key other than us and its sender
// (how-network-database.html, "Flooding").
func (db *DB) flood(ds i2np.DatabaseStoreMessage, from data.Hash) {
	rk := kad.RoutingKey(ds.Key, db.now())
	ffs := kad.Closest(rk, db.floodfillHashes(), 3, func(h data.Hash) bool { return h == from || h == ds.Key || h == db.self() })
	out := ds
	out.ReplyToken, out.ReplyTunnel, out.ReplyGateway = 0, 0, data.Hash{}
	p, err := out.AppendBinary(nil)
	if err != nil {
		return
	}
	for _, ff := range ffs {
		if err := db.cfg.Sender.Send(ff, db.newMessage(i2np.DatabaseStore, p)); err == nil {
			db.flooded.Add(1)
		}
	}
}

// floodfillHashes lists the floodfills we know, not us.
func (db *DB) floodfillHashes() []data.Hash {
	var out []data.Hash
	for _, ri := range db.Routers() {
		if strings.ContainsRune(ri.Caps(), 'f') {
			out = append(out, ri.Hash())
		}
	}
	return out
}

func (db *DB) handleLookup(from data.Hash, m i2np.Message) {
	if !db.cfg.Floodfill {
		db.dropped.Add(1)
		return
	}
	if !db.allow(from) {
		db.limited.Add(1)
		db.dropped.Add(1)
		return
	}
	lk, err := i2np.ParseDatabaseLookupMessage(m.Payload)
	if err != nil {
		db.dropped.Add(1)
		db.log.Info("malformed DatabaseLookup", "peer", from, "err", err)
		return
	}
	excluded := make(map[data.Hash]bool, len(lk.Exclude))
	noFloodfills := false
	for _, h := range lk.Exclude {
		excluded[h] = true
		if h.IsZero() {
			noFloodfills = true
		}
	}
	var ans i2np.Message
	var found bool
	switch lk.Lookup {
	case i2np.LookupRouterInfo, i2np.LookupAny:
		if ri := db.Get(lk.Key); ri != nil {
			ans, found = db.storeReply(lk.Key, data.StoreRouterInfo, ri.Bytes()), true
		} else if ri := db.RouterInfoSelf(); ri != nil && ri.Hash() == lk.Key {
			ans, found = db.storeReply(lk.Key, data.StoreRouterInfo, ri.Bytes()), true
		}
		if !found && lk.Lookup == i2np.LookupAny {
			if e := db.ls.get(lk.Key, db.now()); e != nil {
				ans, found = db.storeReply(lk.Key, e.StoreType(), e.Bytes()), true
			}
		}
	case i2np.LookupLeaseSet:
		if e := db.ls.get(lk.Key, db.now()); e != nil {
			ans, found = db.storeReply(lk.Key, e.StoreType(), e.Bytes()), true
		}
	}
	if !found {
		var peers []data.Hash
		rk := kad.RoutingKey(lk.Key, db.now())
		skip := func(h data.Hash) bool { return excluded[h] || h == from || h == db.self() }
		if lk.Lookup == i2np.LookupExploration {
			// Non-floodfills close to the key.
			var cands []data.Hash
			for _, ri := range db.Routers() {
				if !strings.ContainsRune(ri.Caps(), 'f') {
					cands = append(cands, ri.Hash())
				}
			}
			peers = kad.Closest(rk, cands, 3, skip)
		} else if !noFloodfills {
			peers = kad.Closest(rk, db.floodfillHashes(), 3, skip)
		}
		sr := i2np.DatabaseSearchReplyMessage{Key: lk.Key, Peers: peers, From: db.self()}
		p, err := sr.AppendBinary(nil)
		if err != nil {
			return
		}
		ans = db.newMessage(i2np.DatabaseSearchReply, p)
	}
	switch lk.Encryption {
	case i2np.ReplyECIES:
		if db.cfg.SealReply == nil || len(lk.RatchetTags) == 0 {
			db.dropped.Add(1)
			return
		}
		sealed, err := db.cfg.SealReply(lk.ReplyKey, [8]byte(lk.RatchetTags[0]), ans)
		if err != nil {
			db.dropped.Add(1)
			return
		}
		ans = sealed
	case i2np.ReplyElGamalAES:
		// ElGamal routers are deprecated (i2np.rst, 0.9.58); we do not
		// answer their encrypted lookups.
		db.dropped.Add(1)
		return
	}
	db.answered.Add(1)
	db.sendReply(lk.From, lk.ReplyTunnel, ans)
}

// RouterInfoSelf is our own RouterInfo, parsed.
func (db *DB) RouterInfoSelf() *data.RouterInfo {
	b := db.cfg.RouterInfo()
	if b == nil {
		return nil
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return nil
	}
	return ri
}

func (db *DB) storeReply(key data.Hash, storeType uint8, b []byte) i2np.Message {
	ds := i2np.DatabaseStoreMessage{Key: key, StoreType: storeType, Data: b}
	p, err := ds.AppendBinary(nil)
	if err != nil {
		return i2np.Message{}
	}
	return db.newMessage(i2np.DatabaseStore, p)
}

func (db *DB) handleSearchReply(from data.Hash, m i2np.Message) {
	sr, err := i2np.ParseDatabaseSearchReplyMessage(m.Payload)
	if err != nil {
		db.log.Info("malformed DatabaseSearchReply", "peer", from, "err", err)
		return
	}
	// A reply through our tunnels comes from the tunnel's gateway; the
	// floodfill names itself in From (unauthenticated, used only to track
	// which query was answered).
	if !sr.From.IsZero() {
		from = sr.From
	}
	db.notify(sr.Key, reply{from: from, peers: sr.Peers})
}

func (db *DB) handleDeliveryStatus(m i2np.Message) {
	st, err := i2np.ParseDeliveryStatusMessage(m.Payload)
	if err != nil {
		return
	}
	db.mu.Lock()
	ch := db.acks[st.ID]
	delete(db.acks, st.ID)
	db.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// waiting reports whether a lookup for key is in progress.
func (db *DB) waiting(key data.Hash) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.waiters[key]) > 0
}

func (db *DB) notify(key data.Hash, r reply) {
	r.key = key
	db.mu.Lock()
	ws := db.waiters[key]
	db.mu.Unlock()
	for _, ch := range ws {
		select {
		case ch <- r:
		default:
		}
	}
}

func (db *DB) wait(key data.Hash) (chan reply, func()) {
	ch := make(chan reply, 32)
	return ch, db.watch(key, ch)
}

// watch adds ch to the waiters of key until the returned func is called.
func (db *DB) watch(key data.Hash, ch chan reply) func() {
	db.mu.Lock()
	db.waiters[key] = append(db.waiters[key], ch)
	db.mu.Unlock()
	return func() {
		db.mu.Lock()
		ws := db.waiters[key]
		if i := slices.Index(ws, ch); i >= 0 {
			ws = slices.Delete(ws, i, i+1)
		}
		if len(ws) == 0 {
			delete(db.waiters, key)
		} else {
			db.waiters[key] = ws
		}
		db.mu.Unlock()
	}
}

// ErrNotFound is a lookup that no floodfill could answer.
var ErrNotFound = errors.New("netdb: not found")

// sendLookup sends one DatabaseLookup for key to floodfill ff, replies
// directly to us (no tunnels yet: issue 5 moves lookups into them).
func (db *DB) sendLookup(ff, key data.Hash, t i2np.LookupType, exclude []data.Hash) error {
	if len(exclude) > i2np.MaxExcludedPeers {
		exclude = exclude[:i2np.MaxExcludedPeers]
	}
	lk := i2np.DatabaseLookupMessage{Key: key, From: db.self(), Lookup: t, Exclude: exclude}
	send := db.cfg.Sender.Send
	if db.cfg.Route != nil && !db.cfg.Floodfill {
		if rt, ok := db.cfg.Route(); ok {
			lk.From, lk.ReplyTunnel = rt.ReplyGateway, rt.ReplyTunnel
			lk.Encryption = i2np.ReplyECIES
			key, tag := rt.NewReplyTag()
			lk.ReplyKey, lk.RatchetTags = key, []i2np.RatchetTag{tag}
			send = rt.Send
			db.viaTunnels.Add(1)
		}
	}
	p, err := lk.AppendBinary(nil)
	if err != nil {
		return err
	}
	return send(ff, db.newMessage(i2np.DatabaseLookup, p))
}

// LookupRouter finds the RouterInfo of key: from the store, or by an
// iterative search of the floodfills closest to its routing key.
func (db *DB) LookupRouter(ctx context.Context, key data.Hash) (*data.RouterInfo, error) {
	if ri := db.Get(key); ri != nil {
		return ri, nil
	}
	if err := db.search(ctx, key, i2np.LookupRouterInfo); err != nil {
		return nil, err
	}
	if ri := db.Get(key); ri != nil {
		return ri, nil
	}
	return nil, ErrNotFound
}

// LookupLeaseSet finds the LeaseSet stored under key.
func (db *DB) LookupLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error) {
	if e := db.ls.get(key, db.now()); e != nil {
		return e, nil
	}
	if err := db.search(ctx, key, i2np.LookupLeaseSet); err != nil {
		return nil, err
	}
	if e := db.ls.get(key, db.now()); e != nil {
		return e, nil
	}
	return nil, ErrNotFound
}

// RefreshLeaseSet asks the floodfills for the LeaseSet under key even when
// we hold one, and returns the newest we then hold: a client refreshes a
// peer's leases with it, as the peer may have replaced its tunnels.
func (db *DB) RefreshLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error) {
	err := db.search(ctx, key, i2np.LookupLeaseSet)
	if e := db.ls.get(key, db.now()); e != nil {
		return e, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, ErrNotFound
}

// search asks floodfills, Parallel at a time and closest first, until one
// of them stores key with us or none is left. Floodfills named in search
// replies that we do not know are fetched from the replier and asked next;
// the search waits for them before it gives up.
func (db *DB) search(ctx context.Context, key data.Hash, t i2np.LookupType) error {
	ch, done := db.wait(key)
	defer done()
	rk := kad.RoutingKey(key, db.now())
	queried := map[data.Hash]bool{db.self(): true}
	var queriedList []data.Hash
	// Lookups in flight and RouterInfos being fetched (their arrival is
	// notified on ch too), by when they were sent. Durations are measured
	// on the monotonic clock: Config.Now dates entries, and may be
	// adjusted or, in tests, stand still.
	sent := map[data.Hash]time.Time{}
	fetching := map[data.Hash]time.Time{}
	var unwatch []func()
	defer func() {
		for _, f := range unwatch {
			f()
		}
	}()
	deadline := time.NewTimer(4 * db.cfg.LookupTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(db.cfg.LookupTimeout / 5)
	defer tick.Stop()
	for {
		// Count queries still in flight; expire the late ones.
		inFlight := 0
		for h, at := range sent {
			if time.Since(at) > db.cfg.LookupTimeout {
				delete(sent, h)
				db.profileLookup(h, false, 0)
			} else {
				inFlight++
			}
		}
		for h, at := range fetching {
			if db.Get(h) != nil || time.Since(at) > db.cfg.LookupTimeout {
				delete(fetching, h)
			}
		}
		for inFlight < db.cfg.Parallel {
			next := kad.Closest(rk, db.floodfillHashes(), 1, func(h data.Hash) bool { return queried[h] || (db.cfg.Profiles != nil && db.cfg.Profiles.IsBad(h)) })
			if len(next) == 0 {
				break
			}
			ff := next[0]
			queried[ff] = true
			queriedList = append(queriedList, ff)
			if err := db.sendLookup(ff, key, t, queriedList); err != nil {
				continue
			}
			sent[ff] = time.Now()
			inFlight++
		}
		if inFlight == 0 && len(fetching) == 0 {
			return fmt.Errorf("%w: %v after asking %d floodfills", ErrNotFound, key, len(queriedList))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("%w: %v: timed out", ErrNotFound, key)
		case <-tick.C:
		case r := <-ch:
			if r.key != key {
				// About a RouterInfo we fetch: it arrived (the loop
				// sees it in the store) or the replier lacks it.
				if !r.found {
					delete(fetching, r.key)
				}
				continue
			}
			if at, ok := sent[r.from]; ok {
				db.profileLookup(r.from, true, time.Since(at))
				delete(sent, r.from)
			}
			if r.found {
				return nil
			}
			for _, p := range db.fetchUnknown(r.from, r.peers) {
				if _, ok := fetching[p]; !ok {
					fetching[p] = time.Now()
					unwatch = append(unwatch, db.watch(p, ch))
				}
			}
		}
	}
}

// fetchUnknown asks replier for the RouterInfos of the peers it named that
// we do not know (they arrive as DatabaseStores). It returns the peers
// asked for.
func (db *DB) fetchUnknown(replier data.Hash, peers []data.Hash) []data.Hash {
	var asked []data.Hash
	for _, p := range peers {
		if p == db.self() || db.Get(p) != nil {
			continue
		}
		if db.sendLookup(replier, p, i2np.LookupRouterInfo, nil) == nil {
			asked = append(asked, p)
		}
	}
	return asked
}

func (db *DB) profileLookup(h data.Hash, ok bool, latency time.Duration) {
	if db.cfg.Profiles != nil {
		db.cfg.Profiles.RecordLookup(h, ok, latency)
	}
}

// Explore learns routers: an exploratory lookup (non-floodfills) and a
// RouterInfo lookup (floodfills) of random keys, each sent to the
// floodfill closest to the key; the routers named in the replies are
// fetched from the replier.
func (db *DB) Explore(ctx context.Context) {
	for _, t := range []i2np.LookupType{i2np.LookupExploration, i2np.LookupRouterInfo} {
		var key data.Hash
		rand.Read(key[:])
		ffs := kad.Closest(kad.RoutingKey(key, db.now()), db.floodfillHashes(), 1, nil)
		if len(ffs) == 0 {
			return
		}
		ch, done := db.wait(key)
		var exclude []data.Hash
		if t == i2np.LookupExploration {
			// Ask for non-floodfills we do not know: exclude the ones we do.
			for _, ri := range db.Routers() {
				if !strings.ContainsRune(ri.Caps(), 'f') && len(exclude) < 64 {
					exclude = append(exclude, ri.Hash())
				}
			}
		}
		exclude = append(exclude, db.self())
		if err := db.sendLookup(ffs[0], key, t, exclude); err != nil {
			done()
			continue
		}
		start := time.Now()
		select {
		case r := <-ch:
			db.profileLookup(r.from, true, time.Since(start))
			db.fetchUnknown(r.from, r.peers)
		case <-time.After(db.cfg.LookupTimeout):
			db.profileLookup(ffs[0], false, 0)
		case <-ctx.Done():
		}
		done()
	}
}

// Publish sends our RouterInfo to the floodfills closest to our routing
// key, one at a time, until one confirms it with a DeliveryStatus
// (how-network-database.html, "RouterInfo publishing"). It returns the
// floodfill that confirmed.
func (db *DB) Publish(ctx context.Context) (data.Hash, error) {
	ds := i2np.DatabaseStoreMessage{Key: db.self(), StoreType: data.StoreRouterInfo, ReplyGateway: db.self(), Data: db.cfg.RouterInfo()}
	ff, err := db.storeConfirmed(ctx, ds, db.cfg.Sender.Send)
	if err != nil {
		if ctx.Err() == nil {
			err = errors.New("netdb: no floodfill confirmed our RouterInfo")
		}
		return data.Hash{}, err
	}
	db.pubOK.Add(1)
	db.lastPub.Store(db.now().UnixNano())
	db.log.Info("RouterInfo published", "floodfill", ff)
	return ff, nil
}

// PublishLeaseSet stores a LeaseSet of one of our destinations at the
// floodfills closest to its routing key, one at a time, through route
// (our tunnels: the store leaves by an outbound tunnel, the
// DeliveryStatus comes back to route's reply tunnel), until one confirms
// it (how-network-database.html, "LeaseSet publishing"). The entry is
// also kept in our own store. It returns the floodfill that confirmed.
func (db *DB) PublishLeaseSet(ctx context.Context, e data.Entry, route Route) (data.Hash, error) {
	if route.Send == nil || route.ReplyGateway.IsZero() {
		return data.Hash{}, errors.New("netdb: PublishLeaseSet needs a route with a reply tunnel")
	}
	key := e.Hash()
	db.ls.put(e)
	ds := i2np.DatabaseStoreMessage{Key: key, StoreType: e.StoreType(), ReplyGateway: route.ReplyGateway, ReplyTunnel: route.ReplyTunnel, Data: e.Bytes()}
	ff, err := db.storeConfirmed(ctx, ds, route.Send)
	if err != nil {
		if ctx.Err() == nil {
			err = fmt.Errorf("netdb: no floodfill confirmed the LeaseSet of %s", key)
		}
		return data.Hash{}, err
	}
	db.log.Info("LeaseSet published", "dest", key, "floodfill", ff)
	return ff, nil
}

// storeConfirmed sends ds (with a fresh reply token) to the floodfills
// closest to ds.Key's routing key, one at a time and at most three,
// until one confirms it with a DeliveryStatus; each gets twice the
// lookup timeout. It records the outcomes in the profiles.
func (db *DB) storeConfirmed(ctx context.Context, ds i2np.DatabaseStoreMessage, send func(data.Hash, i2np.Message) error) (data.Hash, error) {
	rk := kad.RoutingKey(ds.Key, db.now())
	tried := map[data.Hash]bool{}
	for attempt := 0; attempt < 3; attempt++ {
		ffs := kad.Closest(rk, db.floodfillHashes(), 1, func(h data.Hash) bool { return tried[h] || h == db.self() })
		if len(ffs) == 0 {
			break
		}
		ff := ffs[0]
		tried[ff] = true
		var tok [4]byte
		rand.Read(tok[:])
		ds.ReplyToken = binary.BigEndian.Uint32(tok[:]) | 1
		p, err := ds.AppendBinary(nil)
		if err != nil {
			return data.Hash{}, err
		}
		id := i2np.MessageID(ds.ReplyToken)
		ack := make(chan struct{})
		db.mu.Lock()
		db.acks[id] = ack
		db.mu.Unlock()
		confirmed := false
		if err := send(ff, db.newMessage(i2np.DatabaseStore, p)); err == nil {
			t := time.NewTimer(2 * db.cfg.LookupTimeout)
			select {
			case <-ack:
				confirmed = true
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
			if db.cfg.Profiles != nil && ctx.Err() == nil {
				db.cfg.Profiles.RecordStore(ff, confirmed)
			}
		}
		db.mu.Lock()
		delete(db.acks, id)
		db.mu.Unlock()
		if confirmed {
			return ff, nil
		}
		if ctx.Err() != nil {
			return data.Hash{}, ctx.Err()
		}
	}
	return data.Hash{}, errors.New("netdb: no floodfill confirmed the store")
}

// RepublishSoon asks Run to publish our RouterInfo now (it changed).
func (db *DB) RepublishSoon() {
	select {
	case db.pubKick <- struct{}{}:
	default:
	}
}

// Run explores, publishes and expires until ctx is done.
func (db *DB) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		db.publishLoop(ctx)
	}()
	// Explore quickly while the netDb is small, then at the interval.
	started := db.now()
	next := 2 * time.Second
	expire := time.NewTicker(time.Minute)
	defer expire.Stop()
	for {
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-expire.C:
			t.Stop()
			db.ls.expire(db.now())
			// No RouterInfo expiry in the first hour: what was loaded from
			// disk may be old, and the network has not answered yet.
			if db.now().Sub(started) > time.Hour {
				if n := db.Expire(db.cfg.Floodfill); n > 0 {
					db.log.Info("expired RouterInfos", "count", n)
				}
			}
			continue
		case <-t.C:
		}
		db.Explore(ctx)
		n, _ := db.Counts()
		switch {
		case n < 25:
			next = 5 * time.Second
		case n < 2000:
			next = db.cfg.ExploreInterval
		default:
			next = 3 * db.cfg.ExploreInterval
		}
		next += time.Duration(mrand.Int64N(int64(next / 4)))
	}
}

func (db *DB) publishLoop(ctx context.Context) {
	wait := 3 * time.Second // let the first sessions come up
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-db.pubKick:
			t.Stop()
		case <-t.C:
		}
		if _, err := db.Publish(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			db.log.Info("publishing RouterInfo failed", "err", err)
			wait = 30 * time.Second
			continue
		}
		wait = db.cfg.PublishInterval
	}
}
