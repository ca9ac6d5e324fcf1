// Package garlic is the codec and the one-shot encryption of
// ECIES-X25519 garlic messages: the payload blocks of
// ECIES-X25519-AEAD-Ratchet (ecies.rst, "lastupdated 2025-03", section
// "5) Payload"), the Garlic Clove block with its delivery instructions
// (ecies.rst "Garlic Clove"; i2np.rst "Garlic Clove Delivery
// Instructions"), garlic messages to ECIES routers (ecies-routers.rst,
// accurate for 0.9.65: Noise_N_25519_ChaChaPoly_SHA256), and the tag-keyed
// single messages with which a floodfill answers an encrypted lookup
// (i2np.rst, "Reply Encryption", ECIES to ElG and ECIES to ECIES), and
// the ratchet sessions and tag sets of ECIES destinations (Ratchet; ecies.rst
// "lastupdated 2025-06").
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
// # Ratchet sessions
//
// ECIES-X25519-AEAD-Ratchet sessions between destinations (ecies.rst,
// "lastupdated 2025-06", with the parameters of its "Implementation
// Considerations"), byte-compatible with i2pd 2.45.1
// (libi2pd/ECIESX25519AEADRatchetSession.cpp, Garlic.cpp) and Java I2P
// (router/crypto/ratchet).
//
// # Ratchet messages
//
// Ratchet.Encrypt returns, and Ratchet.Decrypt takes, the data of a Garlic
// I2NP message: what follows its 4-byte length (i2np.GarlicMessage.Data),
// which is what i2pd writes after that length in WrapSingleMessage. There
// are three kinds, told apart by the receiver's tag table:
//
//	New Session (NS), 96 + payload bytes; the first message to a peer:
//	+----+----+----+----+----+----+----+----+
//	| ephemeral key, Elligator2 (32)        |
//	+----+----+----+----+----+----+----+----+
//	| static key or 32 zeros, encrypted (32)|
//	| MAC (16)                              |
//	+----+----+----+----+----+----+----+----+
//	| payload, encrypted ... | MAC (16)     |
//	+----+----+----+----+----+----+----+----+
//
//	New Session Reply (NSR), 72 + payload bytes; the answer to an NS:
//	| tag (8) | ephemeral key, Elligator2 (32) | MAC of nothing (16) |
//	| payload, encrypted ... | MAC (16) |
//
//	Existing Session (ES), 24 + payload bytes:
//	| tag (8) | payload, encrypted ... | MAC (16) |
//
// The NS key derivation is Noise IK with the protocol name
// "Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256" and an empty prologue:
//
//	h = SHA256(name); ck = h; h = SHA256(h); h = SHA256(h || bpk)
//	h = SHA256(h || aepk); ck, k = HKDF(ck, DH(aesk, bpk))      // e, es
//	static section = ENCRYPT(k, 0, apk or zeros, h); h = SHA256(h || it)
//	bound:   ck, k = HKDF(ck, DH(ask, bpk)); payload = ENCRYPT(k, 0, p, h)
//	         h = SHA256(h || payload)                           // ss
//	unbound: payload = ENCRYPT(k, 1, p, h)
//
// An NSR continues from the NS's h and ck. Its tags come from the tag set
// DH_INITIALIZE(ck, HKDF(ck, "", "SessionReplyTags")):
//
//	h = SHA256(h || tag); h = SHA256(h || bepk)
//	ck = HKDF(ck, DH(besk, aepk)); ck, k = HKDF(ck, DH(besk, apk)) // ee, se
//	MAC = ENCRYPT(k, 0, "", h); h = SHA256(h || MAC)
//	k_ab, k_ba = HKDF(ck, "")                                   // Split
//	payload = ENCRYPT(HKDF(k_ba, "", "AttachPayloadKDF"), 0, p, h)
//
// Alice then sends ES on DH_INITIALIZE(ck, k_ab), tag set 0, and Bob on
// DH_INITIALIZE(ck, k_ba). An ES with tag index n is ENCRYPT(key_n, n, p,
// tag). After a NextKey exchange a direction moves to tag set
// DH_INITIALIZE(previous next root key, HKDF(DH, "", "XDHRatchetTagSet")),
// numbered 1 + sender key ID + receiver key ID (ecies.rst, "DH Ratchet
// Message Flow"); a receiver keeps the old one for PrevTagSetTimeout.
//
// Payloads are the blocks of block.go. An NS starts with a DateTime block,
// which Decrypt checks against MaxSkewPast and MaxSkewFuture. NS and NSR
// carry no NextKey, ACK, ACK Request, Termination or Message Numbers
// blocks: Encrypt leaves out any the caller gives, and Decrypt ignores
// them. Every payload ends with a Padding block of 0 to 15 bytes, so that
// none is empty (Java drops empty ES and NSR payloads).
//
// # Ratchet session rules
//
// A Ratchet keeps, per peer static key, up to MaxSessionsPerPeer sessions,
// each one handshake with its pair of tag set chains:
//
//	Alice:  (Encrypt) NS sent --NSR--> established
//	Bob:    (Decrypt) NS received --(Encrypt) NSR--> NSR sent --ES--> established
//
// Encrypt answers the newest NS received with an NSR (a fresh ephemeral
// key each time, as the spec requires; i2pd reuses the first), uses the
// established session's ES otherwise, and starts a new NS when there is
// none or it has been idle for SendTimeout. Each NSR sent gets its own first
// ES tag set, since each has its own Split; Alice's first ES on one of them
// establishes that one and the others are dropped. An NSR to an NS of ours
// establishes it unless another session already is; NSRs that come later
// are decrypted but change nothing. An NS from a peer whose session was
// established less than RestartAfter ago is decrypted but starts nothing:
// it is a retransmission of one the peer no longer waits on.
//
// Decrypt handles NextKey, ACK Request and Termination blocks itself and
// returns all the blocks. A request is answered in the next ES to that
// peer; Pending reports when one is owed (an NSR, the first ES after an
// NSR, ACKs, a reverse NextKey), for the caller to send an empty message
// after a short delay (ecies.rst, "Ratchet-layer Responses").
//
// # Ratchet limits
//
// Memory is bounded by MaxPeers (the least recently active peer without an
// established session goes first), MaxSessionsPerPeer, MaxRepliesPerSession,
// MaxTags over all receiving tag sets (past it, tag sets stop looking
// ahead), MaxReplayKeys, and at most 4 receiving ES tag sets per session.
// The look-ahead follows the spec's recommendation: 12 NSR tags; ES tag set
// 0 from TagWindowMin, growing by N/4 to TagWindowMax; later tag sets
// TagWindowMax. Tags more than TagWindowMax behind the newest received are
// dropped (i2pd keeps 320, the spec suggests half the window).
//
// # Conventions
//
// The codecs are pure: no I/O, goroutines or logging. Parsed blocks and
// cloves alias the input buffer. Errors wrap the sentinels in errors.go
// and are prefixed "garlic:". Nothing panics on peer input; the fuzz
// targets in fuzz_test.go check it.
package garlic
