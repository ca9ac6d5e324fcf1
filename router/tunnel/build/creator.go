package build

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// This file is the creator's side: NewRequest / NewShortRequest build the
// records of a tunnel, ProcessReply reads what the hops answered.

// DefaultExpiration is the request expiration when Config.Expiration is
// zero, and the only value the spec supports now.
const DefaultExpiration = 10 * time.Minute

// standardRecords is the record count i2pd sends for up to 4 hops
// (STANDARD_NUM_RECORDS); longer tunnels get i2np.MaxBuildRecords.
const standardRecords = 4

// Hop is one hop of a tunnel to build. For an outbound tunnel the hops
// run from the first after us (no flag) to the outbound endpoint
// (HopEndpoint, next = the reply tunnel's gateway); for an inbound tunnel
// from the inbound gateway (HopGateway) to the last hop before us (next =
// us and our receive tunnel).
type Hop struct {
	// Ident is the hop's router identity hash; its first 16 bytes are
	// the record's toPeer.
	Ident data.Hash
	// EncryptionKey is the hop's X25519 public encryption key, from its
	// RouterIdentity.
	EncryptionKey [32]byte
	// ReceiveTunnel is the tunnel ID the hop receives on, nonzero.
	ReceiveTunnel data.TunnelID
	// NextTunnel and NextIdent are where it sends on: the next hop's
	// ReceiveTunnel and Ident, or for the last hop the reply gateway
	// (outbound) or us (inbound). NextTunnel is nonzero.
	NextTunnel data.TunnelID
	NextIdent  data.Hash
	// Flags is HopGateway on the first hop of an inbound tunnel,
	// HopEndpoint on the last hop of an outbound tunnel, else 0.
	Flags i2np.HopFlags
	// NextMessageID is the message ID of the build message the hop sends
	// on; on the last hop, the ID the reply comes back with. 0 means a
	// random nonzero ID (see ReplyMessageID).
	NextMessageID i2np.MessageID
	// Options are the request options (bandwidth: m, r, l); at most 296
	// bytes (long) or 98 bytes (short) with the length field.
	Options data.Mapping
}

// Config describes a tunnel build. The zero value of each optional field
// means its default.
type Config struct {
	// Hops are the hops in tunnel order, 1 to 8. Hop i's NextIdent and
	// NextTunnel must be hop i+1's Ident and ReceiveTunnel.
	Hops []Hop
	// Records is the record count, hops included; 0 means 4 if the hops
	// (and originator record) fit in 4, else 8.
	Records int
	// RequestTime is the request time sent to every hop (rounded down to
	// the minute on the wire); zero means time.Now().
	RequestTime time.Time
	// Expiration is the request expiration; zero means
	// DefaultExpiration.
	Expiration time.Duration
	// Originator, if not zero, is our router hash, and asks for the
	// "fake" record addressed to us that an inbound build must carry
	// (tunnel-creation-ecies.rst, "Build Records"). ProcessReply then
	// checks that it came back unchanged.
	Originator data.Hash
}

// HopKeys are the creator's record of one hop once the request is built.
type HopKeys struct {
	// Record is the hop's slot in the build message.
	Record int
	// LayerKey and IVKey are the hop's AES-256 tunnel layer keys: random
	// for long records, derived by the KDF for short ones.
	LayerKey, IVKey [32]byte
}

// layout is the placement part of a request, shared by both formats.
type layout struct {
	// slots are the record slots in hop order, then the originator's
	// record slot if there is one.
	slots       []int
	originSlot  int    // -1: no originator record
	origin      []byte // the originator record as sent, before pre-decryption
	msgIDs      []i2np.MessageID
	requestTime time.Time
	expiration  time.Duration
	nrec        int
}

