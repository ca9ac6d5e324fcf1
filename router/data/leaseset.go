package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// NetDb store types: the type byte of a DatabaseStore message, which the
// LeaseSet2 family also signs as a prefix.
const (
	StoreRouterInfo        = 0
	StoreLeaseSet          = 1
	StoreLeaseSet2         = 3
	StoreEncryptedLeaseSet = 5
	StoreMetaLeaseSet      = 7
)

// Entry is a signed netDb entry: *RouterInfo, *LeaseSet, *LeaseSet2,
// *EncryptedLeaseSet or *MetaLeaseSet.
type Entry interface {
	// StoreType is the DatabaseStore type byte.
	StoreType() uint8
	// Hash is the netDb key (before the daily routing-key rotation).
	Hash() Hash
	// Verify checks the signatures over the stored bytes.
	Verify() error
	// Bytes is the stored encoding.
	Bytes() []byte
	AppendBinary(b []byte) ([]byte, error)
}

// ParseEntry parses a netDb entry of the given DatabaseStore type. It does
// not verify it.
func ParseEntry(storeType uint8, b []byte) (Entry, error) {
	switch storeType {
	case StoreRouterInfo:
		return ParseRouterInfo(b)
	case StoreLeaseSet:
		return ParseLeaseSet(b)
	case StoreLeaseSet2:
		return ParseLeaseSet2(b)
	case StoreEncryptedLeaseSet:
		return ParseEncryptedLeaseSet(b)
	case StoreMetaLeaseSet:
		return ParseMetaLeaseSet(b)
	}
	return nil, fmt.Errorf("%w: netDb store type %d", ErrMalformed, storeType)
}

// StoreType is StoreRouterInfo.
func (ri *RouterInfo) StoreType() uint8 { return StoreRouterInfo }

// readSignature takes the final signature of sigType from rest, which must
// hold exactly that.
func readSignature(rest []byte, sigType crypto.SigType, what string) ([]byte, error) {
	n := sigType.SignatureLen()
	if n < 0 {
		return nil, fmt.Errorf("%w: %s signed with type %d", ErrUnsupportedSigType, what, uint16(sigType))
	}
	if len(rest) < n {
		return nil, fmt.Errorf("%w: %s signature needs %d bytes, have %d", ErrShort, what, n, len(rest))
	}
	if len(rest) > n {
		return nil, fmt.Errorf("%w: %d bytes after the %s signature", ErrTrailing, len(rest)-n, what)
	}
	return rest, nil
}

// verifyRaw checks sig, the tail of raw, over prefix (if >= 0) and the rest
// of raw.
func verifyRaw(raw, sig []byte, prefix int, t crypto.SigType, key []byte) error {
	if raw == nil {
		return ErrNotSigned
	}
	body := raw[:len(raw)-len(sig)]
	if prefix >= 0 {
		body = append([]byte{byte(prefix)}, body...)
	}
	return crypto.Verify(t, key, body, sig)
}

// signRaw signs prefix (if >= 0) and body with s and returns body||sig.
func signRaw(body []byte, prefix int, s crypto.Signer) (raw, sig []byte, err error) {
	msg := body
	if prefix >= 0 {
		msg = append([]byte{byte(prefix)}, body...)
	}
	sig, err = s.Sign(msg)
	if err != nil {
		return nil, nil, fmt.Errorf("data: signing: %w", err)
	}
	if len(sig) != s.Type().SignatureLen() {
		return nil, nil, fmt.Errorf("data: signer returned a %d-byte signature, want %d", len(sig), s.Type().SignatureLen())
	}
	return append(body, sig...), sig, nil
}

func checkSigner(s crypto.Signer, t crypto.SigType, key []byte) error {
	if s.Type() != t || !bytes.Equal(s.Public(), key) {
		return ErrWrongSigner
	}
	return nil
}

