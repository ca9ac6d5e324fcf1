package garlic

import (
	"crypto/aes"
	"crypto/cipher"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Defaults of ElGamalConfig, from the deployed routers.
const (
	// DefaultTagsToSend is Java's TransientSessionKeyManager.DEFAULT_TAGS
	// and i2pd's DEFAULT_TAGS_TO_SEND (crypto.tagsToSend).
	DefaultTagsToSend = 40
	// DefaultLowThreshold is Java's LOW_THRESHOLD (crypto.lowTagThreshold);
	// i2pd refills at two thirds of its tags to elgSend (26 of 40).
	DefaultLowThreshold = 30
	// DefaultOutboundTagLifetime is how long a tag we delivered is used:
	// Java's SESSION_TAG_DURATION_MS, i2pd's
	// OUTGOING_TAGS_EXPIRATION_TIMEOUT.
	DefaultOutboundTagLifetime = 12 * time.Minute
	// DefaultInboundTagLifetime is how long a received tag is kept: i2pd's
	// INCOMING_TAGS_EXPIRATION_TIMEOUT (Java keeps 14 minutes); a few
	// minutes more than the sender uses them, so that network lag never
	// makes a tag fail.
	DefaultInboundTagLifetime = 16 * time.Minute
	// DefaultAckTimeout is how long delivered tags wait for their
	// DeliveryStatus: i2pd's OUTGOING_TAGS_CONFIRMATION_TIMEOUT.
	DefaultAckTimeout = 10 * time.Second
	// DefaultMaxSessions bounds the outbound sessions of one destination.
	DefaultMaxSessions = 1024
	// DefaultMaxInboundTags bounds the received tags of one destination
	// (about 100 bytes each). Java allows 750,000 per router.
	DefaultMaxInboundTags = 100_000
	// DefaultMaxTagsPerKey bounds the tags stored for one session key,
	// so that one peer cannot fill the store alone; a sender following
	// the defaults holds fewer than 200 outstanding.
	DefaultMaxTagsPerKey = 2000
	// elgMaxPending bounds the unconfirmed tag sets of one session:
	// while this many wait for their acknowledgement, no more are sent.
	elgMaxPending = 3
)

// ElGamalConfig configures ElGamalSessions. The zero value means the
// defaults above.
type ElGamalConfig struct {
	// TagsToSend is how many tags a message delivers when the peer runs
	// low, 1 to MaxAESTags.
	TagsToSend int
	// LowThreshold: new tags are sent when fewer confirmed tags than this
	// remain.
	LowThreshold int
	// OutboundTagLifetime is how long after it was made a delivered tag
	// is still used; an idle outbound session is forgotten after it too.
	OutboundTagLifetime time.Duration
	// InboundTagLifetime is how long a received tag is kept.
	InboundTagLifetime time.Duration
	// AckTimeout is how long delivered tags wait for Confirm.
	AckTimeout time.Duration
	// MaxSessions bounds the outbound sessions; the least recently used
	// is dropped for a new one.
	MaxSessions int
	// MaxInboundTags bounds the received tags; the oldest are dropped
	// for new ones.
	MaxInboundTags int
	// MaxTagsPerKey bounds the received tags of one session key; tags
	// beyond it are not stored.
	MaxTagsPerKey int
	// Rand is the source of session keys, tags, IVs and ElGamal
	// randomness; nil means crypto/rand.Reader. It must be safe for
	// concurrent use if the sessions are.
	Rand io.Reader
}

func (c ElGamalConfig) withDefaults() ElGamalConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.TagsToSend, DefaultTagsToSend)
	c.TagsToSend = min(c.TagsToSend, MaxAESTags)
	def(&c.LowThreshold, DefaultLowThreshold)
	defD(&c.OutboundTagLifetime, DefaultOutboundTagLifetime)
	defD(&c.InboundTagLifetime, DefaultInboundTagLifetime)
	defD(&c.AckTimeout, DefaultAckTimeout)
	def(&c.MaxSessions, DefaultMaxSessions)
	def(&c.MaxInboundTags, DefaultMaxInboundTags)
	def(&c.MaxTagsPerKey, DefaultMaxTagsPerKey)
	if c.Rand == nil {
		c.Rand = crand.Reader
	}
	return c
}

