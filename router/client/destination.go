package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/garlic"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/tunnel"
	"github.com/i2pgo/i2pgo/router/tunnel/pool"
)

// Errors callers may branch on.
var (
	// ErrNoTunnels means the destination has no usable tunnels yet.
	ErrNoTunnels = errors.New("client: no tunnels yet")
	// ErrNoLeaseSet means the remote destination's LeaseSet was not
	// found, or has no usable lease.
	ErrNoLeaseSet = errors.New("client: no LeaseSet for the destination")
	// ErrUnsupportedCrypto means the remote LeaseSet offers no key we
	// can encrypt to.
	ErrUnsupportedCrypto = errors.New("client: the LeaseSet offers no supported encryption key")
	// ErrClosed means the destination was closed.
	ErrClosed = errors.New("client: destination closed")
)

// Net is what a destination uses of the router.
type Net interface {
	// NewPool makes the destination's tunnel pool.
	NewPool(cfg pool.Config, deliver pool.Deliver) (*pool.Pool, error)
	// LookupLeaseSet finds a remote destination's LeaseSet.
	LookupLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error)
	// PublishLeaseSet stores our LeaseSet at a floodfill, sending the
	// store through our outbound tunnel out.
	PublishLeaseSet(ctx context.Context, e data.Entry, out *pool.Tunnel) error
}

// E2E is a destination's end-to-end garlic encryption
// (ECIES-X25519-AEAD-Ratchet: *garlic.Ratchet).
type E2E interface {
	// Encrypt makes the garlic for the destination whose static X25519
	// key is peer.
	Encrypt(peer [32]byte, blocks []garlic.Block, now time.Time) ([]byte, error)
	// Decrypt opens a garlic message; peer is the sender's static key
	// when known.
	Decrypt(msg []byte, now time.Time) (blocks []garlic.Block, peer [32]byte, err error)
	Expire(now time.Time)
}

// Handler receives the payloads of one protocol (6 streaming, 17
// repliable datagram, 18 raw). The payload is the caller's.
type Handler func(srcPort, dstPort uint16, payload []byte)

