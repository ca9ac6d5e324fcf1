package reseed

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

// TestWriteZip: what WriteZip writes, FromFile reads back.
func TestWriteZip(t *testing.T) {
	ris := newRIs(t, 3)
	var hashes []data.Hash
	var bs [][]byte
	for _, ri := range ris {
		hashes, bs = append(hashes, ri.hash), append(bs, ri.b)
	}
	p := filepath.Join(t.TempDir(), "seed.zip")
	if err := WriteZip(p, hashes, bs); err != nil {
		t.Fatal(err)
	}
	signers := NewSigners() // a zip needs none, but the Reseeder needs one
	newTestKey(t, "test@mail.i2p").trust(t, signers)
	r := newReseeder(t, Config{Signers: signers, MaxSize: 100 << 10})
	got, err := r.FromFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, got, ris)
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Error("temporary file left behind")
	}
	if err := WriteZip(filepath.Join(t.TempDir(), "no", "such", "dir.zip"), hashes, bs); err == nil {
		t.Error("WriteZip into a missing directory succeeded")
	}
}