// plan validates cfg and places the records.
func (cfg Config) plan() (layout, error) {
	n := len(cfg.Hops)
	if n < 1 || n > i2np.MaxBuildRecords {
		return layout{}, fmt.Errorf("%w: %d hops, want 1..%d", ErrConfig, n, i2np.MaxBuildRecords)
	}
	need := n
	if cfg.Originator != (data.Hash{}) {
		need++
	}
	nrec := cfg.Records
	switch {
	case nrec == 0 && need <= standardRecords:
		nrec = standardRecords
	case nrec == 0:
		nrec = i2np.MaxBuildRecords
	}
	if nrec < need || nrec > i2np.MaxBuildRecords {
		return layout{}, fmt.Errorf("%w: %d records for %d, want %d..%d", ErrConfig, nrec, need, need, i2np.MaxBuildRecords)
	}
	if cfg.Expiration < 0 {
		return layout{}, fmt.Errorf("%w: negative expiration %s", ErrConfig, cfg.Expiration)
	}
	for i, h := range cfg.Hops {
		if err := checkHop(cfg.Hops, i); err != nil {
			return layout{}, fmt.Errorf("%w: hop %d (%s): %s", ErrConfig, i, h.Ident, err)
		}
	}
	l := layout{
		slots:       randPerm(nrec)[:need],
		originSlot:  -1,
		msgIDs:      make([]i2np.MessageID, n),
		requestTime: cfg.RequestTime,
		expiration:  cfg.Expiration,
		nrec:        nrec,
	}
	if need > n {
		l.originSlot = l.slots[n]
	}
	if l.requestTime.IsZero() {
		l.requestTime = time.Now()
	}
	if l.expiration == 0 {
		l.expiration = DefaultExpiration
	}
	for i, h := range cfg.Hops {
		l.msgIDs[i] = h.NextMessageID
		for l.msgIDs[i] == 0 {
			l.msgIDs[i] = i2np.MessageID(randUint64())
		}
	}
	return l, nil
}

// checkHop checks hop i's IDs, flags and link to hop i+1.
func checkHop(hops []Hop, i int) error {
	h := hops[i]
	last := i == len(hops)-1
	switch {
	case h.ReceiveTunnel == 0 || h.NextTunnel == 0:
		return fmt.Errorf("tunnel ID 0")
	case h.Flags&^(i2np.HopGateway|i2np.HopEndpoint) != 0:
		return fmt.Errorf("undefined flags %#02x", uint8(h.Flags))
	case h.Flags&i2np.HopGateway != 0 && h.Flags&i2np.HopEndpoint != 0:
		return fmt.Errorf("both gateway and endpoint flags")
	case h.Flags&i2np.HopGateway != 0 && i != 0:
		return fmt.Errorf("gateway flag on a hop that is not first")
	case h.Flags&i2np.HopEndpoint != 0 && !last:
		return fmt.Errorf("endpoint flag on a hop that is not last")
	case !last && (h.NextIdent != hops[i+1].Ident || h.NextTunnel != hops[i+1].ReceiveTunnel):
		return fmt.Errorf("next hop %s/%d is not hop %d %s/%d",
			h.NextIdent, h.NextTunnel, i+1, hops[i+1].Ident, hops[i+1].ReceiveTunnel)
	}
	return nil
}

// originRecord fills rec (random already) as the originator's record: our
// toPeer and a real ephemeral public key.
func originRecord(rec []byte, us data.Hash) error {
	eph, err := crypto.GenerateX25519(nil)
	if err != nil {
		return fmt.Errorf("build: ephemeral key: %w", err)
	}
	copy(rec, us[:toPeerLen])
	copy(rec[ephemeralOff:], eph.Public[:])
	return nil
}

// hopKeys returns the HopKeys of the hops with their slots set.
func (l *layout) hopKeys() []HopKeys {
	k := make([]HopKeys, len(l.msgIDs))
	for i := range k {
		k[i].Record = l.slots[i]
	}
	return k
}

