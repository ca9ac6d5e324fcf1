// Package tunnel is the data path of I2P tunnels: the layered AES of
// tunnel messages, the fragmentation and packing of I2NP messages into
// them at a gateway, their reassembly at an endpoint, and the duplicate
// filter of participants (tunnel-message.rst, "lastupdated 2021-01",
// accurate for 0.9.49; tunnels-implementation.html, "Tunnel Operation").
// Building tunnels is package build; pools come later.
//
// # Tunnel message
//
// A TunnelData message (i2np.TunnelDataMessage) is a 4-byte tunnel ID and
// a 1024-byte body, the unit of everything here ([BodyLen]byte, without the
// tunnel ID). Decrypted, a body is:
//
//	+----+----+----+----+----+----+----+----+
//	|        IV (16)                        |
//	+                                       +
//	|                                       |
//	+----+----+----+----+----+----+----+----+
//	| checksum (4)      | nonzero padding   ~
//	+----+----+----+----+----+----+----+----+
//	~ padding   |0x00| instructions 1 | fragment 1 | instructions 2 ...
//	+----+----+----+----+----+----+----+----+
//
//	checksum  first 4 bytes of SHA-256(everything after the zero byte || IV)
//	padding   0 to 1003 nonzero bytes; the first zero after the checksum
//	          ends it. There is no padding after the fragments.
//
// so a body holds at most MaxPayload (1003) bytes of instructions and
// fragments. BuildBody and ParseBody write and check this frame;
// ParseFragment and Fragment.AppendBinary the pairs in it.
//
// # Delivery instructions
//
// First fragment (or whole message), flag bit 7 = 0:
//
//	+----+----+----+----+----+----+----+----+----+----+----+
//	|flag| tunnel ID (4, opt) | to hash (32, opt) ...
//	+----+----+----+----+----+----+----+----+----+----+----+
//	| message ID (4, opt) | size (2) | fragment ...
//	+----+----+----+----+----+----+----+----+----+----+----+
//
//	flag        bits 6-5 delivery: 0 local, 1 tunnel, 2 router, 3 invalid;
//	            bit 4 delay (never set), bit 3 fragmented, bit 2 extended
//	            options (never set), bits 1-0 reserved
//	tunnel ID   tunnel delivery; nonzero
//	to hash     tunnel delivery (the gateway) and router delivery
//	message ID  if fragmented
//
// Follow-on fragment, flag bit 7 = 1:
//
//	+----+----+----+----+----+----+----+
//	|frag| message ID (4)    | size (2)| fragment ...
//	+----+----+----+----+----+----+----+
//
//	frag        1nnnnnnd: fragment number n from 1 to 63, d set on the last
//
// A message is an I2NP message with its standard 16-byte header, cut into
// a first fragment and up to 63 follow-on fragments. A Gateway sends
// fragments of at most 996 bytes and messages of at most 62,705, which
// Java I2P and i2pd both take (MaxFragmentData, MaxMessageSize); an
// Endpoint takes up to 64 KiB. Delivery instructions with the delay or
// extended-options flag are refused: the spec gives them fields that Java
// I2P and i2pd read differently, and neither sends them.
//
// # Layers
//
// Each hop has a layer key and an IV key (LayerKeys). Every participant
// "encrypts" (Cipher.EncryptLayer):
//
//	IV   = AES-256-ECB(ivKey, IV)
//	data = AES-256-CBC(layerKey, IV, data)   // the 1008 bytes after the IV
//	IV   = AES-256-ECB(ivKey, IV)
//
// An inbound gateway encrypts the body it built with its own keys; the
// inbound endpoint (the creator) removes every hop's layer, last first
// (DecryptLayers). An outbound gateway (the creator) removes in advance,
// last hop first, the layers its hops will add, so the outbound endpoint's
// EncryptLayer reveals the plaintext. Byte-compatible with i2pd's
// TunnelEncryption and TunnelDecryption (libi2pd 2.45.1, Crypto.cpp) and
// Java I2P's HopProcessor; the vectors in testdata come from an
// independent Python implementation.
//
// # Roles
//
//   - Gateway packs messages into bodies (no layer yet).
//   - Participant checks a body against the router's IVFilter and adds its
//     layer; forwarding is the caller's.
//   - Endpoint takes bodies with every layer removed and returns whole
//     messages with their DeliveryInstructions. What to do with them (an
//     inbound endpoint takes only local delivery, an outbound endpoint
//     forwards tunnel and router delivery) is the caller's.
//
// # Bounds
//
// Nothing here panics or grows without bound on peer input. An Endpoint
// holds at most MaxPending incomplete messages and MaxPendingBytes of
// memory (64 and 1 MiB by default, per tunnel), evicting the oldest first,
// and forgets an incomplete message 60 s after its first fragment came.
// An IVFilter has a fixed size (4 MiB by default) and a false-positive rate
// that grows with traffic; see its doc.
//
// # Conventions
//
// Codecs and processors are plain structs driven by the caller: no I/O,
// goroutines, logging or clock (the time is passed in). Cipher, Gateway and
// Endpoint are not safe for concurrent use; run one per worker or tunnel.
// IVFilter is. Errors wrap the sentinels in errors.go and are prefixed
// "tunnel:".
package tunnel
