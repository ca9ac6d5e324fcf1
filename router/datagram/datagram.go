package datagram

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// I2CP protocol numbers of the datagram types (datagrams.rst, "Overview").
const (
	ProtoDatagram1 uint8 = 17
	ProtoRaw       uint8 = 18
	ProtoDatagram2 uint8 = 19
	ProtoDatagram3 uint8 = 20
)

// Size limits; see the package doc.
const (
	// MaxSize is the largest datagram of any type this package parses
	// or builds: Java's Datagram2/Datagram3 MAX_DGRAM_BUFSIZE.
	MaxSize = 61 * 1024
	// MaxDatagram1Size is the largest Datagram1 NewDatagram1 builds: the
	// receive buffer of Java and i2pd.
	MaxDatagram1Size = 32768
)

// Flag bits of Datagram2 and Datagram3.
const (
	FlagVersionMask uint16 = 0x000f
	FlagOptions     uint16 = 0x0010
	FlagOffline     uint16 = 0x0020 // Datagram2 only
	version2        uint16 = 2
	version3        uint16 = 3
)

// Errors callers may branch on; returned errors wrap them.
var (
	// ErrShort means the input ends inside a field.
	ErrShort = errors.New("datagram: too short")
	// ErrMalformed means a field holds a value the spec forbids: a wrong
	// version, a flag without its field, an unsupported signature type.
	ErrMalformed = errors.New("datagram: malformed")
	// ErrTooLarge means a datagram exceeds MaxSize (or, when building a
	// Datagram1, MaxDatagram1Size).
	ErrTooLarge = errors.New("datagram: too large")
	// ErrSignature means a signature does not verify.
	ErrSignature = errors.New("datagram: bad signature")
	// ErrExpired means a Datagram2's offline signature has expired.
	ErrExpired = errors.New("datagram: offline signature expired")
	// ErrWrongSigner means a signer does not match the key that must
	// sign: the sender's, or the transient key of the offline signature.
	ErrWrongSigner = errors.New("datagram: signer does not match the signing key")
)

// Datagram is any of the four types.
type Datagram interface {
	// Protocol is the I2CP protocol number of the type.
	Protocol() uint8
	// Data is the payload.
	Data() []byte
	AppendBinary(b []byte) ([]byte, error)
}

// Parse parses b as the datagram type of I2CP protocol number proto.
// Signatures are not checked: call Verify on a Datagram1 or Datagram2.
// It fails with ErrMalformed for another protocol number.
func Parse(proto uint8, b []byte) (Datagram, error) {
	switch proto {
	case ProtoRaw:
		return ParseRaw(b)
	case ProtoDatagram1:
		return ParseDatagram1(b)
	case ProtoDatagram2:
		return ParseDatagram2(b)
	case ProtoDatagram3:
		return ParseDatagram3(b)
	}
	return nil, fmt.Errorf("%w: protocol %d is not a datagram", ErrMalformed, proto)
}

func checkSize(n int) error {
	if n > MaxSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, n, MaxSize)
	}
	return nil
}

// Raw is a raw (non-repliable) datagram: only a payload.
type Raw struct{ Payload []byte }

// ParseRaw wraps b, which it aliases. It fails with ErrTooLarge above
// MaxSize.
func ParseRaw(b []byte) (Raw, error) {
	if err := checkSize(len(b)); err != nil {
		return Raw{}, err
	}
	return Raw{Payload: b}, nil
}

// Protocol returns ProtoRaw.
func (Raw) Protocol() uint8 { return ProtoRaw }

// Data returns the payload.
func (r Raw) Data() []byte { return r.Payload }

// AppendBinary appends the payload; ErrTooLarge above MaxSize.
func (r Raw) AppendBinary(b []byte) ([]byte, error) {
	if err := checkSize(len(r.Payload)); err != nil {
		return b, err
	}
	return append(b, r.Payload...), nil
}

// Datagram1 is a repliable datagram (datagrams.rst, "Datagram1").
type Datagram1 struct {
	From      data.Destination
	Signature []byte // From's signature type
	Payload   []byte
}