// checkOrigin verifies the originator's record came back as sent.
func (l *layout) checkOrigin(rec []byte) error {
	if l.originSlot >= 0 && !slices.Equal(rec, l.origin) {
		return fmt.Errorf("%w: record %d", ErrTampered, l.originSlot)
	}
	return nil
}

// longSecret is what the creator keeps per hop of a long build.
type longSecret struct {
	rs       recordState
	replyKey [32]byte
	replyIV  [16]byte
}

// Request is a long (VariableTunnelBuild) build in flight: the records to
// send and the secrets to read the reply. A Request is not modified after
// NewRequest and is safe for concurrent use.
type Request struct {
	layout
	// Hops are the slots and layer keys of the hops, in tunnel order.
	Hops    []HopKeys
	records []i2np.BuildRecord
	secrets []longSecret
}

// NewRequest builds the long ECIES records of cfg: random layer, IV and
// reply keys per hop, each record encrypted to its hop, placed in a random
// slot, and pre-decrypted with the reply keys of the hops before it.
// Unused slots are random. It fails with ErrConfig if cfg describes no
// valid tunnel, and with an i2np error if a hop's options do not fit.
func NewRequest(cfg Config) (*Request, error) {
	l, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	r := &Request{
		layout:  l,
		Hops:    l.hopKeys(),
		records: make([]i2np.BuildRecord, l.nrec),
		secrets: make([]longSecret, len(cfg.Hops)),
	}
	for i := range r.records {
		crand.Read(r.records[i][:]) // never fails (crypto/rand, Go 1.24+)
	}
	var buf [i2np.BuildRequestLen]byte
	for i, h := range cfg.Hops {
		k := &r.Hops[i]
		s := &r.secrets[i]
		crand.Read(k.LayerKey[:])
		crand.Read(k.IVKey[:])
		crand.Read(s.replyKey[:])
		crand.Read(s.replyIV[:])
		q := i2np.BuildRequest{
			ReceiveTunnel: h.ReceiveTunnel,
			NextTunnel:    h.NextTunnel,
			NextIdent:     h.NextIdent,
			LayerKey:      k.LayerKey,
			IVKey:         k.IVKey,
			ReplyKey:      s.replyKey,
			ReplyIV:       s.replyIV,
			Flags:         h.Flags,
			RequestTime:   l.requestTime,
			Expiration:    l.expiration,
			NextMessageID: l.msgIDs[i],
			Options:       h.Options,
		}
		pt, err := q.AppendBinary(buf[:0])
		if err != nil {
			return nil, fmt.Errorf("build: hop %d: %w", i, err)
		}
		s.rs, err = sealRecord(r.records[k.Record][:], [toPeerLen]byte(h.Ident[:]), h.EncryptionKey, pt)
		if err != nil {
			return nil, fmt.Errorf("build: hop %d (%s): %w", i, h.Ident, err)
		}
	}
	if l.originSlot >= 0 {
		if err := originRecord(r.records[l.originSlot][:], cfg.Originator); err != nil {
			return nil, err
		}
		r.origin = slices.Clone(r.records[l.originSlot][:])
	}
	for i := len(r.Hops) - 1; i >= 0; i-- {
		s := &r.secrets[i]
		for _, slot := range l.slots[i+1:] {
			aesRecord(s.replyKey, s.replyIV, r.records[slot][:], false)
		}
	}
	return r, nil
}

// ReplyMessageID is the message ID the reply comes back with: the last
// hop's NextMessageID, chosen at random if it was 0.
func (r *Request) ReplyMessageID() i2np.MessageID { return r.msgIDs[len(r.msgIDs)-1] }

// Message returns the VariableTunnelBuild message to send to the first
// hop (outbound) or, through an outbound tunnel, to the inbound gateway.
// Its records are a copy.
func (r *Request) Message() i2np.VariableTunnelBuildMessage {
	return i2np.VariableTunnelBuildMessage{Records: slices.Clone(r.records)}
}