// LeaseSet is the original leaseset, DatabaseStore type 1
// (common-structures.rst "LeaseSet"). Like RouterInfo it keeps its parsed or
// signed bytes; change the fields and call Sign to make new ones.
type LeaseSet struct {
	Destination Destination
	// EncryptionKey is the 256-byte ElGamal key for garlic encryption.
	EncryptionKey []byte
	// SigningKey is unused (intended for revocation); its length is that
	// of the destination's signing key.
	SigningKey []byte
	Leases     []Lease
	Signature  []byte

	raw []byte
}

// ParseLeaseSet parses a complete LeaseSet; b must hold nothing else.
func ParseLeaseSet(b []byte) (*LeaseSet, error) {
	raw := bytes.Clone(b)
	dest, rest, err := ParseDestination(raw)
	if err != nil {
		return nil, fmt.Errorf("data: LeaseSet destination: %w", err)
	}
	ls := &LeaseSet{Destination: dest, raw: raw}
	r := reader{b: rest, what: "LeaseSet"}
	ls.EncryptionKey = r.bytes(cryptoSlotLen)
	ls.SigningKey = r.bytes(dest.SigType().PublicKeyLen())
	n := int(r.u8())
	if r.err != nil {
		return nil, r.err
	}
	if n > MaxLeases {
		return nil, fmt.Errorf("%w: LeaseSet with %d leases, max %d", ErrMalformed, n, MaxLeases)
	}
	rest = r.b
	for range n {
		var l Lease
		if l, rest, err = ParseLease(rest); err != nil {
			return nil, fmt.Errorf("data: LeaseSet: %w", err)
		}
		ls.Leases = append(ls.Leases, l)
	}
	if ls.Signature, err = readSignature(rest, dest.SigType(), "LeaseSet"); err != nil {
		return nil, err
	}
	return ls, nil
}

func (ls *LeaseSet) appendUnsigned(b []byte) ([]byte, error) {
	if ls.Destination.IsZero() {
		return b, fmt.Errorf("%w: LeaseSet without destination", ErrMalformed)
	}
	if len(ls.EncryptionKey) != cryptoSlotLen {
		return b, fmt.Errorf("%w: LeaseSet encryption key of %d bytes, want 256", ErrMalformed, len(ls.EncryptionKey))
	}
	if n := ls.Destination.SigType().PublicKeyLen(); len(ls.SigningKey) != n {
		return b, fmt.Errorf("%w: LeaseSet signing key of %d bytes, want %d", ErrMalformed, len(ls.SigningKey), n)
	}
	if len(ls.Leases) > MaxLeases {
		return b, fmt.Errorf("%w: %d leases, max %d", ErrMalformed, len(ls.Leases), MaxLeases)
	}
	b = append(b, ls.Destination.Bytes()...)
	b = append(b, ls.EncryptionKey...)
	b = append(b, ls.SigningKey...)
	b = append(b, byte(len(ls.Leases)))
	for _, l := range ls.Leases {
		b, _ = l.AppendBinary(b)
	}
	return b, nil
}

// Sign encodes the fields, signs them with the destination's signer and
// stores the result.
func (ls *LeaseSet) Sign(s crypto.Signer) error {
	if err := checkSigner(s, ls.Destination.SigType(), ls.Destination.SigningKey()); err != nil {
		return err
	}
	body, err := ls.appendUnsigned(nil)
	if err != nil {
		return err
	}
	raw, _, err := signRaw(body, -1, s)
	if err != nil {
		return err
	}
	// Re-parse so the fields match the bytes exactly (times truncated).
	p, err := ParseLeaseSet(raw)
	if err != nil {
		return err
	}
	*ls = *p
	return nil
}

// Verify checks the signature over the stored bytes with the destination's
// signing key.
func (ls *LeaseSet) Verify() error {
	if err := verifyRaw(ls.raw, ls.Signature, -1, ls.Destination.SigType(), ls.Destination.SigningKey()); err != nil {
		return fmt.Errorf("data: LeaseSet %v: %w", ls.Destination.Hash(), err)
	}
	return nil
}