// ParseDatagram1 parses a Datagram1. Payload aliases b. It fails with
// ErrShort, ErrMalformed (wrapping the data error) for a destination that
// does not parse or has an unsupported signature type, and ErrTooLarge
// above MaxSize.
func ParseDatagram1(b []byte) (Datagram1, error) {
	if err := checkSize(len(b)); err != nil {
		return Datagram1{}, err
	}
	from, rest, err := parseFrom(b)
	if err != nil {
		return Datagram1{}, err
	}
	n := from.SigType().SignatureLen()
	if len(rest) < n {
		return Datagram1{}, fmt.Errorf("%w: %v signature needs %d bytes, have %d", ErrShort, from.SigType(), n, len(rest))
	}
	return Datagram1{From: from, Signature: rest[:n:n], Payload: rest[n:]}, nil
}

func parseFrom(b []byte) (data.Destination, []byte, error) {
	from, rest, err := data.ParseDestination(b)
	if err != nil {
		if errors.Is(err, data.ErrShort) {
			return data.Destination{}, nil, fmt.Errorf("%w: from: %w", ErrShort, err)
		}
		return data.Destination{}, nil, fmt.Errorf("%w: from: %w", ErrMalformed, err)
	}
	if from.SigType().SignatureLen() <= 0 {
		return data.Destination{}, nil, fmt.Errorf("%w: from has unsupported %v", ErrMalformed, from.SigType())
	}
	return from, rest, nil
}

// datagram1Message is what a Datagram1 signature covers.
func datagram1Message(t crypto.SigType, payload []byte) []byte {
	if t == crypto.SigDSASHA1 {
		h := sha256.Sum256(payload)
		return h[:]
	}
	return payload
}

// NewDatagram1 signs payload as from, with s, the signer of from's signing
// key. It fails with ErrWrongSigner if s does not match, ErrTooLarge if
// the datagram would exceed MaxDatagram1Size, and with s's error.
func NewDatagram1(from data.Destination, s crypto.Signer, payload []byte) (Datagram1, error) {
	if s.Type() != from.SigType() || !bytes.Equal(s.Public(), from.SigningKey()) {
		return Datagram1{}, fmt.Errorf("%w: %v signer for a %v destination", ErrWrongSigner, s.Type(), from.SigType())
	}
	if n := from.Len() + from.SigType().SignatureLen() + len(payload); n > MaxDatagram1Size {
		return Datagram1{}, fmt.Errorf("%w: Datagram1 of %d bytes, at most %d", ErrTooLarge, n, MaxDatagram1Size)
	}
	sig, err := s.Sign(datagram1Message(s.Type(), payload))
	if err != nil {
		return Datagram1{}, fmt.Errorf("datagram: signing: %w", err)
	}
	return Datagram1{From: from, Signature: sig, Payload: payload}, nil
}

// Verify checks the signature with From's signing key; ErrSignature if it
// does not verify.
func (d Datagram1) Verify() error {
	if err := d.From.Verify(datagram1Message(d.From.SigType(), d.Payload), d.Signature); err != nil {
		return fmt.Errorf("%w: Datagram1 from %v: %w", ErrSignature, d.From.Hash(), err)
	}
	return nil
}

// Protocol returns ProtoDatagram1.
func (Datagram1) Protocol() uint8 { return ProtoDatagram1 }

// Data returns the payload.
func (d Datagram1) Data() []byte { return d.Payload }

// AppendBinary appends the datagram. It fails with ErrMalformed for a
// missing destination or a signature of the wrong length, ErrTooLarge
// above MaxSize.
func (d Datagram1) AppendBinary(b []byte) ([]byte, error) {
	if d.From.IsZero() {
		return b, fmt.Errorf("%w: no from destination", ErrMalformed)
	}
	if n := d.From.SigType().SignatureLen(); len(d.Signature) != n {
		return b, fmt.Errorf("%w: signature of %d bytes, %v needs %d", ErrMalformed, len(d.Signature), d.From.SigType(), n)
	}
	if err := checkSize(d.From.Len() + len(d.Signature) + len(d.Payload)); err != nil {
		return b, err
	}
	b = append(b, d.From.Bytes()...)
	b = append(b, d.Signature...)
	return append(b, d.Payload...), nil
}

