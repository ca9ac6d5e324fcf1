#!/usr/bin/env python3
"""Generate openssl_vectors.json: DSA_SHA1, ECDSA and RSA signatures made by
OpenSSL (through pyca/cryptography and the openssl command), in I2P wire
format, so that the Go verifier is checked against an independent signer.

Run from this directory: python3 gen_openssl.py > openssl_vectors.json
Keys and (for DSA and ECDSA) nonces are random, so every run gives different,
equally valid vectors.
"""
import hashlib
import json
import os
import subprocess
import tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa, utils

# cryptography.rst, "DSA": the fixed 1024-bit group.
P = int("9C05B2AA960D9B97B8931963C9CC9E8C3026E9B8ED92FAD0A69CC886D5BF8015"
        "FCADAE31A0AD18FAB3F01B00A358DE237655C4964AFAA2B337E96AD316B9FB1C"
        "C564B5AEC5B69A9FF6C3E4548707FEF8503D91DD8602E867E6D35D2235C1869C"
        "E2479C3B9D5401DE04E0727FB33D6511285D4CF29538D9E3B6051F5B22CC1C93", 16)
Q = int("A5DFC28FEF4CA1E286744CD8EED9D29D684046B7", 16)
G = int("0C1F4D27D40093B429E962D7223824E0BBC47E7C832A39236FC683AF84889581"
        "075FF9082ED32353D4374D7301CDA1D23C431F4698599DDA02451824FF369752"
        "593647CC3DDC197DE985E43D136CDCFC6BD5409CD2F450821142A5E6F8EB1C3A"
        "B5D0484B8129FCF17BCE4F7F33321C3CB3DBB14A905E7B2B3E93BE4708CBCC82", 16)

MSGS = [b"", b"I2P", bytes(range(256)) * 4]


def be(n, size):
    return n.to_bytes(size, "big").hex()


def dsa_vectors():
    key = dsa.DSAParameterNumbers(P, Q, G).parameters().generate_private_key()
    y = key.public_key().public_numbers().y
    out = []
    for m in MSGS:
        r, s = utils.decode_dss_signature(key.sign(m, hashes.SHA1()))
        out.append({"type": 0, "form": "standard", "pub": be(y, 128),
                    "priv": be(key.private_numbers().x, 20),
                    "msg": m.hex(), "sig": be(r, 20) + be(s, 20)})
    return out


def ecdsa_vectors():
    out = []
    for typ, curve, h, size in [(1, ec.SECP256R1(), hashes.SHA256(), 32),
                                (2, ec.SECP384R1(), hashes.SHA384(), 48),
                                (3, ec.SECP521R1(), hashes.SHA512(), 66)]:
        key = ec.generate_private_key(curve)
        pn = key.public_key().public_numbers()
        for m in MSGS:
            r, s = utils.decode_dss_signature(key.sign(m, ec.ECDSA(h)))
            out.append({"type": typ, "form": "standard",
                        "pub": be(pn.x, size) + be(pn.y, size),
                        "priv": be(key.private_numbers().private_value, size),
                        "msg": m.hex(), "sig": be(r, size) + be(s, size)})
    return out


def rsa_vectors():
    out = []
    for typ, bits, h, hl in [(4, 2048, hashes.SHA256(), hashlib.sha256),
                             (5, 3072, hashes.SHA384(), hashlib.sha384),
                             (6, 4096, hashes.SHA512(), hashlib.sha512)]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        n = key.public_key().public_numbers().n
        size = bits // 8
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        with tempfile.TemporaryDirectory() as d:
            kf = os.path.join(d, "k.pem")
            with open(kf, "wb") as f:
                f.write(pem)
            for m in MSGS:
                # Standard RSASSA-PKCS1-v1_5 (DigestInfo), as Java's
                # DSAEngine.sign(byte[]) makes with "SHA256withRSA".
                sig = key.sign(m, padding.PKCS1v15(), h)
                out.append({"type": typ, "form": "digestinfo", "pub": be(n, size),
                            "msg": m.hex(), "sig": sig.hex()})
                # Bare digest in PKCS#1 type 1 padding, as Java's SU3File
                # makes through DSAEngine's "NONEwithRSA" and i2pd's
                # Reseed.cpp checks: openssl pkeyutl with no digest set.
                df = os.path.join(d, "digest")
                with open(df, "wb") as f:
                    f.write(hl(m).digest())
                raw = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", kf,
                                      "-in", df, "-pkeyopt", "rsa_padding_mode:pkcs1"],
                                     check=True, capture_output=True).stdout
                em = pow(int.from_bytes(raw, "big"), 65537, n).to_bytes(size, "big")
                want = b"\x00\x01" + b"\xff" * (size - 3 - hl().digest_size) + b"\x00" + hl(m).digest()
                assert em == want, "openssl did not make a bare-digest signature"
                out.append({"type": typ, "form": "su3", "pub": be(n, size),
                            "msg": m.hex(), "sig": raw.hex()})
    return out


def main():
    ver = subprocess.run(["openssl", "version"], check=True, capture_output=True,
                         text=True).stdout.strip()
    import cryptography
    doc = {
        "source": "router/crypto/testdata/gen_openssl.py, pyca/cryptography %s, %s"
                  % (cryptography.__version__, ver),
        "vectors": dsa_vectors() + ecdsa_vectors() + rsa_vectors(),
    }
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
