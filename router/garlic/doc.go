// Package garlic is the codec and the one-shot encryption of
// ECIES-X25519 garlic messages: the payload blocks of
// ECIES-X25519-AEAD-Ratchet (ecies.rst, "lastupdated 2025-03", section
// "5) Payload"), the Garlic Clove block with its delivery instructions
// (ecies.rst "Garlic Clove"; i2np.rst "Garlic Clove Delivery
// Instructions"), garlic messages to ECIES routers (ecies-routers.rst,
// accurate for 0.9.65: Noise_N_25519_ChaChaPoly_SHA256), and the tag-keyed
// single messages with which a floodfill answers an encrypted lookup
// (i2np.rst, "Reply Encryption", ECIES to ElG and ECIES to ECIES). The
// ratchet sessions and tag sets of ECIES destinations come later.
//
// # Payload blocks
//
// The decrypted payload of every ECIES garlic message is a sequence of
// blocks, each a type byte, a 2-byte big-endian size and size bytes of
// data:
//
//	+----+----+----+----+----+----+----+----+
//	|blk |  size   |       data ...         |
//	+----+----+----+                        +
//	~               .   .   .               ~
//
//	blk   0 DateTime, 4 Termination, 5 Options, 6 Message Numbers,
//	      7 Next Key, 8 ACK, 9 ACK Request, 11 Garlic Clove, 254 Padding;
//	      others reserved, skipped as padding
//	size  0 to MaxBlockData (65516); a payload is at most MaxPlaintext
//	      (65519) bytes, the 65535-byte ChaChaPoly frame less its MAC
//
// ParseBlocks enforces the frame rules that hold in every message kind:
// Padding is the last block (so there is at most one), only Padding may
// follow Termination, and there are at most two Next Key blocks. It checks
// the sizes of the blocks whose layout is fixed (DateTime 4, Next Key 3 or
// 35 to match its key flag, ACK a nonzero multiple of 4, ACK Request and
// Termination at least 1, Message Numbers 2) and keeps every block's data
// raw. Unknown types are returned like any other block, for the caller to
// skip. The per-kind rules (the DateTime block first in a New Session or a
// router message) are the caller's, except in DecryptForRouter, which
// applies them.
//
// # Garlic Clove block (type 11)
//
//	+----+----+----+----+----+----+----+----+
//	|flag| to hash (32, opt)   | tunnel (opt)
//	+----+----+----+----+----+----+----+----+
//	|type|  msg id (4)       | expiration (4)    | body ...
//	+----+----+----+----+----+----+----+----+----+
//
//	flag        bit 7 encrypted (never set), bits 6-5 delivery type
//	            (0 local, 1 destination, 2 router, 3 tunnel), bit 4 delay
//	            (never set), bits 3-0 reserved
//	to hash     for destination, router and tunnel delivery
//	tunnel      4-byte TunnelID, nonzero, for tunnel delivery
//	type...     the I2NP message with its 9-byte NTCP2/SSU2 header
//	            (expiration in seconds), the body filling the block
//
// The clove ID, clove expiration and certificate of ElGamal cloves are
// gone. ParseClove refuses the encrypted and delay flags: Java and i2pd
// never set them, and i2pd's reader does not skip their fields, so a clove
// that had them could not be delivered consistently anyway. The reserved
// bits are ignored, as both implementations do.
//
// # Messages to ECIES routers (Noise N)
//
// A router with an X25519 key receives garlic as the first message of
// Noise_N_25519_ChaChaPoly_SHA256 with an empty prologue:
//
//	h  = "Noise_N_25519_ChaChaPoly_SHA256" || 0x00; ck = h
//	h  = SHA256(h)                  // empty prologue
//	h  = SHA256(h || bob's static public key)
//	h  = SHA256(h || alice's ephemeral public key)
//	ck, k = HKDF(ck, X25519(ephemeral, static))
//	message = ephemeral public key (32) || ENCRYPT(k, n = 0, payload, ad = h)
//
// The payload must start with a DateTime block. Before the DH,
// DecryptForRouter refuses ephemeral keys with the top bit set or equal to
// the recipient's own key, as the spec's implementation notes advise and
// Java's build-record code does. This is byte-compatible
// with i2pd's WrapECIESX25519MessageForRouter (libi2pd 2.45.1,
// ECIESX25519AEADRatchetSession.cpp), which sends DateTime, one local
// clove and a Padding block of 0 to 15 bytes, and with its
// RouterIncomingRatchetSession::HandleNextMessage.
//
// # Tag-keyed messages
//
// A lookup that asks for an ECIES reply carries a 32-byte reply key and one
// 8-byte reply tag. The reply is an Existing Session message made from
// them alone, with no session:
//
//	tag (8) || ChaCha20-Poly1305(k = reply key, n = 0, ad = tag, payload)
//
// WrapReply builds it like i2pd's WrapECIESX25519Message: one local Garlic
// Clove block and a Padding block, no DateTime.
//
// # ElGamal/AES+SessionTags
//
// For destinations whose LeaseSet offers only an ElGamal key, elgamal.go
// has the New Session and Existing Session messages of how-elgamal-aes.html
// (April 2020, 0.9.46) with their AES block codec, and ElGamalSessions,
// the session key manager of one destination (outbound sessions whose tags
// are used once confirmed by a DeliveryStatus; inbound tags, each usable
// once, bounded in number). legacy.go is the codec of the legacy Garlic
// structure they carry (i2np.rst "Garlic" and "GarlicClove": cloves with
// 16-byte I2NP headers, clove IDs, expirations and certificates).
//
// The Garlic I2NP message around both kinds (a 4-byte length and the
// encrypted data) is i2np.GarlicMessage; this package builds its payload
// with that type and does not duplicate its parser.
//
// # Conventions
//
// The codecs are pure: no I/O, goroutines or logging. Parsed blocks and
// cloves alias the input buffer. Errors wrap the sentinels in errors.go
// and are prefixed "garlic:". Nothing panics on peer input; the fuzz
// targets in fuzz_test.go check it.
package garlic
