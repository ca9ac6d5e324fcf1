package data

import (
	"bytes"
	"crypto/hkdf"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Encryption of LeaseSets (encryptedleaseset.rst, "Encryption and
// processing", 2025-05, 0.9.66), as i2pd 2.45.1 (libi2pd/LeaseSet.cpp
// LocalEncryptedLeaseSet2, LeaseSet2::ReadFromBufferEncrypted) and Java I2P
// (net/i2p/data/EncryptedLeaseSet.java) do it. EncryptedData, the outer
// ciphertext of layer 0, is:
//
//	outerSalt(32) || ChaCha20(L1K, L1IV, layer 1)
//	layer 1 = flags(1) || [auth data] || innerSalt(32) || ChaCha20(L2K, L2IV, layer 2)
//	layer 2 = type(1: 3 or 7) || LeaseSet2 or MetaLeaseSet, signed, without its type byte
//
//	subcredential = H("subcredential", H("credential", A || stA || stA') || A')
//	L1K||L1IV     = HKDF(outerSalt, subcredential || published(4), "ELS2_L1K", 44)
//	L2K||L2IV     = HKDF(innerSalt, [authCookie(32)] || subcredential || published(4), "ELS2_L2K", 44)
//
// ChaCha20 is the bare stream cipher with counter 1 (crypto.ChaCha20), so
// the layers carry no MAC of their own: their integrity comes from the
// outer signature by the blinded key, and the blinded key, checked against
// the address, binds the ciphertext to the destination's key.
//
// Layer 1 flags: bit 0 is per-client authorization, bits 3-1 the scheme
// (000 DH, 001 PSK). Auth data is epk(32) or authSalt(32), a 2-byte count,
// and count entries clientID(8) || clientCookie(32), where
//
//	DH:  okm = HKDF(epk, DH(csk, epk) || cpk || subcredential || published, "ELS2_XCA", 52)
//	PSK: okm = HKDF(authSalt, psk || subcredential || published, "ELS2PSKA", 52)
//	clientKey, clientIV, clientID = okm[0:32], okm[32:44], okm[44:52]
//	authCookie = ChaCha20(clientKey, clientIV, clientCookie)
//
// The Published field: i2pd writes the current time and blinds for its
// date; Java copies the inner LeaseSet's Published. EncryptLeaseSet uses the
// inner Published, and like i2pd caps Expires at the next UTC midnight.
// The inner LeaseSet's flags are the caller's: i2pd sets LS2FlagBlinded,
// Java LS2FlagUnpublished.

// Errors of Decrypt that callers branch on.
var (
	// ErrAuthRequired means the encrypted LeaseSet uses per-client
	// authorization and no client key was given, or the given key is not
	// one of the authorized clients.
	ErrAuthRequired = errors.New("data: encrypted LeaseSet requires per-client authorization")
	// ErrSecretRequired means the b33 address says a secret is needed and
	// none was given.
	ErrSecretRequired = errors.New("data: encrypted LeaseSet requires a secret")
	// ErrCannotDecrypt means the encrypted LeaseSet is not the one of the
	// address for its day with this secret (wrong secret, wrong
	// destination, or a blinded key of another day), or that what it
	// decrypts to is not a LeaseSet2 or MetaLeaseSet of that destination.
	ErrCannotDecrypt = errors.New("data: cannot decrypt encrypted LeaseSet (wrong secret or destination?)")
	// ErrExpired means the encrypted LeaseSet expired before now.
	ErrExpired = errors.New("data: encrypted LeaseSet has expired")
)

// AuthType is a per-client authorization scheme (layer 1 flags).
type AuthType uint8

const (
	AuthNone AuthType = iota // everybody who knows the address may decrypt
	AuthDH                   // X25519 client keys (flags 0x01)
	AuthPSK                  // pre-shared 32-byte keys (flags 0x03)
)

func (a AuthType) String() string {
	switch a {
	case AuthNone:
		return "none"
	case AuthDH:
		return "DH"
	case AuthPSK:
		return "PSK"
	}
	return fmt.Sprintf("AuthType(%d)", uint8(a))
}

// ServerAuth lists the clients authorized to decrypt, for EncryptLeaseSet.
type ServerAuth struct {
	Type AuthType // AuthDH or AuthPSK
	// Keys are the clients' X25519 public keys (AuthDH) or the pre-shared
	// keys (AuthPSK); at least one. They are written in random order.
	Keys [][32]byte
}

// ClientAuth is one client's key, for Decrypt.
type ClientAuth struct {
	Type AuthType // AuthDH or AuthPSK
	// Key is the client's X25519 private key csk (AuthDH) or its
	// pre-shared key (AuthPSK).
	Key [32]byte
}

// Layer sizes.
const (
	elsSaltLen  = 32
	elsEntryLen = 8 + 32
	// minEncryptedData is outerSalt, flags, innerSalt and the type byte.
	minEncryptedData = elsSaltLen + 1 + elsSaltLen + 1
	maxEncryptedData = 65535
	maxAuthClients   = (maxEncryptedData - minEncryptedData - 34) / elsEntryLen
)

// layerKeys is HKDF(salt, input, info, 44) split into the ChaCha20 key and
// nonce.
func layerKeys(salt, input []byte, info string) (key, iv []byte) {
	okm, err := hkdf.Key(sha256.New, input, salt, info, 44)
	if err != nil {
		panic("data: HKDF-SHA256 of 44 bytes failed: " + err.Error()) // cannot happen
	}
	return okm[:32], okm[32:44]
}

// clientOKM is the 52-byte per-client HKDF output.
func clientOKM(salt, input []byte, info string) []byte {
	okm, err := hkdf.Key(sha256.New, input, salt, info, 52)
	if err != nil {
		panic("data: HKDF-SHA256 of 52 bytes failed: " + err.Error()) // cannot happen
	}
	return okm
}

func chacha(dst, src, key, iv []byte) {
	if err := crypto.ChaCha20(dst, src, key, iv); err != nil {
		panic(err) // key and iv come from layerKeys or clientOKM
	}
}

func readRand(rand io.Reader, b []byte) error {
	if _, err := io.ReadFull(rand, b); err != nil {
		return fmt.Errorf("data: encrypted LeaseSet randomness: %w", err)
	}
	return nil
}

// nextMidnight is the first UTC midnight after t.
func nextMidnight(t time.Time) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC)
}