// ElGamalSessions is the session key manager of one local destination
// for ElGamal/AES+SessionTags: its outbound sessions (a session key and
// the tags the peer has confirmed, per peer key) and the tags it has
// received. Sessions are one-way (how-elgamal-aes.html): the two sides
// are independent. It is safe for concurrent use; ElGamal and AES work is
// done outside its lock.
//
// Outbound, a message to a peer uses the oldest confirmed tag, or an
// ElGamal block (with the session's key) when none is left. When fewer
// than LowThreshold confirmed tags remain, the message also delivers
// TagsToSend new ones; they are used only once Confirm reports the
// DeliveryStatus that the caller bundled in the message (i2pd's
// ElGamalAESSession; Java does the same for new sessions). Tags that are
// not confirmed within AckTimeout are dropped.
//
// Inbound, Decrypt looks the first 32 bytes up as a tag, deletes it (a tag
// works once) and decrypts the AES block with its key; otherwise, when the
// message is shaped like a New Session, it decrypts the ElGamal block.
// Tags in the AES block are stored for the block's key.
//
// Replays: a replayed Existing Session message fails (its tag is gone);
// a replayed New Session message decrypts again, as in Java and i2pd.
// The legacy Garlic structure inside has a message ID and expiration for
// the caller's duplicate filter.
type ElGamalSessions struct {
	priv *crypto.ElGamalPrivateKey // nil: tags only
	cfg  ElGamalConfig

	mu sync.Mutex
	// Outbound.
	sessions map[crypto.ElGamalPublicKey]*elgOutSession
	acks     map[uint32]*elgOutSession // ack ID -> session with that pending set
	// Inbound.
	tags    map[SessionTag]elgInTag
	keys    map[SessionKey]*elgInKey
	queue   []elgQueuedTag // arrival order = expiry order
	qhead   int
	seq     uint64
	dropped uint64 // inbound tags not stored or evicted early
}

type elgOutSession struct {
	peer     crypto.ElGamalPublicKey
	key      SessionKey
	block    cipher.Block
	tags     []elgOutTag // confirmed, oldest first
	pending  map[uint32]elgPendingSet
	lastUsed time.Time
}

type elgOutTag struct {
	tag     SessionTag
	expires time.Time
}

type elgPendingSet struct {
	tags    []SessionTag
	created time.Time
}

type elgInKey struct {
	block cipher.Block
	tags  int
}

type elgInTag struct {
	key     SessionKey
	k       *elgInKey
	expires time.Time
	seq     uint64
}

type elgQueuedTag struct {
	tag SessionTag
	seq uint64
}

// NewElGamalSessions returns the session manager of a destination whose
// ElGamal private key is priv. priv may be nil for a destination without
// an ElGamal key: it can still elgSend to ElGamal peers and receive messages
// with tags it was given (AddTag), but not New Session messages.
func NewElGamalSessions(priv *crypto.ElGamalPrivateKey, cfg ElGamalConfig) *ElGamalSessions {
	return &ElGamalSessions{
		priv:     priv,
		cfg:      cfg.withDefaults(),
		sessions: make(map[crypto.ElGamalPublicKey]*elgOutSession),
		acks:     make(map[uint32]*elgOutSession),
		tags:     make(map[SessionTag]elgInTag),
		keys:     make(map[SessionKey]*elgInKey),
	}
}

// Outgoing is one message being prepared by Prepare: which key and tag it
// uses and which new tags it delivers. It is used once, by Seal.
type Outgoing struct {
	peer    crypto.ElGamalPublicKey
	key     SessionKey
	block   cipher.Block
	tag     SessionTag
	hasTag  bool
	newTags []SessionTag
	// AckID is nonzero when the message delivers new tags: the caller
	// bundles a DeliveryStatus clove with this message ID, routed back
	// to itself, and calls Confirm(AckID) when it arrives.
	AckID uint32
}

// NewSession reports whether the message needs an ElGamal block (no
// confirmed tag was left).
func (o *Outgoing) NewSession() bool { return !o.hasTag }

// Tags is the number of new tags the message delivers.
func (o *Outgoing) Tags() int { return len(o.newTags) }

