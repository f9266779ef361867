#!/usr/bin/env python3
"""Regenerates the Apple sandbox's test PKI (test only; the keys are public).

    python3 crates/sandboxes/src/apple/certs/gen.py     (needs `cryptography`)

Shape of Apple's real chain: a P-384 root (like Apple Root CA - G3), a P-384
intermediate carrying Apple's WWDR marker extension 1.2.840.113635.100.6.2.1
(like WWDR G6), a P-256 leaf carrying 1.2.840.113635.100.6.11.1 (like the
"Prod ECC Mac App Store and iTunes Store Receipt Signing" certificate), all
signed ecdsa-with-SHA384, with SKID/AKID and key usages so that Apple's
app-store-server-library accepts them in its strict X.509 mode. Written:

  root.pem, root.der            the trust anchor test mode pins
  intermediate.pem, leaf.pem, leaf_key.pem
  other_root.pem, other_intermediate.pem, other_leaf.pem, other_leaf_key.pem
                                an unrelated CA of the same shape (negative tests)
  expired_leaf.pem, expired_leaf_key.pem
                                issued by the real intermediate, expired 2025-01-01
Validity: 2026-01-01 to 2036-01-01 (the expired leaf: 2024-01-01 to 2025-01-01).
"""
import datetime, os
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

OUT = os.path.dirname(os.path.abspath(__file__))
UTC = datetime.timezone.utc
FROM, TO = datetime.datetime(2026, 1, 1, tzinfo=UTC), datetime.datetime(2036, 1, 1, tzinfo=UTC)
LEAF_OID, INT_OID = "1.2.840.113635.100.6.11.1", "1.2.840.113635.100.6.2.1"


def name(cn, ou):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Unicharge Test"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(key, subject, issuer_key, issuer, serial, ca, pathlen=None, marker=None, valid=(FROM, TO)):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(serial).not_valid_before(valid[0]).not_valid_after(valid[1])
         .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen if ca else None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
         .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True))
    if marker:
        b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(marker), b"\x05\x00"), critical=False)
    return b.sign(issuer_key, hashes.SHA384())


def write(fname, data):
    with open(os.path.join(OUT, fname), "wb") as f:
        f.write(data)


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)


def key_pem(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def chain(prefix, label):
    rk, ik, lk = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP256R1())
    rn = name(f"{label} Root CA - G3", "Certification Authority")
    inn = name(f"{label} WWDR Certification Authority", "G6")
    root = cert(rk, rn, rk, rn, 0x2DC5FC88D2C54B95, ca=True)
    inter = cert(ik, inn, rk, rn, 0x22C1A1470A747369, ca=True, pathlen=0, marker=INT_OID)
    leaf = cert(lk, name(f"{label} Prod ECC Receipt Signing", "Developer Relations"),
                ik, inn, 0x68FA0F95DBE94A8107D2506B8C33EFF6, ca=False, marker=LEAF_OID)
    write(prefix + "root.pem", pem(root))
    write(prefix + "intermediate.pem", pem(inter))
    write(prefix + "leaf.pem", pem(leaf))
    write(prefix + "leaf_key.pem", key_pem(lk))
    return root, ik, inn


root, ik, inn = chain("", "Unicharge Sandbox Apple")
write("root.der", root.public_bytes(serialization.Encoding.DER))
chain("other_", "Unrelated")
ek = ec.generate_private_key(ec.SECP256R1())
expired = cert(ek, name("Unicharge Sandbox Apple Expired Receipt Signing", "Developer Relations"), ik, inn, 0x0E1,
               ca=False, marker=LEAF_OID, valid=(datetime.datetime(2024, 1, 1, tzinfo=UTC), datetime.datetime(2025, 1, 1, tzinfo=UTC)))
write("expired_leaf.pem", pem(expired))
write("expired_leaf_key.pem", key_pem(ek))
print("written to", OUT)
