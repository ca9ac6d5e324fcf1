package data

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBase64Vectors(t *testing.T) {
	// i2pd tests/test-base-64.cpp
	if got := Base64Encode([]byte("test")); got != "dGVzdA==" {
		t.Errorf("encode = %q", got)
	}
	if b, err := Base64Decode("dGVzdA=="); err != nil || string(b) != "test" {
		t.Errorf("decode = %q, %v", b, err)
	}
	for _, bad := range []string{"dGVzdA=", "dGVzdA", "dG/zdA==", "dG+zdA==", "dG.zdA==", "dGVzdB==", "dGVz\ndA==", "dGVzdA==\n"} {
		if _, err := Base64Decode(bad); err == nil {
			t.Errorf("Base64Decode(%q) accepted", bad)
		}
	}
	// The I2P alphabet: 0xfb 0xff -> "-~" where standard base64 has "+/".
	if got := Base64Encode([]byte{0xfb, 0xef, 0xff}); got != "--~~" {
		t.Errorf("alphabet: %q", got)
	}
	// Java Base64Test: every byte value survives.
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if b, err := Base64Decode(Base64Encode(all)); err != nil || !bytes.Equal(b, all) {
		t.Errorf("256-byte round trip: %v", err)
	}
}

func TestBase32(t *testing.T) {
	// RFC 4648 section 10, lower case, no padding.
	for in, want := range map[string]string{"": "", "f": "my", "fo": "mzxq", "foo": "mzxw6", "foob": "mzxw6yq", "fooba": "mzxw6ytb", "foobar": "mzxw6ytboi"} {
		if got := Base32Encode([]byte(in)); got != want {
			t.Errorf("Base32Encode(%q) = %q, want %q", in, got, want)
		}
		if got, err := Base32Decode(strings.ToUpper(want)); err != nil || string(got) != in {
			t.Errorf("Base32Decode(%q) = %q, %v", want, got, err)
		}
	}
	for _, bad := range []string{"mz", "mzxw6===", "mzxq=", "m1", "mzxr"} {
		if _, err := Base32Decode(bad); err == nil {
			t.Errorf("Base32Decode(%q) accepted", bad)
		}
	}
}

func TestHashAndB32(t *testing.T) {
	b := readFile(t, "testdata/i2pd-r1-proxy.destination.dat")
	d, rest, err := ParseDestination(b)
	if err != nil || len(rest) != 0 {
		t.Fatal(err, len(rest))
	}
	const addr = "ffu6bmkquuqfhvmvbin4ciisw26c3zozqofwxyyiurtsfidqirqa.b32.i2p"
	if d2, err := DestinationFromBase64(d.Base64()); err != nil || !d2.Equal(d.KeysAndCert) {
		t.Errorf("DestinationFromBase64: %v", err)
	}
	if _, err := DestinationFromBase64(Base64Encode(append(bytes.Clone(b), 0, 0, 0))); err == nil {
		t.Error("trailing bytes after destination accepted")
	}
	if got := d.B32(); got != addr {
		t.Errorf("B32 = %s, want %s (i2pd log)", got, addr)
	}
	h, err := ParseB32Address(strings.ToUpper(addr[:52]) + ".B32.I2P")
	if err != nil || h != d.Hash() {
		t.Errorf("ParseB32Address: %v", err)
	}
	if _, err := ParseB32Address(addr[1:]); err == nil {
		t.Error("51-char b32 accepted")
	}
	if _, err := ParseB32Address(addr[:52] + ".i2p"); err == nil {
		t.Error("wrong suffix accepted")
	}
	s := h.String()
	if len(s) != 44 {
		t.Errorf("String %q", s)
	}
	h2, err := HashFromBase64(s)
	if err != nil || h2 != h {
		t.Errorf("HashFromBase64: %v", err)
	}
	txt, _ := h.MarshalText()
	var h3 Hash
	if err := h3.UnmarshalText(txt); err != nil || h3 != h {
		t.Errorf("UnmarshalText: %v", err)
	}
	if err := h3.UnmarshalText([]byte("abc")); err == nil {
		t.Error("UnmarshalText accepted junk")
	}
	if h.LogValue().String() != s[:6] {
		t.Errorf("LogValue %v", h.LogValue())
	}
	if h.Base32()+B32Suffix != addr {
		t.Error("Base32")
	}
}

