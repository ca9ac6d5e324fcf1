package reseed

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto"
	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/su3"
)

// Limits on what one reseed file may make us do.
const (
	// MaxRouterInfoLen caps one routerInfo entry once inflated (Java I2P
	// skips files over 10 KB; the netDb applies its own, smaller limit).
	MaxRouterInfoLen = 10 << 10
	// MaxZipEntries caps the entries of one zip. Reseed files hold about
	// 75 RouterInfos.
	MaxZipEntries = 1000
	// MaxRoutersPerFile caps the RouterInfos taken from one file (Java I2P:
	// 400).
	MaxRoutersPerFile = 400
	// MaxFileAge is the oldest an su3 reseed file may be by its version
	// (Java I2P: 30 days).
	MaxFileAge = 30 * 24 * time.Hour
)

const (
	riPrefix = "routerInfo-"
	riSuffix = ".dat"
)

// Errors that callers branch on. They are wrapped with detail (the signer,
// the server, the file), so test with errors.Is.
var (
	ErrUnknownSigner      = errors.New("reseed: su3 signed by unknown signer")
	ErrBadSignature       = errors.New("reseed: bad su3 signature")
	ErrCertificateExpired = errors.New("reseed: signer certificate not valid now")
	ErrNotReseed          = errors.New("reseed: su3 file is not a reseed bundle")
	ErrTooOld             = errors.New("reseed: su3 file too old")
	ErrTooLarge           = errors.New("reseed: too large")
	ErrNoRouterInfos      = errors.New("reseed: no usable RouterInfos")
	ErrNotReseedFile      = errors.New("reseed: not an su3 or zip file")
)

// checker holds what checking a reseed file needs.
type checker struct {
	signers *Signers
	netID   int
	now     func() time.Time
}

// open checks an su3 reseed file and returns its zip content.
func (c checker) open(b []byte) ([]byte, error) {
	f, err := su3.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("reseed: %w", err)
	}
	if f.ContentType != su3.ContentReseed {
		return nil, fmt.Errorf("%w: content type %v", ErrNotReseed, f.ContentType)
	}
	if f.FileType != su3.FileZip {
		return nil, fmt.Errorf("%w: file type %v, want zip", ErrNotReseed, f.FileType)
	}
	sg, ok := c.signers.Lookup(f.SignerID)
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownSigner, f.SignerID)
	}
	now := c.now()
	if err := sg.validAt(now); err != nil {
		return nil, err
	}
	if !sg.accepts(f.SigType) {
		return nil, fmt.Errorf("%w from %s: signed with %v, the signer's key is %v", ErrBadSignature, sg.ID, f.SigType, sg.SigType)
	}
	if err := f.Verify(sg.PublicKey); err != nil {
		if errors.Is(err, crypto.ErrBadSignature) {
			return nil, fmt.Errorf("%w from %s", ErrBadSignature, sg.ID)
		}
		return nil, fmt.Errorf("%w from %s: %w", ErrBadSignature, sg.ID, err)
	}
	// The version is the creation time, in seconds since the epoch. Java
	// checks the age only for values that look like one.
	if v, err := strconv.ParseInt(strings.TrimSpace(f.Version), 10, 64); err == nil && v >= 1400000000 && v < 1<<40 {
		if age := now.Sub(time.Unix(v, 0)); age > MaxFileAge {
			return nil, fmt.Errorf("%w: signed by %s %d days ago", ErrTooOld, sg.ID, int(age.Hours()/24))
		}
	}
	return f.Content, nil
}

// routerInfo is one RouterInfo taken from a zip.
type routerInfo struct {
	hash data.Hash
	b    []byte
}

// unzip returns the RouterInfos of a reseed zip, at most
// MaxRoutersPerFile, and how many routerInfo entries it skipped.
func (c checker) unzip(b []byte) (ris []routerInfo, skipped int, err error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, 0, fmt.Errorf("reseed: zip: %w", err)
	}
	if len(zr.File) > MaxZipEntries {
		return nil, 0, fmt.Errorf("%w: zip has %d entries, limit %d", ErrTooLarge, len(zr.File), MaxZipEntries)
	}
	seen := make(map[data.Hash]bool)
	var first error // why the first entry was refused
	for _, zf := range zr.File {
		if len(ris) == MaxRoutersPerFile {
			break
		}
		h, ok := entryHash(zf.Name)
		if !ok {
			continue // not a routerInfo file: ignored, as Java does
		}
		ri, err := c.readEntry(zf, h)
		if err == nil && seen[h] {
			err = fmt.Errorf("reseed: %s appears twice", zf.Name)
		}
		if err != nil {
			skipped++
			if first == nil {
				first = err
			}
			continue
		}
		seen[h] = true
		ris = append(ris, routerInfo{hash: h, b: ri})
	}
	if len(ris) == 0 {
		if first != nil {
			return nil, skipped, fmt.Errorf("%w: %d zip entries, %d routerInfo entries refused, the first: %w", ErrNoRouterInfos, len(zr.File), skipped, first)
		}
		return nil, 0, fmt.Errorf("%w: %d zip entries, none named routerInfo-<hash>.dat", ErrNoRouterInfos, len(zr.File))
	}
	return ris, skipped, nil
}

// entryHash returns the router hash in a top-level entry name
// routerInfo-<base64 hash>.dat.
func entryHash(name string) (data.Hash, bool) {
	mid, ok := strings.CutPrefix(name, riPrefix)
	if !ok {
		return data.Hash{}, false
	}
	mid, ok = strings.CutSuffix(mid, riSuffix)
	if !ok || len(mid) != 44 {
		return data.Hash{}, false
	}
	h, err := data.HashFromBase64(mid)
	return h, err == nil
}

// readEntry reads and checks one routerInfo entry.
func (c checker) readEntry(zf *zip.File, h data.Hash) ([]byte, error) {
	if zf.UncompressedSize64 > MaxRouterInfoLen {
		return nil, fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, zf.Name, zf.UncompressedSize64)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// The size in the directory may lie: read no more than the limit.
	// Reading to EOF makes archive/zip check the CRC.
	b, err := io.ReadAll(io.LimitReader(rc, MaxRouterInfoLen+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRouterInfoLen {
		return nil, fmt.Errorf("%w: %s inflates past %d bytes", ErrTooLarge, zf.Name, MaxRouterInfoLen)
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return nil, err
	}
	if ri.Hash() != h {
		return nil, fmt.Errorf("reseed: %s holds RouterInfo %v", zf.Name, ri.Hash())
	}
	if id, ok := ri.NetID(); ok && id != c.netID {
		return nil, fmt.Errorf("reseed: %s is for network %d", zf.Name, id)
	}
	return b, nil
}