// ProcessReply reads the records that came back: a
// VariableTunnelBuildReply for an outbound build, the VariableTunnelBuild
// itself for an inbound one. It returns every hop's response in tunnel
// order; the build succeeded only if every Reply is i2np.ReplyAccept. A
// response whose options do not parse keeps its reply byte and no
// options. records is not modified. It fails with ErrMalformed if the
// record count differs from the request's, ErrAuth if a hop's reply
// record does not authenticate, and ErrTampered if the originator record
// was altered.
func (r *Request) ProcessReply(records []i2np.BuildRecord) ([]i2np.BuildResponse, error) {
	if len(records) != len(r.records) {
		return nil, fmt.Errorf("%w: reply of %d records to a request of %d", ErrMalformed, len(records), len(r.records))
	}
	recs := slices.Clone(records)
	if r.originSlot >= 0 {
		if err := r.checkOrigin(recs[r.originSlot][:]); err != nil {
			return nil, err
		}
	}
	out := make([]i2np.BuildResponse, len(r.Hops))
	var zero [12]byte
	var buf [i2np.BuildResponseLen]byte
	for i := len(r.Hops) - 1; i >= 0; i-- {
		s := &r.secrets[i]
		slot := r.Hops[i].Record
		pt, err := replyAEAD(s.rs.ck).Open(buf[:0], zero[:], recs[slot][:], s.rs.h[:])
		if err != nil {
			return nil, fmt.Errorf("%w: reply of hop %d (record %d)", ErrAuth, i, slot)
		}
		out[i], err = i2np.ParseBuildResponse(pt)
		if err != nil {
			out[i] = i2np.BuildResponse{Reply: i2np.BuildReply(pt[len(pt)-1])}
		}
		for _, h := range r.Hops[:i] {
			aesRecord(s.replyKey, s.replyIV, recs[h.Record][:], false)
		}
	}
	return out, nil
}

// shortSecret is what the creator keeps per hop of a short build.
type shortSecret struct {
	rs       recordState
	replyKey [32]byte
}

// ShortRequest is a short (ShortTunnelBuild) build in flight. It is not
// modified after NewShortRequest and is safe for concurrent use.
type ShortRequest struct {
	layout
	// Hops are the slots and derived layer keys of the hops, in tunnel
	// order.
	Hops []HopKeys
	// GarlicKey and GarlicTag, set when the last hop is an outbound
	// endpoint, are the key and tag with which it garlic-wraps the
	// OutboundTunnelBuildReply to us; the caller registers them with its
	// garlic receiver before sending.
	GarlicKey [32]byte
	GarlicTag [8]byte

	records []i2np.ShortBuildRecord
	secrets []shortSecret
}

