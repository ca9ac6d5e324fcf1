package garlic

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

// KDF info strings of ecies.rst, sections 1g and 4.
const (
	infoDHRatchetStep = "KDFDHRatchetStep"
	infoTagAndKeyGen  = "TagAndKeyGenKeys"
	infoSTInit        = "STInitialization"
	infoSessionTag    = "SessionTagKeyGen"
	infoSymmetric     = "SymmetricRatchet"
	infoReplyTags     = "SessionReplyTags"
	infoAttachPayload = "AttachPayloadKDF"
	infoXDHTagSet     = "XDHRatchetTagSet"
)

// Tag set limits.
const (
	// maxSendIndex is the last message number we send on a tag set.
	// ecies.rst allows 65535, but i2pd 2.45.1's RatchetTagSet stops
	// generating tags after index 65533 (GetNextSessionTag fails once its
	// counter reaches 65535), so a message 65534 would be lost on it.
	maxSendIndex = 65533
	// maxRecvIndex is the last message number a receiving tag set
	// generates, the spec's limit.
	maxRecvIndex = 65535
	// maxTagSetID is the largest tag set ID (ecies.rst, "Key and Tag Set
	// IDs").
	maxTagSetID = 65535
)

// kdf is HKDF-SHA256 (RFC 5869) with a 32-byte salt and 64 bytes of
// output, returned as two halves: ecies.rst's HKDF(salt, ikm, info, 64),
// and i2pd's i2p::crypto::HKDF. An empty ikm is the spec's ZEROLEN.
func kdf(salt *[32]byte, ikm []byte, info string) (o1, o2 [32]byte) {
	prk := noise.HMAC(salt[:], ikm)
	m := hmac.New(sha256.New, prk[:])
	m.Write([]byte(info))
	m.Write([]byte{1})
	m.Sum(o1[:0])
	m.Reset()
	m.Write(o1[:])
	m.Write([]byte(info))
	m.Write([]byte{2})
	m.Sum(o2[:0])
	return o1, o2
}

// tagChain is one tag set's session tag and symmetric key ratchets
// (ecies.rst 4b and 4c), set up by DH_INITIALIZE. Index n's tag and key
// come from n+1 steps of their chains; the two run separately so that a
// receiver can look tags ahead without deriving keys.
type tagChain struct {
	nextRoot [32]byte // root key of the next DH ratchet in this direction
	tagCK    [32]byte
	tagConst [32]byte // SESSTAG_CONSTANT
	symmCK   [32]byte
	nextTag  int // index of the next tag
	nextKey  int // index of the next key
}

// newTagChain is DH_INITIALIZE(rootKey, k) followed by the session tag
// ratchet's initialization (ecies.rst, "DH Initialization KDF" and 4b).
func newTagChain(rootKey, k [32]byte) tagChain {
	var c tagChain
	var ck [32]byte
	c.nextRoot, ck = kdf(&rootKey, k[:], infoDHRatchetStep)
	tagCK, symmCK := kdf(&ck, nil, infoTagAndKeyGen)
	c.tagCK, c.tagConst = kdf(&tagCK, nil, infoSTInit)
	c.symmCK = symmCK
	return c
}

// tag returns the next session tag (RATCHET_TAG) and its index. The tag
// is keydata[32:40] read little-endian, so that AppendUint64 gives back the
// wire bytes; i2pd keeps it the same way.
func (c *tagChain) tag() (int, uint64) {
	next, out := kdf(&c.tagCK, c.tagConst[:], infoSessionTag)
	c.tagCK = next
	i := c.nextTag
	c.nextTag++
	return i, binary.LittleEndian.Uint64(out[:8])
}

// key returns the next symmetric key (RATCHET_KEY) and its index.
func (c *tagChain) key() (int, [32]byte) {
	next, k := kdf(&c.symmCK, nil, infoSymmetric)
	c.symmCK = next
	i := c.nextKey
	c.nextKey++
	return i, k
}

// outTagSet is a tag set we send on: tags and keys in step.
type outTagSet struct {
	id    int
	chain tagChain
}

// next returns the message number, tag and key of the next message, or
// ok false when the tag set is used up (past maxSendIndex).
func (o *outTagSet) next() (n int, tag uint64, key [32]byte, ok bool) {
	if o.chain.nextTag > maxSendIndex {
		return 0, 0, key, false
	}
	n, tag = o.chain.tag()
	_, key = o.chain.key()
	return n, tag, key, true
}

// tagSetKind says what a receiving tag set is for.
type tagSetKind uint8

const (
	// kindES: Existing Session messages of an established session.
	kindES tagSetKind = iota
	// kindNSR: New Session Replies to one of our New Sessions (Alice).
	kindNSR
	// kindReply: the first Existing Session tag set of one New Session
	// Reply we sent (Bob), live until Alice's first ES picks one.
	kindReply
)

