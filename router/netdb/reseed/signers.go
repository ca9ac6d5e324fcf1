package reseed

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// certs holds the reseed signers' X.509 certificates, as i2pd 2.45.1 ships
// them (contrib/certificates/reseed, installed by Debian's i2pd package in
// /usr/share/i2pd/certificates/reseed). Each file is named after its
// signer ID with "@" written "_at_", the naming Java I2P's DirKeyRing uses.
//
//go:embed certs/*.crt
var certs embed.FS

// Signer is one trusted reseed signer.
type Signer struct {
	// ID is the signer ID an su3 file names, such as "hottuna@mail.i2p".
	ID string
	// SigType is the signature type the key signs with. An Ed25519 key
	// signs su3 files of type 7 and 8 alike.
	SigType crypto.SigType
	// PublicKey is the key in I2P form: the RSA modulus, ECDSA X||Y, or the
	// 32-byte Ed25519 key.
	PublicKey []byte
	// NotBefore and NotAfter bound the certificate's validity. Zero values
	// mean no bound.
	NotBefore, NotAfter time.Time
}

// validAt returns an error if the signer's certificate is not valid at now.
func (s Signer) validAt(now time.Time) error {
	if !s.NotBefore.IsZero() && now.Before(s.NotBefore) {
		return fmt.Errorf("%w: certificate of signer %s is valid only from %s", ErrCertificateExpired, s.ID, s.NotBefore.UTC().Format(time.DateOnly))
	}
	if !s.NotAfter.IsZero() && now.After(s.NotAfter) {
		return fmt.Errorf("%w: certificate of signer %s expired on %s", ErrCertificateExpired, s.ID, s.NotAfter.UTC().Format(time.DateOnly))
	}
	return nil
}

// accepts reports whether the signer's key may have made an su3 signature
// of type t.
func (s Signer) accepts(t crypto.SigType) bool {
	if s.SigType == crypto.SigEd25519 || s.SigType == crypto.SigEd25519ph {
		return t == crypto.SigEd25519 || t == crypto.SigEd25519ph
	}
	return t == s.SigType
}

// Signers is a set of trusted reseed signers, keyed by signer ID. The zero
// value is empty and ready to use. A Signers must not be changed while a
// Reseeder uses it.
type Signers struct {
	m map[string]Signer
}

// NewSigners returns an empty set.
func NewSigners() *Signers { return &Signers{} }

