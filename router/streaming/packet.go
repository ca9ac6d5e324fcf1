package streaming

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// Flags is the 16-bit flags field of a packet (streaming.rst "Flags and
// Option Data Fields"). Bit 0 is the least significant.
type Flags uint16

// The flags. Those with option data are written in the order of the
// constants' "order" comments: delay, from, max packet size, offline
// signature, signature.
const (
	FlagSynchronize        Flags = 1 << 0
	FlagClose              Flags = 1 << 1
	FlagReset              Flags = 1 << 2
	FlagSignatureIncluded  Flags = 1 << 3 // order 5: Signature
	FlagSignatureRequested Flags = 1 << 4 // unused
	FlagFromIncluded       Flags = 1 << 5 // order 2: Destination
	FlagDelayRequested     Flags = 1 << 6 // order 1: 2 bytes, ms
	FlagMaxPacketSizeIncl  Flags = 1 << 7 // order 3: 2 bytes
	FlagProfileInteractive Flags = 1 << 8 // unused
	FlagEcho               Flags = 1 << 9
	FlagNoAck              Flags = 1 << 10
	FlagOfflineSignature   Flags = 1 << 11 // order 4: OfflineSignature
)

// Has reports whether all of f2 are set in f.
func (f Flags) Has(f2 Flags) bool { return f&f2 == f2 }

const (
	// MinHeaderLen is the size of a packet without NACKs, options or
	// payload.
	MinHeaderLen = 22
	// MaxNACKs is the largest NACK count the one-byte field can carry.
	MaxNACKs = 255
	// synNACKs is the NACK count of a SYN that carries the recipient's
	// destination hash for replay prevention (0.9.58).
	synNACKs = 8
	// DelayChoke is the delay-requested value we send to choke the peer;
	// any value above 60000 means "choked".
	DelayChoke = 60001
	chokeLimit = 60000
)

// Codec errors. Parse errors wrap ErrShort or ErrMalformed.
var (
	// ErrShort means the packet ended before a field did.
	ErrShort = errors.New("streaming: packet too short")
	// ErrMalformed means a field holds a value the spec forbids, or
	// fields that contradict each other.
	ErrMalformed = errors.New("streaming: malformed packet")
	// ErrBadSignature means a packet's signature does not verify.
	ErrBadSignature = errors.New("streaming: bad packet signature")
)

// Packet is one streaming packet (streaming.rst "Packet Format"). Option
// fields are meaningful only when their flag is set; AppendBinary writes
// exactly the options whose flags are set.
//
// A Packet returned by ParsePacket aliases the parsed buffer in Payload and
// Signature; NACKs, From and Offline are copies.
type Packet struct {
	SendStreamID    uint32
	ReceiveStreamID uint32
	SequenceNum     uint32
	AckThrough      uint32
	// NACKs are sequence numbers below AckThrough not yet received, at
	// most 255. In a SYN, 8 NACKs may instead hold the recipient's
	// destination hash (see NACKHash).
	NACKs []uint32
	// ResendDelay is the sender's resend delay in seconds; ignored on
	// receive.
	ResendDelay uint8
	Flags       Flags

	DelayRequested uint16           // FlagDelayRequested, in ms
	From           data.Destination // FlagFromIncluded
	MaxPacketSize  uint16           // FlagMaxPacketSizeIncl: the largest payload
	// Offline is the LS2 offline signature block (FlagOfflineSignature);
	// its transient key signs the packet.
	Offline *data.OfflineSignature
	// Signature (FlagSignatureIncluded) covers the whole packet with this
	// field zeroed.
	Signature []byte

	Payload []byte
}

// IsPlainAck reports whether p is an ACK-only packet: sequence number 0
// without SYN. Such packets are never acknowledged.
func (p *Packet) IsPlainAck() bool {
	return p.SequenceNum == 0 && !p.Flags.Has(FlagSynchronize)
}

// NACKHash returns the destination hash carried in the NACKs field of a SYN
// for replay prevention, if the field has exactly 8 entries.
func (p *Packet) NACKHash() (data.Hash, bool) {
	var h data.Hash
	if len(p.NACKs) != synNACKs {
		return h, false
	}
	for i, n := range p.NACKs {
		binary.BigEndian.PutUint32(h[4*i:], n)
	}
	return h, true
}

// HashNACKs returns h as the 8 NACKs a SYN to the destination with hash h
// carries (streaming.rst "Replay prevention").
func HashNACKs(h data.Hash) []uint32 {
	n := make([]uint32, synNACKs)
	for i := range n {
		n[i] = binary.BigEndian.Uint32(h[4*i:])
	}
	return n
}