// StoreType is StoreLeaseSet.
func (ls *LeaseSet) StoreType() uint8 { return StoreLeaseSet }

// Hash is the destination hash.
func (ls *LeaseSet) Hash() Hash { return ls.Destination.Hash() }

// Bytes returns the stored encoding. Do not modify it.
func (ls *LeaseSet) Bytes() []byte { return ls.raw }

// AppendBinary appends the stored encoding.
func (ls *LeaseSet) AppendBinary(b []byte) ([]byte, error) {
	if ls.raw == nil {
		return b, ErrNotSigned
	}
	return append(b, ls.raw...), nil
}

// Flags of the LeaseSet2 header (and of EncryptedLeaseSet, bits 0 and 1).
const (
	// LS2FlagOffline: an offline signature block follows. AppendBinary
	// sets or clears it from the Offline field.
	LS2FlagOffline uint16 = 1 << 0
	// LS2FlagUnpublished: do not flood, publish or answer queries with it.
	LS2FlagUnpublished uint16 = 1 << 1
	// LS2FlagBlinded: will be blinded and encrypted when published.
	LS2FlagBlinded uint16 = 1 << 2
)

// MaxExpiresOffset is the largest LS2 expires field, in seconds from
// Published.
const MaxExpiresOffset = 65535

// LeaseSet2Header is the common start of LeaseSet2 and MetaLeaseSet
// (common-structures.rst "LeaseSet2Header").
type LeaseSet2Header struct {
	Destination Destination
	Published   time.Time // second precision
	// Expires is Published plus at most 65535 s (660 s in practice for
	// LeaseSet2).
	Expires time.Time
	Flags   uint16
	// Offline, if not nil, authorizes a transient key that signs instead of
	// the destination.
	Offline *OfflineSignature
}

// IsUnpublished reports whether LS2FlagUnpublished is set.
func (h *LeaseSet2Header) IsUnpublished() bool { return h.Flags&LS2FlagUnpublished != 0 }

// signingKey is the key that signs the structure: the transient key if
// offline-signed, else the destination's.
func (h *LeaseSet2Header) signingKey() (crypto.SigType, []byte) {
	if h.Offline != nil {
		return h.Offline.TransientType, h.Offline.TransientKey
	}
	return h.Destination.SigType(), h.Destination.SigningKey()
}

// ParseLeaseSet2Header reads the header and returns the remaining bytes.
func ParseLeaseSet2Header(b []byte) (LeaseSet2Header, []byte, error) {
	var h LeaseSet2Header
	var err error
	var rest []byte
	if h.Destination, rest, err = ParseDestination(b); err != nil {
		return LeaseSet2Header{}, b, fmt.Errorf("data: LS2 header destination: %w", err)
	}
	r := reader{b: rest, what: "LeaseSet2Header"}
	h.Published, h.Expires, h.Flags = readTimes(&r)
	if r.err != nil {
		return LeaseSet2Header{}, b, r.err
	}
	rest = r.b
	if h.Flags&LS2FlagOffline != 0 {
		var o OfflineSignature
		if o, rest, err = ParseOfflineSignature(rest, h.Destination.SigType()); err != nil {
			return LeaseSet2Header{}, b, err
		}
		h.Offline = &o
	}
	return h, rest, nil
}

// readTimes reads published(4) expires(2) flags(2).
func readTimes(r *reader) (published, expires time.Time, flags uint16) {
	pub := r.u32()
	off := r.u16()
	flags = r.u16()
	if r.err == nil && uint64(pub)+uint64(off) > 1<<32-1 {
		r.fail(fmt.Errorf("%w: %s expires after 2106", ErrMalformed, r.what))
	}
	return fromSeconds(pub), fromSeconds(pub + uint32(off)), flags
}

