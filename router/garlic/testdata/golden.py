#!/usr/bin/env python3
"""Independent golden vectors for router/garlic (golden_test.go).

Everything here is assembled from the spec text with struct, hashlib and
pyca/cryptography (X25519, HKDF, ChaCha20Poly1305), not with the Go code and
not with a Noise library:

- ecies.rst, "Payload": blocks are type (1) | size (2, big-endian) | data;
  DateTime is 4 bytes of seconds; Garlic Clove is delivery instructions |
  type (1) | msg id (4) | expiration (4, seconds) | body; Padding is 254.
- i2np.rst, "Garlic Clove Delivery Instructions": flag bits 6-5 are the
  delivery type, then the 32-byte hash (destination, router, tunnel) and
  the 4-byte tunnel ID (tunnel).
- ecies-routers.rst, "KDF for Initial ck and h" and "KDF for Message": the
  Noise N message to a router, written out formula by formula.
- i2np.rst, "Reply Encryption": tag || ENCRYPT(k = reply_key, n = 0,
  payload, ad = tag).
- i2np.rst, "Garlic": the Garlic message payload is a 4-byte length and the
  encrypted data.

Run from this directory: python3 golden.py > golden.json
"""
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def pattern(n, start):
    return bytes((start + i) & 0xFF for i in range(n))


def sha256(*parts):
    d = hashlib.sha256()
    for p in parts:
        d.update(p)
    return d.digest()


def x25519_pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )


def x25519(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(
        X25519PublicKey.from_public_bytes(pub)
    )


def block(typ, data):
    return struct.pack(">BH", typ, len(data)) + data


def datetime_block(secs):
    return block(0, struct.pack(">I", secs))


def padding_block(n):
    return block(254, bytes(n))


def clove(delivery, msg_type, msg_id, exp_secs, body, to=b"", tunnel=None):
    di = bytes([delivery << 5]) + to
    if tunnel is not None:
        di += struct.pack(">I", tunnel)
    return di + struct.pack(">BII", msg_type, msg_id, exp_secs) + body


def clove_block(*args, **kw):
    return block(11, clove(*args, **kw))


def noise_n(recv_pub, eph_priv, plaintext):
    """ecies-routers.rst, formula by formula."""
    protocol_name = b"Noise_N_25519_ChaChaPoly_SHA256"
    assert len(protocol_name) == 31
    h = protocol_name + b"\x00"  # pad to 32, do not hash
    chain_key = h
    h = sha256(h)  # MixHash(null prologue)
    h = sha256(h, recv_pub)  # MixHash(hepk)
    eph_pub = x25519_pub(eph_priv)
    h = sha256(h, eph_pub)  # MixHash(sepk)
    shared = x25519(eph_priv, recv_pub)
    # keydata = HKDF(chainKey, sharedSecret, "", 64), RFC 5869 with
    # salt = chainKey.
    keydata = HKDF(algorithm=hashes.SHA256(), length=64, salt=chain_key, info=b"").derive(shared)
    k = keydata[32:64]
    nonce = bytes(12)  # n = 0
    ct = ChaCha20Poly1305(k).encrypt(nonce, plaintext, h)
    return eph_pub + ct, h, k


def seal_with_tag(key, tag, payload):
    return tag + ChaCha20Poly1305(key).encrypt(bytes(12), payload, tag)


def garlic_payload(data):
    return struct.pack(">I", len(data)) + data


out = {}

# i2pd's precomputed SHA256(protocol_name || 0), Crypto.cpp InitNoiseNState.
out["noise_n_hh"] = sha256(b"Noise_N_25519_ChaChaPoly_SHA256\x00").hex()

# --- A router message with one clove of each delivery type. -------------
recv_priv = pattern(32, 0x40)
recv_pub = x25519_pub(recv_priv)
eph_priv = pattern(32, 0x90)
dt = 0x65920080  # 2024-01-01T00:00:00Z
body = b"lookup body"
cloves = [
    (0, 2, 0x01020304, dt + 60, body, b"", None),
    (1, 20, 0x11121314, dt + 61, b"data", pattern(32, 0x10), None),
    (2, 10, 0x21222324, 0, pattern(12, 0xA0), pattern(32, 0x30), None),
    (3, 1, 0x31323334, dt + 62, b"store", pattern(32, 0x50), 0x0A0B0C0D),
]
plaintext = datetime_block(dt)
for c in cloves:
    plaintext += clove_block(*c[:5], to=c[5], tunnel=c[6])
plaintext += padding_block(3)
msg, h, k = noise_n(recv_pub, eph_priv, plaintext)
out["router"] = {
    "recv_priv": recv_priv.hex(),
    "recv_pub": recv_pub.hex(),
    "eph_priv": eph_priv.hex(),
    "h": h.hex(),
    "k": k.hex(),
    "plaintext": plaintext.hex(),
    "message": msg.hex(),
    "cloves": [
        {
            "delivery": c[0],
            "type": c[1],
            "id": c[2],
            "exp": c[3],
            "body": c[4].hex(),
            "to": c[5].hex(),
            "tunnel": c[6] or 0,
            "hex": clove(*c[:5], to=c[5], tunnel=c[6]).hex(),
        }
        for c in cloves
    ],
}

# --- WrapForRouter: rand supplies 1 byte (padding length, low 4 bits) then
# the 32-byte ephemeral private key. -----------------------------------------
pad_byte = 0x27  # -> 7 bytes of padding
wrap_eph = pattern(32, 0xC0)
wrap_msg = (0x02, 0x0BADBEEF, dt + 120, b"a DatabaseLookup body")
wrap_plain = (
    datetime_block(dt)
    + clove_block(0, wrap_msg[0], wrap_msg[1], wrap_msg[2], wrap_msg[3])
    + padding_block(pad_byte & 0x0F)
)
wrap_ct, _, _ = noise_n(recv_pub, wrap_eph, wrap_plain)
out["wrap_for_router"] = {
    "recv_pub": recv_pub.hex(),
    "rand": (bytes([pad_byte]) + wrap_eph).hex(),
    "now": dt,
    "msg_type": wrap_msg[0],
    "msg_id": wrap_msg[1],
    "msg_exp": wrap_msg[2],
    "msg_body": wrap_msg[3].hex(),
    "plaintext": wrap_plain.hex(),
    "garlic_payload": garlic_payload(wrap_ct).hex(),
}

# --- Tag-keyed reply (i2np.rst "Reply Encryption"), as i2pd's
# WrapECIESX25519Message builds it: one local clove and a padding block, no
# DateTime. ------------------------------------------------------------------
reply_key = pattern(32, 0x70)
reply_tag = bytes.fromhex("0102030405060708")
reply_msg = (3, 0x41424344, dt + 10, pattern(40, 0x00))  # DatabaseSearchReply
reply_pad = 5
reply_plain = clove_block(0, *reply_msg) + padding_block(reply_pad)
reply_sealed = seal_with_tag(reply_key, reply_tag, reply_plain)
out["reply"] = {
    "key": reply_key.hex(),
    "tag": reply_tag.hex(),
    "msg_type": reply_msg[0],
    "msg_id": reply_msg[1],
    "msg_exp": reply_msg[2],
    "msg_body": reply_msg[3].hex(),
    "pad": reply_pad,
    "plaintext": reply_plain.hex(),
    "sealed": reply_sealed.hex(),
    "garlic_payload": garlic_payload(reply_sealed).hex(),
}

print(json.dumps(out, indent=1, sort_keys=True))
