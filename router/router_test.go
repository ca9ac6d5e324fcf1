package router

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"github.com/i2pgo/i2pgo/router/i2np"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/netdb"
	"github.com/i2pgo/i2pgo/router/transport/ntcp2"
)

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// openRouter makes and opens a Router; the test's cleanup shuts it down.
func openRouter(t *testing.T, cfg Config) *Router {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { shutdown(t, r) })
	return r
}

// shutdown releases what Open holds (the NTCP2 listener) the only way the
// API offers: Run with a cancelled context. It may be called again.
func shutdown(t *testing.T, r *Router) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Errorf("Run with a cancelled context: %v", err)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, timeout)
		case <-tick.C:
		}
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no datadir", Config{NetID: 7}, "datadir"},
		{"netid 0", Config{DataDir: dir, NetID: 0}, "netid 0"},
		{"netid 255", Config{DataDir: dir, NetID: 255}, "netid 255"},
		{"netid -1", Config{DataDir: dir, NetID: -1}, "netid -1"},
		{"host ::1", Config{DataDir: dir, NetID: 7, Host: "::1"}, `"::1"`},
		{"host foo", Config{DataDir: dir, NetID: 7, Host: "foo"}, `"foo"`},
		{"host with port", Config{DataDir: dir, NetID: 7, Host: "127.0.0.1:80"}, `"127.0.0.1:80"`},
		{"port -1", Config{DataDir: dir, NetID: 7, Port: -1}, "port -1"},
		{"port 65536", Config{DataDir: dir, NetID: 7, Port: 65536}, "port 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.cfg)
			if err == nil {
				t.Fatalf("New accepted %+v", tt.cfg)
			}
			if r != nil {
				t.Error("New returned a Router with an error")
			}
			if !strings.HasPrefix(err.Error(), "router: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %s", err, tt.want)
			}
		})
	}
	// New does no I/O.
	if _, err := New(Config{DataDir: filepath.Join(dir, "new"), NetID: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New created the datadir: %v", err)
	}
}

func TestNewDefaults(t *testing.T) {
	for _, netid := range []int{1, 2, 254} {
		r, err := New(Config{DataDir: "x", NetID: netid, Host: "10.1.2.3", Port: 65535})
		if err != nil {
			t.Fatalf("netid %d: %v", netid, err)
		}
		if r.cfg.Bandwidth != 2048 || r.cfg.MinPeers != 8 || r.cfg.PeerFillDelay != 20*time.Second || r.log == nil {
			t.Errorf("defaults: %+v", r.cfg)
		}
	}
}

func TestCaps(t *testing.T) {
	tests := []struct {
		bw        int
		floodfill bool
		host      string
		want      string
	}{
		{1, false, "", "KU"},
		{12, false, "", "LU"},
		{48, false, "", "MU"},
		{64, false, "", "NU"},
		{128, false, "", "OU"},
		{256, false, "", "PU"},
		{1999, false, "", "PU"},
		{2000, true, "127.0.0.1", "XfR"},
		{0, false, "127.0.0.1", "XR"}, // the default, 2048
	}
	for _, tt := range tests {
		r, err := New(Config{DataDir: "x", NetID: 7, Bandwidth: tt.bw, Floodfill: tt.floodfill, Host: tt.host})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.caps(); got != tt.want {
			t.Errorf("caps of %d KB/s, floodfill %v, host %q = %q, want %q", tt.bw, tt.floodfill, tt.host, got, tt.want)
		}
	}
}

func TestRunBeforeOpen(t *testing.T) {
	r, err := New(Config{DataDir: t.TempDir(), NetID: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err == nil {
		t.Error("Run before Open returned nil")
	}
}

func TestOpenPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	r, err := New(Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: port})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Open()
	if err == nil {
		shutdown(t, r)
		t.Fatal("Open succeeded on a port in use")
	}
	if !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("error %q does not name port %d", err, port)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %q does not wrap EADDRINUSE", err)
	}
}