// Datagram2 is a repliable, authenticated datagram with replay prevention
// (datagrams.rst, "Datagram2").
type Datagram2 struct {
	From data.Destination
	// Flags as received or to be sent: version 2, FlagOptions and
	// FlagOffline matching Options and Offline; other bits are kept.
	Flags uint16
	// Options is present when Flags has FlagOptions (it may then be
	// empty).
	Options data.Mapping
	// Offline, when set (FlagOffline), authorizes the transient key that
	// made Signature.
	Offline   *data.OfflineSignature
	Payload   []byte
	Signature []byte
	// signed is flags through payload as received (or built), which the
	// signature covers after the target hash.
	signed []byte
}

// ParseDatagram2 parses a Datagram2. Payload and Signature alias b. It
// fails with ErrShort, ErrMalformed for a version other than 2, an
// options Mapping or offline signature that does not parse, or an
// unsupported signature type, and ErrTooLarge above MaxSize.
func ParseDatagram2(b []byte) (Datagram2, error) {
	if err := checkSize(len(b)); err != nil {
		return Datagram2{}, err
	}
	from, rest, err := parseFrom(b)
	if err != nil {
		return Datagram2{}, err
	}
	d := Datagram2{From: from}
	signedStart := rest
	flags, rest, err := parseFlags(rest, version2)
	if err != nil {
		return Datagram2{}, err
	}
	d.Flags = flags
	if d.Options, rest, err = parseOptions(flags, rest); err != nil {
		return Datagram2{}, err
	}
	sigType := from.SigType()
	if flags&FlagOffline != 0 {
		o, r, err := data.ParseOfflineSignature(rest, from.SigType())
		if err != nil {
			if errors.Is(err, data.ErrShort) {
				return Datagram2{}, fmt.Errorf("%w: offline signature: %w", ErrShort, err)
			}
			return Datagram2{}, fmt.Errorf("%w: offline signature: %w", ErrMalformed, err)
		}
		if o.TransientType.SignatureLen() <= 0 {
			return Datagram2{}, fmt.Errorf("%w: transient %v", ErrMalformed, o.TransientType)
		}
		d.Offline, rest, sigType = &o, r, o.TransientType
	}
	n := sigType.SignatureLen()
	if len(rest) < n {
		return Datagram2{}, fmt.Errorf("%w: %v signature needs %d bytes, have %d", ErrShort, sigType, n, len(rest))
	}
	d.Payload = rest[: len(rest)-n : len(rest)-n]
	d.Signature = rest[len(rest)-n:]
	d.signed = signedStart[: len(signedStart)-n : len(signedStart)-n]
	return d, nil
}

func parseFlags(b []byte, version uint16) (uint16, []byte, error) {
	if len(b) < 2 {
		return 0, nil, fmt.Errorf("%w: flags", ErrShort)
	}
	f := binary.BigEndian.Uint16(b)
	if v := f & FlagVersionMask; v != version {
		return 0, nil, fmt.Errorf("%w: version %d, want %d", ErrMalformed, v, version)
	}
	return f, b[2:], nil
}

func parseOptions(flags uint16, b []byte) (data.Mapping, []byte, error) {
	if flags&FlagOptions == 0 {
		return data.Mapping{}, b, nil
	}
	m, rest, err := data.ParseMapping(b)
	if err != nil {
		if errors.Is(err, data.ErrShort) {
			return data.Mapping{}, nil, fmt.Errorf("%w: options: %w", ErrShort, err)
		}
		return data.Mapping{}, nil, fmt.Errorf("%w: options: %w", ErrMalformed, err)
	}
	return m, rest, nil
}