// appendTimes appends published(4) expires(2) flags(2), with the offline
// bit taken from offline.
func appendTimes(b []byte, published, expires time.Time, flags uint16, offline bool) ([]byte, error) {
	pub, err := seconds(published)
	if err != nil {
		return b, err
	}
	exp, err := seconds(expires)
	if err != nil {
		return b, err
	}
	if exp < pub || exp-pub > MaxExpiresOffset {
		return b, fmt.Errorf("%w: expires %v is not within 65535 s after published %v", ErrMalformed, expires, published)
	}
	flags &^= LS2FlagOffline
	if offline {
		flags |= LS2FlagOffline
	}
	b = binary.BigEndian.AppendUint32(b, pub)
	b = binary.BigEndian.AppendUint16(b, uint16(exp-pub))
	return binary.BigEndian.AppendUint16(b, flags), nil
}

// AppendBinary appends the header.
func (h *LeaseSet2Header) AppendBinary(b []byte) ([]byte, error) {
	if h.Destination.IsZero() {
		return b, fmt.Errorf("%w: LS2 header without destination", ErrMalformed)
	}
	b = append(b, h.Destination.Bytes()...)
	b, err := appendTimes(b, h.Published, h.Expires, h.Flags, h.Offline != nil)
	if err != nil || h.Offline == nil {
		return b, err
	}
	if n := h.Destination.SigType().SignatureLen(); len(h.Offline.Signature) != n {
		return b, fmt.Errorf("%w: offline signature of %d bytes, want %d", ErrMalformed, len(h.Offline.Signature), n)
	}
	return h.Offline.AppendBinary(b)
}

// verify checks the offline signature, if any, then sig over the
// stored bytes with the key that signs the structure.
func (h *LeaseSet2Header) verify(raw, sig []byte, storeType int) error {
	if h.Offline != nil {
		if err := h.Offline.Verify(h.Destination.SigType(), h.Destination.SigningKey()); err != nil {
			return err
		}
	}
	t, key := h.signingKey()
	return verifyRaw(raw, sig, storeType, t, key)
}

// checkSigner checks that s is the key that must sign h's structure.
func (h *LeaseSet2Header) checkSigner(s crypto.Signer) error {
	t, key := h.signingKey()
	return checkSigner(s, t, key)
}

// EncryptionKey is one encryption key of a LeaseSet2.
type EncryptionKey struct {
	Type CryptoType
	Key  []byte
}

// LeaseSet2 is DatabaseStore type 3 (common-structures.rst "LeaseSet2"). It
// keeps its parsed or signed bytes; change the fields and call Sign to make
// new ones. The signature covers the type byte 3 followed by the encoding.
type LeaseSet2 struct {
	LeaseSet2Header
	// Options must be sorted by key; Sign sorts them.
	Options Mapping
	// EncryptionKeys, most preferred first; at least one.
	EncryptionKeys []EncryptionKey
	Leases         []Lease2
	Signature      []byte

	raw []byte
}