// ParsePacket decodes one packet, which fills b. The signature, if
// present, takes the rest of the option data; its length is checked
// against the FROM destination (or the offline transient key) when the
// packet carries one. Option bytes beyond the flagged options are ignored
// when no signature follows them. Payload and Signature alias b.
func ParsePacket(b []byte) (Packet, error) {
	var p Packet
	if len(b) < MinHeaderLen {
		return p, fmt.Errorf("%w: %d bytes, header needs %d", ErrShort, len(b), MinHeaderLen)
	}
	p.SendStreamID = binary.BigEndian.Uint32(b[0:])
	p.ReceiveStreamID = binary.BigEndian.Uint32(b[4:])
	p.SequenceNum = binary.BigEndian.Uint32(b[8:])
	p.AckThrough = binary.BigEndian.Uint32(b[12:])
	nc := int(b[16])
	off := 17
	if len(b) < MinHeaderLen+4*nc {
		return Packet{}, fmt.Errorf("%w: %d NACKs in %d bytes", ErrShort, nc, len(b))
	}
	if nc > 0 {
		p.NACKs = make([]uint32, nc)
		for i := range p.NACKs {
			p.NACKs[i] = binary.BigEndian.Uint32(b[off+4*i:])
		}
		off += 4 * nc
	}
	p.ResendDelay = b[off]
	p.Flags = Flags(binary.BigEndian.Uint16(b[off+1:]))
	optSize := int(binary.BigEndian.Uint16(b[off+3:]))
	off += 5
	if len(b)-off < optSize {
		return Packet{}, fmt.Errorf("%w: option size %d, %d bytes left", ErrShort, optSize, len(b)-off)
	}
	opt := b[off : off+optSize]
	p.Payload = b[off+optSize:]
	if p.Flags.Has(FlagDelayRequested) {
		if len(opt) < 2 {
			return Packet{}, fmt.Errorf("%w: delay requested option", ErrShort)
		}
		p.DelayRequested = binary.BigEndian.Uint16(opt)
		opt = opt[2:]
	}
	if p.Flags.Has(FlagFromIncluded) {
		d, rest, err := data.ParseDestination(opt)
		if err != nil {
			return Packet{}, fmt.Errorf("%w: from option: %w", ErrMalformed, err)
		}
		p.From, opt = d, rest
	}
	if p.Flags.Has(FlagMaxPacketSizeIncl) {
		if len(opt) < 2 {
			return Packet{}, fmt.Errorf("%w: max packet size option", ErrShort)
		}
		p.MaxPacketSize = binary.BigEndian.Uint16(opt)
		opt = opt[2:]
	}
	if p.Flags.Has(FlagOfflineSignature) {
		if p.From.IsZero() {
			return Packet{}, fmt.Errorf("%w: offline signature without from", ErrMalformed)
		}
		o, rest, err := data.ParseOfflineSignature(opt, p.From.SigType())
		if err != nil {
			return Packet{}, fmt.Errorf("%w: offline signature option: %w", ErrMalformed, err)
		}
		p.Offline, opt = &o, rest
	}
	if p.Flags.Has(FlagSignatureIncluded) {
		if len(opt) == 0 {
			return Packet{}, fmt.Errorf("%w: signature flag without signature", ErrShort)
		}
		if !p.From.IsZero() {
			t := p.From.SigType()
			if p.Offline != nil {
				t = p.Offline.TransientType
			}
			if n := t.SignatureLen(); n != len(opt) {
				return Packet{}, fmt.Errorf("%w: %d signature bytes, %v needs %d", ErrMalformed, len(opt), t, n)
			}
		}
		p.Signature = opt
	}
	return p, nil
}

