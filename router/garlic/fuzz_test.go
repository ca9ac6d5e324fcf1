package garlic

import (
	"bytes"
	"testing"

	"github.com/i2pgo/i2pgo/router/crypto"
)

func FuzzParseBlocks(f *testing.F) {
	for _, tc := range blockGolden {
		f.Add(mustHex(tc.hex))
	}
	f.Add(mustHex("fe 0000 00"))
	f.Add(mustHex("07 0023 01 0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		blocks, err := ParseBlocks(b)
		if err != nil {
			return
		}
		var enc []byte
		for _, blk := range blocks {
			if enc, err = AppendBlock(enc, blk); err != nil {
				t.Fatalf("AppendBlock of a parsed block: %v", err)
			}
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, enc)
		}
		again, err := ParseBlocks(enc)
		if err != nil || !sameBlocks(again, blocks) {
			t.Fatalf("reparse = %v, %v; want %v", again, err, blocks)
		}
		for _, blk := range blocks {
			switch blk.Type {
			case BlockDateTime:
				if _, err := blk.DateTime(); err != nil {
					t.Fatalf("DateTime of a parsed block: %v", err)
				}
			case BlockGarlicClove:
				_, _ = blk.Clove() // must not panic
			}
		}
	})
}

func FuzzParseClove(f *testing.F) {
	for _, tc := range cloveGolden {
		f.Add(mustHex(tc.hex))
	}
	f.Add(mustHex("4f" + hex32(0x30) + "0a 21222324 00000000"))
	f.Add(mustHex("60" + hex32(0) + "00000000 0a 00000001 00000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseClove(b)
		if err != nil {
			return
		}
		enc, err := AppendClove(nil, c)
		if err != nil {
			if len(b) > MaxBlockData {
				return // longer than a block can be
			}
			t.Fatalf("AppendClove of a parsed clove: %v", err)
		}
		want := bytes.Clone(b)
		want[0] &^= 0x0f // reserved bits are not kept
		if !bytes.Equal(enc, want) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", want, enc)
		}
		again, err := ParseClove(enc)
		if err != nil || !sameClove(again, c) {
			t.Fatalf("reparse = %+v, %v; want %+v", again, err, c)
		}
	})
}

// fuzzRouterKey is a fixed key pair for FuzzDecryptForRouter.
var fuzzRouterKey = func() crypto.X25519KeyPair {
	var priv [32]byte
	for i := range priv {
		priv[i] = byte(0x40 + i)
	}
	return crypto.X25519KeyPair{Private: priv, Public: crypto.X25519Public(priv)}
}()

func FuzzDecryptForRouter(f *testing.F) {
	g := loadGolden(f)
	if [32]byte(g.Router.RecvPriv) != fuzzRouterKey.Private {
		f.Fatal("golden router key is not the fuzz key")
	}
	f.Add([]byte(g.Router.Message))
	f.Add(make([]byte, minRouterMessage))
	msg, err := EncryptForRouter(fuzzRouterKey.Public, routerPayload(f, cloveGolden[4].clove), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	f.Fuzz(func(t *testing.T, b []byte) {
		blocks, err := DecryptForRouter(fuzzRouterKey.Private, fuzzRouterKey.Public, b)
		if err != nil {
			return
		}
		if len(blocks) == 0 || blocks[0].Type != BlockDateTime {
			t.Fatalf("accepted without a DateTime block first: %v", blocks)
		}
	})
}

func FuzzOpenWithTag(f *testing.F) {
	key := [KeyLen]byte{7}
	f.Add(SealWithTag(key, [TagLen]byte{1}, []byte("x")))
	f.Add(make([]byte, minTagMessage))
	f.Fuzz(func(t *testing.T, b []byte) {
		tag, p, err := OpenWithTag(key, b)
		if err != nil {
			return
		}
		if got := SealWithTag(key, tag, p); !bytes.Equal(got, b) {
			t.Fatalf("reseal differs")
		}
	})
}