// inTag is one looked-ahead tag of a receiving tag set.
type inTag struct {
	tag  uint64
	used bool
}

// inTagSet is a tag set we receive on. It holds the tags of indexes
// lo..chain.nextTag-1, each also in its Ratchet's tag table, and the keys of
// indexes below chain.nextKey whose messages have not arrived. The window
// ahead of the highest index received is min(max, min + N/4) tags
// (ecies.rst, "Parameters"); tags more than max behind it are dropped.
type inTagSet struct {
	s      *session
	kind   tagSetKind
	id     int
	reply  *nsrReply // for kindReply
	chain  tagChain
	lo     int
	tags   []inTag // tags[i] is index lo+i
	keys   map[int][32]byte
	winMin int
	winMax int
	// expires is when the tag set is dropped regardless of its session;
	// zero while it is current.
	expires int64 // Unix nanoseconds
}

// window is the look-ahead after receiving index n.
func (ts *inTagSet) window(n int) int {
	return min(ts.winMax, ts.winMin+n/4)
}

// has reports whether index n is held and not yet received.
func (ts *inTagSet) has(n int) bool {
	i := n - ts.lo
	return i >= 0 && i < len(ts.tags) && !ts.tags[i].used
}

// keyFor returns the key of index n, which has must allow, deriving and
// caching the keys of the skipped indexes it passes. It consumes nothing:
// markUsed does that once the message has been authenticated.
func (ts *inTagSet) keyFor(n int) [32]byte {
	if n < ts.chain.nextKey {
		return ts.keys[n]
	}
	for {
		i, k := ts.chain.key()
		if i == n {
			ts.keys[n] = k
			return k
		}
		if ts.has(i) {
			ts.keys[i] = k
		}
	}
}

// markUsed records that index n's message arrived.
func (ts *inTagSet) markUsed(n int) {
	ts.tags[n-ts.lo].used = true
	delete(ts.keys, n)
}

// tagRef is where a tag in the table belongs.
type tagRef struct {
	ts *inTagSet
	n  int
}

// tagTable maps every looked-ahead tag of every receiving tag set of one
// Ratchet to its tag set and index. Received tags stay until trimmed, so
// that a replayed message is recognised as one. It holds at most max tags:
// past that, tag sets stop looking ahead.
type tagTable struct {
	m   map[uint64]tagRef
	max int
}

// extend generates ts's tags up to index upto, within the table's limit
// and maxRecvIndex.
func (t *tagTable) extend(ts *inTagSet, upto int) {
	upto = min(upto, maxRecvIndex)
	for ts.chain.nextTag <= upto && len(t.m) < t.max {
		n, tag := ts.chain.tag()
		ts.tags = append(ts.tags, inTag{tag: tag})
		if _, dup := t.m[tag]; !dup { // a 2^-64 collision keeps the older
			t.m[tag] = tagRef{ts, n}
		}
	}
}

// trim drops ts's tags and keys below index lo.
func (t *tagTable) trim(ts *inTagSet, lo int) {
	k := min(lo-ts.lo, len(ts.tags))
	if k <= 0 {
		return
	}
	for i, e := range ts.tags[:k] {
		t.forget(e.tag, ts, ts.lo+i)
		delete(ts.keys, ts.lo+i)
	}
	ts.tags = append(ts.tags[:0], ts.tags[k:]...)
	ts.lo += k
}

// drop removes all of ts's tags.
func (t *tagTable) drop(ts *inTagSet) {
	for i, e := range ts.tags {
		t.forget(e.tag, ts, ts.lo+i)
	}
	ts.tags = nil
	ts.keys = nil
	ts.lo = ts.chain.nextTag
}

func (t *tagTable) forget(tag uint64, ts *inTagSet, n int) {
	if ref, ok := t.m[tag]; ok && ref.ts == ts && ref.n == n {
		delete(t.m, tag)
	}
}

// received updates ts after index n's message arrived: it looks further
// ahead and trims behind.
func (t *tagTable) received(ts *inTagSet, n int) {
	ts.markUsed(n)
	w := ts.window(n)
	t.extend(ts, n+w)
	t.trim(ts, n-ts.winMax)
}

// newInTagSet makes a receiving tag set from chain and looks ahead its
// first window.
func (t *tagTable) newInTagSet(s *session, kind tagSetKind, id int, chain tagChain, winMin, winMax int) *inTagSet {
	ts := &inTagSet{s: s, kind: kind, id: id, chain: chain, keys: make(map[int][32]byte), winMin: winMin, winMax: winMax}
	t.extend(ts, winMin-1)
	return ts
}
