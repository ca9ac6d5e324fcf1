package build

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/i2np"
)

// hexBytes decodes a JSON hex string.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

type goldenVector struct {
	Name          string     `json:"name"`
	HopPriv       hexBytes   `json:"hop_priv"`
	HopPub        hexBytes   `json:"hop_pub"`
	HopHash       hexBytes   `json:"hop_hash"`
	EphPriv       hexBytes   `json:"eph_priv"`
	Plaintext     hexBytes   `json:"plaintext"`
	Record        hexBytes   `json:"record"`
	CK            hexBytes   `json:"ck"`
	H             hexBytes   `json:"h"`
	ReplyKey      hexBytes   `json:"reply_key"`
	LayerKey      hexBytes   `json:"layer_key"`
	IVKey         hexBytes   `json:"iv_key"`
	GarlicKey     hexBytes   `json:"garlic_key"`
	GarlicTag     hexBytes   `json:"garlic_tag"`
	Index         int        `json:"index"`
	RecordsBefore []hexBytes `json:"records_before"`
	Response      hexBytes   `json:"response"`
	RecordsAfter  []hexBytes `json:"records_after"`
}

type goldenFile struct {
	NoiseNHH hexBytes       `json:"noise_n_hh"`
	Short    []goldenVector `json:"short"`
	Long     []goldenVector `json:"long"`
}

func loadGolden(t testing.TB) goldenFile {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Short) == 0 || len(g.Long) == 0 {
		t.Fatal("golden.json has no vectors")
	}
	return g
}

// i2pdNoiseNHH is the constant i2pd 2.45.1 hard-codes as
// SHA256("Noise_N_25519_ChaChaPoly_SHA256" || 0) (libi2pd/Crypto.cpp,
// InitNoiseNState), copied by hand.
var i2pdNoiseNHH = [32]byte{
	0x69, 0x4d, 0x52, 0x44, 0x5a, 0x27, 0xd9, 0xad, 0xfa, 0xd2, 0x9c, 0x76, 0x32, 0x39, 0x5d, 0xc1,
	0xe4, 0x35, 0x4c, 0x69, 0xb4, 0xf9, 0x2e, 0xac, 0x8a, 0x1e, 0xe4, 0x6a, 0x9e, 0xd2, 0x15, 0x54,
}

func TestGoldenNoiseNInit(t *testing.T) {
	g := loadGolden(t)
	s := initState
	if h := s.Hash(); h != i2pdNoiseNHH || !bytes.Equal(h[:], g.NoiseNHH) {
		t.Fatalf("initial h = %x, want %x (i2pd) and %x (python)", h, i2pdNoiseNHH, []byte(g.NoiseNHH))
	}
}

