package i2cp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/data"
)

// fakeNet is an in-memory Network: its destinations deliver to each
// other once their LeaseSets are signed.
type fakeNet struct {
	mu    sync.Mutex
	dests map[data.Hash]*fakeDest
	names map[string]data.Destination
	made  []DestinationConfig
}

func newFakeNet() *fakeNet {
	return &fakeNet{dests: make(map[data.Hash]*fakeDest), names: make(map[string]data.Destination)}
}

type fakeDest struct {
	n      *fakeNet
	cfg    DestinationConfig
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	ls   *data.LeaseSet2
	keys []PrivateKey
}

func (n *fakeNet) NewDestination(ctx context.Context, cfg DestinationConfig) (Destination, error) {
	d := &fakeDest{n: n, cfg: cfg}
	rctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	n.mu.Lock()
	n.dests[cfg.Destination.Hash()] = d
	n.made = append(n.made, cfg)
	n.mu.Unlock()
	// As router/client does once it has inbound tunnels.
	d.wg.Go(func() {
		var gw data.Hash
		gw[0] = 7
		leases := []data.Lease2{{Gateway: gw, TunnelID: 42, End: time.Now().Add(10 * time.Minute).Truncate(time.Second)}}
		ls, keys, err := cfg.SignLeaseSet(rctx, leases)
		if err != nil {
			return
		}
		d.mu.Lock()
		d.ls, d.keys = ls, keys
		d.mu.Unlock()
	})
	return d, nil
}

func (n *fakeNet) Lookup(ctx context.Context, name string) (data.Destination, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d, ok := n.names[name]; ok {
		return d, nil
	}
	return data.Destination{}, errors.New("fake: unknown name")
}

func (n *fakeNet) LookupHash(ctx context.Context, h data.Hash) (data.Destination, data.Mapping, error) {
	n.mu.Lock()
	d := n.dests[h]
	n.mu.Unlock()
	if d == nil || d.leaseSet() == nil {
		return data.Destination{}, data.Mapping{}, client.ErrNoLeaseSet
	}
	return d.cfg.Destination, d.leaseSet().Options, nil
}

func (n *fakeNet) BandwidthLimits() (int, int) { return 100, 200 }

func (d *fakeDest) leaseSet() *data.LeaseSet2 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ls
}

func (d *fakeDest) Send(ctx context.Context, to data.Destination, payload []byte) error {
	d.n.mu.Lock()
	t := d.n.dests[to.Hash()]
	d.n.mu.Unlock()
	if t == nil || t.leaseSet() == nil {
		return client.ErrNoLeaseSet
	}
	t.cfg.Deliver(bytes.Clone(payload))
	return nil
}

func (d *fakeDest) Close() error {
	d.cancel()
	d.wg.Wait()
	d.n.mu.Lock()
	delete(d.n.dests, d.cfg.Destination.Hash())
	d.n.mu.Unlock()
	return nil
}

// checkLeaks fails if goroutines started during the test are left at
// its end (polled, as they exit a little after Close).
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:n])
				return
			}
			runtime.Gosched()
			time.Sleep(time.Millisecond) // polling, not waiting for an event
		}
	})
}

// harness is a server on a fake network, with connections over pipes.
type harness struct {
	t   *testing.T
	n   *fakeNet
	s   *Server
	ctx context.Context
	wg  sync.WaitGroup
}

func newHarness(t *testing.T) *harness {
	checkLeaks(t)
	n := newFakeNet()
	s, err := New(Config{}, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, n: n, s: s, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		h.wg.Wait()
	})
	return h
}

// dial connects a raw pipe to the server.
func (h *harness) dial() net.Conn {
	a, b := net.Pipe()
	h.wg.Go(func() { h.s.ServeConn(h.ctx, b) })
	h.t.Cleanup(func() { a.Close() })
	return a
}

