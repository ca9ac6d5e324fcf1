package i2cp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// ProtocolByte is the byte a client sends first, before any message.
const ProtocolByte = 0x2a

// Message types (i2cp.rst, "Message Types").
const (
	TypeCreateSession           = 1
	TypeReconfigureSession      = 2
	TypeDestroySession          = 3
	TypeCreateLeaseSet          = 4
	TypeSendMessage             = 5
	TypeReceiveMessageBegin     = 6
	TypeReceiveMessageEnd       = 7
	TypeGetBandwidthLimits      = 8
	TypeSessionStatus           = 20
	TypeRequestLeaseSet         = 21
	TypeMessageStatus           = 22
	TypeBandwidthLimits         = 23
	TypeReportAbuse             = 29
	TypeDisconnect              = 30
	TypeMessagePayload          = 31
	TypeGetDate                 = 32
	TypeSetDate                 = 33
	TypeDestLookup              = 34
	TypeDestReply               = 35
	TypeSendMessageExpires      = 36
	TypeRequestVariableLeaseSet = 37
	TypeHostLookup              = 38
	TypeHostReply               = 39
	TypeCreateLeaseSet2         = 41
	TypeBlindingInfo            = 42
)

// Limits.
const (
	// HeaderLen is the message header: 4-byte body length, type byte.
	HeaderLen = 5
	// MaxMessageLen is the largest body we take or make: a SendMessage
	// with a 64 KiB payload, a destination with a large certificate and
	// the fixed fields ("about 64 KB", i2cp.rst "I2CP message header").
	MaxMessageLen = 64<<10 + 2048
	// NoSession is the session ID of a message for no session.
	NoSession SessionID = 0xffff
)

// SessionID identifies a session on the router (i2cp.rst "Session ID").
type SessionID uint16

// MessageID is a router-made message number (i2cp.rst "Message ID").
type MessageID uint32

// Errors of the codec.
var (
	// ErrShort means the bytes end inside a field.
	ErrShort = errors.New("i2cp: message too short")
	// ErrTrailing means bytes follow the last field.
	ErrTrailing = errors.New("i2cp: bytes after the message")
	// ErrTooLarge means a message or payload over the limits.
	ErrTooLarge = errors.New("i2cp: message too large")
	// ErrUnknownType means a type byte we do not know.
	ErrUnknownType = errors.New("i2cp: unknown message type")
	// ErrMalformed means a field with a bad value.
	ErrMalformed = errors.New("i2cp: malformed message")
)

// Message is one I2CP message body.
type Message interface {
	// Type is the message type byte.
	Type() uint8
	// AppendBinary appends the body (without the header).
	AppendBinary(b []byte) ([]byte, error)
}

// AppendFrame appends m with its header.
func AppendFrame(b []byte, m Message) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0, m.Type())
	b, err := m.AppendBinary(b)
	if err != nil {
		return b[:start], err
	}
	n := len(b) - start - HeaderLen
	if n > MaxMessageLen {
		return b[:start], fmt.Errorf("%w: %d-byte %T", ErrTooLarge, n, m)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

// ReadFrame reads one message header and body from r into buf (reused if
// large enough) and returns the type and the body, which aliases buf. It
// fails with ErrTooLarge, before reading the body, when the header
// announces more than MaxMessageLen bytes.
func ReadFrame(r io.Reader, buf []byte) (uint8, []byte, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[:4])
	if n > MaxMessageLen {
		return h[4], nil, fmt.Errorf("%w: %d-byte body announced, at most %d", ErrTooLarge, n, MaxMessageLen)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return h[4], nil, err
	}
	return h[4], buf, nil
}

