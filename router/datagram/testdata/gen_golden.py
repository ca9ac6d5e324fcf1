#!/usr/bin/env python3
"""Golden datagrams for router/datagram, built from datagrams.rst
(lastupdated 2025-04, accurate for 0.9.66) and common-structures.rst by an
implementation independent of Go: Python 3 with pyca/cryptography (Ed25519
only) and the standard library. Writes golden.json to stdout.

Keys: Ed25519 (signature type 7) destinations, with private seeds
SHA-256("i2pgo datagram sender") and SHA-256("i2pgo datagram transient")
for the transient key. A destination is the 256-byte encryption key field
(filled with bytes 0x00..0xff), 96 bytes of 0xAA padding, the 32-byte
Ed25519 key right-aligned in the 128-byte signing key field, then the KEY
certificate 05 0004 0007 0000 (Ed25519, ElGamal). The recipient's hash is
SHA-256("i2pgo datagram recipient"), used as the Datagram2 prelude.
Ed25519 signatures are deterministic, so the Go test rebuilds each
datagram byte for byte with the same keys.

Run: python3 gen_golden.py > golden.json
"""
import hashlib
import json
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization


def seed(label):
    return hashlib.sha256(label.encode()).digest()


def pub(k):
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


sender = Ed25519PrivateKey.from_private_bytes(seed("i2pgo datagram sender"))
transient = Ed25519PrivateKey.from_private_bytes(seed("i2pgo datagram transient"))
to_hash = seed("i2pgo datagram recipient")

dest = bytes(range(256)) + b"\xaa" * 96 + pub(sender) + bytes.fromhex("050004" "0007" "0000")
assert len(dest) == 391
from_hash = hashlib.sha256(dest).digest()


def mapping(pairs):
    body = b"".join(bytes([len(k)]) + k + b"=" + bytes([len(v)]) + v + b";" for k, v in pairs)
    return struct.pack(">H", len(body)) + body


vectors = []

# Datagram1: from | signature over the payload (Ed25519) | payload.
for name, payload in [("datagram1 hello", b"hello i2p"), ("datagram1 empty", b"")]:
    sig = sender.sign(payload)
    vectors.append({"name": name, "proto": 17, "payload": payload.hex(), "hex": (dest + sig + payload).hex()})

# Datagram2: from | flags | [options] | [offline] | payload | signature over
# to_hash | flags | [options] | [offline] | payload.
opts = mapping([(b"a", b"b"), (b"foo", b"bar")])
expires = 0x7FFFFFFF
offline_signed = struct.pack(">IH", expires, 7) + pub(transient)
offline = offline_signed + sender.sign(offline_signed)
for name, flags, extra, signer, payload in [
    ("datagram2 plain", 0x0002, b"", sender, b"datagram two"),
    ("datagram2 options", 0x0012, opts, sender, b"with options"),
    ("datagram2 offline", 0x0022, offline, transient, b"offline signed"),
    ("datagram2 options offline empty payload", 0x0032, opts + offline, transient, b""),
]:
    signed = struct.pack(">H", flags) + extra + payload
    sig = signer.sign(to_hash + signed)
    vectors.append({"name": name, "proto": 19, "payload": payload.hex(), "hex": (dest + signed + sig).hex()})

# Datagram3: from hash | flags | [options] | payload.
for name, flags, extra, payload in [
    ("datagram3 plain", 0x0003, b"", b"datagram three"),
    ("datagram3 options", 0x0013, opts, b"3 with options"),
]:
    vectors.append({"name": name, "proto": 20, "payload": payload.hex(),
                    "hex": (from_hash + struct.pack(">H", flags) + extra + payload).hex()})

print(json.dumps({
    "sender_seed": seed("i2pgo datagram sender").hex(),
    "transient_seed": seed("i2pgo datagram transient").hex(),
    "to_hash": to_hash.hex(),
    "offline_expires": expires,
    "destination": dest.hex(),
    "vectors": vectors,
}, indent=1))
