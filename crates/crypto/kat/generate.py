#!/usr/bin/env python3
"""Known-answer vectors for the Bitnami sealed-value layout, produced by an independent
implementation: Python's `cryptography` package (OpenSSL).

    sealed = u16be(L) || RSA-OAEP(SHA-256, MGF1-SHA-256, label)(32-byte session key)
             || AES-256-GCM(key=session key, nonce=12 zero bytes, aad=none)(plaintext) || tag

with label = "namespace/name" (strict), "namespace" (namespace-wide), "" (cluster-wide),
and the value written as standard base64 with padding.

TEST-ONLY: the keys this writes (test-only-rsa*.pem) are public fixtures. Never use them
for real data. Existing key files are kept; vectors.json is rewritten (session keys are
random, so every run produces different but equally valid vectors).

Run from anywhere: `python3 crates/crypto/kat/generate.py`.
"""
import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))

# (file, bits). "b" is a second 2048-bit key, used only for the wrong-key vectors.
KEYS = [
    ("test-only-rsa2048.pem", 2048),
    ("test-only-rsa4096.pem", 4096),
    ("test-only-rsa2048-b.pem", 2048),
]
NAMESPACE, NAME = "prod", "db"
SCOPES = [
    ("strict", b"prod/db"),
    ("namespace-wide", b"prod"),
    ("cluster-wide", b""),
]
LARGE = 64 * 1024
PLAINTEXTS = {
    "empty": b"",
    "ascii": b"correct-horse-battery-staple",
    "binary-with-nuls": b"\x00" + bytes(range(256)) + b"\x00\x00pass\x00word\x00",
    # Stored in the JSON as sha256 + length only, to keep the file small.
    "large-64k": os.urandom(LARGE),
}


def load_or_create(file, bits):
    path = os.path.join(HERE, file)
    if os.path.exists(path):
        with open(path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        assert key.key_size == bits, f"{file} is not {bits} bits"
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, as Bitnami's tls.key
        serialization.NoEncryption(),
    )
    with open(path, "wb") as f:
        f.write(pem)
    return key


def oaep(label):
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=label or None,
    )


def seal(public_key, label, plaintext):
    session_key = os.urandom(32)
    rsa_block = public_key.encrypt(session_key, oaep(label))
    body = AESGCM(session_key).encrypt(b"\x00" * 12, plaintext, None)  # ciphertext || tag
    return len(rsa_block).to_bytes(2, "big") + rsa_block + body


def b64(data):
    return base64.b64encode(data).decode()


def self_check(private_key, label, sealed, plaintext):
    """Open with the same library, so a generator bug cannot produce a bad 'open' vector."""
    rsa_len = int.from_bytes(sealed[:2], "big")
    session_key = private_key.decrypt(sealed[2:2 + rsa_len], oaep(label))
    assert AESGCM(session_key).decrypt(b"\x00" * 12, sealed[2 + rsa_len:], None) == plaintext


def open_vector(key_file, scope, sealed, plaintext, pname, sealed_text=None):
    v = {
        "key": key_file, "scope": scope, "namespace": NAMESPACE, "name": NAME,
        "plaintext_kind": pname, "expect": "open",
    }
    if len(plaintext) >= LARGE:
        v["plaintext_sha256"] = hashlib.sha256(plaintext).hexdigest()
        v["plaintext_len"] = len(plaintext)
    else:
        v["plaintext"] = b64(plaintext)
    v["sealed"] = sealed_text if sealed_text is not None else b64(sealed)
    return v


def fail_vector(key_file, why, sealed, scope, namespace, name):
    return {
        "key": key_file, "scope": scope, "namespace": namespace, "name": name,
        "expect": "fail", "why": why, "sealed": b64(sealed),
    }


def main():
    keys = {file: load_or_create(file, bits) for file, bits in KEYS}
    vectors = []
    for file, bits in KEYS[:2]:
        private = keys[file]
        public = private.public_key()
        for scope, label in SCOPES:
            for pname, plaintext in PLAINTEXTS.items():
                if bits == 4096 and pname.startswith("large") and scope != "strict":
                    continue  # keep the file small: one large vector for the 4096-bit key
                sealed = seal(public, label, plaintext)
                self_check(private, label, sealed, plaintext)
                vectors.append(open_vector(file, scope, sealed, plaintext, pname))
        # Base64 wrapped at 76 columns (as in a folded YAML scalar): must still open.
        sealed = seal(public, b"prod/db", b"wrapped")
        wrapped = base64.encodebytes(sealed).decode()
        vectors.append(open_vector(file, "strict", sealed, b"wrapped", "ascii-wrapped-base64",
                                   sealed_text=wrapped))

        # Vectors that must not open.
        good = seal(public, b"prod/db", b"must-not-open")
        self_check(private, b"prod/db", good, b"must-not-open")
        rsa_len = int.from_bytes(good[:2], "big")

        def flip(index):
            out = bytearray(good)
            out[index] ^= 0x01
            return bytes(out)

        nswide = seal(public, b"prod", b"must-not-open")
        other_key = seal(keys["test-only-rsa2048-b.pem"].public_key(), b"prod/db",
                         b"must-not-open")
        wrong_len = (rsa_len - 1).to_bytes(2, "big") + good[2:]
        for why, sealed, scope, ns, name in [
            ("wrong-name", good, "strict", "prod", "other"),
            ("wrong-namespace", good, "strict", "staging", "db"),
            ("wrong-scope-strict-as-cluster-wide", good, "cluster-wide", "prod", "db"),
            ("wrong-scope-strict-as-namespace-wide", good, "namespace-wide", "prod", "db"),
            ("wrong-scope-namespace-wide-as-strict", nswide, "strict", "prod", "db"),
            ("wrong-namespace-namespace-wide", nswide, "namespace-wide", "staging", "db"),
            ("wrong-key-same-size", other_key, "strict", "prod", "db"),
            ("tampered-rsa-block", flip(2 + rsa_len // 2), "strict", "prod", "db"),
            ("tampered-gcm-ciphertext", flip(2 + rsa_len + 3), "strict", "prod", "db"),
            ("tampered-gcm-tag", flip(len(good) - 1), "strict", "prod", "db"),
            ("wrong-length-prefix", wrong_len, "strict", "prod", "db"),
            ("truncated-inside-rsa-block", good[:100], "strict", "prod", "db"),
            ("truncated-tag", good[:-1], "strict", "prod", "db"),
            ("truncated-no-tag", good[:2 + rsa_len + 8], "strict", "prod", "db"),
            ("empty", b"", "strict", "prod", "db"),
        ]:
            vectors.append(fail_vector(file, why, sealed, scope, ns, name))

    out = {
        "_comment": "TEST-ONLY known-answer vectors made by generate.py with Python "
                    "cryptography (OpenSSL). The keys in this directory are public test "
                    "fixtures; never use them for real data.",
        "generator": f"python cryptography {__import__('cryptography').__version__}",
        "layout": "u16be(L) || RSA-OAEP-SHA256-MGF1-SHA256(label)(session key) || "
                  "AES-256-GCM(zero 12-byte nonce, no AAD)(plaintext) || tag; base64 std",
        "vectors": vectors,
    }
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {len(vectors)} vectors")


if __name__ == "__main__":
    main()
