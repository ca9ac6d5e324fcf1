package crypto

import (
	stdcrypto "crypto"
	"errors"
	"testing"
)

func TestSigTable(t *testing.T) {
	// common-structures.rst, SigningPublicKey / SigningPrivateKey /
	// Signature tables, and the hash of each type's name.
	tests := []struct {
		t              SigType
		name           string
		pub, priv, sig int
		hash           stdcrypto.Hash
	}{
		{0, "DSA_SHA1", 128, 20, 40, stdcrypto.SHA1},
		{1, "ECDSA_SHA256_P256", 64, 32, 64, stdcrypto.SHA256},
		{2, "ECDSA_SHA384_P384", 96, 48, 96, stdcrypto.SHA384},
		{3, "ECDSA_SHA512_P521", 132, 66, 132, stdcrypto.SHA512},
		{4, "RSA_SHA256_2048", 256, 512, 256, stdcrypto.SHA256},
		{5, "RSA_SHA384_3072", 384, 768, 384, stdcrypto.SHA384},
		{6, "RSA_SHA512_4096", 512, 1024, 512, stdcrypto.SHA512},
		{7, "EdDSA_SHA512_Ed25519", 32, 32, 64, stdcrypto.SHA512},
		{8, "EdDSA_SHA512_Ed25519ph", 32, 32, 64, stdcrypto.SHA512},
		{11, "RedDSA_SHA512_Ed25519", 32, 32, 64, stdcrypto.SHA512},
	}
	for _, tt := range tests {
		if !tt.t.Known() || tt.t.String() != tt.name || tt.t.PublicKeyLen() != tt.pub ||
			tt.t.PrivateKeyLen() != tt.priv || tt.t.SignatureLen() != tt.sig || tt.t.HashFunc() != tt.hash {
			t.Errorf("%d: got %v %d %d %d %v", tt.t, tt.t, tt.t.PublicKeyLen(), tt.t.PrivateKeyLen(), tt.t.SignatureLen(), tt.t.HashFunc())
		}
	}
	for _, u := range []SigType{9, 10, 12, 65535} {
		if u.Known() || u.PublicKeyLen() != -1 || u.HashFunc() != 0 {
			t.Errorf("%v is known", u)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	pub := make([]byte, 32)
	sig := make([]byte, 64)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"unknown type", Verify(9, pub, nil, sig), ErrUnsupportedSigType},
		{"short key", Verify(SigEd25519, pub[:31], nil, sig), ErrKeyLength},
		{"nil key", Verify(SigDSASHA1, nil, nil, make([]byte, 40)), ErrKeyLength},
		{"short sig", Verify(SigEd25519, pub, nil, sig[:63]), ErrBadSignature},
		{"nil sig", Verify(SigRSASHA5124096, make([]byte, 512), nil, nil), ErrBadSignature},
		{"zero sig", Verify(SigEd25519, pub, nil, sig), ErrBadSignature},
		{"hash of EdDSA", VerifyHash(SigEd25519, pub, make([]byte, 64), sig), ErrUnsupportedSigType},
		{"hash of RedDSA", VerifyHash(SigRedDSAEd25519, pub, make([]byte, 64), sig), ErrUnsupportedSigType},
		{"short digest", VerifyHash(SigEd25519ph, pub, make([]byte, 32), sig), ErrBadSignature},
		{"DSA y=0", Verify(SigDSASHA1, make([]byte, 128), nil, append(make([]byte, 39), 1)), ErrBadSignature},
		{"ECDSA zero key", Verify(SigECDSASHA256P256, make([]byte, 64), nil, make([]byte, 64)), ErrInvalidKey},
		{"RSA zero key", Verify(SigRSASHA2562048, make([]byte, 256), nil, make([]byte, 256)), ErrInvalidKey},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.err, c.want)
		}
	}
}
