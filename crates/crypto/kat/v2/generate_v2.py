"""The envelope v2 known-answer vectors: `python3 envelope_v2.py generate > vectors.json`.

Every seal is random (data keys, header ids, nonces, encapsulations), so regenerating
changes every byte; the committed vectors.json is THE vectors. The keys are fixed: the v1
TEST-ONLY RSA keys one directory up, and X-Wing seeds derived from a public string.

Each negative vector breaks exactly one rule: where a rule is structural, the header is
rebuilt with the true data key so its mac still verifies, and the vector fails only on the
rule named in "why".
"""
import copy
import hashlib
import os

import cryptography
from cryptography.hazmat.primitives import serialization

from envelope_v2 import (HERE, TYPE_RSA, TYPE_XWING, RsaHolder, Seal, XWingHolder, check_object,
                         decode_string, encode_string, handle_open, header_key_name,
                         header_mac_key, hmac_sha256)

RSA_FILES = {"rsa4096": "test-only-rsa4096.pem", "rsa2048": "test-only-rsa2048.pem"}
XWING_NAMES = ("xwing-a", "xwing-escrow")
UNKNOWN_TYPE = 0x7F

NAMESPACE_ANNOTATION = "sealedsecrets.bitnami.com/namespace-wide"
CLUSTER_ANNOTATION = "sealedsecrets.bitnami.com/cluster-wide"
COSMETIC = {"example.com/owner": "team-a", "sealedsecrets.bitnami.com/managed": "true"}
DSN = "postgres://{{ .username }}:{{ .password }}@db"


def xwing_seed(name):
    return hashlib.sha256(f"sealant TEST-ONLY x-wing key {name}".encode()).digest()


def load_keys():
    holders, entries = {}, {}
    for name, file in RSA_FILES.items():
        with open(os.path.join(HERE, "..", file), "rb") as f:
            holders[name] = RsaHolder(serialization.load_pem_private_key(f.read(), password=None))
        entries[name] = {"type": "rsa", "file": f"../{file}"}
    for name in XWING_NAMES:
        holder = XWingHolder(xwing_seed(name))
        holders[name] = holder
        entries[name] = {"type": "x-wing", "seed": holder.seed.hex(),
                         "public": holder.public_bytes.hex()}
    return holders, entries


def template(kind="Opaque", data=None, annotations=None):
    return {"type": kind, "data": {} if data is None else data,
            "annotations": dict(COSMETIC) if annotations is None else annotations}


class Builder:
    def __init__(self):
        self.holders, self.key_entries = load_keys()
        self.vectors = []

    def seal(self, recipients, scope="strict", namespace="prod", name="db", tmpl=None, values=None):
        tmpl = template() if tmpl is None else tmpl
        values = {"password": b"hunter2"} if values is None else values
        s = Seal([self.holders[r].recipient() for r in recipients], scope, namespace, name, tmpl,
                 values)
        s.recipients, s.values = list(recipients), values
        s.object = {"scope": scope, "namespace": namespace, "name": name, "template": tmpl,
                    "encryptedData": dict(s.entries)}
        return s

    def positive(self, vname, s, obj=None, open_with=None, expect=None):
        self.vectors.append({
            "name": vname, "recipients": s.recipients,
            "object": obj if obj is not None else s.object,
            "open_with": open_with or s.recipients,
            "expect": {k: v.hex() for k, v in sorted((expect or s.values).items())},
        })

    def negative(self, vname, why, s, obj, open_with=None):
        self.vectors.append({
            "name": vname, "recipients": s.recipients, "object": obj,
            "open_with": open_with or s.recipients, "expect_error": True, "why": why,
        })

    def edited(self, s, edit):
        obj = copy.deepcopy(s.object)
        edit(obj)
        return obj

    def with_header(self, s, stanzas=None, version=None, raw=None, key=None):
        """s.object with its header replaced (re-mac'd with the true dk unless raw is given)."""
        obj = copy.deepcopy(s.object)
        del obj["encryptedData"][s.header_key()]
        if raw is not None:
            text = encode_string(raw)
        else:
            text = s.header_string(s.stanzas if stanzas is None else stanzas,
                                   2 if version is None else version)
        obj["encryptedData"][key or s.header_key()] = text
        return obj


def stanza_of(s, holder):
    return next(st for st in s.stanzas if st[1] == holder.key_id)


