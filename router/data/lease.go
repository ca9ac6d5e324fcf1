package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Lengths of the lease records.
const (
	LeaseLen     = 44
	Lease2Len    = 40
	MetaLeaseLen = 40
	// MaxLeases is the most leases a LeaseSet or LeaseSet2 may hold.
	MaxLeases = 16
)

// Lease authorizes a tunnel to receive messages for a destination, in a
// LeaseSet (common-structures.rst "Lease").
type Lease struct {
	Gateway  Hash // router hash of the tunnel gateway
	TunnelID TunnelID
	End      time.Time // millisecond precision
}

// ParseLease reads a 44-byte Lease and returns the remaining bytes.
func ParseLease(b []byte) (Lease, []byte, error) {
	r := reader{b: b, what: "Lease"}
	l := Lease{Gateway: r.hash(), TunnelID: TunnelID(r.u32())}
	end := Date(r.u64())
	if r.err != nil {
		return Lease{}, b, r.err
	}
	if end > 1<<63-1 {
		return Lease{}, b, fmt.Errorf("%w: lease end date %d", ErrMalformed, uint64(end))
	}
	l.End = end.Time()
	return l, r.b, nil
}

// AppendBinary appends the 44-byte form.
func (l Lease) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, l.Gateway[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(l.TunnelID))
	return DateOf(l.End).AppendBinary(b)
}

// Lease2 is a Lease with a 4-byte end time in seconds, in a LeaseSet2
// (common-structures.rst "Lease2").
type Lease2 struct {
	Gateway  Hash
	TunnelID TunnelID
	End      time.Time // second precision
}

// ParseLease2 reads a 40-byte Lease2 and returns the remaining bytes.
func ParseLease2(b []byte) (Lease2, []byte, error) {
	r := reader{b: b, what: "Lease2"}
	l := Lease2{Gateway: r.hash(), TunnelID: TunnelID(r.u32()), End: fromSeconds(r.u32())}
	if r.err != nil {
		return Lease2{}, b, r.err
	}
	return l, r.b, nil
}

// AppendBinary appends the 40-byte form.
func (l Lease2) AppendBinary(b []byte) ([]byte, error) {
	end, err := seconds(l.End)
	if err != nil {
		return b, err
	}
	b = append(b, l.Gateway[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(l.TunnelID))
	return binary.BigEndian.AppendUint32(b, end), nil
}

// MetaLease types, in the low 4 bits of MetaLease.Flags.
const (
	MetaLeaseUnknown      = 0
	MetaLeaseLeaseSet     = 1
	MetaLeaseLeaseSet2    = 3
	MetaLeaseMetaLeaseSet = 5
)

// MetaLease points at a leaseset or another MetaLeaseSet
// (common-structures.rst "MetaLease").
type MetaLease struct {
	Hash  Hash
	Flags uint32 // 24 bits; the low 4 bits are the entry type
	Cost  uint8  // lower is preferred
	End   time.Time
}

// Type is the entry type (MetaLeaseLeaseSet, ...).
func (m MetaLease) Type() int { return int(m.Flags & 0xf) }

// ParseMetaLease reads a 40-byte MetaLease and returns the remaining bytes.
func ParseMetaLease(b []byte) (MetaLease, []byte, error) {
	r := reader{b: b, what: "MetaLease"}
	m := MetaLease{Hash: r.hash()}
	f := r.bytes(3)
	m.Cost = r.u8()
	m.End = fromSeconds(r.u32())
	if r.err != nil {
		return MetaLease{}, b, r.err
	}
	m.Flags = uint32(f[0])<<16 | uint32(f[1])<<8 | uint32(f[2])
	return m, r.b, nil
}

// AppendBinary appends the 40-byte form.
func (m MetaLease) AppendBinary(b []byte) ([]byte, error) {
	if m.Flags>>24 != 0 {
		return b, fmt.Errorf("%w: meta lease flags %#x exceed 24 bits", ErrMalformed, m.Flags)
	}
	end, err := seconds(m.End)
	if err != nil {
		return b, err
	}
	b = append(b, m.Hash[:]...)
	b = append(b, byte(m.Flags>>16), byte(m.Flags>>8), byte(m.Flags), m.Cost)
	return binary.BigEndian.AppendUint32(b, end), nil
}

// OfflineSignature lets a transient key sign for a destination (or a
// blinded key) whose private key stays offline (common-structures.rst
// "OfflineSignature").
type OfflineSignature struct {
	Expires       time.Time // second precision
	TransientType crypto.SigType
	TransientKey  []byte
	// Signature over expires, transient type and transient key, by the
	// destination's (or blinded) key.
	Signature []byte
}

// NewOfflineSignature has s, the destination's or blinded signer, authorize
// the transient key until expires.
func NewOfflineSignature(s crypto.Signer, expires time.Time, transientType crypto.SigType, transientKey []byte) (OfflineSignature, error) {
	o := OfflineSignature{Expires: expires.Truncate(time.Second), TransientType: transientType, TransientKey: bytes.Clone(transientKey)}
	msg, err := o.signedPart(nil)
	if err != nil {
		return OfflineSignature{}, err
	}
	sig, err := s.Sign(msg)
	if err != nil {
		return OfflineSignature{}, fmt.Errorf("data: signing offline signature: %w", err)
	}
	o.Signature = sig
	return o, nil
}

// ParseOfflineSignature reads an OfflineSignature whose signature was made
// with a key of type signerType, and returns the remaining bytes.
func ParseOfflineSignature(b []byte, signerType crypto.SigType) (OfflineSignature, []byte, error) {
	r := reader{b: b, what: "OfflineSignature"}
	o := OfflineSignature{Expires: fromSeconds(r.u32()), TransientType: crypto.SigType(r.u16())}
	if r.err != nil {
		return OfflineSignature{}, b, r.err
	}
	n := o.TransientType.PublicKeyLen()
	if n < 0 {
		return OfflineSignature{}, b, fmt.Errorf("%w: transient key type %d", ErrUnsupportedSigType, uint16(o.TransientType))
	}
	sl := signerType.SignatureLen()
	if sl < 0 {
		return OfflineSignature{}, b, fmt.Errorf("%w: offline signature by type %d", ErrUnsupportedSigType, uint16(signerType))
	}
	o.TransientKey = r.copyBytes(n)
	o.Signature = r.copyBytes(sl)
	if r.err != nil {
		return OfflineSignature{}, b, r.err
	}
	return o, r.b, nil
}

func (o OfflineSignature) signedPart(b []byte) ([]byte, error) {
	if n := o.TransientType.PublicKeyLen(); n < 0 || n != len(o.TransientKey) {
		return b, fmt.Errorf("%w: transient %v key of %d bytes", ErrMalformed, o.TransientType, len(o.TransientKey))
	}
	exp, err := seconds(o.Expires)
	if err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint32(b, exp)
	b = binary.BigEndian.AppendUint16(b, uint16(o.TransientType))
	return append(b, o.TransientKey...), nil
}

// AppendBinary appends the block.
func (o OfflineSignature) AppendBinary(b []byte) ([]byte, error) {
	b, err := o.signedPart(b)
	if err != nil {
		return b, err
	}
	return append(b, o.Signature...), nil
}

// Verify checks the offline signature with the destination's (or blinded)
// key. It does not check Expires.
func (o OfflineSignature) Verify(signerType crypto.SigType, signerKey []byte) error {
	msg, err := o.signedPart(nil)
	if err != nil {
		return err
	}
	if err := crypto.Verify(signerType, signerKey, msg, o.Signature); err != nil {
		return fmt.Errorf("data: offline signature: %w", err)
	}
	return nil
}