func TestOpenDatadirNotWritable(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Join(file, "sub")} // fails for root too
	if os.Geteuid() != 0 {
		ro := filepath.Join(tmp, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, ro, filepath.Join(ro, "sub"))
	} else {
		t.Log("running as root: a mode 0500 datadir is writable, not tested")
	}
	for _, dir := range dirs {
		r, err := New(Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Open()
		if err == nil {
			shutdown(t, r)
			t.Errorf("Open with datadir %s succeeded", dir)
			continue
		}
		if !strings.HasPrefix(err.Error(), "router: datadir "+dir) {
			t.Errorf("error %q does not name the datadir %s", err, dir)
		}
	}
}

// TestRouterInfo checks the RouterInfo we publish, with and without a host.
func TestRouterInfo(t *testing.T) {
	t.Run("host", func(t *testing.T) {
		dir := t.TempDir()
		port := freePort(t)
		r := openRouter(t, Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: port, Floodfill: true})
		ri := checkRouterInfo(t, r, "XfR")
		a, ok := ri.Address("NTCP2")
		if !ok {
			t.Fatalf("no NTCP2 address: %v", ri.Addresses)
		}
		wantOpts(t, a, map[string]string{
			"s": data.Base64Encode(r.id.ntcp2.PublicKey().Bytes()), "i": data.Base64Encode(r.id.ntcp2IV[:]),
			"v": "2", "host": "127.0.0.1", "port": strconv.Itoa(port),
		})
		if a.Cost != 3 {
			t.Errorf("NTCP2 cost %d, want 3", a.Cost)
		}
		a2, ok := ri.Address("SSU2")
		if !ok {
			t.Fatalf("no SSU2 address: %v", ri.Addresses)
		}
		wantOpts(t, a2, map[string]string{
			"s": data.Base64Encode(r.id.ssu2.PublicKey().Bytes()), "i": data.Base64Encode(r.id.ssu2Intro[:]),
			"v": "2", "host": "127.0.0.1", "port": strconv.Itoa(port), "mtu": "1500", "caps": "BC",
		})
		if p, ok := ssu2Peer(ri); !ok || p.Addr.String() != net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) ||
			p.Static != [32]byte(r.id.ssu2.PublicKey().Bytes()) || p.IntroKey != r.id.ssu2Intro || p.MTU != 1500 {
			t.Errorf("ssu2Peer = %+v, %v", p, ok)
		}
		peer, addr, ok := ntcp2Peer(ri)
		if !ok || addr != net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) || peer.Hash != r.Hash() ||
			peer.Static != [32]byte(r.id.ntcp2.PublicKey().Bytes()) || peer.IV != r.id.ntcp2IV {
			t.Errorf("ntcp2Peer = %+v, %q, %v", peer, addr, ok)
		}
		if got := r.NTCP2Addr().String(); got != addr {
			t.Errorf("NTCP2Addr = %s, want %s", got, addr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "router.info"))
		if err != nil || !bytes.Equal(b, ri.Bytes()) {
			t.Errorf("router.info is not the RouterInfo: %v", err)
		}
		if !bytes.Equal(r.routerInfoBytes(), ri.Bytes()) {
			t.Error("routerInfoBytes is not RouterInfo().Bytes()")
		}
	})
	t.Run("no host", func(t *testing.T) {
		// Without Open, which would listen on every interface.
		r := unopenedRouter(t)
		r.port = 12345
		if err := r.resign(); err != nil {
			t.Fatal(err)
		}
		ri := checkRouterInfo(t, r, "NU")
		a, ok := ri.Address("NTCP2")
		if !ok {
			t.Fatalf("no NTCP2 address: %v", ri.Addresses)
		}
		wantOpts(t, a, map[string]string{"s": data.Base64Encode(r.id.ntcp2.PublicKey().Bytes()), "v": "2", "caps": "4"})
		if _, _, ok := ntcp2Peer(ri); ok {
			t.Error("ntcp2Peer found a dialable address in an unpublished one")
		}
		if a, ok := ri.Address("SSU2"); !ok || a.Host() != "" {
			t.Errorf("SSU2 address without a host: %v", ri.Addresses)
		} else if _, ok := ssu2Peer(ri); ok {
			t.Error("ssu2Peer found a dialable address in an unpublished one")
		}
	})
}

