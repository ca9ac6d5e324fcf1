package i2np

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Cleartext sizes of the ECIES build records (tunnel-creation-ecies.rst).
const (
	// BuildRequestLen is the cleartext of a long (528-byte) ECIES request
	// record.
	BuildRequestLen = 464
	// ShortBuildRequestLen is the cleartext of a short (218-byte) request
	// record.
	ShortBuildRequestLen = 154
	// BuildResponseLen is the cleartext of a long ECIES reply record.
	BuildResponseLen = 512
	// ShortBuildResponseLen is the cleartext of a short reply record.
	ShortBuildResponseLen = 202
)

// Offsets of the options Mapping in the request records.
const (
	buildRequestOptions      = 168
	shortBuildRequestOptions = 56
)

// HopFlags is the flag byte of a build request (tunnel-creation.rst). If
// neither bit is set the hop is an intermediate participant; both at once
// is invalid, which the tunnel builder, not this codec, must refuse.
type HopFlags uint8

// Hop flags.
const (
	// HopGateway: allow messages from anyone; the hop is the inbound
	// gateway (IBGW).
	HopGateway HopFlags = 0x80
	// HopEndpoint: allow messages to anyone; the hop is the outbound
	// endpoint (OBEP) and sends the reply to the next hop given, in a
	// build reply message.
	HopEndpoint HopFlags = 0x40
)

// BuildReply is the reply byte of a build response record.
type BuildReply uint8

// Build reply values (tunnel-creation.rst). ECIES hops send only
// ReplyAccept and ReplyRejectBandwidth, to avoid fingerprinting.
const (
	ReplyAccept              BuildReply = 0
	ReplyRejectProbabilistic BuildReply = 10
	ReplyRejectTransient     BuildReply = 20
	ReplyRejectBandwidth     BuildReply = 30
	ReplyRejectCritical      BuildReply = 50
)

// Layer encryption types of a short build request.
const (
	// LayerAES is AES-256 tunnel layer encryption, the only type defined.
	LayerAES uint8 = 0
)

// BuildRequest is the 464-byte cleartext of a long ECIES build request
// record:
//
//	0   receive tunnel ID (4)      4   next tunnel ID (4)
//	8   next router hash (32)      40  layer key (32)
//	72  IV key (32)                104 reply key (32)
//	136 reply IV (16)              152 flags (1)
//	153 more flags (3)             156 request time, minutes (4)
//	160 request expiration, s (4)  164 next message ID (4)
//	168 options Mapping, then other data and padding up to 464
//
// The long ECIES record is deprecated in favour of the short one, but
// VariableTunnelBuild still carries it. The ChaCha20 reply key is not in
// the record; it comes from the Noise KDF. ReplyKey and ReplyIV are the
// AES key and IV that encrypt the other records.
type BuildRequest struct {
	ReceiveTunnel data.TunnelID
	NextTunnel    data.TunnelID
	NextIdent     data.Hash
	LayerKey      [32]byte
	IVKey         [32]byte
	ReplyKey      [32]byte
	ReplyIV       [16]byte
	Flags         HopFlags
	// MoreFlags is the 3-byte "more flags" field, unused and 0.
	MoreFlags uint32
	// RequestTime is the creation time, rounded down to the minute on
	// the wire. The zero time is a 0.
	RequestTime time.Time
	// Expiration is the tunnel lifetime from creation, whole seconds on
	// the wire; the only value supported now is 600 s.
	Expiration time.Duration
	// NextMessageID is the message ID of the build message this hop
	// sends on.
	NextMessageID MessageID
	// Options are the build options (bandwidth: m, r, l).
	Options data.Mapping
	// Padding is everything after Options: other data, then padding.
	// Parse keeps it all (a copy). AppendBinary writes it and fills what
	// is left of the record with random bytes.
	Padding []byte
}