func TestGoldenShort(t *testing.T) {
	for _, v := range loadGolden(t).Short {
		t.Run(v.Name, func(t *testing.T) {
			priv, pub := [32]byte(v.HopPriv), [32]byte(v.HopPub)
			if got := crypto.X25519Public(priv); got != pub {
				t.Fatalf("hop public key %x, want %x", got, pub)
			}
			rec := i2np.ShortBuildRecord(v.Record)

			// Creator side: the same ephemeral key gives the same record.
			var mine i2np.ShortBuildRecord
			eph, err := ecdh.X25519().NewPrivateKey(v.EphPriv)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := sealRecordWith(mine[:], [16]byte(v.HopHash), pub, eph, v.Plaintext)
			if err != nil {
				t.Fatal(err)
			}
			if mine != rec {
				t.Fatalf("sealed record\n%x\nwant\n%x", mine, rec)
			}
			if !bytes.Equal(rs.ck[:], v.CK) || !bytes.Equal(rs.h[:], v.H) {
				t.Fatalf("creator ck/h %x/%x, want %x/%x", rs.ck, rs.h, []byte(v.CK), []byte(v.H))
			}

			// Hop side.
			recs := make([]i2np.ShortBuildRecord, len(v.RecordsBefore))
			for i, r := range v.RecordsBefore {
				recs[i] = i2np.ShortBuildRecord(r)
			}
			if i := FindShortRecord(recs, data.Hash(v.HopHash)); i != v.Index {
				t.Fatalf("FindShortRecord = %d, want %d", i, v.Index)
			}
			req, st, err := DecryptShortRecord(priv, pub, rec)
			if err != nil {
				t.Fatal(err)
			}
			again, err := req.AppendBinary(nil)
			if err != nil || !bytes.Equal(again, v.Plaintext) {
				t.Fatalf("request re-encodes to %x (%v), want %x", again, err, []byte(v.Plaintext))
			}
			if st.rs.h != [32]byte(v.H) || st.replyKey != [32]byte(v.ReplyKey) {
				t.Fatalf("hop h/reply key %x/%x, want %x/%x", st.rs.h, st.replyKey, []byte(v.H), []byte(v.ReplyKey))
			}
			if st.LayerKey != [32]byte(v.LayerKey) || st.IVKey != [32]byte(v.IVKey) {
				t.Fatalf("layer/IV key %x/%x, want %x/%x", st.LayerKey, st.IVKey, []byte(v.LayerKey), []byte(v.IVKey))
			}
			if req.Flags&i2np.HopEndpoint != 0 {
				if st.GarlicKey != [32]byte(v.GarlicKey) || st.GarlicTag != [8]byte(v.GarlicTag) {
					t.Fatalf("garlic key/tag %x/%x, want %x/%x", st.GarlicKey, st.GarlicTag, []byte(v.GarlicKey), []byte(v.GarlicTag))
				}
			} else if st.GarlicKey != ([32]byte{}) || st.GarlicTag != ([8]byte{}) {
				t.Fatal("garlic key set on a hop that is not OBEP")
			}
			k := deriveShortKeys(rs.ck, req.Flags&i2np.HopEndpoint != 0)
			if k.layer != st.LayerKey || k.iv != st.IVKey || k.reply != st.replyKey {
				t.Fatal("creator and hop KDF differ")
			}

			resp, err := i2np.ParseShortBuildResponse(v.Response)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.EncryptReply(resp, recs, v.Index); err != nil {
				t.Fatal(err)
			}
			for i := range recs {
				if !bytes.Equal(recs[i][:], v.RecordsAfter[i]) {
					t.Errorf("record %d after reply\n%x\nwant\n%x", i, recs[i], []byte(v.RecordsAfter[i]))
				}
			}
		})
	}
}

func TestGoldenLong(t *testing.T) {
	for _, v := range loadGolden(t).Long {
		t.Run(v.Name, func(t *testing.T) {
			priv, pub := [32]byte(v.HopPriv), [32]byte(v.HopPub)
			rec := i2np.BuildRecord(v.Record)

			var mine i2np.BuildRecord
			eph, err := ecdh.X25519().NewPrivateKey(v.EphPriv)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := sealRecordWith(mine[:], [16]byte(v.HopHash), pub, eph, v.Plaintext)
			if err != nil {
				t.Fatal(err)
			}
			if mine != rec || rs.ck != [32]byte(v.CK) || rs.h != [32]byte(v.H) {
				t.Fatalf("sealed record or ck/h differ from python")
			}

			recs := make([]i2np.BuildRecord, len(v.RecordsBefore))
			for i, r := range v.RecordsBefore {
				recs[i] = i2np.BuildRecord(r)
			}
			if i := FindRecord(recs, data.Hash(v.HopHash)); i != v.Index {
				t.Fatalf("FindRecord = %d, want %d", i, v.Index)
			}
			req, st, err := DecryptRecord(priv, pub, rec)
			if err != nil {
				t.Fatal(err)
			}
			again, err := req.AppendBinary(nil)
			if err != nil || !bytes.Equal(again, v.Plaintext) {
				t.Fatalf("request re-encodes to %x (%v), want %x", again, err, []byte(v.Plaintext))
			}
			if st.rs != rs {
				t.Fatal("hop and creator Noise states differ")
			}
			resp, err := i2np.ParseBuildResponse(v.Response)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.EncryptReply(resp, recs, v.Index); err != nil {
				t.Fatal(err)
			}
			for i := range recs {
				if !bytes.Equal(recs[i][:], v.RecordsAfter[i]) {
					t.Errorf("record %d after reply\n%x\nwant\n%x", i, recs[i], []byte(v.RecordsAfter[i]))
				}
			}
		})
	}
}
