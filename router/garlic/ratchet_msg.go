package garlic

import (
	"encoding/binary"
	"fmt"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/crypto/noise"
)

// ratchetProtocol is the Noise protocol name of ecies.rst, "KDF for
// Initial ChainKey"; 40 bytes, so h starts as its SHA-256.
const ratchetProtocol = "Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256"

// Message sizes.
const (
	nsHeaderLen  = KeyLen + KeyLen + MACLen // ephemeral key, static section
	nsOverhead   = nsHeaderLen + MACLen     // 96
	nsrHeaderLen = TagLen + KeyLen + MACLen // tag, ephemeral key, MAC
	nsrOverhead  = nsrHeaderLen + MACLen    // 72
	esOverhead   = TagLen + MACLen          // 24
	// minNS is an NS whose payload is only a DateTime block.
	minNS = nsOverhead + BlockHeaderLen + 4
)

// ikInit is the IK state after the empty prologue and the responder's
// static key: InitNoiseIKState in i2pd.
func ikInit(bpk [KeyLen]byte) noise.SymmetricState {
	var s noise.SymmetricState
	s.Init(ratchetProtocol)
	s.MixHash(nil)
	s.MixHash(bpk[:])
	return s
}

// tagValue is the table key of an 8-byte tag.
func tagValue(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// nonceFor is the ChaChaPoly nonce for message number n.
func nonceFor(n int) [chacha20poly1305.NonceSize]byte {
	var nb [chacha20poly1305.NonceSize]byte
	binary.LittleEndian.PutUint64(nb[4:], uint64(n))
	return nb
}

// nsResult is what sealing or opening an NS leaves behind for the NSR.
type nsResult struct {
	state noise.SymmetricState // h and ck after the payload
	eph   crypto.X25519KeyPair // Alice's ephemeral key (sealing)
	aepk  [KeyLen]byte         // Alice's ephemeral public key
	apk   [KeyLen]byte         // Alice's static key, zero if unbound
}

// sealNS builds an NS to bpk carrying payload. With static nil it is
// unbound (the flags section is 32 zeros, no ss).
func sealNS(bpk [KeyLen]byte, static *crypto.X25519KeyPair, payload []byte, r *Ratchet) ([]byte, nsResult, error) {
	var res nsResult
	eph, repr, err := crypto.GenerateX25519Elligator2(r.cfg.Rand)
	if err != nil {
		return nil, res, fmt.Errorf("garlic: NS ephemeral key: %w", err)
	}
	es, err := crypto.X25519(eph.Private, bpk)
	if err != nil {
		return nil, res, fmt.Errorf("garlic: peer key: %w", err)
	}
	s := ikInit(bpk)
	s.MixHash(eph.Public[:])
	s.MixKey(es[:])
	out := make([]byte, 0, nsOverhead+len(payload))
	out = append(out, repr[:]...)
	var fs [KeyLen]byte
	if static != nil {
		fs = static.Public
	}
	if out, err = s.EncryptAndHash(out, fs[:]); err != nil {
		return nil, res, fmt.Errorf("garlic: %w", err)
	}
	if static != nil {
		ss, err := crypto.X25519(static.Private, bpk)
		if err != nil {
			return nil, res, fmt.Errorf("garlic: peer key: %w", err)
		}
		s.MixKey(ss[:])
	} // else: the same key, nonce 1
	if out, err = s.EncryptAndHash(out, payload); err != nil {
		return nil, res, fmt.Errorf("garlic: %w", err)
	}
	res.state, res.eph, res.aepk, res.apk = s, eph, eph.Public, fs
	return out, res, nil
}

// openNS is the trial decryption of an NS with our static key, after the
// Elligator2 decoding of its first 32 bytes into aepk. It returns the
// payload in a fresh buffer.
func openNS(r *Ratchet, aepk [KeyLen]byte, msg []byte) ([]byte, nsResult, error) {
	var res nsResult
	es, err := crypto.X25519(r.static.Private, aepk)
	if err != nil {
		return nil, res, fmt.Errorf("garlic: NS ephemeral key: %w", err)
	}
	s := r.bobInit
	s.MixHash(aepk[:])
	s.MixKey(es[:])
	fs, err := s.DecryptAndHash(make([]byte, 0, KeyLen), msg[KeyLen:nsHeaderLen])
	if err != nil {
		return nil, res, fmt.Errorf("%w: NS static key section", ErrAuth)
	}
	copy(res.apk[:], fs)
	if res.apk != ([KeyLen]byte{}) {
		ss, err := crypto.X25519(r.static.Private, res.apk)
		if err != nil {
			return nil, res, fmt.Errorf("garlic: NS static key: %w", err)
		}
		s.MixKey(ss[:])
	}
	pt, err := s.DecryptAndHash(make([]byte, 0, len(msg)-nsOverhead), msg[nsHeaderLen:])
	if err != nil {
		return nil, res, fmt.Errorf("%w: NS payload", ErrAuth)
	}
	res.state, res.aepk = s, aepk
	return pt, res, nil
}

// nsrTagChain is the tag set of the NSRs to the NS whose final chaining
// key is ck: DH_INITIALIZE(ck, HKDF(ck, "", "SessionReplyTags")).
func nsrTagChain(ck [32]byte) tagChain {
	k, _ := kdf(&ck, nil, infoReplyTags)
	return newTagChain(ck, k)
}

// nsrKeys is the NSR key section's outcome: the chains of both directions
// and the payload key.
type nsrKeys struct {
	ab, ba  tagChain // Alice to Bob, Bob to Alice, tag set 0
	payload [32]byte
	h       [32]byte
}

// nsrSplit finishes an NSR's key section state s: Split, the two tag set
// chains and the payload key.
func nsrSplit(s *noise.SymmetricState) nsrKeys {
	ck := s.ChainingKey()
	kab, kba := noise.HKDF2(ck[:], nil)
	var k nsrKeys
	k.ab = newTagChain(ck, kab)
	k.ba = newTagChain(ck, kba)
	k.payload, _ = kdf(&kba, nil, infoAttachPayload)
	k.h = s.Hash()
	return k
}

// sealNSR builds an NSR with tag to the NS whose state is ns, from a fresh
// ephemeral key.
func sealNSR(ns *nsResult, tag uint64, payload []byte, r *Ratchet) ([]byte, nsrKeys, error) {
	eph, repr, err := crypto.GenerateX25519Elligator2(r.cfg.Rand)
	if err != nil {
		return nil, nsrKeys{}, fmt.Errorf("garlic: NSR ephemeral key: %w", err)
	}
	ee, err := crypto.X25519(eph.Private, ns.aepk)
	if err != nil {
		return nil, nsrKeys{}, fmt.Errorf("garlic: NS ephemeral key: %w", err)
	}
	se, err := crypto.X25519(eph.Private, ns.apk)
	if err != nil {
		return nil, nsrKeys{}, fmt.Errorf("garlic: NS static key: %w", err)
	}
	s := ns.state
	out := make([]byte, TagLen, nsrOverhead+len(payload))
	binary.LittleEndian.PutUint64(out, tag)
	s.MixHash(out[:TagLen])
	s.MixHash(eph.Public[:])
	s.MixKey(ee[:])
	s.MixKey(se[:])
	out = append(out, repr[:]...)
	if out, err = s.EncryptAndHash(out, nil); err != nil {
		return nil, nsrKeys{}, fmt.Errorf("garlic: %w", err)
	}
	k := nsrSplit(&s)
	out = tagAEAD(k.payload).Seal(out, zeroNonce[:], payload, k.h[:])
	return out, k, nil
}

// openNSR opens an NSR to the NS whose state is ns (we are Alice, and
// static is our key). The payload is in a fresh buffer.
func openNSR(ns *nsResult, static *crypto.X25519KeyPair, msg []byte) ([]byte, nsrKeys, error) {
	var repr [KeyLen]byte
	copy(repr[:], msg[TagLen:])
	bepk, ok := crypto.Elligator2Decode(repr)
	if !ok {
		return nil, nsrKeys{}, fmt.Errorf("%w: NSR ephemeral key is no Elligator2 representative", ErrMalformed)
	}
	ee, err := crypto.X25519(ns.eph.Private, bepk)
	if err != nil {
		return nil, nsrKeys{}, fmt.Errorf("garlic: NSR ephemeral key: %w", err)
	}
	se, err := crypto.X25519(static.Private, bepk)
	if err != nil {
		return nil, nsrKeys{}, fmt.Errorf("garlic: NSR ephemeral key: %w", err)
	}
	s := ns.state
	s.MixHash(msg[:TagLen])
	s.MixHash(bepk[:])
	s.MixKey(ee[:])
	s.MixKey(se[:])
	if _, err := s.DecryptAndHash(nil, msg[TagLen+KeyLen:nsrHeaderLen]); err != nil {
		return nil, nsrKeys{}, fmt.Errorf("%w: NSR key section", ErrAuth)
	}
	k := nsrSplit(&s)
	pt, err := tagAEAD(k.payload).Open(make([]byte, 0, len(msg)-nsrOverhead), zeroNonce[:], msg[nsrHeaderLen:], k.h[:])
	if err != nil {
		return nil, nsrKeys{}, fmt.Errorf("%w: NSR payload", ErrAuth)
	}
	return pt, k, nil
}

// sealES builds an ES with message number n, tag and key.
func sealES(n int, tag uint64, key [32]byte, payload []byte) []byte {
	out := make([]byte, TagLen, esOverhead+len(payload))
	binary.LittleEndian.PutUint64(out, tag)
	nb := nonceFor(n)
	return tagAEAD(key).Seal(out, nb[:], payload, out[:TagLen])
}

// openES opens an ES whose tag has message number n and key.
func openES(n int, key [32]byte, msg []byte) ([]byte, error) {
	nb := nonceFor(n)
	pt, err := tagAEAD(key).Open(make([]byte, 0, len(msg)-esOverhead), nb[:], msg[TagLen:], msg[:TagLen])
	if err != nil {
		return nil, fmt.Errorf("%w: ES payload", ErrAuth)
	}
	return pt, nil
}

// checkNSPayload parses an NS payload and checks its DateTime block.
func checkNSPayload(r *Ratchet, pt []byte, now time.Time) ([]Block, error) {
	blocks, err := ParseBlocks(pt)
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 || blocks[0].Type != BlockDateTime {
		return nil, ErrNoDateTime
	}
	t, err := blocks[0].DateTime()
	if err != nil {
		return nil, err
	}
	if t.Before(now.Add(-r.cfg.MaxSkewPast)) || t.After(now.Add(r.cfg.MaxSkewFuture)) {
		return nil, fmt.Errorf("%w: NS DateTime %s, now %s", ErrStale, t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return blocks, nil
}