// checkRouterInfo checks r's RouterInfo: signed, our network, caps.
func checkRouterInfo(t *testing.T, r *Router, caps string) *data.RouterInfo {
	t.Helper()
	ri := r.RouterInfo()
	if ri == nil {
		t.Fatal("no RouterInfo")
	}
	if err := ri.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	// As a peer sees it.
	p, err := data.ParseRouterInfo(ri.Bytes())
	if err != nil {
		t.Fatalf("ParseRouterInfo: %v", err)
	}
	if err := p.Verify(); err != nil {
		t.Errorf("Verify of the parsed RouterInfo: %v", err)
	}
	if _, err := netdb.New(netdb.Config{NetID: 7}).Check(ri.Bytes()); err != nil {
		t.Errorf("netdb Check: %v", err)
	}
	if p.Hash() != r.Hash() {
		t.Errorf("RouterInfo hash %v, router %v", p.Hash(), r.Hash())
	}
	if id, ok := p.NetID(); !ok || id != 7 {
		t.Errorf("netId %d, %v; want 7", id, ok)
	}
	if got := p.Caps(); got != caps {
		t.Errorf("caps %q, want %q", got, caps)
	}
	if got := p.Version(); got != APIVersion {
		t.Errorf("router.version %q, want %q", got, APIVersion)
	}
	if d := time.Since(p.Published); d < 0 || d > time.Minute {
		t.Errorf("published %v, %v ago", p.Published, d)
	}
	if len(p.Addresses) != 2 {
		t.Errorf("%d addresses, want 2 (NTCP2 and SSU2)", len(p.Addresses))
	}
	return p
}

// wantOpts checks that a's options are exactly want.
func wantOpts(t *testing.T, a data.RouterAddress, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for k, v := range a.Options.All() {
		got[k] = v
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("NTCP2 option %q = %q, want %q", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected NTCP2 option %s=%q", k, v)
		}
	}
}

func TestCheckPeerRouterInfo(t *testing.T) {
	t.Run("i2pd", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join("data", "testdata", "i2pd-r1.routerInfo.dat"))
		if err != nil {
			t.Fatal(err)
		}
		ri, err := data.ParseRouterInfo(b)
		if err != nil {
			t.Fatal(err)
		}
		// The netDb's clock is the RouterInfo's, so that it never gets too
		// old for the test.
		at := func() time.Time { return ri.Published.Add(time.Hour) }
		r := &Router{netdb: testDB(t, netdb.Config{NetID: 7, Now: at})}
		a, _ := ri.Address("NTCP2")
		s, ok := a.StaticKey()
		if !ok {
			t.Fatal("no NTCP2 static key")
		}
		ssu2, _ := ri.Address("SSU2")
		ssu2Key, _ := ssu2.StaticKey()
		checkPeer(t, r, b, s, ri.Hash(), [][]byte{ssu2Key, make([]byte, 32), s[:31], nil})

		wrong := &Router{netdb: testDB(t, netdb.Config{NetID: 2, Now: at})}
		if _, err := wrong.checkPeerRouterInfo(b, s); !errors.Is(err, netdb.ErrWrongNetID) {
			t.Errorf("netid 2 router: %v; want ErrWrongNetID", err)
		}
		late := &Router{netdb: testDB(t, netdb.Config{NetID: 7, Now: func() time.Time { return ri.Published.Add(netdb.MaxAge + time.Hour) }})}
		if _, err := late.checkPeerRouterInfo(b, s); !errors.Is(err, netdb.ErrTooOld) {
			t.Errorf("RouterInfo past MaxAge: %v; want ErrTooOld", err)
		}
	})
	t.Run("i2pgo", func(t *testing.T) {
		peer := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
		b := peer.RouterInfo().Bytes()
		s := peer.id.ntcp2.PublicKey().Bytes()
		r := &Router{netdb: testDB(t, netdb.Config{NetID: 7})}
		other, err := newIdentity()
		if err != nil {
			t.Fatal(err)
		}
		checkPeer(t, r, b, s, peer.Hash(), [][]byte{other.ntcp2.PublicKey().Bytes(), peer.id.encPriv.PublicKey().Bytes()})

		wrong := &Router{netdb: testDB(t, netdb.Config{NetID: 8})}
		if _, err := wrong.checkPeerRouterInfo(b, s); !errors.Is(err, netdb.ErrWrongNetID) {
			t.Errorf("netid 8 router: %v; want ErrWrongNetID", err)
		}
		bad := bytes.Clone(b)
		bad[len(bad)-1] ^= 1
		if _, err := r.checkPeerRouterInfo(bad, s); err == nil {
			t.Error("bad signature accepted")
		}
		if _, err := r.checkPeerRouterInfo(b[:len(b)-1], s); err == nil {
			t.Error("truncated RouterInfo accepted")
		}
	})
}