// Parse parses a message body of type t. The result does not alias b.
func Parse(t uint8, b []byte) (Message, error) {
	if len(b) > MaxMessageLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	b = append([]byte(nil), b...)
	r := &reader{b: b}
	var m Message
	switch t {
	case TypeCreateSession:
		c, err := parseSessionConfig(r)
		if err != nil {
			return nil, err
		}
		m = &CreateSession{Config: c}
	case TypeReconfigureSession:
		id := r.sessionID()
		c, err := parseSessionConfig(r)
		if err != nil {
			return nil, err
		}
		m = &ReconfigureSession{Session: id, Config: c}
	case TypeDestroySession:
		m = &DestroySession{Session: r.sessionID()}
	case TypeCreateLeaseSet:
		m = &CreateLeaseSet{Session: r.sessionID(), Rest: r.rest()}
	case TypeSendMessage, TypeSendMessageExpires:
		s := &SendMessage{Session: r.sessionID(), Expires: t == TypeSendMessageExpires}
		s.Destination = r.destination()
		s.Payload = r.payload()
		s.Nonce = r.u32()
		if s.Expires {
			s.Flags = r.u16()
			s.Expiration = r.u48()
		}
		m = s
	case TypeReceiveMessageBegin:
		m = &ReceiveMessageBegin{Session: r.sessionID(), Message: MessageID(r.u32())}
	case TypeReceiveMessageEnd:
		m = &ReceiveMessageEnd{Session: r.sessionID(), Message: MessageID(r.u32())}
	case TypeGetBandwidthLimits:
		m = &GetBandwidthLimits{}
	case TypeSessionStatus:
		m = &SessionStatus{Session: r.sessionID(), Status: SessionState(r.u8())}
	case TypeMessageStatus:
		m = &MessageStatus{Session: r.sessionID(), Message: MessageID(r.u32()), Status: DeliveryStatus(r.u8()), Size: r.u32(), Nonce: r.u32()}
	case TypeBandwidthLimits:
		var bl BandwidthLimits
		for i := range bl.Values {
			bl.Values[i] = r.u32()
		}
		m = &bl
	case TypeDisconnect:
		m = &Disconnect{Reason: r.str()}
	case TypeMessagePayload:
		m = &MessagePayload{Session: r.sessionID(), Message: MessageID(r.u32()), Payload: r.payload()}
	case TypeGetDate:
		g := &GetDate{}
		if len(r.b) > 0 {
			g.Version = r.str()
		}
		if len(r.b) > 0 && r.err == nil {
			mp, rest, err := data.ParseMapping(r.b)
			if err != nil {
				return nil, fmt.Errorf("i2cp: GetDate options: %w", err)
			}
			g.Options, r.b = &mp, rest
		}
		m = g
	case TypeSetDate:
		s := &SetDate{Date: data.Date(r.u64())}
		if len(r.b) > 0 {
			s.Version = r.str()
		}
		m = s
	case TypeDestLookup:
		m = &DestLookup{Hash: r.hash()}
	case TypeDestReply:
		d := &DestReply{}
		switch {
		case len(r.b) == 0:
		case len(r.b) == 32:
			d.Hash = r.hash()
		default:
			d.Destination = r.destination()
		}
		m = d
	case TypeRequestVariableLeaseSet:
		q := &RequestVariableLeaseSet{Session: r.sessionID()}
		n := int(r.u8())
		if n > data.MaxLeases {
			return nil, fmt.Errorf("%w: %d leases", ErrMalformed, n)
		}
		for range n {
			if r.err != nil {
				break
			}
			l, rest, err := data.ParseLease(r.b)
			if err != nil {
				r.fail(err)
				break
			}
			q.Leases, r.b = append(q.Leases, l), rest
		}
		m = q
	case TypeHostLookup:
		h := &HostLookup{Session: r.sessionID(), Request: r.u32(), Timeout: r.u32(), Kind: LookupKind(r.u8())}
		switch h.Kind {
		case LookupHash, LookupHashOptions:
			h.Hash = r.hash()
		case LookupName, LookupNameOptions:
			h.Name = r.str()
		case LookupDestination:
			h.Destination = r.destination()
		default:
			h.Unknown = r.rest()
		}
		m = h
	case TypeHostReply:
		h := &HostReply{Session: r.sessionID(), Request: r.u32(), Result: HostResult(r.u8())}
		if len(r.b) > 0 && r.err == nil {
			h.Destination = r.destination()
		}
		if len(r.b) > 0 && r.err == nil {
			mp, rest, err := data.ParseMapping(r.b)
			if err != nil {
				return nil, fmt.Errorf("i2cp: HostReply options: %w", err)
			}
			h.Options, r.b = &mp, rest
		}
		m = h
	case TypeCreateLeaseSet2:
		c, err := parseCreateLeaseSet2(r)
		if err != nil {
			return nil, err
		}
		m = c
	case TypeBlindingInfo:
		m = &BlindingInfo{Session: r.sessionID(), Rest: r.rest()}
	default:
		return nil, fmt.Errorf("%w %d", ErrUnknownType, t)
	}
	if r.err != nil {
		return nil, fmt.Errorf("i2cp: type %d: %w", t, r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after type %d", ErrTrailing, len(r.b), t)
	}
	return m, nil
}

// SessionConfig is what CreateSession and ReconfigureSession carry
// (i2cp.rst "Session Config"). Signed is the received bytes of the first
// three fields, which Signature covers; Verify checks it with the
// destination's signing key.
type SessionConfig struct {
	Destination data.Destination
	Options     data.Mapping
	Date        data.Date
	Signature   []byte
	Signed      []byte
}

func parseSessionConfig(r *reader) (SessionConfig, error) {
	start := r.b
	var c SessionConfig
	c.Destination = r.destination()
	if r.err != nil {
		return c, r.err
	}
	mp, rest, err := data.ParseMapping(r.b)
	if err != nil {
		return c, fmt.Errorf("i2cp: session options: %w", err)
	}
	c.Options, r.b = mp, rest
	c.Date = data.Date(r.u64())
	if r.err != nil {
		return c, r.err
	}
	c.Signed = start[:len(start)-len(r.b)]
	n := c.Destination.SigType().SignatureLen()
	if n <= 0 {
		return c, fmt.Errorf("%w: signature type %d", ErrMalformed, uint16(c.Destination.SigType()))
	}
	c.Signature = r.bytes(n)
	return c, r.err
}

// Sign fills Signed and Signature, signing with sign (the client's side;
// for tests and the interop test client).
func (c *SessionConfig) Sign(sign func([]byte) ([]byte, error)) error {
	b := append([]byte(nil), c.Destination.Bytes()...)
	b, err := c.Options.Sorted().AppendBinary(b)
	if err != nil {
		return err
	}
	b, _ = c.Date.AppendBinary(b)
	sig, err := sign(b)
	if err != nil {
		return err
	}
	c.Signed, c.Signature = b, sig
	return nil
}

// Verify checks Signature over Signed with the destination's key.
func (c *SessionConfig) Verify() error {
	if c.Signed == nil {
		return fmt.Errorf("%w: session config not signed", ErrMalformed)
	}
	if err := c.Destination.Verify(c.Signed, c.Signature); err != nil {
		return fmt.Errorf("i2cp: session config signature: %w", err)
	}
	return nil
}

func (c *SessionConfig) appendBinary(b []byte) ([]byte, error) {
	if c.Signed == nil {
		return b, fmt.Errorf("%w: session config not signed", ErrMalformed)
	}
	b = append(b, c.Signed...)
	return append(b, c.Signature...), nil
}

// CreateSession (type 1).
type CreateSession struct{ Config SessionConfig }

func (*CreateSession) Type() uint8 { return TypeCreateSession }
func (m *CreateSession) AppendBinary(b []byte) ([]byte, error) {
	return m.Config.appendBinary(b)
}

// ReconfigureSession (type 2).
type ReconfigureSession struct {
	Session SessionID
	Config  SessionConfig
}

func (*ReconfigureSession) Type() uint8 { return TypeReconfigureSession }
func (m *ReconfigureSession) AppendBinary(b []byte) ([]byte, error) {
	return m.Config.appendBinary(binary.BigEndian.AppendUint16(b, uint16(m.Session)))
}

// DestroySession (type 3).
type DestroySession struct{ Session SessionID }

func (*DestroySession) Type() uint8 { return TypeDestroySession }
func (m *DestroySession) AppendBinary(b []byte) ([]byte, error) {
	return binary.BigEndian.AppendUint16(b, uint16(m.Session)), nil
}

// CreateLeaseSet (type 4, deprecated): kept undecoded, as we refuse it.
type CreateLeaseSet struct {
	Session SessionID
	Rest    []byte
}

func (*CreateLeaseSet) Type() uint8 { return TypeCreateLeaseSet }
func (m *CreateLeaseSet) AppendBinary(b []byte) ([]byte, error) {
	return append(binary.BigEndian.AppendUint16(b, uint16(m.Session)), m.Rest...), nil
}

// SendMessage is type 5, or type 36 (SendMessageExpires) when Expires is
// set, with Flags and the 6-byte Expiration (ms since the epoch).
type SendMessage struct {
	Session     SessionID
	Destination data.Destination
	Payload     []byte
	Nonce       uint32
	Expires     bool
	Flags       uint16
	Expiration  uint64
}

func (m *SendMessage) Type() uint8 {
	if m.Expires {
		return TypeSendMessageExpires
	}
	return TypeSendMessage
}

func (m *SendMessage) AppendBinary(b []byte) ([]byte, error) {
	if m.Destination.IsZero() {
		return b, fmt.Errorf("%w: SendMessage without destination", ErrMalformed)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(m.Session))
	b = append(b, m.Destination.Bytes()...)
	b, err := appendPayload(b, m.Payload)
	if err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint32(b, m.Nonce)
	if m.Expires {
		if m.Expiration >= 1<<48 {
			return b, fmt.Errorf("%w: expiration %d", ErrMalformed, m.Expiration)
		}
		b = binary.BigEndian.AppendUint16(b, m.Flags)
		b = append(b, byte(m.Expiration>>40), byte(m.Expiration>>32), byte(m.Expiration>>24), byte(m.Expiration>>16), byte(m.Expiration>>8), byte(m.Expiration))
	}
	return b, nil
}

// ExpiresAt is the expiration as a time; zero when none.
func (m *SendMessage) ExpiresAt() time.Time {
	if !m.Expires || m.Expiration == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m.Expiration))
}

