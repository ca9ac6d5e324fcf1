package streaming

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// captureSession records what a Manager sends.
type captureSession struct {
	testSession
	mu   sync.Mutex
	sent [][]byte
}

func (s *captureSession) Send(to data.Destination, fromPort, toPort uint16, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, bytes.Clone(b))
	return nil
}

func (s *captureSession) take() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sent
	s.sent = nil
	return out
}

// An i2pd 2.45.1 SYN (no replay hash, payload in the SYN) gets the SYN
// reply i2pd itself would send and expects: sequence 0, ackThrough 0,
// SYNCHRONIZE|FROM|SIGNATURE|MAX_PACKET_SIZE without NO_ACK, signed, no
// NACKs; the payload reaches the reader; i2pd's CLOSE is verified and
// answered.
func TestI2pdShapes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bd, bs := newIdentity(t)
		cs := &captureSession{testSession: testSession{dest: bd, signer: bs}}
		m := NewManager(cs, Config{}, nil)
		defer m.Close()
		l, _ := m.Listen(80)
		from, s := fixedIdentity(t, 1)
		m.HandlePacket(0, 80, i2pdSyn(t, from, s, []byte("GET /")))
		nc, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c := nc.(*Conn)
		out := cs.take()
		if len(out) != 1 {
			t.Fatalf("%d packets in reply to the SYN", len(out))
		}
		r, err := ParsePacket(out[0])
		if err != nil {
			t.Fatal(err)
		}
		if r.SendStreamID != 0x11223344 || r.ReceiveStreamID == 0 || r.SequenceNum != 0 || r.AckThrough != 0 ||
			len(r.NACKs) != 0 || r.Flags != FlagSynchronize|FlagFromIncluded|FlagSignatureIncluded|FlagMaxPacketSizeIncl ||
			r.MaxPacketSize != 1812 || !r.From.Equal(bd.KeysAndCert) || r.ResendDelay != 9 {
			t.Errorf("SYN reply %+v", r)
		}
		if err := r.VerifyFrom(out[0], time.Now()); err != nil {
			t.Errorf("SYN reply signature: %v", err)
		}
		buf := make([]byte, 16)
		if k, err := c.Read(buf); err != nil || string(buf[:k]) != "GET /" {
			t.Fatalf("Read %q %v", buf[:k], err)
		}
		// i2pd acknowledges the SYN reply with a quick ACK, then sends
		// data (flags 0) and finally CLOSE|SIGNATURE.
		ours := r.ReceiveStreamID
		ack, _ := Packet{SendStreamID: ours, ReceiveStreamID: 0x11223344, AckThrough: 0}.AppendBinary(nil)
		m.HandlePacket(0, 80, ack)
		data1, _ := Packet{SendStreamID: ours, ReceiveStreamID: 0x11223344, SequenceNum: 1, AckThrough: 0, ResendDelay: 9, Payload: []byte(" HTTP/1.1")}.AppendBinary(nil)
		m.HandlePacket(0, 80, data1)
		cl, _ := Packet{SendStreamID: ours, ReceiveStreamID: 0x11223344, SequenceNum: 2, AckThrough: 0, Flags: FlagClose}.AppendSigned(nil, s)
		m.HandlePacket(0, 80, cl)
		rest, err := io.ReadAll(c)
		if err != nil || string(rest) != " HTTP/1.1" {
			t.Fatalf("ReadAll %q %v", rest, err)
		}
		c.Write([]byte("HTTP/1.1 200 OK"))
		c.Close()
		synctest.Wait()
		var sawData, sawClose, sawAck bool
		for _, b := range cs.take() {
			p, err := ParsePacket(b)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case p.Flags.Has(FlagClose):
				sawClose = true
				if err := p.VerifySignature(b, bd.SigType(), bd.SigningKey()); err != nil || p.AckThrough != 2 {
					t.Errorf("our CLOSE %+v: %v", p, err)
				}
			case len(p.Payload) > 0:
				sawData = string(p.Payload) == "HTTP/1.1 200 OK" && p.SequenceNum == 1 && p.Flags == 0
			case p.IsPlainAck() && p.AckThrough == 2:
				sawAck = true
			}
		}
		if !sawData || !sawClose || !sawAck {
			t.Errorf("data %v, close %v, ack of their CLOSE %v", sawData, sawClose, sawAck)
		}
		// i2pd answers with nothing more than an ACK of our CLOSE.
		fin, _ := Packet{SendStreamID: ours, ReceiveStreamID: 0x11223344, AckThrough: 2}.AppendBinary(nil)
		m.HandlePacket(0, 80, fin)
		if m.NumConns() != 0 {
			t.Errorf("%d connections after both CLOSEs", m.NumConns())
		}
	})
}

// Both directions at once over a very bad link: 25 % loss, 20 % reordered.
func TestBidirectionalHeavyLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 40 * time.Millisecond, loss: 0.25, reorder: 0.2}
		n := newTestNet(t, Config{MaxResends: 20}, Config{MaxResends: 20}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		const size = 256 << 10
		mk := func(seed uint64) ([]byte, [32]byte) {
			b := make([]byte, size)
			r := rand.New(rand.NewPCG(seed, seed))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b, sha256.Sum256(b)
		}
		pa, ha := mk(1)
		pb, hb := mk(2)
		var wg sync.WaitGroup
		check := func(name string, w, r *Conn, src []byte, want [32]byte) {
			defer wg.Done()
			go func() { w.Write(src); w.CloseWrite() }()
			got, err := io.ReadAll(r)
			if err != nil || sha256.Sum256(got) != want {
				t.Errorf("%s: %d bytes, %v", name, len(got), err)
			}
		}
		start := time.Now()
		wg.Add(2)
		go check("a->b", c, s, pa, ha)
		go check("b->a", s, c, pb, hb)
		wg.Wait()
		t.Logf("256 KiB each way in %v (bubble time), %d+%d retransmits", time.Since(start), c.Stats().Retransmits, s.Stats().Retransmits)
		c.Close()
		s.Close()
	})
}

// Regression: the peer's ACK through our CLOSE may NACK data sent before
// it; the connection must not end until that data is acknowledged.
func TestCloseOvertakesData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lc := linkConfig{latency: 20 * time.Millisecond}
		n := newTestNet(t, Config{}, Config{}, lc, lc)
		defer n.close()
		c, s := dialAccept(t, n)
		s.CloseWrite()
		if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
			t.Fatalf("ReadAll %q %v", b, err)
		}
		dropped := 0 // the first send and the fast retransmit
		n.ab.update(func(lc *linkConfig) {
			lc.drop = func(p *Packet) bool {
				if p.SequenceNum == 2 && len(p.Payload) > 0 && dropped < 2 {
					dropped++
					return true
				}
				return false
			}
		})
		src := bytes.Repeat([]byte("0123456789"), 500) // three packets
		c.Write(src)
		c.Close()
		got, err := io.ReadAll(s)
		if err != nil || !bytes.Equal(got, src) || dropped != 2 {
			t.Fatalf("read %d of %d bytes, %v (dropped %v)", len(got), len(src), err, dropped)
		}
	})
}