def unknown_stanza(i, body_len):
    return (UNKNOWN_TYPE, hashlib.sha256(b"unknown stanza %d" % i).digest(), os.urandom(body_len))


def replace_value_bytes(obj, key, edit):
    raw = bytearray(decode_string(obj["encryptedData"][key]))
    edit(raw)
    obj["encryptedData"][key] = encode_string(bytes(raw))


def positives(b):
    for r, scope in (("rsa4096", "strict"), ("rsa2048", "namespace-wide"),
                     ("xwing-a", "strict"), ("xwing-escrow", "cluster-wide")):
        b.positive(f"single-recipient-{r}", b.seal([r], scope=scope))

    three = b.seal(["rsa4096", "xwing-a", "xwing-escrow"], tmpl=template(data={"dsn": DSN}),
                   values={"username": b"admin", "password": b"hunter2", "token": b"t0k3n"})
    b.positive("rsa-xwing-escrow-three-values", three)

    for scope in ("strict", "namespace-wide", "cluster-wide"):
        b.positive(f"scope-{scope}", b.seal(["rsa2048", "xwing-a"], scope=scope,
                                            tmpl=template(data={"dsn": DSN})))
    ns_wide = b.seal(["xwing-a"], scope="namespace-wide")
    b.positive("namespace-wide-opens-under-another-name", ns_wide,
               obj=b.edited(ns_wide, lambda o: o.update(name="renamed")))
    cl_wide = b.seal(["xwing-a"], scope="cluster-wide")
    b.positive("cluster-wide-opens-in-another-namespace-and-name", cl_wide,
               obj=b.edited(cl_wide, lambda o: o.update(namespace="staging", name="other")))

    b.positive("template-null-entries", b.seal(
        ["rsa2048", "xwing-a"], tmpl=template(data={"dsn": DSN, "legacy": None, "old": None})))
    b.positive("template-type-null-and-empty", b.seal(
        ["rsa2048", "xwing-a"], tmpl=template(kind=None, data={}, annotations={})))
    b.positive("template-data-keys-in-byte-order", b.seal(
        ["xwing-a"], tmpl=template(data={"b": "2", "a.b": "4", "A": "0", "a-b": "3", "_x": "1",
                                         "a": "p\u00e4ssw\u00f6rd {{ .password }}"})))
    b.positive("both-scope-annotations-in-template", b.seal(
        ["xwing-a"], scope="cluster-wide",
        tmpl=template(annotations={CLUSTER_ANNOTATION: "true", NAMESPACE_ANNOTATION: "true",
                                   "example.com/owner": "team-a"})))

    b.positive("empty-values", b.seal(["rsa2048", "xwing-a"],
                                      values={"empty": b"", "password": b"hunter2"}))
    b.positive("large-64k-value", b.seal(["rsa4096", "xwing-a"],
                                         values={"blob": os.urandom(64 * 1024)}))
    b.positive("binary-plaintext", b.seal(
        ["rsa2048", "xwing-a"],
        values={"bin": b"\x00" + bytes(range(256)) + b"\x00\x00pass\x00word\x00\xff"}))

    first = b.seal(["rsa4096", "xwing-a"], tmpl=template(data={"dsn": DSN}),
                   values={"username": b"admin"})
    second = b.seal(["rsa4096", "xwing-a"], tmpl=template(data={"dsn": DSN}),
                    values={"password": b"hunter2"})
    merged = copy.deepcopy(first.object)
    merged["encryptedData"].update(second.entries)
    b.positive("merge-two-headers", first, obj=merged,
               expect={"username": b"admin", "password": b"hunter2"})

    cosmetic = b.seal(["rsa2048", "xwing-a"], tmpl=template(data={"dsn": DSN}))

    def edit_cosmetic(o):
        ann = o["template"]["annotations"]
        ann["example.com/owner"] = "team-b"
        del ann["sealedsecrets.bitnami.com/managed"]
        ann["example.com/added-later"] = "yes"
    b.positive("cosmetic-annotations-edited-after-sealing", cosmetic,
               obj=b.edited(cosmetic, edit_cosmetic))

    with_scope_ann = b.seal(["xwing-a"], scope="namespace-wide",
                            tmpl=template(annotations={NAMESPACE_ANNOTATION: "true", **COSMETIC}))
    b.positive("scope-annotation-in-template-at-seal-time", with_scope_ann)

    skip = b.seal(["rsa2048", "xwing-a"])
    b.positive("unknown-stanza-type-skipped", skip, obj=b.with_header(
        skip, stanzas=[unknown_stanza(0, 40)] + skip.stanzas + [unknown_stanza(1, 0)]))
    full = b.seal(["xwing-a"])
    b.positive("thirty-two-stanzas", full, obj=b.with_header(
        full, stanzas=[unknown_stanza(i, i) for i in range(31)] + full.stanzas))


