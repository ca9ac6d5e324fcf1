package su3

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/i2pgo/i2pgo/router/crypto"
)

// Sizes and limits.
const (
	// Magic opens every su3 file.
	Magic = "I2Psu3"
	// FixedHeaderLen is the length of the header before the version.
	FixedHeaderLen = 40
	// MinVersionLen is the shortest version field the spec allows; shorter
	// versions are padded to it with 0x00.
	MinVersionLen = 16
	// MaxContentLen is the largest content Parse and Read accept. Reseed
	// bundles are about 100 KB and router updates some tens of MB.
	MaxContentLen = 64 << 20
)

// FileType is the format of the content (header byte 25).
type FileType uint8

// File types (updates.rst).
const (
	FileZip   FileType = 0
	FileXML   FileType = 1
	FileHTML  FileType = 2
	FileXMLGz FileType = 3
	FileTxtGz FileType = 4
	FileDMG   FileType = 5
	FileEXE   FileType = 6
)

var fileTypeNames = [...]string{"zip", "xml", "html", "xml.gz", "txt.gz", "dmg", "exe"}

func (t FileType) String() string {
	if int(t) < len(fileTypeNames) {
		return fileTypeNames[t]
	}
	return "FileType(" + strconv.Itoa(int(t)) + ")"
}

// ContentType is what the content is for (header byte 27). It is the trust
// domain: a verifier must check it is the one it expects.
type ContentType uint8

// Content types (updates.rst).
const (
	ContentUnknown   ContentType = 0
	ContentRouter    ContentType = 1
	ContentPlugin    ContentType = 2
	ContentReseed    ContentType = 3
	ContentNews      ContentType = 4
	ContentBlocklist ContentType = 5
)

var contentTypeNames = [...]string{"unknown", "router", "plugin", "reseed", "news", "blocklist"}

func (t ContentType) String() string {
	if int(t) < len(contentTypeNames) {
		return contentTypeNames[t]
	}
	return "ContentType(" + strconv.Itoa(int(t)) + ")"
}

// Errors that callers branch on. They are wrapped with detail, so test with
// errors.Is. Verify returns the router/crypto errors (crypto.ErrBadSignature
// and others), wrapped.
var (
	ErrNotSU3             = errors.New("su3: not an su3 file (bad magic)")
	ErrFormatVersion      = errors.New("su3: unknown file format version")
	ErrUnsupportedSigType = errors.New("su3: unsupported signature type")
	ErrMalformed          = errors.New("su3: malformed header")
	ErrShort              = errors.New("su3: file truncated")
	ErrTrailing           = errors.New("su3: data after the signature")
	ErrTooLarge           = errors.New("su3: file too large")
	ErrNotSigned          = errors.New("su3: file was neither parsed nor signed")
)

// Header holds the fields of an su3 header.
type Header struct {
	SigType     crypto.SigType
	FileType    FileType
	ContentType ContentType
	// Version is the version field up to its first 0x00 byte. For reseed
	// files it is the creation time in seconds since the epoch, in ASCII.
	Version string
	// SignerID names the signer, such as "zzz@mail.i2p". Verifiers look the
	// key up by it.
	SignerID string
	// ContentLen is the content length. Sign sets it from the content.
	ContentLen int64
}

// File is a parsed or signed su3 file.
type File struct {
	Header
	// Content is the content. It aliases the bytes the File was parsed from.
	Content []byte
	// Signature is the signature, of SigType.SignatureLen() bytes. It
	// aliases the bytes the File was parsed from.
	Signature []byte

	raw []byte // the whole file
}

// supported reports whether t may sign an su3 file: the types of the spec's
// list, plus 7 (see the package doc).
func supported(t crypto.SigType) bool {
	return t <= crypto.SigEd25519ph && t.Known()
}