// Prepare chooses how the next message to the ElGamal key peerPub is
// encrypted: with the oldest unexpired confirmed tag (which it removes,
// tags being single-use), or as a New Session. It also decides whether
// the message delivers new tags. The caller builds the payload (with a
// DeliveryStatus clove for AckID when it is nonzero) and passes both to
// Seal. A prepared message that is never sent costs one tag. It fails
// with the crypto error for a peer key that is not a valid ElGamal key.
func (s *ElGamalSessions) Prepare(peerPub []byte, now time.Time) (*Outgoing, error) {
	peer, err := crypto.ParseElGamalPublicKey(peerPub)
	if err != nil {
		return nil, fmt.Errorf("garlic: peer key: %w", err)
	}
	// Randomness first, outside the lock.
	var key SessionKey
	if _, err := io.ReadFull(s.cfg.Rand, key[:]); err != nil {
		return nil, fmt.Errorf("garlic: session key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, need := s.prepareLocked(peer, key, now)
	if !need {
		return o, nil
	}
	if err := s.newTagsLocked(o, now); err != nil {
		return nil, err
	}
	return o, nil
}

func (s *ElGamalSessions) prepareLocked(peer crypto.ElGamalPublicKey, key SessionKey, now time.Time) (o *Outgoing, needTags bool) {
	ss := s.sessions[peer]
	if ss != nil && now.Sub(ss.lastUsed) > s.cfg.OutboundTagLifetime {
		s.dropSessionLocked(ss)
		ss = nil
	}
	if ss == nil {
		if len(s.sessions) >= s.cfg.MaxSessions {
			s.evictLocked(now)
		}
		ss = &elgOutSession{peer: peer, key: key, block: elgNewAES(key), pending: make(map[uint32]elgPendingSet)}
		s.sessions[peer] = ss
	}
	ss.lastUsed = now
	s.expireOutLocked(ss, now)
	o = &Outgoing{peer: peer, key: ss.key, block: ss.block}
	if len(ss.tags) > 0 {
		o.tag, o.hasTag = ss.tags[0].tag, true
		ss.tags[0] = elgOutTag{}
		ss.tags = ss.tags[1:]
	}
	return o, len(ss.tags) < s.cfg.LowThreshold && len(ss.pending) < elgMaxPending
}

// newTagsLocked gives o a fresh pending tag set. The tags and the ack ID
// come from Rand while the lock is held; crypto/rand is fast enough.
func (s *ElGamalSessions) newTagsLocked(o *Outgoing, now time.Time) error {
	ss := s.sessions[o.peer]
	buf := make([]byte, s.cfg.TagsToSend*SessionTagLen)
	if _, err := io.ReadFull(s.cfg.Rand, buf); err != nil {
		return fmt.Errorf("garlic: session tags: %w", err)
	}
	tags := make([]SessionTag, s.cfg.TagsToSend)
	for i := range tags {
		copy(tags[i][:], buf[i*SessionTagLen:])
	}
	var id uint32
	for id == 0 || s.acks[id] != nil {
		var b [4]byte
		if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
			return fmt.Errorf("garlic: ack ID: %w", err)
		}
		id = binary.BigEndian.Uint32(b[:])
	}
	ss.pending[id] = elgPendingSet{tags: tags, created: now}
	s.acks[id] = ss
	o.newTags, o.AckID = tags, id
	return nil
}

// expireOutLocked drops ss's expired confirmed tags and its pending sets
// older than AckTimeout.
func (s *ElGamalSessions) expireOutLocked(ss *elgOutSession, now time.Time) {
	i := 0
	for i < len(ss.tags) && !now.Before(ss.tags[i].expires) {
		i++
	}
	if i > 0 {
		ss.tags = append(ss.tags[:0], ss.tags[i:]...)
	}
	for id, p := range ss.pending {
		if now.Sub(p.created) > s.cfg.AckTimeout {
			delete(ss.pending, id)
			delete(s.acks, id)
		}
	}
}

func (s *ElGamalSessions) dropSessionLocked(ss *elgOutSession) {
	for id := range ss.pending {
		delete(s.acks, id)
	}
	delete(s.sessions, ss.peer)
}

// evictLocked makes room for one session: it drops the idle ones, and if
// none was idle, the least recently used.
func (s *ElGamalSessions) evictLocked(now time.Time) {
	var lru *elgOutSession
	for _, ss := range s.sessions {
		if now.Sub(ss.lastUsed) > s.cfg.OutboundTagLifetime {
			s.dropSessionLocked(ss)
			continue
		}
		if lru == nil || ss.lastUsed.Before(lru.lastUsed) {
			lru = ss
		}
	}
	if len(s.sessions) >= s.cfg.MaxSessions && lru != nil {
		s.dropSessionLocked(lru)
	}
}

// Seal encrypts payload as prepared by o and returns the data of a Garlic
// message. It fails with ErrSize if the message would not fit a Garlic
// message, and for a New Session with the ElGamal or rand error.
func (s *ElGamalSessions) Seal(o *Outgoing, payload []byte) ([]byte, error) {
	blk := AESBlock{Tags: o.newTags, Payload: payload}
	if o.hasTag {
		out := make([]byte, 0, SessionTagLen+blk.aesLen(elgMinSealedAES))
		out = append(out, o.tag[:]...)
		return elgSealAES(out, o.block, elgIV(o.tag[:]), blk)
	}
	return EncryptNewSession(o.peer, o.key, blk, s.cfg.Rand)
}

// Encrypt is Prepare then Seal, for a payload built without knowing
// whether tags go with it. When it returns a nonzero ack ID, the message
// delivers new tags, which are used only after Confirm(ackID): the caller
// confirms them when it learns the message arrived (a reply from the peer
// proves it). Callers that bundle a DeliveryStatus use Prepare and Seal.
func (s *ElGamalSessions) Encrypt(peerPub, payload []byte, now time.Time) (msg []byte, ackID uint32, err error) {
	o, err := s.Prepare(peerPub, now)
	if err != nil {
		return nil, 0, err
	}
	msg, err = s.Seal(o, payload)
	if err != nil {
		return nil, 0, err
	}
	return msg, o.AckID, nil
}

// Confirm reports that the message that delivered the tag set ackID
// arrived (its DeliveryStatus came back). The tags become usable, oldest
// first after those already confirmed, and expire OutboundTagLifetime
// after they were made. It returns false for an unknown ack ID or one
// older than AckTimeout.
func (s *ElGamalSessions) Confirm(ackID uint32, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.acks[ackID]
	if ss == nil {
		return false
	}
	p := ss.pending[ackID]
	delete(ss.pending, ackID)
	delete(s.acks, ackID)
	if now.Sub(p.created) > s.cfg.AckTimeout {
		return false
	}
	exp := p.created.Add(s.cfg.OutboundTagLifetime)
	for _, t := range p.tags {
		ss.tags = append(ss.tags, elgOutTag{tag: t, expires: exp})
	}
	return true
}

// Forget drops the outbound session to peerPub, so that the next message
// starts a New Session with a new key: for when the peer has evidently
// lost its tags (no reply to several tagged messages).
func (s *ElGamalSessions) Forget(peerPub []byte) {
	peer, err := crypto.ParseElGamalPublicKey(peerPub)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sessions[peer]; ss != nil {
		s.dropSessionLocked(ss)
	}
}

// Decrypt opens the data of a Garlic message sent to this destination
// and returns the payload, in a new buffer. A message of 32 + 16n bytes
// is looked up by its tag, which is then deleted whatever the outcome; a
// message of 514 + 16n bytes whose first 32 bytes are no tag is
// decrypted with the ElGamal key. The tags the AES block delivers are
// stored for its key (or its new key). It fails with ErrUnknownTag when
// neither applies, ErrAuth when the decryption fails, and with
// ParseAESBlock's errors.
func (s *ElGamalSessions) Decrypt(msg []byte, now time.Time) ([]byte, error) {
	var (
		blk AESBlock
		key SessionKey
		err error
	)
	if k, c, ok := s.takeTag(msg, now); ok {
		key = k
		blk, err = elgDecryptExisting(c, msg)
		if err != nil {
			return nil, err
		}
	} else {
		if s.priv == nil || len(msg)%aes.BlockSize != ElGamalBlockLen%aes.BlockSize {
			return nil, fmt.Errorf("%w: message of %d bytes", ErrUnknownTag, len(msg))
		}
		key, blk, err = DecryptNewSession(s.priv, msg)
		if err != nil {
			return nil, err
		}
	}
	if blk.NewKey != nil {
		key = *blk.NewKey
	}
	if len(blk.Tags) > 0 {
		s.mu.Lock()
		s.addTagsLocked(key, blk.Tags, now)
		s.mu.Unlock()
	}
	return blk.Payload, nil
}

// takeTag removes and returns the key of msg's tag, if msg is shaped like
// an Existing Session message and its tag is stored.
func (s *ElGamalSessions) takeTag(msg []byte, now time.Time) (SessionKey, cipher.Block, bool) {
	if len(msg) < SessionTagLen || len(msg)%aes.BlockSize != 0 {
		return SessionKey{}, nil, false
	}
	tag := SessionTag(msg[:SessionTagLen])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireInLocked(now)
	t, ok := s.tags[tag]
	if !ok {
		return SessionKey{}, nil, false
	}
	s.removeTagLocked(tag, t)
	return t.key, t.k.block, true
}

// AddTag stores one tag for key, as if an AES block had delivered it:
// for replies that come encrypted with a key and tag this side chose,
// such as i2pd's encrypted DeliveryStatus or an ElGamal netDb reply.
func (s *ElGamalSessions) AddTag(key SessionKey, tag SessionTag, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addTagsLocked(key, []SessionTag{tag}, now)
}

func (s *ElGamalSessions) addTagsLocked(key SessionKey, tags []SessionTag, now time.Time) {
	s.expireInLocked(now)
	k := s.keys[key]
	if k == nil {
		k = &elgInKey{block: elgNewAES(key)}
		s.keys[key] = k
	}
	exp := now.Add(s.cfg.InboundTagLifetime)
	for _, tag := range tags {
		if old, ok := s.tags[tag]; ok {
			s.removeTagLocked(tag, old)
			if s.keys[key] == nil { // removing the old one freed k
				s.keys[key] = k
			}
		}
		if k.tags >= s.cfg.MaxTagsPerKey {
			s.dropped++
			continue
		}
		for len(s.tags) >= s.cfg.MaxInboundTags && s.evictOldestLocked() {
			s.dropped++
		}
		s.seq++
		s.tags[tag] = elgInTag{key: key, k: k, expires: exp, seq: s.seq}
		s.queue = append(s.queue, elgQueuedTag{tag: tag, seq: s.seq})
		k.tags++
	}
	if k.tags == 0 {
		delete(s.keys, key)
	}
	s.compactLocked()
}

func (s *ElGamalSessions) removeTagLocked(tag SessionTag, t elgInTag) {
	delete(s.tags, tag)
	t.k.tags--
	if t.k.tags == 0 {
		delete(s.keys, t.key)
	}
}

// expireInLocked removes received tags that have expired, from the front
// of the queue.
func (s *ElGamalSessions) expireInLocked(now time.Time) {
	for s.qhead < len(s.queue) {
		q := s.queue[s.qhead]
		t, ok := s.tags[q.tag]
		if ok && t.seq == q.seq {
			if now.Before(t.expires) {
				break
			}
			s.removeTagLocked(q.tag, t)
		}
		s.queue[s.qhead] = elgQueuedTag{}
		s.qhead++
	}
	s.compactLocked()
}

// evictOldestLocked removes the oldest live tag. It returns false if
// there is none.
func (s *ElGamalSessions) evictOldestLocked() bool {
	for s.qhead < len(s.queue) {
		q := s.queue[s.qhead]
		s.queue[s.qhead] = elgQueuedTag{}
		s.qhead++
		if t, ok := s.tags[q.tag]; ok && t.seq == q.seq {
			s.removeTagLocked(q.tag, t)
			return true
		}
	}
	return false
}

// compactLocked keeps the queue within twice the live tags (plus slack):
// used and replaced tags leave dead entries behind.
func (s *ElGamalSessions) compactLocked() {
	if s.qhead == len(s.queue) {
		s.queue, s.qhead = s.queue[:0], 0
		return
	}
	if len(s.queue)-s.qhead <= 2*len(s.tags)+1024 && s.qhead <= len(s.queue)/2 {
		return
	}
	live := s.queue[:0]
	for _, q := range s.queue[s.qhead:] {
		if t, ok := s.tags[q.tag]; ok && t.seq == q.seq {
			live = append(live, q)
		}
	}
	clear(s.queue[len(live):])
	s.queue, s.qhead = live, 0
}

// ElGamalStats is a snapshot of an ElGamalSessions' state.
type ElGamalStats struct {
	Sessions     int    // outbound sessions
	OutboundTags int    // confirmed tags not yet used
	PendingSets  int    // tag sets waiting for their acknowledgement
	InboundTags  int    // received tags not yet used
	InboundKeys  int    // session keys those tags belong to
	DroppedTags  uint64 // received tags not stored, or evicted early
}

// Stats returns counts for status pages and tests. It expires nothing.
func (s *ElGamalSessions) Stats() ElGamalStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ElGamalStats{
		Sessions:    len(s.sessions),
		PendingSets: len(s.acks),
		InboundTags: len(s.tags),
		InboundKeys: len(s.keys),
		DroppedTags: s.dropped,
	}
	for _, ss := range s.sessions {
		st.OutboundTags += len(ss.tags)
	}
	return st
}

// Expire drops expired tags, pending sets and idle sessions. Prepare and
// Decrypt expire what they touch; call Expire now and then (say once a
// minute) to free the rest.
func (s *ElGamalSessions) Expire(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireInLocked(now)
	for _, ss := range s.sessions {
		s.expireOutLocked(ss, now)
		if now.Sub(ss.lastUsed) > s.cfg.OutboundTagLifetime && len(ss.pending) == 0 {
			s.dropSessionLocked(ss)
		}
	}
}
