#!/usr/bin/env python3
"""Verify Unicharge webhooks, as a tenant would.

As a library: `verify_unicharge_signature` checks the `Unicharge-Signature`
header (HMAC-SHA256 with the endpoint's whsec_ secret, standard library only)
and `verify_pingpp_signature` checks the Ping++-compatible
`X-Pingplusplus-Signature` header (RSA-SHA256 with the platform public key,
via `cryptography`, or pycryptodome when that is missing). See
docs/webhooks.md.

As a program: a tiny receiver for tests/webhooks/run_webhook_checks.sh.

    python3 verify_webhook.py --port P --secret whsec_... --pubkey key.pem \\
        --expect N --out results.json [--save-first first.json]

It listens on 127.0.0.1:P, answers each POST 200 when both signatures verify
and 400 otherwise, runs negative self-checks on the first delivery (a
flipped body byte, a wrong secret, a stale or future timestamp, a moved
timestamp, a tampered RSA signature must all fail), writes what it saw to
--out, and exits 0 once N distinct events have verified; 1 on any failure,
or when --timeout seconds (default 30) pass first.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --- begin verify helper ---
TOLERANCE = 300  # seconds between the signature's t= and now


class SignatureError(Exception):
    pass


def verify_unicharge_signature(header, secret, body, tolerance=TOLERANCE, now=None):
    """Raise SignatureError unless `header` signs the raw `body` bytes."""
    t, sigs = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            t = int(value)
        elif key == "v1":
            sigs.append(value)
    if t is None:
        raise SignatureError("malformed header")
    if abs((time.time() if now is None else now) - t) > tolerance:
        raise SignatureError("timestamp outside the tolerance window")
    expected = hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), s.encode()) for s in sigs):
        raise SignatureError("no signature matches")


def verify_pingpp_signature(body, signature_b64, public_key_pem):
    """True if X-Pingplusplus-Signature is RSA-SHA256 over the raw body."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:  # pycryptodome, as the Ping++ Python SDK uses
        from Crypto.Hash import SHA256
        from Crypto.PublicKey import RSA
        from Crypto.Signature import pkcs1_15
        try:
            pkcs1_15.new(RSA.import_key(public_key_pem)).verify(SHA256.new(body), signature)
            return True
        except ValueError:
            return False
    key = serialization.load_pem_public_key(public_key_pem.encode())
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False
# --- end verify helper ---


def sign(secret, t, body):
    """The sender's side, for the self-checks only."""
    return "t=%d,v1=%s" % (t, hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest())