def negatives(b):
    base = b.seal(["rsa4096", "xwing-a", "xwing-escrow"],
                  tmpl=template(data={"dsn": DSN, "legacy": None}),
                  values={"username": b"admin", "password": b"hunter2"})
    b.positive("bound-fields-base-unchanged", base)

    def neg(vname, why, edit, s=base):
        b.negative(vname, why, s, b.edited(s, edit))

    def data(o):
        return o["template"]["data"]

    def ann(o):
        return o["template"]["annotations"]

    neg("scope-strict-read-as-namespace-wide", "scope is bound",
        lambda o: o.update(scope="namespace-wide"))
    neg("scope-strict-read-as-cluster-wide", "scope is bound",
        lambda o: o.update(scope="cluster-wide"))
    neg("namespace-changed", "strict: namespace is bound", lambda o: o.update(namespace="staging"))
    neg("name-changed", "strict: name is bound", lambda o: o.update(name="db2"))

    def rename(o):
        o["encryptedData"]["passwd"] = o["encryptedData"].pop("password")
    neg("data-key-renamed", "the data key name is bound", rename)

    def swap(o):
        e = o["encryptedData"]
        e["username"], e["password"] = e["password"], e["username"]
    neg("values-swapped-between-keys", "the data key name is bound: values cannot swap keys", swap)

    neg("template-data-entry-changed", "template.data is bound",
        lambda o: data(o).update(dsn="https://attacker.example/?p={{ .password }}"))
    neg("template-data-entry-added", "template.data is bound (entry count and entries)",
        lambda o: data(o).update(leak="{{ .password }}"))
    neg("template-data-entry-removed", "template.data is bound", lambda o: data(o).pop("dsn"))
    neg("template-data-null-entry-removed", "null template.data entries are bound",
        lambda o: data(o).pop("legacy"))
    neg("template-data-null-flipped-to-string", "null vs string is bound",
        lambda o: data(o).update(legacy="{{ .password }}"))
    neg("template-data-string-flipped-to-null", "null vs string is bound",
        lambda o: data(o).update(dsn=None))
    neg("template-data-key-renamed", "template.data keys are bound",
        lambda o: data(o).update(DSN=data(o).pop("dsn")))
    neg("template-type-changed", "template.type is bound",
        lambda o: o["template"].update(type="kubernetes.io/dockerconfigjson"))
    neg("template-type-removed", "template.type is bound (absent is the empty string)",
        lambda o: o["template"].update(type=None))
    neg("template-scope-annotation-added", "scope annotations in the template are bound",
        lambda o: ann(o).update({CLUSTER_ANNOTATION: "true"}))

    nsw = b.seal(["rsa2048", "xwing-a"], scope="namespace-wide",
                 tmpl=template(annotations={NAMESPACE_ANNOTATION: "true", **COSMETIC}))
    neg("scope-namespace-wide-read-as-strict", "scope is bound", lambda o: o.update(scope="strict"),
        nsw)
    neg("scope-namespace-wide-read-as-cluster-wide", "scope is bound",
        lambda o: o.update(scope="cluster-wide"), nsw)
    neg("namespace-wide-namespace-changed", "namespace-wide: namespace is bound",
        lambda o: o.update(namespace="staging"), nsw)
    neg("template-scope-annotation-removed", "scope annotations in the template are bound",
        lambda o: ann(o).pop(NAMESPACE_ANNOTATION), nsw)
    neg("template-scope-annotation-value-changed", "scope annotation values are bound",
        lambda o: ann(o).update({NAMESPACE_ANNOTATION: "false"}), nsw)
    clw = b.seal(["rsa2048", "xwing-a"], scope="cluster-wide")
    neg("scope-cluster-wide-read-as-namespace-wide", "scope is bound",
        lambda o: o.update(scope="namespace-wide"), clw)

    structural(b)