// ReceiveMessageBegin (type 6, deprecated).
type ReceiveMessageBegin struct {
	Session SessionID
	Message MessageID
}

func (*ReceiveMessageBegin) Type() uint8 { return TypeReceiveMessageBegin }
func (m *ReceiveMessageBegin) AppendBinary(b []byte) ([]byte, error) {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(b, uint16(m.Session)), uint32(m.Message)), nil
}

// ReceiveMessageEnd (type 7, deprecated).
type ReceiveMessageEnd struct {
	Session SessionID
	Message MessageID
}

func (*ReceiveMessageEnd) Type() uint8 { return TypeReceiveMessageEnd }
func (m *ReceiveMessageEnd) AppendBinary(b []byte) ([]byte, error) {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(b, uint16(m.Session)), uint32(m.Message)), nil
}

// GetBandwidthLimits (type 8).
type GetBandwidthLimits struct{}

func (*GetBandwidthLimits) Type() uint8                           { return TypeGetBandwidthLimits }
func (*GetBandwidthLimits) AppendBinary(b []byte) ([]byte, error) { return b, nil }

// SessionState is a SessionStatus status.
type SessionState uint8

// Session states (i2cp.rst "SessionStatusMessage").
const (
	SessionDestroyed SessionState = 0
	SessionCreated   SessionState = 1
	SessionUpdated   SessionState = 2
	SessionInvalid   SessionState = 3
	SessionRefused   SessionState = 4
)

