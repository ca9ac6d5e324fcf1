package ssu2

import (
	"bytes"
	"crypto/ecdh"
	"encoding/binary"
	"net/netip"
	"sync"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

func FuzzParseBlocks(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendDateTime(nil, 12345))
	f.Add(appendPadding(appendDateTime(nil, 1), 5))
	f.Add(appendTermination(appendI2NPBlock(nil, make([]byte, 20)), 7, 1))
	f.Add(appendPadding(appendTermination(nil, 1, 2), 3))
	f.Add([]byte{blkAck, 0, 7, 0, 0, 0, 9, 2, 1, 1})
	f.Add([]byte{3, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, p []byte) {
		orig := bytes.Clone(p)
		bl, err := parseBlocks(p, nil)
		if !bytes.Equal(p, orig) {
			t.Fatal("parseBlocks modified its input")
		}
		if err != nil {
			if bl != nil {
				t.Fatal("blocks with an error")
			}
			return
		}
		total := 0
		for i, b := range bl {
			total += 3 + len(b.data)
			if total > len(p) {
				t.Fatalf("blocks exceed the input: %d > %d", total, len(p))
			}
			// data aliases the payload at the right place.
			if len(b.data) > 0 && &b.data[0] != &p[total-len(b.data)] {
				t.Fatalf("block %d does not alias its bytes", i)
			}
			if b.typ == blkPadding && i != len(bl)-1 {
				t.Fatal("padding not last")
			}
			if b.typ == blkTermination && i < len(bl)-2 {
				t.Fatal("termination not last but padding")
			}
		}
		if total != len(p) {
			t.Fatalf("blocks cover %d of %d bytes", total, len(p))
		}
		// Round trip.
		var re []byte
		for _, b := range bl {
			re = appendBlock(re, b.typ, b.data)
		}
		if !bytes.Equal(re, p) {
			t.Fatal("blocks do not re-encode to the input")
		}
	})
}

func FuzzParseAck(f *testing.F) {
	f.Add([]byte{0, 0, 0, 10, 2})
	f.Add([]byte{0, 0, 0, 10, 2, 1, 3, 0, 1})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 3, 255, 255, 255})
	f.Fuzz(func(t *testing.T, d []byte) {
		a, err := parseAck(d)
		if err != nil {
			return
		}
		ranges := len(a.ranges) / 2
		limit := 256 * (1 + ranges)
		n := 0
		last := int64(a.through) + 1
		low := a.lowest()
		a.each(func(pn uint32) {
			n++
			if n > limit {
				t.Fatalf("more than %d packets acked by %d ranges", limit, ranges)
			}
			if int64(pn) >= last {
				t.Fatalf("pn %d not below the previous %d", pn, last)
			}
			if int64(pn) < low {
				t.Fatalf("pn %d below lowest() %d", pn, low)
			}
			last = int64(pn)
		})
	})
}

