package data

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// elsVector is one entry of testdata/encryptedls_vectors.json, made by
// testdata/gen_encryptedls.py.
type elsVector struct {
	Name          string         `json:"name"`
	SigType       crypto.SigType `json:"sigtype"`
	Priv          string         `json:"priv"`
	Pub           string         `json:"pub"`
	Secret        string         `json:"secret"`
	B33           string         `json:"b33"`
	Published     int64          `json:"published"`
	Date          string         `json:"date"`
	Alpha         string         `json:"alpha"`
	BlindedPub    string         `json:"blinded_pub"`
	BlindedPriv   string         `json:"blinded_priv"`
	Subcredential string         `json:"subcredential"`
	StoreHash     string         `json:"store_hash"`
	OuterSalt     string         `json:"outer_salt"`
	InnerSalt     string         `json:"inner_salt"`
	Inner         string         `json:"inner"`
	EncryptedData string         `json:"encrypted_data"`
	EncryptedLS   string         `json:"encrypted_ls"`
	Auth          *struct {
		Type string   `json:"type"`
		Keys []string `json:"keys"`
	} `json:"auth"`
}

func loadELSVectors(tb testing.TB) []elsVector {
	tb.Helper()
	b, err := os.ReadFile("testdata/encryptedls_vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct{ Vectors []elsVector }
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		tb.Fatal("no vectors")
	}
	return f.Vectors
}

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// destSigner makes the destination signer of a vector.
func (v elsVector) signer(tb testing.TB) crypto.Signer {
	tb.Helper()
	priv := unhex(tb, v.Priv)
	var s crypto.Signer
	var err error
	if v.SigType == crypto.SigEd25519 {
		s, err = crypto.NewEd25519Signer(priv)
	} else {
		s, err = crypto.NewRedDSASigner(priv)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestBlindingVectors checks every blinding step against the independent
// Python derivation of i2pd's and Java's algorithm.
func TestBlindingVectors(t *testing.T) {
	for _, v := range loadELSVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			pub := unhex(t, v.Pub)
			when := time.Unix(v.Published, 0)
			s := v.signer(t)
			if !bytes.Equal(s.Public(), pub) {
				t.Fatalf("public key %x, want %x", s.Public(), pub)
			}
			if got := DateString(when); got != v.Date {
				t.Errorf("DateString = %q, want %q", got, v.Date)
			}
			alpha, err := blindingAlpha(v.SigType, pub, when, v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			// alpha mod L, compared as 1 + alpha: the crypto package does
			// the reduction.
			as, err := crypto.NewRedDSASigner(unhex(t, v.Alpha))
			if err != nil {
				t.Fatal(err)
			}
			one := make([]byte, 32)
			one[0] = 1
			os1, _ := crypto.NewRedDSASigner(one)
			bs1, err := os1.Blind(alpha)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := as.Blind(one); !bytes.Equal(bs1.Private(), want.Private()) {
				t.Errorf("alpha+1 = %x, want %x", bs1.Private(), want.Private())
			}
			bp, err := BlindPublicKey(v.SigType, pub, when, v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(bp) != v.BlindedPub {
				t.Errorf("BlindPublicKey = %x, want %s", bp, v.BlindedPub)
			}
			bs, err := BlindSigner(s, when, v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(bs.Private()) != v.BlindedPriv || !bytes.Equal(bs.Public(), bp) {
				t.Errorf("BlindSigner = %x / %x, want %s / %s", bs.Private(), bs.Public(), v.BlindedPriv, v.BlindedPub)
			}
			sub := subcredential(v.SigType, pub, bp)
			if hex.EncodeToString(sub[:]) != v.Subcredential {
				t.Errorf("subcredential = %x, want %s", sub, v.Subcredential)
			}
			k, err := EncryptedLeaseSetKey(v.SigType, pub, when, v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(k[:]) != v.StoreHash {
				t.Errorf("EncryptedLeaseSetKey = %x, want %s", k, v.StoreHash)
			}
			var flags uint8
			if v.Secret != "" {
				flags = B33FlagSecret
			}
			addr := B33Address{Flags: flags, SigType: v.SigType, BlindedSigType: BlindedSigType, PublicKey: pub}
			if addr.String() != v.B33 {
				t.Errorf("b33 = %s, want %s", addr.String(), v.B33)
			}
			pa, err := ParseB33Address(v.B33)
			if err != nil {
				t.Fatal(err)
			}
			if k2, err := pa.Key(when, v.Secret); err != nil || k2 != k {
				t.Errorf("B33Address.Key = %v, %v; want %v", k2, err, k)
			}
		})
	}
}

// TestBlindDayBoundary: the key changes exactly at UTC midnight, whatever
// the time zone of t.
func TestBlindDayBoundary(t *testing.T) {
	s, _ := crypto.GenerateEd25519(rand.Reader)
	midnight := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	key := func(tm time.Time) []byte {
		b, err := BlindPublicKey(crypto.SigEd25519, s.Public(), tm, "")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before, at, later := key(midnight.Add(-time.Nanosecond)), key(midnight), key(midnight.Add(24*time.Hour-time.Second))
	if bytes.Equal(before, at) {
		t.Error("same blinded key on both sides of midnight")
	}
	if !bytes.Equal(at, later) {
		t.Error("blinded key changed within a UTC day")
	}
	// 2026-02-28 20:00 in New York (UTC-5) is 2026-03-01 01:00 UTC.
	ny := time.FixedZone("EST", -5*3600)
	if got := key(time.Date(2026, 2, 28, 20, 0, 0, 0, ny)); !bytes.Equal(got, at) {
		t.Error("blinded key follows the local date, not the UTC date")
	}
	if DateString(time.Date(2026, 2, 28, 20, 0, 0, 0, ny)) != "20260301" {
		t.Error("DateString is not the UTC date")
	}
	k1, _ := EncryptedLeaseSetKey(crypto.SigEd25519, s.Public(), midnight.Add(-time.Second), "")
	k2, _ := EncryptedLeaseSetKey(crypto.SigEd25519, s.Public(), midnight, "")
	if k1 == k2 {
		t.Error("store hash does not rotate at midnight")
	}
}

func TestBlindSignerMatchesPublic(t *testing.T) {
	ed, _ := crypto.GenerateEd25519(rand.Reader)
	red, _ := crypto.GenerateRedDSA(rand.Reader)
	now := time.Now()
	for _, s := range []crypto.Signer{ed, red} {
		for _, secret := range []string{"", "secret", "ünïcödé"} {
			bs, err := BlindSigner(s, now, secret)
			if err != nil {
				t.Fatal(err)
			}
			bp, err := BlindPublicKey(s.Type(), s.Public(), now, secret)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bs.Public(), bp) || bs.Type() != BlindedSigType {
				t.Fatalf("%v %q: blinded signer key %x, BlindPublicKey %x", s.Type(), secret, bs.Public(), bp)
			}
			if bytes.Equal(bp, s.Public()) {
				t.Fatal("blinded key equals the unblinded key")
			}
			msg := []byte("encrypted leaseset")
			sig, err := bs.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := crypto.Verify(BlindedSigType, bp, msg, sig); err != nil {
				t.Fatal(err)
			}
		}
		a, _ := BlindPublicKey(s.Type(), s.Public(), now, "a")
		b, _ := BlindPublicKey(s.Type(), s.Public(), now, "b")
		if bytes.Equal(a, b) {
			t.Error("the secret does not change the blinded key")
		}
	}
}

func TestBlindErrors(t *testing.T) {
	now := time.Now()
	ec, err := crypto.GenerateECDSA(crypto.SigType(1), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BlindSigner(ec, now, ""); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("BlindSigner(ECDSA) = %v", err)
	}
	if _, err := BlindPublicKey(crypto.SigType(1), ec.Public(), now, ""); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("BlindPublicKey(ECDSA) = %v", err)
	}
	if _, err := BlindPublicKey(crypto.SigEd25519, make([]byte, 31), now, ""); !errors.Is(err, ErrMalformed) {
		t.Errorf("31-byte key: %v", err)
	}
	ed, _ := crypto.GenerateEd25519(rand.Reader)
	if _, err := BlindPublicKey(crypto.SigEd25519, ed.Public(), now, string(make([]byte, 256))); !errors.Is(err, ErrMalformed) {
		t.Errorf("256-byte secret: %v", err)
	}
	// y = 2 is not the y coordinate of a curve point.
	bad := make([]byte, 32)
	bad[0] = 2
	if _, err := BlindPublicKey(crypto.SigEd25519, bad, now, ""); err == nil {
		t.Error("invalid point accepted")
	}
	if _, err := (B33Address{SigType: crypto.SigEd25519, BlindedSigType: crypto.SigEd25519, PublicKey: ed.Public()}).Key(now, ""); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("b33 blinded to type 7: %v", err)
	}
}