// checkPeer checks that r accepts b with the static key s and refuses it,
// with a *ntcp2.StaticKeyError, with each of the wrong keys.
func checkPeer(t *testing.T, r *Router, b, s []byte, want data.Hash, wrong [][]byte) {
	t.Helper()
	h, err := r.checkPeerRouterInfo(b, s)
	if err != nil {
		t.Fatalf("right static key: %v", err)
	}
	if h != want {
		t.Errorf("hash %v, want %v", data.Hash(h), want)
	}
	for _, w := range wrong {
		_, err := r.checkPeerRouterInfo(b, w)
		var se *ntcp2.StaticKeyError
		if !errors.As(err, &se) {
			t.Errorf("static key %x: %v; want a *ntcp2.StaticKeyError", w, err)
		}
	}
}

func TestStatus(t *testing.T) {
	r := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	st := r.Status()
	if st.RouterHash != r.Hash().String() || st.RouterHash == (data.Hash{}).String() {
		t.Errorf("router_hash %q, want %q", st.RouterHash, r.Hash())
	}
	if r.start.IsZero() || st.UptimeS < 0 {
		t.Errorf("uptime not counted from Open: start %v, uptime_s %d", r.start, st.UptimeS)
	}
	if st.NetID != 7 || st.Version != Version || st.RouterVersion != APIVersion {
		t.Errorf("Status = %+v", st)
	}
	if st.Peers != (PeerStatus{}) || st.NetDB != (NetDBStatus{LastPublishS: -1}) || st.I2NP.Received == nil || st.I2NP.Malformed != 0 {
		t.Errorf("Status of a router that has not run = %+v", st)
	}
	if p := r.Peers(); len(p) != 0 {
		t.Errorf("Peers = %v", p)
	}

	// Before Open too (the console may ask early).
	r2, err := New(Config{DataDir: t.TempDir(), NetID: 9})
	if err != nil {
		t.Fatal(err)
	}
	if st := r2.Status(); st.NetID != 9 || st.Peers.NTCP2 != 0 {
		t.Errorf("Status before Open = %+v", st)
	}
	if p := r2.Peers(); len(p) != 0 {
		t.Errorf("Peers before Open = %v", p)
	}
}

// writeReseedZip writes a reseed zip of the RouterInfos.
func writeReseedZip(t *testing.T, ris ...*data.RouterInfo) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, ri := range ris {
		w, err := zw.Create("routerInfo-" + ri.Hash().String() + ".dat")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(ri.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenReseedFile(t *testing.T) {
	peer := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t), Floodfill: true})
	dir := t.TempDir()
	r := openRouter(t, Config{DataDir: dir, NetID: 7, Host: "127.0.0.1", Port: freePort(t), ReseedFile: writeReseedZip(t, peer.RouterInfo())})
	if st := r.Status(); st.NetDB.Routers != 1 || st.NetDB.Floodfills != 1 {
		t.Errorf("after reseed, netdb = %+v; want 1 router, 1 floodfill", st.NetDB)
	}
	if _, err := os.Stat(filepath.Join(dir, "netDb", netdb.FileName(peer.Hash()))); err != nil {
		t.Errorf("reseeded RouterInfo not saved: %v", err)
	}

	// A missing reseed file stops Open.
	bad, err := New(Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t), ReseedFile: filepath.Join(dir, "nothing.zip")})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Open(); err == nil || !strings.Contains(err.Error(), "nothing.zip") {
		t.Errorf("Open with a missing reseed file: %v", err)
	}
	if bad.ntcp2 != nil {
		shutdown(t, bad)
	}
}

