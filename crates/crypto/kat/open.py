#!/usr/bin/env python3
"""Open one sealed value with Python `cryptography`, to check Rust-sealed output
independently. Usage: open.py KEY.pem LABEL_HEX SEALED_B64 ; prints the plaintext as base64.
Exit 3 when decryption fails."""
import base64
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def main():
    key_path, label_hex, sealed_b64 = sys.argv[1:4]
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    sealed = base64.b64decode(sealed_b64)
    rsa_len = int.from_bytes(sealed[:2], "big")
    label = bytes.fromhex(label_hex)
    try:
        session_key = key.decrypt(
            sealed[2:2 + rsa_len],
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                         algorithm=hashes.SHA256(), label=label or None),
        )
        plaintext = AESGCM(session_key).decrypt(b"\x00" * 12, sealed[2 + rsa_len:], None)
    except Exception:  # noqa: BLE001 - any failure is "does not open"
        sys.exit(3)
    print(base64.b64encode(plaintext).decode())


if __name__ == "__main__":
    main()