// Config configures a local destination.
type Config struct {
	// Name labels it in logs and lists.
	Name string
	Keys *Keys
	// Inbound and Outbound are the tunnel settings (zero: 3 hops, 2
	// tunnels).
	Inbound, Outbound pool.Settings
	// E2E, if set, replaces the default ratchet (for tests).
	E2E E2E
	// ElGamalOnly publishes only the ElGamal key in our LeaseSet2, as a
	// Java destination with i2cp.leaseSetEncType=0 does, so that peers
	// reach us with ElGamal/AES+SessionTags (for tests of that path).
	// We still take ratchet messages, and answer X25519 peers with it.
	ElGamalOnly bool
	// Encrypted publishes an encrypted LeaseSet (encryptedleaseset.rst,
	// no per-client authorization) instead of the LeaseSet2: the
	// destination is then reached by its b33 address (B33), and its
	// inner LeaseSet2 goes only to the peers it talks to.
	Encrypted bool
	// SignLeaseSet, if set, has the LeaseSet signed outside the router,
	// as I2CP does: the client keeps the signing key. It gets the leases
	// of our inbound tunnels and returns the LeaseSet2 the client signed
	// for them, with the private keys of its encryption keys. Keys then
	// needs only the Destination (Signer, Encryption and ElGamal unused),
	// Encrypted is refused, and Signer returns nil.
	SignLeaseSet LeaseSetSigner
	Log          *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// LeaseSetSigner signs a LeaseSet2 for the leases outside the router; see
// Config.SignLeaseSet. It may block until ctx is done.
type LeaseSetSigner func(ctx context.Context, leases []data.Lease2) (*data.LeaseSet2, []PrivateKey, error)

// PrivateKey is the private key of one LeaseSet encryption key: X25519
// (32 bytes, little endian) or ElGamal (256 bytes). Others are ignored.
type PrivateKey struct {
	Type data.CryptoType
	Key  []byte
}

// Destination is one local destination: its keys, its tunnel pool, its
// published LeaseSet2, its garlic sessions, and the cache of remote
// LeaseSets it talks to.
type Destination struct {
	cfg  Config
	keys *Keys
	net  Net
	pool *pool.Pool
	// crypt holds the garlic state; an outside signer (SignLeaseSet)
	// replaces it when the LeaseSet's encryption keys change.
	crypt  atomic.Pointer[crypt]
	log    *slog.Logger
	now    func() time.Time
	closed atomic.Bool

	mu        sync.Mutex
	handlers  map[uint8]Handler
	remotes   map[data.Hash]*remote
	byKey     map[[32]byte]data.Hash  // remote static key → destination hash
	ls        *data.LeaseSet2         // our current LeaseSet
	els       *data.EncryptedLeaseSet // ls encrypted, with Config.Encrypted
	leaseKey  string                  // the inbound tunnels ls was made from
	published time.Time               // when ls was last confirmed by a floodfill
	tried     time.Time               // last publish attempt
	signTried time.Time               // last SignLeaseSet call that failed
	rawH      func(payload []byte)    // HandlePayloads

	// ctx is cancelled by Close; wg waits for the background sends of
	// Session.Send; lookups bounds them.
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	lookups chan struct{}

	sent, received, dropped atomic.Uint64
}

// crypt is a destination's end-to-end garlic state.
type crypt struct {
	e2e E2E
	elg *garlic.ElGamalSessions
	// x25519 and elgPub are the public keys it decrypts for (zero with
	// Config.E2E).
	x25519 [32]byte
	elgPub crypto.ElGamalPublicKey
}

func (d *Destination) e2e() E2E                     { return d.crypt.Load().e2e }
func (d *Destination) elg() *garlic.ElGamalSessions { return d.crypt.Load().elg }

// remote is what we know of a destination we talk to.
type remote struct {
	dest   data.Destination
	ls     data.Entry
	key    [32]byte // its X25519 key from the LeaseSet
	elgKey []byte   // its ElGamal key, when it offers no X25519 one
	// out and lease are the routing path: our outbound tunnel and its
	// inbound tunnel that we send by while they last.
	out     *pool.Tunnel
	lease   data.Lease2
	lsSent  time.Time
	ourLSAt time.Time // the Published time of our LeaseSet it was sent
	// checked is when its LeaseSet was last fetched; refreshing is set
	// while a refresh runs.
	checked    time.Time
	refreshing bool
	used       time.Time
	// b33 is set for a remote found by its b33 address: its LeaseSet is
	// looked up under the day's blinded key.
	b33 *data.B33Address
}

// Limits.
const (
	maxRemotes     = 4096
	lookupTimeout  = 20 * time.Second
	republishAfter = 5 * time.Second // least time between publish attempts
	bundleLSEvery  = 2 * time.Minute // re-send our LeaseSet to a peer this often
	garlicLifetime = 60 * time.Second
	// maxPayloadBody bounds a payload's encoded size: a stored gzip of
	// DefaultMaxPayload bytes.
	maxPayloadBody  = DefaultMaxPayload + gzipHeaderLen + gzipTrailerLen + 5*(DefaultMaxPayload/maxStored+1)
	leaseSetOptions = 0
)

// New makes a destination on net, with its tunnel pool. It starts
// nothing; Run publishes its LeaseSet and keeps it current.
func New(cfg Config, net Net) (*Destination, error) {
	if cfg.Keys == nil {
		return nil, errors.New("client: Config.Keys is required")
	}
	if cfg.SignLeaseSet == nil && cfg.Keys.Signer == nil {
		return nil, errors.New("client: Keys.Signer is required without Config.SignLeaseSet")
	}
	if cfg.SignLeaseSet != nil && cfg.Encrypted {
		return nil, errors.New("client: an encrypted LeaseSet needs the signing key, not Config.SignLeaseSet")
	}
	d := &Destination{cfg: cfg, keys: cfg.Keys, net: net, log: cfg.Log, now: cfg.Now,
		handlers: make(map[uint8]Handler), remotes: make(map[data.Hash]*remote), byKey: make(map[[32]byte]data.Hash),
		lookups: make(chan struct{}, maxPendingLookups)}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("component", "client", "dest", cfg.Name)
	if d.now == nil {
		d.now = time.Now
	}
	c := &crypt{e2e: cfg.E2E, x25519: cfg.Keys.Encryption.Public}
	if c.e2e == nil {
		c.e2e = garlic.NewRatchet(cfg.Keys.Encryption, garlic.RatchetConfig{})
	}
	c.elg = garlic.NewElGamalSessions(cfg.Keys.ElGamal, garlic.ElGamalConfig{})
	if cfg.Keys.ElGamal != nil {
		c.elgPub = cfg.Keys.ElGamal.Public()
	}
	d.crypt.Store(c)
	name := cfg.Name
	if name == "" {
		name = data.B32Address(cfg.Keys.Destination.Hash())
	}
	p, err := net.NewPool(pool.Config{Name: name, Inbound: cfg.Inbound, Outbound: cfg.Outbound}, d.deliver)
	if err != nil {
		d.cancel()
		return nil, fmt.Errorf("client: %w", err)
	}
	d.pool = p
	return d, nil
}

// Hash is the destination's hash; B32 its address.
func (d *Destination) Hash() data.Hash { return d.keys.Destination.Hash() }

// B32 is the destination's b32.i2p address.
func (d *Destination) B32() string { return data.B32Address(d.Hash()) }

// B33 is the destination's b33 address (a long .b32.i2p name) when it
// publishes an encrypted LeaseSet, else "".
func (d *Destination) B33() string {
	if !d.cfg.Encrypted {
		return ""
	}
	return d.b33().String()
}

func (d *Destination) b33() data.B33Address {
	return data.B33Address{SigType: d.keys.Destination.SigType(), BlindedSigType: data.BlindedSigType, PublicKey: d.keys.Destination.SigningKey()}
}

// Destination is the full destination.
func (d *Destination) Destination() data.Destination { return d.keys.Destination }

// Signer is its signing key.
// It is nil when the LeaseSet is signed outside (Config.SignLeaseSet).
func (d *Destination) Signer() crypto.Signer {
	if d.keys.Signer == nil {
		return nil
	}
	return d.keys.Signer
}

// Pool is its tunnel pool.
func (d *Destination) Pool() *pool.Pool { return d.pool }

// Handle sets the handler of a protocol's payloads.
func (d *Destination) Handle(proto uint8, h Handler) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handlers[proto] = h
}