// TestTwoRouters runs two routers in this process: A knows B from a reseed
// file and connects to it over NTCP2 on 127.0.0.1; B learns A's RouterInfo
// from the handshake.
func TestTwoRouters(t *testing.T) {
	b := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	a := openRouter(t, Config{
		DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t),
		ReseedFile: writeReseedZip(t, b.RouterInfo()),
		MinPeers:   1, PeerFillDelay: time.Nanosecond, // B is no floodfill
	})
	if a.netdb.Get(b.Hash()) == nil {
		t.Fatal("A does not know B")
	}
	if b.netdb.Get(a.Hash()) != nil {
		t.Fatal("B knows A before they met")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errA := make(chan error, 1) // written once by A's Run goroutine
	errB := make(chan error, 1)
	go func() { errB <- b.Run(ctx) }()
	go func() { errA <- a.Run(ctx) }()
	stopped := false
	defer func() {
		if !stopped { // a Fatal below: still wait for both
			cancel()
			<-errA
			<-errB
		}
	}()

	waitFor(t, 10*time.Second, "A connected to B", func() bool {
		sa, sb := a.Status(), b.Status()
		return sa.Peers.NTCP2+sa.Peers.SSU2 == 1 && sa.Peers.Outbound == 1 && sb.Peers.NTCP2+sb.Peers.SSU2 == 1 && sb.Peers.Inbound == 1 &&
			sa.Peers.NTCP2 == sb.Peers.NTCP2
	})
	waitFor(t, 5*time.Second, "B has A's RouterInfo", func() bool { return b.netdb.Get(a.Hash()) != nil })
	if got := b.netdb.Get(a.Hash()); !bytes.Equal(got.Bytes(), a.routerInfoBytes()) {
		t.Error("B holds another RouterInfo of A")
	}
	sa, sb := a.Status(), b.Status()
	if sa.Peers.OutboundTotal != 1 || sa.Peers.InboundTotal != 0 || sb.Peers.InboundTotal != 1 || sb.Peers.OutboundTotal != 0 {
		t.Errorf("session totals: A %+v, B %+v", sa.Peers, sb.Peers)
	}
	if sb.NetDB.Routers != 1 {
		t.Errorf("B's netdb: %+v", sb.NetDB)
	}
	if p := a.Peers(); len(p) != 1 || p[0].Router != b.Hash().String() || !p[0].Outbound || p[0].Transport != map[bool]string{true: "NTCP2", false: "SSU2"}[sa.Peers.NTCP2 == 1] {
		t.Errorf("A's Peers = %+v", p)
	}
	if p := b.Peers(); len(p) != 1 || p[0].Router != a.Hash().String() || p[0].Outbound {
		t.Errorf("B's Peers = %+v", p)
	}

	cancel()
	stopped = true
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for name, c := range map[string]chan error{"A": errA, "B": errB} {
		select {
		case err := <-c:
			if err != nil {
				t.Errorf("%s's Run: %v", name, err)
			}
		case <-deadline.C:
			t.Fatalf("%s's Run did not return within 15 s of cancel", name)
		}
	}
	if n := len(a.ntcp2.Sessions()) + len(b.ntcp2.Sessions()); n != 0 {
		t.Errorf("%d sessions left after Run returned", n)
	}
}

type nopSender struct{}

func (nopSender) Send(data.Hash, i2np.Message) error { return nil }

