#!/usr/bin/env python3
"""Cross-checks Unicharge's WeChat Pay adapter against WeChat Pay SDKs nobody
here wrote: wechatpayv3 2.0.4 (APIv3) and wechatpy 1.8.18 (APIv2).

  (a) our v3 Authorization signature equals wechatpayv3 build_authorization's,
      and our client pay signs (wx, wx_pub) equal wechatpayv3 Core.sign's;
  (b) our v2 signs (MD5, HMAC-SHA256) and client signs equal wechatpy's;
  (c) v3 notifications signed with wechatpayv3's rsa_sign and encrypted with
      AES-GCM (checked by wechatpayv3 Core.callback, which must accept them
      too) are accepted by our parse_notify; tampered, stale, foreign ones are
      rejected;
  (d) v2 notifications built with wechatpy's dict_to_xml and signatures are
      accepted (wechatpy's parse_payment_result agrees on MD5 ones);
  (e) refund req_info: wechatpy's published vector decrypts identically, and a
      refund notification encrypted here with the `cryptography` package is
      accepted.

Parts adapted from the channel-xcheck tools (xcheck_wechatpay_v2.py,
xcheck_wechatpay_v3.py in the project's shared research folder). Our side is
the example binary `wechat_xcheck` (path in WECHAT_XCHECK_BIN). Prints one
line per check and exits non-zero on any mismatch.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import wechatpayv3.utils as U
from wechatpayv3.core import Core
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac, dict_to_xml
from wechatpy.crypto import WeChatRefundCrypto, RefundCrypto

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
VEC = os.path.join(ROOT, "tests", "vectors", "wechat")
BIN = os.environ.get("WECHAT_XCHECK_BIN") or os.path.join(ROOT, "target", "debug", "examples", "wechat_xcheck")
MCH_PRIV = os.path.join(VEC, "test-mch_private_pkcs8.pem")
PLATFORM_PRIV = os.path.join(VEC, "test-platform_private_pkcs8.pem")
PLATFORM_CERT = os.path.join(VEC, "test-platform_cert.pem")
PLATFORM_PUB = os.path.join(VEC, "test-platform_public.pem")
MCHID, APPID, MCH_SERIAL = "1900000001", "wx8888888888888888", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PLATFORM_SERIAL = "3775B6A45ACD588826D15E583A95F5DD2A3DA7DD"
APIV3_KEY = "0123456789abcdef0123456789ABCDEF"
API_KEY = "192006250b4c09247ec02edce69f6a2d"

failures, passed = [], []


def check(label, ok, detail=""):
    print(f"[{'AGREE' if ok else 'DIFFER'}] {label}" + ("" if ok else f"\n    {detail}"))
    (passed if ok else failures).append(label)


def ours(cmd, req):
    p = subprocess.run([BIN, cmd], input=json.dumps(req).encode(), capture_output=True, timeout=60)
    if p.returncode == 2:
        raise SystemExit(f"wechat_xcheck {cmd} failed: {p.stderr.decode()}")
    return json.loads(p.stdout.decode()), p.returncode == 0


def priv(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), password=None)


def read(path):
    return open(path).read()


# ---------------------------------------------------------------- (a) APIv3 signatures
def v3_signatures():
    key = priv(MCH_PRIV)
    cases = [
        ("POST", "/v3/pay/transactions/native", json.dumps({"appid": APPID, "mchid": MCHID, "description": "测试 & <x>",
                                                             "out_trade_no": "A10001", "amount": {"total": 1, "currency": "CNY"}},
                                                            ensure_ascii=False, separators=(",", ":"))),
        ("GET", f"/v3/pay/transactions/out-trade-no/A10001?mchid={MCHID}", ""),
        ("POST", "/v3/refund/domestic/refunds", '{"out_refund_no":"re_1","amount":{"refund":1,"total":1,"currency":"CNY"}}'),
        ("GET", "/v3/certificates", ""),
    ]
    for method, url, body in cases:
        ts, nonce = "1767294245", "593BEC0C930BF1AFEB40B4A08C8FB242"
        mine, _ = ours("v3-auth", {"private_key_file": MCH_PRIV, "mchid": MCHID, "serial": MCH_SERIAL,
                                   "method": method, "url": url, "body": body, "timestamp": ts, "nonce": nonce})
        real = U.time.time
        U.time.time = lambda: int(ts)
        try:
            theirs = U.build_authorization(url, method, MCHID, MCH_SERIAL, key, data=body or None, nonce_str=nonce)
        finally:
            U.time.time = real
        check(f"v3 Authorization {method} {url.split('?')[0]} == wechatpayv3 build_authorization",
              mine["authorization"] == theirs, f"ours   {mine['authorization']}\n    theirs {theirs}")

    core = Core.__new__(Core)
    core._private_key = key
    ts, nonce, prepay = "1767294245", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "wx201410272009395522657a690389285100"
    mine, _ = ours("v3-client", {"private_key_file": MCH_PRIV, "mchid": MCHID, "appid": APPID, "prepay_id": prepay,
                                 "timestamp": ts, "nonce": nonce})
    pub = mine["wx_pub"]
    check("v3 wx_pub paySign == wechatpayv3 Core.sign([appId, timeStamp, nonceStr, package])",
          pub["paySign"] == core.sign([APPID, ts, nonce, f"prepay_id={prepay}"]) and pub["signType"] == "RSA")
    check("v3 wx sign == wechatpayv3 Core.sign([appid, timestamp, noncestr, prepayid])",
          mine["wx"]["sign"] == core.sign([APPID, ts, nonce, prepay]))


# ---------------------------------------------------------------- (b) APIv2 signatures
def v2_signatures():
    doc = {"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test",
           "nonce_str": "ibuaiVcKdpRxkhJA"}
    mixed = {"appid": APPID, "mch_id": "10000100", "body": "中文 & <x> =?", "attach": "", "total_fee": "1234",
             "out_trade_no": "A10001", "nonce_str": "n1", "zeta": "z", "Alpha": "A"}
    for name, params in [("doc example", doc), ("unicode, empty, case", mixed)]:
        for st, fn in [("MD5", calculate_signature), ("HMAC-SHA256", calculate_signature_hmac)]:
            mine, _ = ours("v2-sign", {"api_key": API_KEY, "sign_type": st, "params": params})
            theirs = fn(dict(params), API_KEY)
            check(f"v2 {st} sign ({name}) == wechatpy", mine["sign"] == theirs, f"{mine['sign']} vs {theirs}")
    check("v2 MD5 doc example == 9A0A8659F005D6984697E2CA0A9CF3B7",
          ours("v2-sign", {"api_key": API_KEY, "sign_type": "MD5", "params": doc})[0]["sign"] == "9A0A8659F005D6984697E2CA0A9CF3B7")

    pay = WeChatPay(appid=APPID, api_key=API_KEY, mch_id="10000100")
    ts, nonce, prepay = "1767294245", "n0nce", "wx201"
    mine, _ = ours("v2-client", {"api_key": API_KEY, "sign_type": "MD5", "mch_id": "10000100", "appid": APPID,
                                 "prepay_id": prepay, "timestamp": ts, "nonce": nonce})
    js = pay.jsapi.get_jsapi_params(prepay, timestamp=ts, nonce_str=nonce)
    check("v2 wx_pub paySign == wechatpy jsapi.get_jsapi_params", mine["wx_pub"]["paySign"] == js["paySign"],
          f"{mine['wx_pub']} vs {js}")
    app = pay.order.get_appapi_params(prepay, timestamp=ts, nonce_str=nonce)
    check("v2 wx sign == wechatpy order.get_appapi_params", mine["wx"]["sign"] == app["sign"], f"{mine['wx']} vs {app}")


# ---------------------------------------------------------------- (c) APIv3 notifications
def v3_params(mode):
    p = {"api_version": "v3", "mchid": MCHID, "appid": APPID, "merchant_serial_no": MCH_SERIAL}
    if mode == "cert":
        p["platform_cert"] = read(PLATFORM_CERT)
    else:
        p["platform_public_key"] = read(PLATFORM_PUB)
        p["platform_public_key_id"] = "PUB_KEY_ID_0114232134912410000000000000"
    return p


def v3_notify(resource, event="TRANSACTION.SUCCESS", ts=None, serial=PLATFORM_SERIAL, key=None, tamper_ct=False):
    nonce = "fdasflkja484"
    ct = AESGCM(APIV3_KEY.encode()).encrypt(nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), b"transaction")
    if tamper_ct:
        ct = bytes([ct[0] ^ 1]) + ct[1:]
    body = json.dumps({"id": "EV-2018022511223320873", "create_time": "2015-05-20T13:29:35+08:00",
                       "resource_type": "encrypt-resource", "event_type": event, "summary": "支付成功",
                       "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(ct).decode(), "associated_data": "transaction",
                                    "nonce": nonce}}, ensure_ascii=False, separators=(",", ":"))
    ts = str(ts or int(time.time()))
    wnonce = "8aWRt0fJ5IhAmHgrwRCY4V9Csa4mMPp3"
    sig = U.rsa_sign(key or priv(PLATFORM_PRIV), f"{ts}\n{wnonce}\n{body}\n")
    headers = {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": wnonce, "Wechatpay-Signature": sig,
               "Wechatpay-Serial": serial, "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}
    return headers, body


def sdk_accepts(headers, body, serial):
    pub = priv(PLATFORM_PRIV).public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    core = Core(mchid=MCHID, cert_serial_no="X", private_key=read(MCH_PRIV), apiv3_key=APIV3_KEY,
                public_key=pub, public_key_id=serial)
    try:
        return core.callback(dict(headers), body) is not None
    except Exception:
        return False


def v3_notifications():
    tx = {"mchid": MCHID, "appid": APPID, "out_trade_no": "A10001", "transaction_id": "4200000001",
          "trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
          "success_time": "2026-01-02T03:04:05+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
          "amount": {"total": 1234, "payer_total": 1234, "currency": "CNY", "payer_currency": "CNY"}}
    secrets = {"merchant_private_key": read(MCH_PRIV), "apiv3_key": APIV3_KEY}
    for mode, serial in [("cert", PLATFORM_SERIAL), ("public key", "PUB_KEY_ID_0114232134912410000000000000")]:
        params = v3_params("cert" if mode == "cert" else "pk")
        headers, body = v3_notify(tx, serial=serial)
        check(f"v3 notification ({mode}) accepted by wechatpayv3 Core.callback", sdk_accepts(headers, body, serial))
        out, ok = ours("notify", {"params": params, "secrets": secrets, "headers": headers, "body": body})
        check(f"v3 TRANSACTION.SUCCESS ({mode}) accepted as paid",
              ok and out["outcome"] == {"kind": "charge", "order_no": "A10001", "amount": 1234,
                                        "status": {"transaction_no": "4200000001", "time_paid": 1767294245}}, out)
    params = v3_params("cert")
    refund = {"mchid": MCHID, "out_trade_no": "A10001", "transaction_id": "4200000001", "out_refund_no": "re_1",
              "refund_id": "50300000001", "refund_status": "SUCCESS", "success_time": "2026-01-02T03:04:05+08:00",
              "user_received_account": "招商银行信用卡0403",
              "amount": {"total": 1234, "refund": 100, "payer_total": 1234, "payer_refund": 100}}
    headers, body = v3_notify(refund, event="REFUND.SUCCESS")
    out, ok = ours("notify", {"params": params, "secrets": secrets, "headers": headers, "body": body})
    check("v3 REFUND.SUCCESS accepted", ok and out["outcome"]["kind"] == "refund" and out["outcome"]["amount"] == 100
          and out["outcome"]["refund_id"] == "re_1", out)

    def rejected(label, headers, body, p=params):
        out, ok = ours("notify", {"params": p, "secrets": secrets, "headers": headers, "body": body})
        check(f"v3 rejected: {label}", not ok, out)

    h, b = v3_notify(tx)
    tampered = b.replace("支付成功", "支付失败")  # the summary: the transaction itself is encrypted
    assert tampered != b
    rejected("tampered body", h, tampered)
    h2 = dict(h)
    h2["Wechatpay-Nonce"] = "other"
    rejected("tampered nonce", h2, b)
    rejected("stale timestamp (6 minutes)", *v3_notify(tx, ts=int(time.time()) - 360))
    rejected("unknown serial", *v3_notify(tx, serial="0123456789ABCDEF"))
    rejected("signed by the merchant key, not WeChat's", *v3_notify(tx, key=priv(MCH_PRIV)))
    rejected("tampered ciphertext (re-signed)", *v3_notify(tx, tamper_ct=True))
    rejected("another merchant's mchid", *v3_notify(dict(tx, mchid="1900000002")))
    rejected("another appid", *v3_notify(dict(tx, appid="wx0000000000000000")))


# ---------------------------------------------------------------- (d) APIv2 notifications
def v2_notifications():
    base = {"appid": APPID, "mch_id": "10000100", "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c", "return_code": "SUCCESS",
            "result_code": "SUCCESS", "openid": "oUpF8uMEb4qRXf22hE3X68TekukE", "trade_type": "NATIVE", "bank_type": "CFT",
            "total_fee": "1234", "cash_fee": "1234", "fee_type": "CNY", "transaction_id": "1004400740201409030005092168",
            "out_trade_no": "A10001", "attach": "支付测试", "time_end": "20260102030405", "is_subscribe": "Y"}
    for st in ["MD5", "HMAC-SHA256"]:
        params = {"api_version": "v2", "mch_id": "10000100", "appid": APPID, "sign_type": st}
        d = dict(base)
        if st == "HMAC-SHA256":
            d["sign_type"] = st
        sign = (calculate_signature_hmac if st == "HMAC-SHA256" else calculate_signature)(d, API_KEY)
        xml = dict_to_xml(d, sign)
        if st == "MD5":
            pay = WeChatPay(appid=APPID, api_key=API_KEY, mch_id="10000100")
            try:
                pay.parse_payment_result(xml)
                sdk_ok = True
            except Exception:
                sdk_ok = False
            check("v2 MD5 notification accepted by wechatpy parse_payment_result", sdk_ok)
        out, ok = ours("notify", {"params": params, "secrets": {"api_key": API_KEY}, "headers": {}, "body": xml})
        check(f"v2 {st} notification (wechatpy dict_to_xml) accepted as paid",
              ok and out["outcome"]["amount"] == 1234 and out["outcome"]["status"]["time_paid"] == 1767294245
              and out["ack"] == "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>",
              out)
        out, ok = ours("notify", {"params": params, "secrets": {"api_key": API_KEY}, "headers": {},
                                  "body": xml.replace("<total_fee>1234</total_fee>", "<total_fee>1</total_fee>")})
        check(f"v2 {st} rejected: tampered total_fee", not ok, out)
        other = dict(d, mch_id="10000101")
        xml = dict_to_xml(other, (calculate_signature_hmac if st == "HMAC-SHA256" else calculate_signature)(other, API_KEY))
        out, ok = ours("notify", {"params": params, "secrets": {"api_key": API_KEY}, "headers": {}, "body": xml})
        check(f"v2 {st} rejected: another mch_id", not ok, out)
    xxe = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           '<xml><appid>&xxe;</appid></xml>')
    out, ok = ours("notify", {"params": {"api_version": "v2", "mch_id": "10000100", "appid": APPID},
                              "secrets": {"api_key": API_KEY}, "headers": {}, "body": xxe})
    check("v2 rejected: XXE document", not ok and "DOCTYPE" in out.get("error", ""), out)


# ---------------------------------------------------------------- (e) refund req_info
def refund_req_info():
    key = "OF4Ne3znh8KqL0V4NqmALQa0uXMYKcEk"
    b64 = read(os.path.join(VEC, "wechatpy-refund_req_info.b64")).strip()
    theirs = RefundCrypto(WeChatRefundCrypto(key).key).decrypt(b64)
    theirs = theirs.decode() if isinstance(theirs, bytes) else theirs
    import xml.etree.ElementTree as ET
    their_fields = {c.tag: (c.text or "") for c in ET.fromstring(theirs)}
    mine, ok = ours("req-info", {"api_key": key, "req_info": b64})
    check("v2 req_info (wechatpy vector) decrypts as wechatpy RefundCrypto does", ok and mine["fields"] == their_fields,
          f"{mine} vs {their_fields}")
    inner = ("<root><out_refund_no><![CDATA[re_1]]></out_refund_no><out_trade_no><![CDATA[A10001]]></out_trade_no>"
             "<refund_fee><![CDATA[100]]></refund_fee><refund_id><![CDATA[50000000000000000000000000001]]></refund_id>"
             "<refund_status><![CDATA[SUCCESS]]></refund_status><success_time><![CDATA[2026-01-02 03:04:05]]></success_time>"
             "<total_fee><![CDATA[1234]]></total_fee></root>").encode()
    pad = 16 - len(inner) % 16
    enc = Cipher(algorithms.AES(hashlib.md5(API_KEY.encode()).hexdigest().encode()), modes.ECB()).encryptor()
    req_info = base64.b64encode(enc.update(inner + bytes([pad]) * pad) + enc.finalize()).decode()
    body = dict_to_xml({"return_code": "SUCCESS", "appid": APPID, "mch_id": "10000100", "nonce_str": "n", "req_info": req_info})
    out, ok = ours("notify", {"params": {"api_version": "v2", "mch_id": "10000100", "appid": APPID},
                              "secrets": {"api_key": API_KEY}, "headers": {}, "body": body})
    check("v2 refund notification accepted", ok and out["outcome"]["refund_id"] == "re_1" and out["outcome"]["amount"] == 100,
          out)


def main():
    v3_signatures()
    v2_signatures()
    v3_notifications()
    v2_notifications()
    refund_req_info()
    print(f"\n{len(passed)} agree, {len(failures)} differ")
    print("RESULT:", "OK" if not failures else "MISMATCH")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
