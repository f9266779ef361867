#!/usr/bin/env python3
"""Cross-checks the apple_iap adapter and the Apple sandbox against Apple's
own app-store-server-library (PyPI), with PyJWT for the bearer token.

1. JWS our sandbox signs (transactions, notifications) pass the library's
   SignedDataVerifier with our test root, strict X.509 checks on and online
   checks off; JWS from an unrelated CA or an expired leaf fail in both.
2. JWS the library accepts pass our verifier: Apple's mock signed data with
   Apple's test root (strict off, as Apple's own tests run it), and JWS made
   the library's test way (PyJWT ES256 with an x5c header, as
   /work/shared/tools/channel-xcheck/xcheck_apple.py signs) over our chain;
   what it refuses (wrong bundle, tampered) our verifier refuses too.
3. Our App Store Server API bearer token decodes under PyJWT with the key's
   public half (ES256, aud appstoreconnect-v1, iss, bid, kid, typ JWT).

Driven through crates/channels/examples/apple_xcheck.rs ($APPLE_XCHECK_BIN).
Exits non-zero on any disagreement.
"""
import base64, json, os, subprocess, sys, time

import jwt
from cryptography.hazmat.primitives import serialization
from appstoreserverlibrary.models.Environment import Environment
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier, VerificationException

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CERTS = os.path.join(ROOT, "crates/sandboxes/src/apple/certs")
VECTORS = os.path.join(ROOT, "tests/vectors/apple")
BUNDLE, APP_ID = "com.example.app", 1234
NOW = int(time.time())
failures = []
proc = subprocess.Popen([os.environ["APPLE_XCHECK_BIN"]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def rust(req):
    proc.stdin.write(json.dumps(req) + "\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    if "error" in answer and answer.get("ok") is None:
        raise SystemExit(f"example failed: {answer}")
    return answer


def check(label, ok):
    print(("[AGREE] " if ok else "[DIFFER] ") + label)
    if not ok:
        failures.append(label)


def library(roots, env=Environment.SANDBOX, strict=True, bundle=BUNDLE):
    v = SignedDataVerifier(roots, False, env, bundle, APP_ID)
    if not strict:
        v._chain_verifier.enable_strict_checks = False
    return v


def library_ok(fn, jws):
    try:
        fn(jws)
        return True, ""
    except VerificationException as e:
        return False, e.status.name


def ours(kind, jws, roots, env="Sandbox", bundle=BUNDLE):
    b64 = [base64.b64encode(r).decode() for r in roots]
    return rust({"op": "verify", "kind": kind, "jws": jws, "roots_b64": b64, "bundle_id": bundle,
                 "environment": env, "app_apple_id": APP_ID, "now": NOW})


def transaction(tx_id="2000000000000042"):
    ms = NOW * 1000
    return {"transactionId": tx_id, "originalTransactionId": tx_id, "bundleId": BUNDLE, "productId": "coins_6",
            "purchaseDate": ms, "originalPurchaseDate": ms, "quantity": 1, "type": "Consumable",
            "inAppOwnershipType": "PURCHASED", "signedDate": ms, "environment": "Sandbox", "price": 6000,
            "currency": "CNY", "transactionReason": "PURCHASE", "storefront": "CHN", "storefrontId": "143465"}


def notification(signed_tx):
    return {"notificationType": "REFUND", "notificationUUID": "2b4a3f43-1c5e-4a57-a3a5-9b9d7f1e0c11",
            "data": {"appAppleId": APP_ID, "bundleId": BUNDLE, "bundleVersion": "1.0", "environment": "Sandbox",
                     "signedTransactionInfo": signed_tx, "status": 1},
            "version": "2.0", "signedDate": NOW * 1000}


our_root = [open(os.path.join(CERTS, "root.der"), "rb").read()]
lib = library(our_root)

# 1. Our sandbox's JWS through Apple's library (strict).
for signing, want in (("valid", True), ("untrusted_ca", False), ("expired", False)):
    tx = rust({"op": "sign", "payload": transaction(), "signing": signing})["jws"]
    n = rust({"op": "sign", "payload": notification(tx), "signing": signing})["jws"]
    for kind, jws, fn in (("transaction", tx, lib.verify_and_decode_signed_transaction),
                          ("notification", n, lib.verify_and_decode_notification)):
        lok, why = library_ok(fn, jws)
        mine = ours(kind, jws, our_root)
        check(f"sandbox {kind} signed {signing}: library={lok}{' ' + why if why else ''} ours={mine['ok']} expected={want}",
              lok == mine["ok"] == want)

# 2a. Apple's mock signed data with Apple's test root (strict off, as in Apple's tests).
apple_root = [open(os.path.join(VECTORS, "testCA.der"), "rb").read()]
alib = library(apple_root, bundle="com.example", strict=False)
for name, want in (("testNotification", True), ("wrongBundleId", False), ("missingX5CHeaderClaim", False)):
    jws = open(os.path.join(VECTORS, name)).read().strip()
    lok, why = library_ok(alib.verify_and_decode_notification, jws)
    mine = ours("notification", jws, apple_root, bundle="com.example")
    check(f"Apple mock {name}: library={lok}{' ' + why if why else ''} ours={mine['ok']} expected={want}", lok == mine["ok"] == want)

# 2b. JWS signed the library's test way (PyJWT ES256 + x5c) over our chain.
def pem_der(path):
    lines = open(path).read().strip().splitlines()
    return "".join(l for l in lines if not l.startswith("-----"))


x5c = [pem_der(os.path.join(CERTS, f)) for f in ("leaf.pem", "intermediate.pem", "root.pem")]
leaf_key = serialization.load_pem_private_key(open(os.path.join(CERTS, "leaf_key.pem"), "rb").read(), None)
py_tx = jwt.encode(transaction("2000000000000043"), leaf_key, algorithm="ES256", headers={"x5c": x5c})
lok, why = library_ok(lib.verify_and_decode_signed_transaction, py_tx)
mine = ours("transaction", py_tx, our_root)
check(f"PyJWT-signed transaction: library={lok}{' ' + why if why else ''} ours={mine['ok']}", lok and mine["ok"])
h, p, s = py_tx.split(".")
forged_payload = json.dumps(dict(transaction("2000000000000043"), productId="coins_68")).encode()
forged = ".".join([h, base64.urlsafe_b64encode(forged_payload).rstrip(b"=").decode(), s])
lok, why = library_ok(lib.verify_and_decode_signed_transaction, forged)
mine = ours("transaction", forged, our_root)
check(f"tampered transaction refused: library={lok} {why} ours={mine['ok']} {mine.get('error')}", not lok and not mine["ok"])
prod = library(our_root, env=Environment.PRODUCTION)
lok, why = library_ok(prod.verify_and_decode_signed_transaction, py_tx)
mine = ours("transaction", py_tx, our_root, env="Production")
check(f"Sandbox transaction under Production refused: library={lok} {why} ours={mine['ok']} {mine.get('error')}",
      not lok and not mine["ok"])

# 3. Our bearer token under PyJWT.
from cryptography.hazmat.primitives.asymmetric import ec
asc = ec.generate_private_key(ec.SECP256R1())
asc_pem = asc.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
token = rust({"op": "bearer", "private_key": asc_pem, "key_id": "2X9R4HXF34", "issuer_id": "57246542-96fe-1a63-e053-0824d011072a",
              "bundle_id": BUNDLE, "now": NOW})["token"]
claims = jwt.decode(token, asc.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1")
header = jwt.get_unverified_header(token)
check(f"bearer token under PyJWT: header={header} claims={claims}",
      header == {"alg": "ES256", "kid": "2X9R4HXF34", "typ": "JWT"} and claims["iss"] == "57246542-96fe-1a63-e053-0824d011072a"
      and claims["bid"] == BUNDLE and 0 < claims["exp"] - claims["iat"] <= 3600)

proc.stdin.close()
proc.wait()
print("RESULT:", "OK" if not failures else f"MISMATCH ({len(failures)})")
sys.exit(1 if failures else 0)
