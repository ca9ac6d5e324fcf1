package reseed

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/su3"
)

// server is a reseed server serving body.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func serve(t *testing.T, body []byte) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+FileName {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	})
}

func (s *server) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func newReseeder(t *testing.T, cfg Config, srvs ...*server) *Reseeder {
	t.Helper()
	for _, s := range srvs {
		cfg.URLs = append(cfg.URLs, s.URL)
	}
	if cfg.HTTPClient == nil && len(srvs) > 0 {
		// httptest servers share one test CA, so any server's client
		// trusts them all.
		cfg.HTTPClient = srvs[0].Client()
	}
	if cfg.NetID == 0 {
		cfg.NetID = testNetID
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sameSet(t *testing.T, got [][]byte, want []routerInfo) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d RouterInfos, want %d", len(got), len(want))
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g []byte) bool { return bytes.Equal(g, w.b) }) {
			t.Errorf("RouterInfo %v missing", w.hash)
		}
	}
}

func TestFetch(t *testing.T) {
	k := newTestKey(t, "test@mail.i2p")
	signers := NewSigners()
	k.trust(t, signers)
	ris := newRIs(t, 10)
	srv := serve(t, k.sign(t, makeZip(t, entries(ris)), su3Opts{}))

	r := newReseeder(t, Config{Signers: signers, MinRouters: 5}, srv)
	got, err := r.Fetch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, got, ris)

	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	q := reqs[0]
	if q.Method != http.MethodGet || q.URL.Path != "/i2pseeds.su3" || q.URL.RawQuery != "netid=7" {
		t.Errorf("request %s %s", q.Method, q.URL)
	}
	if ua := q.Header.Get("User-Agent"); ua != "Wget/1.11.4" {
		t.Errorf("User-Agent %q", ua)
	}
}

// TestFetchServers: servers are asked until MinRouters come from MinServers
// servers, and RouterInfos are counted once.
func TestFetchServers(t *testing.T) {
	k := newTestKey(t, "test@mail.i2p")
	signers := NewSigners()
	k.trust(t, signers)
	ris := newRIs(t, 6)
	a := serve(t, k.sign(t, makeZip(t, entries(ris[:4])), su3Opts{}))
	b := serve(t, k.sign(t, makeZip(t, entries(ris[2:])), su3Opts{}))
	c := serve(t, k.sign(t, makeZip(t, entries(ris[2:])), su3Opts{}))

	r := newReseeder(t, Config{Signers: signers, MinRouters: 1, MinServers: 2}, a, b, c)
	got, err := r.Fetch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := len(a.requests()) + len(b.requests()) + len(c.requests())
	if n != 2 {
		t.Errorf("%d servers asked, want 2", n)
	}
	if len(got) < 4 {
		t.Errorf("%d RouterInfos", len(got))
	}

	// Enough from one server, but MinServers caps at the number of servers.
	r = newReseeder(t, Config{Signers: signers, MinRouters: 1, MinServers: 5}, a)
	if got, err = r.Fetch(t.Context()); err != nil || len(got) != 4 {
		t.Errorf("one server: %d, %v", len(got), err)
	}

	// A failing server is skipped while another works.
	bad := serve(t, []byte("not su3"))
	r = newReseeder(t, Config{Signers: signers, MinRouters: 6, MinServers: 1}, bad, a, b)
	got, err = r.Fetch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, got, ris)
}

