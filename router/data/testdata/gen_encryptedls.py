#!/usr/bin/env python3
"""Generate encryptedls_vectors.json: known-answer vectors for encrypted
LeaseSet key blinding and the layer 0/1/2 encryption, computed step by step
from the algorithm of i2pd 2.45.1 (libi2pd/Blinding.cpp BlindedPublicKey,
libi2pd/LeaseSet.cpp LocalEncryptedLeaseSet2 and
LeaseSet2::ReadFromBufferEncrypted, ExtractClientAuthData) and Java I2P
(net/i2p/crypto/Blinding.java generateAlpha with the secret appended to the
date, net/i2p/data/EncryptedLeaseSet.java), independently of the Go code.

Only the Python standard library is used: hashlib, hmac, zlib, base64. The
Ed25519 arithmetic follows the Python illustration of RFC 8032 section 6,
X25519 the ladder of RFC 7748 section 5, ChaCha20 RFC 7539 section 2.4 (block
counter 1, as i2pd Crypto.cpp ChaCha20 sets it). Everything is deterministic:
fixed keys, fixed salts, fixed RedDSA nonce input T.

Run from this directory: python3 gen_encryptedls.py > encryptedls_vectors.json
"""
import base64
import hashlib
import hmac
import json
import struct
import zlib

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
    if (x * x - x2) % p != 0:
        raise ValueError("not on curve")
    if (x & 1) != sign:
        x = p - x
    return x


By = 4 * pow(5, p - 2, p) % p
Bx = recover_x(By, 0)
BASE = (Bx, By, 1, Bx * By % p)


def encode(P):
    zi = pow(P[2], p - 2, p)
    x, y = P[0] * zi % p, P[1] * zi % p
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def decode(b):
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    return (x, y, 1, x * y % p)


def le(b):
    return int.from_bytes(b, "little")


def sc(n):
    return int.to_bytes(n % L, 32, "little")


def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def sha512(*parts):
    return hashlib.sha512(b"".join(parts)).digest()


