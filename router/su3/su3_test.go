package su3

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// rsaSigner signs su3 files the way Java and openssl do: PKCS#1 v1.5 type 1
// padding around the bare digest.
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

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pemBlock(t testing.TB, name string) []byte {
	t.Helper()
	blk, _ := pem.Decode(readFile(t, name))
	if blk == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	return blk.Bytes
}

// certPublic returns the I2P form of the public key in a test certificate.
func certPublic(t testing.TB, name string) []byte {
	t.Helper()
	c, err := x509.ParseCertificate(pemBlock(t, name))
	if err != nil {
		t.Fatal(err)
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.FillBytes(make([]byte, (k.N.BitLen()+7)/8))
	case *ecdsa.PublicKey:
		b, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return b[1:]
	}
	t.Fatalf("%s: key type %T", name, c.PublicKey)
	return nil
}

func testRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := x509.ParsePKCS8PrivateKey(pemBlock(t, "testdata/rsa4096-test.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// TestGolden lays out an su3 file by hand from the table in updates.rst and
// signs it with ed25519 directly, then checks that Parse reads it, Verify
// accepts it and Sign writes the same bytes.
func TestGolden(t *testing.T) {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i)
	}
	key := ed25519.NewKeyFromSeed(seed)
	content := []byte("golden su3 content")
	version := "1700000000"
	signer := "golden@mail.i2p"

	var tbs []byte
	tbs = append(tbs, "I2Psu3"...)                      // 0-5 magic
	tbs = append(tbs, 0)                                // 6 unused
	tbs = append(tbs, 0)                                // 7 format version 0
	tbs = append(tbs, 0x00, 0x07)                       // 8-9 signature type 7
	tbs = append(tbs, 0x00, 0x40)                       // 10-11 signature length 64
	tbs = append(tbs, 0)                                // 12 unused
	tbs = append(tbs, 16)                               // 13 version length
	tbs = append(tbs, 0)                                // 14 unused
	tbs = append(tbs, byte(len(signer)))                // 15 signer ID length
	tbs = append(tbs, 0, 0, 0, 0, 0, 0, 0, 18)          // 16-23 content length
	tbs = append(tbs, 0)                                // 24 unused
	tbs = append(tbs, 0)                                // 25 file type zip
	tbs = append(tbs, 0)                                // 26 unused
	tbs = append(tbs, 3)                                // 27 content type reseed
	tbs = append(tbs, make([]byte, 12)...)              // 28-39 unused
	tbs = append(tbs, version...)                       // 40-49 version
	tbs = append(tbs, make([]byte, 16-len(version))...) // padded to 16
	tbs = append(tbs, signer...)
	tbs = append(tbs, content...)
	digest := sha512.Sum512(tbs)
	golden := append(tbs, ed25519.Sign(key, digest[:])...)

	const wantHeader = "493250737533" + "0000" + "0007" + "0040" + "0010" + "000f" +
		"0000000000000012" + "0000" + "0003" + "000000000000000000000000"
	if got := hex.EncodeToString(golden[:40]); got != wantHeader {
		t.Fatalf("hand-built header\n got %s\nwant %s", got, wantHeader)
	}

	f, err := Parse(golden)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{
		SigType: crypto.SigEd25519, FileType: FileZip, ContentType: ContentReseed,
		Version: version, SignerID: signer, ContentLen: int64(len(content)),
	}
	if f.Header != want {
		t.Errorf("header = %+v, want %+v", f.Header, want)
	}
	if !bytes.Equal(f.Content, content) {
		t.Errorf("content = %q", f.Content)
	}
	if err := f.Verify(key.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if !bytes.Equal(f.Digest(), digest[:]) {
		t.Error("Digest differs from SHA-512 of header || content")
	}

	s, err := crypto.NewEd25519Signer(seed)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(Header{FileType: FileZip, ContentType: ContentReseed, Version: version, SignerID: signer}, content, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(signed.Bytes(), golden) {
		t.Errorf("Sign wrote\n%x\nwant\n%x", signed.Bytes(), golden)
	}

	// Type 8 is the same signature under another code.
	g8 := bytes.Clone(tbs)
	g8[9] = 8
	d8 := sha512.Sum512(g8)
	g8 = append(g8, ed25519.Sign(key, d8[:])...)
	f8, err := Parse(g8)
	if err != nil {
		t.Fatal(err)
	}
	if f8.SigType != crypto.SigEd25519ph {
		t.Errorf("type = %v", f8.SigType)
	}
	if err := f8.Verify(s.Public()); err != nil {
		t.Errorf("type 8 Verify: %v", err)
	}
	s8, err := Sign(Header{SigType: crypto.SigEd25519ph, FileType: FileZip, ContentType: ContentReseed, Version: version, SignerID: signer}, content, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s8.Bytes(), g8) {
		t.Error("Sign with SigEd25519ph wrote other bytes than the hand-built type 8 file")
	}
}

// TestOpenSSLVectors checks files signed by openssl (testdata/README.md).
func TestOpenSSLVectors(t *testing.T) {
	for _, c := range []struct {
		name   string
		t      crypto.SigType
		signer string
	}{
		{"rsa4096-test", crypto.SigRSASHA5124096, "rsa-test@mail.i2p"},
		{"p256-test", crypto.SigECDSASHA256P256, "p256-test@mail.i2p"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := readFile(t, "testdata/"+c.name+".su3")
			f, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if f.SigType != c.t || f.SignerID != c.signer || f.Version != "1700000000" ||
				f.ContentType != ContentReseed || f.FileType != FileZip || len(f.Content) != 22 {
				t.Errorf("header = %+v", f.Header)
			}
			pub := certPublic(t, "testdata/"+c.name+".crt")
			if err := f.Verify(pub); err != nil {
				t.Errorf("Verify: %v", err)
			}
			bad := bytes.Clone(b)
			bad[len(bad)-len(f.Signature)-1] ^= 1 // last content byte
			fb, err := Parse(bad)
			if err != nil {
				t.Fatal(err)
			}
			if err := fb.Verify(pub); !errors.Is(err, crypto.ErrBadSignature) {
				t.Errorf("Verify of a changed file: %v, want ErrBadSignature", err)
			}
		})
	}
	// PKCS#1 v1.5 is deterministic: our writer must give openssl's bytes.
	b := readFile(t, "testdata/rsa4096-test.su3")
	f, _ := Parse(b)
	s := rsaSigner{crypto.SigRSASHA5124096, testRSAKey(t)}
	g, err := Sign(f.Header, f.Content, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Bytes(), b) {
		t.Error("Sign with the openssl key did not reproduce rsa4096-test.su3")
	}
}

func signers(t testing.TB) []crypto.Signer {
	t.Helper()
	var out []crypto.Signer
	for _, st := range []crypto.SigType{crypto.SigECDSASHA256P256, crypto.SigECDSASHA384P384, crypto.SigECDSASHA512P521} {
		s, err := crypto.GenerateECDSA(st, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	ed, err := crypto.GenerateEd25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, ed, rsaSigner{crypto.SigRSASHA5124096, testRSAKey(t)})
}

func TestRoundTrip(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), 1000)
	for _, s := range signers(t) {
		t.Run(s.Type().String(), func(t *testing.T) {
			h := Header{FileType: FileXMLGz, ContentType: ContentNews, Version: "0.9.67-a-long-version-string", SignerID: "someone@mail.i2p"}
			f, err := Sign(h, content, s)
			if err != nil {
				t.Fatal(err)
			}
			h.SigType = s.Type()
			h.ContentLen = int64(len(content))
			if f.Header != h {
				t.Errorf("header = %+v, want %+v", f.Header, h)
			}
			g, err := Parse(bytes.Clone(f.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if g.Header != f.Header || !bytes.Equal(g.Content, content) || !bytes.Equal(g.Signature, f.Signature) {
				t.Error("Parse(Sign(...)) differs")
			}
			if err := g.Verify(s.Public()); err != nil {
				t.Errorf("Verify: %v", err)
			}
			out, err := g.AppendBinary([]byte("x"))
			if err != nil || !bytes.Equal(out[1:], f.Bytes()) {
				t.Errorf("AppendBinary: %v", err)
			}
			r, err := Read(iotest.OneByteReader(bytes.NewReader(f.Bytes())), int64(len(f.Bytes())))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !bytes.Equal(r.Bytes(), f.Bytes()) {
				t.Error("Read differs")
			}
			// Every single-bit change to the signed bytes or the signature
			// either fails to parse or fails to verify.
			b := f.Bytes()
			for _, i := range []int{0, 8, 13, 25, 27, 30, 40, 41, 60, len(b) - len(f.Signature) - 1, len(b) - 1} {
				bad := bytes.Clone(b)
				bad[i] ^= 0x01
				fb, err := Parse(bad)
				if err != nil {
					continue
				}
				if err := fb.Verify(s.Public()); err == nil {
					t.Errorf("byte %d changed: Verify = nil", i)
				}
			}
		})
	}
}

func TestVerifyWrongKey(t *testing.T) {
	a, _ := crypto.GenerateEd25519(nil)
	b, _ := crypto.GenerateEd25519(nil)
	f, err := Sign(Header{Version: "1", SignerID: "a"}, []byte("x"), a)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Verify(b.Public()); !errors.Is(err, crypto.ErrBadSignature) {
		t.Errorf("other key: %v", err)
	}
	if err := f.Verify(make([]byte, 31)); !errors.Is(err, crypto.ErrKeyLength) {
		t.Errorf("short key: %v", err)
	}
	if err := new(File).Verify(a.Public()); !errors.Is(err, ErrNotSigned) {
		t.Errorf("zero File: %v", err)
	}
	if _, err := new(File).AppendBinary(nil); !errors.Is(err, ErrNotSigned) {
		t.Errorf("zero File AppendBinary: %v", err)
	}
}

// valid returns a well-formed Ed25519 su3 file.
func valid(t testing.TB) []byte {
	t.Helper()
	s, _ := crypto.NewEd25519Signer(make([]byte, 32))
	f, err := Sign(Header{FileType: FileZip, ContentType: ContentReseed, Version: "1700000000", SignerID: "x@mail.i2p"}, []byte("content!"), s)
	if err != nil {
		t.Fatal(err)
	}
	return f.Bytes()
}

func TestParseErrors(t *testing.T) {
	good := valid(t)
	set := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"magic only", []byte("I2Psu3"), ErrShort},
		{"short not su3", []byte("<html>"), ErrNotSU3},
		{"bad magic", set(func(b []byte) []byte { b[0] = 'i'; return b }), ErrNotSU3},
		{"zip", set(func(b []byte) []byte { copy(b, "PK\x03\x04"); return b }), ErrNotSU3},
		{"format version 1", set(func(b []byte) []byte { b[7] = 1; return b }), ErrFormatVersion},
		{"sig type 9", set(func(b []byte) []byte { b[9] = 9; return b }), ErrUnsupportedSigType},
		{"sig type RedDSA", set(func(b []byte) []byte { b[9] = 11; return b }), ErrUnsupportedSigType},
		{"sig type 0xffff", set(func(b []byte) []byte { b[8], b[9] = 0xff, 0xff; return b }), ErrUnsupportedSigType},
		{"sig length", set(func(b []byte) []byte { b[11] = 65; return b }), ErrMalformed},
		{"version length 15", set(func(b []byte) []byte { b[13] = 15; return b }), ErrMalformed},
		{"signer length 0", set(func(b []byte) []byte { b[15] = 0; return b }), ErrMalformed},
		{"content length 0", set(func(b []byte) []byte { binary.BigEndian.PutUint64(b[16:], 0); return b }), ErrMalformed},
		{"content length huge", set(func(b []byte) []byte { binary.BigEndian.PutUint64(b[16:], 1<<63); return b }), ErrTooLarge},
		{"content length over max", set(func(b []byte) []byte { binary.BigEndian.PutUint64(b[16:], MaxContentLen+1); return b }), ErrTooLarge},
		{"content length longer", set(func(b []byte) []byte { b[23]++; return b }), ErrShort},
		{"content length shorter", set(func(b []byte) []byte { b[23]--; return b }), ErrTrailing},
		{"signer length longer", set(func(b []byte) []byte { b[15] = 255; return b }), ErrShort},
		{"trailing byte", append(bytes.Clone(good), 0), ErrTrailing},
		{"header cut", good[:39], ErrShort},
		{"version cut", good[:50], ErrShort},
		{"content cut", good[:len(good)-65], ErrShort},
		{"signature cut", good[:len(good)-1], ErrShort},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse(c.b); !errors.Is(err, c.want) {
				t.Errorf("Parse: %v, want %v", err, c.want)
			}
			if _, err := Read(bytes.NewReader(c.b), 0); !errors.Is(err, c.want) {
				t.Errorf("Read: %v, want %v", err, c.want)
			}
			if err := func() error { _, err := Parse(c.b); return err }(); err != nil && !strings.HasPrefix(err.Error(), "su3: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestLenient: unused bytes and unknown file and content types are accepted,
// as by Java and i2pd; the signature still covers them.
func TestLenient(t *testing.T) {
	b := valid(t)
	for _, i := range []int{6, 12, 14, 24, 26, 28, 39} {
		c := bytes.Clone(b)
		c[i] = 0xaa
		if _, err := Parse(c); err != nil {
			t.Errorf("unused byte %d set: %v", i, err)
		}
	}
	c := bytes.Clone(b)
	c[25], c[27] = 200, 201
	f, err := Parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if f.FileType.String() != "FileType(200)" || f.ContentType.String() != "ContentType(201)" {
		t.Errorf("names %v %v", f.FileType, f.ContentType)
	}
	if FileZip.String() != "zip" || ContentReseed.String() != "reseed" {
		t.Error("names of known types")
	}
}

func TestRead(t *testing.T) {
	good := valid(t)
	if _, err := Read(bytes.NewReader(good), int64(len(good))-1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit one short: %v", err)
	}
	if _, err := Read(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Errorf("limit exact: %v", err)
	}
	// The claimed length is refused before the content is read.
	big := bytes.Clone(good[:60])
	binary.BigEndian.PutUint64(big[16:], MaxContentLen)
	r := &countReader{r: io.MultiReader(bytes.NewReader(big), zeros{})}
	if _, err := Read(r, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Errorf("claimed 64 MiB: %v", err)
	}
	if r.n > 100 {
		t.Errorf("read %d bytes before refusing", r.n)
	}
	// A reader error is passed on.
	boom := errors.New("boom")
	if _, err := Read(io.MultiReader(bytes.NewReader(good[:50]), iotest.ErrReader(boom)), 0); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
}

type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestSignErrors(t *testing.T) {
	ed, _ := crypto.GenerateEd25519(nil)
	red, err := crypto.GenerateRedDSA(nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := Header{Version: "1", SignerID: "a"}
	cases := []struct {
		name    string
		h       Header
		content []byte
		s       crypto.Signer
		want    error
	}{
		{"RedDSA", ok, []byte("x"), red, ErrUnsupportedSigType},
		{"no version", Header{SignerID: "a"}, []byte("x"), ed, ErrMalformed},
		{"long version", Header{Version: strings.Repeat("v", 256), SignerID: "a"}, []byte("x"), ed, ErrMalformed},
		{"NUL in version", Header{Version: "1\x002", SignerID: "a"}, []byte("x"), ed, ErrMalformed},
		{"no signer", Header{Version: "1"}, []byte("x"), ed, ErrMalformed},
		{"long signer", Header{Version: "1", SignerID: strings.Repeat("s", 256)}, []byte("x"), ed, ErrMalformed},
		{"no content", ok, nil, ed, ErrMalformed},
	}
	for _, c := range cases {
		if _, err := Sign(c.h, c.content, c.s); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A signer whose signatures do not match its key is caught.
	if _, err := Sign(ok, []byte("x"), liar{ed}); !errors.Is(err, crypto.ErrBadSignature) {
		t.Errorf("liar: %v", err)
	}
	// Long version and signer at the limit.
	f, err := Sign(Header{Version: strings.Repeat("v", 255), SignerID: strings.Repeat("s", 255)}, []byte("x"), ed)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Version) != 255 || len(f.SignerID) != 255 {
		t.Error("255-byte fields")
	}
}

type liar struct{ crypto.Signer }

func (l liar) Sign(msg []byte) ([]byte, error) {
	sig, err := l.Signer.Sign(msg)
	sig[0] ^= 1
	return sig, err
}
