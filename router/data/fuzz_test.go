package data

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Fuzz targets: each checks that Parse never panics and that parse →
// append → parse is stable, and for signed structures that re-encoding the
// parsed fields reproduces the input exactly.

func fixedSigner(tb testing.TB, b byte) crypto.Signer {
	s, err := crypto.NewEd25519Signer(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// seedEntries builds one signed structure of each kind, deterministically.
func seedEntries(tb testing.TB) (ri *RouterInfo, ls *LeaseSet, ls2, ls2off *LeaseSet2, meta *MetaLeaseSet, enc *EncryptedLeaseSet) {
	s := fixedSigner(tb, 1)
	id, err := NewRouterIdentity(crypto.SigEd25519, s.Public(), CryptoX25519, bytes.Repeat([]byte{2}, 32), &countingReader{})
	if err != nil {
		tb.Fatal(err)
	}
	addr, _ := NewRouterAddress(3, StyleNTCP2, map[string]string{"host": "10.0.0.1", "port": "1234", "s": Base64Encode(make([]byte, 32)), "i": Base64Encode(make([]byte, 16)), "v": "2"})
	opts, _ := SortedMapping(map[string]string{"caps": "LR", "netId": "2", "router.version": "0.9.67"})
	now := time.Unix(1800000000, 0)
	ri = &RouterInfo{Identity: id, Published: now, Addresses: []RouterAddress{addr}, Options: opts}
	if err := ri.Sign(s); err != nil {
		tb.Fatal(err)
	}

	ds := fixedSigner(tb, 3)
	dest, _ := NewDestination(crypto.SigEd25519, ds.Public(), &countingReader{})
	var h Hash
	h[0] = 9
	ls = &LeaseSet{Destination: dest, EncryptionKey: make([]byte, 256), SigningKey: make([]byte, 32),
		Leases: []Lease{{Gateway: h, TunnelID: 1, End: now}}}
	if err := ls.Sign(ds); err != nil {
		tb.Fatal(err)
	}
	hdr := LeaseSet2Header{Destination: dest, Published: now, Expires: now.Add(600 * time.Second)}
	lopts, _ := NewMapping(Pair{"_smtp._tcp", "0 86400 25"})
	ls2 = &LeaseSet2{LeaseSet2Header: hdr, Options: lopts, EncryptionKeys: []EncryptionKey{{CryptoX25519, make([]byte, 32)}},
		Leases: []Lease2{{Gateway: h, TunnelID: 2, End: now}}}
	if err := ls2.Sign(ds); err != nil {
		tb.Fatal(err)
	}
	tr := fixedSigner(tb, 4)
	off, err := NewOfflineSignature(ds, now.Add(time.Hour), crypto.SigEd25519, tr.Public())
	if err != nil {
		tb.Fatal(err)
	}
	c := *ls2
	c.Offline = &off
	ls2off = &c
	if err := ls2off.Sign(tr); err != nil {
		tb.Fatal(err)
	}
	meta = &MetaLeaseSet{LeaseSet2Header: hdr, Leases: []MetaLease{{Hash: h, Flags: 3, Cost: 1, End: now}}, Revocations: []Hash{h}}
	if err := meta.Sign(ds); err != nil {
		tb.Fatal(err)
	}
	bs := fixedSigner(tb, 5)
	enc = &EncryptedLeaseSet{BlindedSigType: crypto.SigEd25519, BlindedKey: bs.Public(), Published: now, Expires: now.Add(time.Minute), EncryptedData: []byte("ciphertext")}
	if err := enc.Sign(bs); err != nil {
		tb.Fatal(err)
	}
	return
}

func addFiles(f *testing.F, names ...string) {
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseRouterInfo(f *testing.F) {
	addFiles(f, "testdata/i2pd-r1.routerInfo.dat", "testdata/i2pd-r4.routerInfo.dat")
	ri, _, _, _, _, _ := seedEntries(f)
	f.Add(ri.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		ri, err := ParseRouterInfo(b)
		if err != nil {
			return
		}
		_ = ri.Verify()
		_, _, _, _ = ri.Caps(), ri.Version(), ri.String(), ri.Hash()
		ri.NetID()
		out, err := ri.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("AppendBinary differs: %v", err)
		}
		re, err := ri.appendUnsigned(nil)
		if err != nil || !bytes.Equal(append(re, ri.Signature...), b) {
			t.Fatalf("re-encoding the fields differs: %v", err)
		}
		if _, err := ParseRouterInfo(out); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseRouterAddress(f *testing.F) {
	ri, _, _, _, _, _ := seedEntries(f)
	b, _ := ri.Addresses[0].AppendBinary(nil)
	f.Add(b)
	if r1, err := ParseRouterInfo(readFile(f, "testdata/i2pd-r1.routerInfo.dat")); err == nil {
		for _, a := range r1.Addresses {
			b, _ := a.AppendBinary(nil)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, rest, err := ParseRouterAddress(b)
		if err != nil {
			return
		}
		a.Host()
		a.Port()
		a.AddrPort()
		a.StaticKey()
		out, err := a.AppendBinary(nil)
		if err != nil || !bytes.Equal(append(out, rest...), b) {
			t.Fatalf("round trip differs: %v", err)
		}
	})
}

func FuzzParseKeysAndCert(f *testing.F) {
	ri, _, _, _, _, _ := seedEntries(f)
	f.Add(ri.Identity.Bytes())
	addFiles(f, "testdata/i2pd-r1-proxy.destination.dat")
	p521 := make([]byte, 384, 395)
	f.Add(append(p521, 5, 0, 8, 0, 3, 0, 0, 1, 2, 3, 4))
	f.Add(make([]byte, 387))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, rest, err := ParseKeysAndCert(b)
		if err != nil {
			return
		}
		if n := k.SigType().PublicKeyLen(); len(k.SigningKey()) != n {
			t.Fatalf("signing key %d bytes, want %d", len(k.SigningKey()), n)
		}
		out, err := k.AppendBinary(nil)
		if err != nil || !bytes.Equal(append(out, rest...), b) {
			t.Fatalf("round trip differs: %v", err)
		}
		k2, _, err := ParseKeysAndCert(out)
		if err != nil || k2.Hash() != k.Hash() || !bytes.Equal(k2.SigningKey(), k.SigningKey()) || !bytes.Equal(k2.EncryptionKey(), k.EncryptionKey()) {
			t.Fatalf("re-parse differs: %v", err)
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	for _, s := range [][]byte{{0, 0, 0}, {5, 0, 4, 0, 7, 0, 4}, {5, 0, 8, 0, 3, 0, 0, 1, 2, 3, 4}, {3, 0, 40}, {1, 0, 2, 'a', ':'}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, rest, err := ParseCertificate(b)
		if err != nil {
			return
		}
		out, err := c.AppendBinary(nil)
		if err != nil || !bytes.Equal(append(out, rest...), b) {
			t.Fatalf("round trip differs: %v", err)
		}
		c.SigType()
		c.CryptoType()
	})
}

func FuzzParseMapping(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 12, 1, 'a', '=', 1, '1', ';', 1, 'b', '=', 1, '2', ';'})
	ri, _, _, _, _, _ := seedEntries(f)
	b, _ := ri.Options.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, rest, err := ParseMapping(b)
		if err != nil {
			return
		}
		out, err := m.AppendBinary(nil)
		if err != nil || !bytes.Equal(append(out, rest...), b) {
			t.Fatalf("round trip differs: %v", err)
		}
		s := m.Sorted()
		if !s.IsSorted() || s.Len() != m.Len() {
			t.Fatal("Sorted")
		}
		for k, v := range m.All() {
			if got, ok := s.Get(k); !ok || got != v {
				t.Fatalf("Sorted lost %q", k)
			}
		}
	})
}

