// Package i2np is the codec for I2NP, the router-to-router message layer
// (I2NP specification, /spec/i2np, "lastupdated 2025-12", accurate for API
// 0.9.66), with the cleartext ECIES build records of
// tunnel-creation-ecies.rst. It holds the two message headers in use on
// the current network, every message body, the build records, and a
// duplicate-message filter.
//
// The standard ("long") header, 16 bytes, is used where an I2NP message is
// carried inside another structure (Data, TunnelData, TunnelGateway, the
// tunnel-message fragments, ElGamal garlic cloves):
//
//	+----+----+----+----+----+----+----+----+
//	|type|      msg_id       |  expiration
//	+----+----+----+----+----+----+----+----+
//	                         |  size   |chks|
//	+----+----+----+----+----+----+----+----+
//	| payload (size bytes) ...
//
//	type       1 byte, MessageType
//	msg_id     4 bytes, MessageID
//	expiration 8 bytes, Date: milliseconds since the epoch, 0 = none
//	size       2 bytes, payload length, so at most MaxPayload
//	chks       1 byte, first byte of SHA-256(payload)
//
// The NTCP2/SSU2 ("short") header, 9 bytes, is used in NTCP2 and SSU2 I2NP
// blocks and in ECIES-Ratchet garlic cloves. It has no size and no
// checksum: the enclosing block's length delimits the payload, and the
// AEAD that protects it catches corruption:
//
//	+----+----+----+----+----+----+----+----+----+
//	|type|      msg_id       | short_expiration  |
//	+----+----+----+----+----+----+----+----+----+
//	| payload (rest of the block) ...
//
//	short_expiration 4 bytes, seconds since the epoch, unsigned, 0 = none
//
// The obsolete 5-byte SSU header is not implemented.
//
// The codec is pure: no I/O, no goroutines, no logging. Parsing accepts
// every type byte, including reserved and unknown ones; deciding what to do
// with a type is the dispatcher's job.
//
// Expirations are time.Time in UTC. A zero wire value (the spec's null
// Date) parses as the zero time.Time, and the zero time.Time is written as
// 0. AppendShort truncates to whole seconds, as i2pd does
// (libi2pd/I2NPProtocol.h, ToNTCP2). The short expiration wraps on
// 2106-02-07; this package does not handle the wrap and AppendShort refuses
// later times.
//
// Expirations and the other times of the bodies are time.Time rather than
// data.Date, which callers would only convert to compare with the clock.
//
// # Message bodies
//
// Each body type has ParseXMessage(payload) and an AppendBinary method, and
// ParsePayload dispatches on the type byte. Payload layouts (i2np.rst,
// "Messages"); sizes in bytes, all integers big-endian:
//
//	DatabaseStore (1)       key 32 | type 1 | reply token 4 |
//	                        [token != 0: reply tunnel 4 | reply gateway 32] |
//	                        type 0: length 2 | gzip(RouterInfo)
//	                        else:   LeaseSet, LeaseSet2 (3), EncryptedLeaseSet
//	                                (5) or MetaLeaseSet (7), to the end
//	DatabaseLookup (2)      key 32 | from 32 | flags 1 | [reply tunnel 4] |
//	                        size 2 | size x excluded hash 32 |
//	                        [reply key 32 | tags 1 | tags x (32 or 8)]
//	DatabaseSearchReply (3) key 32 | num 1 | num x hash 32 | from 32
//	DeliveryStatus (10)     msg id 4 | time stamp (Date) 8
//	Garlic (11), Data (20)  length 4 | data
//	TunnelData (18)         tunnel id 4 | data 1024
//	TunnelGateway (19)      tunnel id 4 | length 2 | message (long header)
//	TunnelBuild (21),
//	TunnelBuildReply (22)   8 x record 528
//	VariableTunnelBuild (23),
//	VariableTunnelBuildReply (24)
//	                        num 1 (1..8) | num x record 528
//	ShortTunnelBuild (25),
//	OutboundTunnelBuildReply (26)
//	                        num 1 (1..8) | num x record 218
//
// The DatabaseStore type byte: bit 0 set for the leaseset family, bits 3-1
// the variant (0 for RouterInfo and LeaseSet, 1 LS2, 2 encrypted LS2, 3
// meta LS2), so the low nibble is the store type 0, 1, 3, 5 or 7; bits 7-4
// are ignored. The DatabaseLookup flags: bit 0 reply to a tunnel, bit 1
// ElGamal/AES reply encryption (32-byte tags), bits 3-2 the LookupType,
// bit 4 ECIES reply encryption (8-byte tags); both encryption bits at once
// is undefined and refused.
//
// A stored RouterInfo is compressed as Java I2P does it (gzip level 9,
// header 1f 8b 08 00 00000000 02 ff) and any single gzip member is
// accepted, including i2pd's uncompressed form (one stored block,
// libi2pd/Gzip.cpp GzipNoCompression). Decompression stops at
// MaxRouterInfoLen. Note that i2pd 2.45.1 drops RouterInfos of 3072 bytes
// or more.
//
// Parsers never panic, never allocate by a length read from the input
// before checking that the input holds that many bytes, and refuse bytes
// after a complete body (ErrTrailing) where Java I2P and i2pd would ignore
// them, so that parse → append gives back the input. The exceptions are a
// RouterInfo, which is compressed anew, and the ignored bits of the
// DatabaseStore type and DatabaseLookup flags, written as 0.
//
// Byte-slice fields of the bodies (Garlic and Data contents, a LeaseSet
// being stored, the payload of a TunnelGateway's wrapped message) alias the
// parsed payload; fixed records are copied into arrays, and a decompressed
// RouterInfo is new.
//
// # Build records
//
// BuildRecord and ShortBuildRecord are the encrypted records as carried;
// BuildRequest, ShortBuildRequest, BuildResponse and ShortBuildResponse are
// their ECIES cleartexts. Their AppendBinary fills the padding the caller
// leaves short with random bytes from crypto/rand, the one source of
// randomness in this package. Encrypting and decrypting records belongs to
// the tunnel builder. The deprecated ElGamal cleartext (222 bytes) is not
// implemented.
//
// # Duplicates and expiry
//
// Expired and DupFilter implement the receive checks of Java I2P's
// MessageValidator: drop a message more than 60 s past its expiration or
// expiring more than 4 minutes ahead, and drop a repeated message ID.
package i2np