// AppendBinary appends the encoded packet to b.
func (p Packet) AppendBinary(b []byte) ([]byte, error) {
	if len(p.NACKs) > MaxNACKs {
		return b, fmt.Errorf("%w: %d NACKs, at most %d", ErrMalformed, len(p.NACKs), MaxNACKs)
	}
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, p.SendStreamID)
	b = binary.BigEndian.AppendUint32(b, p.ReceiveStreamID)
	b = binary.BigEndian.AppendUint32(b, p.SequenceNum)
	b = binary.BigEndian.AppendUint32(b, p.AckThrough)
	b = append(b, byte(len(p.NACKs)))
	for _, n := range p.NACKs {
		b = binary.BigEndian.AppendUint32(b, n)
	}
	b = append(b, p.ResendDelay)
	b = binary.BigEndian.AppendUint16(b, uint16(p.Flags))
	sizeAt := len(b)
	b = append(b, 0, 0)
	if p.Flags.Has(FlagDelayRequested) {
		b = binary.BigEndian.AppendUint16(b, p.DelayRequested)
	}
	if p.Flags.Has(FlagFromIncluded) {
		if p.From.IsZero() {
			return b[:start], fmt.Errorf("%w: from flag without destination", ErrMalformed)
		}
		b = append(b, p.From.Bytes()...)
	}
	if p.Flags.Has(FlagMaxPacketSizeIncl) {
		b = binary.BigEndian.AppendUint16(b, p.MaxPacketSize)
	}
	if p.Flags.Has(FlagOfflineSignature) {
		if p.Offline == nil || p.From.IsZero() {
			return b[:start], fmt.Errorf("%w: offline signature flag without block or from", ErrMalformed)
		}
		var err error
		if b, err = p.Offline.AppendBinary(b); err != nil {
			return b[:start], fmt.Errorf("%w: offline signature: %w", ErrMalformed, err)
		}
	}
	if p.Flags.Has(FlagSignatureIncluded) {
		if len(p.Signature) == 0 {
			return b[:start], fmt.Errorf("%w: signature flag without signature", ErrMalformed)
		}
		b = append(b, p.Signature...)
	}
	optSize := len(b) - sizeAt - 2
	if optSize > 0xffff {
		return b[:start], fmt.Errorf("%w: %d bytes of options", ErrMalformed, optSize)
	}
	binary.BigEndian.PutUint16(b[sizeAt:], uint16(optSize))
	return append(b, p.Payload...), nil
}

// AppendSigned sets FlagSignatureIncluded, appends p with a zeroed
// signature of s's length, signs the appended bytes with s and writes the
// signature in place (streaming.rst, SIGNATURE_INCLUDED).
func (p Packet) AppendSigned(b []byte, s crypto.Signer) ([]byte, error) {
	n := s.Type().SignatureLen()
	if n <= 0 {
		return b, fmt.Errorf("streaming: signer type %v has no signature length", s.Type())
	}
	p.Flags |= FlagSignatureIncluded
	var zero [132]byte // longest non-RSA signature (P521)
	if n <= len(zero) {
		p.Signature = zero[:n]
	} else {
		p.Signature = make([]byte, n)
	}
	start := len(b)
	b, err := p.AppendBinary(b)
	if err != nil {
		return b, err
	}
	sig, err := s.Sign(b[start:])
	if err != nil {
		return b[:start], fmt.Errorf("streaming: signing packet: %w", err)
	}
	if len(sig) != n {
		return b[:start], fmt.Errorf("streaming: signer returned %d bytes, want %d", len(sig), n)
	}
	copy(b[len(b)-len(p.Payload)-n:], sig)
	return b, nil
}

// VerifySignature checks p's signature over raw, the exact bytes p was
// parsed from, with the zeroed signature field, using a key of type t.
func (p *Packet) VerifySignature(raw []byte, t crypto.SigType, key []byte) error {
	if !p.Flags.Has(FlagSignatureIncluded) {
		return fmt.Errorf("%w: packet is not signed", ErrBadSignature)
	}
	n := len(p.Signature)
	if n != t.SignatureLen() {
		return fmt.Errorf("%w: %d bytes, %v needs %d", ErrBadSignature, n, t, t.SignatureLen())
	}
	off := len(raw) - len(p.Payload) - n
	if off < MinHeaderLen || !bytes.Equal(raw[off:off+n], p.Signature) {
		return fmt.Errorf("%w: packet does not match its bytes", ErrBadSignature)
	}
	msg := bytes.Clone(raw)
	clear(msg[off : off+n])
	if err := crypto.Verify(t, key, msg, p.Signature); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return nil
}

// SignerKey returns the key that signs packets from dest: the transient
// key of off after checking off against dest and its expiry at now, or
// dest's own key when off is nil.
func SignerKey(dest data.Destination, off *data.OfflineSignature, now time.Time) (crypto.SigType, []byte, error) {
	if off == nil {
		return dest.SigType(), dest.SigningKey(), nil
	}
	if err := off.Verify(dest.SigType(), dest.SigningKey()); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if !now.Before(off.Expires) {
		return 0, nil, fmt.Errorf("%w: offline signature expired at %v", ErrBadSignature, off.Expires)
	}
	return off.TransientType, off.TransientKey, nil
}

// VerifyFrom checks a packet that carries its sender's destination (a SYN
// or a ping): the offline block if any, then the signature over raw.
func (p *Packet) VerifyFrom(raw []byte, now time.Time) error {
	if p.From.IsZero() {
		return fmt.Errorf("%w: no from destination", ErrBadSignature)
	}
	t, key, err := SignerKey(p.From, p.Offline, now)
	if err != nil {
		return err
	}
	return p.VerifySignature(raw, t, key)
}