def hkdf(salt, ikm, info, n):
    # RFC 5869 with HMAC-SHA256.
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def chacha20(key, nonce, data, counter=1):
    def qr(s, a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)

    out = bytearray()
    for blk in range(0, len(data), 64):
        st = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
        st += list(struct.unpack("<8I", key)) + [counter + blk // 64] + list(struct.unpack("<3I", nonce))
        w = st[:]
        for _ in range(10):
            qr(w, 0, 4, 8, 12); qr(w, 1, 5, 9, 13); qr(w, 2, 6, 10, 14); qr(w, 3, 7, 11, 15)
            qr(w, 0, 5, 10, 15); qr(w, 1, 6, 11, 12); qr(w, 2, 7, 8, 13); qr(w, 3, 4, 9, 14)
        ks = struct.pack("<16I", *[(w[i] + st[i]) & 0xFFFFFFFF for i in range(16)])
        chunk = data[blk:blk + 64]
        out += bytes(a ^ b for a, b in zip(chunk, ks))
    return bytes(out)


def x25519(k, u):
    k = bytearray(k)
    k[0] &= 248; k[31] &= 127; k[31] |= 64
    k = le(k)
    u = le(u) & ((1 << 255) - 1)
    x1, x2, z2, x3, z3, swap = u, 1, 0, u, 1, 0
    for t in reversed(range(255)):
        kt = (k >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        A = (x2 + z2) % p; AA = A * A % p; B = (x2 - z2) % p; BB = B * B % p
        E = (AA - BB) % p; C = (x3 + z3) % p; D = (x3 - z3) % p
        DA = D * A % p; CB = C * B % p
        x3 = (DA + CB) ** 2 % p; z3 = x1 * (DA - CB) ** 2 % p
        x2 = AA * BB % p; z2 = E * (AA + 121665 * E) % p
    if swap:
        x2, z2 = x3, z3
    return int.to_bytes(x2 * pow(z2, p - 2, p) % p, 32, "little")


def ed25519_expand(seed):
    h = sha512(seed)
    a = bytearray(h[:32])
    a[0] &= 0xF8; a[31] &= 0x3F; a[31] |= 0x40
    return le(a), h[32:]


def ed25519_sign(seed, msg):
    a, prefix = ed25519_expand(seed)
    A = encode(mul(a, BASE))
    r = le(sha512(prefix, msg)) % L
    R = encode(mul(r, BASE))
    k = le(sha512(R, A, msg)) % L
    return R + sc(r + k * a)


def reddsa_sign(a, msg, T):
    # i2pd Ed25519::SignRedDSA: r = SHA-512(T || A || M) mod L, T 80 bytes.
    A = encode(mul(a, BASE))
    r = le(sha512(T, A, msg)) % L
    R = encode(mul(r, BASE))
    k = le(sha512(R, A, msg)) % L
    return R + sc(r + k * a)


def ed_verify(A, msg, sig):
    R, S = sig[:32], le(sig[32:])
    k = le(sha512(R, A, msg)) % L
    lhs = encode(mul(S, BASE))
    rhs = encode(add(decode(R), mul(k, decode(A))))
    return S < L and lhs == rhs


def be16(n):
    return struct.pack(">H", n)


def be32(n):
    return struct.pack(">I", n)


# ---- the destination's keys ----------------------------------------------

def dest_keys(sigtype, priv):
    """Return (a, A): the private scalar used for blinding and the public key."""
    if sigtype == 7:
        a, _ = ed25519_expand(priv)  # clamped, not reduced (i2pd ExpandPrivateKey)
    else:
        a = le(priv)
    return a, encode(mul(a, BASE))


def destination(sigtype, A):
    # ElGamal-sized unused public key area, signing key right-aligned in 128
    # bytes, key certificate (type 5, length 4, sig type, crypto type 0).
    return bytes([0x11]) * 256 + bytes([0x22]) * 96 + A + bytes([5]) + be16(4) + be16(sigtype) + be16(0)


# ---- blinding (Blinding.cpp) ---------------------------------------------

def blind(sigtype, A, date, secret):
    keydata = A + be16(sigtype) + be16(11)
    salt = sha256(b"I2PGenerateAlpha", keydata)
    seed = hkdf(salt, date.encode() + secret.encode("utf-8"), b"i2pblinding1", 64)
    alpha = le(seed) % L
    A1 = encode(add(decode(A), mul(alpha, BASE)))
    cred = sha256(b"credential", keydata)
    sub = sha256(b"subcredential", cred, A1)
    store = sha256(be16(11), A1)
    return seed, alpha, A1, sub, store


def b33(sigtype, A, flags):
    data = bytearray([flags, sigtype, 11]) + A
    c = zlib.crc32(bytes(data[3:]))
    data[0] ^= c & 0xFF; data[1] ^= (c >> 8) & 0xFF; data[2] ^= (c >> 16) & 0xFF
    return base64.b32encode(bytes(data)).decode().lower().rstrip("=") + ".b32.i2p"


def datestr(ts):
    import time
    return time.strftime("%Y%m%d", time.gmtime(ts))


# ---- LeaseSet2 (inner layer) ---------------------------------------------

def leaseset2(sigtype, priv, A, published, expires_off, flags):
    body = destination(sigtype, A) + be32(published) + be16(expires_off) + be16(flags)
    body += be16(0)  # options
    body += bytes([1]) + be16(4) + be16(32) + bytes(range(0x40, 0x60))  # one X25519 key
    body += bytes([2])  # two leases
    for i in range(2):
        body += bytes([0xA0 + i]) * 32 + be32(0x01020304 + i) + be32(published + 600 + i)
    msg = bytes([3]) + body
    if sigtype == 7:
        sig = ed25519_sign(priv, msg)
    else:
        sig = reddsa_sign(le(priv), msg, bytes([0x77]) * 80)
    assert ed_verify(A, msg, sig)
    return body + sig


# ---- EncryptedLeaseSet (LocalEncryptedLeaseSet2) -------------------------

def encrypt(v):
    sigtype, priv, secret = v["sigtype"], bytes.fromhex(v["priv"]), v["secret"]
    a, A = dest_keys(sigtype, priv)
    published = v["published"]
    date = datestr(published)
    seed, alpha, A1, sub, store = blind(sigtype, A, date, secret)
    a1 = (a + alpha) % L
    assert encode(mul(a1, BASE)) == A1  # BLIND_PUBKEY == DERIVE_PUBLIC(BLIND_PRIVKEY)
    inner = leaseset2(sigtype, priv, A, published, 600, 0x0004)
    outer_input = sub + be32(published)
    outer_salt, inner_salt = bytes.fromhex(v["outer_salt"]), bytes.fromhex(v["inner_salt"])
    auth = v.get("auth")
    l1flags = b"\x00"
    authdata = b""
    inner_input = outer_input
    if auth:
        cookie = bytes.fromhex(auth["cookie"])
        entries = b""
        if auth["type"] == "PSK":
            l1flags = b"\x03"
            salt = bytes.fromhex(auth["auth_salt"])
            for k in auth["keys"]:
                okm = hkdf(salt, bytes.fromhex(k) + outer_input, b"ELS2PSKA", 52)
                entries += okm[44:52] + chacha20(okm[:32], okm[32:44], cookie)
        else:
            l1flags = b"\x01"
            esk = bytes.fromhex(auth["esk"])
            salt = x25519(esk, int.to_bytes(9, 32, "little"))  # epk
            for k in auth["keys"]:
                cpk = x25519(bytes.fromhex(k), int.to_bytes(9, 32, "little"))
                shared = x25519(esk, cpk)
                okm = hkdf(salt, shared + cpk + outer_input, b"ELS2_XCA", 52)
                entries += okm[44:52] + chacha20(okm[:32], okm[32:44], cookie)
        authdata = salt + be16(len(auth["keys"])) + entries
        inner_input = cookie + outer_input
    k2 = hkdf(inner_salt, inner_input, b"ELS2_L2K", 44)
    layer2 = bytes([3]) + inner
    layer1 = l1flags + authdata + inner_salt + chacha20(k2[:32], k2[32:44], layer2)
    k1 = hkdf(outer_salt, outer_input, b"ELS2_L1K", 44)
    encdata = outer_salt + chacha20(k1[:32], k1[32:44], layer1)
    # expires: capped at the next UTC midnight, as i2pd does
    expires = min(published + 600, (published // 86400 + 1) * 86400)
    outer = be16(11) + A1 + be32(published) + be16(expires - published) + be16(0)
    outer += be16(len(encdata)) + encdata
    sig = reddsa_sign(a1, bytes([5]) + outer, bytes([0x55]) * 80)
    assert ed_verify(A1, bytes([5]) + outer, sig)
    flags = 0x02 if secret else 0
    out = {
        "name": v["name"],
        "sigtype": sigtype,
        "priv": priv.hex(),
        "pub": A.hex(),
        "secret": secret,
        "b33": b33(sigtype, A, flags),
        "published": published,
        "date": date,
        "alpha_seed": seed.hex(),
        "alpha": sc(alpha).hex(),
        "blinded_pub": A1.hex(),
        "blinded_priv": sc(a1).hex(),
        "subcredential": sub.hex(),
        "store_hash": store.hex(),
        "outer_salt": outer_salt.hex(),
        "inner_salt": inner_salt.hex(),
        "inner": layer2.hex(),
        "encrypted_data": encdata.hex(),
        "encrypted_ls": (outer + sig).hex(),
    }
    if auth:
        out["auth"] = auth
    return out


vectors = [
    {
        "name": "ed25519-no-secret",  # the case i2pd 2.45.1 implements
        "sigtype": 7,
        "priv": bytes(range(32)).hex(),
        "secret": "",
        "published": 1767225600 + 12 * 3600,  # 2026-01-01 12:00:00 UTC
        "outer_salt": bytes([0x01]) * 32,
        "inner_salt": bytes([0x02]) * 32,
    },
    {
        "name": "ed25519-before-midnight",
        "sigtype": 7,
        "priv": bytes(range(32)).hex(),
        "secret": "",
        "published": 1767225600 + 86400 - 60,  # 2026-01-01 23:59:00 UTC
        "outer_salt": bytes([0x03]) * 32,
        "inner_salt": bytes([0x04]) * 32,
    },
    {
        "name": "reddsa-secret-psk",
        "sigtype": 11,
        "priv": sc(le(sha512(b"i2pgo reddsa destination"))).hex(),
        "secret": "foobar",
        "published": 1767225600 + 86400 + 3600,  # 2026-01-02 01:00:00 UTC
        "outer_salt": bytes([0x05]) * 32,
        "inner_salt": bytes([0x06]) * 32,
        "auth": {
            "type": "PSK",
            "cookie": (bytes([0x07]) * 32).hex(),
            "auth_salt": (bytes([0x08]) * 32).hex(),
            "keys": [(bytes([0x09]) * 32).hex(), (bytes([0x0A]) * 32).hex()],
        },
    },
    {
        "name": "ed25519-dh",
        "sigtype": 7,
        "priv": bytes(range(32, 64)).hex(),
        "secret": "",
        "published": 1767225600 + 7200,
        "outer_salt": bytes([0x0B]) * 32,
        "inner_salt": bytes([0x0C]) * 32,
        "auth": {
            "type": "DH",
            "cookie": (bytes([0x0D]) * 32).hex(),
            "esk": (bytes([0x0E]) * 32).hex(),
            "keys": [(bytes([0x0F]) * 32).hex(), (bytes([0x10]) * 32).hex()],  # client private keys csk
        },
    },
]
for v in vectors:
    v["outer_salt"] = v["outer_salt"].hex()
    v["inner_salt"] = v["inner_salt"].hex()

# Self-check of the ChaCha20 here: RFC 7539 section 2.4.2.
assert chacha20(bytes(range(32)), bytes.fromhex("000000000000004a00000000"),
                b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")[:8].hex() == "6e2e359a2568f980"
# Self-check of X25519: RFC 7748 section 6.1 (Alice's public key).
assert x25519(bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
              int.to_bytes(9, 32, "little")).hex() == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"

print(json.dumps({"source": "gen_encryptedls.py", "vectors": [encrypt(v) for v in vectors]}, indent=1))
