package data

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Standard RouterInfo option keys (network-database, "RouterInfo").
const (
	OptionCaps    = "caps"
	OptionNetID   = "netId"
	OptionVersion = "router.version"
)

// MaxRouterAddresses is the most addresses a RouterInfo can hold.
const MaxRouterAddresses = 255

// RouterInfo is a router's netDb entry (common-structures.rst "RouterInfo").
//
// A parsed RouterInfo keeps the bytes it was parsed from: Bytes,
// AppendBinary and Verify use them, never a re-encoding. The exported fields
// describe those bytes; changing them has no effect until Sign is called,
// which encodes the fields, signs them and replaces the stored bytes.
//
// To build one:
//
//	ri := &data.RouterInfo{Identity: id, Published: time.Now(),
//		Addresses: []data.RouterAddress{ntcp2}, Options: opts}
//	err := ri.Sign(signer)
type RouterInfo struct {
	Identity RouterIdentity
	// Published is when the RouterInfo was signed, to the millisecond.
	Published time.Time
	Addresses []RouterAddress
	// Options are the router options (caps, netId, router.version, ...).
	Options Mapping
	// Signature is the signature by Identity's signing key.
	Signature []byte

	raw []byte // the signed encoding, signature included
}

// ParseRouterInfo parses a complete RouterInfo; b must hold nothing else.
// It rejects a non-zero peer_size (unused by every implementation). It does
// not check the signature: call Verify. The result does not alias b.
func ParseRouterInfo(b []byte) (*RouterInfo, error) {
	raw := append([]byte(nil), b...)
	id, rest, err := ParseRouterIdentity(raw)
	if err != nil {
		return nil, fmt.Errorf("data: RouterInfo identity: %w", err)
	}
	ri := &RouterInfo{Identity: id, raw: raw}
	r := reader{b: rest, what: "RouterInfo"}
	pub := Date(r.u64())
	n := int(r.u8())
	if r.err != nil {
		return nil, r.err
	}
	if pub > 1<<63-1 {
		return nil, fmt.Errorf("%w: RouterInfo published date %d", ErrMalformed, uint64(pub))
	}
	ri.Published = pub.Time()
	// Each address is at least 12 bytes; the count is at most 255.
	ri.Addresses = make([]RouterAddress, 0, min(n, len(r.b)/12))
	rest = r.b
	for i := range n {
		var a RouterAddress
		a, rest, err = ParseRouterAddress(rest)
		if err != nil {
			return nil, fmt.Errorf("data: RouterInfo address %d: %w", i, err)
		}
		ri.Addresses = append(ri.Addresses, a)
	}
	r = reader{b: rest, what: "RouterInfo"}
	if peers := r.u8(); r.err != nil {
		return nil, r.err
	} else if peers != 0 {
		return nil, fmt.Errorf("%w: RouterInfo peer_size %d, must be 0", ErrMalformed, peers)
	}
	ri.Options, rest, err = ParseMapping(r.b)
	if err != nil {
		return nil, fmt.Errorf("data: RouterInfo options: %w", err)
	}
	sigLen := id.SigType().SignatureLen()
	if len(rest) < sigLen {
		return nil, fmt.Errorf("%w: RouterInfo signature needs %d bytes, have %d", ErrShort, sigLen, len(rest))
	}
	if len(rest) > sigLen {
		return nil, fmt.Errorf("%w: %d bytes after the RouterInfo signature", ErrTrailing, len(rest)-sigLen)
	}
	ri.Signature = rest
	return ri, nil
}

// appendUnsigned encodes everything before the signature from the fields.
func (ri *RouterInfo) appendUnsigned(b []byte) ([]byte, error) {
	if ri.Identity.IsZero() {
		return b, fmt.Errorf("%w: RouterInfo without identity", ErrMalformed)
	}
	if len(ri.Addresses) > MaxRouterAddresses {
		return b, fmt.Errorf("%w: %d router addresses, max %d", ErrMalformed, len(ri.Addresses), MaxRouterAddresses)
	}
	b = append(b, ri.Identity.Bytes()...)
	b, _ = DateOf(ri.Published).AppendBinary(b)
	b = append(b, byte(len(ri.Addresses)))
	for i, a := range ri.Addresses {
		var err error
		if b, err = a.AppendBinary(b); err != nil {
			return b, fmt.Errorf("data: RouterInfo address %d: %w", i, err)
		}
	}
	b = append(b, 0) // peer_size
	return ri.Options.AppendBinary(b)
}

