package crypto

import (
	"crypto/rsa"
	"fmt"
	"math/big"
)

// rsaExponent is F4, the public exponent of every I2P RSA key
// (cryptography.rst, "RSA").
const rsaExponent = 65537

// verifyRSA checks an RSA signature over digest. pub is the modulus,
// big-endian, of exactly the type's length (common-structures.rst); the
// exponent is 65537.
//
// Two PKCS#1 v1.5 encodings are accepted, because I2P makes both:
//
//   - 00 01 FF..FF 00 || digest, with no DigestInfo. This is what su3 files
//     carry: Java SU3File signs the digest through DSAEngine's "raw" path,
//     which uses the JCA algorithm "NONEwithRSA", and i2pd Reseed.cpp checks
//     only the right-aligned digest ("we can't use RSA_verify due wrong
//     padding in SU3").
//   - 00 01 FF..FF 00 || DigestInfo || digest, standard RSASSA-PKCS1-v1_5
//     (RFC 8017), which Java DSAEngine.sign(byte[]) makes with
//     "SHA256withRSA" and friends.
//
// The two encodings differ in their fixed bytes, so no signature is valid
// for one message under one encoding and for another under the other.
func verifyRSA(t SigType, pub, digest, sig []byte) error {
	if pub[0] == 0 || pub[len(pub)-1]&1 == 0 {
		return fmt.Errorf("%w: %v modulus is short or even", ErrInvalidKey, t)
	}
	k := &rsa.PublicKey{N: new(big.Int).SetBytes(pub), E: rsaExponent}
	if rsa.VerifyPKCS1v15(k, 0, digest, sig) == nil {
		return nil
	}
	if rsa.VerifyPKCS1v15(k, t.HashFunc(), digest, sig) == nil {
		return nil
	}
	return ErrBadSignature
}
