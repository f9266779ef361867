#!/usr/bin/env python3
"""Cross-checks Unicharge's Alipay adapter against Alipay SDKs nobody here wrote:
alipay-sdk-python (official, `alipay.aop.api`) and python-alipay-sdk 3.4.0
(fzlee, `alipay.AliPay`).

  (a) our sign content, signature and app-pay orderInfo are byte-identical
      with the SDKs' for the same key and parameters;
  (b) notifications signed with the SDK's signing function are accepted by our
      parse_notify (V1 and V2), and tampered / foreign ones are rejected;
  (c) responses signed with the SDK's signing function, serialised the ways the
      SDKs and Alipay do, are accepted by our response check, and tampered ones
      rejected.

Our side is `cargo run -p unicharge-channels --example alipay_xcheck` (path in
ALIPAY_XCHECK_BIN). Prints one line per check and exits non-zero on any mismatch.
"""
import datetime
import json
import os
import subprocess
import sys
from urllib.parse import quote_plus, urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from alipay_ref import extract_response_content, notify_check_content, pem_body, pkcs1_body, sign_content  # noqa: E402

from cryptography.hazmat.primitives import serialization  # noqa: E402

from alipay import AliPay  # noqa: E402  (fzlee)
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2  # noqa: E402
from alipay.aop.api.util.WebUtils import url_encode  # noqa: E402
import alipay.aop.api.DefaultAlipayClient as official_client  # noqa: E402
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig  # noqa: E402
from alipay.aop.api.request.AlipayTradeAppPayRequest import AlipayTradeAppPayRequest  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
VEC = os.path.join(ROOT, "tests", "vectors", "alipay")
BIN = os.environ.get("ALIPAY_XCHECK_BIN") or os.path.join(ROOT, "target", "debug", "examples", "alipay_xcheck")
APP_PRIV = os.path.join(VEC, "test-alipay_app_private_pkcs1.pem")
PLATFORM_PRIV = os.path.join(VEC, "test-alipay_platform_private_pkcs8.pem")
PLATFORM_PUB = os.path.join(VEC, "test-alipay_platform_public.pem")
APP_ID = "2021000000000001"

failures = []
passed = []


def check(label, ok, detail=""):
    print(f"[{'AGREE' if ok else 'DIFFER'}] {label}" + ("" if ok else f"\n    {detail}"))
    (passed if ok else failures).append(label)


def ours(cmd, req):
    p = subprocess.run([BIN, cmd], input=json.dumps(req).encode(), capture_output=True, timeout=60)
    if p.returncode == 2:
        raise SystemExit(f"alipay_xcheck {cmd} failed: {p.stderr.decode()}")
    return json.loads(p.stdout.decode()), p.returncode == 0


def load_key(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), password=None)