// appendHeader appends flags, options and the offline block, checking
// that the flags match the fields.
func appendHeader(b []byte, flags uint16, version uint16, opts data.Mapping, offline *data.OfflineSignature) ([]byte, error) {
	if v := flags & FlagVersionMask; v != version {
		return b, fmt.Errorf("%w: version %d, want %d", ErrMalformed, v, version)
	}
	if flags&FlagOptions == 0 && opts.Len() > 0 {
		return b, fmt.Errorf("%w: options without FlagOptions", ErrMalformed)
	}
	if version == version2 && (flags&FlagOffline != 0) != (offline != nil) {
		return b, fmt.Errorf("%w: FlagOffline does not match the offline signature", ErrMalformed)
	}
	b = binary.BigEndian.AppendUint16(b, flags)
	var err error
	if flags&FlagOptions != 0 {
		if b, err = opts.AppendBinary(b); err != nil {
			return b, fmt.Errorf("%w: options: %w", ErrMalformed, err)
		}
	}
	if offline != nil {
		if b, err = offline.AppendBinary(b); err != nil {
			return b, fmt.Errorf("%w: offline signature: %w", ErrMalformed, err)
		}
	}
	return b, nil
}

// NewDatagram2 builds and signs a Datagram2 from from to the destination
// whose hash is to. opts are optional (a zero Mapping means none). With
// offline nil, s must be from's signer; otherwise offline is from's
// offline signature and s the transient key's signer. It fails with
// ErrWrongSigner, ErrTooLarge above MaxSize, and with s's or the
// encoding's error.
func NewDatagram2(from data.Destination, s crypto.Signer, to data.Hash, opts data.Mapping, offline *data.OfflineSignature, payload []byte) (Datagram2, error) {
	wantType, wantKey := from.SigType(), from.SigningKey()
	flags := version2
	if offline != nil {
		wantType, wantKey = offline.TransientType, offline.TransientKey
		flags |= FlagOffline
	}
	if s.Type() != wantType || !bytes.Equal(s.Public(), wantKey) {
		return Datagram2{}, fmt.Errorf("%w: %v signer, want the %v key", ErrWrongSigner, s.Type(), wantType)
	}
	if opts.Len() > 0 {
		flags |= FlagOptions
	}
	msg := append(make([]byte, 0, 64+len(payload)), to[:]...)
	msg, err := appendHeader(msg, flags, version2, opts, offline)
	if err != nil {
		return Datagram2{}, err
	}
	msg = append(msg, payload...)
	if err := checkSize(from.Len() + len(msg) - len(to) + wantType.SignatureLen()); err != nil {
		return Datagram2{}, err
	}
	sig, err := s.Sign(msg)
	if err != nil {
		return Datagram2{}, fmt.Errorf("datagram: signing: %w", err)
	}
	signed := msg[len(to):]
	return Datagram2{
		From: from, Flags: flags, Options: opts, Offline: offline,
		Payload: signed[len(signed)-len(payload):], Signature: sig, signed: signed,
	}, nil
}

// Verify checks d as the datagram's recipient, whose destination hash is
// to: the offline signature (by From's key, and unexpired at now) if
// there is one, then the signature over to and the signed fields as
// received. It fails with ErrExpired, ErrSignature (also for a datagram
// meant for another destination), or ErrMalformed for a Datagram2 that
// was neither parsed nor built here.
func (d Datagram2) Verify(to data.Hash, now time.Time) error {
	signed := d.signed
	if signed == nil {
		return fmt.Errorf("%w: Datagram2 was neither parsed nor signed", ErrMalformed)
	}
	t, key := d.From.SigType(), d.From.SigningKey()
	if d.Offline != nil {
		if !now.Before(d.Offline.Expires) {
			return fmt.Errorf("%w: at %v", ErrExpired, d.Offline.Expires)
		}
		if err := d.Offline.Verify(t, key); err != nil {
			return fmt.Errorf("%w: offline signature of %v: %w", ErrSignature, d.From.Hash(), err)
		}
		t, key = d.Offline.TransientType, d.Offline.TransientKey
	}
	msg := make([]byte, 0, len(to)+len(signed))
	msg = append(append(msg, to[:]...), signed...)
	if err := crypto.Verify(t, key, msg, d.Signature); err != nil {
		return fmt.Errorf("%w: Datagram2 from %v: %w", ErrSignature, d.From.Hash(), err)
	}
	return nil
}

