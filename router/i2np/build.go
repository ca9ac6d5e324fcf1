package i2np

import "fmt"

// Build record sizes and counts (i2np.rst, tunnel-creation-ecies.rst).
const (
	// BuildRecordLen is the size of an encrypted record of TunnelBuild,
	// TunnelBuildReply, VariableTunnelBuild and VariableTunnelBuildReply.
	BuildRecordLen = 528
	// ShortBuildRecordLen is the size of an encrypted record of
	// ShortTunnelBuild and OutboundTunnelBuildReply.
	ShortBuildRecordLen = 218
	// MaxBuildRecords is the most records a build message holds, and
	// exactly what TunnelBuild and TunnelBuildReply hold.
	MaxBuildRecords = 8
)

// BuildRecord is one encrypted 528-byte build request or reply record.
// An ECIES request record is laid out as: toPeer (16 bytes, the first
// bytes of the hop's identity hash), the creator's ephemeral X25519 key
// (32), the ChaCha20 ciphertext of a BuildRequest (464) and its Poly1305
// tag (16). A reply record is ciphertext throughout.
type BuildRecord [BuildRecordLen]byte

// ToPeer returns the truncated identity hash that starts a request record.
func (r *BuildRecord) ToPeer() [16]byte { return [16]byte(r[:16]) }

// EphemeralKey returns the sender's ephemeral X25519 public key of an ECIES
// request record.
func (r *BuildRecord) EphemeralKey() [32]byte { return [32]byte(r[16:48]) }

// ShortBuildRecord is one encrypted 218-byte short build request or reply
// record. A request record is: toPeer (16), ephemeral key (32), the
// ChaCha20 ciphertext of a ShortBuildRequest (154) and its Poly1305 tag
// (16).
type ShortBuildRecord [ShortBuildRecordLen]byte

// ToPeer returns the truncated identity hash that starts a request record.
func (r *ShortBuildRecord) ToPeer() [16]byte { return [16]byte(r[:16]) }

// EphemeralKey returns the sender's ephemeral X25519 public key of a
// request record.
func (r *ShortBuildRecord) EphemeralKey() [32]byte { return [32]byte(r[16:48]) }

// recordArray is the constraint of the record helpers.
type recordArray interface {
	BuildRecord | ShortBuildRecord
}

// parseRecords parses what records: with counted, a count byte of
// 1..MaxBuildRecords and that many records; without, exactly
// MaxBuildRecords records. The payload must be exactly that long.
func parseRecords[R recordArray](payload []byte, counted bool, what string) ([]R, error) {
	var zero R
	size := len(zero)
	n := MaxBuildRecords
	body := payload
	if counted {
		if len(payload) < 1 {
			return nil, fmt.Errorf("%w: %s has no record count", ErrShort, what)
		}
		n = int(payload[0])
		body = payload[1:]
		if n < 1 || n > MaxBuildRecords {
			return nil, fmt.Errorf("%w: %s: %d records, want 1..%d", ErrMalformed, what, n, MaxBuildRecords)
		}
	}
	if want := n * size; len(body) != want {
		return nil, fmt.Errorf("%w: %s of %d records needs %d bytes, have %d", sizeErr(len(body), want), what, n, want, len(body))
	}
	recs := make([]R, n)
	for i := range recs {
		switch r := any(&recs[i]).(type) {
		case *BuildRecord:
			copy(r[:], body[i*size:])
		case *ShortBuildRecord:
			copy(r[:], body[i*size:])
		}
	}
	return recs, nil
}

func appendRecords[R recordArray](b []byte, recs []R, counted bool, what string) ([]byte, error) {
	if counted {
		if len(recs) < 1 || len(recs) > MaxBuildRecords {
			return b, fmt.Errorf("%w: %s: %d records, want 1..%d", ErrMalformed, what, len(recs), MaxBuildRecords)
		}
		b = append(b, byte(len(recs)))
	} else if len(recs) != MaxBuildRecords {
		return b, fmt.Errorf("%w: %s: %d records, want %d", ErrMalformed, what, len(recs), MaxBuildRecords)
	}
	for i := range recs {
		switch r := any(&recs[i]).(type) {
		case *BuildRecord:
			b = append(b, r[:]...)
		case *ShortBuildRecord:
			b = append(b, r[:]...)
		}
	}
	return b, nil
}

// TunnelBuildMessage is the payload of a TunnelBuild message (type 21,
// deprecated): exactly eight 528-byte records, no count.
type TunnelBuildMessage struct {
	Records []BuildRecord // exactly MaxBuildRecords
}

// Type returns TunnelBuild.
func (TunnelBuildMessage) Type() MessageType { return TunnelBuild }

// ParseTunnelBuildMessage parses a TunnelBuild payload of exactly 8×528
// bytes.
func ParseTunnelBuildMessage(payload []byte) (TunnelBuildMessage, error) {
	recs, err := parseRecords[BuildRecord](payload, false, "TunnelBuild")
	return TunnelBuildMessage{Records: recs}, err
}

// AppendBinary appends the payload. It fails unless there are exactly
// eight records.
func (m TunnelBuildMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendRecords(b, m.Records, false, "TunnelBuild")
}

