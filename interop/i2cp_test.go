//go:build interop

package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2cp"
	"github.com/i2pgo/i2pgo/router/streaming"
)

// i2pdI2CP is the I2CP server of i2pd router k of the test net.
func i2pdI2CP(k int) string {
	var b int
	fmt.Sscan(netBase, &b)
	return fmt.Sprintf("127.0.0.1:%d", b+100*k+54)
}

// i2cpOpts are the session options of these tests: short tunnels, both
// encryption types in the LeaseSet, fast receive.
var i2cpOpts = map[string]string{
	"inbound.length": "1", "outbound.length": "1", "inbound.quantity": "2", "outbound.quantity": "2",
	"i2cp.fastReceive": "true", "i2cp.leaseSetEncType": "4,0", "i2cp.dontPublishLeaseSet": "false",
}

func dialI2CP(addr string) (*i2cp.Client, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c, err := i2cp.NewClient(nc)
	if err != nil {
		nc.Close()
	}
	return c, err
}

// i2cpSession is a session driven by the spec-written test client: a
// reader goroutine answers LeaseSet requests and collects payloads and
// statuses.
type i2cpSession struct {
	t        *testing.T
	name     string
	c        *i2cp.Client
	keys     *client.Keys
	id       i2cp.SessionID
	payloads chan []byte
	statuses chan *i2cp.MessageStatus
	leaseSet chan struct{} // closed at the first CreateLeaseSet2
	done     chan struct{}
	once     sync.Once
	// handle, if set, takes the payloads instead of the channel.
	handle func(payload []byte)
}

func openI2CP(t *testing.T, name, addr string, keys *client.Keys, handle func([]byte)) (*i2cpSession, error) {
	c, err := dialI2CP(addr)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*i2cpSession, error) { c.Close(); return nil, err }
	if err := c.Write(&i2cp.GetDate{Version: "0.9.66"}); err != nil {
		return fail(err)
	}
	if m, err := c.Read(10 * time.Second); err != nil {
		return fail(err)
	} else if _, ok := m.(*i2cp.SetDate); !ok {
		return fail(fmt.Errorf("GetDate answered by %T", m))
	}
	cfg, err := i2cp.NewSessionConfig(keys, i2cpOpts, time.Now())
	if err != nil {
		return fail(err)
	}
	if err := c.Write(&i2cp.CreateSession{Config: cfg}); err != nil {
		return fail(err)
	}
	m, err := c.Read(10 * time.Second)
	if err != nil {
		return fail(err)
	}
	st, ok := m.(*i2cp.SessionStatus)
	if !ok || st.Status != i2cp.SessionCreated {
		return fail(fmt.Errorf("CreateSession answered by %T %+v", m, m))
	}
	s := &i2cpSession{t: t, name: name, c: c, keys: keys, id: st.Session, payloads: make(chan []byte, 64),
		statuses: make(chan *i2cp.MessageStatus, 64), leaseSet: make(chan struct{}), done: make(chan struct{}), handle: handle}
	go s.loop()
	return s, nil
}

func (s *i2cpSession) loop() {
	defer close(s.done)
	for {
		m, err := s.c.Read(0)
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *i2cp.RequestVariableLeaseSet:
			ans, err := i2cp.AnswerLeaseSet(s.keys, m, time.Now())
			if err != nil {
				s.t.Logf("%s: %v", s.name, err)
				continue
			}
			s.c.Write(ans)
			s.once.Do(func() { close(s.leaseSet) })
		case *i2cp.MessagePayload:
			if s.handle != nil {
				s.handle(m.Payload)
				continue
			}
			select {
			case s.payloads <- m.Payload:
			default:
			}
		case *i2cp.MessageStatus:
			select {
			case s.statuses <- m:
			default:
			}
		case *i2cp.Disconnect:
			s.t.Logf("%s: Disconnect %q", s.name, m.Reason)
		}
	}
}

func (s *i2cpSession) close() {
	s.c.Close()
	<-s.done
}

// openReady opens a session and waits until it has answered the first
// LeaseSet request: the router has tunnels both ways. Its LeaseSet may
// not be on a floodfill (i2pd 2.45.1's publication race, see the testnet
// README), so the tests have i2pd's sessions speak first: their LeaseSet
// travels with their first messages.
func openReady(t *testing.T, name, addr string, keys *client.Keys, handle func([]byte)) *i2cpSession {
	t.Helper()
	start := time.Now()
	s, err := openI2CP(t, name, addr, keys, handle)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(s.close)
	select {
	case <-s.leaseSet:
		t.Logf("%s: session %d, LeaseSet signed after %v", name, s.id, time.Since(start).Round(100*time.Millisecond))
	case <-s.done:
		t.Fatalf("%s: connection closed before the LeaseSet request", name)
	case <-time.After(3 * time.Minute):
		t.Fatalf("%s: no LeaseSet request in 3 minutes", name)
	}
	return s
}