// DefaultSigners returns the signers of the certificates shipped in certs/.
// Certificates that have expired are kept: a file they signed is refused
// with ErrCertificateExpired, which says more than "unknown signer".
func DefaultSigners() (*Signers, error) {
	s := NewSigners()
	ents, err := certs.ReadDir("certs")
	if err != nil {
		return nil, fmt.Errorf("reseed: embedded certificates: %w", err)
	}
	for _, e := range ents {
		b, err := certs.ReadFile(path.Join("certs", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reseed: embedded certificate %s: %w", e.Name(), err)
		}
		id, err := s.AddCertificate(b)
		if err != nil {
			return nil, fmt.Errorf("reseed: embedded certificate %s: %w", e.Name(), err)
		}
		if want := CertFileName(id); e.Name() != want {
			return nil, fmt.Errorf("reseed: embedded certificate %s is for signer %s, want file name %s", e.Name(), id, want)
		}
	}
	return s, nil
}

// CertFileName is the file name of a signer's certificate: the ID with "@"
// written "_at_", plus ".crt" (Java I2P DirKeyRing).
func CertFileName(id string) string {
	return strings.ReplaceAll(id, "@", "_at_") + ".crt"
}

// AddSigner trusts pub, a public key of type t in I2P form, for signer id,
// with no validity bounds. It replaces any signer of the same ID.
func (s *Signers) AddSigner(id string, t crypto.SigType, pub []byte) error {
	if id == "" || len(id) > 255 {
		return fmt.Errorf("reseed: signer ID %q must be 1 to 255 bytes", id)
	}
	if t > crypto.SigEd25519ph || !t.Known() {
		return fmt.Errorf("reseed: signer %s: %w: %v", id, crypto.ErrUnsupportedSigType, t)
	}
	if len(pub) != t.PublicKeyLen() {
		return fmt.Errorf("reseed: signer %s: %w: %v key is %d bytes, want %d", id, crypto.ErrKeyLength, t, len(pub), t.PublicKeyLen())
	}
	s.put(Signer{ID: id, SigType: t, PublicKey: append([]byte(nil), pub...)})
	return nil
}

func (s *Signers) put(sg Signer) {
	if s.m == nil {
		s.m = make(map[string]Signer)
	}
	s.m[sg.ID] = sg
}

// AddCertificate trusts the key of a PEM or DER X.509 certificate, for the
// signer named by the certificate's subject common name (Java I2P checks
// that the CN is the signer ID; i2pd reads the issuer's CN, which is the
// same in the self-signed reseed certificates). The certificate's validity
// dates are kept and enforced when a file is checked, as Java does and
// updates.rst recommends. It returns the signer ID.
//
// RSA keys of 2048, 3072 and 4096 bits become types 4, 5 and 6; ECDSA keys
// on P-256, P-384 and P-521 types 1, 2 and 3; Ed25519 keys type 7.
func (s *Signers) AddCertificate(b []byte) (string, error) {
	der := b
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "CERTIFICATE" {
			return "", fmt.Errorf("reseed: PEM block %q is not a certificate", blk.Type)
		}
		der = blk.Bytes
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return "", fmt.Errorf("reseed: %w", err)
	}
	id := c.Subject.CommonName
	if id == "" || len(id) > 255 {
		return "", fmt.Errorf("reseed: certificate subject CN %q is not a signer ID", id)
	}
	t, pub, err := publicKey(c.PublicKey)
	if err != nil {
		return "", fmt.Errorf("reseed: certificate of %s: %w", id, err)
	}
	s.put(Signer{ID: id, SigType: t, PublicKey: pub, NotBefore: c.NotBefore, NotAfter: c.NotAfter})
	return id, nil
}

// publicKey converts a certificate's key to its I2P type and form.
func publicKey(k any) (crypto.SigType, []byte, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k.E != 65537 {
			return 0, nil, fmt.Errorf("%w: RSA exponent %d, I2P uses 65537", crypto.ErrInvalidKey, k.E)
		}
		var t crypto.SigType
		switch k.N.BitLen() {
		case 2048:
			t = crypto.SigRSASHA2562048
		case 3072:
			t = crypto.SigRSASHA3843072
		case 4096:
			t = crypto.SigRSASHA5124096
		default:
			return 0, nil, fmt.Errorf("%w: %d-bit RSA key", crypto.ErrUnsupportedSigType, k.N.BitLen())
		}
		return t, k.N.FillBytes(make([]byte, t.PublicKeyLen())), nil
	case *ecdsa.PublicKey:
		var t crypto.SigType
		switch k.Curve {
		case elliptic.P256():
			t = crypto.SigECDSASHA256P256
		case elliptic.P384():
			t = crypto.SigECDSASHA384P384
		case elliptic.P521():
			t = crypto.SigECDSASHA512P521
		default:
			return 0, nil, fmt.Errorf("%w: ECDSA curve %s", crypto.ErrUnsupportedSigType, k.Curve.Params().Name)
		}
		b, err := k.Bytes() // 0x04 || X || Y
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %v", crypto.ErrInvalidKey, err)
		}
		return t, b[1:], nil
	case ed25519.PublicKey:
		return crypto.SigEd25519, append([]byte(nil), k...), nil
	}
	return 0, nil, fmt.Errorf("%w: key of type %T", crypto.ErrUnsupportedSigType, k)
}

// Lookup returns the signer with the ID.
func (s *Signers) Lookup(id string) (Signer, bool) {
	if s == nil {
		return Signer{}, false
	}
	sg, ok := s.m[id]
	return sg, ok
}

// IDs lists the signer IDs, sorted.
func (s *Signers) IDs() []string {
	if s == nil {
		return nil
	}
	ids := make([]string, 0, len(s.m))
	for id := range s.m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Len is the number of signers.
func (s *Signers) Len() int {
	if s == nil {
		return 0
	}
	return len(s.m)
}

var errNoSigners = errors.New("reseed: no trusted signers")