// FuzzRecvWindow drives a recvWindow with a sequence of add(pn) and
// appendAck; each ACK block, parsed back, must ack exactly the packets
// received in the part of the window it covers, and never one not received.
func FuzzRecvWindow(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 2, 0, 0, 5, 3, 16, 0})
	f.Add([]byte{2, 0x10, 0, 1, 4, 0, 0, 1, 0, 0, 3, 2, 0})
	f.Add(bytes.Repeat([]byte{0, 0, 2, 3, 1, 0}, 100))
	f.Add([]byte{2, 0xff, 0xff, 0, 5, 0, 1, 0, 5, 3, 0, 0, 0, 4, 0, 3, 255, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var w recvWindow
		got := map[uint32]bool{}
		var highest uint32
		anyPN := false
		check := func(maxRanges int) {
			b := w.appendAck(nil, maxRanges)
			if !anyPN {
				if len(b) != 0 {
					t.Fatal("ACK from an empty window")
				}
				return
			}
			bl, err := parseBlocks(b, nil)
			if err != nil || len(bl) != 1 || bl[0].typ != blkAck {
				t.Fatalf("bad ACK block %x: %v", b, err)
			}
			a, err := parseAck(bl[0].data)
			if err != nil {
				t.Fatal(err)
			}
			if a.through != highest {
				t.Fatalf("ACK through %d, highest %d", a.through, highest)
			}
			if len(a.ranges)/2 > maxRanges {
				t.Fatalf("%d ranges, max %d", len(a.ranges)/2, maxRanges)
			}
			acked := map[uint32]bool{}
			a.each(func(pn uint32) {
				if acked[pn] {
					t.Fatalf("pn %d acked twice", pn)
				}
				acked[pn] = true
				if !got[pn] {
					t.Fatalf("pn %d acked but never received", pn)
				}
				if uint64(highest-pn) >= windowBits {
					t.Fatalf("pn %d acked below the window (highest %d)", pn, highest)
				}
			})
			low := a.lowest()
			if low < 0 {
				low = 0
			}
			for pn := range got {
				inWin := uint64(highest-pn) < windowBits
				if inWin && int64(pn) >= low && !acked[pn] {
					t.Fatalf("pn %d received, in the ACK's range [%d, %d], not acked", pn, low, highest)
				}
			}
			// With ranges enough, the block covers the whole window.
			if maxRanges >= windowBits {
				for pn := range got {
					if uint64(highest-pn) < windowBits && !acked[pn] {
						t.Fatalf("pn %d received in the window, not acked by a full ACK", pn)
					}
				}
			}
		}
		for len(ops) >= 3 {
			op, v := ops[0], uint32(binary.BigEndian.Uint16(ops[1:]))
			ops = ops[3:]
			var pn uint32
			switch op % 5 {
			case 0: // just above
				pn = highest + v%8
			case 1: // a jump
				pn = highest + v
			case 2: // below, maybe old
				if v > highest {
					v = highest
				}
				pn = highest - v
			case 3:
				check(int(v % 20))
				continue
			case 4:
				pn = v << 8
			}
			if uint64(pn) < uint64(highest) && op%5 < 2 {
				continue // overflowed: packet numbers never wrap
			}
			want := !got[pn] && (!anyPN || pn > highest || uint64(highest-pn) < windowBits)
			if ok := w.add(pn); ok != want {
				t.Fatalf("add(%d) = %v, want %v (highest %d)", pn, ok, want, highest)
			}
			if want {
				got[pn] = true
				if !anyPN || pn > highest {
					highest = pn
				}
				anyPN = true
			}
		}
		check(maxAckRanges)
		check(windowBits)
	})
}

// fuzzBob is one transport (not running: the fuzz function is its only
// reader) with fixed keys, an established session with Alice at
// fuzzAlice, and a dial of ours waiting at fuzzDialee.
var (
	fuzzOnce sync.Once
	fuzzBob  *Transport
	fuzzSess *Session
	fuzzData dataKeys // Alice's sending keys
)

var (
	fuzzAlice  = netip.MustParseAddrPort("10.1.1.1:1111")
	fuzzDialee = netip.MustParseAddrPort("10.2.2.2:2222")
	fuzzIntro  = [32]byte{1, 2, 3}
	fuzzPeerIK = [32]byte{4, 5, 6}
)

const (
	fuzzRcvID = 0x1111
	fuzzSrcID = 0x2222
	fuzzDstID = 0x3333
)

func fuzzSetup(tb testing.TB) {
	fuzzOnce.Do(func() {
		var seed [32]byte
		seed[0] = 9
		static, err := ecdh.X25519().NewPrivateKey(seed[:])
		if err != nil {
			panic(err)
		}
		t, err := New(Config{
			NetID: 7, Static: static, IntroKey: fuzzIntro, RouterHash: [32]byte{7},
			RouterInfo: func() []byte { return fakeRI([32]byte{7}, static.PublicKey().Bytes(), fuzzIntro) }, CheckRouterInfo: checkFakeRI,
			Handler: newRecHandler(), Network: newMemNet(), RetryRate: 1 << 30,
		})
		if err != nil {
			panic(err)
		}
		if err := t.Listen("127.0.0.1:0"); err != nil {
			panic(err)
		}
		fuzzData = dataKeys{k: [32]byte{8}, k2: [32]byte{9}}
		s := newSession(t, sessionParams{remote: [32]byte{5}, addr: fuzzAlice, mtu: 1500,
			rcvID: fuzzRcvID, sndID: 0x4444, send: dataKeys{k: [32]byte{10}, k2: [32]byte{11}}, recv: fuzzData,
			peerIntro: fuzzPeerIK})
		t.register(s)
		s.start()
		fuzzBob, fuzzSess = t, s
	})
	// Keep a dial of ours pending at fuzzDialee (a Retry may finish it).
	t := fuzzBob
	t.mu.Lock()
	if o := t.mu.outbound[fuzzDialee]; o == nil {
		o = &outbound{t: t, peer: Peer{Hash: [32]byte{6}, Static: [32]byte{9, 9}, IntroKey: fuzzPeerIK, Addr: fuzzDialee},
			srcID: fuzzSrcID, dstID: fuzzDstID, done: make(chan struct{})}
		t.mu.outbound[fuzzDialee] = o
	}
	t.mu.Unlock()
}