func fuzzEntry(f *testing.F, seeds [][]byte, parse func([]byte) (Entry, error), reencode func(Entry) ([]byte, error)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parse(b)
		if err != nil {
			return
		}
		_ = e.Verify()
		e.Hash()
		out, err := e.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("AppendBinary differs: %v", err)
		}
		re, err := reencode(e)
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("re-encoding the fields differs: %v\n got %x\nwant %x", err, re, b)
		}
		if _, err := parse(out); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseLeaseSet(f *testing.F) {
	_, ls, _, _, _, _ := seedEntries(f)
	fuzzEntry(f, [][]byte{ls.Bytes()},
		func(b []byte) (Entry, error) { return ParseLeaseSet(b) },
		func(e Entry) ([]byte, error) {
			ls := e.(*LeaseSet)
			b, err := ls.appendUnsigned(nil)
			return append(b, ls.Signature...), err
		})
}

func FuzzParseLeaseSet2(f *testing.F) {
	_, _, ls2, ls2off, _, _ := seedEntries(f)
	fuzzEntry(f, [][]byte{ls2.Bytes(), ls2off.Bytes()},
		func(b []byte) (Entry, error) { return ParseLeaseSet2(b) },
		func(e Entry) ([]byte, error) {
			ls := e.(*LeaseSet2)
			b, err := ls.appendUnsigned(nil)
			return append(b, ls.Signature...), err
		})
}