// TunnelBuildReplyMessage is the payload of a TunnelBuildReply message
// (type 22, deprecated): exactly eight 528-byte records, no count.
type TunnelBuildReplyMessage struct {
	Records []BuildRecord // exactly MaxBuildRecords
}

// Type returns TunnelBuildReply.
func (TunnelBuildReplyMessage) Type() MessageType { return TunnelBuildReply }

// ParseTunnelBuildReplyMessage parses a TunnelBuildReply payload of
// exactly 8×528 bytes.
func ParseTunnelBuildReplyMessage(payload []byte) (TunnelBuildReplyMessage, error) {
	recs, err := parseRecords[BuildRecord](payload, false, "TunnelBuildReply")
	return TunnelBuildReplyMessage{Records: recs}, err
}

// AppendBinary appends the payload. It fails unless there are exactly
// eight records.
func (m TunnelBuildReplyMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendRecords(b, m.Records, false, "TunnelBuildReply")
}

// VariableTunnelBuildMessage is the payload of a VariableTunnelBuild
// message (type 23): a count of 1..8 and that many 528-byte records.
type VariableTunnelBuildMessage struct {
	Records []BuildRecord // 1..MaxBuildRecords
}

// Type returns VariableTunnelBuild.
func (VariableTunnelBuildMessage) Type() MessageType { return VariableTunnelBuild }

// ParseVariableTunnelBuildMessage parses a VariableTunnelBuild payload of
// exactly 1+n×528 bytes.
func ParseVariableTunnelBuildMessage(payload []byte) (VariableTunnelBuildMessage, error) {
	recs, err := parseRecords[BuildRecord](payload, true, "VariableTunnelBuild")
	return VariableTunnelBuildMessage{Records: recs}, err
}

// AppendBinary appends the payload. It fails unless there are 1..8
// records.
func (m VariableTunnelBuildMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendRecords(b, m.Records, true, "VariableTunnelBuild")
}

// VariableTunnelBuildReplyMessage is the payload of a
// VariableTunnelBuildReply message (type 24): a count of 1..8 and that many
// 528-byte records.
type VariableTunnelBuildReplyMessage struct {
	Records []BuildRecord // 1..MaxBuildRecords
}

// Type returns VariableTunnelBuildReply.
func (VariableTunnelBuildReplyMessage) Type() MessageType { return VariableTunnelBuildReply }

// ParseVariableTunnelBuildReplyMessage parses a VariableTunnelBuildReply
// payload of exactly 1+n×528 bytes.
func ParseVariableTunnelBuildReplyMessage(payload []byte) (VariableTunnelBuildReplyMessage, error) {
	recs, err := parseRecords[BuildRecord](payload, true, "VariableTunnelBuildReply")
	return VariableTunnelBuildReplyMessage{Records: recs}, err
}

// AppendBinary appends the payload. It fails unless there are 1..8
// records.
func (m VariableTunnelBuildReplyMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendRecords(b, m.Records, true, "VariableTunnelBuildReply")
}

// ShortTunnelBuildMessage is the payload of a ShortTunnelBuild message
// (type 25): a count of 1..8 and that many 218-byte records.
type ShortTunnelBuildMessage struct {
	Records []ShortBuildRecord // 1..MaxBuildRecords
}

// Type returns ShortTunnelBuild.
func (ShortTunnelBuildMessage) Type() MessageType { return ShortTunnelBuild }

// ParseShortTunnelBuildMessage parses a ShortTunnelBuild payload of
// exactly 1+n×218 bytes.
func ParseShortTunnelBuildMessage(payload []byte) (ShortTunnelBuildMessage, error) {
	recs, err := parseRecords[ShortBuildRecord](payload, true, "ShortTunnelBuild")
	return ShortTunnelBuildMessage{Records: recs}, err
}

// AppendBinary appends the payload. It fails unless there are 1..8
// records.
func (m ShortTunnelBuildMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendRecords(b, m.Records, true, "ShortTunnelBuild")
}

// OutboundTunnelBuildReplyMessage is the payload of an
// OutboundTunnelBuildReply message (type 26), sent by the outbound
// endpoint of a new tunnel to its creator: a count of 1..8 and that many
// 218-byte records.
type OutboundTunnelBuildReplyMessage struct {
	Records []ShortBuildRecord // 1..MaxBuildRecords
}

// Type returns OutboundTunnelBuildReply.
func (OutboundTunnelBuildReplyMessage) Type() MessageType { return OutboundTunnelBuildReply }

// ParseOutboundTunnelBuildReplyMessage parses an OutboundTunnelBuildReply
// payload of exactly 1+n×218 bytes.
func ParseOutboundTunnelBuildReplyMessage(payload []byte) (OutboundTunnelBuildReplyMessage, error) {
	recs, err := parseRecords[ShortBuildRecord](payload, true, "OutboundTunnelBuildReply")
	return OutboundTunnelBuildReplyMessage{Records: recs}, err
}

// AppendBinary appends the payload. It fails unless there are 1..8
// records.
func (m OutboundTunnelBuildReplyMessage) AppendBinary(b []byte) ([]byte, error) {
	return appendRecords(b, m.Records, true, "OutboundTunnelBuildReply")
}