// SessionStatus (type 20).
type SessionStatus struct {
	Session SessionID
	Status  SessionState
}

func (*SessionStatus) Type() uint8 { return TypeSessionStatus }
func (m *SessionStatus) AppendBinary(b []byte) ([]byte, error) {
	return append(binary.BigEndian.AppendUint16(b, uint16(m.Session)), byte(m.Status)), nil
}

// DeliveryStatus is a MessageStatus status.
type DeliveryStatus uint8

// Message statuses (i2cp.rst "MessageStatusMessage").
const (
	StatusAvailable             DeliveryStatus = 0
	StatusAccepted              DeliveryStatus = 1
	StatusBestEffortSuccess     DeliveryStatus = 2
	StatusBestEffortFailure     DeliveryStatus = 3
	StatusGuaranteedSuccess     DeliveryStatus = 4
	StatusGuaranteedFailure     DeliveryStatus = 5
	StatusLocalSuccess          DeliveryStatus = 6
	StatusLocalFailure          DeliveryStatus = 7
	StatusRouterFailure         DeliveryStatus = 8
	StatusNetworkFailure        DeliveryStatus = 9
	StatusBadSession            DeliveryStatus = 10
	StatusBadMessage            DeliveryStatus = 11
	StatusBadOptions            DeliveryStatus = 12
	StatusOverflowFailure       DeliveryStatus = 13
	StatusMessageExpired        DeliveryStatus = 14
	StatusBadLocalLeaseSet      DeliveryStatus = 15
	StatusNoLocalTunnels        DeliveryStatus = 16
	StatusUnsupportedEncryption DeliveryStatus = 17
	StatusBadDestination        DeliveryStatus = 18
	StatusBadLeaseSet           DeliveryStatus = 19
	StatusExpiredLeaseSet       DeliveryStatus = 20
	StatusNoLeaseSet            DeliveryStatus = 21
	StatusMetaLeaseSet          DeliveryStatus = 22
	StatusLoopbackDenied        DeliveryStatus = 23
)

