package crypto

import "crypto/ed25519"

// verifyEd25519ph checks an EdDSA_SHA512_Ed25519ph (type 8) signature over
// digest, the SHA-512 of the message.
//
// I2P's "Ed25519ph" is not RFC 8032 Ed25519ph. It is plain Ed25519 (no dom2
// prefix, no phflag) over the 64-byte SHA-512 of the message, as Java I2P
// makes and checks it:
//
//   - net/i2p/crypto/SigType.java: EdDSA_SHA512_Ed25519ph is "Prehash
//     version (double hashing, for offline use such as su3 ...)", with
//     digest "SHA-512" and algorithm "NonewithEdDSA".
//   - net/i2p/crypto/SU3File.java hashes the signed bytes with the type's
//     digest and calls DSAEngine.verifySignature(Signature, hash, key),
//     which for EdDSA runs EdDSAEngine over hash.getData(), and
//     EdDSAEngine.java computes SHA-512(R || A || M) with no domain prefix.
//
// RFC 8032 section 7.1 "TEST SHA(abc)" is therefore a type 8 signature of
// "abc", and RFC 8032 section 7.3 ("TEST abc", Ed25519ph) is not; the tests
// check both. Recent i2pd (libi2pd/Signature.cpp, EDDSA25519phVerifier) asks
// OpenSSL for its "Ed25519ph" instance instead, which adds the RFC 8032
// dom2 prefix; that does not match Java, which signs the su3 files, so this
// package follows Java.
func verifyEd25519ph(pub, digest, sig []byte) error {
	if !ed25519.Verify(ed25519.PublicKey(pub), digest, sig) {
		return ErrBadSignature
	}
	return nil
}