// EncryptLeaseSet makes the signed EncryptedLeaseSet, without per-client
// authorization, of inner, a signed LeaseSet2, for the UTC day of its
// Published time. destSigner is the destination's signing key
// (*crypto.Ed25519Signer or *crypto.RedDSASigner), which must match
// inner.Destination; secret is the optional blinding secret ("" for none);
// rand supplies the salts (nil means crypto/rand).
func EncryptLeaseSet(inner *LeaseSet2, destSigner crypto.Signer, secret string, rand io.Reader) (*EncryptedLeaseSet, error) {
	return EncryptEntry(inner, destSigner, secret, nil, rand)
}

// EncryptEntry is EncryptLeaseSet for a *LeaseSet2 or a *MetaLeaseSet, with
// optional per-client authorization (nil auth means none).
func EncryptEntry(inner Entry, destSigner crypto.Signer, secret string, auth *ServerAuth, rand io.Reader) (*EncryptedLeaseSet, error) {
	if rand == nil {
		rand = crand.Reader
	}
	var h *LeaseSet2Header
	switch e := inner.(type) {
	case *LeaseSet2:
		h = &e.LeaseSet2Header
	case *MetaLeaseSet:
		h = &e.LeaseSet2Header
	default:
		return nil, fmt.Errorf("%w: cannot encrypt a %T, only a LeaseSet2 or MetaLeaseSet", ErrMalformed, inner)
	}
	raw := inner.Bytes()
	if raw == nil {
		return nil, ErrNotSigned
	}
	destType, destKey := h.Destination.SigType(), h.Destination.SigningKey()
	if err := checkSigner(destSigner, destType, destKey); err != nil {
		return nil, fmt.Errorf("data: encrypting LeaseSet: %w", err)
	}
	if auth != nil && auth.Type == AuthNone {
		auth = nil
	}
	authLen := 0
	if auth != nil {
		if auth.Type != AuthDH && auth.Type != AuthPSK {
			return nil, fmt.Errorf("%w: per-client authorization %v", ErrMalformed, auth.Type)
		}
		if len(auth.Keys) == 0 || len(auth.Keys) > maxAuthClients {
			return nil, fmt.Errorf("%w: %d authorized clients", ErrMalformed, len(auth.Keys))
		}
		authLen = 32 + 2 + elsEntryLen*len(auth.Keys)
	}
	n := minEncryptedData + authLen + len(raw)
	if n > maxEncryptedData {
		return nil, fmt.Errorf("%w: encrypted LeaseSet of %d bytes, max %d", ErrMalformed, n, maxEncryptedData)
	}

	published := h.Published.Truncate(time.Second)
	pubSecs, err := seconds(published)
	if err != nil {
		return nil, err
	}
	expires := h.Expires
	if m := nextMidnight(published); expires.After(m) {
		expires = m
	}
	if expires.Before(published) {
		expires = published
	}
	bs, err := BlindSigner(destSigner, published, secret)
	if err != nil {
		return nil, err
	}
	blinded := bs.Public()
	sub := subcredential(destType, destKey, blinded)
	input := binary.BigEndian.AppendUint32(append(make([]byte, 0, 68), sub[:]...), pubSecs) // subcredential || published

	data := make([]byte, n)
	outerSalt, l1 := data[:elsSaltLen], data[elsSaltLen:]
	if err := readRand(rand, outerSalt); err != nil {
		return nil, err
	}
	innerInput := input
	if auth != nil {
		var cookie [32]byte
		if err := readRand(rand, cookie[:]); err != nil {
			return nil, err
		}
		if err := writeAuth(l1[:1+authLen], auth, cookie[:], input, rand); err != nil {
			return nil, err
		}
		innerInput = append(cookie[:], input...)
	}
	innerSalt := l1[1+authLen : 1+authLen+elsSaltLen]
	if err := readRand(rand, innerSalt); err != nil {
		return nil, err
	}
	l2 := l1[1+authLen+elsSaltLen:]
	l2[0] = inner.StoreType()
	copy(l2[1:], raw)
	key, iv := layerKeys(innerSalt, innerInput, "ELS2_L2K")
	chacha(l2, l2, key, iv)
	key, iv = layerKeys(outerSalt, input, "ELS2_L1K")
	chacha(l1, l1, key, iv)

	ls := &EncryptedLeaseSet{
		BlindedSigType: BlindedSigType,
		BlindedKey:     blinded,
		Published:      published,
		Expires:        expires.Truncate(time.Second),
		EncryptedData:  data,
	}
	if err := ls.Sign(bs); err != nil {
		return nil, err
	}
	return ls, nil
}

