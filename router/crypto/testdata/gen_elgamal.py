#!/usr/bin/env python3
"""Known-answer vectors for I2P ElGamal-2048 (router/crypto/elgamal.go).

An implementation independent of Go: Python's built-in big integers and
pow(), hashlib, nothing else. It writes elgamal_vectors.json to stdout.

Randomness comes from a deterministic stream, SHA-256(seed || counter)
with a 4-byte big-endian counter from 0, the blocks concatenated; the Go
test reads the same stream (testStream in elgamal_test.go). Reads happen in
the order the Go code makes them:

  key generation: 256 bytes for x, again while x is 0 or above p-2;
  encryption:     1 byte for the first byte of m, again while it is 0;
                  256 bytes for k, again while k is 0 or above p-2.

Each vector also checks its own decryption here, with the decryption of
cryptography.rst (m = b * a^(p-1-x) mod p), and the 'decrypt' vectors are
blocks made here with chosen values (first byte 0xFF as i2pd writes it) for
Go to decrypt.

Run: python3 gen_elgamal.py > elgamal_vectors.json
"""
import hashlib
import json

P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)
G = 2
# RFC 3526 section 3: p = 2^2048 - 2^1984 - 1 + 2^64 * ( [2^1918 pi] + 124476 ).
# Checked below against the digits of pi computed with integers (Machin).


def pi_floor_scaled(bits):
    """floor(pi * 2^bits), by Machin's formula with guard bits."""
    guard = 64
    one = 1 << (bits + guard)

    def arctan_inv(x):
        total, term, n, sign = 0, one // x, 1, 1
        x2 = x * x
        while term:
            total += sign * (term // n)
            term //= x2
            n += 2
            sign = -sign
        return total

    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))
    return pi >> guard


assert P == (1 << 2048) - (1 << 1984) - 1 + (1 << 64) * (pi_floor_scaled(1918) + 124476), "prime"


class Stream:
    def __init__(self, seed):
        self.seed = seed
        self.ctr = 0
        self.buf = b""

    def read(self, n):
        while len(self.buf) < n:
            self.buf += hashlib.sha256(self.seed + self.ctr.to_bytes(4, "big")).digest()
            self.ctr += 1
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def exponent(s):
    while True:
        e = int.from_bytes(s.read(256), "big")
        if 1 <= e <= P - 2:
            return e


def encrypt(y, data, s):
    assert len(data) == 222
    first = 0
    while first == 0:
        first = s.read(1)[0]
    m = bytes([first]) + hashlib.sha256(data).digest() + data
    k = exponent(s)
    a = pow(G, k, P)
    b = pow(y, k, P) * int.from_bytes(m, "big") % P
    return b"\x00" + a.to_bytes(256, "big") + b"\x00" + b.to_bytes(256, "big")


def decrypt(x, ct):
    assert len(ct) == 514 and ct[0] == 0 and ct[257] == 0
    a = int.from_bytes(ct[1:257], "big")
    b = int.from_bytes(ct[258:514], "big")
    m = (b * pow(a, P - 1 - x, P)) % P
    mb = m.to_bytes(255, "big")
    assert mb[0] != 0
    assert hashlib.sha256(mb[33:]).digest() == mb[1:33]
    return mb[33:]


def main():
    vectors = []
    for i, (seed, data) in enumerate([
        (b"i2pgo elgamal vector 0", bytes(222)),
        (b"i2pgo elgamal vector 1", bytes(range(222))),
        (b"i2pgo elgamal vector 2", hashlib.sha256(b"x").digest() * 6 + bytes(30)),
        (b"i2pgo elgamal vector 3", b"\xff" * 222),
    ]):
        s = Stream(seed)
        x = exponent(s)
        y = pow(G, x, P)
        ct = encrypt(y, data, s)
        assert decrypt(x, ct) == data
        vectors.append({
            "seed": seed.hex(),
            "private": x.to_bytes(256, "big").hex(),
            "public": y.to_bytes(256, "big").hex(),
            "data": data.hex(),
            "ciphertext": ct.hex(),
        })
    # Blocks made with a chosen k, i2pd style (first byte 0xFF), for Go to
    # decrypt; the key is vector 0's.
    x = int(vectors[0]["private"], 16)
    y = pow(G, x, P)
    dec = []
    for k, data in [(2, bytes(222)), (P - 2, bytes(range(1, 223))), (0x1234567, b"I2P" * 74)]:
        m = b"\xff" + hashlib.sha256(data).digest() + data
        a = pow(G, k, P)
        b = pow(y, k, P) * int.from_bytes(m, "big") % P
        ct = b"\x00" + a.to_bytes(256, "big") + b"\x00" + b.to_bytes(256, "big")
        assert decrypt(x, ct) == data
        dec.append({"k": hex(k), "data": data.hex(), "ciphertext": ct.hex()})
    print(json.dumps({"encrypt": vectors, "decrypt": dec}, indent=1))


if __name__ == "__main__":
    main()
