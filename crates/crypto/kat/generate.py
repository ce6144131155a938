#!/usr/bin/env python3
"""Known-answer vectors for the Bitnami sealed-value layout, produced by an independent
implementation: Python's `cryptography` package (OpenSSL).

    sealed = u16be(L) || RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session key) || AES-256-GCM(
             key=session key, nonce=12 zero bytes, aad=none)(plaintext) || tag

The keys written here are TEST-ONLY: they are public, so never use them for real data.
Run from this directory: `python3 generate.py` (rewrites the key files and vectors.json).
"""
import base64
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCOPES = [
    ("strict", "prod", "db", b"prod/db"),
    ("namespace-wide", "prod", "db", b"prod"),
    ("cluster-wide", "prod", "db", b""),
]
PLAINTEXTS = {
    "empty": b"",
    "ascii": b"correct-horse-battery-staple",
    "binary": bytes(range(256)) + b"\x00\x00",
    "large": os.urandom(16 * 1024),
}


def key_file(bits):
    return f"test-only-rsa{bits}.pem"


def load_or_create(bits):
    path = key_file(bits)
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, as Bitnami's tls.key
        serialization.NoEncryption(),
    )
    with open(path, "wb") as f:
        f.write(pem)
    return key


def seal(public_key, label, plaintext):
    session_key = os.urandom(32)
    rsa_block = public_key.encrypt(
        session_key,
        padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA256()),
            algorithm=hashes.SHA256(),
            label=label or None,
        ),
    )
    body = AESGCM(session_key).encrypt(b"\x00" * 12, plaintext, None)
    return len(rsa_block).to_bytes(2, "big") + rsa_block + body


def b64(data):
    return base64.b64encode(data).decode()


def main():
    vectors = []
    for bits in (2048, 4096):
        public = load_or_create(bits).public_key()
        for scope, namespace, name, label in SCOPES:
            for pname, plaintext in PLAINTEXTS.items():
                if pname == "large" and bits == 4096:
                    continue  # one large vector is enough
                sealed = seal(public, label, plaintext)
                vectors.append({
                    "key": key_file(bits), "scope": scope, "namespace": namespace,
                    "name": name, "plaintext": b64(plaintext), "sealed": b64(sealed),
                    "expect": "open",
                })
        # Vectors that must not open.
        good = seal(public, b"prod/db", b"must-not-open")
        tampered = bytearray(good)
        tampered[-1] ^= 0x01
        for why, sealed, scope, ns, name in [
            ("wrong-name", good, "strict", "prod", "other"),
            ("wrong-namespace", good, "strict", "staging", "db"),
            ("wrong-scope", good, "cluster-wide", "prod", "db"),
            ("tampered-gcm-tag", bytes(tampered), "strict", "prod", "db"),
            ("truncated", good[:100], "strict", "prod", "db"),
        ]:
            vectors.append({
                "key": key_file(bits), "scope": scope, "namespace": ns, "name": name,
                "plaintext": None, "sealed": b64(sealed), "expect": "fail", "why": why,
            })
    with open("vectors.json", "w") as f:
        json.dump({"_comment": "TEST-ONLY vectors made by generate.py with Python cryptography",
                   "vectors": vectors}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