// openPublished opens a session and waits until a floodfill holds its
// LeaseSet, re-creating it (same keys) when it has not appeared within
// 45 s, at most 4 times (needed for i2pd's, see openReady).
func openPublished(t *testing.T, name, addr string, keys *client.Keys, handle func([]byte)) *i2cpSession {
	t.Helper()
	start := time.Now()
	b32 := keys.Destination.B32()
	for try := 1; try <= 5; try++ {
		s, err := openI2CP(t, name, addr, keys, handle)
		if err != nil {
			if try < 5 && strings.Contains(err.Error(), "SessionStatus") {
				time.Sleep(2 * time.Second) // i2pd may still hold the old session
				continue
			}
			t.Fatalf("%s: %v", name, err)
		}
		deadline := time.Now().Add(45 * time.Second)
		for time.Now().Before(deadline) {
			if floodfillHas(b32) {
				t.Logf("%s: session %d, LeaseSet on a floodfill after %v (try %d; on %s)", name, s.id, time.Since(start).Round(100*time.Millisecond), try, floodfillsWith(b32))
				t.Cleanup(s.close)
				return s
			}
			time.Sleep(time.Second)
		}
		t.Logf("%s: LeaseSet of %s not on a floodfill after 45 s; re-creating the session", name, b32)
		s.close()
	}
	t.Fatalf("%s: no LeaseSet on a floodfill after 5 tries", name)
	return nil
}

// TestI2CP runs the I2CP tests against one i2pgo node with its I2CP
// server and the i2pd routers r3 and r4 of the test net.
func TestI2CP(t *testing.T) {
	port := freePort(t)
	start := time.Now()
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: fmt.Sprintf("i2cp:\n  enabled: true\n  listen: 127.0.0.1:%d\n", port)})
	ours := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, time.Minute, "i2pgo I2CP server answers", func() (bool, string) {
		c, err := dialI2CP(ours)
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, ""
	})
	n.waitJoined(t, 2*time.Minute)
	t.Logf("i2pgo node up and joined after %v", time.Since(start).Round(100*time.Millisecond))
	// In parallel: most of the time goes in waiting for i2pd's LeaseSets.
	t.Run("Conversation", func(t *testing.T) {
		t.Parallel()
		testI2CPConversation(t, ours, i2pdI2CP(3))
	})
	t.Run("Datagrams", func(t *testing.T) {
		t.Parallel()
		testI2CPDatagrams(t, ours, i2pdI2CP(4))
	})
	t.Run("Streams", func(t *testing.T) {
		t.Parallel()
		testI2CPStreams(t, ours, i2pdI2CP(3))
	})
}

// i2cpStep is a step of the conversation, run on a fresh connection on
// each server; its outcome does not depend on keys or timing.
type i2cpStep struct {
	name, spec string
	// i2pd, why: i2pd 2.45.1's outcome where it differs, and the reason.
	i2pd, why string
	run       func(c *i2cp.Client) string
}

// i2cpReplies reads up to max messages, for at most within, and names them;
// "closed" ends the list when the server closed the connection.
func i2cpReplies(c *i2cp.Client, max int, within time.Duration) string {
	var out []string
	deadline := time.Now().Add(within)
	for len(out) < max {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		m, err := c.Read(left)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "reset") {
				out = append(out, "closed")
			} else {
				out = append(out, "error")
			}
			break
		}
		out = append(out, i2cpName(m))
	}
	return strings.Join(out, ", ")
}

func i2cpName(m i2cp.Message) string {
	switch m := m.(type) {
	case *i2cp.SetDate:
		return "SetDate"
	case *i2cp.BandwidthLimits:
		return "BandwidthLimits"
	case *i2cp.SessionStatus:
		return fmt.Sprintf("SessionStatus %d", m.Status)
	case *i2cp.HostReply:
		return fmt.Sprintf("HostReply %d", m.Result)
	case *i2cp.DestReply:
		if !m.Destination.IsZero() {
			return "DestReply dest"
		}
		if !m.Hash.IsZero() {
			return "DestReply hash"
		}
		return "DestReply empty"
	case *i2cp.Disconnect:
		return "Disconnect"
	case *i2cp.RequestVariableLeaseSet:
		return "RequestVariableLeaseSet"
	case *i2cp.MessageStatus:
		return fmt.Sprintf("MessageStatus %d", m.Status)
	}
	return fmt.Sprintf("type %d", m.Type())
}

