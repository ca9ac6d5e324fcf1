// Package crypto holds the I2P signature-type table and the cryptographic
// primitives the router needs (cryptography.rst, common-structures.rst,
// red25519.rst): signature verification for every type, Ed25519 and RedDSA
// signing, X25519, ChaCha20-Poly1305, AES-256-CBC, HKDF and SipHash.
package crypto
