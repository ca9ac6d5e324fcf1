package reseed

import (
	"archive/zip"
	"bytes"
	stdcrypto "crypto"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"strconv"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/su3"
)

const testNetID = 7

// newRI makes a signed RouterInfo for network netID ("" leaves netId out).
func newRI(t testing.TB, netID string) routerInfo {
	t.Helper()
	signer, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := data.NewRouterIdentity(crypto.SigEd25519, signer.Public(), data.CryptoX25519, enc.PublicKey().Bytes(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{"caps": "XR", "router.version": "0.9.67"}
	if netID != "" {
		kv["netId"] = netID
	}
	opts, err := data.SortedMapping(kv)
	if err != nil {
		t.Fatal(err)
	}
	ri := &data.RouterInfo{Identity: id, Published: time.Now().Truncate(time.Millisecond), Options: opts}
	if err := ri.Sign(signer); err != nil {
		t.Fatal(err)
	}
	return routerInfo{hash: ri.Hash(), b: ri.Bytes()}
}

func newRIs(t testing.TB, n int) []routerInfo {
	t.Helper()
	out := make([]routerInfo, n)
	for i := range out {
		out[i] = newRI(t, strconv.Itoa(testNetID))
	}
	return out
}

func entryName(h data.Hash) string { return riPrefix + h.String() + riSuffix }

type zipEntry struct {
	name string
	b    []byte
}

func entries(ris []routerInfo) []zipEntry {
	var out []zipEntry
	for _, ri := range ris {
		out = append(out, zipEntry{entryName(ri.hash), ri.b})
	}
	return out
}

func makeZip(t testing.TB, es []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rsaSigner signs su3 files as Java does: PKCS#1 v1.5 type 1 padding
// around the bare digest.
type rsaSigner struct {
	t   crypto.SigType
	key *rsa.PrivateKey
}

func (s rsaSigner) Type() crypto.SigType { return s.t }
func (s rsaSigner) Public() []byte {
	return s.key.N.FillBytes(make([]byte, s.t.PublicKeyLen()))
}
func (s rsaSigner) Sign(msg []byte) ([]byte, error) {
	h := s.t.HashFunc().New()
	h.Write(msg)
	return rsa.SignPKCS1v15(nil, s.key, stdcrypto.Hash(0), h.Sum(nil))
}

// testKey is a reseed signer for tests.
type testKey struct {
	id string
	s  crypto.Signer
}

func newTestKey(t testing.TB, id string) testKey {
	t.Helper()
	s, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{id, s}
}

func (k testKey) trust(t testing.TB, s *Signers) {
	t.Helper()
	if err := s.AddSigner(k.id, k.s.Type(), k.s.Public()); err != nil {
		t.Fatal(err)
	}
}

// su3Opts change what sign makes.
type su3Opts struct {
	version     string // default: now
	contentType su3.ContentType
	fileType    su3.FileType
}

func (k testKey) sign(t testing.TB, content []byte, o su3Opts) []byte {
	t.Helper()
	if o.version == "" {
		o.version = strconv.FormatInt(time.Now().Unix(), 10)
	}
	if o.contentType == 0 {
		o.contentType = su3.ContentReseed
	}
	f, err := su3.Sign(su3.Header{FileType: o.fileType, ContentType: o.contentType, Version: o.version, SignerID: k.id}, content, k.s)
	if err != nil {
		t.Fatal(err)
	}
	return f.Bytes()
}

func testChecker(s *Signers) checker {
	return checker{signers: s, netID: testNetID, now: time.Now}
}