// ShortBuildRequest is the 154-byte cleartext of a short build request
// record:
//
//	0  receive tunnel ID (4)      4  next tunnel ID (4)
//	8  next router hash (32)      40 flags (1)
//	41 more flags (2)             43 layer encryption type (1)
//	44 request time, minutes (4)  48 request expiration, s (4)
//	52 next message ID (4)        56 options Mapping, then other data and
//	                                 padding up to 154
//
// The layer, IV and reply keys come from the Noise KDF, not the record.
type ShortBuildRequest struct {
	ReceiveTunnel data.TunnelID
	NextTunnel    data.TunnelID
	NextIdent     data.Hash
	Flags         HopFlags
	// MoreFlags is the 2-byte "more flags" field, unused and 0.
	MoreFlags uint16
	// LayerEncryption is the tunnel layer encryption type, LayerAES.
	LayerEncryption uint8
	RequestTime     time.Time
	Expiration      time.Duration
	NextMessageID   MessageID
	Options         data.Mapping
	// Padding is everything after Options, as in BuildRequest. For an
	// inbound build the creator's ephemeral key, if sent, is here.
	Padding []byte
}

// BuildResponse is the 512-byte cleartext of a long ECIES reply record:
// an options Mapping, other data and padding, and the reply byte at 511.
type BuildResponse struct {
	// Options are the reply options (bandwidth: b).
	Options data.Mapping
	// Padding is everything between Options and the reply byte. i2pd
	// leaves the old record bytes there rather than random ones. Parse
	// keeps it (a copy); AppendBinary writes it and fills the rest with
	// random bytes.
	Padding []byte
	Reply   BuildReply
}

// ShortBuildResponse is the 202-byte cleartext of a short reply record:
// an options Mapping, other data and padding, and the reply byte at 201.
type ShortBuildResponse struct {
	Options data.Mapping
	Padding []byte
	Reply   BuildReply
}

// recordReader reads the fields of the cleartext records.
type recordReader struct{ reader }

func (r *recordReader) minutes() time.Time {
	m := r.u32()
	if m == 0 {
		return time.Time{}
	}
	return time.Unix(int64(m)*60, 0).UTC()
}

func (r *recordReader) seconds() time.Duration {
	return time.Duration(r.u32()) * time.Second
}

// tail reads the options Mapping and keeps the rest as padding.
func (r *recordReader) tail() (data.Mapping, []byte) {
	if r.err != nil {
		return data.Mapping{}, nil
	}
	m, rest, err := data.ParseMapping(r.b)
	if err != nil {
		r.err = fmt.Errorf("%w: %s: options: %w", ErrMalformed, r.what, err)
		return data.Mapping{}, nil
	}
	r.b = nil
	return m, append([]byte(nil), rest...)
}

func appendMinutes(b []byte, t time.Time, what string) ([]byte, error) {
	if t.IsZero() {
		return appendU32(b, 0), nil
	}
	s := t.Unix()
	if s < 0 || s/60 > math.MaxUint32 {
		return b, fmt.Errorf("%w: %s: request time %s out of range", ErrMalformed, what, t.UTC().Format(time.RFC3339))
	}
	return appendU32(b, uint32(s/60)), nil
}

func appendSeconds(b []byte, d time.Duration, what string) ([]byte, error) {
	s := d / time.Second
	if s < 0 || s > math.MaxUint32 {
		return b, fmt.Errorf("%w: %s: expiration %s out of range", ErrMalformed, what, d)
	}
	return appendU32(b, uint32(s)), nil
}

// appendTail appends options and padding, then random bytes up to size
// (counted from start).
func appendTail(b []byte, start, size int, opts data.Mapping, pad []byte, what string) ([]byte, error) {
	b, err := opts.AppendBinary(b)
	if err != nil {
		return b[:start], fmt.Errorf("i2np: %s: options: %w", what, err)
	}
	left := size - (len(b) - start)
	if len(pad) > left {
		return b[:start], fmt.Errorf("%w: %s: options and padding need %d bytes, record has %d",
			ErrSize, what, size-left+len(pad), size)
	}
	b = append(b, pad...)
	return appendRandom(b, left-len(pad)), nil
}

