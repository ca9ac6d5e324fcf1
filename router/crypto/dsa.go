package crypto

import (
	"fmt"
	"math/big"
)

// The fixed 1024-bit DSA group of DSA_SHA1 (cryptography.rst, "DSA"; Java
// I2P CryptoConstants.dsap, dsaq, dsag).
var (
	dsaP = mustHex("9C05B2AA960D9B97B8931963C9CC9E8C3026E9B8ED92FAD0" +
		"A69CC886D5BF8015FCADAE31A0AD18FAB3F01B00A358DE23" +
		"7655C4964AFAA2B337E96AD316B9FB1CC564B5AEC5B69A9F" +
		"F6C3E4548707FEF8503D91DD8602E867E6D35D2235C1869C" +
		"E2479C3B9D5401DE04E0727FB33D6511285D4CF29538D9E3" +
		"B6051F5B22CC1C93")
	dsaQ = mustHex("A5DFC28FEF4CA1E286744CD8EED9D29D684046B7")
	dsaG = mustHex("0C1F4D27D40093B429E962D7223824E0BBC47E7C832A3923" +
		"6FC683AF84889581075FF9082ED32353D4374D7301CDA1D2" +
		"3C431F4698599DDA02451824FF369752593647CC3DDC197D" +
		"E985E43D136CDCFC6BD5409CD2F450821142A5E6F8EB1C3A" +
		"B5D0484B8129FCF17BCE4F7F33321C3CB3DBB14A905E7B2B" +
		"3E93BE4708CBCC82")
)

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("crypto: bad constant " + s)
	}
	return n
}

// verifyDSA checks a DSA_SHA1 signature r || s (20 bytes each, big-endian)
// over digest, the SHA-1 of the message, with the 128-byte big-endian
// public value y. It is FIPS 186 verification in I2P's group, as Java I2P
// DSAEngine.verifySig does it, with range checks on r, s and y added.
// Nothing here is secret, so math/big's variable-time arithmetic is fine.
func verifyDSA(pub, digest, sig []byte) error {
	r := new(big.Int).SetBytes(sig[:20])
	s := new(big.Int).SetBytes(sig[20:])
	if r.Sign() == 0 || r.Cmp(dsaQ) >= 0 || s.Sign() == 0 || s.Cmp(dsaQ) >= 0 {
		return fmt.Errorf("%w: DSA r or s out of range", ErrBadSignature)
	}
	y := new(big.Int).SetBytes(pub)
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(dsaP) >= 0 {
		return fmt.Errorf("%w: DSA public value out of range", ErrInvalidKey)
	}
	w := new(big.Int).ModInverse(s, dsaQ) // q is prime and 0 < s < q
	h := new(big.Int).SetBytes(digest)
	u1 := h.Mul(h, w)
	u1.Mod(u1, dsaQ)
	u2 := w.Mul(r, w)
	u2.Mod(u2, dsaQ)
	v := new(big.Int).Exp(dsaG, u1, dsaP)
	v.Mul(v, new(big.Int).Exp(y, u2, dsaP))
	v.Mod(v, dsaP)
	v.Mod(v, dsaQ)
	if v.Cmp(r) != 0 {
		return ErrBadSignature
	}
	return nil
}
