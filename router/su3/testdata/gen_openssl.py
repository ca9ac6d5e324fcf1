#!/usr/bin/env python3
"""Make su3 test vectors with OpenSSL, independently of the Go code.

Run from this directory:  python3 gen_openssl.py

It writes, for each key below, <name>.key (PKCS#8 private key, test only),
<name>.crt (self-signed X.509 certificate, CN = the signer ID, as reseed
signer certificates are) and <name>.su3. The su3 header is laid out here
from updates.rst byte by byte; the signature is made by the openssl command
over the digest of header || content:

  rsa4096-test: RSA_SHA512_4096 (type 6). `openssl pkeyutl -sign` with no
      digest option pads the bare SHA-512 digest with PKCS#1 v1.5 type 1 and
      no DigestInfo: Java's "NONEwithRSA", the form su3 files carry.
  p256-test: ECDSA_SHA256_P256 (type 1). `openssl pkeyutl -sign` over the
      SHA-256 digest; the DER signature is converted to r || s.

Existing keys are reused. Re-running it leaves rsa4096-test.su3 as it was
(PKCS#1 v1.5 signing is deterministic) and changes p256-test.su3's signature
(ECDSA draws a random k) and both certificates' dates.
"""
import hashlib
import os
import struct
import subprocess

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

CONTENT = b"PK\x05\x06" + b"\x00" * 18  # an empty zip: end of central directory only
VERSION = b"1700000000"


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, check=True, capture_output=True).stdout


def header(sigtype, siglen, signer):
    ver = VERSION + b"\x00" * (16 - len(VERSION))
    h = b"I2Psu3" + bytes([0, 0])          # 0-5 magic, 6 unused, 7 format version
    h += struct.pack(">HH", sigtype, siglen)  # 8-9 sig type, 10-11 sig length
    h += bytes([0, len(ver), 0, len(signer)])  # 12, 13 version len, 14, 15 signer len
    h += struct.pack(">Q", len(CONTENT))   # 16-23 content length
    h += bytes([0, 0, 0, 3])               # 24, 25 file type zip, 26, 27 content reseed
    h += b"\x00" * 12                      # 28-39
    assert len(h) == 40
    return h + ver + signer


def make(name, keygen, sigtype, siglen, signer, hashname):
    key, crt = name + ".key", name + ".crt"
    if not os.path.exists(key):
        run("openssl", "genpkey", *keygen, "-out", key)
    run("openssl", "req", "-new", "-x509", "-key", key, "-out", crt, "-days", "36500",
        "-subj", "/O=I2P Anonymous Network/OU=I2P/CN=" + signer.decode(),
        "-set_serial", "1")
    tbs = header(sigtype, siglen, signer) + CONTENT
    digest = hashlib.new(hashname, tbs).digest()
    sig = run("openssl", "pkeyutl", "-sign", "-inkey", key, stdin=digest)
    if sigtype == 1:
        r, s = decode_dss_signature(sig)
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert len(sig) == siglen
    with open(name + ".su3", "wb") as f:
        f.write(tbs + sig)


make("rsa4096-test", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
     6, 512, b"rsa-test@mail.i2p", "sha512")
make("p256-test", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
     1, 64, b"p256-test@mail.i2p", "sha256")