func testDB(t *testing.T, c netdb.Config) *netdb.DB {
	db, err := netdb.NewDB(netdb.DBConfig{Config: c, Sender: nopSender{}, RouterInfo: func() []byte { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSSU2Introducers: an SSU2 address with introducers and no host is
// dialable through them; expired and incomplete introducers are left out.
func TestSSU2Introducers(t *testing.T) {
	r := unopenedRouter(t)
	var ih [32]byte
	ih[0] = 9
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	opts := map[string]string{
		"s": data.Base64Encode(r.id.ssu2.PublicKey().Bytes()), "i": data.Base64Encode(r.id.ssu2Intro[:]), "v": "2", "caps": "4",
		"ih0": data.Base64Encode(ih[:]), "itag0": "77", "iexp0": future,
		"ih1": data.Base64Encode(ih[:]), "itag1": "78", "iexp1": past, // expired
		"ih2": data.Base64Encode(ih[:]), "itag2": "79", // no iexp
	}
	a, err := data.NewRouterAddress(15, "SSU2", opts)
	if err != nil {
		t.Fatal(err)
	}
	ropts, _ := data.SortedMapping(map[string]string{data.OptionCaps: "LU", data.OptionNetID: "7", data.OptionVersion: APIVersion})
	ri := &data.RouterInfo{Identity: r.id.ident, Published: time.Now(), Addresses: []data.RouterAddress{a}, Options: ropts}
	if err := ri.Sign(r.id.signer); err != nil {
		t.Fatal(err)
	}
	p, ok := ssu2Peer(ri)
	if !ok || p.Addr.IsValid() || len(p.Introducers) != 1 || p.Introducers[0].Tag != 77 || p.Introducers[0].Hash != ih {
		t.Fatalf("ssu2Peer = %+v, %v", p, ok)
	}
}

// unopenedRouter is a Router with keys but without Open (no listeners).
func unopenedRouter(t *testing.T) *Router {
	t.Helper()
	dir := t.TempDir()
	r, err := New(Config{DataDir: dir, NetID: 7, Bandwidth: 100})
	if err != nil {
		t.Fatal(err)
	}
	if r.id, _, err = loadOrCreateIdentity(dir); err != nil {
		t.Fatal(err)
	}
	r.hash = r.id.ident.Hash()
	return r
}

// TestFirewalledConfig: router.firewalled publishes no host on either
// transport (introducers only), caps U, and says so in the status.
func TestFirewalledConfig(t *testing.T) {
	r := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t), Firewalled: true})
	ri := r.RouterInfo()
	if ri == nil {
		t.Fatal("no RouterInfo")
	}
	if c := ri.Caps(); !strings.Contains(c, "U") || strings.Contains(c, "R") {
		t.Errorf("caps %q, want U and no R", c)
	}
	styles := map[string]bool{}
	for _, a := range ri.Addresses {
		styles[a.TransportStyle] = true
		if a.Host() != "" {
			t.Errorf("%s address publishes host %q while firewalled", a.TransportStyle, a.Host())
		}
	}
	if !styles["NTCP2"] || !styles["SSU2"] {
		t.Errorf("addresses %v, want NTCP2 and SSU2 (without hosts)", styles)
	}
	st := r.Status()
	if st.Network.Status != "firewalled" || !st.Network.Forced || st.Network.Introducers != 0 {
		t.Errorf("network status %+v, want firewalled, forced, no introducers yet", st.Network)
	}
	// The same router without the key publishes both hosts.
	r2 := openRouter(t, Config{DataDir: t.TempDir(), NetID: 7, Host: "127.0.0.1", Port: freePort(t)})
	for _, a := range r2.RouterInfo().Addresses {
		if a.Host() != "127.0.0.1" {
			t.Errorf("not firewalled: %s address host %q", a.TransportStyle, a.Host())
		}
	}
	if st := r2.Status(); st.Network.Forced || st.Network.Status == "firewalled" {
		t.Errorf("not firewalled: network %+v", st.Network)
	}
}