// ParseHeader parses the header at the start of b: the fixed part, the
// version and the signer ID. It returns the header and its length n; the
// whole file is n + h.ContentLen + h.SigType.SignatureLen() bytes. b may
// hold more than the header.
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < FixedHeaderLen {
		if len(b) >= len(Magic) && string(b[:len(Magic)]) != Magic {
			return Header{}, 0, ErrNotSU3
		}
		return Header{}, 0, fmt.Errorf("%w: header needs %d bytes, have %d", ErrShort, FixedHeaderLen, len(b))
	}
	if string(b[:len(Magic)]) != Magic {
		return Header{}, 0, ErrNotSU3
	}
	if b[7] != 0 {
		return Header{}, 0, fmt.Errorf("%w: %d", ErrFormatVersion, b[7])
	}
	h.SigType = crypto.SigType(binary.BigEndian.Uint16(b[8:10]))
	if !supported(h.SigType) {
		return Header{}, 0, fmt.Errorf("%w: %v", ErrUnsupportedSigType, h.SigType)
	}
	if sl := int(binary.BigEndian.Uint16(b[10:12])); sl != h.SigType.SignatureLen() {
		return Header{}, 0, fmt.Errorf("%w: signature length %d, %v needs %d", ErrMalformed, sl, h.SigType, h.SigType.SignatureLen())
	}
	verLen := int(b[13])
	if verLen < MinVersionLen {
		return Header{}, 0, fmt.Errorf("%w: version length %d, must be at least %d", ErrMalformed, verLen, MinVersionLen)
	}
	signerLen := int(b[15])
	if signerLen == 0 {
		return Header{}, 0, fmt.Errorf("%w: empty signer ID", ErrMalformed)
	}
	cl := binary.BigEndian.Uint64(b[16:24])
	if cl == 0 {
		return Header{}, 0, fmt.Errorf("%w: empty content", ErrMalformed)
	}
	if cl > MaxContentLen {
		return Header{}, 0, fmt.Errorf("%w: content is %d bytes, limit %d", ErrTooLarge, cl, MaxContentLen)
	}
	h.ContentLen = int64(cl)
	h.FileType = FileType(b[25])
	h.ContentType = ContentType(b[27])
	n = FixedHeaderLen + verLen + signerLen
	if len(b) < n {
		return Header{}, 0, fmt.Errorf("%w: header needs %d bytes, have %d", ErrShort, n, len(b))
	}
	ver := b[FixedHeaderLen : FixedHeaderLen+verLen]
	if i := bytes.IndexByte(ver, 0); i >= 0 {
		ver = ver[:i]
	}
	h.Version = string(ver)
	h.SignerID = string(b[FixedHeaderLen+verLen : n])
	return h, n, nil
}

// Parse parses a whole su3 file. b must hold exactly one file. It does not
// check the signature: call Verify. The File aliases b, which must not be
// modified afterwards.
func Parse(b []byte) (*File, error) {
	h, n, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	sigLen := h.SigType.SignatureLen()
	total := int64(n) + h.ContentLen + int64(sigLen)
	if int64(len(b)) < total {
		return nil, fmt.Errorf("%w: file needs %d bytes, have %d", ErrShort, total, len(b))
	}
	if int64(len(b)) > total {
		return nil, fmt.Errorf("%w: %d bytes", ErrTrailing, int64(len(b))-total)
	}
	end := n + int(h.ContentLen)
	return &File{
		Header:    h,
		Content:   b[n:end:end],
		Signature: b[end:],
		raw:       b,
	}, nil
}

// Read reads one su3 file from r and parses it. It reads the header first,
// and refuses a file longer than limit bytes before reading its content;
// limit <= 0 means no limit beyond MaxContentLen. It then reads exactly the
// file's length and checks that r has nothing more. Memory grows with the
// bytes actually received, not with the length the header claims.
func Read(r io.Reader, limit int64) (*File, error) {
	buf := make([]byte, FixedHeaderLen, 1024)
	if k, err := io.ReadFull(r, buf); err != nil {
		if k >= len(Magic) && string(buf[:len(Magic)]) != Magic {
			return nil, ErrNotSU3
		}
		return nil, readErr(err, "header")
	}
	if string(buf[:len(Magic)]) != Magic {
		return nil, ErrNotSU3
	}
	// Version and signer ID lengths, checked by ParseHeader below.
	more := int(buf[13]) + int(buf[15])
	buf = buf[:FixedHeaderLen+more]
	if _, err := io.ReadFull(r, buf[FixedHeaderLen:]); err != nil {
		return nil, readErr(err, "header")
	}
	h, n, err := ParseHeader(buf)
	if err != nil {
		return nil, err
	}
	total := int64(n) + h.ContentLen + int64(h.SigType.SignatureLen())
	if limit > 0 && total > limit {
		return nil, fmt.Errorf("%w: file is %d bytes, limit %d", ErrTooLarge, total, limit)
	}
	w := bytes.NewBuffer(buf)
	got, err := io.Copy(w, io.LimitReader(r, total-int64(n)))
	if err != nil {
		return nil, fmt.Errorf("su3: read: %w", err)
	}
	if got < total-int64(n) {
		return nil, fmt.Errorf("%w: file needs %d bytes, have %d", ErrShort, total, int64(n)+got)
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return nil, fmt.Errorf("%w: more bytes after %d", ErrTrailing, total)
	}
	return Parse(w.Bytes())
}

func readErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: in the %s", ErrShort, what)
	}
	return fmt.Errorf("su3: read %s: %w", what, err)
}

// Bytes returns the whole file as parsed or signed, or nil for a File that
// is neither. Do not modify it.
func (f *File) Bytes() []byte { return f.raw }

// AppendBinary appends the file as parsed or signed.
func (f *File) AppendBinary(b []byte) ([]byte, error) {
	if f.raw == nil {
		return b, ErrNotSigned
	}
	return append(b, f.raw...), nil
}