func (h *harness) client() *Client {
	c, err := NewClient(h.dial())
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// read reads the next message of type T, failing on others.
func read[T Message](t *testing.T, c *Client) T {
	t.Helper()
	m, err := c.Read(5 * time.Second)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	x, ok := m.(T)
	if !ok {
		t.Fatalf("got %T %+v, want %T", m, m, *new(T))
	}
	return x
}

func newKeys(t *testing.T) *client.Keys {
	t.Helper()
	k, err := client.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// open does GetDate, CreateSession and answers the LeaseSet request.
func open(t *testing.T, c *Client, keys *client.Keys, opts map[string]string) SessionID {
	t.Helper()
	if err := c.Write(&GetDate{Version: "0.9.66"}); err != nil {
		t.Fatal(err)
	}
	sd := read[*SetDate](t, c)
	if sd.Version != defaultVersion || time.Since(sd.Date.Time()).Abs() > time.Minute {
		t.Fatalf("SetDate %+v", sd)
	}
	cfg, err := NewSessionConfig(keys, opts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(&CreateSession{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	st := read[*SessionStatus](t, c)
	if st.Status != SessionCreated {
		t.Fatalf("SessionStatus %+v", st)
	}
	req := read[*RequestVariableLeaseSet](t, c)
	if req.Session != st.Session || len(req.Leases) != 1 || req.Leases[0].TunnelID != 42 {
		t.Fatalf("RequestVariableLeaseSet %+v", req)
	}
	ans, err := AnswerLeaseSet(keys, req, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ans); err != nil {
		t.Fatal(err)
	}
	return st.Session
}

// waitLS waits for the fake destination of keys to hold its LeaseSet.
func (h *harness) waitLS(keys *client.Keys) *fakeDest {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.n.mu.Lock()
		d := h.n.dests[keys.Destination.Hash()]
		h.n.mu.Unlock()
		if d != nil && d.leaseSet() != nil {
			return d
		}
		time.Sleep(time.Millisecond) // polling
	}
	h.t.Fatal("no LeaseSet signed")
	return nil
}

func TestSessionAndSend(t *testing.T) {
	h := newHarness(t)
	ka, kb := newKeys(t), newKeys(t)
	ca, cb := h.client(), h.client()
	ida := open(t, ca, ka, map[string]string{"inbound.length": "0", "outbound.quantity": "3", "inbound.nickname": "alice"})
	idb := open(t, cb, kb, nil)
	if ida == idb {
		t.Fatalf("session IDs %d and %d", ida, idb)
	}
	da := h.waitLS(ka)
	h.waitLS(kb)
	if da.cfg.Inbound.Length != 1 || da.cfg.Outbound.Quantity != 3 || da.cfg.Name != "i2cp:alice" {
		t.Errorf("tunnel settings %+v %+v name %q", da.cfg.Inbound, da.cfg.Outbound, da.cfg.Name)
	}
	if len(da.keys) != 2 || da.ls.Destination.Hash() != ka.Destination.Hash() {
		t.Errorf("LeaseSet keys %d", len(da.keys))
	}

	payload, _ := client.EncodePayload(client.ProtoRaw, 1, 2, []byte("hello"), false)
	if err := ca.Write(&SendMessage{Session: ida, Destination: kb.Destination, Payload: payload, Nonce: 9}); err != nil {
		t.Fatal(err)
	}
	acc := read[*MessageStatus](t, ca)
	if acc.Status != StatusAccepted || acc.Nonce != 9 || acc.Size != uint32(len(payload)) {
		t.Fatalf("status %+v", acc)
	}
	done := read[*MessageStatus](t, ca)
	if done.Status != StatusGuaranteedSuccess || done.Message != acc.Message {
		t.Fatalf("status %+v", done)
	}
	mp := read[*MessagePayload](t, cb)
	if mp.Session != idb || !bytes.Equal(mp.Payload, payload) {
		t.Fatalf("payload %+v", mp)
	}
	proto, sp, dp, body, err := client.DecodePayload(mp.Payload, 0)
	if err != nil || proto != client.ProtoRaw || sp != 1 || dp != 2 || string(body) != "hello" {
		t.Fatalf("decoded %d %d %d %q %v", proto, sp, dp, body, err)
	}

	// SendMessageExpires, reliability none: no Accepted, only the final.
	if err := ca.Write(&SendMessage{Session: ida, Destination: kb.Destination, Payload: payload, Nonce: 10,
		Expires: true, Expiration: uint64(time.Now().Add(time.Minute).UnixMilli())}); err != nil {
		t.Fatal(err)
	}
	read[*MessageStatus](t, ca) // accepted
	read[*MessageStatus](t, ca) // success
	read[*MessagePayload](t, cb)

	// To a destination nobody serves: no LeaseSet.
	kc := newKeys(t)
	ca.Write(&SendMessage{Session: ida, Destination: kc.Destination, Payload: payload, Nonce: 11})
	read[*MessageStatus](t, ca)
	if st := read[*MessageStatus](t, ca); st.Status != StatusNoLeaseSet {
		t.Fatalf("status %+v", st)
	}
	// To itself: loopback.
	ca.Write(&SendMessage{Session: ida, Destination: ka.Destination, Payload: payload, Nonce: 12})
	if st := read[*MessageStatus](t, ca); st.Status != StatusLoopbackDenied {
		t.Fatalf("status %+v", st)
	}
	// Unknown session: bad session, connection stays.
	ca.Write(&SendMessage{Session: 999, Destination: kb.Destination, Payload: payload, Nonce: 13})
	if st := read[*MessageStatus](t, ca); st.Status != StatusBadSession || st.Nonce != 13 {
		t.Fatalf("status %+v", st)
	}
	// Nonce 0: silence, but the message goes.
	ca.Write(&SendMessage{Session: ida, Destination: kb.Destination, Payload: payload})
	read[*MessagePayload](t, cb)

	// Lookups.
	h.n.mu.Lock()
	h.n.names["bob.i2p"] = kb.Destination
	h.n.mu.Unlock()
	ca.Write(&HostLookup{Session: ida, Request: 1, Timeout: 10000, Kind: LookupName, Name: "bob.i2p"})
	if r := read[*HostReply](t, ca); r.Result != HostSuccess || r.Request != 1 || r.Destination.Hash() != kb.Destination.Hash() {
		t.Fatalf("HostReply %+v", r)
	}
	ca.Write(&HostLookup{Session: NoSession, Request: 2, Timeout: 10000, Kind: LookupHash, Hash: kb.Destination.Hash()})
	if r := read[*HostReply](t, ca); r.Result != HostSuccess || r.Session != NoSession || r.Request != 2 {
		t.Fatalf("HostReply %+v", r)
	}
	ca.Write(&HostLookup{Session: ida, Request: 3, Kind: LookupName, Name: "nobody.i2p"})
	if r := read[*HostReply](t, ca); r.Result != HostFailure || r.Request != 3 || !r.Destination.IsZero() {
		t.Fatalf("HostReply %+v", r)
	}
	ca.Write(&HostLookup{Session: ida, Request: 4, Kind: LookupNameOptions, Name: "bob.i2p"})
	if r := read[*HostReply](t, ca); r.Result != HostSuccess || r.Options == nil || r.Destination.Hash() != kb.Destination.Hash() {
		t.Fatalf("HostReply %+v", r)
	}
	ca.Write(&HostLookup{Session: ida, Request: 5, Kind: LookupDestination, Destination: kc.Destination})
	if r := read[*HostReply](t, ca); r.Result != HostLeaseSetFailure || r.Destination.Hash() != kc.Destination.Hash() || r.Options != nil {
		t.Fatalf("HostReply %+v", r)
	}
	ca.Write(&HostLookup{Session: ida, Request: 6, Kind: 9, Unknown: []byte{1}})
	if r := read[*HostReply](t, ca); r.Result != HostUnsupported {
		t.Fatalf("HostReply %+v", r)
	}
	ca.Write(&DestLookup{Hash: kc.Destination.Hash()})
	if r := read[*DestReply](t, ca); r.Hash != kc.Destination.Hash() || !r.Destination.IsZero() {
		t.Fatalf("DestReply %+v", r)
	}
	ca.Write(&DestLookup{Hash: kb.Destination.Hash()})
	if r := read[*DestReply](t, ca); r.Destination.Hash() != kb.Destination.Hash() {
		t.Fatalf("DestReply %+v", r)
	}
	ca.Write(&GetBandwidthLimits{})
	if bl := read[*BandwidthLimits](t, ca); bl.Values[0] != 100 || bl.Values[1] != 200 {
		t.Fatalf("BandwidthLimits %+v", bl)
	}

	// Reconfigure, then destroy: the last session goes, Disconnect.
	cfg, _ := NewSessionConfig(ka, map[string]string{"i2cp.messageReliability": "none"}, time.Now())
	ca.Write(&ReconfigureSession{Session: ida, Config: cfg})
	if st := read[*SessionStatus](t, ca); st.Status != SessionUpdated {
		t.Fatalf("status %+v", st)
	}
	ca.Write(&SendMessage{Session: ida, Destination: kb.Destination, Payload: payload, Nonce: 14})
	if st := read[*MessageStatus](t, ca); st.Status != StatusGuaranteedSuccess {
		t.Fatalf("with reliability none, want only the final status, got %+v", st)
	}
	read[*MessagePayload](t, cb)
	ca.Write(&DestroySession{Session: ida})
	if d := read[*Disconnect](t, ca); !strings.Contains(d.Reason, "destroyed") {
		t.Fatalf("Disconnect %q", d.Reason)
	}
	if _, err := ca.Read(5 * time.Second); err == nil {
		t.Fatal("connection still open")
	}
	// The destination is free again.
	ca = h.client()
	open(t, ca, ka, nil)
}

func TestSubsessions(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	k1, k2 := newKeys(t), newKeys(t)
	id1 := open(t, c, k1, nil)
	cfg, _ := NewSessionConfig(k2, nil, time.Now())
	c.Write(&CreateSession{Config: cfg})
	st := read[*SessionStatus](t, c)
	if st.Status != SessionCreated || st.Session == id1 {
		t.Fatalf("status %+v", st)
	}
	req := read[*RequestVariableLeaseSet](t, c)
	ans, _ := AnswerLeaseSet(k2, req, time.Now())
	c.Write(ans)
	h.waitLS(k2)
	// The same destination twice: refused.
	cfg, _ = NewSessionConfig(k1, nil, time.Now())
	c.Write(&CreateSession{Config: cfg})
	if st := read[*SessionStatus](t, c); st.Status != SessionRefused {
		t.Fatalf("status %+v", st)
	}
	// Destroy the subsession: the connection stays.
	c.Write(&DestroySession{Session: st.Session})
	c.Write(&GetDate{})
	read[*SetDate](t, c)
}

// disconnected expects a Disconnect whose reason has want, then EOF.
func disconnected(t *testing.T, c *Client, want string) {
	t.Helper()
	for {
		m, err := c.Read(5 * time.Second)
		if err != nil {
			t.Fatalf("no Disconnect (%q): %v", want, err)
		}
		if d, ok := m.(*Disconnect); ok {
			if !strings.Contains(d.Reason, want) {
				t.Fatalf("Disconnect %q, want %q", d.Reason, want)
			}
			break
		}
	}
	if _, err := c.Read(5 * time.Second); err == nil {
		t.Fatal("connection still open after Disconnect")
	}
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	raw := func(b []byte) *Client {
		nc := h.dial()
		go nc.Write(b) // net.Pipe: the write waits for the reader
		return &Client{nc: nc, r: bufio.NewReader(nc)}
	}
	t.Run("garbage", func(t *testing.T) {
		disconnected(t, raw([]byte("GET / HTTP/1.1\r\n\r\n")), "not I2CP")
	})
	t.Run("oversize", func(t *testing.T) {
		disconnected(t, raw([]byte{ProtocolByte, 0x7f, 0, 0, 0, TypeSendMessage}), "too large")
	})
	t.Run("unknown type", func(t *testing.T) {
		disconnected(t, raw([]byte{ProtocolByte, 0, 0, 0, 0, 99}), "unsupported message type 99")
	})
	t.Run("router message", func(t *testing.T) {
		disconnected(t, raw([]byte{ProtocolByte, 0, 0, 0, 3, TypeSessionStatus, 0, 1, 1}), "unexpected")
	})
	t.Run("malformed", func(t *testing.T) {
		disconnected(t, raw([]byte{ProtocolByte, 0, 0, 0, 1, TypeDestroySession, 0}), "bad message")
	})
	t.Run("bad signature", func(t *testing.T) {
		c := h.client()
		k := newKeys(t)
		cfg, _ := NewSessionConfig(k, map[string]string{"a": "b"}, time.Now())
		cfg.Signature[0] ^= 1
		c.Write(&CreateSession{Config: cfg})
		if st := read[*SessionStatus](t, c); st.Status != SessionInvalid {
			t.Fatalf("status %+v", st)
		}
		disconnected(t, c, "signature")
	})
	t.Run("clock skew", func(t *testing.T) {
		c := h.client()
		cfg, _ := NewSessionConfig(newKeys(t), nil, time.Now().Add(-time.Hour))
		c.Write(&CreateSession{Config: cfg})
		read[*SessionStatus](t, c)
		disconnected(t, c, "clock")
	})
	t.Run("unknown session", func(t *testing.T) {
		c := h.client()
		k := newKeys(t)
		ans, _ := AnswerLeaseSet(k, &RequestVariableLeaseSet{Session: 77, Leases: []data.Lease{{TunnelID: 1, End: time.Now().Add(time.Minute)}}}, time.Now())
		c.Write(ans)
		disconnected(t, c, "unknown session 77")
	})
	t.Run("old CreateLeaseSet", func(t *testing.T) {
		c := h.client()
		c.Write(&CreateLeaseSet{Session: 1, Rest: make([]byte, 20)})
		disconnected(t, c, "CreateLeaseSet2")
	})
	t.Run("foreign LeaseSet", func(t *testing.T) {
		c := h.client()
		k := newKeys(t)
		id := open(t, c, k, nil)
		h.waitLS(k)
		ans, _ := AnswerLeaseSet(newKeys(t), &RequestVariableLeaseSet{Session: id, Leases: []data.Lease{{TunnelID: 1, End: time.Now().Add(time.Minute)}}}, time.Now())
		c.Write(ans)
		disconnected(t, c, "another destination")
	})
	t.Run("client vanishes", func(t *testing.T) {
		c := h.client()
		k := newKeys(t)
		c.Write(&GetDate{})
		read[*SetDate](t, c)
		cfg, _ := NewSessionConfig(k, nil, time.Now())
		c.Write(&CreateSession{Config: cfg})
		read[*SessionStatus](t, c)
		read[*RequestVariableLeaseSet](t, c)
		c.Close() // never answers
		deadline := time.Now().Add(5 * time.Second)
		for {
			h.n.mu.Lock()
			_, alive := h.n.dests[k.Destination.Hash()]
			h.n.mu.Unlock()
			if !alive {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("destination not closed after the client left")
			}
			time.Sleep(time.Millisecond) // polling
		}
	})
	t.Run("client says disconnect", func(t *testing.T) {
		c := h.client()
		c.Write(&Disconnect{Reason: "bye"})
		if _, err := c.Read(5 * time.Second); !errors.Is(err, io.EOF) {
			t.Fatalf("read after Disconnect: %v", err)
		}
	})
}

func TestServeListener(t *testing.T) {
	checkLeaks(t)
	s, _ := New(Config{MaxConns: 1}, newFakeNet(), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c, _ := NewClient(nc)
	c.Write(&GetDate{Version: "0.9.66"})
	read[*SetDate](t, c)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := c.Read(5 * time.Second); err == nil {
		t.Fatal("connection open after Serve returned")
	}
}

func TestLimits(t *testing.T) {
	checkLeaks(t)
	n := newFakeNet()
	s, _ := New(Config{MaxSessions: 1}, n, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	a, b := net.Pipe()
	defer a.Close()
	wg.Go(func() { s.ServeConn(ctx, b) })
	c, _ := NewClient(a)
	open(t, c, newKeys(t), nil)
	cfg, _ := NewSessionConfig(newKeys(t), nil, time.Now())
	c.Write(&CreateSession{Config: cfg})
	if st := read[*SessionStatus](t, c); st.Status != SessionRefused || st.Session != NoSession {
		t.Fatalf("second session over the limit: %+v", st)
	}
	// Payloads past the queue's byte budget are dropped, not queued.
	conn := &conn{data: make(chan []byte, dataQueue), ctrl: make(chan []byte, 1), stop: make(chan struct{}), ctx: ctx}
	big := make([]byte, 60<<10)
	for range 100 {
		conn.queue(conn.data, &MessagePayload{Session: 1, Payload: big})
	}
	if got := len(conn.data); got != maxDataBytes/(len(big)+15) {
		t.Errorf("%d payloads queued, want %d", got, maxDataBytes/(len(big)+15))
	}
	if conn.dropped.Load() == 0 {
		t.Error("nothing dropped")
	}
}

// FuzzServeConn feeds the server arbitrary bytes after the protocol
// byte: it must end the connection without panicking or leaking.
func FuzzServeConn(f *testing.F) {
	k, err := client.GenerateKeys()
	if err != nil {
		f.Fatal(err)
	}
	cfg, _ := NewSessionConfig(k, map[string]string{"inbound.length": "2"}, time.Now())
	cs, _ := AppendFrame(nil, &CreateSession{Config: cfg})
	gd, _ := AppendFrame(nil, &GetDate{Version: "0.9.66"})
	f.Add(gd)
	f.Add(append(gd, cs...))
	f.Add([]byte{0, 0, 0, 2, TypeDestroySession, 0, 1})
	f.Add([]byte{0, 0, 0, 7, TypeHostLookup, 0xff, 0xff, 0, 0, 0, 1, 0})
	n := newFakeNet()
	s, _ := New(Config{}, n, nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, p := net.Pipe()
		done := make(chan struct{})
		go func() { s.ServeConn(ctx, p); close(done) }()
		go io.Copy(io.Discard, a)
		a.Write(append([]byte{ProtocolByte}, b...))
		a.Close()
		<-done
	})
}

// TestSlowReceive covers i2cp.fastReceive=false: MessageStatus
// Available, then ReceiveMessageBegin/End.
func TestSlowReceive(t *testing.T) {
	h := newHarness(t)
	ka, kb := newKeys(t), newKeys(t)
	ca, cb := h.client(), h.client()
	ida := open(t, ca, ka, nil)
	idb := open(t, cb, kb, map[string]string{"i2cp.fastReceive": "false"})
	h.waitLS(ka)
	h.waitLS(kb)
	payload, _ := client.EncodePayload(client.ProtoRaw, 1, 2, []byte("slow"), false)
	ca.Write(&SendMessage{Session: ida, Destination: kb.Destination, Payload: payload})
	av := read[*MessageStatus](t, cb)
	if av.Status != StatusAvailable || av.Size != uint32(len(payload)) || av.Session != idb {
		t.Fatalf("status %+v", av)
	}
	cb.Write(&ReceiveMessageBegin{Session: idb, Message: av.Message})
	mp := read[*MessagePayload](t, cb)
	if mp.Message != av.Message || !bytes.Equal(mp.Payload, payload) {
		t.Fatalf("payload %+v", mp)
	}
	cb.Write(&ReceiveMessageEnd{Session: idb, Message: av.Message})
	cb.Write(&ReceiveMessageBegin{Session: idb, Message: av.Message}) // gone: no answer
	cb.Write(&GetDate{})
	read[*SetDate](t, cb)
}
