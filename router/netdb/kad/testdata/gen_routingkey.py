#!/usr/bin/env python3
"""Generate routingkey_vectors.txt: I2P daily routing keys computed
independently of the Go code, with Python's hashlib and time.gmtime.

routing key = SHA-256(hash || ASCII "yyyyMMdd" of the UTC date)
(how-network-database.html, "Kademlia Closeness Metric").

Each output line: hash_hex unix_millis yyyyMMdd key_hex next_yyyyMMdd next_key_hex
where next_* is for the following UTC day.

Run: python3 gen_routingkey.py > routingkey_vectors.txt
"""
import base64
import hashlib
import time

def i2p_b64decode(s):
    return base64.b64decode(s, altchars=b"-~")

HASHES = [
    bytes(32),
    b"\xff" * 32,
    hashlib.sha256(b"i2pgo").digest(),
    # i2pd 2.45.1 test router r1 (router/data/testdata/i2pd-r1.routerInfo.dat)
    i2p_b64decode("TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU="),
]

MILLIS = [
    0,                    # 1970-01-01T00:00:00Z
    946684799999,         # 1999-12-31T23:59:59.999Z
    946684800000,         # 2000-01-01T00:00:00Z
    1709164800000,        # 2024-02-29T00:00:00Z (leap day)
    1709251199000,        # 2024-02-29T23:59:59Z
    1795476600000,        # 2026-11-23T23:30:00Z
    1795478399999,        # 2026-11-23T23:59:59.999Z
    1795478400000,        # 2026-11-24T00:00:00Z
    4102444799000,        # 2099-12-31T23:59:59Z
]

def date(ms):
    return time.strftime("%Y%m%d", time.gmtime(ms // 1000)).encode("ascii")

def key(h, d):
    assert len(h) == 32 and len(d) == 8
    return hashlib.sha256(h + d).hexdigest()

print("# hash_hex unix_millis yyyyMMdd routing_key_hex next_yyyyMMdd next_routing_key_hex")
for h in HASHES:
    for ms in MILLIS:
        d = date(ms)
        nd = date((ms // 86400000 + 1) * 86400000)
        print(h.hex(), ms, d.decode(), key(h, d), nd.decode(), key(h, nd))
