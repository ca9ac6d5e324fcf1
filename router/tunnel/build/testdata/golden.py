#!/usr/bin/env python3
"""Independent golden vectors for router/tunnel/build (golden_test.go).

Everything here is assembled from the spec text with struct, hashlib and
pyca/cryptography (X25519, RFC 5869 HKDF, ChaCha20Poly1305, ChaCha20,
AES-CBC), not from the Go code and without a Noise library. Sections of
tunnel-creation-ecies.rst (lastupdated 2025-06) followed:

- "KDF for Initial ck and h" and "KDF for Request Record": Noise N,
  h = SHA256(name || 0) after the empty prologue, MixHash(hepk),
  MixHash(sepk), [ck, k] = HKDF(ck, DH, "", 64), AEAD(k, n = 0, ad = h),
  h = SHA256(h || ciphertext).
- "Request Record Unencrypted" / "Short Request Record Unencrypted" for the
  cleartext layouts (big-endian fields, options Mapping, padding).
- "Reply Record Encryption" (long): AEAD(k = ck, n = 0, ad = h) over the
  512-byte reply; the other records with AES-256-CBC under the reply key and
  IV of the request ("Symmetric Encryption of Records"; what i2pd 2.45.1
  does in HandleBuildRequestRecords).
- Short "KDF": HKDF(ck, ZEROLEN, info, 64) with "SMTunnelReplyKey",
  "SMTunnelLayerKey", then "TunnelLayerIVKey" and "RGarlicKeyAndTag" for the
  OBEP; the non-OBEP IV key is the last ck.
- Short "Record Encryption": own record AEAD(replyKey, n = record number,
  ad = h); the others ChaCha20(replyKey, iv = 12 zero bytes with iv[4] = n)
  with the STREAM cipher of encryptedleaseset.rst (initial counter 1).

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
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
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


def hkdf64(salt, ikm, info):
    out = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=info).derive(ikm)
    return out[:32], out[32:]


def aead_nonce(n):
    return b"\x00" * 4 + struct.pack("<Q", n)


def chacha20_stream(key, index, data):
    # STREAM ENCRYPT(k, iv): RFC 7539 ChaCha20, initial counter 1.
    iv = bytearray(12)
    iv[4] = index
    nonce16 = struct.pack("<I", 1) + bytes(iv)
    enc = Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor()
    return enc.update(data) + enc.finalize()


def aes_cbc_encrypt(key, iv, data):
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def mapping(pairs):
    body = b""
    for k, v in pairs:
        kb, vb = k.encode(), v.encode()
        body += bytes([len(kb)]) + kb + b"=" + bytes([len(vb)]) + vb + b";"
    return struct.pack(">H", len(body)) + body


PROTOCOL = b"Noise_N_25519_ChaChaPoly_SHA256"


def noise_n(hop_pub, eph_priv, plaintext):
    """The creator's side of the record; returns dict with every step."""
    h = PROTOCOL + b"\x00"  # 31 bytes + 1 zero = 32, not hashed
    ck = h
    h = sha256(h)  # MixHash(null prologue)
    h = sha256(h, hop_pub)  # MixHash(hepk)
    eph_pub = x25519_pub(eph_priv)
    h = sha256(h, eph_pub)  # MixHash(sepk)
    shared = x25519(eph_priv, hop_pub)
    ck, k = hkdf64(ck, shared, b"")  # MixKey(DH)
    ct = ChaCha20Poly1305(k).encrypt(aead_nonce(0), plaintext, h)
    h = sha256(h, ct)  # MixHash(ciphertext)
    return {"eph_pub": eph_pub, "shared": shared, "k": k, "ck": ck, "h": h, "ct": ct}


MINUTES = 29_000_000  # 2025-02-20T13:20:00Z
HOP_PRIV = pattern(32, 0x10)
HOP_PUB = x25519_pub(HOP_PRIV)
HOP_HASH = sha256(b"golden hop")


