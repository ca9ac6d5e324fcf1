// Package data implements the I2P common structures: the types every other
// protocol carries. It follows the specification pages
// common-structures.rst (last updated 2025-06, accurate for 0.9.67),
// encryptedleaseset.rst (2025-05, 0.9.66: the EncryptedLeaseSet layers,
// key blinding and per-client authorization; blinding.go, encryptedls.go)
// and b32encrypted.rst (b33 addresses), as found under /work/shared/specs/spec.
//
// # Codecs
//
// Every wire type has a Parse function and an AppendBinary method
// (encoding.BinaryAppender). Parsers of structures that are embedded in
// larger ones return the remaining bytes; parsers of top-level structures
// (RouterInfo and the leasesets) take exactly one structure. Parsers never
// panic, never allocate by an untrusted length before checking that the
// input holds that many bytes, and never alias their input in the result.
// Errors begin with "data: " and wrap ErrShort, ErrTrailing, ErrMalformed,
// ErrDuplicateKey or ErrUnsupportedSigType where they apply.
//
// Signed structures (RouterInfo, LeaseSet, LeaseSet2, EncryptedLeaseSet,
// MetaLeaseSet) keep the bytes they were parsed from. Verify checks the
// signature over those bytes and AppendBinary returns them, so a Mapping in
// an unexpected order or a field we do not model cannot break a signature.
// To create one, fill the exported fields and call Sign, which encodes,
// signs and stores the bytes.
//
// # Primitive types
//
//	Integer      1..8 bytes, big endian            ParseInteger, AppendInteger
//	Date         8 bytes, ms since epoch, 0 = null Date, ParseDate
//	String       1-byte length, 0..255 bytes       ParseString, AppendString
//	Mapping      2-byte size, then key=value;      Mapping, ParseMapping
//	             entries with String key/value
//	Certificate  type(1) length(2) payload         Certificate, ParseCertificate
//	Hash         32 bytes, SHA-256                 Hash
//
// # KeysAndCert
//
// RouterIdentity and Destination are a 384-byte key area plus a
// certificate. With a KEY certificate (type 5, payload sigtype(2)
// cryptotype(2) excess...), for example Ed25519 with X25519:
//
//	+--------------------+---------------------------+--------------+-------------+
//	| encryption key 32  | padding 320               | signing 32   | 05 0004     |
//	| (type 4, X25519)   | (32 random bytes x 10)    | (Ed25519)    | 0007 0004   |
//	+--------------------+---------------------------+--------------+-------------+
//	0                    32                          352            384          391
//
// The encryption key is aligned at the start, the signing key at the end of
// the 384 bytes. A signing key longer than 128 bytes (P521, RSA) fills
// [256:384] and continues in the certificate after its 4-byte header. With a
// NULL certificate the area is a 256-byte ElGamal key and a 128-byte DSA key.
//
// # RouterInfo
//
//	identity | published Date | n(1) | n x RouterAddress | peer_size(1)=0 |
//	options Mapping | signature (length from the identity's sig type)
//
//	RouterAddress: cost(1) | expiration Date (0) | transport String |
//	               options Mapping
//
// # LeaseSets
//
// LeaseSet (netDb type 1): destination | ElGamal key 256 | signing key |
// n(1) | n x Lease (hash 32, tunnel id 4, end Date 8) | signature.
//
// LeaseSet2 (type 3) and MetaLeaseSet (type 7) start with the LS2 header:
//
//	destination | published(4 s) | expires(2 s offset) | flags(2) |
//	[offline: expires(4) sigtype(2) transient key, signature by destination]
//
// LeaseSet2 continues with options Mapping | numk(1) | numk x (type(2)
// len(2) key) | n(1) | n x Lease2 (hash 32, tunnel id 4, end 4 s) |
// signature. MetaLeaseSet continues with options | n(1) | n x MetaLease
// (hash 32, flags 3, cost 1, end 4 s) | numr(1) | numr x Hash | signature.
//
// EncryptedLeaseSet (type 5): blinded sigtype(2) | blinded key |
// published(4) | expires(2) | flags(2) | [offline block] | len(2) |
// encrypted data | signature. Decryption of the inner layer is not here.
//
// The LS2 family's signatures cover the netDb type byte (3, 5 or 7)
// followed by the structure. With an offline block, the destination (or
// blinded) key signs the transient key and the transient key signs the
// structure.
//
// # Choices
//
// ParseMapping rejects duplicate keys, as Java I2P's DataHelper does.
// Mappings we create are sorted with Java's String.compareTo order.
// ParseRouterInfo rejects a non-zero peer_size, which no implementation
// sends. Certificates must have the exact payload length of their type, as
// the spec recommends. Base64 and base32 decoding accept only the canonical
// encoding (padding for base64, zero unused bits for both).
package data