func i2cpKeys(t *testing.T) *client.Keys {
	k, err := client.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testI2CPConversation(t *testing.T, ours, theirs string) {
	k := i2cpKeys(t)
	var unknown data.Hash
	unknown[0] = 1
	steps := []i2cpStep{
		{name: "GetDate", spec: "SetDate", run: func(c *i2cp.Client) string {
			c.Write(&i2cp.GetDate{Version: "0.9.66"})
			return i2cpReplies(c, 1, 10*time.Second)
		}},
		{name: "GetBandwidthLimits", spec: "BandwidthLimits", run: func(c *i2cp.Client) string {
			c.Write(&i2cp.GetBandwidthLimits{})
			return i2cpReplies(c, 1, 10*time.Second)
		}},
		{name: "HostLookup unknown name", spec: "HostReply 1", run: func(c *i2cp.Client) string {
			c.Write(&i2cp.HostLookup{Session: i2cp.NoSession, Request: 1, Timeout: 5000, Kind: i2cp.LookupName, Name: "nobody-here.i2p"})
			return i2cpReplies(c, 1, 20*time.Second)
		}},
		{name: "DestLookup unknown hash", spec: "DestReply hash", run: func(c *i2cp.Client) string {
			c.Write(&i2cp.DestLookup{Hash: unknown})
			return i2cpReplies(c, 1, 40*time.Second)
		}},
		{name: "HostLookup options, unknown", spec: "HostReply 6",
			i2pd: "HostReply 1", why: "lookup types 2-4 (API 0.9.66, result 6) are newer than i2pd 2.45.1", run: func(c *i2cp.Client) string {
				c.Write(&i2cp.HostLookup{Session: i2cp.NoSession, Request: 2, Timeout: 5000, Kind: i2cp.LookupHashOptions, Hash: unknown})
				return i2cpReplies(c, 1, 40*time.Second)
			}},
		{name: "CreateSession", spec: "SessionStatus 1, RequestVariableLeaseSet", run: func(c *i2cp.Client) string {
			cfg, _ := i2cp.NewSessionConfig(i2cpKeys(t), i2cpOpts, time.Now())
			c.Write(&i2cp.CreateSession{Config: cfg})
			return i2cpReplies(c, 2, 90*time.Second)
		}},
		{name: "CreateSession bad signature", spec: "SessionStatus 3, Disconnect, closed",
			i2pd: "SessionStatus 3", why: "i2pd keeps the connection open; Java 2.x sends only the Disconnect (\"Invalid signature on CreateSessionMessage\")", run: func(c *i2cp.Client) string {
				cfg, _ := i2cp.NewSessionConfig(k, i2cpOpts, time.Now())
				cfg.Signature[3] ^= 0x40
				c.Write(&i2cp.CreateSession{Config: cfg})
				return i2cpReplies(c, 3, 15*time.Second)
			}},
		{name: "CreateSession clock skew", spec: "SessionStatus 3, Disconnect",
			i2pd: "SessionStatus 1, RequestVariableLeaseSet", why: "i2pd 2.45.1 does not check the config date (i2cp.rst: ±30 s)", run: func(c *i2cp.Client) string {
				cfg, _ := i2cp.NewSessionConfig(k, i2cpOpts, time.Now().Add(-10*time.Minute))
				c.Write(&i2cp.CreateSession{Config: cfg})
				return i2cpReplies(c, 2, 15*time.Second) // i2pd may close a little later: not compared
			}},
		{name: "SendMessage unknown session", spec: "MessageStatus 10",
			i2pd: "", why: "i2pd drops it silently; Java answers Bad Session (10), as we do", run: func(c *i2cp.Client) string {
				p, _ := client.EncodePayload(client.ProtoRaw, 0, 0, []byte("x"), false)
				c.Write(&i2cp.SendMessage{Session: 4321, Destination: k.Destination, Payload: p, Nonce: 5})
				return i2cpReplies(c, 1, 10*time.Second)
			}},
		{name: "unknown message type", spec: "Disconnect, closed",
			i2pd: "", why: "i2pd skips unknown types; the spec's version notes say routers generally disconnect", run: func(c *i2cp.Client) string {
				c.WriteRaw([]byte{0, 0, 0, 3, 99, 1, 2, 3})
				return i2cpReplies(c, 2, 10*time.Second)
			}},
		{name: "oversize length", spec: "Disconnect, closed",
			i2pd: "closed", why: "i2pd closes without a Disconnect; we say why", run: func(c *i2cp.Client) string {
				c.WriteRaw([]byte{0x7f, 0xff, 0xff, 0xff, i2cp.TypeSendMessage})
				return i2cpReplies(c, 2, 10*time.Second)
			}},
	}
	var diffs []string
	for _, st := range steps {
		got := map[string]string{}
		for _, srv := range []struct{ name, addr string }{{"i2pgo", ours}, {"i2pd", theirs}} {
			c, err := dialI2CP(srv.addr)
			if err != nil {
				t.Fatalf("%s: %v", srv.name, err)
			}
			got[srv.name] = st.run(c)
			c.Close()
		}
		t.Logf("%-28s i2pgo: %-40s i2pd: %s", st.name, got["i2pgo"], got["i2pd"])
		if got["i2pgo"] != st.spec {
			t.Errorf("%s: i2pgo gave %q, the spec asks %q", st.name, got["i2pgo"], st.spec)
		}
		want := st.spec
		if st.why != "" {
			want = st.i2pd
			diffs = append(diffs, fmt.Sprintf("%s: i2pd %q, spec and i2pgo %q: %s", st.name, st.i2pd, st.spec, st.why))
		}
		if got["i2pd"] != want {
			// i2pd is the reference, not under test: note the change.
			t.Logf("NOTE %s: i2pd gave %q, this test expected %q from i2pd 2.45.1", st.name, got["i2pd"], want)
		}
	}
	for _, d := range diffs {
		t.Logf("known difference: %s", d)
	}
}

// testI2CPDatagrams sends raw datagrams (I2CP protocol 18) between a
// session on i2pgo's I2CP and one on i2pd's, both ways.
func testI2CPDatagrams(t *testing.T, ours, theirs string) {
	ka, kb, kc := i2cpKeys(t), i2cpKeys(t), i2cpKeys(t)
	var a, b, c *i2cpSession
	var wg sync.WaitGroup
	wg.Go(func() { a = openPublished(t, "i2pgo", ours, ka, nil) })
	wg.Go(func() { b = openReady(t, "i2pd", theirs, kb, nil) })
	wg.Go(func() { c = openPublished(t, "i2pgo 2", ours, kc, nil) })
	wg.Wait()
	if a == nil || b == nil || c == nil {
		t.FailNow()
	}
	send := func(from *i2cpSession, to *client.Keys, text string) {
		p, err := client.EncodePayload(client.ProtoRaw, 1234, 5678, []byte(text), false)
		if err != nil {
			t.Fatal(err)
		}
		if err := from.c.Write(&i2cp.SendMessage{Session: from.id, Destination: to.Destination, Payload: p, Nonce: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// The first send may wait for a LeaseSet lookup, and a message may
	// be lost: resend every 10 s, for 2 minutes.
	roundTrip := func(from, to *i2cpSession, toKeys *client.Keys, text string) time.Duration {
		start := time.Now()
		deadline := start.Add(2 * time.Minute)
		send(from, toKeys, text)
		resend := time.NewTicker(10 * time.Second)
		defer resend.Stop()
		for {
			select {
			case p := <-to.payloads:
				proto, sp, dp, body, err := client.DecodePayload(p, 0)
				if err != nil || proto != client.ProtoRaw || sp != 1234 || dp != 5678 || !bytes.Equal(body, []byte(text)) {
					t.Fatalf("%s got %d %d %d %q %v", to.name, proto, sp, dp, body, err)
				}
				return time.Since(start)
			case st := <-from.statuses:
				t.Logf("%s: MessageStatus %d after %v", from.name, st.Status, time.Since(start).Round(10*time.Millisecond))
			case <-resend.C:
				if time.Now().After(deadline) {
					t.Fatalf("%s → %s: no datagram after 2 minutes", from.name, to.name)
				}
				send(from, toKeys, text)
			case <-to.done:
				t.Fatalf("%s: connection closed", to.name)
			}
		}
	}
	// i2pd first: our LeaseSet is on the floodfills; i2pd's comes with
	// its message, and our answer needs no lookup.
	d1 := roundTrip(b, a, ka, "hello from i2pd's I2CP")
	t.Logf("i2pd I2CP → i2pgo I2CP: raw datagram after %v", d1.Round(10*time.Millisecond))
	d2 := roundTrip(a, b, kb, "hello back from i2pgo's I2CP")
	t.Logf("i2pgo I2CP → i2pd I2CP: raw datagram after %v", d2.Round(10*time.Millisecond))
	d3 := roundTrip(b, a, ka, "and once more")
	t.Logf("i2pd I2CP → i2pgo I2CP again: %v", d3.Round(10*time.Millisecond))
	d4 := roundTrip(a, c, kc, "between two sessions of i2pgo")
	t.Logf("i2pgo I2CP → another i2pgo I2CP session (same router, through the tunnels): %v", d4.Round(10*time.Millisecond))
}

// i2cpStreaming is the client side's streaming library over an I2CP
// session, as a Java application has it: our router/streaming, fed by
// MessagePayloads and sending SendMessages (nonce 0: no status).
type i2cpStreaming struct {
	keys *client.Keys
	sess func() *i2cpSession
}

func (s *i2cpStreaming) Destination() data.Destination { return s.keys.Destination }
func (s *i2cpStreaming) Signer() crypto.Signer         { return s.keys.Signer }
func (s *i2cpStreaming) Send(to data.Destination, fromPort, toPort uint16, packet []byte) error {
	p, err := client.EncodePayload(client.ProtoStreaming, fromPort, toPort, packet, len(packet) > 64)
	if err != nil {
		return err
	}
	ss := s.sess()
	if ss == nil {
		return errors.New("no session yet")
	}
	return ss.c.Write(&i2cp.SendMessage{Session: ss.id, Destination: to, Payload: p})
}

// streamingOver opens a published session on addr whose streams are
// handled by a streaming manager of the test.
func streamingOver(t *testing.T, name, addr string, open func(*testing.T, string, string, *client.Keys, func([]byte)) *i2cpSession) (*streaming.Manager, *client.Keys) {
	keys := i2cpKeys(t)
	var mu sync.Mutex
	var sess *i2cpSession
	st := &i2cpStreaming{keys: keys, sess: func() *i2cpSession { mu.Lock(); defer mu.Unlock(); return sess }}
	m := streaming.NewManager(st, streaming.Config{}, nil)
	t.Cleanup(func() { m.Close() })
	s := open(t, name, addr, keys, func(p []byte) {
		proto, sp, dp, body, err := client.DecodePayload(p, 0)
		if err == nil && proto == client.ProtoStreaming {
			m.HandlePacket(sp, dp, body)
		}
	})
	mu.Lock()
	sess = s
	mu.Unlock()
	return m, keys
}

// testI2CPStreams runs a stream from a client's streaming library on
// i2pd's I2CP to one on i2pgo's (i2pd's side first, see openReady), and
// echoes data back.
func testI2CPStreams(t *testing.T, ours, theirs string) {
	var mo, mt *streaming.Manager
	var ko *client.Keys
	var wg sync.WaitGroup
	wg.Go(func() { mo, ko = streamingOver(t, "i2pgo stream", ours, openPublished) })
	wg.Go(func() { mt, _ = streamingOver(t, "i2pd stream", theirs, openReady) })
	wg.Wait()
	if mo == nil || mt == nil {
		t.FailNow()
	}
	ln, err := mo.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var echo sync.WaitGroup
	defer echo.Wait()
	echo.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	})
	size := 256 << 10
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var c net.Conn
	for try := 1; ; try++ {
		if c, err = mt.Dial(ctx, ko.Destination, 80); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("dial over I2CP: %v", err)
		}
		t.Logf("dial try %d: %v", try, err)
	}
	defer c.Close()
	t.Logf("stream i2pd I2CP → i2pgo I2CP connected after %v", time.Since(start).Round(10*time.Millisecond))
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	start = time.Now()
	var werr error
	var w sync.WaitGroup
	w.Go(func() { _, werr = c.Write(msg) })
	got := make([]byte, size)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("echo: %v", err)
	}
	w.Wait()
	if werr != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo differs (write: %v)", werr)
	}
	el := time.Since(start)
	t.Logf("256 KiB echoed through both I2CP servers in %v (%.0f KB/s each way)", el.Round(10*time.Millisecond), float64(size)/1000/el.Seconds())
}

// floodfillsWith names the floodfills of the test net that hold a
// LeaseSet of b32.
func floodfillsWith(b32 string) string {
	short := strings.TrimSuffix(b32, ".b32.i2p")
	var on []string
	for k := 1; k <= 2; k++ {
		c := http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/?page=leasesets", consolePort(k)))
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(b, []byte(short)) {
			on = append(on, fmt.Sprintf("r%d", k))
		}
	}
	return strings.Join(on, " ")
}
