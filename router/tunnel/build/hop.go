package build

import (
	"crypto/ecdh"
	"crypto/subtle"
	"fmt"

	"github.com/i2pgo/i2pgo/router/crypto/noise"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// This file is the participant's side: find our record, decrypt it, and
// once the caller has decided, write the reply and encrypt the rest.
//
// A hop handles one request like this (long records; short alike):
//
//	key, err := build.NewHopKey(priv, pub)        // once, at startup
//	...
//	i := build.FindRecord(msg.Records, ourHash)   // -1: not for us, drop
//	req, st, err := key.DecryptRecord(msg.Records[i])
//	                                              // error: drop, no reply
//	code := decide(req)                           // accept or 30
//	err = st.EncryptReply(i2np.BuildResponse{Reply: code}, msg.Records, i)
//	// forward msg to req.NextIdent as VariableTunnelBuild, or as
//	// VariableTunnelBuildReply through tunnel req.NextTunnel if OBEP.

// FindRecord returns the index of the first record whose toPeer is the
// first 16 bytes of us, or -1.
func FindRecord(recs []i2np.BuildRecord, us data.Hash) int {
	for i := range recs {
		if [toPeerLen]byte(recs[i][:toPeerLen]) == [toPeerLen]byte(us[:toPeerLen]) {
			return i
		}
	}
	return -1
}

// FindShortRecord is FindRecord for short records.
func FindShortRecord(recs []i2np.ShortBuildRecord, us data.Hash) int {
	for i := range recs {
		if [toPeerLen]byte(recs[i][:toPeerLen]) == [toPeerLen]byte(us[:toPeerLen]) {
			return i
		}
	}
	return -1
}

// HopKey is our static X25519 encryption key (the one in our
// RouterIdentity) prepared for answering build requests: parsed once, with
// the Noise prefix that depends only on it precomputed, so that a request
// costs one X25519 operation. It is immutable and safe for concurrent use.
type HopKey struct {
	priv   *ecdh.PrivateKey
	prefix noise.SymmetricState // Noise N state after MixHash(our public key)
}

// NewHopKey prepares our key pair. It fails if pub is not priv's public
// key.
func NewHopKey(priv, pub [32]byte) (*HopKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(priv[:])
	if err != nil {
		return nil, fmt.Errorf("build: private key: %w", err)
	}
	if subtle.ConstantTimeCompare(k.PublicKey().Bytes(), pub[:]) != 1 {
		return nil, fmt.Errorf("build: public key does not match the private key")
	}
	hk := &HopKey{priv: k, prefix: initState}
	hk.prefix.MixHash(pub[:])
	return hk, nil
}

// checkRequest applies the rules both record formats share.
func checkRequest(receive data.TunnelID, flags i2np.HopFlags) error {
	if flags&i2np.HopGateway != 0 && flags&i2np.HopEndpoint != 0 {
		return fmt.Errorf("%w: both gateway and endpoint flags (%#02x)", ErrInvalidRequest, uint8(flags))
	}
	if receive == 0 {
		return fmt.Errorf("%w: receive tunnel ID 0", ErrInvalidRequest)
	}
	return nil
}

// HopState is what a hop keeps between decrypting its long request record
// and encrypting its reply. It is single-use and not safe for concurrent
// use.
type HopState struct {
	rs       recordState
	replyKey [32]byte // AES-256 key of the other records
	replyIV  [16]byte
	used     bool
}

// DecryptRecord is HopKey.DecryptRecord for a one-off key pair; it costs
// an extra X25519 operation to prepare the key.
func DecryptRecord(ourPriv, ourPub [32]byte, rec i2np.BuildRecord) (i2np.BuildRequest, *HopState, error) {
	k, err := NewHopKey(ourPriv, ourPub)
	if err != nil {
		return i2np.BuildRequest{}, nil, err
	}
	return k.DecryptRecord(rec)
}

// DecryptRecord decrypts a long (528-byte) ECIES request record. The
// caller has found the record with FindRecord; the toPeer field is not
// checked here. It fails with ErrAuth if the record was not encrypted to
// our key or was altered, i2np.ErrMalformed if the cleartext does not
// parse (a bad options Mapping), and ErrInvalidRequest if the flags or
// tunnel ID are invalid. The layer and IV keys of the tunnel are in req.
func (k *HopKey) DecryptRecord(rec i2np.BuildRecord) (i2np.BuildRequest, *HopState, error) {
	pt, rs, err := k.openRecord(rec[:])
	if err != nil {
		return i2np.BuildRequest{}, nil, err
	}
	req, err := i2np.ParseBuildRequest(pt)
	if err != nil {
		return i2np.BuildRequest{}, nil, fmt.Errorf("build: request record: %w", err)
	}
	if err := checkRequest(req.ReceiveTunnel, req.Flags); err != nil {
		return i2np.BuildRequest{}, nil, err
	}
	return req, &HopState{rs: rs, replyKey: req.ReplyKey, replyIV: req.ReplyIV}, nil
}

// EncryptReply writes resp, encrypted, into records[ourIndex] (the record
// the request came in) and encrypts every other record in place with the
// AES reply key and IV of the request. records is the whole message,
// which the caller then forwards. It fails, changing nothing, if ourIndex
// is out of range, resp does not fit, or the state was used before (a
// second reply under the same key and nonce would leak both).
func (s *HopState) EncryptReply(resp i2np.BuildResponse, records []i2np.BuildRecord, ourIndex int) error {
	if s.used {
		return fmt.Errorf("build: reply already encrypted with this state")
	}
	if ourIndex < 0 || ourIndex >= len(records) {
		return fmt.Errorf("%w: record index %d of %d records", ErrMalformed, ourIndex, len(records))
	}
	var buf [i2np.BuildResponseLen]byte
	pt, err := resp.AppendBinary(buf[:0])
	if err != nil {
		return fmt.Errorf("build: reply record: %w", err)
	}
	s.used = true
	var zero [12]byte
	replyAEAD(s.rs.ck).Seal(records[ourIndex][:0], zero[:], pt, s.rs.h[:])
	for j := range records {
		if j != ourIndex {
			aesRecord(s.replyKey, s.replyIV, records[j][:], true)
		}
	}
	return nil
}

// ShortHopState is what a hop keeps between decrypting its short request
// record and encrypting its reply, with the keys the KDF gave. It is
// single-use and not safe for concurrent use.
type ShortHopState struct {
	// LayerKey and IVKey are the AES-256 tunnel layer keys of this hop.
	LayerKey, IVKey [32]byte
	// GarlicKey and GarlicTag, set only for the outbound endpoint, seal
	// the OutboundTunnelBuildReply to the creator as an Existing Session
	// message (tunnel-creation-ecies.rst "Garlic Encryption").
	GarlicKey [32]byte
	GarlicTag [8]byte

	rs       recordState
	replyKey [32]byte // ChaCha20 key of every reply record
	used     bool
}

// DecryptShortRecord is HopKey.DecryptShortRecord for a one-off key
// pair; it costs an extra X25519 operation to prepare the key.
func DecryptShortRecord(ourPriv, ourPub [32]byte, rec i2np.ShortBuildRecord) (i2np.ShortBuildRequest, *ShortHopState, error) {
	k, err := NewHopKey(ourPriv, ourPub)
	if err != nil {
		return i2np.ShortBuildRequest{}, nil, err
	}
	return k.DecryptShortRecord(rec)
}

// DecryptShortRecord decrypts a short (218-byte) request record and
// derives the tunnel keys. The caller has found the record with
// FindShortRecord. It fails with ErrAuth, i2np.ErrMalformed or
// ErrInvalidRequest as DecryptRecord does, and with ErrInvalidRequest
// also for a layer encryption type other than AES.
func (k *HopKey) DecryptShortRecord(rec i2np.ShortBuildRecord) (i2np.ShortBuildRequest, *ShortHopState, error) {
	pt, rs, err := k.openRecord(rec[:])
	if err != nil {
		return i2np.ShortBuildRequest{}, nil, err
	}
	req, err := i2np.ParseShortBuildRequest(pt)
	if err != nil {
		return i2np.ShortBuildRequest{}, nil, fmt.Errorf("build: short request record: %w", err)
	}
	if err := checkRequest(req.ReceiveTunnel, req.Flags); err != nil {
		return i2np.ShortBuildRequest{}, nil, err
	}
	if req.LayerEncryption != i2np.LayerAES {
		return i2np.ShortBuildRequest{}, nil, fmt.Errorf("%w: layer encryption type %d", ErrInvalidRequest, req.LayerEncryption)
	}
	keys := deriveShortKeys(rs.ck, req.Flags&i2np.HopEndpoint != 0)
	return req, &ShortHopState{
		LayerKey:  keys.layer,
		IVKey:     keys.iv,
		GarlicKey: keys.garlicKey,
		GarlicTag: keys.garlicTag,
		rs:        rs,
		replyKey:  keys.reply,
	}, nil
}

// EncryptReply writes resp, encrypted, into records[ourIndex] and
// encrypts every other record in place with ChaCha20, each with its own
// index as nonce. It fails, changing nothing, as HopState.EncryptReply
// does; records may hold at most 8 records, since the index is the
// nonce's one byte.
func (s *ShortHopState) EncryptReply(resp i2np.ShortBuildResponse, records []i2np.ShortBuildRecord, ourIndex int) error {
	if s.used {
		return fmt.Errorf("build: reply already encrypted with this state")
	}
	if len(records) > i2np.MaxBuildRecords {
		return fmt.Errorf("%w: %d records, at most %d", ErrMalformed, len(records), i2np.MaxBuildRecords)
	}
	if ourIndex < 0 || ourIndex >= len(records) {
		return fmt.Errorf("%w: record index %d of %d records", ErrMalformed, ourIndex, len(records))
	}
	var buf [i2np.ShortBuildResponseLen]byte
	pt, err := resp.AppendBinary(buf[:0])
	if err != nil {
		return fmt.Errorf("build: short reply record: %w", err)
	}
	s.used = true
	n := recordNonce(ourIndex)
	replyAEAD(s.replyKey).Seal(records[ourIndex][:0], n[:], pt, s.rs.h[:])
	for j := range records {
		if j != ourIndex {
			chachaRecord(s.replyKey, j, records[j][:])
		}
	}
	return nil
}