// Success reports whether the status means an outgoing message went
// out (1, 2, 4 and 6).
func (s DeliveryStatus) Success() bool {
	return s == StatusAccepted || s == StatusBestEffortSuccess || s == StatusGuaranteedSuccess || s == StatusLocalSuccess
}

// MessageStatus (type 22).
type MessageStatus struct {
	Session SessionID
	Message MessageID
	Status  DeliveryStatus
	Size    uint32
	Nonce   uint32
}

func (*MessageStatus) Type() uint8 { return TypeMessageStatus }
func (m *MessageStatus) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Session))
	b = binary.BigEndian.AppendUint32(b, uint32(m.Message))
	b = append(b, byte(m.Status))
	b = binary.BigEndian.AppendUint32(b, m.Size)
	return binary.BigEndian.AppendUint32(b, m.Nonce), nil
}

// BandwidthLimits (type 23): client in, client out, router in, router in
// burst, router out, router out burst (KBps), burst time (s), and nine
// undefined values.
type BandwidthLimits struct{ Values [16]uint32 }

func (*BandwidthLimits) Type() uint8 { return TypeBandwidthLimits }
func (m *BandwidthLimits) AppendBinary(b []byte) ([]byte, error) {
	for _, v := range m.Values {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b, nil
}

// Disconnect (type 30).
type Disconnect struct{ Reason string }

func (*Disconnect) Type() uint8 { return TypeDisconnect }
func (m *Disconnect) AppendBinary(b []byte) ([]byte, error) {
	r := m.Reason
	if len(r) > 255 {
		r = r[:255]
	}
	return data.AppendString(b, r)
}

// MessagePayload (type 31).
type MessagePayload struct {
	Session SessionID
	Message MessageID
	Payload []byte
}

func (*MessagePayload) Type() uint8 { return TypeMessagePayload }
func (m *MessagePayload) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Session))
	b = binary.BigEndian.AppendUint32(b, uint32(m.Message))
	return appendPayload(b, m.Payload)
}

// GetDate (type 32). Options is the optional authentication mapping.
type GetDate struct {
	Version string
	Options *data.Mapping
}

func (*GetDate) Type() uint8 { return TypeGetDate }
func (m *GetDate) AppendBinary(b []byte) ([]byte, error) {
	b, err := data.AppendString(b, m.Version)
	if err != nil || m.Options == nil {
		return b, err
	}
	return m.Options.AppendBinary(b)
}

// SetDate (type 33).
type SetDate struct {
	Date    data.Date
	Version string
}

func (*SetDate) Type() uint8 { return TypeSetDate }
func (m *SetDate) AppendBinary(b []byte) ([]byte, error) {
	b, _ = m.Date.AppendBinary(b)
	return data.AppendString(b, m.Version)
}

// DestLookup (type 34).
type DestLookup struct{ Hash data.Hash }

func (*DestLookup) Type() uint8 { return TypeDestLookup }
func (m *DestLookup) AppendBinary(b []byte) ([]byte, error) {
	return append(b, m.Hash[:]...), nil
}

// DestReply (type 35): the Destination on success, else the Hash looked
// up (or nothing, from old routers).
type DestReply struct {
	Destination data.Destination
	Hash        data.Hash
}

func (*DestReply) Type() uint8 { return TypeDestReply }
func (m *DestReply) AppendBinary(b []byte) ([]byte, error) {
	if !m.Destination.IsZero() {
		return append(b, m.Destination.Bytes()...), nil
	}
	if m.Hash.IsZero() {
		return b, nil
	}
	return append(b, m.Hash[:]...), nil
}

// RequestVariableLeaseSet (type 37).
type RequestVariableLeaseSet struct {
	Session SessionID
	Leases  []data.Lease
}

func (*RequestVariableLeaseSet) Type() uint8 { return TypeRequestVariableLeaseSet }
func (m *RequestVariableLeaseSet) AppendBinary(b []byte) ([]byte, error) {
	if len(m.Leases) > data.MaxLeases {
		return b, fmt.Errorf("%w: %d leases", ErrMalformed, len(m.Leases))
	}
	b = append(binary.BigEndian.AppendUint16(b, uint16(m.Session)), byte(len(m.Leases)))
	for _, l := range m.Leases {
		var err error
		if b, err = l.AppendBinary(b); err != nil {
			return b, err
		}
	}
	return b, nil
}