func TestB33Golden(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	for _, tc := range []struct {
		flags uint8
		st    crypto.SigType
		want  string
	}{
		{0, crypto.SigEd25519, "rj4s2aabaibqibiga4eascqlbqgq4dyqcejbgfavcylrqgi2dmob2hq7.b32.i2p"},
		{B33FlagSecret, crypto.SigRedDSAEd25519, "rb2s2aabaibqibiga4eascqlbqgq4dyqcejbgfavcylrqgi2dmob2hq7.b32.i2p"},
		{B33FlagSecret | B33FlagAuth, crypto.SigEd25519, "rr4s2aabaibqibiga4eascqlbqgq4dyqcejbgfavcylrqgi2dmob2hq7.b32.i2p"},
	} {
		a := B33Address{Flags: tc.flags, SigType: tc.st, BlindedSigType: crypto.SigRedDSAEd25519, PublicKey: key}
		if got := a.String(); got != tc.want {
			t.Errorf("String = %s, want %s", got, tc.want)
		}
		got, err := ParseB33Address(tc.want)
		if err != nil {
			t.Fatal(err)
		}
		if got.Flags != tc.flags || got.SigType != tc.st || got.BlindedSigType != crypto.SigRedDSAEd25519 || !bytes.Equal(got.PublicKey, key) {
			t.Errorf("ParseB33Address = %+v", got)
		}
	}
	// A changed character breaks the checksum.
	bad := "rj4s2aabaibqibiga4eascqlbqgq4dyqcejbgfavcylrqgi2dmob2hq6.b32.i2p"
	if a, err := ParseB33Address(bad); err == nil && a.SigType == crypto.SigEd25519 && a.Flags == 0 {
		t.Errorf("corrupted address decoded to the same types: %+v", a)
	}
	// A standard b32 is too short.
	if _, err := ParseB33Address("ffu6bmkquuqfhvmvbin4ciisw26c3zozqofwxyyiurtsfidqirqa.b32.i2p"); err == nil {
		t.Error("52-char b32 accepted as b33")
	}
	// Two-byte sig types round trip.
	a := B33Address{Flags: B33FlagTwoByteSigTypes, SigType: crypto.SigEd25519, BlindedSigType: crypto.SigRedDSAEd25519, PublicKey: key}
	b, err := a.AppendBinary(nil)
	if err != nil || len(b) != 37 {
		t.Fatal(err, len(b))
	}
	got, err := ParseB33(b)
	if err != nil || got.SigType != a.SigType || got.BlindedSigType != a.BlindedSigType || got.Flags != a.Flags {
		t.Errorf("two-byte: %+v %v", got, err)
	}
	if _, err := (B33Address{SigType: crypto.SigEd25519, PublicKey: key[:31]}).AppendBinary(nil); err == nil {
		t.Error("short key accepted")
	}
}

func TestDateGolden(t *testing.T) {
	for _, tc := range []struct {
		d   Date
		hex string
	}{
		{0, "0000000000000000"},
		{1, "0000000000000001"},
		{1700000000123, "0000018bcfe5687b"},
	} {
		b, err := tc.d.AppendBinary(nil)
		if err != nil || hex.EncodeToString(b) != tc.hex {
			t.Errorf("%d: %x, %v", tc.d, b, err)
		}
		d, rest, err := ParseDate(mustHex(t, tc.hex+"ff"))
		if err != nil || d != tc.d || len(rest) != 1 {
			t.Errorf("ParseDate(%s) = %d, %v", tc.hex, d, err)
		}
	}
	if !Date(0).Time().IsZero() || DateOf(time.Time{}) != 0 {
		t.Error("zero date is not the zero time")
	}
	tm := time.UnixMilli(1700000000123)
	if DateOf(tm) != 1700000000123 || !Date(1700000000123).Time().Equal(tm) {
		t.Error("DateOf / Time")
	}
	if _, _, err := ParseDate(make([]byte, 7)); !errors.Is(err, ErrShort) {
		t.Errorf("short date: %v", err)
	}
}

