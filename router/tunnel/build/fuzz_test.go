package build

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"testing"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// fuzzHop and fuzzEph are a fixed hop key pair and creator ephemeral
// key, so that a fuzz input always means the same record.
var (
	fuzzHop = func() crypto.X25519KeyPair {
		var kp crypto.X25519KeyPair
		for i := range kp.Private {
			kp.Private[i] = byte(0x10 + i)
		}
		kp.Public = crypto.X25519Public(kp.Private)
		return kp
	}()
	fuzzEph = func() *ecdh.PrivateKey {
		var b [32]byte
		for i := range b {
			b[i] = byte(0x90 + i)
		}
		k, err := ecdh.X25519().NewPrivateKey(b[:])
		if err != nil {
			panic(err)
		}
		return k
	}()
)

// FuzzDecryptRecord feeds the hop side four kinds of input, chosen by the
// first byte: a raw long or short record (almost always ErrAuth), or an
// arbitrary long or short cleartext sealed to the hop's key, which
// reaches the parser and the request checks. Nothing may panic; an
// authentic record either fails with a parse or request error or gives a
// request that re-encodes to its cleartext, keys that match the
// creator's, and a reply the creator can open.
func FuzzDecryptRecord(f *testing.F) {
	g := loadGolden(f)
	for _, v := range g.Long {
		f.Add(append([]byte{0}, v.Record...))
		f.Add(append([]byte{2}, v.Plaintext...))
	}
	for _, v := range g.Short {
		f.Add(append([]byte{1}, v.Record...))
		f.Add(append([]byte{3}, v.Plaintext...))
	}
	f.Add([]byte{3})
	f.Add([]byte{2, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		mode, body := in[0]%4, in[1:]
		switch mode {
		case 0:
			var rec i2np.BuildRecord
			copy(rec[:], body)
			_, _, _ = DecryptRecord(fuzzHop.Private, fuzzHop.Public, rec)
		case 1:
			var rec i2np.ShortBuildRecord
			copy(rec[:], body)
			_, _, _ = DecryptShortRecord(fuzzHop.Private, fuzzHop.Public, rec)
		case 2:
			var pt [i2np.BuildRequestLen]byte
			copy(pt[:], body)
			var rec i2np.BuildRecord
			rs, err := sealRecordWith(rec[:], [16]byte{}, fuzzHop.Public, fuzzEph, pt[:])
			if err != nil {
				t.Fatal(err)
			}
			q, st, err := DecryptRecord(fuzzHop.Private, fuzzHop.Public, rec)
			if err != nil {
				checkFuzzErr(t, err)
				return
			}
			again, err := q.AppendBinary(nil)
			if err != nil || !bytes.Equal(again, pt[:]) {
				t.Fatalf("request re-encodes to %x (%v), want %x", again, err, pt)
			}
			recs := make([]i2np.BuildRecord, 3)
			if err := st.EncryptReply(i2np.BuildResponse{Reply: i2np.ReplyRejectBandwidth}, recs, 1); err != nil {
				t.Fatal(err)
			}
			var zero [12]byte
			out, err := replyAEAD(rs.ck).Open(nil, zero[:], recs[1][:], rs.h[:])
			if err != nil || out[len(out)-1] != byte(i2np.ReplyRejectBandwidth) {
				t.Fatalf("creator cannot read the reply: %v", err)
			}
		case 3:
			var pt [i2np.ShortBuildRequestLen]byte
			copy(pt[:], body)
			var rec i2np.ShortBuildRecord
			rs, err := sealRecordWith(rec[:], [16]byte{}, fuzzHop.Public, fuzzEph, pt[:])
			if err != nil {
				t.Fatal(err)
			}
			q, st, err := DecryptShortRecord(fuzzHop.Private, fuzzHop.Public, rec)
			if err != nil {
				checkFuzzErr(t, err)
				return
			}
			again, err := q.AppendBinary(nil)
			if err != nil || !bytes.Equal(again, pt[:]) {
				t.Fatalf("request re-encodes to %x (%v), want %x", again, err, pt)
			}
			k := deriveShortKeys(rs.ck, q.Flags&i2np.HopEndpoint != 0)
			if k.layer != st.LayerKey || k.iv != st.IVKey || k.garlicKey != st.GarlicKey || k.garlicTag != st.GarlicTag {
				t.Fatal("hop and creator keys differ")
			}
			recs := make([]i2np.ShortBuildRecord, 8)
			idx := int(pt[len(pt)-1] % 8)
			if err := st.EncryptReply(i2np.ShortBuildResponse{}, recs, idx); err != nil {
				t.Fatal(err)
			}
			n := recordNonce(idx)
			if _, err := replyAEAD(k.reply).Open(nil, n[:], recs[idx][:], rs.h[:]); err != nil {
				t.Fatalf("creator cannot read the reply: %v", err)
			}
		}
	})
}

// checkFuzzErr accepts only the errors an authentic but unacceptable
// cleartext may give.
func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, i2np.ErrMalformed) &&
		!errors.Is(err, i2np.ErrShort) && !errors.Is(err, data.ErrMalformed) && !errors.Is(err, data.ErrShort) {
		t.Fatalf("unexpected error for an authentic record: %v", err)
	}
}
