//go:build ignore

// Command capture records the i2pd replies in router/i2np/testdata (see
// ../README.md). It is not part of any build: run it from the module root
// with the i2pd test network up:
//
//	go run ./router/i2np/testdata/capture/main.go OUTDIR
package main

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
	"github.com/i2pgo/i2pgo/router/transport/ntcp2"
)

type handler struct {
	mu  sync.Mutex
	got []i2np.Message
	ch  chan struct{}
}

func (h *handler) HandleI2NP(from [32]byte, msg []byte) {
	m, err := i2np.ParseShort(msg)
	if err != nil {
		log.Printf("bad short message: %v", err)
		return
	}
	m.Payload = append([]byte(nil), m.Payload...)
	h.mu.Lock()
	h.got = append(h.got, m)
	h.mu.Unlock()
	log.Printf("got %v id %d exp %v len %d", m.Type, m.ID, m.Expiration, len(m.Payload))
	select {
	case h.ch <- struct{}{}:
	default:
	}
}
func (h *handler) HandleRouterInfo(from [32]byte, ri []byte, flood bool) {
	log.Printf("got RouterInfo block %d bytes", len(ri))
}
func (h *handler) SessionEstablished(s *ntcp2.Session)       { log.Printf("session up") }
func (h *handler) SessionClosed(s *ntcp2.Session, err error) { log.Printf("session closed: %v", err) }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func makeRI(id data.RouterIdentity, signer crypto.Signer, static *ecdh.PrivateKey, extra map[string]string, published time.Time) *data.RouterInfo {
	addr, err := data.NewRouterAddress(14, "NTCP2", map[string]string{
		"s": data.Base64Encode(static.PublicKey().Bytes()), "v": "2", "caps": "4"})
	check(err)
	opts := map[string]string{"caps": "XU", "netId": "7", "router.version": "0.9.66"}
	for k, v := range extra {
		opts[k] = v
	}
	ropts, err := data.SortedMapping(opts)
	check(err)
	ri := &data.RouterInfo{Identity: id, Published: published, Addresses: []data.RouterAddress{addr}, Options: ropts}
	check(ri.Sign(signer))
	return ri
}