// appendRandom appends n random bytes.
func appendRandom(b []byte, n int) []byte {
	at := len(b)
	b = slices.Grow(b, n)[:at+n]
	rand.Read(b[at:]) // never fails (crypto/rand since Go 1.24)
	return b
}

func checkLen(b []byte, want int, what string) error {
	if len(b) != want {
		return fmt.Errorf("%w: %s is %d bytes, want %d", sizeErr(len(b), want), what, len(b), want)
	}
	return nil
}

// ParseBuildRequest parses the 464-byte cleartext of a long ECIES build
// request record. The result does not alias b.
func ParseBuildRequest(b []byte) (BuildRequest, error) {
	const what = "BuildRequest"
	if err := checkLen(b, BuildRequestLen, what); err != nil {
		return BuildRequest{}, err
	}
	r := recordReader{reader{b: b, what: what}}
	var q BuildRequest
	q.ReceiveTunnel = data.TunnelID(r.u32())
	q.NextTunnel = data.TunnelID(r.u32())
	q.NextIdent = r.hash()
	copy(q.LayerKey[:], r.bytes(32))
	copy(q.IVKey[:], r.bytes(32))
	copy(q.ReplyKey[:], r.bytes(32))
	copy(q.ReplyIV[:], r.bytes(16))
	q.Flags = HopFlags(r.u8())
	more := r.bytes(3)
	if more != nil {
		q.MoreFlags = uint32(more[0])<<16 | uint32(more[1])<<8 | uint32(more[2])
	}
	q.RequestTime = r.minutes()
	q.Expiration = r.seconds()
	q.NextMessageID = MessageID(r.u32())
	q.Options, q.Padding = r.tail()
	if r.err != nil {
		return BuildRequest{}, r.err
	}
	return q, nil
}

// AppendBinary appends the 464-byte cleartext. It fails if MoreFlags
// exceeds 3 bytes, RequestTime or Expiration is out of range, or options
// and padding do not fit in the 296 bytes after the fixed fields.
func (q BuildRequest) AppendBinary(b []byte) ([]byte, error) {
	const what = "BuildRequest"
	if q.MoreFlags > 0xffffff {
		return b, fmt.Errorf("%w: %s: more flags %#x exceed 3 bytes", ErrMalformed, what, q.MoreFlags)
	}
	start := len(b)
	b = appendU32(b, uint32(q.ReceiveTunnel))
	b = appendU32(b, uint32(q.NextTunnel))
	b = append(b, q.NextIdent[:]...)
	b = append(b, q.LayerKey[:]...)
	b = append(b, q.IVKey[:]...)
	b = append(b, q.ReplyKey[:]...)
	b = append(b, q.ReplyIV[:]...)
	b = append(b, byte(q.Flags), byte(q.MoreFlags>>16), byte(q.MoreFlags>>8), byte(q.MoreFlags))
	b, err := appendMinutes(b, q.RequestTime, what)
	if err == nil {
		b, err = appendSeconds(b, q.Expiration, what)
	}
	if err != nil {
		return b[:start], err
	}
	b = appendU32(b, uint32(q.NextMessageID))
	return appendTail(b, start, BuildRequestLen, q.Options, q.Padding, what)
}