def self_checks(body, sig_header, pingpp_sig, secret, pem):
    """Negative (and a few positive) checks computed on one real delivery."""
    now = int(time.time())
    t = int(dict(p.strip().partition("=")[::2] for p in sig_header.split(","))["t"])
    flipped = bytearray(body)
    flipped[len(flipped) // 2] ^= 0x01
    flipped = bytes(flipped)
    raw_sig = bytearray(base64.b64decode(pingpp_sig))
    raw_sig[0] ^= 0x80
    bad_rsa = base64.b64encode(bytes(raw_sig)).decode()
    moved = sig_header.replace("t=%d" % t, "t=%d" % (t + 1), 1)

    def hmac_ok(header, sec, data, at=None):
        try:
            verify_unicharge_signature(header, sec, data, now=at)
            return True
        except SignatureError:
            return False

    checks = [
        ("real delivery verifies (HMAC)", hmac_ok(sig_header, secret, body), True),
        ("real delivery verifies (RSA)", verify_pingpp_signature(body, pingpp_sig, pem), True),
        ("flipped body byte fails HMAC", hmac_ok(sig_header, secret, flipped), False),
        ("flipped body byte fails RSA", verify_pingpp_signature(flipped, pingpp_sig, pem), False),
        ("wrong secret fails", hmac_ok(sig_header, secret + "x", body), False),
        ("empty secret fails", hmac_ok(sig_header, "", body), False),
        ("timestamp moved by 1 s fails", hmac_ok(moved, secret, body), False),
        ("header without t= fails", hmac_ok(sig_header.split(",", 1)[1], secret, body), False),
        ("header without v1= fails", hmac_ok("t=%d" % t, secret, body), False),
        ("correctly signed but 301 s old fails", hmac_ok(sign(secret, now - 301, body), secret, body), False),
        ("correctly signed 299 s old verifies", hmac_ok(sign(secret, now - 299, body), secret, body), True),
        ("correctly signed 301 s in the future fails", hmac_ok(sign(secret, now + 301, body), secret, body), False),
        ("real header checked 301 s later fails", hmac_ok(sig_header, secret, body, at=t + 301), False),
        ("tampered RSA signature fails", verify_pingpp_signature(body, bad_rsa, pem), False),
        ("non-base64 RSA signature fails", verify_pingpp_signature(body, "not base64!", pem), False),
        ("body re-serialized by json fails RSA",
         verify_pingpp_signature(json.dumps(json.loads(body)).encode(), pingpp_sig, pem), False),
    ]
    return [{"check": name, "got": got, "want": want, "ok": got == want} for name, got, want in checks]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True, help="the endpoint's whsec_ secret")
    ap.add_argument("--pubkey", required=True, help="PEM file from GET /platform_public_key.pem")
    ap.add_argument("--expect", type=int, required=True, help="distinct verified events to wait for")
    ap.add_argument("--out", required=True, help="JSON results file")
    ap.add_argument("--save-first", help="save the first delivery's raw body and headers (JSON) here")
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()
    with open(args.pubkey) as f:
        pem = f.read()

    lock = threading.Lock()
    done = threading.Event()
    state = {"deliveries": [], "self_checks": [], "verified_events": [], "failed": False}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            sig = self.headers.get("Unicharge-Signature", "")
            rsa_sig = self.headers.get("X-Pingplusplus-Signature", "")
            event_id = self.headers.get("Unicharge-Event-Id", "")
            rec = {"path": self.path, "event_id": event_id, "attempt": self.headers.get("Unicharge-Delivery-Attempt")}
            try:
                verify_unicharge_signature(sig, args.secret, body)
                rec["hmac"] = "ok"
            except SignatureError as e:
                rec["hmac"] = str(e)
            rec["rsa"] = "ok" if verify_pingpp_signature(body, rsa_sig, pem) else "failed"
            try:
                event = json.loads(body)
                rec["type"] = event.get("type")
                rec["id_matches_header"] = event.get("id") == event_id
            except ValueError:
                rec["id_matches_header"] = False
            ok = rec["hmac"] == "ok" and rec["rsa"] == "ok" and rec["id_matches_header"]
            rec["verified"] = ok
            with lock:
                if ok and not state["self_checks"]:
                    state["self_checks"] = self_checks(body, sig, rsa_sig, args.secret, pem)
                    if args.save_first:
                        with open(args.save_first, "w") as f:
                            json.dump({"headers": dict(self.headers.items()), "body": body.decode("utf-8")}, f)
                state["deliveries"].append(rec)
                if not ok or not all(c["ok"] for c in state["self_checks"]):
                    state["failed"] = True
                elif event_id not in state["verified_events"]:
                    state["verified_events"].append(event_id)
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"OK" if ok else b"signature verification failed")
            with lock:
                if state["failed"] or len(state["verified_events"]) >= args.expect:
                    done.set()

        def log_message(self, fmt, *a):
            sys.stderr.write("[py-receiver] %s\n" % (fmt % a))

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    finished = done.wait(args.timeout)
    server.shutdown()
    with lock:
        state["timed_out"] = not finished
        passed = finished and not state["failed"] and len(state["verified_events"]) >= args.expect
        state["passed"] = passed
        with open(args.out, "w") as f:
            json.dump(state, f, indent=2)
    for c in state["self_checks"]:
        if not c["ok"]:
            sys.stderr.write("[py-receiver] self-check FAILED: %s (got %s)\n" % (c["check"], c["got"]))
    sys.stderr.write("[py-receiver] %d/%d events verified, %d deliveries, %d self-checks%s\n" % (
        len(state["verified_events"]), args.expect, len(state["deliveries"]), len(state["self_checks"]),
        "" if finished else ", TIMED OUT"))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
