//go:build interop

package interop

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/transport/ssu2"
)

// BenchmarkSSU2Transfer is the SSU2 loopback transfer of issue 11: one
// session from our ssu2 package to a peer over UDP on 127.0.0.1, I2NP
// messages of 16 KiB (fragmented into ~12 packets each) until the peer
// has acknowledged every one. Peers, in the same run: another ssu2
// transport of this process ("i2pgo") and i2pd r3 of the test net
// ("i2pd"; it drops the messages, its ACKs are what is measured).
//
//	go test -tags interop -run '^$' -bench SSU2Transfer ./interop/
func BenchmarkSSU2Transfer(b *testing.B) {
	const size = 16 << 10
	run := func(b *testing.B, peer ssu2.Peer) {
		alice := newBenchEnd(b)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		s, err := alice.t.Dial(ctx, peer)
		cancel()
		if err != nil {
			b.Fatalf("SSU2 dial: %v", err)
		}
		body := make([]byte, size)
		rand.Read(body)
		// At most 256 messages (4 MiB) unacknowledged: the session's
		// queue drops beyond 512.
		const window = 256
		wait := func(max int) {
			deadline := time.Now().Add(30 * time.Second)
			for s.Pending() > max {
				if time.Now().After(deadline) {
					b.Fatalf("stalled: %d pending; stats %+v", s.Pending(), alice.t.Stats())
				}
				if s.Err() != nil {
					b.Fatalf("session ended: %v", s.Err())
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		b.SetBytes(size)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			wait(window - 1)
			m := make([]byte, 9+size)
			m[0] = 20 // Data
			binary.BigEndian.PutUint32(m[1:], uint32(i+1))
			binary.BigEndian.PutUint32(m[5:], uint32(time.Now().Add(time.Minute).Unix()))
			copy(m[9:], body)
			if err := s.Send(m); err != nil {
				b.Fatal(err)
			}
		}
		wait(0)
		b.StopTimer()
		st := alice.t.Stats()
		b.ReportMetric(float64(st.Retransmits)/float64(b.N), "resends/msg")
		b.ReportMetric(float64(s.RTT().Microseconds())/1000, "rtt-ms")
		s.Close(ssu2.ReasonNormal)
	}
	b.Run("i2pgo", func(b *testing.B) {
		bob := newBenchEnd(b)
		run(b, bob.peer)
	})
	b.Run("i2pd", func(b *testing.B) {
		ri, err := os.ReadFile(filepath.Join(netDir, "r3", "router.info"))
		if err != nil {
			b.Fatal(err)
		}
		p, err := benchPeerOf(ri)
		if err != nil {
			b.Fatalf("r3: %v", err)
		}
		run(b, p)
	})
}

// benchEnd is a bare SSU2 endpoint with a router identity of its own and
// a signed RouterInfo (netid 7) that i2pd accepts in SessionConfirmed.
type benchEnd struct {
	t    *ssu2.Transport
	peer ssu2.Peer
}

type benchSink struct{}

func (benchSink) HandleI2NP([32]byte, []byte)              {}
func (benchSink) HandleRouterInfo([32]byte, []byte, bool)  {}
func (benchSink) SessionEstablished(*ssu2.Session)         {}
func (benchSink) SessionClosed(s *ssu2.Session, err error) {}

func newBenchEnd(b *testing.B) *benchEnd {
	b.Helper()
	signer, err := crypto.GenerateEd25519(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	enc, _ := ecdh.X25519().GenerateKey(rand.Reader)
	static, _ := ecdh.X25519().GenerateKey(rand.Reader)
	var intro [32]byte
	rand.Read(intro[:])
	ident, err := data.NewRouterIdentity(crypto.SigEd25519, signer.Public(), data.CryptoType(4), enc.PublicKey().Bytes(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	var riBytes []byte
	t, err := ssu2.New(ssu2.Config{
		NetID:           7,
		Static:          static,
		IntroKey:        intro,
		RouterHash:      ident.Hash(),
		RouterInfo:      func() []byte { return riBytes },
		CheckRouterInfo: benchCheckRouterInfo,
		Handler:         benchSink{},
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryRate:       1 << 20,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := t.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	go t.Run(context.Background())
	b.Cleanup(func() { t.Close() })
	addr := t.Addr()
	a, err := data.NewRouterAddress(8, "SSU2", map[string]string{
		"host": addr.Addr().String(), "port": strconv.Itoa(int(addr.Port())),
		"s": data.Base64Encode(static.PublicKey().Bytes()), "i": data.Base64Encode(intro[:]), "v": "2", "caps": "BC", "mtu": "1500",
	})
	if err != nil {
		b.Fatal(err)
	}
	opts, _ := data.SortedMapping(map[string]string{data.OptionCaps: "XR", data.OptionNetID: "7", data.OptionVersion: "0.9.58"})
	ri := &data.RouterInfo{Identity: ident, Published: time.Now(), Addresses: []data.RouterAddress{a}, Options: opts}
	if err := ri.Sign(signer); err != nil {
		b.Fatal(err)
	}
	riBytes = ri.Bytes()
	p, err := benchPeerOf(riBytes)
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnd{t: t, peer: p}
}

// benchPeerOf is the SSU2 peer of a RouterInfo with a published SSU2
// address.
func benchPeerOf(b []byte) (ssu2.Peer, error) {
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return ssu2.Peer{}, err
	}
	for _, a := range ri.Addresses {
		s, ok1 := a.StaticKey()
		ik, ok2 := a.Base64Option("i")
		ap, ok3 := a.AddrPort()
		if a.TransportStyle != "SSU2" || !ok1 || !ok2 || !ok3 || len(s) != 32 || len(ik) != 32 {
			continue
		}
		p := ssu2.Peer{Hash: ri.Hash(), Addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
		copy(p.Static[:], s)
		copy(p.IntroKey[:], ik)
		if m, ok := a.Get("mtu"); ok {
			p.MTU, _ = strconv.Atoi(m)
		}
		return p, nil
	}
	return ssu2.Peer{}, errors.New("no published SSU2 address")
}

func benchCheckRouterInfo(b, static []byte) (ssu2.PeerInfo, error) {
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return ssu2.PeerInfo{}, err
	}
	if err := ri.Verify(); err != nil {
		return ssu2.PeerInfo{}, err
	}
	p, err := benchPeerOf(b)
	if err != nil || string(p.Static[:]) != string(static) {
		return ssu2.PeerInfo{}, fmt.Errorf("no SSU2 address with the handshake's static key (%v)", err)
	}
	return ssu2.PeerInfo{Hash: p.Hash, IntroKey: p.IntroKey, MTU: p.MTU}, nil
}
