#!/usr/bin/env python3
"""UnionPay (signMethod=01) cross-check against code nobody here wrote.

There is no usable UnionPay SDK on PyPI or npm, so the oracles are the
OpenSSL CLI and Python `cryptography`, plus the published yansongda/pay
signatures (tests/vectors/unionpay). Checks:
1. the adapter's request signatures equal yansongda's, made with the official
   test PFX (certId 69903319369), and OpenSSL's, byte for byte;
2. the same for our sandbox merchant PFX on a request of our own;
3. a notification made by independent code (the xcheck_unionpay.py
   make-notify logic, copied below) passes our parse_notify; tampered, or
   signed under another CA, it is refused;
4. an answer our sandbox signs passes `openssl verify -attime` (chain to the
   sandbox root/middle) and `openssl dgst -verify` over the SHA-256 hex.
Exits non-zero on any mismatch.
"""
import base64, hashlib, json, os, subprocess, sys, tempfile, time
from urllib.parse import urlencode, quote
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
VEC = os.path.join(ROOT, "tests/vectors/unionpay")
FIX = os.path.join(ROOT, "crates/sandboxes/fixtures/unionpay")
XCHECK = os.environ["UNIONPAY_XCHECK_BIN"]
ANSWER = os.environ["UNIONPAY_ANSWER_BIN"]
failures = []


def check(label, ok, detail=""):
    print(f"[{'AGREE' if ok else 'DIFFER'}] {label}" + ("" if ok else f"\n    {detail}"))
    if not ok:
        failures.append(label)


def run(args, stdin):
    return subprocess.run(args, input=stdin.encode(), capture_output=True, check=True).stdout.decode()


def openssl_sign(key, content):
    hexd = hashlib.sha256(content.encode()).hexdigest()
    with tempfile.NamedTemporaryFile(suffix=".pem") as kf:
        kf.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        kf.flush()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", kf.name], input=hexd.encode(), capture_output=True, check=True).stdout
    return base64.b64encode(sig).decode()


def sign_string(params, drop_empty):
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature" and not (drop_empty and params[k] == ""))


# 1. yansongda vectors with the official PFX.
pfx_path = os.path.join(VEC, "acp_test_sign.pfx")
key, cert, _ = pkcs12.load_key_and_certificates(open(pfx_path, "rb").read(), b"000000")
for case in ["testWebPay", "testQuery", "testCancel", "testRefund"]:
    req = json.load(open(os.path.join(VEC, f"{case}.request.json")))
    fields = {k: v for k, v in req.items() if k not in ("signature", "certId")}
    ours = json.loads(run([XCHECK, "sign", pfx_path, "000000"], json.dumps(fields)))
    check(f"{case}: certId", ours["certId"] == str(cert.serial_number), ours["certId"])
    check(f"{case}: signature = yansongda/pay's", ours["signature"] == req["signature"], ours["signature"])
    check(f"{case}: signature = OpenSSL's", ours["signature"] == openssl_sign(key, ours["content"]))
    check(f"{case}: sign content", ours["content"] == sign_string({**fields, "certId": ours["certId"]}, True))

# 2. our sandbox merchant PFX on our own request (blank fields dropped).
mpfx = os.path.join(FIX, "merchant.pfx")
mkey, mcert, _ = pkcs12.load_key_and_certificates(open(mpfx, "rb").read(), b"000000")
req = {"version": "5.1.0", "encoding": "UTF-8", "signMethod": "01", "txnType": "01", "txnSubType": "01", "bizType": "000201",
       "channelType": "07", "accessType": "0", "merId": "777290058110048", "orderId": "XCHECK20261205", "txnTime": "20261205120000",
       "txnAmt": "12345", "currencyCode": "156", "backUrl": "https://m.example/notify?a=1&b=2", "frontUrl": "https://m.example/done",
       "reqReserved": "中文 + = &", "riskRateInfo": ""}
ours = json.loads(run([XCHECK, "sign", mpfx, "000000"], json.dumps(req)))
check("merchant.pfx: certId", ours["certId"] == str(mcert.serial_number))
check("merchant.pfx: signature = OpenSSL's", ours["signature"] == openssl_sign(mkey, ours["content"]))
check("merchant.pfx: blank fields dropped", "riskRateInfo" not in ours["content"])


