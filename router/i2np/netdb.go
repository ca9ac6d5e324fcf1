package i2np

import (
	"fmt"
	"math"

	"github.com/i2pgo/i2pgo/router/data"
)

// DatabaseStoreMessage is the payload of a DatabaseStore message (type 1):
// a netDb entry, sent unsolicited (publishing, flooding) or as the answer to
// a DatabaseLookup.
type DatabaseStoreMessage struct {
	// Key is the netDb key: the entry's "real" hash, not the routing key.
	// For an EncryptedLeaseSet it is the hash of the blinded key.
	Key data.Hash
	// StoreType is data.StoreRouterInfo, StoreLeaseSet, StoreLeaseSet2,
	// StoreEncryptedLeaseSet or StoreMetaLeaseSet. On the wire it is the
	// low four bits of the type byte; Parse ignores the upper four, as the
	// spec says (since 0.9.18) and Java I2P does.
	StoreType uint8
	// ReplyToken, if nonzero, asks for a DeliveryStatus with this message
	// ID, and asks a floodfill to flood the entry.
	ReplyToken uint32
	// ReplyTunnel and ReplyGateway are present on the wire only with a
	// ReplyToken. With ReplyTunnel 0 the DeliveryStatus goes straight to
	// the router ReplyGateway; else to that tunnel at that gateway.
	ReplyTunnel  data.TunnelID
	ReplyGateway data.Hash
	// Data is the entry's encoding: for a RouterInfo the decompressed
	// RouterInfo (AppendBinary compresses it, Parse decompresses it into a
	// new slice); for the leaseset types the bytes as sent, which Parse
	// aliases from the payload.
	Data []byte
}

// NewStore returns an unsolicited DatabaseStore of e, keyed by e.Hash(),
// with no reply token.
func NewStore(e data.Entry) DatabaseStoreMessage {
	return DatabaseStoreMessage{Key: e.Hash(), StoreType: e.StoreType(), Data: e.Bytes()}
}

// NewRouterInfoStore parses ri, a signed RouterInfo, and returns an
// unsolicited DatabaseStore of it keyed by its identity hash. The
// signature is not checked. AppendBinary gzips the RouterInfo.
func NewRouterInfoStore(ri []byte) (DatabaseStoreMessage, error) {
	if len(ri) > MaxRouterInfoLen {
		return DatabaseStoreMessage{}, fmt.Errorf("%w: RouterInfo of %d bytes exceeds %d", ErrSize, len(ri), MaxRouterInfoLen)
	}
	r, err := data.ParseRouterInfo(ri)
	if err != nil {
		return DatabaseStoreMessage{}, fmt.Errorf("i2np: DatabaseStore: %w", err)
	}
	return NewStore(r), nil
}

// Type returns DatabaseStore.
func (DatabaseStoreMessage) Type() MessageType { return DatabaseStore }

// Entry parses Data as the netDb entry of StoreType. It does not verify
// the signature, nor that Key is the entry's hash; that is the netDb's job.
func (m DatabaseStoreMessage) Entry() (data.Entry, error) {
	return data.ParseEntry(m.StoreType, m.Data)
}

func validStoreType(t uint8) bool {
	switch t {
	case data.StoreRouterInfo, data.StoreLeaseSet, data.StoreLeaseSet2,
		data.StoreEncryptedLeaseSet, data.StoreMetaLeaseSet:
		return true
	}
	return false
}

// ParseDatabaseStoreMessage parses a DatabaseStore payload. A RouterInfo is
// decompressed, at most MaxRouterInfoLen bytes; the entry itself is not
// parsed (see Entry).
func ParseDatabaseStoreMessage(payload []byte) (DatabaseStoreMessage, error) {
	r := reader{b: payload, what: "DatabaseStore"}
	var m DatabaseStoreMessage
	m.Key = r.hash()
	m.StoreType = r.u8() & 0x0f
	m.ReplyToken = r.u32()
	if r.err == nil && !validStoreType(m.StoreType) {
		r.malformed("store type %d", m.StoreType)
	}
	if m.ReplyToken != 0 {
		m.ReplyTunnel = data.TunnelID(r.u32())
		m.ReplyGateway = r.hash()
	}
	if r.err != nil {
		return DatabaseStoreMessage{}, r.err
	}
	if m.StoreType != data.StoreRouterInfo {
		if len(r.b) == 0 {
			return DatabaseStoreMessage{}, fmt.Errorf("%w: DatabaseStore: empty leaseset", ErrShort)
		}
		m.Data = r.b[:len(r.b):len(r.b)]
		return m, nil
	}
	size := int(r.u16())
	z := r.bytes(size)
	if err := r.end(); err != nil {
		return DatabaseStoreMessage{}, err
	}
	ri, err := gunzip(z, MaxRouterInfoLen)
	if err != nil {
		return DatabaseStoreMessage{}, fmt.Errorf("i2np: DatabaseStore: RouterInfo: %w", err)
	}
	m.Data = ri
	return m, nil
}