// HandlePayloads has every Data clove's I2CP payload (gzip, undecoded)
// given to h instead of the protocol handlers, as I2CP wants: its
// client decodes them. The payload is h's.
func (d *Destination) HandlePayloads(h func(payload []byte)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rawH = h
}

// Ready reports whether the destination has tunnels both ways and a
// published LeaseSet.
func (d *Destination) Ready() bool {
	in, out := d.pool.Counts()
	d.mu.Lock()
	defer d.mu.Unlock()
	return in > 0 && out > 0 && !d.published.IsZero()
}

// Close stops the destination: its pool is closed and Send fails.
func (d *Destination) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.cancel()
	d.pool.Close()
	d.wg.Wait()
	return nil
}

// Run keeps the LeaseSet published and the caches clean until ctx is
// done or the destination is closed.
func (d *Destination) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if d.closed.Load() {
			return ErrClosed
		}
		d.maintain(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// maintain makes a new LeaseSet when the inbound tunnels changed, and
// publishes it.
func (d *Destination) maintain(ctx context.Context) {
	now := d.now()
	d.e2e().Expire(now)
	d.elg().Expire(now)
	d.expireRemotes(now)
	ins := d.pool.Inbound()
	if len(ins) == 0 {
		return
	}
	key := leaseKey(ins)
	if d.cfg.SignLeaseSet != nil && !d.signOutside(ctx, ins, key, now) {
		return
	}
	d.mu.Lock()
	if d.cfg.SignLeaseSet == nil && key != d.leaseKey || d.ls == nil || d.ls.Expires.Sub(now) < 2*time.Minute ||
		(d.els != nil && d.els.Expires.Sub(now) < 2*time.Minute) {
		ls, err := d.makeLeaseSet(ins, now)
		var els *data.EncryptedLeaseSet
		if err == nil && d.cfg.Encrypted {
			// Expires is capped at the next UTC midnight, when the
			// blinded key changes; the check above makes a new one.
			els, err = data.EncryptLeaseSet(ls, d.keys.Signer, "", nil)
		}
		if err != nil {
			d.mu.Unlock()
			d.log.Warn("LeaseSet not signed", "err", err)
			return
		}
		d.ls, d.els, d.leaseKey, d.published = ls, els, key, time.Time{}
	}
	due := d.published.IsZero() && now.Sub(d.tried) >= republishAfter
	if due {
		d.tried = now
	}
	ls := d.ls
	var pub data.Entry = ls
	if d.els != nil {
		pub = d.els
	}
	d.mu.Unlock()
	if !due || ls.IsUnpublished() {
		// An unpublished LeaseSet (i2cp.dontPublishLeaseSet) travels
		// only in our garlic messages.
		return
	}
	out := d.pool.PickOutbound()
	if out == nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := d.net.PublishLeaseSet(pctx, pub, out); err != nil {
		d.log.Info("LeaseSet not published", "err", err)
		return
	}
	d.mu.Lock()
	if d.ls == ls {
		d.published = d.now()
	}
	d.mu.Unlock()
}

// signOutside has a new LeaseSet signed by Config.SignLeaseSet when the
// inbound tunnels changed or the LeaseSet nears its end, and installs it
// with its encryption keys. It reports whether there is a LeaseSet to
// publish.
func (d *Destination) signOutside(ctx context.Context, ins []*pool.Tunnel, key string, now time.Time) bool {
	d.mu.Lock()
	need := key != d.leaseKey || d.ls == nil || d.ls.Expires.Sub(now) < 2*time.Minute
	retry := now.Sub(d.signTried) >= republishAfter
	leases := d.leasesLocked(ins)
	have := d.ls != nil
	d.mu.Unlock()
	if !need {
		return true
	}
	if !retry {
		return have
	}
	sctx, cancel := context.WithTimeout(ctx, signTimeout)
	defer cancel()
	ls, keys, err := d.cfg.SignLeaseSet(sctx, leases)
	if err == nil {
		err = d.checkOutside(ls, keys)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.signTried = now
		d.log.Warn("LeaseSet not signed by the client", "err", err)
		return d.ls != nil
	}
	d.ls, d.leaseKey, d.published, d.signTried = ls, key, time.Time{}, time.Time{}
	return true
}

// signTimeout bounds a Config.SignLeaseSet call.
const signTimeout = 60 * time.Second

// checkOutside checks a LeaseSet signed outside and takes its encryption
// keys: a new garlic state when they changed.
func (d *Destination) checkOutside(ls *data.LeaseSet2, keys []PrivateKey) error {
	if ls == nil {
		return errors.New("client: no LeaseSet")
	}
	if !ls.Destination.Equal(d.keys.Destination.KeysAndCert) {
		return errors.New("client: the signed LeaseSet is for another destination")
	}
	if err := ls.Verify(); err != nil {
		return err
	}
	if len(ls.Leases) == 0 {
		return errors.New("client: the signed LeaseSet has no lease")
	}
	c := &crypt{}
	var x *crypto.X25519KeyPair
	var elg *crypto.ElGamalPrivateKey
	for _, k := range keys {
		switch {
		case k.Type == data.CryptoX25519 && len(k.Key) == 32 && x == nil:
			var kp crypto.X25519KeyPair
			copy(kp.Private[:], k.Key)
			kp.Public = crypto.X25519Public(kp.Private)
			x = &kp
		case k.Type == data.CryptoElGamal && elg == nil:
			var err error
			if elg, err = crypto.NewElGamalPrivateKey(k.Key); err != nil {
				return fmt.Errorf("client: ElGamal private key: %w", err)
			}
		}
	}
	// Each usable public key of the LeaseSet must have its private key.
	found := false
	for _, k := range ls.EncryptionKeys {
		switch k.Type {
		case data.CryptoX25519:
			if x == nil || string(x.Public[:]) != string(k.Key) {
				return errors.New("client: the X25519 private key does not match the LeaseSet")
			}
			found = true
		case data.CryptoElGamal:
			if elg == nil {
				return errors.New("client: the LeaseSet has an ElGamal key but no private key for it")
			}
			if pub := elg.Public(); string(pub[:]) != string(k.Key) {
				return errors.New("client: the ElGamal private key does not match the LeaseSet")
			}
			found = true
		}
	}
	if !found {
		return fmt.Errorf("%w: the signed LeaseSet has neither an X25519 nor an ElGamal key", ErrUnsupportedCrypto)
	}
	old := d.crypt.Load()
	if x != nil {
		c.x25519 = x.Public
	}
	if elg != nil {
		c.elgPub = elg.Public()
	}
	if old.e2e != nil && c.x25519 == old.x25519 && c.elgPub == old.elgPub {
		return nil // the same keys
	}
	if d.cfg.E2E != nil {
		c.e2e = d.cfg.E2E
	} else if x != nil {
		c.e2e = garlic.NewRatchet(*x, garlic.RatchetConfig{})
	} else {
		kp, err := crypto.GenerateX25519(nil) // ElGamal only: the ratchet opens nothing
		if err != nil {
			return err
		}
		c.e2e = garlic.NewRatchet(kp, garlic.RatchetConfig{})
	}
	c.elg = garlic.NewElGamalSessions(elg, garlic.ElGamalConfig{})
	d.crypt.Store(c)
	return nil
}

// leaseKey identifies a set of inbound tunnels.
func leaseKey(ins []*pool.Tunnel) string {
	var b []byte
	for _, t := range ins {
		gw, id := t.Gateway()
		b = append(b, gw[:]...)
		b = append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	}
	return string(b)
}

// makeLeaseSet signs a LeaseSet2 with a lease per inbound tunnel (at most
// 16), our X25519 key and our ElGamal key (only the ElGamal one with
// Config.ElGamalOnly). Called with d.mu held.
func (d *Destination) makeLeaseSet(ins []*pool.Tunnel, now time.Time) (*data.LeaseSet2, error) {
	elgPub := d.keys.ElGamal.Public()
	ls := &data.LeaseSet2{
		LeaseSet2Header: data.LeaseSet2Header{Destination: d.keys.Destination, Published: now.Truncate(time.Second)},
		EncryptionKeys: []data.EncryptionKey{
			{Type: data.CryptoX25519, Key: slices.Clone(d.keys.Encryption.Public[:])},
			{Type: data.CryptoElGamal, Key: elgPub[:]},
		},
	}
	if d.cfg.ElGamalOnly {
		ls.EncryptionKeys = ls.EncryptionKeys[1:]
	}
	if d.cfg.Encrypted {
		ls.Flags |= data.LS2FlagBlinded // as i2pd marks the inner LeaseSet
	}
	// Published must grow: a floodfill keeps the newer of two.
	if d.ls != nil && !ls.Published.After(d.ls.Published) {
		ls.Published = d.ls.Published.Add(time.Second)
	}
	ls.Leases = d.leasesLocked(ins)
	for _, l := range ls.Leases {
		if l.End.After(ls.Expires) {
			ls.Expires = l.End
		}
	}
	if ls.Expires.Sub(ls.Published) > 11*time.Minute {
		ls.Expires = ls.Published.Add(11 * time.Minute)
	}
	if err := ls.Sign(d.keys.Signer); err != nil {
		return nil, err
	}
	return ls, nil
}

// leasesLocked returns a lease per inbound tunnel, at most 16. Called
// with d.mu held.
func (d *Destination) leasesLocked(ins []*pool.Tunnel) []data.Lease2 {
	var ls []data.Lease2
	for _, t := range ins[:min(len(ins), data.MaxLeases)] {
		gw, id := t.Gateway()
		ls = append(ls, data.Lease2{Gateway: gw, TunnelID: id, End: d.pool.Expires(t).Truncate(time.Second)})
	}
	return ls
}

// LeaseSet returns our current LeaseSet, or nil before the first
// tunnels.
func (d *Destination) LeaseSet() *data.LeaseSet2 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ls
}

