package crypto

import (
	crand "crypto/rand"
	"errors"
	"io"

	"filippo.io/edwards25519/field"
)

// Elligator2 for Curve25519 u-coordinates, as ECIES-X25519-AEAD-Ratchet
// uses it to hide the ephemeral keys of New Session and New Session Reply
// messages (ecies.rst, "2a) Elligator2"). It follows i2pd 2.45.1
// (libi2pd/Elligator.cpp) and Java I2P (router/crypto/ratchet/Elligator2.java),
// which both port the 2016 C code of Kleshni/Elligator-2, with u = 2:
//
//	encodable   x != 0, x != -A and -2x(x+A) is a square mod p
//	encode      r = sqrt(-x / (2(x+A)))      (tweak bit 0 clear)
//	            r = sqrt(-(x+A) / (2x))      (tweak bit 0 set, i2pd's "high y",
//	                                          Java's "alternative")
//	            of the two roots the one <= (p-1)/2; little-endian, then
//	            byte 31 |= tweak & 0xC0 (the two random top bits)
//	decode      byte 31 &= 0x3F; refuse r > (p-1)/2
//	            v = -A / (1 + 2r^2)
//	            x = v if v^3 + Av^2 + v is a nonzero square, else -v - A
//
// Both representatives of x decode to x. The choice of root matters: i2pd
// and Java refuse representatives above (p-1)/2, so the even root that
// field.Element.SqrtRatio returns is replaced by its negation when larger.
//
// As in i2pd and Java, keys come from ordinary clamped scalars, so decoded
// points always lie in the prime-order subgroup; the representatives are
// uniform only up to that.

// Elligator2 constants.
var (
	feOne  = new(field.Element).One()
	feA    = new(field.Element).Mult32(feOne, 486662)
	feNegA = new(field.Element).Negate(feA)
	fe19   = new(field.Element).Mult32(feOne, 19)
)

// halfP is (p-1)/2 = 2^254 - 10, little-endian.
var halfP = [32]byte{
	0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f,
}

// aboveHalfP reports whether the little-endian number b exceeds (p-1)/2.
func aboveHalfP(b []byte) bool {
	for i := 31; i >= 0; i-- {
		if b[i] != halfP[i] {
			return b[i] > halfP[i]
		}
	}
	return false
}

// isSquare reports whether a is a nonzero square mod p.
func isSquare(a *field.Element) bool {
	if a.Equal(new(field.Element).Zero()) == 1 {
		return false
	}
	_, wasSquare := new(field.Element).SqrtRatio(a, feOne)
	return wasSquare == 1
}

// Elligator2Encode returns the Elligator2 representative of the X25519
// public key pub, as i2pd's Elligator2::Encode makes it from one random
// byte: bit 0 of tweak picks which of the two representatives (set: r =
// sqrt(-(x+A)/(2x))), and bits 7-6 become the top two bits of byte 31. ok is
// false when pub has no representative, which is so for about half of all
// keys; then repr is zero. pub is read as a 256-bit little-endian number
// mod p, as i2pd and Java read it (X25519 public keys are below 2^255, where
// this is the same as RFC 7748's decoding).
func Elligator2Encode(pub [32]byte, tweak byte) (repr [32]byte, ok bool) {
	x, _ := new(field.Element).SetBytes(pub[:]) // 32 bytes never fail; ignores bit 255
	if pub[31]&0x80 != 0 {
		x.Add(x, fe19) // 2^255 = 19 mod p
	}
	zero := new(field.Element).Zero()
	xA := new(field.Element).Add(x, feA)
	if x.Equal(zero) == 1 || xA.Equal(zero) == 1 {
		return repr, false
	}
	var num, den field.Element
	if tweak&1 != 0 {
		num.Negate(xA) // -(x+A)
		den.Add(x, x)  // 2x
	} else {
		num.Negate(x)   // -x
		den.Add(xA, xA) // 2(x+A)
	}
	r, wasSquare := new(field.Element).SqrtRatio(&num, &den)
	if wasSquare != 1 {
		return repr, false
	}
	b := r.Bytes()
	if aboveHalfP(b) {
		b = r.Negate(r).Bytes()
	}
	copy(repr[:], b)
	repr[31] |= tweak & 0xc0
	return repr, true
}

// Elligator2Decode returns the X25519 public key that the representative
// repr stands for, ignoring its top two bits. ok is false for the few
// representatives above (p-1)/2 (after masking), which i2pd and Java refuse
// too; then pub is zero.
func Elligator2Decode(repr [32]byte) (pub [32]byte, ok bool) {
	repr[31] &= 0x3f
	if aboveHalfP(repr[:]) {
		return pub, false
	}
	r, _ := new(field.Element).SetBytes(repr[:])
	// v = -A / (1 + 2r^2); the denominator is never 0, since -1/2 is not
	// a square mod p.
	var d, v, t field.Element
	d.Square(r)
	d.Add(&d, &d)
	d.Add(&d, feOne)
	v.Invert(&d)
	v.Multiply(&v, feNegA)
	// t = v^3 + Av^2 + v = v(v(v + A) + 1)
	t.Add(&v, feA)
	t.Multiply(&t, &v)
	t.Add(&t, feOne)
	t.Multiply(&t, &v)
	x := &v
	if !isSquare(&t) {
		x = new(field.Element).Subtract(new(field.Element).Negate(&v), feA)
	}
	copy(pub[:], x.Bytes())
	return pub, true
}

// ErrElligator2 is returned by GenerateX25519Elligator2 when no encodable key
// turned up in 64 tries, which happens with probability 2^-64 for a good
// random source.
var ErrElligator2 = errors.New("crypto: no Elligator2-encodable X25519 key found")

// GenerateX25519Elligator2 makes an X25519 key pair whose public key has an
// Elligator2 representative, and returns the representative too
// (ecies.rst's GENERATE_PRIVATE_ELG2 and ENCODE_ELG2). Each try reads 32
// bytes of private key and one tweak byte for Elligator2Encode from rand
// (nil means crypto/rand.Reader); about half the tries succeed.
func GenerateX25519Elligator2(rand io.Reader) (X25519KeyPair, [32]byte, error) {
	if rand == nil {
		rand = crand.Reader
	}
	var buf [33]byte
	for range 64 {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return X25519KeyPair{}, [32]byte{}, err
		}
		var kp X25519KeyPair
		copy(kp.Private[:], buf[:32])
		kp.Public = X25519Public(kp.Private)
		if repr, ok := Elligator2Encode(kp.Public, buf[32]); ok {
			return kp, repr, nil
		}
	}
	return X25519KeyPair{}, [32]byte{}, ErrElligator2
}
