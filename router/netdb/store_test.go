package netdb_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/netdb"
)

// now is the fixed clock of these tests, to the millisecond as RouterInfo
// dates are.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// router is a test router identity that can sign RouterInfos.
type router struct {
	id     data.RouterIdentity
	signer *crypto.Ed25519Signer
}

func newRouter(t testing.TB) *router {
	t.Helper()
	signer, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := data.NewRouterIdentity(crypto.SigEd25519, signer.Public(), data.CryptoType(4), enc.PublicKey().Bytes(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &router{id: id, signer: signer}
}

// riOpts are the options of one RouterInfo; zero fields get defaults.
type riOpts struct {
	netID     string // "7" unless set; "-" leaves netId out
	caps      string // "XR" unless set
	published time.Time
	extra     map[string]string
}

// ri signs a RouterInfo with an NTCP2 address on 127.0.0.1.
func (r *router) ri(t testing.TB, o riOpts) *data.RouterInfo {
	t.Helper()
	if o.netID == "" {
		o.netID = "7"
	}
	if o.caps == "" {
		o.caps = "XR"
	}
	if o.published.IsZero() {
		o.published = now
	}
	addr, err := data.NewRouterAddress(3, "NTCP2", map[string]string{
		"host": "127.0.0.1", "port": "12345", "v": "2",
		"s": data.Base64Encode(make([]byte, 32)), "i": data.Base64Encode(make([]byte, 16)),
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{data.OptionCaps: o.caps, data.OptionVersion: "0.9.66"}
	if o.netID != "-" {
		opts[data.OptionNetID] = o.netID
	}
	for k, v := range o.extra {
		opts[k] = v
	}
	m, err := data.SortedMapping(opts)
	if err != nil {
		t.Fatal(err)
	}
	ri := &data.RouterInfo{Identity: r.id, Published: o.published, Addresses: []data.RouterAddress{addr}, Options: m}
	if err := ri.Sign(r.signer); err != nil {
		t.Fatal(err)
	}
	return ri
}

func newStore(dir string) *netdb.Store {
	return netdb.New(netdb.Config{NetID: 7, Dir: dir, Now: clock})
}

func TestPutAccepts(t *testing.T) {
	s := newStore("")
	ri := newRouter(t).ri(t, riOpts{})
	got, fresh, err := s.Put(ri.Bytes())
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !fresh {
		t.Error("Put of a new RouterInfo: fresh = false")
	}
	if got.Hash() != ri.Hash() || !bytes.Equal(got.Bytes(), ri.Bytes()) {
		t.Error("Put returned another RouterInfo")
	}
	if g := s.Get(ri.Hash()); g == nil || !bytes.Equal(g.Bytes(), ri.Bytes()) {
		t.Errorf("Get after Put = %v", g)
	}
	if n := len(s.Routers()); n != 1 {
		t.Errorf("Routers: %d, want 1", n)
	}
	// The same bytes again are not new.
	if _, fresh, err := s.Put(ri.Bytes()); err != nil || fresh {
		t.Errorf("second Put = fresh %v, err %v; want false, nil", fresh, err)
	}
}

func TestPutRefuses(t *testing.T) {
	r := newRouter(t)
	badSig := bytes.Clone(r.ri(t, riOpts{}).Bytes())
	badSig[len(badSig)-1] ^= 1
	badBody := bytes.Clone(r.ri(t, riOpts{}).Bytes())
	badBody[len(r.id.Bytes())+3] ^= 1 // in the published date
	big := map[string]string{}
	for i := range 20 {
		big[fmt.Sprintf("pad%02d", i)] = strings.Repeat("x", 250)
	}
	large := r.ri(t, riOpts{extra: big}).Bytes()
	if len(large) <= netdb.MaxRouterInfoSize {
		t.Fatalf("test RouterInfo of %d bytes is not too large", len(large))
	}

	tests := []struct {
		name string
		b    []byte
		want error // nil: any error
	}{
		{"wrong netId", r.ri(t, riOpts{netID: "2"}).Bytes(), netdb.ErrWrongNetID},
		{"no netId", r.ri(t, riOpts{netID: "-"}).Bytes(), netdb.ErrWrongNetID},
		{"netId not a number", r.ri(t, riOpts{netID: "seven"}).Bytes(), netdb.ErrWrongNetID},
		{"bad signature", badSig, nil},
		{"signed bytes changed", badBody, nil},
		{"too large", large, netdb.ErrTooLarge},
		{"too large garbage", make([]byte, netdb.MaxRouterInfoSize+1), netdb.ErrTooLarge},
		{"future", r.ri(t, riOpts{published: now.Add(netdb.MaxFutureSkew + time.Second)}).Bytes(), netdb.ErrFuture},
		{"too old", r.ri(t, riOpts{published: now.Add(-netdb.MaxAge - time.Second)}).Bytes(), netdb.ErrTooOld},
		{"empty", nil, nil},
		{"truncated", r.ri(t, riOpts{}).Bytes()[:100], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore("")
			ri, fresh, err := s.Put(tt.b)
			if err == nil {
				t.Fatalf("Put accepted it: %v", ri)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Put: %v; want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "netdb: ") && !strings.HasPrefix(err.Error(), "data: ") {
				t.Errorf("error %q has no package prefix", err)
			}
			if fresh || ri != nil {
				t.Errorf("Put returned %v, %v with an error", ri, fresh)
			}
			if n, _ := s.Counts(); n != 0 {
				t.Errorf("store holds %d routers after a refusal", n)
			}
		})
	}
}

// TestPutLimits checks the dates just inside the limits.
func TestPutLimits(t *testing.T) {
	r := newRouter(t)
	for _, pub := range []time.Time{now.Add(netdb.MaxFutureSkew), now.Add(-netdb.MaxAge)} {
		if _, err := newStore("").Check(r.ri(t, riOpts{published: pub}).Bytes()); err != nil {
			t.Errorf("published %v (now %v): %v", pub, now, err)
		}
	}
}

func TestPutKeepsNewer(t *testing.T) {
	r := newRouter(t)
	older := r.ri(t, riOpts{published: now.Add(-time.Hour), caps: "LR"})
	newer := r.ri(t, riOpts{published: now.Add(-time.Minute), caps: "XfR"})

	s := newStore("")
	if _, fresh, err := s.Put(older.Bytes()); err != nil || !fresh {
		t.Fatalf("Put older: fresh %v, err %v", fresh, err)
	}
	if got, fresh, err := s.Put(newer.Bytes()); err != nil || !fresh || !bytes.Equal(got.Bytes(), newer.Bytes()) {
		t.Fatalf("Put newer over older: fresh %v, err %v", fresh, err)
	}
	if got := s.Get(r.id.Hash()); !bytes.Equal(got.Bytes(), newer.Bytes()) {
		t.Errorf("after older, newer: holds %v", got)
	}

	s = newStore("")
	s.Put(newer.Bytes())
	got, fresh, err := s.Put(older.Bytes())
	if err != nil || fresh {
		t.Errorf("Put older over newer: fresh %v, err %v; want false, nil", fresh, err)
	}
	if got == nil || !bytes.Equal(got.Bytes(), newer.Bytes()) {
		t.Errorf("Put older over newer returned %v, want the newer", got)
	}
	if got := s.Get(r.id.Hash()); !bytes.Equal(got.Bytes(), newer.Bytes()) {
		t.Errorf("after newer, older: holds %v", got)
	}
	if routers, floodfills := s.Counts(); routers != 1 || floodfills != 1 {
		t.Errorf("Counts = %d, %d; want 1, 1", routers, floodfills)
	}
}

func TestPutSelf(t *testing.T) {
	r := newRouter(t)
	s := netdb.New(netdb.Config{NetID: 7, Self: r.id.Hash(), Now: clock})
	if _, fresh, err := s.Put(r.ri(t, riOpts{}).Bytes()); err != nil || fresh {
		t.Errorf("Put of our own RouterInfo: fresh %v, err %v; want false, nil", fresh, err)
	}
	if n, _ := s.Counts(); n != 0 {
		t.Errorf("our own RouterInfo is kept: %d routers", n)
	}
}

func TestCounts(t *testing.T) {
	s := newStore("")
	for _, caps := range []string{"XfR", "XR", "Lf", "OU", "fX"} {
		if _, _, err := s.Put(newRouter(t).ri(t, riOpts{caps: caps}).Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if routers, floodfills := s.Counts(); routers != 5 || floodfills != 3 {
		t.Errorf("Counts = %d, %d; want 5, 3", routers, floodfills)
	}
}

func TestFileName(t *testing.T) {
	r := newRouter(t)
	b64 := r.id.Hash().String()
	want := filepath.Join("r"+b64[:1], "routerInfo-"+b64+".dat")
	if got := netdb.FileName(r.id.Hash()); got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	// A known one: the i2pd router of router/data/testdata/README.md.
	h, err := data.HashFromBase64("TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU=")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := netdb.FileName(h), filepath.Join("rT", "routerInfo-TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU=.dat"); got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "netDb")
	s := newStore(dir)
	if n, err := s.Load(); n != 0 || err != nil {
		t.Fatalf("Load of a new dir = %d, %v", n, err)
	}
	var ris []*data.RouterInfo
	for range 3 {
		ri := newRouter(t).ri(t, riOpts{})
		if _, _, err := s.Put(ri.Bytes()); err != nil {
			t.Fatal(err)
		}
		ris = append(ris, ri)
	}
	for _, ri := range ris {
		b64 := ri.Hash().String()
		p := filepath.Join(dir, "r"+b64[:1], "routerInfo-"+b64+".dat")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("RouterInfo not saved in the Java/i2pd layout: %v", err)
		}
		if !bytes.Equal(b, ri.Bytes()) {
			t.Errorf("%s holds other bytes", p)
		}
	}
	// No temporary files are left.
	all, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(all) != len(ris) {
		t.Errorf("netDb holds %v, want %d files", all, len(ris))
	}

	s2 := newStore(dir)
	n, err := s2.Load()
	if err != nil || n != len(ris) {
		t.Fatalf("Load = %d, %v; want %d, nil", n, err, len(ris))
	}
	for _, ri := range ris {
		got := s2.Get(ri.Hash())
		if got == nil || !bytes.Equal(got.Bytes(), ri.Bytes()) {
			t.Errorf("after Load, Get(%v) = %v", ri.Hash(), got)
		}
	}
}

// TestLoadSkips checks that Load skips bad files and removes the ones that
// can never become good: expired or from another network.
func TestLoadSkips(t *testing.T) {
	dir := t.TempDir()
	write := func(ri *data.RouterInfo, b []byte) string {
		p := filepath.Join(dir, netdb.FileName(ri.Hash()))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := newRouter(t).ri(t, riOpts{})
	old := newRouter(t).ri(t, riOpts{published: now.Add(-netdb.MaxAge - time.Hour)})
	other := newRouter(t).ri(t, riOpts{netID: "2"})
	garbled := newRouter(t).ri(t, riOpts{})
	goodP := write(good, good.Bytes())
	oldP := write(old, old.Bytes())
	otherP := write(other, other.Bytes())
	garbledP := write(garbled, garbled.Bytes()[:50])

	s := newStore(dir)
	if n, err := s.Load(); n != 1 || err != nil {
		t.Fatalf("Load = %d, %v; want 1, nil", n, err)
	}
	if s.Get(good.Hash()) == nil {
		t.Error("the good RouterInfo was not loaded")
	}
	for p, want := range map[string]bool{goodP: true, oldP: false, otherP: false, garbledP: true} {
		_, err := os.Stat(p)
		if got := err == nil; got != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(p), got, want)
		}
	}
}

// FuzzCheck feeds arbitrary bytes to Check: it must not panic, and what it
// accepts must verify and be from our network.
func FuzzCheck(f *testing.F) {
	r := newRouter(f)
	f.Add(r.ri(f, riOpts{}).Bytes())
	f.Add(r.ri(f, riOpts{caps: "XfR", extra: map[string]string{"a": "b"}}).Bytes())
	f.Add(r.ri(f, riOpts{netID: "2"}).Bytes())
	for _, name := range []string{"i2pd-r1.routerInfo.dat", "i2pd-r4.routerInfo.dat"} {
		if b, err := os.ReadFile(filepath.Join("..", "data", "testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	s := netdb.New(netdb.Config{NetID: 7, Now: clock})
	f.Fuzz(func(t *testing.T, b []byte) {
		ri, err := s.Check(b)
		if err != nil {
			if ri != nil {
				t.Errorf("Check returned a RouterInfo with error %v", err)
			}
			return
		}
		if !bytes.Equal(ri.Bytes(), b) {
			t.Error("accepted RouterInfo has other bytes than its input")
		}
		if err := ri.Verify(); err != nil {
			t.Errorf("accepted RouterInfo does not verify: %v", err)
		}
		if id, ok := ri.NetID(); !ok || id != 7 {
			t.Errorf("accepted netId %d, %v", id, ok)
		}
	})
}

func TestExpire(t *testing.T) {
	dir := t.TempDir()
	s := newStore(dir)
	for i := 0; i < 30; i++ {
		ri := newRouter(t).ri(t, riOpts{published: now.Add(-time.Duration(i) * 50 * time.Minute)})
		if _, _, err := s.Put(ri.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	// Published 0 to 24 h ago: a router keeps them all (72 h below 120
	// routers), a floodfill only the two of the last hour.
	if got := s.Expire(false); got != 0 {
		t.Fatalf("router expired %d", got)
	}
	if got := s.Expire(true); got != 28 {
		t.Fatalf("floodfill expired %d, want 28", got)
	}
	if n, _ := s.Counts(); n != 2 {
		t.Fatalf("%d left, want 2", n)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "r?", "routerInfo-*.dat"))
	if len(files) != 2 {
		t.Fatalf("%d files left, want 2", len(files))
	}
	// 25 or fewer: never expired.
	if got := s.Expire(true); got != 0 {
		t.Fatalf("expired %d of 2", got)
	}
}