// Sign sorts the router and address options by key, encodes the fields,
// signs them with s, which must hold Identity's signing key, and stores the
// result for Bytes. Published must be set (to the millisecond; the caller
// reads the clock) and addresses must have a zero Expiration.
func (ri *RouterInfo) Sign(s crypto.Signer) error {
	if ri.Identity.IsZero() {
		return fmt.Errorf("%w: RouterInfo without identity", ErrMalformed)
	}
	if s.Type() != ri.Identity.SigType() || !bytes.Equal(s.Public(), ri.Identity.SigningKey()) {
		return ErrWrongSigner
	}
	if ri.Published.IsZero() {
		return fmt.Errorf("%w: RouterInfo without a published time", ErrMalformed)
	}
	addrs := make([]RouterAddress, len(ri.Addresses))
	for i, a := range ri.Addresses {
		if !a.Expiration.IsZero() {
			return fmt.Errorf("%w: router address %d has an expiration; it must be zero", ErrMalformed, i)
		}
		a.Options = a.Options.Sorted()
		addrs[i] = a
	}
	signed := &RouterInfo{
		Identity:  ri.Identity,
		Published: ri.Published,
		Addresses: addrs,
		Options:   ri.Options.Sorted(),
	}
	b, err := signed.appendUnsigned(nil)
	if err != nil {
		return err
	}
	sig, err := s.Sign(b)
	if err != nil {
		return fmt.Errorf("data: signing RouterInfo: %w", err)
	}
	if len(sig) != s.Type().SignatureLen() {
		return fmt.Errorf("data: signer returned a %d-byte signature, want %d", len(sig), s.Type().SignatureLen())
	}
	// Re-parse so the fields match the bytes exactly.
	p, err := ParseRouterInfo(append(b, sig...))
	if err != nil {
		return err
	}
	*ri = *p
	return nil
}

// Verify checks the signature over the stored bytes with the identity's
// signing key.
func (ri *RouterInfo) Verify() error {
	if ri.raw == nil {
		return ErrNotSigned
	}
	n := len(ri.raw) - len(ri.Signature)
	if err := ri.Identity.Verify(ri.raw[:n], ri.Signature); err != nil {
		return fmt.Errorf("data: RouterInfo %v: %w", ri.Identity.Hash(), err)
	}
	return nil
}

// Bytes returns the parsed or signed encoding, or nil if there is none. Do
// not modify it.
func (ri *RouterInfo) Bytes() []byte { return ri.raw }

// AppendBinary appends the parsed or signed encoding.
func (ri *RouterInfo) AppendBinary(b []byte) ([]byte, error) {
	if ri.raw == nil {
		return b, ErrNotSigned
	}
	return append(b, ri.raw...), nil
}

// Hash is the router hash: the SHA-256 of the RouterIdentity, the netDb key.
func (ri *RouterInfo) Hash() Hash { return ri.Identity.Hash() }

// Option returns the router option key.
func (ri *RouterInfo) Option(key string) (string, bool) { return ri.Options.Get(key) }

// Caps is the "caps" option, such as "XfR" (bandwidth class, floodfill,
// reachable...).
func (ri *RouterInfo) Caps() string {
	c, _ := ri.Options.Get(OptionCaps)
	return c
}

// NetID parses the "netId" option: 2 for the main network.
func (ri *RouterInfo) NetID() (int, bool) {
	s, ok := ri.Options.Get(OptionNetID)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Version is the "router.version" option, such as "0.9.57".
func (ri *RouterInfo) Version() string {
	v, _ := ri.Options.Get(OptionVersion)
	return v
}

// Address returns the first address with the transport style.
func (ri *RouterInfo) Address(style string) (RouterAddress, bool) {
	for _, a := range ri.Addresses {
		if a.TransportStyle == style {
			return a, true
		}
	}
	return RouterAddress{}, false
}

func (ri *RouterInfo) String() string {
	return fmt.Sprintf("RouterInfo %v published %v caps %q", ri.Hash(), ri.Published.Format(time.RFC3339), ri.Caps())
}