// ParseLeaseSet2 parses a complete LeaseSet2 (without the type byte); b must
// hold nothing else.
func ParseLeaseSet2(b []byte) (*LeaseSet2, error) {
	raw := bytes.Clone(b)
	h, rest, err := ParseLeaseSet2Header(raw)
	if err != nil {
		return nil, err
	}
	ls := &LeaseSet2{LeaseSet2Header: h, raw: raw}
	if ls.Options, rest, err = ParseMapping(rest); err != nil {
		return nil, fmt.Errorf("data: LeaseSet2 options: %w", err)
	}
	r := reader{b: rest, what: "LeaseSet2"}
	numk := int(r.u8())
	if r.err == nil && numk == 0 {
		return nil, fmt.Errorf("%w: LeaseSet2 without encryption keys", ErrMalformed)
	}
	for i := 0; i < numk && r.err == nil; i++ {
		k := EncryptionKey{Type: CryptoType(r.u16())}
		n := int(r.u16())
		k.Key = r.bytes(n)
		if r.err == nil && k.Type.Known() && n != k.Type.PublicKeyLen() {
			return nil, fmt.Errorf("%w: LeaseSet2 %v key of %d bytes, want %d", ErrMalformed, k.Type, n, k.Type.PublicKeyLen())
		}
		ls.EncryptionKeys = append(ls.EncryptionKeys, k)
	}
	n := int(r.u8())
	if r.err != nil {
		return nil, r.err
	}
	if n > MaxLeases {
		return nil, fmt.Errorf("%w: LeaseSet2 with %d leases, max %d", ErrMalformed, n, MaxLeases)
	}
	rest = r.b
	for range n {
		var l Lease2
		if l, rest, err = ParseLease2(rest); err != nil {
			return nil, fmt.Errorf("data: LeaseSet2: %w", err)
		}
		ls.Leases = append(ls.Leases, l)
	}
	t, _ := ls.signingKey()
	if ls.Signature, err = readSignature(rest, t, "LeaseSet2"); err != nil {
		return nil, err
	}
	return ls, nil
}

func (ls *LeaseSet2) appendUnsigned(b []byte) ([]byte, error) {
	b, err := ls.LeaseSet2Header.AppendBinary(b)
	if err != nil {
		return b, err
	}
	if b, err = ls.Options.AppendBinary(b); err != nil {
		return b, err
	}
	if len(ls.EncryptionKeys) == 0 || len(ls.EncryptionKeys) > 255 {
		return b, fmt.Errorf("%w: LeaseSet2 with %d encryption keys", ErrMalformed, len(ls.EncryptionKeys))
	}
	b = append(b, byte(len(ls.EncryptionKeys)))
	for _, k := range ls.EncryptionKeys {
		if k.Type.Known() && len(k.Key) != k.Type.PublicKeyLen() || len(k.Key) > 65535 {
			return b, fmt.Errorf("%w: LeaseSet2 %v key of %d bytes", ErrMalformed, k.Type, len(k.Key))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(k.Type))
		b = binary.BigEndian.AppendUint16(b, uint16(len(k.Key)))
		b = append(b, k.Key...)
	}
	if len(ls.Leases) > MaxLeases {
		return b, fmt.Errorf("%w: %d leases, max %d", ErrMalformed, len(ls.Leases), MaxLeases)
	}
	b = append(b, byte(len(ls.Leases)))
	for _, l := range ls.Leases {
		if b, err = l.AppendBinary(b); err != nil {
			return b, err
		}
	}
	return b, nil
}

// Sign sorts the options, encodes the fields, signs them with s and stores
// the result. s must be the transient signer if Offline is set, else the
// destination's.
func (ls *LeaseSet2) Sign(s crypto.Signer) error {
	if err := ls.checkSigner(s); err != nil {
		return err
	}
	c := *ls
	c.Options = ls.Options.Sorted()
	body, err := c.appendUnsigned(nil)
	if err != nil {
		return err
	}
	raw, _, err := signRaw(body, StoreLeaseSet2, s)
	if err != nil {
		return err
	}
	// Re-parse so the fields match the bytes exactly.
	p, err := ParseLeaseSet2(raw)
	if err != nil {
		return err
	}
	*ls = *p
	return nil
}

// Verify checks the offline signature, if any, and the signature over the
// type byte and the stored bytes. It does not check expiry times.
func (ls *LeaseSet2) Verify() error {
	if err := ls.verify(ls.raw, ls.Signature, StoreLeaseSet2); err != nil {
		return fmt.Errorf("data: LeaseSet2 %v: %w", ls.Destination.Hash(), err)
	}
	return nil
}

// StoreType is StoreLeaseSet2.
func (ls *LeaseSet2) StoreType() uint8 { return StoreLeaseSet2 }

// Hash is the destination hash.
func (ls *LeaseSet2) Hash() Hash { return ls.Destination.Hash() }