# 3. independent notifications through parse_notify (copied make-notify logic).
def make_notify(params, key_file, cert_file):
    k = serialization.load_pem_private_key(open(os.path.join(FIX, key_file), "rb").read(), password=None)
    c = x509.load_pem_x509_certificate(open(os.path.join(FIX, cert_file), "rb").read())
    p = dict(params)
    p["signPubKeyCert"] = c.public_bytes(serialization.Encoding.PEM).decode().replace("\n", "\r\n")
    s = sign_string(p, False)
    hexd = hashlib.sha256(s.encode("utf-8")).hexdigest()
    p["signature"] = base64.b64encode(k.sign(hexd.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())).decode()
    return urlencode(p)


notify = {"version": "5.1.0", "encoding": "UTF-8", "signMethod": "01", "txnType": "01", "txnSubType": "01", "bizType": "000201",
          "accessType": "0", "merId": "777290058110048", "orderId": "XCHECK20261205", "txnTime": "20261205120000", "txnAmt": "12345",
          "currencyCode": "156", "queryId": "702612051200000000001", "respCode": "00", "respMsg": "成功[0000000]", "reqReserved": ""}
out = run([XCHECK, "notify"], make_notify(notify, "sign.key", "sign.pem"))
check("independent notify accepted", "Charge" in out and "XCHECK20261205" in out and "amount: 12345" in out, out)
out = run([XCHECK, "notify"], make_notify(notify, "sign.key", "sign.pem").replace("txnAmt=12345", "txnAmt=12346"))
check("tampered notify refused", out.startswith("error: signature"), out)
out = run([XCHECK, "notify"], make_notify(notify, "other_sign.key", "other_sign.pem"))
check("notify under another CA refused", out.startswith("error: signature"), out)
out = run([XCHECK, "notify"], make_notify(notify, "expired_sign.key", "expired_sign.pem"))
check("notify with an expired certificate refused", out.startswith("error: signature"), out)

# 4. the sandbox's signed answer, checked by OpenSSL.
raw = run([ANSWER], json.dumps({"merId": "777290058110048", "orderId": "XCHECK20261205", "respCode": "00", "respMsg": "成功[0000000]", "tn": "123"}))
fields, key_, buf, depth, in_key = {}, "", [], 0, True
for ch in raw:  # SDKUtil.parseQString
    if in_key:
        if ch == "=":
            key_, buf, in_key = "".join(buf), [], False
        else:
            buf.append(ch)
        continue
    depth += ch in "{[" and 1 or (ch in "}]" and -1 or 0)
    if ch == "&" and depth == 0:
        fields[key_] = "".join(buf); key_, buf, in_key = "", [], True
    else:
        buf.append(ch)
fields[key_] = "".join(buf)
hexd = hashlib.sha256(sign_string(fields, False).encode()).hexdigest()
with tempfile.TemporaryDirectory() as d:
    open(f"{d}/c.pem", "w").write(fields["signPubKeyCert"].replace("\r\n", "\n"))
    c = x509.load_pem_x509_certificate(open(f"{d}/c.pem", "rb").read())
    open(f"{d}/p.pem", "wb").write(c.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    open(f"{d}/s.bin", "wb").write(base64.b64decode(fields["signature"]))
    v = subprocess.run(["openssl", "verify", "-attime", str(int(time.time())), "-CAfile", f"{FIX}/root.pem", "-untrusted", f"{FIX}/middle.pem", f"{d}/c.pem"], capture_output=True)
    check("sandbox signPubKeyCert chains to the sandbox root (openssl verify)", v.returncode == 0, v.stdout + v.stderr)
    w = subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"{d}/p.pem", "-signature", f"{d}/s.bin"], input=hexd.encode(), capture_output=True)
    check("sandbox answer signature (openssl dgst -verify over the hex)", w.returncode == 0, w.stdout + w.stderr)
    cn = c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    check("sandbox signPubKeyCert CN names UnionPay", cn.split("@")[2] == "中国银联股份有限公司", cn)

print(f"{len(failures)} failed" if failures else "RESULT: OK")
sys.exit(1 if failures else 0)