func TestIntegerGolden(t *testing.T) {
	b, err := AppendInteger(nil, 0x0102, 2)
	if err != nil || !bytes.Equal(b, []byte{1, 2}) {
		t.Errorf("%x %v", b, err)
	}
	if _, err := AppendInteger(nil, 256, 1); err == nil {
		t.Error("overflow accepted")
	}
	v, rest, err := ParseInteger([]byte{1, 2, 3}, 3)
	if err != nil || v != 0x010203 || len(rest) != 0 {
		t.Errorf("ParseInteger = %x, %v", v, err)
	}
	if _, _, err := ParseInteger([]byte{1}, 2); err == nil {
		t.Error("short accepted")
	}
}

func TestStringGolden(t *testing.T) {
	b, err := AppendString(nil, "NTCP2")
	if err != nil || hex.EncodeToString(b) != "054e54435032" {
		t.Errorf("%x %v", b, err)
	}
	if b, _ := AppendString(nil, ""); hex.EncodeToString(b) != "00" {
		t.Errorf("empty: %x", b)
	}
	if _, err := AppendString(nil, strings.Repeat("a", 256)); err == nil {
		t.Error("256-byte string accepted")
	}
	if b, err := AppendString(nil, strings.Repeat("a", 255)); err != nil || len(b) != 256 {
		t.Error("255-byte string refused")
	}
	s, rest, err := ParseString(mustHex(t, "054e5443503201"))
	if err != nil || s != "NTCP2" || !bytes.Equal(rest, []byte{1}) {
		t.Errorf("ParseString = %q %x %v", s, rest, err)
	}
	if _, _, err := ParseString(mustHex(t, "054e544350")); !errors.Is(err, ErrShort) {
		t.Errorf("short string: %v", err)
	}
}

func TestMappingGolden(t *testing.T) {
	m, err := SortedMapping(map[string]string{"b": "2", "a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.AppendBinary(nil)
	// size 12, then len 'a' '=' len '1' ';' per entry
	const want = "000c" + "0161" + "3d" + "0131" + "3b" + "0162" + "3d" + "0132" + "3b"
	if err != nil || hex.EncodeToString(b) != want {
		t.Errorf("got %x, want %s (%v)", b, want, err)
	}
	got, rest, err := ParseMapping(append(mustHex(t, want), 0xaa))
	if err != nil || got.Len() != 2 || !bytes.Equal(rest, []byte{0xaa}) {
		t.Fatalf("ParseMapping: %v", err)
	}
	if v, ok := got.Get("b"); !ok || v != "2" {
		t.Errorf("Get(b) = %q %v", v, ok)
	}
	if _, ok := got.Get("c"); ok {
		t.Error("Get(c) found")
	}
	if b, _ := (Mapping{}).AppendBinary(nil); hex.EncodeToString(b) != "0000" {
		t.Errorf("empty: %x", b)
	}

	// Received order is kept.
	unsorted := "000c" + "0162" + "3d" + "0132" + "3b" + "0161" + "3d" + "0131" + "3b"
	got, _, err = ParseMapping(mustHex(t, unsorted))
	if err != nil || got.IsSorted() {
		t.Fatalf("unsorted: %v", err)
	}
	if b, _ := got.AppendBinary(nil); hex.EncodeToString(b) != unsorted {
		t.Errorf("order not kept: %x", b)
	}
	if b, _ := got.Sorted().AppendBinary(nil); hex.EncodeToString(b) != want {
		t.Errorf("Sorted: %x", b)
	}

	for name, bad := range map[string]string{
		"duplicate key":  "000c" + "0161" + "3d" + "0131" + "3b" + "0161" + "3d" + "0132" + "3b",
		"missing =":      "0006" + "0161" + "3e" + "0131" + "3b",
		"missing ;":      "0006" + "0161" + "3d" + "0131" + "3a",
		"size overrun":   "0007" + "0161" + "3d" + "0131" + "3b",
		"entry overruns": "0005" + "0161" + "3d" + "0131" + "3b",
		"string overrun": "0006" + "0561" + "3d" + "0131" + "3b",
		"short size":     "00",
	} {
		if _, _, err := ParseMapping(mustHex(t, bad)); err == nil {
			t.Errorf("%s accepted", name)
		} else if name == "duplicate key" && !errors.Is(err, ErrDuplicateKey) {
			t.Errorf("duplicate: %v", err)
		}
	}
	if _, err := NewMapping(Pair{"a", "1"}, Pair{"a", "2"}); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("NewMapping duplicate: %v", err)
	}
	if _, err := NewMapping(Pair{strings.Repeat("k", 256), ""}); err == nil {
		t.Error("long key accepted")
	}
}

func TestMappingJavaOrder(t *testing.T) {
	// Java compares UTF-16 code units: U+FF61 (one unit 0xFF61) sorts after
	// U+1F600 (surrogates 0xD83D 0xDE00), unlike Go's byte order.
	m, err := NewMapping(Pair{"\uff61", "x"}, Pair{"\U0001F600", "y"}, Pair{"B", ""}, Pair{"a", ""}, Pair{"", ""})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m.Sorted().All() {
		keys = append(keys, k)
	}
	want := []string{"", "B", "a", "\U0001F600", "\uff61"}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Errorf("sorted keys %q, want %q", keys, want)
	}
}