def spki(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


APP_KEY, PLATFORM_KEY = load_key(APP_PRIV), load_key(PLATFORM_PRIV)


def fzlee(priv_pem=None, pub_pem=None):
    return AliPay(appid=APP_ID, app_notify_url=None, app_private_key_string=priv_pem,
                  alipay_public_key_string=pub_pem, sign_type="RSA2")


def official_sign(key, content):
    return sign_with_rsa2(pkcs1_body(key), content, "utf-8")


# ---------------------------------------------------------------- (a) request signing
def fragments(query):
    return sorted(query.split("&"))


def check_signing(label, params, ours_out):
    # Empty values are never sent (Alipay's rule drops them from the signature), so the SDKs
    # get the parameters that actually go out.
    params = {k: v for k, v in params.items() if k != "sign" and v != ""}
    content = get_sign_content(params)
    check(f"{label}: sign content == official get_sign_content", ours_out["sign_content"] == content,
          f"ours={ours_out['sign_content']!r}\n    sdk ={content!r}")
    cli = fzlee(open(APP_PRIV).read(), spki(APP_KEY))
    fz_content = "&".join(f"{k}={v}" for k, v in cli._ordered_data(dict(params)))
    check(f"{label}: sign content == fzlee _ordered_data", ours_out["sign_content"] == fz_content)
    sig = official_sign(APP_KEY, content)
    check(f"{label}: sign == official sign_with_rsa2", ours_out["sign"] == sig, f"ours={ours_out['sign']}\n    sdk ={sig}")
    check(f"{label}: sign == fzlee _sign", ours_out["sign"] == cli._sign(fz_content))
    signed = dict(params, sign=sig)
    official_query = url_encode(dict(sorted(signed.items())), "utf-8")
    check(f"{label}: orderInfo == official url_encode(sorted params + sign)", ours_out["order_info"] == official_query,
          f"ours={ours_out['order_info']!r}\n    sdk ={official_query!r}")
    fz = cli.sign_data(dict(params))
    check(f"{label}: orderInfo == fzlee sign_data (same k=v pieces; fzlee puts sign last)",
          fragments(ours_out["order_info"]) == fragments(fz) and fz.endswith("&sign=" + quote_plus(sig)))


def check_requests():
    awkward = {
        "app_id": APP_ID, "method": "alipay.trade.precreate", "format": "JSON", "charset": "utf-8",
        "sign_type": "RSA2", "timestamp": "2026-01-02 03:04:05", "version": "1.0",
        "notify_url": "https://pay.example.com/notify/alipay_qr/app_1/live?x=1&y=%2F",
        "return_url": "",
        "biz_content": json.dumps({"out_trade_no": "A1", "total_amount": "0.01",
                                   "subject": "测试 & = + % / \\ \" ~*'()! 😀 end", "product_code": "FACE_TO_FACE_PAYMENT"},
                                  ensure_ascii=False, separators=(",", ":")),
    }
    for label, params in [("precreate with awkward values", awkward),
                          ("ascii-escaped biz_content", dict(awkward, biz_content=json.dumps({"subject": "中文 x"})))]:
        out, _ = ours("sign", {"private_key_file": APP_PRIV, "params": params})
        check_signing(label, params, out)

    # The adapter's own app-pay order string, against the official SDK's sdkExecute.
    req = {"private_key_file": APP_PRIV, "app_id": APP_ID, "notify_url": "https://pay.example.com/notify/alipay/app_1/live",
           "timestamp": 1767294245,
           "charge": {"order_no": "202601020001", "amount": 12345, "subject": "会员 Plus & more", "body": "一年 / 1 year",
                      "time_expire": 1767380645}}
    out, _ = ours("app-pay", req)
    params = out["params"]
    check_signing("adapter alipay.trade.app.pay", params, out)

    class FixedClock:  # sdk_execute stamps datetime.now(); pin it to the adapter's timestamp
        class datetime:
            @staticmethod
            def now():
                return datetime.datetime(2026, 1, 2, 3, 4, 5)

    real = official_client.datetime
    official_client.datetime = FixedClock
    try:
        cfg = AlipayClientConfig()
        cfg.app_id, cfg.app_private_key, cfg.alipay_public_key = APP_ID, pkcs1_body(APP_KEY), pem_body(spki(PLATFORM_KEY).encode())
        cfg.format, cfg.charset, cfg.sign_type = "JSON", "utf-8", "RSA2"
        client = official_client.DefaultAlipayClient(cfg)
        r = AlipayTradeAppPayRequest()
        # Passed through as the exact string the adapter signed (a model would be re-serialised).
        r.add_other_text_param("biz_content", params["biz_content"])
        r.notify_url = params["notify_url"]
        sdk = client.sdk_execute(r)
    finally:
        official_client.datetime = real
    check("adapter orderInfo == official DefaultAlipayClient.sdk_execute (same k=v pieces, sorted)",
          fragments(out["order_info"]) == fragments(sdk), f"ours={out['order_info']}\n    sdk ={sdk}")
    check("adapter orderInfo is sorted, sign in place", out["order_info"].split("&") == fragments(out["order_info"]))


# ---------------------------------------------------------------- (b) notifications
def notify_params(**over):
    p = {"notify_type": "trade_status_sync", "notify_id": "2026010200222030405000000001", "notify_time": "2026-01-02 03:04:06",
         "app_id": APP_ID, "auth_app_id": APP_ID, "charset": "utf-8", "version": "1.0", "sign_type": "RSA2",
         "trade_no": "2026010222001400000000000001", "out_trade_no": "202601020001", "trade_status": "TRADE_SUCCESS",
         "total_amount": "123.45", "receipt_amount": "123.45", "buyer_pay_amount": "123.45", "point_amount": "0.00",
         "gmt_create": "2026-01-02 03:04:00", "gmt_payment": "2026-01-02 03:04:05", "seller_id": "2088000000000001",
         "buyer_id": "2088102000000001", "subject": "会员 Plus & more 100% + x=y",
         "fund_bill_list": json.dumps([{"amount": "123.45", "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")),
         "passback_params": ""}
    p.update(over)
    return p


def sdk_signed(params, key=PLATFORM_KEY, v2=False):
    p = dict(params)
    p["sign"] = official_sign(key, notify_check_content(p, keep_sign_type=v2))
    return p


def our_notify(params, app_id=APP_ID):
    return ours("notify", {"alipay_public_key_file": PLATFORM_PUB, "app_id": app_id,
                           "body": urlencode(params, quote_via=quote_plus)})


def check_notifications():
    fz = fzlee(open(APP_PRIV).read(), spki(PLATFORM_KEY))
    good = sdk_signed(notify_params())
    d = dict(good)
    s = d.pop("sign")
    check("notify: the SDK-signed notification verifies with fzlee AliPay.verify (oracle sanity)", fz.verify(d, s))
    out, ok = our_notify(good)
    check("notify V1 (SDK-signed) accepted by parse_notify, paid 12345 fen",
          ok and "amount: 12345" in out.get("outcome", "") and "Paid" in out.get("outcome", ""), json.dumps(out))
    out, ok = our_notify(sdk_signed(notify_params(), v2=True))
    check("notify V2 (sign_type kept) accepted", ok, json.dumps(out))
    out, ok = our_notify(sdk_signed(notify_params(trade_status="WAIT_BUYER_PAY")))
    check("notify WAIT_BUYER_PAY accepted and ignored", ok and out.get("outcome") == "Ignored", json.dumps(out))
    tampered = dict(good, total_amount="0.01")
    check("notify with tampered amount rejected", not our_notify(tampered)[1])
    check("notify signed with another key rejected", not our_notify(sdk_signed(notify_params(), key=APP_KEY))[1])
    check("notify for another app_id rejected", not our_notify(good, app_id="2021000000000002")[1])
    unsigned = notify_params()
    check("unsigned notify rejected", not our_notify(unsigned)[1])
    # Alipay's own 2019 notification (real keys), as the SDK test suite publishes it.
    real = json.load(open(os.path.join(VEC, "nodejs-notify_trade_2019-08-15.json")))
    out, ok = ours("notify", {"alipay_public_key_file": os.path.join(VEC, "nodejs-alipay-notify-v1-inline-public-key.pem"),
                              "app_id": real["app_id"], "body": urlencode(real, quote_via=quote_plus)})
    check("Alipay's published 2019-08-15 notification accepted", ok, json.dumps(out))


# ---------------------------------------------------------------- (c) responses
def official_parse(raw):
    import alipay.aop.api.constant.CommonConstants as cc
    cfg = AlipayClientConfig()
    cfg.alipay_public_key, cfg.app_private_key = pem_body(spki(PLATFORM_KEY).encode()), "x"
    cc.THREAD_LOCAL.uuid, cc.THREAD_LOCAL.logger = "xcheck", None
    client = official_client.DefaultAlipayClient(cfg)
    return client._DefaultAlipayClient__parse_response(raw.encode("utf-8"))


def check_responses():
    body = {"code": "10000", "msg": "Success", "trade_no": "2026010222001400000000000001", "out_trade_no": "202601020001",
            "buyer_logon_id": "abc***@example.com", "trade_status": "TRADE_SUCCESS", "total_amount": "123.45",
            "send_pay_date": "2026-01-02 03:04:05", "store_name": "店 {A} \"B\" \\ /x"}
    method = "alipay.trade.query"
    key = method.replace(".", "_") + "_response"
    renderings = {
        "compact UTF-8 (Node SDK / Java gateway)": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        "ascii \\u escapes (fzlee)": json.dumps(body, separators=(",", ":")),
        "spaced separators (official Python)": json.dumps(body, ensure_ascii=False),
        "escaped slashes (Alipay's gateway)": json.dumps(body, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/"),
    }
    for label, text in renderings.items():
        sig = official_sign(PLATFORM_KEY, text)
        for between in ["", ',"alipay_cert_sn":"7513daaaa48aa3ba2e4018d84402479c"']:
            raw = '{"' + key + '":' + text + between + ',"sign":"' + sig + '"}'
            out, ok = ours("response", {"alipay_public_key_file": PLATFORM_PUB, "method": method, "raw": raw})
            where = " with alipay_cert_sn" if between else ""
            check(f"response {label}{where}: SDK-signed answer accepted", ok, json.dumps(out))
            check(f"response {label}{where}: same signed substring as the reference extractor",
                  out.get("signed_content") == extract_response_content(raw, method))
            if not between:  # the official parser's regex needs "sign" right after the response object
                check(f"response {label}: same signed substring as official DefaultAlipayClient.__parse_response",
                      out.get("signed_content") == official_parse(raw))
            bad = raw.replace("123.45", "123.46", 1)
            check(f"response {label}{where}: tampered answer rejected", not ours("response", {
                "alipay_public_key_file": PLATFORM_PUB, "method": method, "raw": bad})[1])
    raw = open(os.path.join(VEC, "nodejs-response_open_file_upload.json")).read().rstrip("\n")
    out, ok = ours("response", {"alipay_public_key_file": os.path.join(VEC, "nodejs-alipay-public-key.pem"),
                                "method": "alipay.open.file.upload", "raw": raw})
    check("Alipay's published alipay.open.file.upload answer accepted", ok, json.dumps(out))


def main():
    if not os.path.exists(BIN):
        raise SystemExit(f"{BIN} is missing: cargo build -p unicharge-channels --example alipay_xcheck")
    check_requests()
    check_notifications()
    check_responses()
    for f in failures:
        print("  failed:", f)
    print(f"alipay-xcheck: {len(passed)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
