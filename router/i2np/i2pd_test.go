package i2np

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

// TestI2pdDatabaseStores parses DatabaseStore messages that i2pd 2.45.1
// sent over NTCP2 (testdata/README.md): both of its gzip forms, and, in
// i2pd-databasestore-deflate.bin, a RouterInfo that i2pd can only have
// learnt from a DatabaseStore this package compressed.
func TestI2pdDatabaseStores(t *testing.T) {
	ours := readTestdata(t, "i2pgo-big.routerInfo.dat")
	tests := []struct {
		file string
		// gzip header (10 bytes) and first deflate byte as i2pd wrote them
		head string
		want []byte // the RouterInfo, if known
	}{
		// GzipNoCompression: a lone stored block, for RouterInfos that fit a
		// tunnel message.
		{"i2pd-databasestore-unsolicited.bin", "1f8b08000000000002ff01", nil},
		{"i2pd-databasestore-lookup.bin", "1f8b08000000000002ff01", nil},
		// GzipDeflator: zlib's default level, OS byte forced to 0xff.
		{"i2pd-databasestore-deflate.bin", "1f8b08000000000000ffe3", ours},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p := readTestdata(t, tc.file)
			if got := p[39 : 39+11]; !bytes.Equal(got, mustHex(tc.head)) {
				t.Fatalf("vector has gzip head %x, want %s", got, tc.head)
			}
			m, err := ParseDatabaseStoreMessage(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.StoreType != data.StoreRouterInfo || m.ReplyToken != 0 {
				t.Errorf("header %+v", m)
			}
			e, err := m.Entry()
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Verify(); err != nil {
				t.Errorf("RouterInfo signature: %v", err)
			}
			if e.Hash() != m.Key {
				t.Errorf("key %v, RouterInfo of %v", m.Key, e.Hash())
			}
			if tc.want != nil && !bytes.Equal(m.Data, tc.want) {
				t.Errorf("RouterInfo differs from the one we sent")
			}
			// Our re-encoding compresses differently but parses the same.
			enc, err := m.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			m2, err := ParseDatabaseStoreMessage(enc)
			if err != nil || !reflect.DeepEqual(m, m2) {
				t.Errorf("re-encoding parses as %+v, %v", m2, err)
			}
		})
	}
}

// TestI2pdSmallMessages parses the other replies of i2pd and checks that
// they re-encode to the same bytes.
func TestI2pdSmallMessages(t *testing.T) {
	r1, err := data.HashFromBase64("TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU=")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file  string
		typ   MessageType
		check func(t *testing.T, b Body)
	}{
		{"i2pd-deliverystatus.bin", DeliveryStatus, func(t *testing.T, b Body) {
			if m := b.(DeliveryStatusMessage); m.ID != 0x4242 || m.Time.UnixMilli() != 0x01a2084c3b82 {
				t.Errorf("%+v", m)
			}
		}},
		{"i2pd-databasesearchreply.bin", DatabaseSearchReply, func(t *testing.T, b Body) {
			if m := b.(DatabaseSearchReplyMessage); m.From != r1 || len(m.Peers) != 1 {
				t.Errorf("%+v", m)
			}
		}},
		{"i2pd-databasesearchreply-exploration.bin", DatabaseSearchReply, func(t *testing.T, b Body) {
			if m := b.(DatabaseSearchReplyMessage); m.From != r1 || len(m.Peers) != 3 {
				t.Errorf("%+v", m)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p := readTestdata(t, tc.file)
			b, err := ParsePayload(tc.typ, p)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
			enc, err := b.AppendBinary(nil)
			if err != nil || !bytes.Equal(enc, p) {
				t.Errorf("re-encoded %x, %v\nwant %x", enc, err, p)
			}
		})
	}
}