// Protocol returns ProtoDatagram2.
func (Datagram2) Protocol() uint8 { return ProtoDatagram2 }

// Data returns the payload.
func (d Datagram2) Data() []byte { return d.Payload }

// AppendBinary appends the datagram: From, then the signed fields as
// received or built (re-encoded from the fields if there are none), then
// the signature. It fails with ErrMalformed for a missing destination, a
// signature of the wrong length or flags that do not match the fields,
// and ErrTooLarge above MaxSize.
func (d Datagram2) AppendBinary(b []byte) ([]byte, error) {
	if d.From.IsZero() {
		return b, fmt.Errorf("%w: no from destination", ErrMalformed)
	}
	t := d.From.SigType()
	if d.Offline != nil {
		t = d.Offline.TransientType
	}
	if n := t.SignatureLen(); len(d.Signature) != n {
		return b, fmt.Errorf("%w: signature of %d bytes, %v needs %d", ErrMalformed, len(d.Signature), t, n)
	}
	signed := d.signed
	if signed == nil {
		var err error
		if signed, err = appendHeader(nil, d.Flags, version2, d.Options, d.Offline); err != nil {
			return b, err
		}
		signed = append(signed, d.Payload...)
	}
	if err := checkSize(d.From.Len() + len(signed) + len(d.Signature)); err != nil {
		return b, err
	}
	b = append(b, d.From.Bytes()...)
	b = append(b, signed...)
	return append(b, d.Signature...), nil
}

// Datagram3 is a repliable, unauthenticated datagram (datagrams.rst,
// "Datagram3"): the sender's hash, not its destination, and no signature.
type Datagram3 struct {
	From data.Hash
	// Flags: version 3, FlagOptions matching Options; other bits kept.
	Flags   uint16
	Options data.Mapping
	Payload []byte
}

// NewDatagram3 returns a Datagram3 from the destination hash from, with
// options if opts is not empty.
func NewDatagram3(from data.Hash, opts data.Mapping, payload []byte) Datagram3 {
	d := Datagram3{From: from, Flags: version3, Options: opts, Payload: payload}
	if opts.Len() > 0 {
		d.Flags |= FlagOptions
	}
	return d
}

// ParseDatagram3 parses a Datagram3. Payload aliases b. It fails with
// ErrShort, ErrMalformed for a version other than 3 or options that do
// not parse, and ErrTooLarge above MaxSize.
func ParseDatagram3(b []byte) (Datagram3, error) {
	if err := checkSize(len(b)); err != nil {
		return Datagram3{}, err
	}
	var d Datagram3
	if len(b) < len(d.From) {
		return Datagram3{}, fmt.Errorf("%w: from hash", ErrShort)
	}
	copy(d.From[:], b)
	flags, rest, err := parseFlags(b[len(d.From):], version3)
	if err != nil {
		return Datagram3{}, err
	}
	d.Flags = flags
	if d.Options, rest, err = parseOptions(flags, rest); err != nil {
		return Datagram3{}, err
	}
	d.Payload = rest
	return d, nil
}

// Protocol returns ProtoDatagram3.
func (Datagram3) Protocol() uint8 { return ProtoDatagram3 }

// Data returns the payload.
func (d Datagram3) Data() []byte { return d.Payload }

// AppendBinary appends the datagram. It fails with ErrMalformed for flags
// that do not match the fields and ErrTooLarge above MaxSize.
func (d Datagram3) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, d.From[:]...)
	b, err := appendHeader(b, d.Flags, version3, d.Options, nil)
	if err != nil {
		return b[:start], err
	}
	b = append(b, d.Payload...)
	if err := checkSize(len(b) - start); err != nil {
		return b[:start], err
	}
	return b, nil
}