// Send sends one payload of protocol proto to the destination to, with
// I2CP ports: it finds to's LeaseSet (ours bundled with the first
// messages), encrypts the garlic and sends it out through one of our
// outbound tunnels to one of to's inbound tunnels. Delivery is best
// effort.
func (d *Destination) Send(ctx context.Context, to data.Hash, proto uint8, srcPort, dstPort uint16, payload []byte) error {
	if d.closed.Load() {
		return ErrClosed
	}
	body, err := EncodePayload(proto, srcPort, dstPort, payload, proto != ProtoRaw && len(payload) > 64)
	if err != nil {
		return err
	}
	return d.SendPayload(ctx, to, body)
}

// SendPayload sends an already made I2CP payload (gzip, with protocol
// and ports in its header; see EncodePayload) to the destination to, as
// Send does. I2CP clients make their payloads themselves.
func (d *Destination) SendPayload(ctx context.Context, to data.Hash, body []byte) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if len(body) > maxPayloadBody {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrPayloadTooLarge, len(body), maxPayloadBody)
	}
	rm, err := d.remoteFor(ctx, to)
	if err != nil {
		return err
	}
	now := d.now()
	out, lease, err := d.path(rm, to, now)
	if err != nil {
		return err
	}
	dm, err := i2np.NewMessage(randomMessageID(), now.Add(garlicLifetime), i2np.DataMessage{Data: body})
	if err != nil {
		return err
	}
	cloves := []garlic.Clove{{Delivery: garlic.DeliveryDestination, To: to, Msg: dm}}
	// Our LeaseSet goes with the first messages and then now and then,
	// so the peer can answer without a lookup.
	d.mu.Lock()
	ourLS := d.ls
	bundle := ourLS != nil && (!rm.ourLSAt.Equal(ourLS.Published) || now.Sub(rm.lsSent) > bundleLSEvery)
	if bundle {
		rm.ourLSAt, rm.lsSent = ourLS.Published, now
	}
	rm.used = now
	key, elgKey := rm.key, rm.elgKey
	d.mu.Unlock()
	if bundle {
		ds := i2np.DatabaseStoreMessage{Key: d.Hash(), StoreType: data.StoreLeaseSet2, Data: ourLS.Bytes()}
		if m, err := i2np.NewMessage(randomMessageID(), now.Add(garlicLifetime), ds); err == nil {
			cloves = append(cloves, garlic.Clove{Delivery: garlic.DeliveryLocal, Msg: m})
		}
	}
	var g []byte
	if elgKey != nil {
		if g, err = d.sealElGamal(elgKey, cloves, now); err != nil {
			return fmt.Errorf("client: garlic to %s: %w", data.B32Address(to), err)
		}
	} else if g, err = d.sealRatchet(key, cloves, now); err != nil {
		return fmt.Errorf("client: garlic to %s: %w", data.B32Address(to), err)
	}
	gm, err := i2np.NewMessage(randomMessageID(), now.Add(garlicLifetime), i2np.GarlicMessage{Data: g})
	if err != nil {
		return err
	}
	d.sent.Add(1)
	return out.Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryTunnel, To: lease.Gateway, TunnelID: lease.TunnelID}, gm)
}

