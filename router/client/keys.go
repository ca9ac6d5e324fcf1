package client

import (
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// Keys are a local destination's keys: the Destination (Ed25519 signing
// key, crypto type 0 with a random, unused public key field, as Java and
// i2pd make them for ECIES-only destinations) and the X25519 key that its
// LeaseSet2 publishes for ECIES-X25519-AEAD-Ratchet.
//
// ElGamal is a second encryption key, published after the X25519 one,
// so that destinations which only speak ElGamal/AES+SessionTags (many
// long-lived eepsites) can reach us and answer.
type Keys struct {
	Destination data.Destination
	Signer      *crypto.Ed25519Signer
	Encryption  crypto.X25519KeyPair
	ElGamal     *crypto.ElGamalPrivateKey
}

// GenerateKeys makes new keys.
func GenerateKeys() (*Keys, error) {
	s, err := crypto.GenerateEd25519(crand.Reader)
	if err != nil {
		return nil, err
	}
	d, err := data.NewDestination(crypto.SigEd25519, s.Public(), crand.Reader)
	if err != nil {
		return nil, err
	}
	enc, err := crypto.GenerateX25519(nil)
	if err != nil {
		return nil, err
	}
	elg, err := crypto.GenerateElGamal(crand.Reader)
	if err != nil {
		return nil, err
	}
	return &Keys{Destination: d, Signer: s, Encryption: enc, ElGamal: elg}, nil
}

// keysFile is the JSON layout of a keys file.
type keysFile struct {
	Destination string `json:"destination"`       // I2P base64
	SigningSeed string `json:"ed25519_seed"`      // I2P base64, 32 bytes
	X25519      string `json:"x25519_private"`    // I2P base64, 32 bytes
	ElGamal     string `json:"elgamal_private"`   // I2P base64, 256 bytes
	Comment     string `json:"comment,omitempty"` // the b32 address
}

// maxKeysFile bounds what LoadKeys reads.
const maxKeysFile = 64 << 10

// LoadOrCreateKeys reads the keys file at path, or, if there is none,
// makes new keys and writes them there (mode 0600, directory 0700).
func LoadOrCreateKeys(path string) (k *Keys, created bool, err error) {
	k, err = LoadKeys(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return k, false, err
	}
	if k, err = GenerateKeys(); err != nil {
		return nil, false, err
	}
	return k, true, k.Save(path)
}

// LoadKeys reads a keys file written by Save.
func LoadKeys(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("client: keys: %w", err)
	}
	defer f.Close()
	var kf keysFile
	dec := json.NewDecoder(&limited{r: f, n: maxKeysFile})
	if err := dec.Decode(&kf); err != nil {
		return nil, fmt.Errorf("client: keys file %s: %w", path, err)
	}
	d, err := data.DestinationFromBase64(kf.Destination)
	if err != nil {
		return nil, fmt.Errorf("client: keys file %s: destination: %w", path, err)
	}
	seed, err := data.Base64Decode(kf.SigningSeed)
	if err != nil || len(seed) != 32 {
		return nil, fmt.Errorf("client: keys file %s: bad ed25519_seed", path)
	}
	s, err := crypto.NewEd25519Signer(seed)
	if err != nil {
		return nil, fmt.Errorf("client: keys file %s: %w", path, err)
	}
	if d.SigType() != crypto.SigEd25519 || string(d.SigningKey()) != string(s.Public()) {
		return nil, fmt.Errorf("client: keys file %s: the signing key does not match the destination", path)
	}
	x, err := data.Base64Decode(kf.X25519)
	if err != nil || len(x) != 32 {
		return nil, fmt.Errorf("client: keys file %s: bad x25519_private", path)
	}
	k := &Keys{Destination: d, Signer: s}
	copy(k.Encryption.Private[:], x)
	k.Encryption.Public = crypto.X25519Public(k.Encryption.Private)
	e, err := data.Base64Decode(kf.ElGamal)
	if err != nil {
		return nil, fmt.Errorf("client: keys file %s: bad elgamal_private", path)
	}
	if k.ElGamal, err = crypto.NewElGamalPrivateKey(e); err != nil {
		return nil, fmt.Errorf("client: keys file %s: elgamal_private: %w", path, err)
	}
	return k, nil
}

// Save writes the keys to path, atomically, mode 0600.
func (k *Keys) Save(path string) error {
	b, err := json.MarshalIndent(keysFile{
		Destination: k.Destination.Base64(),
		SigningSeed: data.Base64Encode(k.Signer.Seed()),
		X25519:      data.Base64Encode(k.Encryption.Private[:]),
		ElGamal:     data.Base64Encode(k.ElGamal.Bytes()),
		Comment:     data.B32Address(k.Destination.Hash()),
	}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("client: keys: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return fmt.Errorf("client: keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// limited is io.LimitReader that fails past its limit instead of
// returning EOF, so a huge file is an error, not a truncated decode.
type limited struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("file too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