// writeAuth fills b, the layer 1 flags and auth data, for auth: the
// authCookie encrypted to each client, in random order.
func writeAuth(b []byte, auth *ServerAuth, cookie, input []byte, rand io.Reader) error {
	var salt []byte // epk or authSalt, also the HKDF salt
	var esk [32]byte
	switch auth.Type {
	case AuthDH:
		b[0] = 0x01
		kp, err := crypto.GenerateX25519(rand)
		if err != nil {
			return fmt.Errorf("data: encrypted LeaseSet ephemeral key: %w", err)
		}
		esk, salt = kp.Private, kp.Public[:]
	case AuthPSK:
		b[0] = 0x03
		salt = make([]byte, 32)
		if err := readRand(rand, salt); err != nil {
			return err
		}
	}
	copy(b[1:33], salt)
	binary.BigEndian.PutUint16(b[33:35], uint16(len(auth.Keys)))
	order, err := shuffled(len(auth.Keys), rand)
	if err != nil {
		return err
	}
	entries := b[35:]
	for i, k := range order {
		okm, err := serverOKM(auth.Type, esk, auth.Keys[k], salt, input)
		if err != nil {
			return err
		}
		e := entries[i*elsEntryLen : (i+1)*elsEntryLen]
		copy(e[:8], okm[44:52])
		chacha(e[8:], cookie, okm[:32], okm[32:44])
	}
	return nil
}

