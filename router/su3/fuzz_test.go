package su3

import (
	"bytes"
	"errors"
	"testing"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// FuzzParse checks that Parse never panics, that a parsed file re-encodes
// to the same bytes and parses to the same fields, that Read agrees with
// Parse, and that Verify with any key of the right length does not panic.
func FuzzParse(f *testing.F) {
	f.Add(valid(f))
	f.Add(readFile(f, "testdata/rsa4096-test.su3"))
	f.Add(readFile(f, "testdata/p256-test.su3"))
	f.Add([]byte(Magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b)
		r, rerr := Read(bytes.NewReader(b), 0)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("Parse: %v, Read: %v", err, rerr)
		}
		if err != nil {
			if !errors.Is(err, ErrShort) && !errors.Is(err, ErrTrailing) && !errors.Is(err, ErrNotSU3) &&
				!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) &&
				!errors.Is(err, ErrUnsupportedSigType) && !errors.Is(err, ErrFormatVersion) {
				t.Fatalf("Parse error %v wraps no sentinel", err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), b) || r.Header != file.Header {
			t.Fatal("Read differs from Parse")
		}
		out, err := file.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("AppendBinary: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		if again.Header != file.Header || !bytes.Equal(again.Content, file.Content) ||
			!bytes.Equal(again.Signature, file.Signature) {
			t.Fatal("parse, append, parse changed the file")
		}
		pub := make([]byte, file.SigType.PublicKeyLen())
		copy(pub, file.Content)
		if err := file.Verify(pub); err == nil {
			t.Logf("verified with a made-up %v key", file.SigType)
		} else if !errors.Is(err, crypto.ErrBadSignature) && !errors.Is(err, crypto.ErrInvalidKey) {
			t.Fatalf("Verify: %v", err)
		}
	})
}