def structural(b):
    s = b.seal(["rsa4096", "xwing-a"], values={"username": b"admin", "password": b"hunter2"})
    rsa, xw = b.holders["rsa4096"], b.holders["xwing-a"]
    rsa_st, xw_st = stanza_of(s, rsa), stanza_of(s, xw)
    others = lambda st: [x for x in s.stanzas if x is not st]  # noqa: E731

    def neg(vname, why, obj, open_with=None):
        b.negative(vname, why, s, obj, open_with)

    neg("truncated-stanza-rsa", "the RSA stanza body is one byte short of the modulus (length "
        "field and mac consistent)",
        b.with_header(s, stanzas=[(TYPE_RSA, rsa.key_id, rsa_st[2][:-1]), xw_st]), ["rsa4096"])
    leading_zero = rsa.recipient().wrap(s.hid, s.dk)
    while leading_zero[0] != 0:  # about 1 in 256 wraps starts with a zero byte
        leading_zero = rsa.recipient().wrap(s.hid, s.dk)
    neg("rsa-stanza-leading-zero-dropped", "an RSA stanza body whose leading 0x00 byte was dropped: "
        "the same integer, a valid OAEP ciphertext to a lenient decryptor, but not exactly the "
        "modulus size (length field and mac consistent)",
        b.with_header(s, stanzas=[(TYPE_RSA, rsa.key_id, leading_zero[1:]), xw_st]), ["rsa4096"])
    neg("truncated-stanza-x-wing", "the X-Wing stanza body is 1167 bytes, not 1168 (length field "
        "and mac consistent)",
        b.with_header(s, stanzas=[rsa_st, (TYPE_XWING, xw.key_id, xw_st[2][:-1])]), ["xwing-a"])
    raw = decode_string(s.entries[s.header_key()])
    neg("truncated-header-inside-stanza", "the header ends inside its second stanza",
        b.with_header(s, raw=raw[:10 + 35 + len(s.stanzas[0][2]) + 100]))
    neg("header-trailing-byte", "the header does not end exactly after the mac",
        b.with_header(s, raw=raw + b"\x00"))
    signed_plus = raw[:-32] + b"\x00"
    neg("header-extra-byte-before-mac", "one byte between the last stanza and the mac, with the "
        "mac recomputed over it: the bytes must end exactly after the mac",
        b.with_header(s, raw=signed_plus + hmac_sha256(header_mac_key(s.dk, s.hid), signed_plus)))
    neg("header-version-unknown", "header version byte 0x03 (mac recomputed over it)",
        b.with_header(s, version=0x03))
    neg("header-zero-stanzas", "n = 0 (mac recomputed)", b.with_header(s, stanzas=[]))
    neg("header-thirty-three-stanzas", "n = 33: over the limit of 32 (mac recomputed)",
        b.with_header(s, stanzas=[unknown_stanza(i, 4) for i in range(31)] + s.stanzas))
    neg("duplicate-key-id-x-wing", "two X-Wing stanzas with the same key id, both wrapping the "
        "true data key (mac recomputed)",
        b.with_header(s, stanzas=s.stanzas + [(TYPE_XWING, xw.key_id,
                                               xw.recipient().wrap(s.hid, s.dk))]))
    neg("duplicate-key-id-rsa", "two RSA stanzas with the same key id, both wrapping the true "
        "data key (mac recomputed)",
        b.with_header(s, stanzas=s.stanzas + [(TYPE_RSA, rsa.key_id,
                                               rsa.recipient().wrap(s.hid, s.dk))]))
    neg("duplicate-key-id-unknown-type", "an unknown-type stanza repeats the X-Wing stanza's key "
        "id: duplicates are refused whatever the type (mac recomputed)",
        b.with_header(s, stanzas=s.stanzas + [(UNKNOWN_TYPE, xw.key_id, b"x")]))
    neg("stanza-key-id-unknown", "the stanza's key id no longer names the held key, though its "
        "body still wraps the data key: no key is tried blindly (mac recomputed)",
        b.with_header(s, stanzas=[rsa_st, (TYPE_XWING, bytes(32), xw_st[2])]), ["xwing-a"])
    neg("stanza-type-mismatch", "the X-Wing key's id under the RSA type byte: a stanza is used "
        "only when type and key id both match (mac recomputed)",
        b.with_header(s, stanzas=[rsa_st, (TYPE_RSA, xw.key_id, xw_st[2])]), ["xwing-a"])
    flipped = bytearray(raw)
    flipped[-1] ^= 0x01
    neg("bad-header-mac", "last mac byte flipped", b.with_header(s, raw=bytes(flipped)))
    tampered = [rsa_st, xw_st]
    tampered[0] = (TYPE_RSA, rsa.key_id, bytes([rsa_st[2][0] ^ 0x01]) + rsa_st[2][1:])
    neg("other-recipients-stanza-tampered", "the RSA stanza was altered after sealing (mac not "
        "recomputed): the X-Wing holder's mac check fails, the mac commits every stanza",
        b.with_header(s, raw=encode_header_unchecked(s, tampered, raw)), ["xwing-a"])

    other_hid = bytes(8) if s.hid != bytes(8) else b"\x01" * 8

    def mismatch(o):
        o["encryptedData"][header_key_name(other_hid)] = o["encryptedData"].pop(s.header_key())
        for k in ("username", "password"):
            replace_value_bytes(o, k, lambda r: r.__setitem__(slice(1, 9), other_hid))
    neg("header-id-mismatch-key-name", "the header is stored under another id and the values "
        "point to that id; the hid inside the header differs from its key name",
        b.edited(s, mismatch))

    neg("value-points-to-missing-header", "the value's hid names no header",
        b.edited(s, lambda o: replace_value_bytes(o, "password",
                                                  lambda r: r.__setitem__(slice(1, 9), other_hid))))
    neg("value-version-unknown", "value version byte 0x03 (the rest untouched)",
        b.edited(s, lambda o: replace_value_bytes(o, "password", lambda r: r.__setitem__(0, 3))))
    neg("value-prefix-unknown", "value string prefix sealant:v3: (binary untouched)",
        b.edited(s, lambda o: o["encryptedData"].update(
            password="sealant:v3:" + o["encryptedData"]["password"][len("sealant:v2:"):])))
    neg("header-prefix-unknown", "header string prefix sealant:v3: (binary untouched)",
        b.edited(s, lambda o: o["encryptedData"].update({s.header_key(): "sealant:v3:" + o[
            "encryptedData"][s.header_key()][len("sealant:v2:"):]})))
    neg("value-tag-flipped", "last tag byte of a value flipped",
        b.edited(s, lambda o: replace_value_bytes(o, "password",
                                                  lambda r: r.__setitem__(-1, r[-1] ^ 1))))
    neg("value-truncated", "a value shorter than version + hid + nonce + tag",
        b.edited(s, lambda o: replace_value_bytes(o, "password", lambda r: r.__delitem__(
            slice(36, None)))))
    neg("key-not-among-recipients", "sealed for rsa4096 and xwing-a only", s.object,
        ["rsa2048", "xwing-escrow"])


