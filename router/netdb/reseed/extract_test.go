package reseed

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"runtime"
	"strconv"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

// rawEntry writes an entry whose header says what hdr says, whatever the
// data is: the way to make a zip that lies.
func rawEntry(t testing.TB, zw *zip.Writer, hdr *zip.FileHeader, compressed []byte) {
	t.Helper()
	w, err := zw.CreateRaw(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(compressed); err != nil {
		t.Fatal(err)
	}
}

func deflate(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(b)
	fw.Close()
	return buf.Bytes()
}

// TestZipBomb: entries that inflate far beyond their limit are cut off after
// MaxRouterInfoLen bytes, whether the directory admits their size or lies
// about it.
func TestZipBomb(t *testing.T) {
	good := newRI(t, strconv.Itoa(testNetID))
	huge := make([]byte, 16<<20) // 16 MiB of zeros, about 16 KB deflated
	bomb := deflate(t, huge)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	var h1, h2 data.Hash
	h1[0], h2[0] = 1, 2

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// Honest header: refused by the size in the directory.
	rawEntry(t, zw, &zip.FileHeader{Name: entryName(h1), Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(huge), CompressedSize64: uint64(len(bomb)), UncompressedSize64: uint64(len(huge))}, bomb)
	// Lying header: claims 1000 bytes.
	rawEntry(t, zw, &zip.FileHeader{Name: entryName(h2), Method: zip.Deflate,
		CRC32: 0, CompressedSize64: uint64(len(bomb)), UncompressedSize64: 1000}, bomb)
	w, _ := zw.Create(entryName(good.hash))
	w.Write(good.b)
	zw.Close()

	ris, skipped, err := testChecker(nil).unzip(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(ris) != 1 || ris[0].hash != good.hash || skipped != 2 {
		t.Errorf("%d RouterInfos, %d skipped", len(ris), skipped)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	testChecker(nil).unzip(buf.Bytes())
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Errorf("unzip allocated %d bytes", n)
	}
}

func TestUnzipLimits(t *testing.T) {
	c := testChecker(nil)

	t.Run("too many entries", func(t *testing.T) {
		var es []zipEntry
		for i := range MaxZipEntries + 1 {
			es = append(es, zipEntry{"x" + strconv.Itoa(i), nil})
		}
		if _, _, err := c.unzip(makeZip(t, es)); !errors.Is(err, ErrTooLarge) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("at most MaxRoutersPerFile", func(t *testing.T) {
		ris := newRIs(t, MaxRoutersPerFile+5)
		got, _, err := c.unzip(makeZip(t, entries(ris)))
		if err != nil || len(got) != MaxRoutersPerFile {
			t.Errorf("%d, %v", len(got), err)
		}
	})
	t.Run("refused and ignored entries", func(t *testing.T) {
		ris := newRIs(t, 3)
		other := newRI(t, "2")
		noNet := newRI(t, "")
		es := []zipEntry{
			{entryName(ris[0].hash), ris[0].b},          // good
			{entryName(ris[1].hash), ris[0].b},          // name of another router: refused
			{entryName(ris[0].hash), ris[0].b},          // twice: refused
			{entryName(other.hash), other.b},            // other network: refused
			{entryName(ris[2].hash), ris[2].b[:100]},    // truncated: refused
			{entryName(noNet.hash), noNet.b},            // no netId: kept
			{"dir/" + entryName(ris[1].hash), ris[1].b}, // not top level: ignored
			{"routerInfo-short.dat", ris[1].b},          // bad name: ignored
			{entryName(ris[1].hash) + ".bak", ris[1].b}, // bad name: ignored
			{"dir/", nil},                   // directory: ignored
			{"README.txt", []byte("hello")}, // ignored
		}
		got, skipped, err := c.unzip(makeZip(t, es))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].hash != ris[0].hash || got[1].hash != noNet.hash || skipped != 4 {
			t.Errorf("%d RouterInfos, %d skipped", len(got), skipped)
		}
	})
	t.Run("bad CRC", func(t *testing.T) {
		ri := newRI(t, strconv.Itoa(testNetID))
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		rawEntry(t, zw, &zip.FileHeader{Name: entryName(ri.hash), Method: zip.Store,
			CRC32: crc32.ChecksumIEEE(ri.b) ^ 1, CompressedSize64: uint64(len(ri.b)), UncompressedSize64: uint64(len(ri.b))}, ri.b)
		zw.Close()
		if _, _, err := c.unzip(buf.Bytes()); !errors.Is(err, ErrNoRouterInfos) || !errors.Is(err, zip.ErrChecksum) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("not a zip", func(t *testing.T) {
		if _, _, err := c.unzip([]byte("PK\x03\x04junk")); err == nil {
			t.Error("no error")
		}
	})
}

// FuzzUnzip feeds the zip reader anything: it must not panic, and what it
// returns must obey the limits and be well-formed.
func FuzzUnzip(f *testing.F) {
	ris := newRIs(f, 2)
	f.Add(makeZip(f, entries(ris)))
	f.Add(makeZip(f, []zipEntry{{"routerInfo-x.dat", []byte("x")}}))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	c := testChecker(nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, skipped, err := c.unzip(b)
		if err != nil {
			if len(got) != 0 {
				t.Fatal("RouterInfos with an error")
			}
			return
		}
		if len(got) == 0 || len(got) > MaxRoutersPerFile || skipped < 0 {
			t.Fatalf("%d RouterInfos, %d skipped", len(got), skipped)
		}
		for _, ri := range got {
			p, err := data.ParseRouterInfo(ri.b)
			if err != nil || p.Hash() != ri.hash || len(ri.b) > MaxRouterInfoLen {
				t.Fatalf("bad RouterInfo returned: %v", err)
			}
		}
	})
}