// Bytes returns the stored encoding, without the type byte. Do not modify it.
func (ls *LeaseSet2) Bytes() []byte { return ls.raw }

// AppendBinary appends the stored encoding.
func (ls *LeaseSet2) AppendBinary(b []byte) ([]byte, error) {
	if ls.raw == nil {
		return b, ErrNotSigned
	}
	return append(b, ls.raw...), nil
}

// MetaLeaseSet is DatabaseStore type 7 (common-structures.rst
// "MetaLeaseSet"). The signature covers the type byte 7 followed by the
// encoding.
type MetaLeaseSet struct {
	LeaseSet2Header
	Options     Mapping
	Leases      []MetaLease // at least one
	Revocations []Hash
	Signature   []byte

	raw []byte
}

// ParseMetaLeaseSet parses a complete MetaLeaseSet (without the type byte);
// b must hold nothing else.
func ParseMetaLeaseSet(b []byte) (*MetaLeaseSet, error) {
	raw := bytes.Clone(b)
	h, rest, err := ParseLeaseSet2Header(raw)
	if err != nil {
		return nil, err
	}
	ls := &MetaLeaseSet{LeaseSet2Header: h, raw: raw}
	if ls.Options, rest, err = ParseMapping(rest); err != nil {
		return nil, fmt.Errorf("data: MetaLeaseSet options: %w", err)
	}
	r := reader{b: rest, what: "MetaLeaseSet"}
	n := int(r.u8())
	if r.err != nil {
		return nil, r.err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: MetaLeaseSet without leases", ErrMalformed)
	}
	rest = r.b
	for range n {
		var l MetaLease
		if l, rest, err = ParseMetaLease(rest); err != nil {
			return nil, fmt.Errorf("data: MetaLeaseSet: %w", err)
		}
		ls.Leases = append(ls.Leases, l)
	}
	r = reader{b: rest, what: "MetaLeaseSet"}
	numr := int(r.u8())
	for i := 0; i < numr && r.err == nil; i++ {
		h := r.hash()
		if r.err == nil {
			ls.Revocations = append(ls.Revocations, h)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	t, _ := ls.signingKey()
	if ls.Signature, err = readSignature(r.b, t, "MetaLeaseSet"); err != nil {
		return nil, err
	}
	return ls, nil
}

func (ls *MetaLeaseSet) appendUnsigned(b []byte) ([]byte, error) {
	b, err := ls.LeaseSet2Header.AppendBinary(b)
	if err != nil {
		return b, err
	}
	if b, err = ls.Options.AppendBinary(b); err != nil {
		return b, err
	}
	if len(ls.Leases) == 0 || len(ls.Leases) > 255 || len(ls.Revocations) > 255 {
		return b, fmt.Errorf("%w: MetaLeaseSet with %d leases and %d revocations", ErrMalformed, len(ls.Leases), len(ls.Revocations))
	}
	b = append(b, byte(len(ls.Leases)))
	for _, l := range ls.Leases {
		if b, err = l.AppendBinary(b); err != nil {
			return b, err
		}
	}
	b = append(b, byte(len(ls.Revocations)))
	for _, h := range ls.Revocations {
		b = append(b, h[:]...)
	}
	return b, nil
}

// Sign sorts the options, encodes the fields, signs them with s (the
// transient signer if Offline is set, else the destination's) and stores the
// result.
func (ls *MetaLeaseSet) Sign(s crypto.Signer) error {
	if err := ls.checkSigner(s); err != nil {
		return err
	}
	c := *ls
	c.Options = ls.Options.Sorted()
	body, err := c.appendUnsigned(nil)
	if err != nil {
		return err
	}
	raw, _, err := signRaw(body, StoreMetaLeaseSet, s)
	if err != nil {
		return err
	}
	// Re-parse so the fields match the bytes exactly.
	p, err := ParseMetaLeaseSet(raw)
	if err != nil {
		return err
	}
	*ls = *p
	return nil
}

// Verify checks the offline signature, if any, and the signature over the
// type byte and the stored bytes.
func (ls *MetaLeaseSet) Verify() error {
	if err := ls.verify(ls.raw, ls.Signature, StoreMetaLeaseSet); err != nil {
		return fmt.Errorf("data: MetaLeaseSet %v: %w", ls.Destination.Hash(), err)
	}
	return nil
}

// StoreType is StoreMetaLeaseSet.
func (ls *MetaLeaseSet) StoreType() uint8 { return StoreMetaLeaseSet }

// Hash is the destination hash.
func (ls *MetaLeaseSet) Hash() Hash { return ls.Destination.Hash() }

// Bytes returns the stored encoding, without the type byte. Do not modify it.
func (ls *MetaLeaseSet) Bytes() []byte { return ls.raw }

// AppendBinary appends the stored encoding.
func (ls *MetaLeaseSet) AppendBinary(b []byte) ([]byte, error) {
	if ls.raw == nil {
		return b, ErrNotSigned
	}
	return append(b, ls.raw...), nil
}

// EncryptedLeaseSet is DatabaseStore type 5, the outer layer of an
// encrypted leaseset (common-structures.rst "EncryptedLeaseSet",
// encryptedleaseset.rst "Layer 0"). This package parses and verifies the
// outer layer only; EncryptedData holds layer 1, still encrypted. The
// signature covers the type byte 5 followed by the encoding.
type EncryptedLeaseSet struct {
	// BlindedSigType is the blinded key's type, RedDSA (11) in practice.
	BlindedSigType crypto.SigType
	BlindedKey     []byte
	Published      time.Time
	Expires        time.Time
	Flags          uint16 // LS2FlagOffline, LS2FlagUnpublished
	// Offline, if not nil, is signed by the blinded key and authorizes the
	// transient key that signs the structure.
	Offline       *OfflineSignature
	EncryptedData []byte
	Signature     []byte

	raw []byte
}

// ParseEncryptedLeaseSet parses a complete EncryptedLeaseSet (without the
// type byte); b must hold nothing else.
func ParseEncryptedLeaseSet(b []byte) (*EncryptedLeaseSet, error) {
	raw := bytes.Clone(b)
	ls := &EncryptedLeaseSet{raw: raw}
	r := reader{b: raw, what: "EncryptedLeaseSet"}
	ls.BlindedSigType = crypto.SigType(r.u16())
	if r.err != nil {
		return nil, r.err
	}
	kl := ls.BlindedSigType.PublicKeyLen()
	if kl < 0 {
		return nil, fmt.Errorf("%w: blinded key type %d", ErrUnsupportedSigType, uint16(ls.BlindedSigType))
	}
	ls.BlindedKey = r.bytes(kl)
	ls.Published, ls.Expires, ls.Flags = readTimes(&r)
	if r.err != nil {
		return nil, r.err
	}
	rest := r.b
	if ls.Flags&LS2FlagOffline != 0 {
		o, rest2, err := ParseOfflineSignature(rest, ls.BlindedSigType)
		if err != nil {
			return nil, err
		}
		ls.Offline, rest = &o, rest2
	}
	r = reader{b: rest, what: "EncryptedLeaseSet"}
	n := int(r.u16())
	ls.EncryptedData = r.bytes(n)
	if r.err != nil {
		return nil, r.err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: EncryptedLeaseSet without encrypted data", ErrMalformed)
	}
	t, _ := ls.signingKey()
	var err error
	if ls.Signature, err = readSignature(r.b, t, "EncryptedLeaseSet"); err != nil {
		return nil, err
	}
	return ls, nil
}

func (ls *EncryptedLeaseSet) signingKey() (crypto.SigType, []byte) {
	if ls.Offline != nil {
		return ls.Offline.TransientType, ls.Offline.TransientKey
	}
	return ls.BlindedSigType, ls.BlindedKey
}

func (ls *EncryptedLeaseSet) appendUnsigned(b []byte) ([]byte, error) {
	if n := ls.BlindedSigType.PublicKeyLen(); n < 0 || len(ls.BlindedKey) != n {
		return b, fmt.Errorf("%w: blinded %v key of %d bytes", ErrMalformed, ls.BlindedSigType, len(ls.BlindedKey))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(ls.BlindedSigType))
	b = append(b, ls.BlindedKey...)
	b, err := appendTimes(b, ls.Published, ls.Expires, ls.Flags, ls.Offline != nil)
	if err != nil {
		return b, err
	}
	if ls.Offline != nil {
		if n := ls.BlindedSigType.SignatureLen(); len(ls.Offline.Signature) != n {
			return b, fmt.Errorf("%w: offline signature of %d bytes, want %d", ErrMalformed, len(ls.Offline.Signature), n)
		}
		if b, err = ls.Offline.AppendBinary(b); err != nil {
			return b, err
		}
	}
	if len(ls.EncryptedData) == 0 || len(ls.EncryptedData) > 65535 {
		return b, fmt.Errorf("%w: %d bytes of encrypted data", ErrMalformed, len(ls.EncryptedData))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(ls.EncryptedData)))
	return append(b, ls.EncryptedData...), nil
}

// Sign encodes the fields, signs them with s (the transient signer if
// Offline is set, else the blinded key's) and stores the result.
func (ls *EncryptedLeaseSet) Sign(s crypto.Signer) error {
	t, key := ls.signingKey()
	if err := checkSigner(s, t, key); err != nil {
		return err
	}
	c := *ls
	body, err := c.appendUnsigned(nil)
	if err != nil {
		return err
	}
	raw, _, err := signRaw(body, StoreEncryptedLeaseSet, s)
	if err != nil {
		return err
	}
	// Re-parse so the fields match the bytes exactly.
	p, err := ParseEncryptedLeaseSet(raw)
	if err != nil {
		return err
	}
	*ls = *p
	return nil
}

// Verify checks the offline signature (by the blinded key), if any, and the
// signature over the type byte and the stored bytes. It does not decrypt.
func (ls *EncryptedLeaseSet) Verify() error {
	if ls.Offline != nil {
		if err := ls.Offline.Verify(ls.BlindedSigType, ls.BlindedKey); err != nil {
			return fmt.Errorf("data: EncryptedLeaseSet %v: %w", ls.Hash(), err)
		}
	}
	t, key := ls.signingKey()
	if err := verifyRaw(ls.raw, ls.Signature, StoreEncryptedLeaseSet, t, key); err != nil {
		return fmt.Errorf("data: EncryptedLeaseSet %v: %w", ls.Hash(), err)
	}
	return nil
}

// StoreType is StoreEncryptedLeaseSet.
func (ls *EncryptedLeaseSet) StoreType() uint8 { return StoreEncryptedLeaseSet }

// Hash is the netDb key: SHA-256 of the 2-byte blinded sig type and the
// blinded public key (encryptedleaseset.rst).
func (ls *EncryptedLeaseSet) Hash() Hash { return BlindedStoreHash(ls.BlindedSigType, ls.BlindedKey) }

// BlindedStoreHash is SHA-256(sigtype(2) || blinded public key), where an
// encrypted leaseset is stored.
func BlindedStoreHash(t crypto.SigType, blindedKey []byte) Hash {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(blindedKey)), uint16(t))
	return HashOf(append(b, blindedKey...))
}

// Bytes returns the stored encoding, without the type byte. Do not modify it.
func (ls *EncryptedLeaseSet) Bytes() []byte { return ls.raw }

// AppendBinary appends the stored encoding.
func (ls *EncryptedLeaseSet) AppendBinary(b []byte) ([]byte, error) {
	if ls.raw == nil {
		return b, ErrNotSigned
	}
	return append(b, ls.raw...), nil
}