func TestFetchErrors(t *testing.T) {
	k := newTestKey(t, "test@mail.i2p")
	signers := NewSigners()
	k.trust(t, signers)
	zb := makeZip(t, entries(newRIs(t, 3)))
	good := k.sign(t, zb, su3Opts{})

	badSig := bytes.Clone(good)
	badSig[len(badSig)-1] ^= 1
	badContent := bytes.Clone(good)
	badContent[len(badContent)-65] ^= 1

	other := newTestKey(t, "test@mail.i2p") // same ID, other key
	stranger := newTestKey(t, "stranger@mail.i2p")

	p256, err := crypto.GenerateECDSA(crypto.SigECDSASHA256P256, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSigners := NewSigners()
	if err := ecSigners.AddSigner("test@mail.i2p", p256.Type(), p256.Public()); err != nil {
		t.Fatal(err)
	}

	old := strconv.FormatInt(time.Now().Add(-31*24*time.Hour).Unix(), 10)

	cases := []struct {
		name    string
		body    []byte
		signers *Signers
		want    error
		msg     string
	}{
		{"bad signature", badSig, signers, ErrBadSignature, "reseed: bad su3 signature from test@mail.i2p"},
		{"changed content", badContent, signers, ErrBadSignature, "bad su3 signature from test@mail.i2p"},
		{"other key", other.sign(t, zb, su3Opts{}), signers, ErrBadSignature, "bad su3 signature from test@mail.i2p"},
		{"unknown signer", stranger.sign(t, zb, su3Opts{}), signers, ErrUnknownSigner, "reseed: su3 signed by unknown signer stranger@mail.i2p"},
		{"key type mismatch", good, ecSigners, ErrBadSignature, "signed with EdDSA_SHA512_Ed25519, the signer's key is ECDSA_SHA256_P256"},
		{"not su3", []byte("<html><body>hello</body></html>"), signers, su3.ErrNotSU3, "not an su3 file"},
		{"empty", nil, signers, su3.ErrShort, "truncated"},
		{"news", k.sign(t, zb, su3Opts{contentType: su3.ContentNews}), signers, ErrNotReseed, "content type news"},
		{"xml", k.sign(t, zb, su3Opts{fileType: su3.FileXML}), signers, ErrNotReseed, "file type xml"},
		{"too old", k.sign(t, zb, su3Opts{version: old}), signers, ErrTooOld, "31 days ago"},
		{"not a zip", k.sign(t, []byte("no zip here"), su3Opts{}), signers, nil, "zip: not a valid zip file"},
		{"no RouterInfos", k.sign(t, makeZip(t, []zipEntry{{"README", []byte("hi")}}), su3Opts{}), signers, ErrNoRouterInfos, "none named"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := serve(t, c.body)
			r := newReseeder(t, Config{Signers: c.signers}, srv)
			got, err := r.Fetch(t.Context())
			if err == nil {
				t.Fatalf("no error, %d RouterInfos", len(got))
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q lacks %q", err, c.msg)
			}
			if !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error %q does not name the server", err)
			}
		})
	}
}

