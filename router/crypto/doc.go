// Package crypto holds the I2P signature-type table and the signature and
// key-agreement primitives the router needs. It implements
// common-structures.rst (2025-06, 0.9.67: SigningPublicKey, Signature, Key
// Certificates), cryptography.rst (2025-05, 0.9.66: DSA, ECDSA, RSA, EdDSA,
// RedDSA) and the key functions of red25519.rst (2020-08, 0.9.47).
//
// What is here:
//
//   - Verify and VerifyHash for every signature type in the table.
//   - Signers: Ed25519 (type 7), RedDSA (type 11, with blinding for
//     encrypted LeaseSets) and ECDSA (types 1-3).
//   - X25519 key pairs and Diffie-Hellman (X25519, rejecting low-order points).
//   - ElGamal-2048 encryption of one 222-byte block (cryptography.rst,
//     "ElGamal"), for ElGamal/AES+SessionTags garlic (elgamal.go).
//   - SipHash-2-4 for NTCP2 length obfuscation.
//   - Elligator2 for X25519 keys as i2pd and Java encode them (ecies.rst
//     "2a) Elligator2"), for ECIES-X25519-AEAD-Ratchet (elligator2.go).
//   - The bare ChaCha20 stream cipher, counter 1, for encrypted LeaseSets
//     (chacha20.go).
//
// ChaCha20-Poly1305, AES-256-CBC and HKDF are not in this package yet (HKDF
// is the standard library's crypto/hkdf).
//
// # Wire formats and checks
//
// Public keys and signatures have fixed lengths per type (sigtype.go). Two-part
// values are split in the middle and each half is padded with leading zeros
// (common-structures.rst, SigningPublicKey notes):
//
//	type  name                     public key         signature   message hash
//	0     DSA_SHA1                 y (128, BE)        r||s 20+20  SHA-1
//	1-3   ECDSA_SHA{256,384,512}   X||Y (64/96/132)   r||s        SHA-256/384/512
//	4-6   RSA_SHA{256,384,512}     modulus n (BE)     s (BE)      SHA-256/384/512
//	7     EdDSA_SHA512_Ed25519     A (32, LE)         R||S 32+32  (inside EdDSA)
//	8     EdDSA_SHA512_Ed25519ph   A (32, LE)         R||S 32+32  SHA-512, then Ed25519
//	11    RedDSA_SHA512_Ed25519    A (32, LE)         R||S 32+32  (inside EdDSA)
//
// DSA uses the fixed group of cryptography.rst; r and s must lie in (0, q)
// and y in (1, p). ECDSA public keys must be on the curve; r and s must lie
// in [1, N-1]. RSA moduli must be odd and use the full length; the exponent
// is 65537.
//
// # Where this follows the deployed routers rather than the spec text
//
// These were checked against Java I2P (i2p/i2p.i2p) and i2pd
// (PurpleI2P/i2pd); the file named for each type carries the details.
//
//   - RSA (rsa.go): su3 files carry PKCS#1 v1.5 padding around the bare
//     digest, with no DigestInfo (Java SU3File signs through "NONEwithRSA";
//     i2pd Reseed.cpp compares the right-aligned digest). Verify accepts that
//     form and standard RSASSA-PKCS1-v1_5.
//   - Ed25519ph (ed25519ph.go): I2P type 8 is plain Ed25519 over SHA-512 of
//     the message, as Java makes it, not RFC 8032 Ed25519ph (no dom2
//     prefix). RFC 8032 "TEST SHA(abc)" is a valid type 8 signature of "abc".
//   - RedDSA (reddsa.go): routers verify RedDSA exactly as Ed25519 and sign
//     with r = SHA-512(T || A || M) for 80 random bytes T. The personalized
//     hash "I2P_Red25519H(x)" in red25519.rst is not used by Java or i2pd,
//     so the signatures in that document's test vectors do not verify here;
//     its key vectors do.
//
// Verify never panics, whatever its input; FuzzVerify checks that. The test
// vectors and their sources are listed in testdata/README.md.
package crypto
