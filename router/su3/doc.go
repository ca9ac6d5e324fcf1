// Package su3 reads, checks and writes su3 files, the signed container I2P
// uses for reseed bundles, router updates, plugins and news feeds. It
// implements updates.rst (2025-04, 0.9.65), "SU3 File Specification" and
// "SU3 Reseed File Specification".
//
// # Layout
//
// All integers are big-endian. Bytes marked "0" are unused and must be
// written as zero.
//
//	offset  size  field
//	0       6     magic "I2Psu3"
//	6       1     0
//	7       1     file format version, 0
//	8       2     signature type (the I2P code, see below)
//	10      2     signature length, must match the type
//	12      1     0
//	13      1     version length, at least 16
//	14      1     0
//	15      1     signer ID length, at least 1
//	16      8     content length
//	24      1     0
//	25      1     file type (0 zip, 1 xml, 2 html, 3 xml.gz, 4 txt.gz, 5 dmg, 6 exe)
//	26      1     0
//	27      1     content type (0 unknown, 1 router update, 2 plugin, 3 reseed,
//	              4 news, 5 blocklist)
//	28      12    0
//	40      v     version, UTF-8, padded with 0x00 to v bytes
//	40+v    s     signer ID, UTF-8, e.g. "zzz@mail.i2p"
//	40+v+s  c     content
//	...     n     signature over every byte before it
//
// # Signatures
//
// The signature covers bytes 0 through the end of the content. Following the
// spec ("We use raw signatures") and Java I2P's SU3File, the signed bytes are
// hashed with the hash of the signature type, and the digest is what the
// "raw" signature algorithm signs:
//
//	type  name                     signature over the digest H(signed bytes)
//	0     DSA_SHA1                 DSA, H = SHA-1
//	1-3   ECDSA_SHA{256,384,512}   ECDSA, H = SHA-256/384/512
//	4-6   RSA_SHA{256,384,512}     PKCS#1 v1.5 type 1 padding around the bare
//	                               digest, no DigestInfo ("NONEwithRSA")
//	7     EdDSA_SHA512_Ed25519     Ed25519 of the 64-byte SHA-512 digest
//	8     EdDSA_SHA512_Ed25519ph   the same as 7
//
// The spec's list has 0-6 and 8. Type 7 is not in it, but Java SU3File
// accepts any type its SigType knows and, for EdDSA, signs and verifies the
// digest as the Ed25519 message (SU3File's help text: "does double hashing
// right now"), which is exactly type 8 as I2P defines it (see
// router/crypto, ed25519ph.go). This package reads and writes both. Reseed
// signers in practice use type 6 with 4096-bit RSA keys; i2pd 2.45.1 accepts
// nothing else.
//
// # Leniency
//
// Parse follows Java SU3File in what it refuses: a bad magic, a format
// version other than 0, an unknown signature type or a signature length
// that does not match it, a version field shorter than 16 bytes, an empty
// signer ID or content, and (as Java's verifyAndMigrate does) any byte after
// the signature. Like Java and i2pd it ignores the unused bytes, and it
// accepts any file and content type: the caller checks those against what it
// expects, since the content type is the trust domain (updates.rst, Notes).
// The content length is capped at MaxContentLen.
//
// Parse keeps the bytes it was given, and Verify and AppendBinary use them,
// so a parsed file re-encodes byte for byte.
package su3