// sealRatchet encrypts the cloves with ECIES-X25519-AEAD-Ratchet.
func (d *Destination) sealRatchet(key [32]byte, cloves []garlic.Clove, now time.Time) ([]byte, error) {
	var blocks []garlic.Block
	for _, c := range cloves {
		b, err := c.Block()
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, b)
	}
	return d.e2e().Encrypt(key, blocks, now)
}

// sealElGamal encrypts the cloves as a legacy garlic with
// ElGamal/AES+SessionTags. When the message delivers new tags, a
// DeliveryStatus clove asks the peer to confirm them back to us through
// one of our inbound tunnels.
func (d *Destination) sealElGamal(peer []byte, cloves []garlic.Clove, now time.Time) ([]byte, error) {
	elg := d.elg()
	o, err := elg.Prepare(peer, now)
	if err != nil {
		return nil, err
	}
	exp := data.DateOf(now.Add(garlicLifetime))
	lg := garlic.LegacyGarlic{Certificate: data.NullCertificate, ID: uint32(randomMessageID()), Expiration: exp}
	for _, c := range cloves {
		lg.Cloves = append(lg.Cloves, garlic.LegacyClove{Delivery: c.Delivery, To: c.To, Tunnel: c.Tunnel, Msg: c.Msg,
			ID: uint32(randomMessageID()), Expiration: exp, Certificate: data.NullCertificate})
	}
	if o.AckID != 0 {
		in := d.pool.PickInbound()
		if in == nil {
			return nil, ErrNoTunnels
		}
		gw, gwID := in.Gateway()
		st, err := i2np.NewMessage(i2np.MessageID(o.AckID), now.Add(garlicLifetime), i2np.DeliveryStatusMessage{ID: i2np.MessageID(o.AckID), Time: now})
		if err != nil {
			return nil, err
		}
		lg.Cloves = append(lg.Cloves, garlic.LegacyClove{Delivery: garlic.DeliveryTunnel, To: gw, Tunnel: gwID, Msg: st,
			ID: uint32(randomMessageID()), Expiration: exp, Certificate: data.NullCertificate})
	}
	payload, err := lg.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	return elg.Seal(o, payload)
}