func serverOKM(t AuthType, esk, key [32]byte, salt, input []byte) ([]byte, error) {
	if t == AuthPSK {
		return clientOKM(salt, append(key[:], input...), "ELS2PSKA"), nil
	}
	shared, err := crypto.X25519(esk, key)
	if err != nil {
		return nil, fmt.Errorf("data: encrypted LeaseSet client key %x: %w", key[:4], err)
	}
	in := append(append(shared[:], key[:]...), input...)
	return clientOKM(salt, in, "ELS2_XCA"), nil
}

// shuffled is a random permutation of 0..n-1 (Fisher-Yates; the modulo bias
// of a 32-bit draw is negligible for at most maxAuthClients entries).
func shuffled(n int, rand io.Reader) ([]int, error) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var b [4]byte
	for i := n - 1; i > 0; i-- {
		if err := readRand(rand, b[:]); err != nil {
			return nil, err
		}
		j := int(binary.BigEndian.Uint32(b[:]) % uint32(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p, nil
}

// Decrypt verifies and decrypts an EncryptedLeaseSet found for the b33
// address addr, without per-client authorization, and returns the inner
// LeaseSet2, verified and checked to belong to the destination of addr.
// secret is the blinding secret ("" for none). If now is not zero, an
// EncryptedLeaseSet that expired before now is refused with ErrExpired.
func (ls *EncryptedLeaseSet) Decrypt(addr B33Address, secret string, now time.Time) (*LeaseSet2, error) {
	e, err := ls.DecryptEntry(addr, secret, nil, now)
	if err != nil {
		return nil, err
	}
	inner, ok := e.(*LeaseSet2)
	if !ok {
		return nil, fmt.Errorf("%w: encrypted LeaseSet holds a MetaLeaseSet; use DecryptEntry", ErrMalformed)
	}
	return inner, nil
}

// DecryptEntry is Decrypt with an optional client key for per-client
// authorization; it returns a *LeaseSet2 or a *MetaLeaseSet. Errors wrap
// ErrAuthRequired, ErrSecretRequired, ErrCannotDecrypt, ErrExpired, or, for
// a bad address or malformed input, ErrUnsupportedSigType, ErrMalformed or
// ErrShort.
func (ls *EncryptedLeaseSet) DecryptEntry(addr B33Address, secret string, auth *ClientAuth, now time.Time) (Entry, error) {
	if !canBlind(addr.SigType) || addr.BlindedSigType != BlindedSigType {
		return nil, fmt.Errorf("%w: b33 address of %v blinded to %v", ErrUnsupportedSigType, addr.SigType, addr.BlindedSigType)
	}
	if ls.BlindedSigType != BlindedSigType {
		return nil, fmt.Errorf("%w: encrypted LeaseSet blinded key of %v", ErrUnsupportedSigType, ls.BlindedSigType)
	}
	if addr.Flags&B33FlagSecret != 0 && secret == "" {
		return nil, ErrSecretRequired
	}
	if err := ls.Verify(); err != nil {
		return nil, err
	}
	if !now.IsZero() && now.After(ls.Expires) {
		return nil, fmt.Errorf("%w: at %v", ErrExpired, ls.Expires.UTC())
	}
	want, err := BlindPublicKey(addr.SigType, addr.PublicKey, ls.Published, secret)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(want, ls.BlindedKey) != 1 {
		return nil, fmt.Errorf("%w: blinded key for %s does not match", ErrCannotDecrypt, DateString(ls.Published))
	}
	pubSecs, err := seconds(ls.Published)
	if err != nil {
		return nil, err
	}
	if len(ls.EncryptedData) < minEncryptedData {
		return nil, fmt.Errorf("%w: %d bytes of encrypted data, want at least %d", ErrShort, len(ls.EncryptedData), minEncryptedData)
	}
	sub := subcredential(addr.SigType, addr.PublicKey, ls.BlindedKey)
	input := binary.BigEndian.AppendUint32(append(make([]byte, 0, 68), sub[:]...), pubSecs)

	// Layer 1.
	key, iv := layerKeys(ls.EncryptedData[:elsSaltLen], input, "ELS2_L1K")
	l1 := make([]byte, len(ls.EncryptedData)-elsSaltLen)
	chacha(l1, ls.EncryptedData[elsSaltLen:], key, iv)
	authLen, cookie, err := readAuth(l1, auth, input)
	if err != nil {
		return nil, err
	}
	innerInput := input
	if cookie != nil {
		innerInput = append(cookie, input...)
	}
	rest := l1[1+authLen:]
	if len(rest) < elsSaltLen+1 {
		return nil, fmt.Errorf("%w: layer 1 has %d bytes after the auth data", ErrShort, len(rest))
	}

	// Layer 2.
	key, iv = layerKeys(rest[:elsSaltLen], innerInput, "ELS2_L2K")
	l2 := rest[elsSaltLen:]
	chacha(l2, l2, key, iv)
	var e Entry
	var h *LeaseSet2Header
	switch l2[0] {
	case StoreLeaseSet2:
		var p *LeaseSet2
		if p, err = ParseLeaseSet2(l2[1:]); err == nil {
			e, h = p, &p.LeaseSet2Header
		}
	case StoreMetaLeaseSet:
		var p *MetaLeaseSet
		if p, err = ParseMetaLeaseSet(l2[1:]); err == nil {
			e, h = p, &p.LeaseSet2Header
		}
	default:
		return nil, fmt.Errorf("%w: inner type %d", ErrCannotDecrypt, l2[0])
	}
	if err != nil {
		return nil, fmt.Errorf("%w: inner LeaseSet: %w", ErrCannotDecrypt, err)
	}
	if h.Destination.SigType() != addr.SigType || !bytes.Equal(h.Destination.SigningKey(), addr.PublicKey) {
		return nil, fmt.Errorf("%w: inner LeaseSet of destination %v is not the address's", ErrCannotDecrypt, h.Destination.Hash())
	}
	if err := e.Verify(); err != nil {
		return nil, fmt.Errorf("data: encrypted LeaseSet: inner: %w", err)
	}
	return e, nil
}

// readAuth reads the layer 1 flags and auth data of l1 and returns the
// length of the auth data (after the flags byte) and the authCookie (nil
// without per-client authorization).
func readAuth(l1 []byte, auth *ClientAuth, input []byte) (int, []byte, error) {
	var t AuthType
	switch f := l1[0] & 0x0f; f { // bits 7-4 are unused; i2pd and Java ignore them
	case 0x00:
		return 0, nil, nil
	case 0x01:
		t = AuthDH
	case 0x03:
		t = AuthPSK
	default:
		return 0, nil, fmt.Errorf("%w: layer 1 flags %#02x (unknown per-client authorization)", ErrMalformed, l1[0])
	}
	if len(l1) < 1+32+2 {
		return 0, nil, fmt.Errorf("%w: layer 1 %v auth data", ErrShort, t)
	}
	salt := l1[1:33]
	count := int(binary.BigEndian.Uint16(l1[33:35]))
	authLen := 32 + 2 + count*elsEntryLen
	if count == 0 || 1+authLen > len(l1) {
		return 0, nil, fmt.Errorf("%w: layer 1 with %d %v clients in %d bytes", ErrMalformed, count, t, len(l1))
	}
	if auth == nil || auth.Type != t {
		return 0, nil, fmt.Errorf("%w: %v, %d clients", ErrAuthRequired, t, count)
	}
	var okm []byte
	if t == AuthPSK {
		okm = clientOKM(salt, append(auth.Key[:], input...), "ELS2PSKA")
	} else {
		var epk [32]byte
		copy(epk[:], salt)
		shared, err := crypto.X25519(auth.Key, epk)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: ephemeral key: %w", ErrMalformed, err)
		}
		cpk := crypto.X25519Public(auth.Key)
		okm = clientOKM(salt, append(append(shared[:], cpk[:]...), input...), "ELS2_XCA")
	}
	entries := l1[35 : 1+authLen]
	for i := 0; i < count; i++ {
		e := entries[i*elsEntryLen : (i+1)*elsEntryLen]
		if subtle.ConstantTimeCompare(e[:8], okm[44:52]) == 1 {
			cookie := make([]byte, 32)
			chacha(cookie, e[8:], okm[:32], okm[32:44])
			return authLen, cookie, nil
		}
	}
	return 0, nil, fmt.Errorf("%w: our %v key is not among the %d clients", ErrAuthRequired, t, count)
}