def encode_header_unchecked(s, stanzas, original):
    """The header with new stanzas but the ORIGINAL mac (as an attacker without dk would)."""
    signed = bytes([2]) + s.hid + bytes([len(stanzas)]) + b"".join(
        bytes([k]) + kid + len(body).to_bytes(2, "big") + body for k, kid, body in stanzas)
    return signed + original[-32:]


def self_check(doc):
    """Open every vector with every listed key before writing anything."""
    for v in doc["vectors"]:
        check_object(v["object"])
        for name in v["open_with"]:
            key = dict(doc["keys"][name])
            if key["type"] == "rsa":
                with open(os.path.join(HERE, key.pop("file"))) as f:
                    key["pem"] = f.read()
            got = handle_open({"key": key, "object": v["object"]})
            want = {"values": v["expect"]} if "expect" in v else {"error": "cannot open"}
            assert got == want, f"{v['name']} with {name}: {str(got)[:200]}"


def generate():
    b = Builder()
    positives(b)
    negatives(b)
    doc = {
        "_comment": "TEST-ONLY envelope v2 known-answer vectors (docs/envelope-v2.md), made by "
                    "envelope_v2.py generate, an implementation independent of the Rust one. "
                    "The keys are public test fixtures; never seal anything real to them.",
        "generator": f"envelope_v2.py, python cryptography {cryptography.__version__}",
        "keys": b.key_entries,
        "vectors": b.vectors,
    }
    self_check(doc)
    return doc