func FuzzParseMetaLeaseSet(f *testing.F) {
	_, _, _, _, meta, _ := seedEntries(f)
	fuzzEntry(f, [][]byte{meta.Bytes()},
		func(b []byte) (Entry, error) { return ParseMetaLeaseSet(b) },
		func(e Entry) ([]byte, error) {
			ls := e.(*MetaLeaseSet)
			b, err := ls.appendUnsigned(nil)
			return append(b, ls.Signature...), err
		})
}

func FuzzParseEncryptedLeaseSet(f *testing.F) {
	_, _, _, _, _, enc := seedEntries(f)
	fuzzEntry(f, [][]byte{enc.Bytes()},
		func(b []byte) (Entry, error) { return ParseEncryptedLeaseSet(b) },
		func(e Entry) ([]byte, error) {
			ls := e.(*EncryptedLeaseSet)
			b, err := ls.appendUnsigned(nil)
			return append(b, ls.Signature...), err
		})
}

func FuzzBase64Decode(f *testing.F) {
	for _, s := range []string{"", "dGVzdA==", "--~~", "TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU=", "dGVzdA="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Base64Decode(s)
		if err != nil {
			return
		}
		if Base64Encode(b) != s {
			t.Fatalf("non-canonical input %q accepted", s)
		}
	})
}

func FuzzBase32Decode(f *testing.F) {
	for _, s := range []string{"", "mzxw6ytboi", "ffu6bmkquuqfhvmvbin4ciisw26c3zozqofwxyyiurtsfidqirqa"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Base32Decode(s)
		if err != nil {
			return
		}
		if !bytes.EqualFold([]byte(Base32Encode(b)), []byte(s)) {
			t.Fatalf("non-canonical input %q accepted", s)
		}
	})
}

func FuzzParseB33(f *testing.F) {
	key := make([]byte, 32)
	for _, a := range []B33Address{
		{SigType: crypto.SigEd25519, BlindedSigType: crypto.SigRedDSAEd25519, PublicKey: key},
		{Flags: B33FlagTwoByteSigTypes | B33FlagAuth, SigType: crypto.SigRedDSAEd25519, BlindedSigType: crypto.SigRedDSAEd25519, PublicKey: key},
		{SigType: crypto.SigECDSASHA256P256, BlindedSigType: crypto.SigECDSASHA256P256, PublicKey: make([]byte, 64)},
	} {
		b, err := a.AppendBinary(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseB33(b)
		if err != nil {
			return
		}
		out, err := a.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip differs: %v\n got %x\nwant %x", err, out, b)
		}
		a2, err := ParseB33Address(a.String())
		if err != nil || a2.SigType != a.SigType || a2.Flags != a.Flags || !bytes.Equal(a2.PublicKey, a.PublicKey) {
			t.Fatalf("string round trip: %v", err)
		}
	})
}
