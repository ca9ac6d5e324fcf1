#!/usr/bin/env python3
"""Independent golden vectors for router/i2np (golden_test.go).

Every payload is assembled with struct/hashlib/zlib straight from the byte
layouts of i2np.rst and tunnel-creation-ecies.rst, not with the Go code.
Run from this directory: python3 golden.py
It prints the Go table rows and (re)writes the two DatabaseStore RouterInfo
payload files.
"""
import gzip
import hashlib
import struct
import zlib


def H(n):
    """A patterned 32-byte hash starting at byte n."""
    return bytes((n + i) & 0xFF for i in range(32))


def pattern(n, start=0):
    return bytes((start + i) & 0xFF for i in range(n))


def mapping(pairs):
    body = b"".join(
        bytes([len(k)]) + k + b"=" + bytes([len(v)]) + v + b";" for k, v in pairs
    )
    return struct.pack(">H", len(body)) + body


rows = []


def row(name, typ, payload):
    if len(payload) <= 300:
        rows.append((name, typ, "hex", payload.hex()))
    else:
        rows.append((name, typ, "sha256", "%d %s" % (len(payload), hashlib.sha256(payload).hexdigest())))


# DatabaseStore: key | type | token | [tunnel | gateway] | data
row("DatabaseStore LeaseSet2", 1, H(0x00) + bytes([3]) + struct.pack(">I", 0) + b"\x01\x02\x03\x04")
row("DatabaseStore LeaseSet with reply", 1,
    H(0x10) + bytes([1]) + struct.pack(">II", 0x01020304, 0x0A0B0C0D) + H(0x40) + b"lease")
row("DatabaseStore EncryptedLeaseSet direct reply", 1,
    H(0x20) + bytes([5]) + struct.pack(">II", 7, 0) + H(0x80) + b"\xff")
row("DatabaseStore MetaLeaseSet", 1, H(0x30) + bytes([7]) + struct.pack(">I", 0) + b"meta")

# DatabaseLookup: key | from | flags | [tunnel] | size | excluded | [key | n | tags]
row("DatabaseLookup RouterInfo direct", 2, H(0x01) + H(0x21) + bytes([0x08]) + struct.pack(">H", 0))
row("DatabaseLookup exploration to tunnel", 2,
    H(0x02) + H(0x22) + bytes([0x0C | 0x01]) + struct.pack(">IH", 0x11223344, 2) + H(0x50) + H(0x60))
row("DatabaseLookup LeaseSet ECIES reply", 2,
    H(0x03) + H(0x23) + bytes([0x01 | 0x04 | 0x10]) + struct.pack(">IH", 1, 1) + H(0x70)
    + pattern(32, 0xA0) + bytes([1]) + bytes.fromhex("0102030405060708"))
row("DatabaseLookup any ElGamal reply", 2,
    H(0x04) + H(0x24) + bytes([0x02]) + struct.pack(">H", 0) + pattern(32, 0xA0) + bytes([2]) + H(0xC0) + H(0xE0))

# DatabaseSearchReply: key | num | peers | from
row("DatabaseSearchReply", 3, H(0x05) + bytes([2]) + H(0x90) + H(0xB0) + H(0xD0))
row("DatabaseSearchReply empty", 3, H(0x06) + bytes([0]) + H(0xD1))

# DeliveryStatus: id | Date
row("DeliveryStatus", 10, struct.pack(">IQ", 0xDEADBEEF, 1704067200123))
row("DeliveryStatus network ID", 10, struct.pack(">IQ", 0x01020304, 2))

# Garlic and Data: 4-byte length | data
row("Garlic", 11, struct.pack(">I", 16) + pattern(16))
row("Data", 20, struct.pack(">I", 5) + b"hello")

# TunnelData: tunnel | 1024
row("TunnelData", 18, struct.pack(">I", 0x01020304) + pattern(1024))