func main() {
	out := os.Args[1]
	signer, err := crypto.GenerateEd25519(rand.Reader)
	check(err)
	enc, err := ecdh.X25519().GenerateKey(rand.Reader)
	check(err)
	id, err := data.NewRouterIdentity(crypto.SigEd25519, signer.Public(), data.CryptoType(4), enc.PublicKey().Bytes(), rand.Reader)
	check(err)
	static, err := ecdh.X25519().GenerateKey(rand.Reader)
	check(err)
	now := time.Now()
	ri1 := makeRI(id, signer, static, nil, now.Add(-2*time.Second))
	// A second, larger RouterInfo: bigger than i2pd's 940-byte cut-off for
	// its uncompressed gzip, so i2pd deflates it when it sends it back.
	pad := strings.Repeat("0123456789abcdef", 10)
	ri2 := makeRI(id, signer, static, map[string]string{"i2np.test.a": pad, "i2np.test.b": pad}, now)
	log.Printf("our hash %v, RI sizes %d and %d", id.Hash(), len(ri1.Bytes()), len(ri2.Bytes()))

	h := &handler{ch: make(chan struct{}, 100)}
	tr, err := ntcp2.New(ntcp2.Config{
		NetID: 7, Static: static, RouterHash: id.Hash(),
		RouterInfo: func() []byte { return ri1.Bytes() },
		CheckRouterInfo: func(b, s []byte) ([32]byte, error) {
			ri, err := data.ParseRouterInfo(b)
			if err != nil {
				return [32]byte{}, err
			}
			return ri.Hash(), nil
		},
		Handler: h,
	})
	check(err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.Run(ctx); close(done) }()

	peerRI, err := os.ReadFile("/tmp/i2pd-net/r1/router.info")
	check(err)
	pri, err := data.ParseRouterInfo(peerRI)
	check(err)
	a, ok := pri.Address("NTCP2")
	if !ok {
		log.Fatal("no NTCP2 address")
	}
	st, _ := a.StaticKey()
	iv, _ := a.Base64Option("i")
	ap, _ := a.AddrPort()
	var peer ntcp2.Peer
	peer.Hash = pri.Hash()
	copy(peer.Static[:], st)
	copy(peer.IV[:], iv)
	s, err := tr.Dial(ctx, peer, ap.String())
	check(err)
	_ = s

	send := func(body i2np.Body) {
		m, err := i2np.NewMessage(i2np.MessageID(now.UnixNano()&0x7fffffff+int64(body.Type())), time.Now().Add(30*time.Second), body)
		check(err)
		b, err := m.AppendShort(nil)
		check(err)
		check(tr.Send(peer.Hash, b))
		log.Printf("sent %v %d bytes", body.Type(), len(m.Payload))
	}
	wait := func(n int) {
		deadline := time.After(15 * time.Second)
		for {
			h.mu.Lock()
			c := len(h.got)
			h.mu.Unlock()
			if c >= n {
				return
			}
			select {
			case <-h.ch:
			case <-deadline:
				log.Printf("timeout waiting for %d messages, have %d", n, c)
				return
			}
		}
	}
	time.Sleep(2 * time.Second) // let i2pd settle the session
	h.mu.Lock()
	base := len(h.got)
	h.mu.Unlock()

	// 1. Our larger RouterInfo, in our gzip, with a reply token.
	ds, err := i2np.NewRouterInfoStore(ri2.Bytes())
	check(err)
	ds.ReplyToken = 0x4242
	ds.ReplyGateway = id.Hash()
	send(ds)
	wait(base + 1)
	time.Sleep(2 * time.Second)

	// 2. Look up our own hash: i2pd sends back what it stored.
	send(i2np.DatabaseLookupMessage{Key: id.Hash(), From: id.Hash(), Lookup: i2np.LookupRouterInfo})
	wait(base + 2)
	// 3. Look up r2's RouterInfo (small: i2pd's uncompressed gzip).
	r2, err := os.ReadFile("/tmp/i2pd-net/r2/router.info")
	check(err)
	r2ri, err := data.ParseRouterInfo(r2)
	check(err)
	send(i2np.DatabaseLookupMessage{Key: r2ri.Hash(), From: id.Hash(), Lookup: i2np.LookupRouterInfo})
	wait(base + 3)
	// 4. A key nobody has: a search reply.
	var k data.Hash
	rand.Read(k[:])
	send(i2np.DatabaseLookupMessage{Key: k, From: id.Hash(), Lookup: i2np.LookupRouterInfo})
	wait(base + 4)
	// 5. Exploration, excluding r2.
	rand.Read(k[:])
	send(i2np.DatabaseLookupMessage{Key: k, From: id.Hash(), Lookup: i2np.LookupExploration, Exclude: []data.Hash{r2ri.Hash()}})
	wait(base + 5)
	time.Sleep(2 * time.Second)

	h.mu.Lock()
	got := h.got
	h.mu.Unlock()
	check(os.WriteFile(filepath.Join(out, "ours.routerInfo.dat"), ri2.Bytes(), 0o644))
	for i, m := range got {
		name := filepath.Join(out, fmt.Sprintf("%02d-%s.bin", i, m.Type))
		check(os.WriteFile(name, m.Payload, 0o644))
		body, err := m.Parse()
		log.Printf("%s: parse err %v", name, err)
		switch b := body.(type) {
		case i2np.DatabaseStoreMessage:
			log.Printf("  DSM key %v type %d token %d data %d bytes; ours %v; r2 %v; gzip head %s", b.Key, b.StoreType, b.ReplyToken, len(b.Data),
				string(b.Data) == string(ri2.Bytes()), string(b.Data) == string(r2), hex.EncodeToString(m.Payload[39:39+12]))
		case i2np.DatabaseSearchReplyMessage:
			log.Printf("  DSRM key %v peers %v from %v", b.Key, b.Peers, b.From)
		case i2np.DeliveryStatusMessage:
			log.Printf("  DS id %#x time %v", b.ID, b.Time)
		}
	}
	cancel()
	<-done
}
