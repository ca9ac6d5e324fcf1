package client

// The I2CP payload of a Data message (i2cp.rst, "Payload", and the I2CP
// overview's "Ports and protocol numbers in gzip header"): a gzip member
// (RFC 1952) whose header carries the ports and the protocol:
//
//	+----+----+----+----+----+----+----+----+----+----+
//	| 1f | 8b | 08 |flg | src port| dst port|xfl |prot|  deflate data,
//	+----+----+----+----+----+----+----+----+----+----+  CRC-32, length
//
//	src port, dst port  big endian, in the MTIME field (bytes 4-7)
//	prot                I2CP protocol number, in the OS field (byte 9):
//	                    6 streaming, 17 repliable datagram, 18 raw,
//	                    19 Datagram2, 20 Datagram3
//
// Uncompressed payloads are stored blocks, byte for byte as i2pd's
// GzipNoCompression writes them (libi2pd/Gzip.cpp: XFL 2, a single stored
// block 01 LEN NLEN up to 65535 bytes); longer ones take several stored
// blocks. Compressed ones are real deflate at the default level. Both
// Java and i2pd inflate whatever they get. DecodePayload accepts any valid
// gzip member (stored or compressed blocks, optional header fields),
// checks the CRC-32 and length trailer, refuses bytes after the member,
// and stops inflating at its limit, so a small gzip bomb cannot cost more
// than max bytes.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
)

// I2CP protocol numbers (i2cp.rst; datagrams.rst, "Overview").
const (
	ProtoAny       uint8 = 0
	ProtoStreaming uint8 = 6
	ProtoDatagram  uint8 = 17
	ProtoRaw       uint8 = 18
	ProtoDatagram2 uint8 = 19
	ProtoDatagram3 uint8 = 20
)

// DefaultMaxPayload is DecodePayload's limit on the decompressed size
// when its max is 0 or less: the I2CP message limit of "about 64 KB".
const DefaultMaxPayload = 64 << 10

// gzip layout.
const (
	gzipHeaderLen  = 10
	gzipTrailerLen = 8
	gzipOSOffset   = 9
	gzipPortOffset = 4
	// maxStored is the most one stored deflate block holds.
	maxStored = 0xffff
)

// Errors of the I2CP payload.
var (
	// ErrPayload means the bytes are not a valid gzip member: a bad
	// header, corrupt deflate data, a CRC or length mismatch, or bytes
	// after the member.
	ErrPayload = errors.New("client: malformed I2CP payload")
	// ErrPayloadTooLarge means the payload decompresses to more than the
	// limit, or is too large to encode.
	ErrPayloadTooLarge = errors.New("client: I2CP payload too large")
)

// Pools of gzip state: a compressor holds a few hundred KiB, a
// decompressor about 40 KiB.
var (
	gzipWriters sync.Pool // *gzip.Writer
	gzipReaders sync.Pool // *gzip.Reader
)

// EncodePayload returns data as an I2CP payload with protocol proto and
// the two ports. With compress false the data is stored uncompressed
// (gzip level 0, the form i2pd uses for datagrams by default and Java for
// already-compressed data); with compress true it is deflated. It fails
// with ErrPayloadTooLarge for data over DefaultMaxPayload, which could
// not fit a Data message anyway.
func EncodePayload(proto uint8, srcPort, dstPort uint16, data []byte, compress bool) ([]byte, error) {
	if len(data) > DefaultMaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrPayloadTooLarge, len(data), DefaultMaxPayload)
	}
	var out []byte
	if compress {
		buf := bytes.NewBuffer(make([]byte, 0, len(data)/2+64))
		zw, _ := gzipWriters.Get().(*gzip.Writer)
		if zw == nil {
			zw = gzip.NewWriter(buf)
		} else {
			zw.Reset(buf)
		}
		// Writes to a bytes.Buffer do not fail.
		_, _ = zw.Write(data)
		_ = zw.Close()
		zw.Reset(io.Discard)
		gzipWriters.Put(zw)
		out = buf.Bytes()
	} else {
		out = appendStored(make([]byte, 0, len(data)+gzipHeaderLen+gzipTrailerLen+5*(len(data)/maxStored+1)), data)
	}
	binary.BigEndian.PutUint16(out[gzipPortOffset:], srcPort)
	binary.BigEndian.PutUint16(out[gzipPortOffset+2:], dstPort)
	out[gzipOSOffset] = proto
	return out, nil
}

// appendStored appends data as a gzip member of stored deflate blocks,
// with i2pd's header (XFL 2, OS 255 until the caller sets it).
func appendStored(b, data []byte) []byte {
	b = append(b, 0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff)
	rest := data
	for {
		n := min(len(rest), maxStored)
		final := byte(0)
		if n == len(rest) {
			final = 1
		}
		b = append(b, final)
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
		b = binary.LittleEndian.AppendUint16(b, ^uint16(n))
		b = append(b, rest[:n]...)
		rest = rest[n:]
		if final == 1 {
			break
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(b, uint32(len(data)))
}

// DecodePayload parses an I2CP payload and returns its protocol, ports and
// decompressed data (a new buffer). max bounds the decompressed size (0 or
// less means DefaultMaxPayload). It fails with ErrPayload for anything
// that is not exactly one valid gzip member and ErrPayloadTooLarge when
// the data would exceed max.
func DecodePayload(b []byte, max int) (proto uint8, srcPort, dstPort uint16, data []byte, err error) {
	if max <= 0 {
		max = DefaultMaxPayload
	}
	if len(b) < gzipHeaderLen+gzipTrailerLen+1 {
		return 0, 0, 0, nil, fmt.Errorf("%w: %d bytes", ErrPayload, len(b))
	}
	if b[0] != 0x1f || b[1] != 0x8b || b[2] != 0x08 {
		return 0, 0, 0, nil, fmt.Errorf("%w: not a gzip header (% x)", ErrPayload, b[:3])
	}
	if b[3]&0xe0 != 0 { // RFC 1952: reserved FLG bits must be zero
		return 0, 0, 0, nil, fmt.Errorf("%w: reserved gzip flags %#02x", ErrPayload, b[3])
	}
	proto = b[gzipOSOffset]
	srcPort = binary.BigEndian.Uint16(b[gzipPortOffset:])
	dstPort = binary.BigEndian.Uint16(b[gzipPortOffset+2:])
	data, err = gunzip(b, max)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return proto, srcPort, dstPort, data, nil
}

func gunzip(b []byte, max int) ([]byte, error) {
	br := bytes.NewReader(b)
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrPayload, err)
	}
	defer func() {
		// Drop the reference to b before pooling.
		zr.Reset(bytes.NewReader(nil))
		gzipReaders.Put(zr)
	}()
	zr.Multistream(false)
	// Reserve a little: most payloads are stored, so len(b) is near the
	// result; never more than max.
	out := bytes.NewBuffer(make([]byte, 0, min(len(b), max)+1))
	// bytes.Reader is an io.ByteReader, so the reader does not read past
	// the member and br.Len() is what follows it.
	n, err := io.Copy(out, io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrPayload, err)
	}
	if n > int64(max) {
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes", ErrPayloadTooLarge, max)
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the gzip member", ErrPayload, br.Len())
	}
	return out.Bytes(), nil
}
