package i2np

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"
)

// MaxRouterInfoLen is the largest decompressed RouterInfo a DatabaseStore
// may carry. Real RouterInfos are 400 to 2000 bytes; i2pd 2.45.1 refuses
// anything of 3072 bytes or more (libi2pd/RouterInfo.h,
// MAX_RI_BUFFER_SIZE). Decompression stops here, so a gzip bomb costs at
// most this much memory.
const MaxRouterInfoLen = 64 << 10

// Pools of gzip state: a level-9 compressor holds close to a megabyte.
var (
	gzipWriters sync.Pool // *gzip.Writer
	gzipReaders sync.Pool // *gzip.Reader
)

// appendGzip appends p compressed as one gzip member with the header Java
// I2P writes and i2np.rst asks for: 1f 8b 08 00 00000000 02 ff (no name,
// mtime 0, XFL 2 for maximum compression, OS 255).
func appendGzip(b, p []byte) []byte {
	buf := bytes.NewBuffer(b)
	zw, _ := gzipWriters.Get().(*gzip.Writer)
	if zw == nil {
		// Only an invalid level makes NewWriterLevel fail.
		zw, _ = gzip.NewWriterLevel(buf, gzip.BestCompression)
	} else {
		zw.Reset(buf)
	}
	// Writes to a bytes.Buffer do not fail.
	_, _ = zw.Write(p)
	_ = zw.Close()
	zw.Reset(io.Discard) // drop the reference to buf
	gzipWriters.Put(zw)
	return buf.Bytes()
}

// gunzip decompresses exactly one gzip member that fills z and returns at
// most limit bytes. Both the Java and the i2pd form are accepted: any
// RFC 1952 header (i2pd's GzipNoCompression writes a stored block,
// libi2pd/Gzip.cpp), compressed or stored blocks. The CRC-32 and length in
// the trailer are checked, and anything after the member is refused.
func gunzip(z []byte, limit int) ([]byte, error) {
	br := bytes.NewReader(z)
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformed, err)
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false)
	// bytes.Reader is an io.ByteReader, so neither gzip nor flate reads
	// ahead of the member and br.Len() is what follows it.
	out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformed, err)
	}
	if len(out) > limit {
		return nil, fmt.Errorf("%w: gzip: decompresses to more than %d bytes", ErrMalformed, limit)
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the gzip member", ErrTrailing, br.Len())
	}
	return out, nil
}