// AppendBinary appends the payload. A RouterInfo is gzipped with the
// header Java I2P writes (see appendGzip). It fails on an unknown store
// type, empty Data, a RouterInfo longer than MaxRouterInfoLen or one whose
// compressed form exceeds the 2-byte length, or reply fields set without a
// reply token.
func (m DatabaseStoreMessage) AppendBinary(b []byte) ([]byte, error) {
	if !validStoreType(m.StoreType) {
		return b, fmt.Errorf("%w: DatabaseStore: store type %d", ErrMalformed, m.StoreType)
	}
	if len(m.Data) == 0 {
		return b, fmt.Errorf("%w: DatabaseStore: no entry", ErrMalformed)
	}
	if m.ReplyToken == 0 && (m.ReplyTunnel != 0 || !m.ReplyGateway.IsZero()) {
		return b, fmt.Errorf("%w: DatabaseStore: reply tunnel or gateway without a reply token", ErrMalformed)
	}
	n := len(b)
	b = append(b, m.Key[:]...)
	b = append(b, m.StoreType)
	b = appendU32(b, m.ReplyToken)
	if m.ReplyToken != 0 {
		b = appendU32(b, uint32(m.ReplyTunnel))
		b = append(b, m.ReplyGateway[:]...)
	}
	if m.StoreType != data.StoreRouterInfo {
		return append(b, m.Data...), nil
	}
	if len(m.Data) > MaxRouterInfoLen {
		return b[:n], fmt.Errorf("%w: DatabaseStore: RouterInfo of %d bytes exceeds %d", ErrSize, len(m.Data), MaxRouterInfoLen)
	}
	at := len(b)
	b = appendGzip(append(b, 0, 0), m.Data)
	size := len(b) - at - 2
	if size > math.MaxUint16 {
		return b[:n], fmt.Errorf("%w: DatabaseStore: compressed RouterInfo of %d bytes", ErrSize, size)
	}
	b[at], b[at+1] = byte(size>>8), byte(size)
	return b, nil
}

// LookupType is what a DatabaseLookup asks for (flag bits 3-2).
type LookupType uint8

// Lookup types, i2np.rst "DatabaseLookup".
const (
	// LookupAny returns a RouterInfo, a LeaseSet or a search reply.
	// Deprecated since 0.9.16 in favour of the typed lookups.
	LookupAny LookupType = 0
	// LookupLeaseSet returns any of the LeaseSet types or a search reply.
	LookupLeaseSet LookupType = 1
	// LookupRouterInfo returns a RouterInfo or a search reply.
	LookupRouterInfo LookupType = 2
	// LookupExploration returns a search reply listing non-floodfill
	// routers close to the key.
	LookupExploration LookupType = 3
)

func (t LookupType) String() string {
	switch t {
	case LookupAny:
		return "any"
	case LookupLeaseSet:
		return "LeaseSet"
	case LookupRouterInfo:
		return "RouterInfo"
	case LookupExploration:
		return "exploration"
	}
	return fmt.Sprintf("LookupType(%d)", uint8(t))
}

// ReplyEncryption is how a DatabaseLookup asks for its reply to be
// encrypted (flag bits 4 and 1).
type ReplyEncryption uint8

// Reply encryption modes, i2np.rst "Reply Encryption".
const (
	// ReplyPlain: no reply key or tags follow.
	ReplyPlain ReplyEncryption = iota
	// ReplyElGamalAES (bits 4,1 = 0,1): the reply is an ElGamal/AES
	// existing-session message under ReplyKey and one of SessionTags.
	// Deprecated since 0.9.58 along with ElGamal routers.
	ReplyElGamalAES
	// ReplyECIES (bits 4,1 = 1,0): the reply is a ChaCha20/Poly1305
	// existing-session message under ReplyKey with the 8-byte tag
	// RatchetTags[0] (ECIES-X25519-AEAD-Ratchet).
	ReplyECIES
)

// Lookup flag bits.
const (
	lookupDelivery   = 0x01
	lookupEncryption = 0x02
	lookupTypeShift  = 2
	lookupTypeMask   = 0x0c
	lookupECIES      = 0x10
)