// fuzzDataPacket is a valid data packet from Alice with payload.
func fuzzDataPacket(pn uint32, payload []byte) []byte {
	h := header{dstID: fuzzRcvID, pn: pn, typ: typeData}
	pkt := make([]byte, shortHeaderLen, shortHeaderLen+len(payload)+macLen)
	h.putShort(pkt)
	a, _ := chacha20poly1305.New(fuzzData.k[:])
	n := nonceFor(uint64(pn))
	pkt = a.Seal(pkt, n[:], payload, pkt[:shortHeaderLen])
	xorHeader16(pkt, &fuzzIntro, &fuzzData.k2)
	return pkt
}

func FuzzDatagram(f *testing.F) {
	// Seeds: a TokenRequest, data packets (I2NP, fragments, ACK, path
	// challenge, termination), a Retry for our dial, garbage.
	tr := sealSymmetric(header{dstID: 1, pn: 2, typ: typeTokenRequest, ver: 2, netID: 7, srcID: 3},
		&fuzzIntro, &fuzzIntro, &fuzzIntro, appendPadding(appendDateTime(nil, 0), 4))
	f.Add(tr, uint8(0))
	msg := make([]byte, 40)
	binary.BigEndian.PutUint32(msg[1:], 77)
	f.Add(fuzzDataPacket(1, appendI2NPBlock(appendDateTime(nil, 0), msg)), uint8(1))
	f.Add(fuzzDataPacket(2, appendFirstFragment(nil, msg)), uint8(1))
	f.Add(fuzzDataPacket(3, appendFollowOn(nil, 1, true, 77, msg[:20])), uint8(1))
	f.Add(fuzzDataPacket(4, []byte{blkAck, 0, 9, 0, 0, 0, 5, 2, 1, 1, 2, 2}), uint8(1))
	f.Add(fuzzDataPacket(5, appendBlock(appendAddress(nil, fuzzAlice), blkPathChallenge, []byte("12345678"))), uint8(2))
	f.Add(fuzzDataPacket(6, appendRouterInfoBlock(nil, 2, []byte{0x1f, 0x8b, 8, 0})), uint8(1))
	f.Add(fuzzDataPacket(7, appendTermination(nil, 3, 2)), uint8(1))
	retry := sealSymmetric(header{dstID: fuzzSrcID, pn: 9, typ: typeRetry, ver: 2, netID: 7, srcID: fuzzDstID, token: 42},
		&fuzzPeerIK, &fuzzPeerIK, &fuzzPeerIK, appendPadding(appendAddress(appendDateTime(nil, 0), fuzzDialee), 1))
	f.Add(retry, uint8(3))
	f.Add(make([]byte, 40), uint8(4))
	f.Add(bytes.Repeat([]byte{0xff}, 1500), uint8(0))
	f.Fuzz(func(t *testing.T, pkt []byte, sel uint8) {
		fuzzSetup(t)
		if checkLen(len(pkt)) != nil {
			return // Run drops these before handleDatagram
		}
		from := [...]netip.AddrPort{spoofAddr(1), fuzzAlice, spoofAddr(2), fuzzDialee, blackhole}[sel%5]
		fuzzBob.handleDatagram(bytes.Clone(pkt), from)
	})
}
