package crypto

import (
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Helpers shared by the tests that read testdata/. testdata/README.md says
// where each file came from.

// hexBytes is a JSON string of hex digits.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

// readJSON decodes testdata/name (gunzipping names ending in .gz) into v.
func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var dec *json.Decoder
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		dec = json.NewDecoder(z)
	} else {
		dec = json.NewDecoder(f)
	}
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func mustUnhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flip returns a copy of b with bit 0 of byte i inverted.
func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

// wycheproofTest is one test case of a Wycheproof signature or XDH file.
type wycheproofTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Msg     hexBytes `json:"msg"`
	Sig     hexBytes `json:"sig"`
	Result  string   `json:"result"` // valid, invalid or acceptable
	// XDH only.
	Public  hexBytes `json:"public"`
	Private hexBytes `json:"private"`
	Shared  hexBytes `json:"shared"`
}

type wycheproofFile struct {
	Algorithm  string `json:"algorithm"`
	TestGroups []struct {
		Sha       string `json:"sha"`
		PublicKey struct {
			Uncompressed   hexBytes `json:"uncompressed"`   // ECDSA
			Pk             hexBytes `json:"pk"`             // EdDSA
			Modulus        hexBytes `json:"modulus"`        // RSA
			PublicExponent hexBytes `json:"publicExponent"` // RSA
		} `json:"publicKey"`
		Tests []wycheproofTest `json:"tests"`
	} `json:"testGroups"`
}
