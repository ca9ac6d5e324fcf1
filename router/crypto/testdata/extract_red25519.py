#!/usr/bin/env python3
"""Extract the "Test vectors" section of red25519.rst into JSON.

Usage: python3 extract_red25519.py path/to/spec/red25519.rst > red25519_spec_vectors.json
"""
import json
import re
import sys

FIELDS = ["edsk", "edpk", "sk", "vk", "msg", "sig", "alpha", "rsk", "rvk", "rsig"]


def main():
    text = open(sys.argv[1]).read()
    text = text[text.index("Test vectors\n====="):]
    out = []
    for block in re.split(r"\n\s*Test vector \d+\n", text)[1:]:
        v, last = {}, None
        for line in block.splitlines():
            m = re.match(r"\s*(\w+):\s+([0-9a-f]+)\s*$", line)
            if m and m.group(1) in FIELDS:
                last = m.group(1)
                v[last] = m.group(2)
            elif last in ("sig", "rsig") and re.match(r"\s+[0-9a-f]{64}\s*$", line):
                v[last] += line.strip()  # second line of a 64-byte signature
            else:
                last = None
        assert sorted(v) == sorted(FIELDS), v
        out.append(v)
    print(json.dumps({"source": "i2p spec red25519.rst (lastupdated 2020-08, accuratefor 0.9.47), section Test vectors",
                      "vectors": out}, indent=1))


if __name__ == "__main__":
    main()