// Digest is the hash, with the hash of the signature type, of the signed
// bytes: the header and the content.
func (f *File) Digest() []byte {
	h := f.SigType.HashFunc().New()
	h.Write(f.raw[:len(f.raw)-len(f.Signature)])
	return h.Sum(nil)
}

// Verify checks the signature with pub, the signer's public key in I2P form
// for f.SigType: the modulus for RSA, X||Y for ECDSA, the 32-byte key for
// EdDSA. It returns nil or an error wrapping crypto.ErrBadSignature,
// crypto.ErrKeyLength, crypto.ErrInvalidKey or ErrNotSigned.
func (f *File) Verify(pub []byte) error {
	if f.raw == nil {
		return ErrNotSigned
	}
	digest := f.Digest()
	t := f.SigType
	if t == crypto.SigEd25519 {
		// Same algorithm as type 8: Ed25519 over the digest.
		t = crypto.SigEd25519ph
	}
	if err := crypto.VerifyHash(t, pub, digest, f.Signature); err != nil {
		return fmt.Errorf("su3: %v signature by %q: %w", f.SigType, f.SignerID, err)
	}
	return nil
}

// Sign makes a signed su3 file of content with h's file type, content type,
// version and signer ID. The signature type is s.Type(), except that an
// Ed25519 signer (type 7) writes type 8 when h.SigType is
// crypto.SigEd25519ph; h.SigType is otherwise ignored, and so is
// h.ContentLen.
//
// How s is called depends on the type, so that any crypto.Signer that
// signs in I2P's usual way produces the su3 signature:
//
//   - Types 0-6: s.Sign gets the signed bytes and must hash them with the
//     type's hash and sign the digest raw. crypto.ECDSASigner does. For
//     RSA the result must be the su3 form, PKCS#1 v1.5 padding around the
//     bare digest (rsa.SignPKCS1v15 with hash 0 over the digest); the
//     standard form with a DigestInfo verifies here but not in Java I2P.
//   - Types 7 and 8: s.Sign gets the SHA-512 digest of the signed bytes
//     and signs it as the Ed25519 message, as crypto.Ed25519Signer does.
//
// Sign checks the new signature with s.Public() before it returns.
func Sign(h Header, content []byte, s crypto.Signer) (*File, error) {
	t := s.Type()
	if t == crypto.SigEd25519 && h.SigType == crypto.SigEd25519ph {
		t = crypto.SigEd25519ph
	}
	if !supported(t) {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedSigType, t)
	}
	if len(h.Version) == 0 || len(h.Version) > 255 {
		return nil, fmt.Errorf("%w: version is %d bytes, must be 1 to 255", ErrMalformed, len(h.Version))
	}
	if strings.IndexByte(h.Version, 0) >= 0 {
		return nil, fmt.Errorf("%w: version holds a 0x00 byte", ErrMalformed)
	}
	if len(h.SignerID) == 0 || len(h.SignerID) > 255 {
		return nil, fmt.Errorf("%w: signer ID is %d bytes, must be 1 to 255", ErrMalformed, len(h.SignerID))
	}
	if len(content) == 0 {
		return nil, fmt.Errorf("%w: empty content", ErrMalformed)
	}
	if len(content) > MaxContentLen {
		return nil, fmt.Errorf("%w: content is %d bytes, limit %d", ErrTooLarge, len(content), MaxContentLen)
	}
	verLen := max(len(h.Version), MinVersionLen)
	sigLen := t.SignatureLen()
	b := make([]byte, FixedHeaderLen, FixedHeaderLen+verLen+len(h.SignerID)+len(content)+sigLen)
	copy(b, Magic)
	binary.BigEndian.PutUint16(b[8:10], uint16(t))
	binary.BigEndian.PutUint16(b[10:12], uint16(sigLen))
	b[13] = byte(verLen)
	b[15] = byte(len(h.SignerID))
	binary.BigEndian.PutUint64(b[16:24], uint64(len(content)))
	b[25] = byte(h.FileType)
	b[27] = byte(h.ContentType)
	b = append(b, h.Version...)
	b = append(b, make([]byte, verLen-len(h.Version))...)
	b = append(b, h.SignerID...)
	b = append(b, content...)

	msg := b
	if t == crypto.SigEd25519 || t == crypto.SigEd25519ph {
		d := t.HashFunc().New()
		d.Write(b)
		msg = d.Sum(nil)
	}
	sig, err := s.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("su3: sign: %w", err)
	}
	if len(sig) != sigLen {
		return nil, fmt.Errorf("su3: signer made a %d-byte signature, %v needs %d", len(sig), t, sigLen)
	}
	f, err := Parse(append(b, sig...))
	if err != nil {
		return nil, err
	}
	if err := f.Verify(s.Public()); err != nil {
		return nil, fmt.Errorf("su3: new signature does not verify: %w", err)
	}
	return f, nil
}