// ParseShortBuildRequest parses the 154-byte cleartext of a short build
// request record. The result does not alias b.
func ParseShortBuildRequest(b []byte) (ShortBuildRequest, error) {
	const what = "ShortBuildRequest"
	if err := checkLen(b, ShortBuildRequestLen, what); err != nil {
		return ShortBuildRequest{}, err
	}
	r := recordReader{reader{b: b, what: what}}
	var q ShortBuildRequest
	q.ReceiveTunnel = data.TunnelID(r.u32())
	q.NextTunnel = data.TunnelID(r.u32())
	q.NextIdent = r.hash()
	q.Flags = HopFlags(r.u8())
	q.MoreFlags = r.u16()
	q.LayerEncryption = r.u8()
	q.RequestTime = r.minutes()
	q.Expiration = r.seconds()
	q.NextMessageID = MessageID(r.u32())
	q.Options, q.Padding = r.tail()
	if r.err != nil {
		return ShortBuildRequest{}, r.err
	}
	return q, nil
}

// AppendBinary appends the 154-byte cleartext. It fails if RequestTime or
// Expiration is out of range, or options and padding do not fit in the 98
// bytes after the fixed fields.
func (q ShortBuildRequest) AppendBinary(b []byte) ([]byte, error) {
	const what = "ShortBuildRequest"
	start := len(b)
	b = appendU32(b, uint32(q.ReceiveTunnel))
	b = appendU32(b, uint32(q.NextTunnel))
	b = append(b, q.NextIdent[:]...)
	b = append(b, byte(q.Flags))
	b = binary.BigEndian.AppendUint16(b, q.MoreFlags)
	b = append(b, q.LayerEncryption)
	b, err := appendMinutes(b, q.RequestTime, what)
	if err == nil {
		b, err = appendSeconds(b, q.Expiration, what)
	}
	if err != nil {
		return b[:start], err
	}
	b = appendU32(b, uint32(q.NextMessageID))
	return appendTail(b, start, ShortBuildRequestLen, q.Options, q.Padding, what)
}

func parseResponse(b []byte, size int, what string) (data.Mapping, []byte, BuildReply, error) {
	if err := checkLen(b, size, what); err != nil {
		return data.Mapping{}, nil, 0, err
	}
	r := recordReader{reader{b: b[:size-1], what: what}}
	opts, pad := r.tail()
	if r.err != nil {
		return data.Mapping{}, nil, 0, r.err
	}
	return opts, pad, BuildReply(b[size-1]), nil
}

func appendResponse(b []byte, size int, opts data.Mapping, pad []byte, reply BuildReply, what string) ([]byte, error) {
	start := len(b)
	b, err := appendTail(b, start, size-1, opts, pad, what)
	if err != nil {
		return b, err
	}
	return append(b, byte(reply)), nil
}

// ParseBuildResponse parses the 512-byte cleartext of a long ECIES reply
// record. The result does not alias b.
func ParseBuildResponse(b []byte) (BuildResponse, error) {
	opts, pad, reply, err := parseResponse(b, BuildResponseLen, "BuildResponse")
	if err != nil {
		return BuildResponse{}, err
	}
	return BuildResponse{Options: opts, Padding: pad, Reply: reply}, nil
}

// AppendBinary appends the 512-byte cleartext. It fails if options and
// padding do not fit in 511 bytes.
func (p BuildResponse) AppendBinary(b []byte) ([]byte, error) {
	return appendResponse(b, BuildResponseLen, p.Options, p.Padding, p.Reply, "BuildResponse")
}

// ParseShortBuildResponse parses the 202-byte cleartext of a short reply
// record. The result does not alias b.
func ParseShortBuildResponse(b []byte) (ShortBuildResponse, error) {
	opts, pad, reply, err := parseResponse(b, ShortBuildResponseLen, "ShortBuildResponse")
	if err != nil {
		return ShortBuildResponse{}, err
	}
	return ShortBuildResponse{Options: opts, Padding: pad, Reply: reply}, nil
}

// AppendBinary appends the 202-byte cleartext. It fails if options and
// padding do not fit in 201 bytes.
func (p ShortBuildResponse) AppendBinary(b []byte) ([]byte, error) {
	return appendResponse(b, ShortBuildResponseLen, p.Options, p.Padding, p.Reply, "ShortBuildResponse")
}