func TestFetchHTTPErrors(t *testing.T) {
	signers := NewSigners()
	newTestKey(t, "test@mail.i2p").trust(t, signers)

	t.Run("404", func(t *testing.T) {
		srv := newServer(t, http.NotFound)
		_, err := newReseeder(t, Config{Signers: signers}, srv).Fetch(t.Context())
		if err == nil || !strings.Contains(err.Error(), "HTTP status 404") {
			t.Errorf("error %v", err)
		}
	})
	big := bytes.Repeat([]byte("x"), 5000)
	t.Run("oversized with Content-Length", func(t *testing.T) {
		srv := serve(t, big)
		_, err := newReseeder(t, Config{Signers: signers, MaxSize: 1000}, srv).Fetch(t.Context())
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("oversized chunked", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 5; i++ {
				w.Write(big[:1000])
				w.(http.Flusher).Flush()
			}
		})
		_, err := newReseeder(t, Config{Signers: signers, MaxSize: 1000}, srv).Fetch(t.Context())
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("error %v", err)
		}
	})
	// stalled makes a server that writes prefix and then nothing until
	// the subtest ends, when it aborts the response. (Returning when the
	// request's context ended wrote an empty 200, which a loaded machine
	// could deliver before the client's own deadline.)
	stalled := func(t *testing.T, prefix string) *server {
		done := make(chan struct{})
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if prefix != "" {
				w.Write([]byte(prefix))
				w.(http.Flusher).Flush()
			}
			<-done
			panic(http.ErrAbortHandler)
		})
		t.Cleanup(func() { close(done) }) // before the server's Close
		return srv
	}
	t.Run("slow server, Config.Timeout", func(t *testing.T) {
		srv := stalled(t, "")
		start := time.Now()
		_, err := newReseeder(t, Config{Signers: signers, Timeout: 100 * time.Millisecond}, srv).Fetch(t.Context())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("slow body, Config.Timeout", func(t *testing.T) {
		srv := stalled(t, "I2Psu3")
		_, err := newReseeder(t, Config{Signers: signers, Timeout: 100 * time.Millisecond}, srv).Fetch(t.Context())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("slow server, caller's context", func(t *testing.T) {
		srv := stalled(t, "")
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := newReseeder(t, Config{Signers: signers}, srv, srv).Fetch(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v", err)
		}
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d requests after the context ended, want 1", n)
		}
	})
	t.Run("no servers", func(t *testing.T) {
		if _, err := newReseeder(t, Config{Signers: signers}).Fetch(t.Context()); err == nil {
			t.Error("no error")
		}
	})
}

// selfSigned makes a reseed signer certificate like the shipped ones.
func selfSigned(t *testing.T, id string, key any, pub any, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: id, Organization: []string{"I2P Anonymous Network"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestCertificates: signers added from X.509 certificates, RSA as the real
// reseed signers use and ECDSA, and validity dates.
func TestCertificates(t *testing.T) {
	zb := makeZip(t, entries(newRIs(t, 2)))
	now := time.Now()

	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ekb, err := ek.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	ecSigner, err := crypto.NewECDSASigner(crypto.SigECDSASHA256P256, ekb)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := testKey{"rsa@mail.i2p", rsaSigner{crypto.SigRSASHA2562048, rk}}
	ecKey := testKey{"ec@mail.i2p", ecSigner}

	cases := []struct {
		name     string
		cert     []byte
		k        testKey
		want     error
		wantType crypto.SigType
	}{
		{"rsa", selfSigned(t, "rsa@mail.i2p", rk, &rk.PublicKey, now.Add(-time.Hour), now.Add(time.Hour)), rsaKey, nil, crypto.SigRSASHA2562048},
		{"ecdsa", selfSigned(t, "ec@mail.i2p", ek, &ek.PublicKey, now.Add(-time.Hour), now.Add(time.Hour)), ecKey, nil, crypto.SigECDSASHA256P256},
		{"expired", selfSigned(t, "ec@mail.i2p", ek, &ek.PublicKey, now.Add(-2*time.Hour), now.Add(-time.Hour)), ecKey, ErrCertificateExpired, crypto.SigECDSASHA256P256},
		{"not yet valid", selfSigned(t, "ec@mail.i2p", ek, &ek.PublicKey, now.Add(time.Hour), now.Add(2*time.Hour)), ecKey, ErrCertificateExpired, crypto.SigECDSASHA256P256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewSigners()
			id, err := s.AddCertificate(c.cert)
			if err != nil {
				t.Fatal(err)
			}
			sg, _ := s.Lookup(id)
			if id != c.k.id || sg.SigType != c.wantType || !bytes.Equal(sg.PublicKey, c.k.s.Public()) {
				t.Fatalf("signer %s %v", id, sg.SigType)
			}
			srv := serve(t, c.k.sign(t, zb, su3Opts{}))
			got, err := newReseeder(t, Config{Signers: s}, srv).Fetch(t.Context())
			if !errors.Is(err, c.want) || (err == nil && len(got) != 2) {
				t.Errorf("Fetch: %d, %v; want %v", len(got), err, c.want)
			}
		})
	}

	// DER works as well as PEM; other PEM blocks and garbage do not.
	blk, _ := pem.Decode(cases[0].cert)
	if _, err := NewSigners().AddCertificate(blk.Bytes); err != nil {
		t.Errorf("DER: %v", err)
	}
	if _, err := NewSigners().AddCertificate(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: blk.Bytes})); err == nil {
		t.Error("PRIVATE KEY block accepted")
	}
	if _, err := NewSigners().AddCertificate([]byte("junk")); err == nil {
		t.Error("junk accepted")
	}
	// A 1024-bit RSA key has no I2P type.
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigners().AddCertificate(selfSigned(t, "small@mail.i2p", small, &small.PublicKey, now, now.Add(time.Hour))); !errors.Is(err, crypto.ErrUnsupportedSigType) {
		t.Errorf("1024-bit RSA: %v", err)
	}
}

// TestDefaultSigners: every shipped certificate parses, is named after its
// signer, and holds a 4096-bit RSA key (updates.rst: "selfsigned X.509
// certificates with RSA-4096 keys (signature type 6)").
func TestDefaultSigners(t *testing.T) {
	s, err := DefaultSigners()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("certs/*.crt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 || s.Len() != len(files) {
		t.Fatalf("%d signers from %d files", s.Len(), len(files))
	}
	for _, id := range s.IDs() {
		sg, _ := s.Lookup(id)
		if sg.SigType != crypto.SigRSASHA5124096 || len(sg.PublicKey) != 512 || sg.PublicKey[0] == 0 {
			t.Errorf("%s: %v, %d-byte key", id, sg.SigType, len(sg.PublicKey))
		}
		if !strings.Contains(id, "@") {
			t.Errorf("signer ID %q is not an email address", id)
		}
		if sg.NotAfter.Before(sg.NotBefore) || sg.NotBefore.IsZero() {
			t.Errorf("%s: validity %v to %v", id, sg.NotBefore, sg.NotAfter)
		}
		if _, err := os.Stat(filepath.Join("certs", CertFileName(id))); err != nil {
			t.Error(err)
		}
	}
	if _, ok := s.Lookup("hottuna@mail.i2p"); !ok {
		t.Error("hottuna@mail.i2p missing")
	}
	if CertFileName("hottuna@mail.i2p") != "hottuna_at_mail.i2p.crt" {
		t.Error("CertFileName")
	}
}

func TestAddSigner(t *testing.T) {
	s := NewSigners()
	k := newTestKey(t, "a@b")
	if err := s.AddSigner("", k.s.Type(), k.s.Public()); err == nil {
		t.Error("empty ID accepted")
	}
	if err := s.AddSigner("a@b", k.s.Type(), k.s.Public()[:31]); !errors.Is(err, crypto.ErrKeyLength) {
		t.Errorf("short key: %v", err)
	}
	if err := s.AddSigner("a@b", crypto.SigRedDSAEd25519, k.s.Public()); !errors.Is(err, crypto.ErrUnsupportedSigType) {
		t.Errorf("RedDSA: %v", err)
	}
	if err := s.AddSigner("a@b", k.s.Type(), k.s.Public()); err != nil {
		t.Fatal(err)
	}
	if got := s.IDs(); len(got) != 1 || got[0] != "a@b" {
		t.Errorf("IDs %v", got)
	}
	var nilS *Signers
	if _, ok := nilS.Lookup("a@b"); ok || nilS.Len() != 0 || nilS.IDs() != nil {
		t.Error("nil Signers")
	}
	// A type 8 file verifies with an Ed25519 (type 7) key.
	f, err := su3.Sign(su3.Header{SigType: crypto.SigEd25519ph, ContentType: su3.ContentReseed, Version: strconv.FormatInt(time.Now().Unix(), 10), SignerID: "a@b"},
		makeZip(t, entries(newRIs(t, 1))), k.s)
	if err != nil {
		t.Fatal(err)
	}
	if f.SigType != crypto.SigEd25519ph {
		t.Fatal(f.SigType)
	}
	got, err := newReseeder(t, Config{Signers: s}, serve(t, f.Bytes())).Fetch(t.Context())
	if err != nil || len(got) != 1 {
		t.Errorf("type 8: %d, %v", len(got), err)
	}
}

func TestNew(t *testing.T) {
	s := NewSigners()
	newTestKey(t, "a@b").trust(t, s)
	for _, c := range []struct {
		url   string
		http  bool
		ok    bool
		clean string
	}{
		{"https://reseed.example/", false, true, "https://reseed.example/"},
		{"https://reseed.example:8443/netDb", false, true, "https://reseed.example:8443/netDb/"},
		{"https://reseed.example", false, true, "https://reseed.example/"},
		{"http://reseed.example/", false, false, ""},
		{"http://127.0.0.1:8080/", true, true, "http://127.0.0.1:8080/"},
		{"ftp://reseed.example/", true, false, ""},
		{"https://reseed.example/?a=b", false, false, ""},
		{"https://user:pw@reseed.example/", false, false, ""},
		{"https:///path/", false, false, ""},
		{"::", false, false, ""},
	} {
		r, err := New(Config{URLs: []string{c.url}, AllowHTTP: c.http, Signers: s})
		if (err == nil) != c.ok {
			t.Errorf("%q: %v", c.url, err)
			continue
		}
		if err == nil && r.urls[0] != c.clean {
			t.Errorf("%q became %q, want %q", c.url, r.urls[0], c.clean)
		}
	}
	if _, err := New(Config{Signers: NewSigners()}); err == nil {
		t.Error("no signers accepted")
	}
	if _, err := New(Config{Signers: s, NetID: 256}); err == nil {
		t.Error("netid 256 accepted")
	}
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg.NetID != 2 || r.cfg.Signers.Len() == 0 || r.client == nil || !r.ownHTTP {
		t.Error("defaults")
	}
}

func TestFromFile(t *testing.T) {
	k := newTestKey(t, "test@mail.i2p")
	signers := NewSigners()
	k.trust(t, signers)
	ris := newRIs(t, 3)
	zb := makeZip(t, entries(ris))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := newReseeder(t, Config{Signers: signers, MaxSize: 100 << 10})

	for _, p := range []string{write("seeds.su3", k.sign(t, zb, su3Opts{})), write("seeds.zip", zb)} {
		got, err := r.FromFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		sameSet(t, got, ris)
	}
	stranger := newTestKey(t, "stranger@mail.i2p")
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"unknown.su3", stranger.sign(t, zb, su3Opts{}), ErrUnknownSigner},
		{"junk", []byte("hello"), ErrNotReseedFile},
		{"empty", nil, ErrNotReseedFile},
		{"big.zip", append([]byte("PK\x03\x04"), make([]byte, 100<<10)...), ErrTooLarge},
		{"broken.zip", []byte("PK\x03\x04 broken"), nil},
	} {
		p := write(c.name, c.b)
		_, err := r.FromFile(p)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
	}
	if _, err := r.FromFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}
