// Package ntcp2 implements the NTCP2 transport (ntcp2.rst, i2p.www
// 3afd7340, accurate for 0.9.66): the Noise_XKaesobfse+hs2+hs3 handshake,
// the SipHash-obfuscated, ChaCha20-Poly1305 framed data phase and its
// blocks.
//
// What is Noise and what is I2P. The Noise parts (MixHash, MixKey,
// EncryptAndHash, Split over X25519, ChaChaPoly and SHA-256) come from
// router/crypto/noise, which its tests check against github.com/flynn/noise;
// flynn/noise's HandshakeState cannot be used directly because NTCP2 mixes
// the cleartext padding of messages 1 and 2 into h between tokens and needs
// the final chaining key for its SipHash keys. The I2P parts are here: the
// AES-256-CBC obfuscation of X and Y (key = Bob's router hash, IV = Bob's
// published "i", the CBC state carried from message 1 to message 2), the
// 16-byte options blocks with network ID, padding lengths, m3p2len and
// timestamps, the cleartext padding, the 2-byte frame length XORed with a
// SipHash-2-4 chain, and the block format.
//
// Handshake (sizes in bytes):
//
//	1 SessionRequest   Alice->Bob  AES(X) 32 | AEAD(options 16) 32 | padding (≤ 223)
//	2 SessionCreated   Bob->Alice  AES(Y) 32 | AEAD(options 16) 32 | padding (≤ 223)
//	3 SessionConfirmed Alice->Bob  AEAD(S 32) 48 | AEAD(RouterInfo, Options?, Padding? blocks) m3p2len
//
// Data phase frame:
//
//	+----+----+------------------------------------+
//	| obfs len|  ChaCha20-Poly1305 (blocks) + MAC    |   len 16..65535
//	+----+----+------------------------------------+
//	block: type(1) size(2, BE) data(size)
//	types: 0 DateTime, 1 Options, 2 RouterInfo, 3 I2NP, 4 Termination, 254 Padding
//
// Limits taken from i2pd 2.45.1, the test network's peer: messages 1 and 2
// are at most 287 bytes (i2pd rejects more padding), the clock-skew limit is
// 60 s, a handshake must finish in 10 s.
//
// Each Session runs one reader and one writer goroutine. The writer drains a
// bounded queue; when it is full the oldest message is dropped and counted.
package ntcp2
