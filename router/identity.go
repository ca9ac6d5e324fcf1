package router

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
)

// keysFile is the name of the router's key file in datadir.
const keysFile = "router.keys.json"

// identity is the router's long-term key material.
type identity struct {
	ident   data.RouterIdentity
	signer  *crypto.Ed25519Signer
	encPriv *ecdh.PrivateKey // crypto type 4 (ECIES-X25519)
	ntcp2   *ecdh.PrivateKey // NTCP2 static key "s"
	ntcp2IV [16]byte         // NTCP2 "i"
	// ssu2 and ssu2Intro are SSU2's static key "s" and intro key "i".
	ssu2      *ecdh.PrivateKey
	ssu2Intro [32]byte
}

// keysJSON is the on-disk form. Mode 0600; never logged.
type keysJSON struct {
	Version       int    `json:"version"`
	Identity      []byte `json:"identity"`       // RouterIdentity bytes
	SigningSeed   []byte `json:"signing_seed"`   // Ed25519 seed
	EncryptionKey []byte `json:"encryption_key"` // X25519 private key
	NTCP2Static   []byte `json:"ntcp2_static"`   // X25519 private key
	NTCP2IV       []byte `json:"ntcp2_iv"`
	// SSU2Static and SSU2Intro were added with SSU2: a key file without
	// them gets new ones at the next start.
	SSU2Static []byte `json:"ssu2_static,omitempty"`
	SSU2Intro  []byte `json:"ssu2_intro,omitempty"`
}

var errNoSSU2Keys = errors.New("key file has no SSU2 keys")

// loadOrCreateIdentity reads datadir/router.keys.json, or creates new keys
// and writes them (0600) when the file does not exist.
func loadOrCreateIdentity(dir string) (*identity, bool, error) {
	p := filepath.Join(dir, keysFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		id, err := newIdentity()
		if err != nil {
			return nil, false, err
		}
		if err := id.save(p); err != nil {
			return nil, false, err
		}
		return id, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("router: reading keys: %w", err)
	}
	id, err := parseIdentity(b)
	if errors.Is(err, errNoSSU2Keys) {
		// A key file from before SSU2: add SSU2 keys, keep the rest.
		if err = id.newSSU2Keys(); err == nil {
			err = id.save(p)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("router: %s: %w", p, err)
	}
	if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
		os.Chmod(p, 0o600)
	}
	return id, false, nil
}

func newIdentity() (*identity, error) {
	signer, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		return nil, err
	}
	enc, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	st, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ri, err := data.NewRouterIdentity(crypto.SigEd25519, signer.Public(), data.CryptoType(4), enc.PublicKey().Bytes(), rand.Reader)
	if err != nil {
		return nil, err
	}
	id := &identity{ident: ri, signer: signer, encPriv: enc, ntcp2: st}
	rand.Read(id.ntcp2IV[:])
	if err := id.newSSU2Keys(); err != nil {
		return nil, err
	}
	return id, nil
}

func (id *identity) newSSU2Keys() error {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	id.ssu2 = k
	rand.Read(id.ssu2Intro[:])
	return nil
}

func parseIdentity(b []byte) (*identity, error) {
	var k keysJSON
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, err
	}
	if k.Version != 1 {
		return nil, fmt.Errorf("unknown key file version %d", k.Version)
	}
	ri, rest, err := data.ParseRouterIdentity(k.Identity)
	if err != nil {
		return nil, fmt.Errorf("bad identity: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("bad identity: %d trailing bytes", len(rest))
	}
	signer, err := crypto.NewEd25519Signer(k.SigningSeed)
	if err != nil {
		return nil, err
	}
	if string(signer.Public()) != string(ri.SigningKey()) {
		return nil, errors.New("signing key does not match the identity")
	}
	enc, err := ecdh.X25519().NewPrivateKey(k.EncryptionKey)
	if err != nil {
		return nil, err
	}
	if string(enc.PublicKey().Bytes()) != string(ri.EncryptionKey()) {
		return nil, errors.New("encryption key does not match the identity")
	}
	st, err := ecdh.X25519().NewPrivateKey(k.NTCP2Static)
	if err != nil {
		return nil, err
	}
	if len(k.NTCP2IV) != 16 {
		return nil, errors.New("bad NTCP2 IV")
	}
	id := &identity{ident: ri, signer: signer, encPriv: enc, ntcp2: st}
	copy(id.ntcp2IV[:], k.NTCP2IV)
	if len(k.SSU2Static) == 0 && len(k.SSU2Intro) == 0 {
		return id, errNoSSU2Keys
	}
	s2, err := ecdh.X25519().NewPrivateKey(k.SSU2Static)
	if err != nil {
		return nil, fmt.Errorf("bad SSU2 static key: %w", err)
	}
	if len(k.SSU2Intro) != 32 {
		return nil, errors.New("bad SSU2 intro key")
	}
	id.ssu2 = s2
	copy(id.ssu2Intro[:], k.SSU2Intro)
	return id, nil
}

func (id *identity) save(p string) error {
	b, err := json.MarshalIndent(keysJSON{
		Version: 1, Identity: id.ident.Bytes(), SigningSeed: id.signer.Seed(),
		EncryptionKey: id.encPriv.Bytes(), NTCP2Static: id.ntcp2.Bytes(), NTCP2IV: id.ntcp2IV[:],
		SSU2Static: id.ssu2.Bytes(), SSU2Intro: id.ssu2Intro[:],
	}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(p, b, 0o600)
}

// writeFileAtomic writes b to p through a temporary file and a rename.
func writeFileAtomic(p string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p))
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("router: writing %s: %w", p, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