def short_vector(name, flags, eph_start, index, reply_byte):
    eph_priv = pattern(32, eph_start)
    opts = mapping([("m", "50"), ("r", "200")])
    pt = (
        struct.pack(">II", 0x01020304, 0x05060708)
        + pattern(32, 0xA0)  # next ident
        + bytes([flags])
        + b"\x00\x00"  # more flags
        + b"\x00"  # layer encryption: AES
        + struct.pack(">III", MINUTES, 600, 0x0A0B0C0D)
        + opts
    )
    pt += pattern(154 - len(pt), 0xC0)
    assert len(pt) == 154
    n = noise_n(HOP_PUB, eph_priv, pt)
    record = HOP_HASH[:16] + n["eph_pub"] + n["ct"]
    assert len(record) == 218

    ck = n["ck"]
    ck, reply_key = hkdf64(ck, b"", b"SMTunnelReplyKey")
    ck, layer_key = hkdf64(ck, b"", b"SMTunnelLayerKey")
    garlic_key = garlic_tag = b""
    if flags & 0x40:
        ck, iv_key = hkdf64(ck, b"", b"TunnelLayerIVKey")
        ck, garlic_key = hkdf64(ck, b"", b"RGarlicKeyAndTag")
        garlic_tag = ck[:8]
    else:
        iv_key = ck

    # Reply: 4 records, ours at index; the others patterned.
    records = [pattern(218, 0x30 * (j + 1)) for j in range(4)]
    records[index] = record
    resp = b"\x00\x00" + pattern(199, 0x77) + bytes([reply_byte])
    assert len(resp) == 202
    after = []
    for j, r in enumerate(records):
        if j == index:
            after.append(ChaCha20Poly1305(reply_key).encrypt(aead_nonce(j), resp, n["h"]))
        else:
            after.append(chacha20_stream(reply_key, j, r))
    return {
        "name": name,
        "hop_priv": HOP_PRIV.hex(),
        "hop_pub": HOP_PUB.hex(),
        "hop_hash": HOP_HASH.hex(),
        "eph_priv": eph_priv.hex(),
        "plaintext": pt.hex(),
        "record": record.hex(),
        "ck": n["ck"].hex(),
        "h": n["h"].hex(),
        "reply_key": reply_key.hex(),
        "layer_key": layer_key.hex(),
        "iv_key": iv_key.hex(),
        "garlic_key": garlic_key.hex(),
        "garlic_tag": garlic_tag.hex(),
        "index": index,
        "records_before": [r.hex() for r in records],
        "response": resp.hex(),
        "records_after": [r.hex() for r in after],
    }


def long_vector(name, flags, eph_start, index, reply_byte):
    eph_priv = pattern(32, eph_start)
    reply_key = pattern(32, 0x60)
    reply_iv = pattern(16, 0x90)
    opts = mapping([("m", "50")])
    pt = (
        struct.pack(">II", 0x11121314, 0x15161718)
        + pattern(32, 0xA0)  # next ident
        + pattern(32, 0x20)  # layer key
        + pattern(32, 0x40)  # IV key
        + reply_key
        + reply_iv
        + bytes([flags])
        + b"\x00\x00\x00"  # more flags
        + struct.pack(">III", MINUTES, 600, 0x1A1B1C1D)
        + opts
    )
    pt += pattern(464 - len(pt), 0xD0)
    assert len(pt) == 464
    n = noise_n(HOP_PUB, eph_priv, pt)
    record = HOP_HASH[:16] + n["eph_pub"] + n["ct"]
    assert len(record) == 528

    records = [pattern(528, 0x21 * (j + 1)) for j in range(4)]
    records[index] = record
    resp = b"\x00\x00" + pattern(509, 0x55) + bytes([reply_byte])
    assert len(resp) == 512
    after = []
    for j, r in enumerate(records):
        if j == index:
            after.append(ChaCha20Poly1305(n["ck"]).encrypt(aead_nonce(0), resp, n["h"]))
        else:
            after.append(aes_cbc_encrypt(reply_key, reply_iv, r))
    return {
        "name": name,
        "hop_priv": HOP_PRIV.hex(),
        "hop_pub": HOP_PUB.hex(),
        "hop_hash": HOP_HASH.hex(),
        "eph_priv": eph_priv.hex(),
        "plaintext": pt.hex(),
        "record": record.hex(),
        "ck": n["ck"].hex(),
        "h": n["h"].hex(),
        "index": index,
        "records_before": [r.hex() for r in records],
        "response": resp.hex(),
        "records_after": [r.hex() for r in after],
    }


out = {
    "noise_n_hh": sha256(PROTOCOL + b"\x00").hex(),
    "short": [
        short_vector("short-participant-accept", 0x00, 0x50, 2, 0),
        short_vector("short-obep-reject", 0x40, 0x70, 0, 30),
        short_vector("short-ibgw-accept", 0x80, 0xE0, 3, 0),
    ],
    "long": [
        long_vector("long-ibgw-accept", 0x80, 0x58, 1, 0),
        long_vector("long-obep-reject", 0x40, 0x78, 3, 30),
    ],
}
print(json.dumps(out, indent=1))