// LookupKind is a HostLookup request type.
type LookupKind uint8

// HostLookup request types.
const (
	LookupHash        LookupKind = 0
	LookupName        LookupKind = 1
	LookupHashOptions LookupKind = 2
	LookupNameOptions LookupKind = 3
	LookupDestination LookupKind = 4
)

// HostLookup (type 38). Unknown holds the key of an unknown Kind.
type HostLookup struct {
	Session     SessionID
	Request     uint32
	Timeout     uint32 // ms
	Kind        LookupKind
	Hash        data.Hash
	Name        string
	Destination data.Destination
	Unknown     []byte
}

func (*HostLookup) Type() uint8 { return TypeHostLookup }
func (m *HostLookup) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Session))
	b = binary.BigEndian.AppendUint32(b, m.Request)
	b = binary.BigEndian.AppendUint32(b, m.Timeout)
	b = append(b, byte(m.Kind))
	switch m.Kind {
	case LookupHash, LookupHashOptions:
		return append(b, m.Hash[:]...), nil
	case LookupName, LookupNameOptions:
		return data.AppendString(b, m.Name)
	case LookupDestination:
		if m.Destination.IsZero() {
			return b, fmt.Errorf("%w: HostLookup without destination", ErrMalformed)
		}
		return append(b, m.Destination.Bytes()...), nil
	}
	return append(b, m.Unknown...), nil
}

// HostResult is a HostReply result code.
type HostResult uint8

// HostReply result codes.
const (
	HostSuccess         HostResult = 0
	HostFailure         HostResult = 1
	HostNeedPassword    HostResult = 2
	HostNeedKey         HostResult = 3
	HostNeedBoth        HostResult = 4
	HostDecryptFailure  HostResult = 5
	HostLeaseSetFailure HostResult = 6
	HostUnsupported     HostResult = 7
)

// HostReply (type 39).
type HostReply struct {
	Session     SessionID
	Request     uint32
	Result      HostResult
	Destination data.Destination // zero: absent
	Options     *data.Mapping    // nil: absent
}

func (*HostReply) Type() uint8 { return TypeHostReply }
func (m *HostReply) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Session))
	b = binary.BigEndian.AppendUint32(b, m.Request)
	b = append(b, byte(m.Result))
	if m.Destination.IsZero() {
		if m.Options != nil {
			return b, fmt.Errorf("%w: HostReply options without destination", ErrMalformed)
		}
		return b, nil
	}
	b = append(b, m.Destination.Bytes()...)
	if m.Options == nil {
		return b, nil
	}
	return m.Options.AppendBinary(b)
}

// PrivateKey is one encryption private key of CreateLeaseSet2.
type PrivateKey struct {
	Type data.CryptoType
	Key  []byte
}

// CreateLeaseSet2 (type 41). Only a LeaseSet2 (store type 3) is decoded:
// LeaseSet is then set; for other store types Raw holds the bytes up to
// the key list, which we cannot find the end of, so the message must end
// there (we refuse those anyway).
type CreateLeaseSet2 struct {
	Session   SessionID
	StoreType uint8
	LeaseSet  *data.LeaseSet2
	Raw       []byte
	Keys      []PrivateKey
}

func parseCreateLeaseSet2(r *reader) (*CreateLeaseSet2, error) {
	c := &CreateLeaseSet2{Session: r.sessionID(), StoreType: r.u8()}
	if r.err != nil {
		return nil, r.err
	}
	if c.StoreType != data.StoreLeaseSet2 {
		c.Raw = r.rest()
		return c, nil
	}
	n, err := leaseSet2Len(r.b)
	if err != nil {
		return nil, err
	}
	if c.LeaseSet, err = data.ParseLeaseSet2(r.b[:n]); err != nil {
		return nil, fmt.Errorf("i2cp: CreateLeaseSet2: %w", err)
	}
	r.b = r.b[n:]
	k := int(r.u8())
	for range k {
		pk := PrivateKey{Type: data.CryptoType(r.u16())}
		pk.Key = r.bytes(int(r.u16()))
		if r.err != nil {
			break
		}
		c.Keys = append(c.Keys, pk)
	}
	return c, r.err
}

