package i2np

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"reflect"
	"runtime"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDatabaseStoreRouterInfoVectors parses the two forms of a stored
// RouterInfo seen on the network, built by testdata/golden.py from a real
// i2pd RouterInfo: zlib level 9 (Java I2P) and i2pd's uncompressed gzip.
func TestDatabaseStoreRouterInfoVectors(t *testing.T) {
	ri := readTestdata(t, "i2pd-r1.routerInfo.dat")
	parsed, err := data.ParseRouterInfo(ri)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"databasestore-ri-zlib.bin", "databasestore-ri-stored.bin"} {
		t.Run(name, func(t *testing.T) {
			m, err := ParseDatabaseStoreMessage(readTestdata(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if m.StoreType != data.StoreRouterInfo || m.ReplyToken != 0 || m.ReplyTunnel != 0 || !m.ReplyGateway.IsZero() {
				t.Errorf("header = %+v", m)
			}
			if m.Key != parsed.Hash() {
				t.Errorf("key %v, want the identity hash %v", m.Key, parsed.Hash())
			}
			if !bytes.Equal(m.Data, ri) {
				t.Fatalf("decompressed RouterInfo differs from the file")
			}
			e, err := m.Entry()
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Verify(); err != nil {
				t.Errorf("signature of the stored RouterInfo: %v", err)
			}
			if e.Hash() != m.Key {
				t.Errorf("entry hash %v, key %v", e.Hash(), m.Key)
			}
		})
	}
}

// TestNewRouterInfoStore checks our compressed form: the header i2np.rst
// asks for, a stream the standard gzip reader (an implementation separate
// from our parser's use of it) inflates to the RouterInfo, and nothing that
// i2pd's inflater would refuse.
func TestNewRouterInfoStore(t *testing.T) {
	ri := readTestdata(t, "i2pd-r1.routerInfo.dat")
	m, err := NewRouterInfoStore(ri)
	if err != nil {
		t.Fatal(err)
	}
	m.ReplyToken = 0x01020304
	m.ReplyGateway = hashN(7)
	enc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex("4d9d0e18ecb36cc064ff608cb56bb1850fd529a04499559ea33ad80224e986e5 00 01020304 00000000")
	want = append(want, hb(7)...)
	if !bytes.HasPrefix(enc, want) {
		t.Fatalf("header %x, want %x", enc[:len(want)], want)
	}
	size := int(binary.BigEndian.Uint16(enc[len(want):]))
	z := enc[len(want)+2:]
	if size != len(z) {
		t.Fatalf("size field %d, %d bytes follow", size, len(z))
	}
	if got := z[:10]; !bytes.Equal(got, mustHex("1f8b08000000000002ff")) {
		t.Errorf("gzip header %x, want Java's 1f8b08000000000002ff", got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(out, ri) {
		t.Fatalf("standard gzip reader: %v, equal %v", err, bytes.Equal(out, ri))
	}
	// i2pd (libi2pd/Gzip.cpp GzipInflator::Inflate) takes byte 10 == 0x01
	// as a lone stored block of LEN at 11 and refuses extra input.
	if z[10] == 0x01 {
		if n := int(binary.LittleEndian.Uint16(z[11:])); n+23 != len(z) {
			t.Errorf("stored block of %d bytes in %d bytes of gzip: i2pd refuses it", n, len(z))
		}
	}
	if len(z) >= len(ri) {
		t.Errorf("compressed %d bytes to %d", len(ri), len(z))
	}
	back, err := ParseDatabaseStoreMessage(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip\n %+v\nwant\n %+v", back, m)
	}

	if _, err := NewRouterInfoStore(ri[:len(ri)-1]); err == nil {
		t.Error("NewRouterInfoStore took a truncated RouterInfo")
	}
}

// dsmRI builds a RouterInfo DatabaseStore payload around raw gzip bytes.
func dsmRI(z []byte) []byte {
	p := append(hb(1), 0, 0, 0, 0, 0, byte(len(z)>>8), byte(len(z)))
	return append(p, z...)
}

func gz(t testing.TB, p []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(p)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDatabaseStoreGzipLimits(t *testing.T) {
	t.Run("at the limit", func(t *testing.T) {
		p := bytes.Repeat([]byte("x"), MaxRouterInfoLen)
		m, err := ParseDatabaseStoreMessage(dsmRI(gz(t, p)))
		if err != nil || !bytes.Equal(m.Data, p) {
			t.Fatalf("%d bytes: %v", MaxRouterInfoLen, err)
		}
		if _, err := m.AppendBinary(nil); err != nil {
			t.Fatal(err)
		}
		m.Data = append(m.Data, 'x')
		if _, err := m.AppendBinary(nil); !errors.Is(err, ErrSize) {
			t.Fatalf("AppendBinary of %d bytes: %v, want ErrSize", len(m.Data), err)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		p := bytes.Repeat([]byte("x"), MaxRouterInfoLen+1)
		if _, err := ParseDatabaseStoreMessage(dsmRI(gz(t, p))); !errors.Is(err, ErrMalformed) {
			t.Fatalf("got %v, want ErrMalformed", err)
		}
	})
	t.Run("bomb", func(t *testing.T) {
		z := gzipBomb(t, 60)
		if len(z) > 0xffff {
			t.Fatalf("bomb of %d bytes does not fit", len(z))
		}
		payload := dsmRI(z)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := ParseDatabaseStoreMessage(payload)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("got %v, want ErrMalformed", err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
			t.Errorf("parsing the bomb allocated %d bytes", alloc)
		}
	})
}

// gzipBomb returns a valid gzip member of n MiB of zeros, about n KiB
// long. Compressing that much takes seconds, so it repeats the deflate
// blocks of one MiB, which after a sync flush are byte-aligned and refer
// only to earlier zeros.
func gzipBomb(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	block := bytes.Clone(buf.Bytes())
	z := mustHex("1f8b08000000000002ff")
	for range n {
		z = append(z, block...)
	}
	z = append(z, 0x03, 0x00) // final empty fixed-Huffman block
	crc := crc32.NewIEEE()
	zero := make([]byte, 1<<20)
	for range n {
		crc.Write(zero)
	}
	z = binary.LittleEndian.AppendUint32(z, crc.Sum32())
	return binary.LittleEndian.AppendUint32(z, uint32(n<<20))
}

func TestGzipBombIsValid(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(gzipBomb(t, 3)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n != 3<<20 {
		t.Fatalf("bomb inflates to %d bytes, %v", n, err)
	}
}

func TestDatabaseStoreErrors(t *testing.T) {
	ri := readTestdata(t, "i2pd-r1.routerInfo.dat")
	z := gz(t, ri)
	badCRC := bytes.Clone(z)
	badCRC[len(badCRC)-8] ^= 1
	badLen := bytes.Clone(z)
	badLen[len(badLen)-1] ^= 1
	notGzip := bytes.Clone(z)
	notGzip[0] = 0
	// A stored block whose NLEN does not match LEN.
	stored := append(mustHex("1f8b08000000000002ff01 0300 0000"), "abc"...)
	stored = binary.LittleEndian.AppendUint32(stored, crc32.ChecksumIEEE([]byte("abc")))
	stored = binary.LittleEndian.AppendUint32(stored, 3)

	head := hb(1)
	tests := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"empty", nil, ErrShort},
		{"key only", head, ErrShort},
		{"no token", append(bytes.Clone(head), 1, 0, 0), ErrShort},
		{"store type 2", append(bytes.Clone(head), 2, 0, 0, 0, 0, 'x'), ErrMalformed},
		{"store type 4", append(bytes.Clone(head), 4, 0, 0, 0, 0, 'x'), ErrMalformed},
		{"store type 9", append(bytes.Clone(head), 9, 0, 0, 0, 0, 'x'), ErrMalformed},
		{"reply token without gateway", append(bytes.Clone(head), 1, 0, 0, 0, 1, 0, 0, 0, 1), ErrShort},
		{"empty leaseset", append(bytes.Clone(head), 3, 0, 0, 0, 0), ErrShort},
		{"no RouterInfo size", append(bytes.Clone(head), 0, 0, 0, 0, 0, 1), ErrShort},
		{"RouterInfo size past the end", append(dsmRI(z), 0)[:len(dsmRI(z))-1], ErrShort},
		{"bytes after the RouterInfo", append(dsmRI(z), 0), ErrTrailing},
		{"bytes after the gzip member", dsmRI(append(bytes.Clone(z), 0)), ErrTrailing},
		{"two gzip members", dsmRI(append(bytes.Clone(z), z...)), ErrTrailing},
		{"bad CRC", dsmRI(badCRC), ErrMalformed},
		{"bad ISIZE", dsmRI(badLen), ErrMalformed},
		{"not gzip", dsmRI(notGzip), ErrMalformed},
		{"truncated gzip", dsmRI(z[:len(z)-4]), ErrMalformed},
		{"bad stored block", dsmRI(stored), ErrMalformed},
		{"zero-length gzip", dsmRI(nil), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseDatabaseStoreMessage(tc.payload); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDatabaseStoreIgnoresHighTypeBits(t *testing.T) {
	p := append(hb(0), 0xf3, 0, 0, 0, 0, 1, 2, 3, 4)
	m, err := ParseDatabaseStoreMessage(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.StoreType != data.StoreLeaseSet2 {
		t.Fatalf("store type %d, want 3", m.StoreType)
	}
	enc, _ := m.AppendBinary(nil)
	if enc[32] != 3 {
		t.Errorf("re-encoded type byte %#x, want 3", enc[32])
	}
}

func TestDatabaseStoreAppendErrors(t *testing.T) {
	ok := DatabaseStoreMessage{StoreType: data.StoreLeaseSet2, Data: []byte{1}}
	tests := []struct {
		name string
		mod  func(*DatabaseStoreMessage)
		want error
	}{
		{"store type 2", func(m *DatabaseStoreMessage) { m.StoreType = 2 }, ErrMalformed},
		{"store type 17", func(m *DatabaseStoreMessage) { m.StoreType = 17 }, ErrMalformed},
		{"no data", func(m *DatabaseStoreMessage) { m.Data = nil }, ErrMalformed},
		{"no RouterInfo", func(m *DatabaseStoreMessage) { m.StoreType, m.Data = 0, nil }, ErrMalformed},
		{"reply tunnel without token", func(m *DatabaseStoreMessage) { m.ReplyTunnel = 1 }, ErrMalformed},
		{"reply gateway without token", func(m *DatabaseStoreMessage) { m.ReplyGateway = hashN(1) }, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.mod(&m)
			b, err := m.AppendBinary([]byte("pre"))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			if string(b) != "pre" {
				t.Errorf("failed AppendBinary left %q", b)
			}
		})
	}
}

func TestNewStore(t *testing.T) {
	ri, err := data.ParseRouterInfo(readTestdata(t, "i2pd-r1.routerInfo.dat"))
	if err != nil {
		t.Fatal(err)
	}
	m := NewStore(ri)
	if m.Key != ri.Hash() || m.StoreType != data.StoreRouterInfo || !bytes.Equal(m.Data, ri.Bytes()) {
		t.Errorf("NewStore = %+v", m)
	}
}

func TestDatabaseLookupErrors(t *testing.T) {
	head := append(hb(1), hb(2)...)
	p := func(rest ...byte) []byte { return append(bytes.Clone(head), rest...) }
	many := p(0, 0x02, 0x01)
	many = append(many, make([]byte, 513*32)...)
	tests := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"empty", nil, ErrShort},
		{"no flags", head, ErrShort},
		{"no size", p(0x08), ErrShort},
		{"delivery flag, no tunnel", p(0x01, 0, 0), ErrShort},
		{"delivery flag, tunnel 0", p(0x01, 0, 0, 0, 0, 0, 0), ErrMalformed},
		{"513 excluded", many, ErrMalformed},
		{"excluded past the end", p(0x08, 0, 2, 1), ErrShort},
		{"both encryption flags", p(0x12, 0, 0), ErrMalformed},
		{"no reply key", p(0x02, 0, 0, 1, 2), ErrShort},
		{"zero tags", append(p(0x02, 0, 0), append(make([]byte, 32), 0)...), ErrMalformed},
		{"33 tags", append(p(0x02, 0, 0), append(make([]byte, 32), append([]byte{33}, make([]byte, 33*32)...)...)...), ErrMalformed},
		{"ElGamal tag short", append(p(0x02, 0, 0), append(make([]byte, 32), append([]byte{1}, make([]byte, 8)...)...)...), ErrShort},
		{"ECIES tag short", append(p(0x10, 0, 0), append(make([]byte, 32), 1, 1, 2, 3)...), ErrShort},
		{"trailing", p(0x08, 0, 0, 0), ErrTrailing},
		{"trailing after ECIES tag", append(p(0x10, 0, 0), append(make([]byte, 32), append([]byte{1}, make([]byte, 9)...)...)...), ErrTrailing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseDatabaseLookupMessage(tc.payload); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDatabaseLookupFlags(t *testing.T) {
	head := append(hb(1), hb(2)...)
	// Bits 7-5 are ignored; 512 excluded peers are allowed.
	p := append(bytes.Clone(head), 0xe8, 0x02, 0x00)
	p = append(p, make([]byte, 512*32)...)
	m, err := ParseDatabaseLookupMessage(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lookup != LookupRouterInfo || m.ReplyTunnel != 0 || m.Encryption != ReplyPlain || len(m.Exclude) != 512 {
		t.Errorf("parsed %v %v %v %d", m.Lookup, m.ReplyTunnel, m.Encryption, len(m.Exclude))
	}
	enc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if enc[64] != 0x08 {
		t.Errorf("flags re-encoded as %#x, want 0x08", enc[64])
	}
	for lt, s := range map[LookupType]string{LookupAny: "any", LookupLeaseSet: "LeaseSet", LookupRouterInfo: "RouterInfo", LookupExploration: "exploration", 4: "LookupType(4)"} {
		if lt.String() != s {
			t.Errorf("%d.String() = %q, want %q", uint8(lt), lt.String(), s)
		}
	}
}

func TestDatabaseLookupAppendErrors(t *testing.T) {
	tests := []struct {
		name string
		m    DatabaseLookupMessage
	}{
		{"lookup type 4", DatabaseLookupMessage{Lookup: 4}},
		{"513 excluded", DatabaseLookupMessage{Exclude: make([]data.Hash, 513)}},
		{"plain with tags", DatabaseLookupMessage{SessionTags: make([]SessionTag, 1)}},
		{"plain with ratchet tags", DatabaseLookupMessage{RatchetTags: make([]RatchetTag, 1)}},
		{"ElGamal without tags", DatabaseLookupMessage{Encryption: ReplyElGamalAES}},
		{"ElGamal with 33 tags", DatabaseLookupMessage{Encryption: ReplyElGamalAES, SessionTags: make([]SessionTag, 33)}},
		{"ElGamal with ratchet tags", DatabaseLookupMessage{Encryption: ReplyElGamalAES, SessionTags: make([]SessionTag, 1), RatchetTags: make([]RatchetTag, 1)}},
		{"ECIES without tags", DatabaseLookupMessage{Encryption: ReplyECIES}},
		{"ECIES with session tags", DatabaseLookupMessage{Encryption: ReplyECIES, SessionTags: make([]SessionTag, 1), RatchetTags: make([]RatchetTag, 1)}},
		{"encryption 3", DatabaseLookupMessage{Encryption: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.m.AppendBinary([]byte("pre"))
			if !errors.Is(err, ErrMalformed) || string(b) != "pre" {
				t.Errorf("got %q, %v; want ErrMalformed", b, err)
			}
		})
	}
}

func TestDatabaseSearchReplyErrors(t *testing.T) {
	key := hb(1)
	tests := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"empty", nil, ErrShort},
		{"no num", key, ErrShort},
		{"no from", append(bytes.Clone(key), 0), ErrShort},
		{"peers past the end", append(append(bytes.Clone(key), 2), make([]byte, 64)...), ErrShort},
		{"trailing", append(append(bytes.Clone(key), 0), make([]byte, 33)...), ErrTrailing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseDatabaseSearchReplyMessage(tc.payload); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// 255 peers is the most.
	p := append(bytes.Clone(key), 255)
	p = append(p, make([]byte, 256*32)...)
	m, err := ParseDatabaseSearchReplyMessage(p)
	if err != nil || len(m.Peers) != 255 {
		t.Fatalf("255 peers: %d, %v", len(m.Peers), err)
	}
	m.Peers = append(m.Peers, data.Hash{})
	if _, err := m.AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("256 peers: %v, want ErrMalformed", err)
	}
}