// path returns the routing path to rm: the outbound tunnel and the
// remote lease it used last while both last, else a new pair. Keeping
// one path per peer, as Java and i2pd do, keeps a stream's packets in
// order; spreading them over every tunnel reorders them.
func (d *Destination) path(rm *remote, to data.Hash, now time.Time) (*pool.Tunnel, data.Lease2, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out, lease := rm.out, rm.lease
	if out == nil || !d.pool.Usable(out) {
		if out = d.pool.PickOutbound(); out == nil {
			return nil, data.Lease2{}, ErrNoTunnels
		}
	}
	if lease.End.Sub(now) <= 10*time.Second {
		var ok bool
		if lease, ok = pickLease(rm.ls, now); !ok {
			d.forgetRemoteLocked(to)
			return nil, data.Lease2{}, fmt.Errorf("%w: %s: every lease expired", ErrNoLeaseSet, data.B32Address(to))
		}
	}
	rm.out, rm.lease = out, lease
	return out, lease, nil
}

// pickLease returns a random lease of e that lasts at least 10 more
// seconds.
func pickLease(e data.Entry, now time.Time) (data.Lease2, bool) {
	var ls []data.Lease2
	switch x := e.(type) {
	case *data.LeaseSet2:
		for _, l := range x.Leases {
			if l.End.Sub(now) > 10*time.Second {
				ls = append(ls, l)
			}
		}
	case *data.LeaseSet:
		for _, l := range x.Leases {
			if l.End.Sub(now) > 10*time.Second {
				ls = append(ls, data.Lease2{Gateway: l.Gateway, TunnelID: l.TunnelID, End: l.End})
			}
		}
	}
	if len(ls) == 0 {
		return data.Lease2{}, false
	}
	return ls[mrand.IntN(len(ls))], true
}

// leaseListed reports whether e still has lease l.
func leaseListed(e data.Entry, l data.Lease2) bool {
	switch x := e.(type) {
	case *data.LeaseSet2:
		for _, y := range x.Leases {
			if y.Gateway == l.Gateway && y.TunnelID == l.TunnelID {
				return true
			}
		}
	case *data.LeaseSet:
		for _, y := range x.Leases {
			if y.Gateway == l.Gateway && y.TunnelID == l.TunnelID {
				return true
			}
		}
	}
	return false
}

// remoteFor returns what we know of to, looking its LeaseSet up when we
// have none that lasts.
func (d *Destination) remoteFor(ctx context.Context, to data.Hash) (*remote, error) {
	now := d.now()
	d.mu.Lock()
	rm := d.remotes[to]
	if rm != nil {
		if _, ok := pickLease(rm.ls, now); ok {
			d.maybeRefreshLocked(rm, to, now)
			d.mu.Unlock()
			return rm, nil
		}
	}
	var b33 *data.B33Address
	if rm != nil {
		b33 = rm.b33
	}
	d.mu.Unlock()
	if b33 != nil {
		return d.lookupB33(ctx, *b33)
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	e, err := d.net.LookupLeaseSet(lctx, to)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNoLeaseSet, data.B32Address(to), err)
	}
	return d.learn(e)
}

// leaseRefresh is how old a peer's LeaseSet may get before we fetch it
// again while using it: a peer whose inbound tunnel died publishes a new
// LeaseSet, and the old lease would swallow our messages until it ends
// (up to 10 minutes).
const leaseRefresh = 90 * time.Second

// Refresher is what the Net offers, optionally, for leaseRefresh: a
// lookup that asks the floodfills even when the netDb holds the entry.
type Refresher interface {
	RefreshLeaseSet(ctx context.Context, key data.Hash) (data.Entry, error)
}

// maybeRefreshLocked starts a background refresh of rm's LeaseSet when it
// is older than leaseRefresh (b32 peers only; one at a time per peer,
// within the destination's lookup bound).
func (d *Destination) maybeRefreshLocked(rm *remote, to data.Hash, now time.Time) {
	rf, ok := d.net.(Refresher)
	if !ok || rm.b33 != nil || rm.refreshing || now.Sub(rm.checked) < leaseRefresh || d.closed.Load() {
		return
	}
	select {
	case d.lookups <- struct{}{}:
	default:
		return
	}
	rm.refreshing, rm.checked = true, now
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.lookups }()
		ctx, cancel := context.WithTimeout(d.ctx, lookupTimeout)
		defer cancel()
		e, err := rf.RefreshLeaseSet(ctx, to)
		if err == nil {
			_, err = d.learn(e)
		}
		if err != nil {
			d.log.Debug("LeaseSet refresh failed", "dest", data.B32Address(to), "err", err)
		}
		d.mu.Lock()
		rm.refreshing = false
		d.mu.Unlock()
	}()
}

