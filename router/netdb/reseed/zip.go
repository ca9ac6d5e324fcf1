package reseed

import (
	"archive/zip"
	"os"

	"github.com/i2pgo/i2pgo/router/data"
)

// WriteZip writes RouterInfos as the zip a reseed file may be (entries
// "routerInfo-<base64 hash>.dat", as the extractor reads them), atomically
// (a temporary file renamed over path). hashes[k] is the hash of ris[k].
func WriteZip(path string, hashes []data.Hash, ris [][]byte) (err error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	zw := zip.NewWriter(f)
	for k, b := range ris {
		w, err := zw.Create(riPrefix + hashes[k].String() + riSuffix)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