func TestCertificateGolden(t *testing.T) {
	for _, tc := range []struct {
		c   Certificate
		hex string
	}{
		{NullCertificate, "000000"},
		{Certificate{Type: CertHidden}, "020000"},
		{NewKeyCertificate(crypto.SigEd25519, CryptoX25519, nil), "05000400070004"},
		{NewKeyCertificate(crypto.SigEd25519, CryptoElGamal, nil), "05000400070000"},
	} {
		b, err := tc.c.AppendBinary(nil)
		if err != nil || hex.EncodeToString(b) != tc.hex {
			t.Errorf("%v: %x %v", tc.c.Type, b, err)
		}
		c, rest, err := ParseCertificate(mustHex(t, tc.hex))
		if err != nil || len(rest) != 0 || c.Type != tc.c.Type || !bytes.Equal(c.Payload, tc.c.Payload) {
			t.Errorf("ParseCertificate(%s) = %+v %v", tc.hex, c, err)
		}
	}
	c, _, _ := ParseCertificate(mustHex(t, "05000400070004"))
	if c.SigType() != crypto.SigEd25519 || c.CryptoType() != CryptoX25519 {
		t.Errorf("types %v %v", c.SigType(), c.CryptoType())
	}
	if NullCertificate.SigType() != crypto.SigDSASHA1 || NullCertificate.CryptoType() != CryptoElGamal {
		t.Error("NULL types")
	}
	for name, bad := range map[string]string{
		"key payload < 4":       "050003000700",
		"key excess for Ed":     "0500050007000400",
		"P521 without excess":   "05000400030000",
		"null with payload":     "00000100",
		"signed wrong length":   "030001" + "00",
		"short payload":         "050004000700",
		"truncated header":      "0500",
		"key excess for X25519": "050008000700040000000000",
	} {
		if _, _, err := ParseCertificate(mustHex(t, bad)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestKeyCertificateJava(t *testing.T) {
	// Java I2P KeyCertificateTest: P256_PAYLOAD and P521_PAYLOAD.
	c, _, err := ParseCertificate(mustHex(t, "050004"+"00010001"))
	if err != nil || c.SigType() != crypto.SigECDSASHA256P256 || c.CryptoType() != CryptoP256 {
		t.Errorf("P256: %+v %v", c, err)
	}
	c, _, err = ParseCertificate(mustHex(t, "050008"+"0003000000000000"))
	if err != nil || c.SigType() != crypto.SigECDSASHA512P521 || c.CryptoType() != CryptoElGamal || len(c.Payload)-4 != 4 {
		t.Errorf("P521: %+v %v", c, err)
	}
}