// NewShortRequest builds the short records of cfg: each record encrypted
// to its hop, the hop's keys derived from the Noise chaining key, placed
// in a random slot and pre-decrypted with ChaCha20 under the reply keys of
// the hops before it. Unused slots are random. It fails as NewRequest
// does.
func NewShortRequest(cfg Config) (*ShortRequest, error) {
	l, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	r := &ShortRequest{
		layout:  l,
		Hops:    l.hopKeys(),
		records: make([]i2np.ShortBuildRecord, l.nrec),
		secrets: make([]shortSecret, len(cfg.Hops)),
	}
	for i := range r.records {
		crand.Read(r.records[i][:])
	}
	var buf [i2np.ShortBuildRequestLen]byte
	for i, h := range cfg.Hops {
		q := i2np.ShortBuildRequest{
			ReceiveTunnel:   h.ReceiveTunnel,
			NextTunnel:      h.NextTunnel,
			NextIdent:       h.NextIdent,
			Flags:           h.Flags,
			LayerEncryption: i2np.LayerAES,
			RequestTime:     l.requestTime,
			Expiration:      l.expiration,
			NextMessageID:   l.msgIDs[i],
			Options:         h.Options,
		}
		pt, err := q.AppendBinary(buf[:0])
		if err != nil {
			return nil, fmt.Errorf("build: hop %d: %w", i, err)
		}
		k := &r.Hops[i]
		rs, err := sealRecord(r.records[k.Record][:], [toPeerLen]byte(h.Ident[:]), h.EncryptionKey, pt)
		if err != nil {
			return nil, fmt.Errorf("build: hop %d (%s): %w", i, h.Ident, err)
		}
		obep := h.Flags&i2np.HopEndpoint != 0
		keys := deriveShortKeys(rs.ck, obep)
		k.LayerKey, k.IVKey = keys.layer, keys.iv
		r.secrets[i] = shortSecret{rs: rs, replyKey: keys.reply}
		if obep {
			r.GarlicKey, r.GarlicTag = keys.garlicKey, keys.garlicTag
		}
	}
	if l.originSlot >= 0 {
		if err := originRecord(r.records[l.originSlot][:], cfg.Originator); err != nil {
			return nil, err
		}
		r.origin = slices.Clone(r.records[l.originSlot][:])
	}
	for i := len(r.Hops) - 1; i >= 0; i-- {
		key := r.secrets[i].replyKey
		for _, slot := range l.slots[i+1:] {
			chachaRecord(key, slot, r.records[slot][:])
		}
	}
	return r, nil
}

// ReplyMessageID is the message ID the reply comes back with: the last
// hop's NextMessageID, chosen at random if it was 0.
func (r *ShortRequest) ReplyMessageID() i2np.MessageID { return r.msgIDs[len(r.msgIDs)-1] }

// Message returns the ShortTunnelBuild message to send. Its records are a
// copy.
func (r *ShortRequest) Message() i2np.ShortTunnelBuildMessage {
	return i2np.ShortTunnelBuildMessage{Records: slices.Clone(r.records)}
}

// ProcessReply reads the records that came back: an
// OutboundTunnelBuildReply (once unwrapped from its garlic) for an
// outbound build, the ShortTunnelBuild itself for an inbound one. It
// returns and fails as Request.ProcessReply does.
func (r *ShortRequest) ProcessReply(records []i2np.ShortBuildRecord) ([]i2np.ShortBuildResponse, error) {
	if len(records) != len(r.records) {
		return nil, fmt.Errorf("%w: reply of %d records to a request of %d", ErrMalformed, len(records), len(r.records))
	}
	recs := slices.Clone(records)
	if r.originSlot >= 0 {
		if err := r.checkOrigin(recs[r.originSlot][:]); err != nil {
			return nil, err
		}
	}
	out := make([]i2np.ShortBuildResponse, len(r.Hops))
	var buf [i2np.ShortBuildResponseLen]byte
	for i := len(r.Hops) - 1; i >= 0; i-- {
		s := &r.secrets[i]
		slot := r.Hops[i].Record
		n := recordNonce(slot)
		pt, err := replyAEAD(s.replyKey).Open(buf[:0], n[:], recs[slot][:], s.rs.h[:])
		if err != nil {
			return nil, fmt.Errorf("%w: reply of hop %d (record %d)", ErrAuth, i, slot)
		}
		out[i], err = i2np.ParseShortBuildResponse(pt)
		if err != nil {
			out[i] = i2np.ShortBuildResponse{Reply: i2np.BuildReply(pt[len(pt)-1])}
		}
		for _, h := range r.Hops[:i] {
			chachaRecord(s.replyKey, h.Record, recs[h.Record][:])
		}
	}
	return out, nil
}

// randPerm returns a random permutation of 0..n-1 from crypto/rand: the
// slot order must not be guessable by the hops.
func randPerm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(randUint64() % uint64(i+1)) // bias below 2^-60 for n <= 9
		p[i], p[j] = p[j], p[i]
	}
	return p
}

func randUint64() uint64 {
	var b [8]byte
	crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
