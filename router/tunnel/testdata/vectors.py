#!/usr/bin/env python3
"""Tunnel data-path vectors for router/tunnel, built from the spec text.

Written independently of the Go code: struct/hashlib for the I2NP headers,
delivery instructions and checksum (tunnel-message.rst), pyca/cryptography
AES-256 ECB and CBC for the layers (tunnels-implementation.html,
"Participant Processing"). Nothing is random: keys, IVs and padding are
patterns, and "rand" is the byte stream a Gateway reads to produce the same
bodies (IV of each body, then its padding).

    python3 vectors.py > vectors.json
"""

import hashlib
import json
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BODY = 1024
IV = 16
MAX_PAYLOAD = BODY - IV - 4 - 1  # 1003


def i2np_long(typ, msg_id, exp_ms, payload):
    """I2NP standard header (i2np.rst): type, id, expiration, size, checksum."""
    return (struct.pack(">BIQH", typ, msg_id, exp_ms, len(payload))
            + hashlib.sha256(payload).digest()[:1] + payload)


def first_instructions(dtype, tunnel_id, to, msg_id, fragmented, size):
    """tunnel-message.rst, "First Fragment Delivery Instructions"."""
    flag = dtype << 5
    if fragmented:
        flag |= 0x08
    out = bytes([flag])
    if dtype == 1:
        out += struct.pack(">I", tunnel_id)
    if dtype in (1, 2):
        out += to
    if fragmented:
        out += struct.pack(">I", msg_id)
    return out + struct.pack(">H", size)


def follow_on_instructions(num, last, msg_id, size):
    """tunnel-message.rst, "Follow-on Fragment Delivery Instructions"."""
    return bytes([0x80 | num << 1 | (1 if last else 0)]) + struct.pack(">IH", msg_id, size)


def body(iv, frags, padding):
    """tunnel-message.rst, "Tunnel Message (Decrypted)", without tunnel ID."""
    assert len(iv) == 16 and 0 not in padding
    assert len(padding) + 1 + len(frags) == BODY - 20
    checksum = hashlib.sha256(frags + iv).digest()[:4]
    return iv + checksum + padding + b"\x00" + frags


def aes_ecb(key, block, decrypt=False):
    c = Cipher(algorithms.AES(key), modes.ECB())
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(block) + op.finalize()


def aes_cbc(key, iv, data, decrypt=False):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def encrypt_layer(hop, b):
    """Participant: IV = E(ivKey, IV); data = CBC(layerKey, IV); IV = E(ivKey, IV)."""
    iv = aes_ecb(hop["iv"], b[:16])
    data = aes_cbc(hop["layer"], iv, b[16:])
    return aes_ecb(hop["iv"], iv) + data


def decrypt_layer(hop, b):
    iv = aes_ecb(hop["iv"], b[:16], decrypt=True)
    data = aes_cbc(hop["layer"], iv, b[16:], decrypt=True)
    return aes_ecb(hop["iv"], iv, decrypt=True) + data


def main():
    hops = [{"layer": bytes((0x10 * (i + 1) + j) & 0xff for j in range(32)),
             "iv": bytes((0x81 + 0x13 * i + 3 * j) & 0xff for j in range(32))}
            for i in range(3)]

    exp = 1700000000123  # 2023-11-14T22:13:20.123Z
    # m1: Data message (type 20), local delivery, unfragmented.
    d1 = b"hello, tunnel"
    m1 = i2np_long(20, 0x11223344, exp, struct.pack(">I", len(d1)) + d1)
    # m2: DeliveryStatus (type 10), tunnel delivery, unfragmented.
    m2 = i2np_long(10, 0x01020304, exp, struct.pack(">IQ", 0xdeadbeef, 1700000000000))
    gw = bytes(range(32))
    # m3: Data message of 1500 bytes, router delivery, two fragments.
    d3 = bytes(i % 251 for i in range(1500))
    m3 = i2np_long(20, 0x55667788, exp, struct.pack(">I", len(d3)) + d3)
    router = bytes((0xa0 + i) & 0xff for i in range(32))

    f1 = first_instructions(0, 0, None, 0, False, len(m1)) + m1
    f2 = first_instructions(1, 0x0a0b0c0d, gw, 0, False, len(m2)) + m2
    used = len(f1) + len(f2)
    room = MAX_PAYLOAD - used - (1 + 32 + 4 + 2)  # the first fragment fills body 1
    f3 = first_instructions(2, 0, router, 0x55667788, True, room) + m3[:room]
    f4 = follow_on_instructions(1, True, 0x55667788, len(m3) - room) + m3[room:]

    iv1 = bytes(range(0xf0, 0x100))
    iv2 = bytes((0x5a + 11 * i) & 0xff for i in range(16))
    pad2_len = MAX_PAYLOAD - len(f4)
    pad2 = bytes((i * 7 + 3) % 255 + 1 for i in range(pad2_len))
    bodies = [body(iv1, f1 + f2 + f3, b""), body(iv2, f4, pad2)]

    out_bodies = []
    for plain, frags in zip(bodies, [[f1, f2, f3], [f4]]):
        inbound = []  # the gateway (hop 0) encrypts, then hops 1 and 2
        b = plain
        for hop in hops:
            b = encrypt_layer(hop, b)
            inbound.append(b.hex())
        pre = plain  # outbound gateway: decrypt for hop 2, then 1, then 0
        for hop in reversed(hops):
            pre = decrypt_layer(hop, pre)
        b = pre
        for hop in hops:
            b = encrypt_layer(hop, b)
        assert b == plain
        b = bytes.fromhex(inbound[-1])
        for hop in reversed(hops):
            b = decrypt_layer(hop, b)
        assert b == plain
        out_bodies.append({
            "plain": plain.hex(),
            "fragments": [f.hex() for f in frags],
            "inbound": inbound,
            "outbound": pre.hex(),
        })

    print(json.dumps({
        "hops": [{"layer": h["layer"].hex(), "iv": h["iv"].hex()} for h in hops],
        "messages": [
            {"delivery": "local", "tunnel_id": 0, "to": "", "i2np": m1.hex()},
            {"delivery": "tunnel", "tunnel_id": 0x0a0b0c0d, "to": gw.hex(), "i2np": m2.hex()},
            {"delivery": "router", "tunnel_id": 0, "to": router.hex(), "i2np": m3.hex()},
        ],
        "rand": (iv1 + iv2 + pad2).hex(),
        "bodies": out_bodies,
    }, indent=1))


if __name__ == "__main__":
    main()
