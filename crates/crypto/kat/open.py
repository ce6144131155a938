#!/usr/bin/env python3
"""Open sealed values with Python `cryptography` (OpenSSL), to check Rust-sealed output
with an independent implementation. Used by tests/known_answers.rs.

Reads JSON on stdin:  {"key": "PATH.pem", "items": [{"label_hex": "...", "sealed": "BASE64"}]}
Writes JSON on stdout: [{"ok": true, "plaintext": "BASE64"} | {"ok": false}, ...]

Exit status 0 when every item was processed (opened or refused); 2 on bad input.
An ImportError (no `cryptography` package) exits non-zero with Python's traceback.
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def open_one(key, label, sealed):
    if len(sealed) < 2:
        return None
    rsa_len = int.from_bytes(sealed[:2], "big")
    rsa_block, body = sealed[2:2 + rsa_len], sealed[2 + rsa_len:]
    if len(rsa_block) != rsa_len or len(body) < 16:
        return None
    try:
        session_key = key.decrypt(
            rsa_block,
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                         algorithm=hashes.SHA256(), label=label or None),
        )
        if len(session_key) != 32:
            return None
        return AESGCM(session_key).decrypt(b"\x00" * 12, body, None)
    except Exception:  # noqa: BLE001 - any failure is "does not open"
        return None


def main():
    try:
        request = json.load(sys.stdin)
        with open(request["key"], "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        items = [(bytes.fromhex(i["label_hex"]), base64.b64decode(i["sealed"]))
                 for i in request["items"]]
    except (ValueError, KeyError, OSError) as e:
        print(f"open.py: bad request: {e}", file=sys.stderr)
        sys.exit(2)
    results = []
    for label, sealed in items:
        plaintext = open_one(key, label, sealed)
        results.append({"ok": False} if plaintext is None
                       else {"ok": True, "plaintext": base64.b64encode(plaintext).decode()})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