// leaseSet2Len finds the length of the LeaseSet2 at the start of b: it
// has no length field, so we walk it.
func leaseSet2Len(b []byte) (int, error) {
	h, rest, err := data.ParseLeaseSet2Header(b)
	if err != nil {
		return 0, fmt.Errorf("i2cp: CreateLeaseSet2: %w", err)
	}
	_, rest, err = data.ParseMapping(rest)
	if err != nil {
		return 0, fmt.Errorf("i2cp: CreateLeaseSet2 options: %w", err)
	}
	r := &reader{b: rest}
	nk := int(r.u8())
	for range nk {
		r.u16()
		r.bytes(int(r.u16()))
	}
	r.bytes(int(r.u8()) * data.Lease2Len)
	t := h.Destination.SigType()
	if h.Offline != nil {
		t = h.Offline.TransientType
	}
	n := t.SignatureLen()
	if n <= 0 {
		return 0, fmt.Errorf("%w: LeaseSet2 signature type %d", ErrMalformed, uint16(t))
	}
	r.bytes(n)
	if r.err != nil {
		return 0, fmt.Errorf("i2cp: CreateLeaseSet2: %w", r.err)
	}
	return len(b) - len(r.b), nil
}

func (*CreateLeaseSet2) Type() uint8 { return TypeCreateLeaseSet2 }
func (m *CreateLeaseSet2) AppendBinary(b []byte) ([]byte, error) {
	b = append(binary.BigEndian.AppendUint16(b, uint16(m.Session)), m.StoreType)
	if m.StoreType != data.StoreLeaseSet2 || m.LeaseSet == nil {
		return append(b, m.Raw...), nil
	}
	b, err := m.LeaseSet.AppendBinary(b)
	if err != nil {
		return b, err
	}
	if len(m.Keys) > 255 {
		return b, fmt.Errorf("%w: %d private keys", ErrMalformed, len(m.Keys))
	}
	b = append(b, byte(len(m.Keys)))
	for _, k := range m.Keys {
		if len(k.Key) > 0xffff {
			return b, fmt.Errorf("%w: %d-byte private key", ErrMalformed, len(k.Key))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(k.Type))
		b = binary.BigEndian.AppendUint16(b, uint16(len(k.Key)))
		b = append(b, k.Key...)
	}
	return b, nil
}

// BlindingInfo (type 42): kept undecoded; we ignore it.
type BlindingInfo struct {
	Session SessionID
	Rest    []byte
}

func (*BlindingInfo) Type() uint8 { return TypeBlindingInfo }
func (m *BlindingInfo) AppendBinary(b []byte) ([]byte, error) {
	return append(binary.BigEndian.AppendUint16(b, uint16(m.Session)), m.Rest...), nil
}

func appendPayload(b, p []byte) ([]byte, error) {
	if len(p) > MaxMessageLen {
		return b, fmt.Errorf("%w: %d-byte payload", ErrTooLarge, len(p))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...), nil
}

// reader reads big-endian fields; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.fail(fmt.Errorf("%w: need %d bytes, have %d", ErrShort, n, len(r.b)))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u48() uint64 {
	if b := r.bytes(6); b != nil {
		return uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(binary.BigEndian.Uint32(b[2:]))
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) sessionID() SessionID { return SessionID(r.u16()) }

func (r *reader) hash() data.Hash {
	var h data.Hash
	if b := r.bytes(32); b != nil {
		copy(h[:], b)
	}
	return h
}

func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	v := r.b
	r.b = nil
	return v
}

func (r *reader) str() string {
	if r.err != nil {
		return ""
	}
	s, rest, err := data.ParseString(r.b)
	if err != nil {
		r.fail(err)
		return ""
	}
	r.b = rest
	return s
}

func (r *reader) destination() data.Destination {
	if r.err != nil {
		return data.Destination{}
	}
	d, rest, err := data.ParseDestination(r.b)
	if err != nil {
		r.fail(err)
		return data.Destination{}
	}
	r.b = rest
	return d
}

func (r *reader) payload() []byte {
	n := r.u32()
	if r.err == nil && n > MaxMessageLen {
		r.fail(fmt.Errorf("%w: %d-byte payload", ErrTooLarge, n))
		return nil
	}
	return r.bytes(int(n))
}
