// Package i2np is the codec for I2NP, the router-to-router message layer
// (I2NP specification, /spec/i2np, "lastupdated 2025-12", accurate for API
// 0.9.66). So far it holds the two message headers in use on the current
// network; the message bodies and build records come later.
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
// Expirations are represented with the standard library's time.Time rather
// than a router/data Date type so that this codec stays free of project
// imports while router/data is being written; switching is mechanical.
package i2np