// Limits of DatabaseLookup.
const (
	// MaxExcludedPeers is the largest exclude list (the spec's valid range
	// of size, and Java I2P's MAX_NUM_PEERS).
	MaxExcludedPeers = 512
	// MaxReplyTags is the most reply tags a lookup may carry.
	MaxReplyTags = 32
)

// SessionTag is a 32-byte ElGamal/AES session tag.
type SessionTag [32]byte

// RatchetTag is an 8-byte ECIES-X25519-AEAD-Ratchet session tag.
type RatchetTag [8]byte

// DatabaseLookupMessage is the payload of a DatabaseLookup message
// (type 2).
type DatabaseLookupMessage struct {
	// Key is the hash looked up (the real hash, not the routing key).
	Key data.Hash
	// From is where the reply goes: the asking router if ReplyTunnel is 0,
	// else the gateway of the reply tunnel.
	From data.Hash
	// ReplyTunnel, if nonzero, is the tunnel at From the reply is sent
	// down (deliveryFlag set). The spec requires it to be nonzero when
	// the flag is set, so Parse refuses the flag with tunnel 0.
	ReplyTunnel data.TunnelID
	Lookup      LookupType
	// Exclude lists routers the search reply must not name, at most
	// MaxExcludedPeers.
	Exclude []data.Hash
	// Encryption selects the reply encryption. For ReplyElGamalAES
	// SessionTags holds 1..MaxReplyTags tags, for ReplyECIES RatchetTags
	// does (the spec requires exactly one; Parse takes up to
	// MaxReplyTags). The other slice is empty.
	Encryption  ReplyEncryption
	ReplyKey    [32]byte
	SessionTags []SessionTag
	RatchetTags []RatchetTag
}

// Type returns DatabaseLookup.
func (DatabaseLookupMessage) Type() MessageType { return DatabaseLookup }

// ParseDatabaseLookupMessage parses a DatabaseLookup payload. Flag bits 7-5
// are ignored. It refuses both encryption bits set at once: the spec leaves
// that mode ("DH yes") undefined, so its fields cannot be delimited.
func ParseDatabaseLookupMessage(payload []byte) (DatabaseLookupMessage, error) {
	r := reader{b: payload, what: "DatabaseLookup"}
	var m DatabaseLookupMessage
	m.Key = r.hash()
	m.From = r.hash()
	flags := r.u8()
	m.Lookup = LookupType((flags & lookupTypeMask) >> lookupTypeShift)
	if flags&lookupDelivery != 0 {
		m.ReplyTunnel = data.TunnelID(r.u32())
		if r.err == nil && m.ReplyTunnel == 0 {
			r.malformed("delivery flag set with reply tunnel 0")
		}
	}
	n := int(r.u16())
	if r.err == nil && n > MaxExcludedPeers {
		r.malformed("%d excluded peers, max %d", n, MaxExcludedPeers)
	}
	m.Exclude = r.hashes(n)
	switch flags & (lookupEncryption | lookupECIES) {
	case lookupEncryption:
		m.Encryption = ReplyElGamalAES
	case lookupECIES:
		m.Encryption = ReplyECIES
	case lookupEncryption | lookupECIES:
		r.malformed("reply encryption flags 4,1 = 1,1 are undefined")
	}
	if m.Encryption != ReplyPlain {
		copy(m.ReplyKey[:], r.bytes(32))
		tags := int(r.u8())
		if r.err == nil && (tags < 1 || tags > MaxReplyTags) {
			r.malformed("%d reply tags, want 1..%d", tags, MaxReplyTags)
		}
		if m.Encryption == ReplyElGamalAES {
			if p := r.bytes(32 * tags); p != nil {
				m.SessionTags = make([]SessionTag, tags)
				for i := range m.SessionTags {
					copy(m.SessionTags[i][:], p[32*i:])
				}
			}
		} else if p := r.bytes(8 * tags); p != nil {
			m.RatchetTags = make([]RatchetTag, tags)
			for i := range m.RatchetTags {
				copy(m.RatchetTags[i][:], p[8*i:])
			}
		}
	}
	if err := r.end(); err != nil {
		return DatabaseLookupMessage{}, err
	}
	return m, nil
}