// lookupB33 finds and decrypts the encrypted LeaseSet of addr.
func (d *Destination) lookupB33(ctx context.Context, addr data.B33Address) (*remote, error) {
	now := d.now()
	key, err := addr.Key(now, "")
	if err != nil {
		return nil, fmt.Errorf("client: b33 address: %w", err)
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	e, err := d.net.LookupLeaseSet(lctx, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNoLeaseSet, addr, err)
	}
	els, ok := e.(*data.EncryptedLeaseSet)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the netDb holds a %T under its blinded key", ErrNoLeaseSet, addr, e)
	}
	inner, err := els.Decrypt(addr, "", now)
	if err != nil {
		return nil, fmt.Errorf("client: LeaseSet of %s: %w", addr, err)
	}
	rm, err := d.learn(inner)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	a := addr
	rm.b33 = &a
	d.mu.Unlock()
	return rm, nil
}

// ResolveB33 returns the destination of a b33 address, from its
// encrypted LeaseSet.
func (d *Destination) ResolveB33(ctx context.Context, addr data.B33Address) (data.Destination, error) {
	rm, err := d.lookupB33(ctx, addr)
	if err != nil {
		return data.Destination{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return rm.dest, nil
}

// learn caches a verified remote LeaseSet.
func (d *Destination) learn(e data.Entry) (*remote, error) {
	var dest data.Destination
	var key [32]byte
	found := false
	var elgKey []byte
	switch x := e.(type) {
	case *data.LeaseSet2:
		dest = x.Destination
		for _, k := range x.EncryptionKeys {
			if k.Type == data.CryptoX25519 && len(k.Key) == 32 {
				copy(key[:], k.Key)
				found = true
				break
			}
		}
		if !found {
			for _, k := range x.EncryptionKeys {
				if k.Type == data.CryptoElGamal && len(k.Key) == crypto.ElGamalKeyLen {
					elgKey = slices.Clone(k.Key)
				}
			}
		}
	case *data.LeaseSet:
		dest = x.Destination
		if len(x.EncryptionKey) == crypto.ElGamalKeyLen {
			elgKey = slices.Clone(x.EncryptionKey)
		}
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedCrypto, e)
	}
	if !found && elgKey == nil {
		return nil, fmt.Errorf("%w (%s)", ErrUnsupportedCrypto, data.B32Address(e.Hash()))
	}
	h := e.Hash()
	d.mu.Lock()
	defer d.mu.Unlock()
	rm := d.remotes[h]
	if rm == nil {
		if len(d.remotes) >= maxRemotes {
			d.evictRemoteLocked()
		}
		rm = &remote{used: d.now()}
		d.remotes[h] = rm
	} else if old, ok := rm.ls.(*data.LeaseSet2); ok {
		if nw, ok := e.(*data.LeaseSet2); ok && !nw.Published.After(old.Published) {
			return rm, nil // not newer
		}
	}
	if rm.key != key {
		delete(d.byKey, rm.key)
	}
	rm.dest, rm.ls, rm.key, rm.elgKey = dest, e, key, elgKey
	rm.checked = d.now()
	if !leaseListed(e, rm.lease) {
		rm.lease = data.Lease2{} // its tunnels changed: choose again
	}
	if found {
		d.byKey[key] = h
	}
	return rm, nil
}

func (d *Destination) evictRemoteLocked() {
	var oldest data.Hash
	var at time.Time
	for h, rm := range d.remotes {
		if at.IsZero() || rm.used.Before(at) {
			oldest, at = h, rm.used
		}
	}
	d.forgetRemoteLocked(oldest)
}

func (d *Destination) forgetRemote(h data.Hash) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.forgetRemoteLocked(h)
}

func (d *Destination) forgetRemoteLocked(h data.Hash) {
	if rm := d.remotes[h]; rm != nil {
		delete(d.byKey, rm.key)
		delete(d.remotes, h)
	}
}

// expireRemotes forgets remotes unused for 10 minutes whose LeaseSets
// have expired.
func (d *Destination) expireRemotes(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for h, rm := range d.remotes {
		if _, ok := pickLease(rm.ls, now); !ok && now.Sub(rm.used) > 10*time.Minute {
			d.forgetRemoteLocked(h)
		}
	}
}