# TunnelGateway: tunnel | length | message with the 16-byte header
inner_payload = struct.pack(">IQ", 0xDEADBEEF, 1704067200123)
inner = (bytes([10]) + struct.pack(">IQH", 0x01020304, 1704067200123, len(inner_payload))
         + hashlib.sha256(inner_payload).digest()[:1] + inner_payload)
row("TunnelGateway", 19, struct.pack(">IH", 0xABCD, len(inner)) + inner)


def records(n, size):
    return b"".join(pattern(size, 16 * i) for i in range(n))


row("TunnelBuild", 21, records(8, 528))
row("TunnelBuildReply", 22, records(8, 528))
row("VariableTunnelBuild", 23, bytes([4]) + records(4, 528))
row("VariableTunnelBuildReply", 24, bytes([1]) + records(1, 528))
row("ShortTunnelBuild", 25, bytes([4]) + records(4, 218))
row("OutboundTunnelBuildReply", 26, bytes([3]) + records(3, 218))

# Cleartext build records.
req = (struct.pack(">II", 0x01020304, 0x05060708) + H(0x20) + H(0x40) + H(0x60) + H(0x80)
       + pattern(16, 0xA0) + bytes([0x80]) + b"\x00\x00\x00"
       + struct.pack(">III", 28400000, 600, 0x0BADF00D)
       + mapping([(b"m", b"100"), (b"r", b"200")]))
req += pattern(464 - len(req), 0x55)
assert len(req) == 464
rows.append(("BuildRequest", 0, "hex", req.hex()))

sreq = (struct.pack(">II", 1, 2) + H(0x33) + bytes([0x40]) + b"\x00\x00" + bytes([0])
        + struct.pack(">III", 28400001, 600, 0x12345678) + mapping([]))
sreq += pattern(154 - len(sreq), 0x77)
assert len(sreq) == 154
rows.append(("ShortBuildRequest", 0, "hex", sreq.hex()))

resp = mapping([(b"b", b"500")])
resp += pattern(511 - len(resp), 0x11) + bytes([0])
assert len(resp) == 512
rows.append(("BuildResponse", 0, "hex", resp.hex()))

sresp = mapping([]) + bytes(199) + bytes([30])
assert len(sresp) == 202
rows.append(("ShortBuildResponse", 0, "hex", sresp.hex()))

for name, typ, kind, val in rows:
    print('\t{"%s", %d, "%s", "%s"},' % (name, typ, kind, val))

# DatabaseStore of the real i2pd RouterInfo, in the two gzip forms seen on
# the network. The key is SHA-256 of the identity: 384 bytes of keys and a
# 7-byte key certificate (Ed25519, X25519).
ri = open("i2pd-r1.routerInfo.dat", "rb").read()
assert ri[384] == 5 and struct.unpack(">H", ri[385:387])[0] == 4
key = hashlib.sha256(ri[:391]).digest()
head = key + bytes([0]) + struct.pack(">I", 0)

# Java I2P (java.util.zip, i.e. zlib) at maximum compression, mtime 0: the
# header i2np.rst prescribes. Python's gzip module writes OS 3 (Unix); set
# it to 255 as Java does (and as i2pd's GzipDeflator does, out[9] = 0xff).
java = bytearray(gzip.compress(ri, compresslevel=9, mtime=0))
java[9] = 0xFF
java = bytes(java)
assert java[:10] == bytes.fromhex("1f8b08000000000002ff"), java[:10].hex()
open("databasestore-ri-zlib.bin", "wb").write(head + struct.pack(">H", len(java)) + java)

# i2pd GzipNoCompression (libi2pd/Gzip.cpp): the same header, then one
# final stored block (0x01, LEN and NLEN little-endian), CRC-32 and ISIZE.
stored = (bytes.fromhex("1f8b08000000000002ff01") + struct.pack("<HH", len(ri), 0xFFFF - len(ri))
          + ri + struct.pack("<II", zlib.crc32(ri), len(ri)))
assert gzip.decompress(stored) == ri
open("databasestore-ri-stored.bin", "wb").write(head + struct.pack(">H", len(stored)) + stored)
print("key", key.hex())