// AppendBinary appends the payload. It fails on an unknown lookup type or
// encryption mode, more than MaxExcludedPeers excluded peers, or tags that
// do not match Encryption.
func (m DatabaseLookupMessage) AppendBinary(b []byte) ([]byte, error) {
	if m.Lookup > LookupExploration {
		return b, fmt.Errorf("%w: DatabaseLookup: lookup type %d", ErrMalformed, m.Lookup)
	}
	if len(m.Exclude) > MaxExcludedPeers {
		return b, fmt.Errorf("%w: DatabaseLookup: %d excluded peers, max %d", ErrMalformed, len(m.Exclude), MaxExcludedPeers)
	}
	flags := byte(m.Lookup) << lookupTypeShift
	if m.ReplyTunnel != 0 {
		flags |= lookupDelivery
	}
	var tags int
	switch m.Encryption {
	case ReplyPlain:
		if len(m.SessionTags) != 0 || len(m.RatchetTags) != 0 {
			return b, fmt.Errorf("%w: DatabaseLookup: reply tags without reply encryption", ErrMalformed)
		}
	case ReplyElGamalAES:
		flags |= lookupEncryption
		tags = len(m.SessionTags)
		if len(m.RatchetTags) != 0 {
			return b, fmt.Errorf("%w: DatabaseLookup: ratchet tags with ElGamal/AES reply encryption", ErrMalformed)
		}
	case ReplyECIES:
		flags |= lookupECIES
		tags = len(m.RatchetTags)
		if len(m.SessionTags) != 0 {
			return b, fmt.Errorf("%w: DatabaseLookup: ElGamal/AES tags with ECIES reply encryption", ErrMalformed)
		}
	default:
		return b, fmt.Errorf("%w: DatabaseLookup: reply encryption %d", ErrMalformed, m.Encryption)
	}
	if m.Encryption != ReplyPlain && (tags < 1 || tags > MaxReplyTags) {
		return b, fmt.Errorf("%w: DatabaseLookup: %d reply tags, want 1..%d", ErrMalformed, tags, MaxReplyTags)
	}
	b = append(b, m.Key[:]...)
	b = append(b, m.From[:]...)
	b = append(b, flags)
	if m.ReplyTunnel != 0 {
		b = appendU32(b, uint32(m.ReplyTunnel))
	}
	b = append(b, byte(len(m.Exclude)>>8), byte(len(m.Exclude)))
	b = appendHashes(b, m.Exclude)
	if m.Encryption == ReplyPlain {
		return b, nil
	}
	b = append(b, m.ReplyKey[:]...)
	b = append(b, byte(tags))
	for _, t := range m.SessionTags {
		b = append(b, t[:]...)
	}
	for _, t := range m.RatchetTags {
		b = append(b, t[:]...)
	}
	return b, nil
}

// MaxSearchReplyPeers is the most peer hashes a DatabaseSearchReply can
// carry (a 1-byte count). The spec recommends at most 16 and typically 3.
const MaxSearchReplyPeers = math.MaxUint8

// DatabaseSearchReplyMessage is the payload of a DatabaseSearchReply
// message (type 3), the answer to a failed lookup.
type DatabaseSearchReplyMessage struct {
	// Key is the hash that was searched for.
	Key data.Hash
	// Peers are routers the replier thinks are close to Key, at most
	// MaxSearchReplyPeers.
	Peers []data.Hash
	// From is the replying router. It is unauthenticated.
	From data.Hash
}

// Type returns DatabaseSearchReply.
func (DatabaseSearchReplyMessage) Type() MessageType { return DatabaseSearchReply }

// ParseDatabaseSearchReplyMessage parses a DatabaseSearchReply payload.
func ParseDatabaseSearchReplyMessage(payload []byte) (DatabaseSearchReplyMessage, error) {
	r := reader{b: payload, what: "DatabaseSearchReply"}
	var m DatabaseSearchReplyMessage
	m.Key = r.hash()
	m.Peers = r.hashes(int(r.u8()))
	m.From = r.hash()
	if err := r.end(); err != nil {
		return DatabaseSearchReplyMessage{}, err
	}
	return m, nil
}

// AppendBinary appends the payload. It fails with more than
// MaxSearchReplyPeers peers.
func (m DatabaseSearchReplyMessage) AppendBinary(b []byte) ([]byte, error) {
	if len(m.Peers) > MaxSearchReplyPeers {
		return b, fmt.Errorf("%w: DatabaseSearchReply: %d peers, max %d", ErrMalformed, len(m.Peers), MaxSearchReplyPeers)
	}
	b = append(b, m.Key[:]...)
	b = append(b, byte(len(m.Peers)))
	b = appendHashes(b, m.Peers)
	return append(b, m.From[:]...), nil
}
