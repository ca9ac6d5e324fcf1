// Package datagram is the codec of I2P datagrams: datagrams.rst
// ("lastupdated 2025-04, accurate for 0.9.66", Proposal 163). It parses,
// builds, signs and verifies them; sending them over a client session is
// the caller's job (the I2CP protocol number and ports travel in the gzip
// header of the I2CP payload, outside the datagram).
//
//	type       proto  layout
//	Raw        18     payload
//	Datagram1  17     from (Destination) | signature | payload
//	Datagram2  19     from | flags (2) | [options Mapping] |
//	                  [offline signature] | payload | signature
//	Datagram3  20     from hash (32) | flags (2) | [options Mapping] | payload
//
// Datagram1's signature, by from's signing key, is over the payload; for
// DSA_SHA1 keys it is over SHA-256(payload) (i2pd DatagramDestination,
// Java I2PDatagramMaker). Datagram2's signature is over
//
//	target destination hash (32, not sent) | flags | [options] |
//	[offline signature] | payload
//
// never over a hash, whatever the key type (datagrams.rst, "Signatures");
// with an offline signature, it is made by the transient key, which the
// offline signature authorizes until its expiry. Prefixing the recipient's
// hash is Datagram2's replay prevention: a receiver verifies with its own
// hash and drops datagrams meant for someone else. Datagram3 is not
// signed. In flags, bits 3-0 are the version (2 or 3, checked as Java's
// Datagram2 and Datagram3 do), bit 4 announces options and, in Datagram2,
// bit 5 the offline signature; the other bits are kept as received and
// otherwise ignored.
//
// Sizes: a Datagram2 or Datagram3 is at most MaxSize (61 KiB, Java's
// MAX_DGRAM_BUFSIZE), counting everything but the target hash. Datagram1
// is accepted up to MaxSize too but built only up to MaxDatagram1Size
// (32 KiB), the receive buffer of Java's I2PDatagramDissector and of
// i2pd's DatagramDestination (MAX_DATAGRAM_SIZE), which drop anything
// larger. The I2CP and tunnel layers limit them further, and datagrams.rst
// advises a few KB at most.
//
// The codecs are pure: no I/O, goroutines or logging. Parsed payloads
// alias the input. Verification uses the bytes as received (habit 2 of
// STYLE.md), so an options Mapping in a non-canonical order still
// verifies. Errors wrap the sentinels below and start with "datagram:".
package datagram