// deliver takes what comes out of our inbound tunnels.
func (d *Destination) deliver(gw data.Hash, m i2np.Message) {
	if m.Type == i2np.DeliveryStatus {
		// The confirmation of ElGamal session tags we sent.
		if st, err := i2np.ParseDeliveryStatusMessage(m.Payload); err == nil {
			d.elg().Confirm(uint32(st.ID), d.now())
		}
		return
	}
	if m.Type != i2np.Garlic {
		d.dropped.Add(1)
		return
	}
	g, err := i2np.ParseGarlicMessage(m.Payload)
	if err != nil {
		d.dropped.Add(1)
		return
	}
	now := d.now()
	blocks, _, err := d.e2e().Decrypt(g.Data, now)
	if err != nil {
		// Not ECIES: ElGamal/AES+SessionTags (tag lookup, then ElGamal).
		if pt, eerr := d.elg().Decrypt(g.Data, now); eerr == nil {
			d.received.Add(1)
			d.legacy(pt)
			return
		}
		d.dropped.Add(1)
		d.log.Debug("garlic not opened", "err", err)
		return
	}
	d.received.Add(1)
	// LeaseSets first: the sender's LeaseSet travels with its first
	// messages, and a data clove may be answered at once.
	for _, first := range []bool{true, false} {
		for _, b := range blocks {
			if b.Type != garlic.BlockGarlicClove {
				continue
			}
			c, err := garlic.ParseClove(b.Data)
			if err == nil && (c.Msg.Type == i2np.DatabaseStore) != first {
				continue
			}
			if err != nil && !first {
				continue
			}
			if err != nil || !d.forUs(c.Delivery, c.To) || !d.clove(c.Msg) {
				d.dropped.Add(1)
			}
		}
	}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// forUs reports whether a clove with this delivery is for us.
func (d *Destination) forUs(t garlic.DeliveryType, to data.Hash) bool {
	return t == garlic.DeliveryLocal || t == garlic.DeliveryDestination && to == d.Hash()
}

// legacy handles the cloves of an ElGamal garlic.
func (d *Destination) legacy(pt []byte) {
	lg, err := garlic.ParseLegacyGarlic(pt)
	if err != nil {
		d.dropped.Add(1)
		return
	}
	slices.SortStableFunc(lg.Cloves, func(a, b garlic.LegacyClove) int { // LeaseSets first
		return cmpBool(b.Msg.Type == i2np.DatabaseStore, a.Msg.Type == i2np.DatabaseStore)
	})
	for _, c := range lg.Cloves {
		var ok bool
		switch {
		case d.forUs(c.Delivery, c.To):
			ok = d.clove(c.Msg)
		case c.Delivery == garlic.DeliveryTunnel && c.Msg.Type == i2np.DeliveryStatus:
			ok = d.forwardStatus(c.To, c.Tunnel, c.Msg)
		}
		if !ok {
			d.dropped.Add(1)
		}
	}
}

// forwardStatus sends the DeliveryStatus clove of an ElGamal garlic on
// to the sender's inbound tunnel gw/id, through one of our outbound
// tunnels: it acknowledges the session tags the garlic delivered, and
// the sender uses them only once it comes back (as our own sealElGamal
// asks of its peers; i2pd forwards such cloves the same way). Other
// tunnel cloves are dropped: we relay nothing else for peers.
func (d *Destination) forwardStatus(gw data.Hash, id data.TunnelID, m i2np.Message) bool {
	out := d.pool.PickOutbound()
	if out == nil {
		return false
	}
	return out.Send(tunnel.DeliveryInstructions{Type: tunnel.DeliveryTunnel, To: gw, TunnelID: id}, m) == nil
}

// clove handles one message from a garlic for us; false if it was of no
// use (malformed, forged, or for no handler).
func (d *Destination) clove(m i2np.Message) bool {
	switch m.Type {
	case i2np.Data:
		dm, err := i2np.ParseDataMessage(m.Payload)
		if err != nil {
			return false
		}
		d.mu.Lock()
		raw := d.rawH
		d.mu.Unlock()
		if raw != nil {
			if len(dm.Data) < gzipHeaderLen+gzipTrailerLen+1 || len(dm.Data) > maxPayloadBody {
				return false
			}
			raw(dm.Data)
			return true
		}
		proto, sp, dp, payload, err := DecodePayload(dm.Data, 0)
		if err != nil {
			d.log.Debug("payload dropped", "err", err)
			return false
		}
		d.mu.Lock()
		h := d.handlers[proto]
		d.mu.Unlock()
		if h == nil {
			return false
		}
		h(sp, dp, payload)
		return true
	case i2np.DeliveryStatus:
		st, err := i2np.ParseDeliveryStatusMessage(m.Payload)
		if err != nil {
			return false
		}
		d.elg().Confirm(uint32(st.ID), d.now())
		return true
	case i2np.DatabaseStore:
		ds, err := i2np.ParseDatabaseStoreMessage(m.Payload)
		if err != nil || (ds.StoreType != data.StoreLeaseSet2 && ds.StoreType != data.StoreLeaseSet) {
			return false
		}
		e, err := data.ParseEntry(ds.StoreType, ds.Data)
		if err != nil || e.Hash() != ds.Key || e.Verify() != nil {
			d.log.Debug("LeaseSet in garlic dropped", "err", err)
			return false
		}
		_, err = d.learn(e)
		return err == nil
	}
	return false
}

// Stats counts garlic messages. Dropped counts those not opened, and the
// cloves of opened ones that were of no use (malformed, forged, not for
// us, or for a protocol without a handler).
type Stats struct {
	Sent, Received, Dropped uint64
	Remotes                 int
}

// Stats returns the destination's counts.
func (d *Destination) Stats() Stats {
	d.mu.Lock()
	n := len(d.remotes)
	d.mu.Unlock()
	return Stats{Sent: d.sent.Load(), Received: d.received.Load(), Dropped: d.dropped.Load(), Remotes: n}
}

// Resolve returns the full destination whose hash is h, from its
// LeaseSet (looked up if need be).
func (d *Destination) Resolve(ctx context.Context, h data.Hash) (data.Destination, error) {
	rm, err := d.remoteFor(ctx, h)
	if err != nil {
		return data.Destination{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return rm.dest, nil
}
