#!/usr/bin/env python3
"""Generate reddsa_sign_vectors.json: RedDSA_SHA512_Ed25519 (sig type 11)
signatures made the way deployed routers make them, with a fixed T so that
the Go signer can be checked byte for byte.

The algorithm is the one in i2pd libi2pd/Ed25519.cpp Ed25519::SignRedDSA and
Java I2P net/i2p/crypto/eddsa/RedDSAEngine.java (digestInitSign):
    T = 80 random bytes
    r = SHA-512(T || A || M) mod L,  R = [r]B
    S = (r + SHA-512(R || A || M) * a) mod L
and verification is plain Ed25519 verification (i2pd Signature.h:
"typedef EDDSA25519Verifier RedDSA25519Verifier"). Each signature made here is
also checked with OpenSSL's Ed25519 verifier through pyca/cryptography, an
implementation independent of both this script and the Go code.

The curve arithmetic follows the Python illustration in RFC 8032, section 6.

Run from this directory: python3 gen_reddsa.py > reddsa_sign_vectors.json
"""
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p


def add(P, Q):
    A, B = (P[1] - P[0]) * (Q[1] - Q[0]) % p, (P[1] + P[0]) * (Q[1] + Q[0]) % p
    C, D = 2 * P[3] * Q[3] * d % p, 2 * P[2] * Q[2] % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F, G * H, F * G, E * H)


def mul(s, P):
    Q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            Q = add(Q, P)
        P = add(P, P)
        s >>= 1
    return Q


def recover_x(y, sign):
    x2 = (y * y - 1) * pow(d * y * y + 1, p - 2, p)
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p != 0:
        x = x * pow(2, (p - 1) // 4, p) % p
    if (x & 1) != sign:
        x = p - x
    return x


By = 4 * pow(5, p - 2, p) % p
Bx = recover_x(By, 0)
BASE = (Bx, By, 1, Bx * By % p)


def encode(P):
    zi = pow(P[2], p - 2, p)
    x, y = P[0] * zi % p, P[1] * zi % p
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def h(*parts):
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def sign(a, T, msg):
    A = encode(mul(a, BASE))
    r = h(T, A, msg) % L
    R = encode(mul(r, BASE))
    S = (r + h(R, A, msg) * a) % L
    return A, R + S.to_bytes(32, "little")


def main():
    out = []
    # Private keys as i2pd CreateRedDSAPrivateKey and Java
    # RedKeyPairGenerator make them (scalars below L), plus one from
    # red25519.rst test vector 1 ("sk", a clamped scalar above L, as
    # CONVERT_ED25519_PRIVATE gives).
    privs = [h(b"i2pgo reddsa vector %d" % i) % L for i in range(3)]
    privs.append(int.from_bytes(bytes.fromhex(
        "58e86efb75fa4e2c410f46e16de9f6acae1a1703528651b69bc176c088bef36e"), "little"))
    msgs = [b"", b"I2P RedDSA", bytes(range(256)) * 3]
    for i, a in enumerate(privs):
        T = hashlib.sha512(b"T %d" % i).digest() + hashlib.sha256(b"T %d" % i).digest()[:16]
        msg = msgs[i % len(msgs)]
        A, sig = sign(a, T, msg)
        Ed25519PublicKey.from_public_bytes(A).verify(sig, msg)  # raises if bad
        out.append({"priv": a.to_bytes(32, "little").hex(), "pub": A.hex(),
                    "t": T.hex(), "msg": msg.hex(), "sig": sig.hex()})
    print(json.dumps({"source": "router/crypto/testdata/gen_reddsa.py", "vectors": out}, indent=1))


if __name__ == "__main__":
    main()
