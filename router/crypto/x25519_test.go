package crypto

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func to32(t *testing.T, b []byte) [32]byte {
	t.Helper()
	if len(b) != 32 {
		t.Fatalf("%d bytes", len(b))
	}
	return [32]byte(b)
}

func TestRFC7748(t *testing.T) {
	var doc struct {
		Vectors []struct {
			Name   string   `json:"name"`
			Priv   hexBytes `json:"priv"`
			Pub    hexBytes `json:"pub"`
			Shared hexBytes `json:"shared"`
			OwnPub hexBytes `json:"own_pub"`
		} `json:"vectors"`
	}
	readJSON(t, "rfc7748_vectors.json", &doc)
	if len(doc.Vectors) != 3 {
		t.Fatalf("%d vectors", len(doc.Vectors))
	}
	for _, v := range doc.Vectors {
		got, err := X25519(to32(t, v.Priv), to32(t, v.Pub))
		if err != nil || !bytes.Equal(got[:], v.Shared) {
			t.Errorf("%s: %x, %v", v.Name, got, err)
		}
		if v.OwnPub != nil {
			if p := X25519Public(to32(t, v.Priv)); !bytes.Equal(p[:], v.OwnPub) {
				t.Errorf("%s: public %x", v.Name, p)
			}
		}
	}
}

// TestWycheproofX25519 expects every shared secret Wycheproof lists,
// except the all-zero ones, which X25519 must refuse.
func TestWycheproofX25519(t *testing.T) {
	var f wycheproofFile
	readJSON(t, "wycheproof/x25519_test.json.gz", &f)
	n, zero := 0, 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			n++
			got, err := X25519(to32(t, tc.Private), to32(t, tc.Public))
			if bytes.Equal(tc.Shared, make([]byte, 32)) {
				zero++
				if !errors.Is(err, ErrLowOrderPoint) {
					t.Errorf("#%d (%s): zero output not refused: %v", tc.TcID, tc.Comment, err)
				}
				continue
			}
			if err != nil || !bytes.Equal(got[:], tc.Shared) {
				t.Errorf("#%d (%s): %x, %v", tc.TcID, tc.Comment, got, err)
			}
		}
	}
	if n < 500 || zero < 20 {
		t.Errorf("%d tests, %d with zero output", n, zero)
	}
}

func TestX25519KeyPair(t *testing.T) {
	a, err := GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateX25519(&countReader{})
	if err != nil {
		t.Fatal(err)
	}
	var want [32]byte
	(&countReader{}).Read(want[:])
	if b.Private != want || b.Public != X25519Public(want) {
		t.Error("GenerateX25519 does not use 32 bytes of rand")
	}
	ab, err1 := X25519(a.Private, b.Public)
	ba, err2 := X25519(b.Private, a.Public)
	if err1 != nil || err2 != nil || ab != ba {
		t.Fatalf("shared secrets differ: %v %v", err1, err2)
	}
	// The identity (u = 0) and u = 1 are of low order.
	for _, u := range [][32]byte{{}, {1}} {
		if _, err := X25519(a.Private, u); !errors.Is(err, ErrLowOrderPoint) {
			t.Errorf("u=%x: %v", u[0], err)
		}
	}
	// Printing and logging a key pair shows only a public-key prefix.
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("k", "key", a)
	short := "X25519:" + base64.RawStdEncoding.EncodeToString(a.Public[:])[:8]
	if fmt.Sprint(a) != short || fmt.Sprintf("%v|%s|%+v|%#v", a, a, a, a) != short+"|"+short+"|"+short+"|"+short ||
		!strings.Contains(sb.String(), "key="+short+"\n") {
		t.Errorf("key pair prints as %q / %q", fmt.Sprint(a), sb.String())
	}
}
