"""The WeChat Pay sandbox driven by WeChat Pay SDKs from PyPI.

- wechatpayv3==2.0.4: its client signs every request and verifies every
  answer's signature itself (raising if one fails). In certificate mode it
  first downloads /v3/certificates from the sandbox and decrypts them with
  the APIv3 key; in public-key mode it verifies with the public key and its
  PUB_KEY_ID. Native prepay, query, close, refund, refund query; the
  sandbox's notifications must pass Core.callback (signature + AES-GCM).
- wechatpy==1.8.18: unifiedorder (NATIVE, MD5), orderquery, refund and
  refundquery over HTTP; WeChatPay.check_signature on the answers,
  parse_payment_result on the payment notification and WeChatRefundCrypto on
  the refund notification's req_info.

Exits non-zero on any failure.
"""

import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

MCHID = "1900000001"
APPID = "wxd678efh567hg6787"
MCH_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "0123456789abcdefABCDEF0123456789"
API_KEY = "192006250b4c09247ec02edce69f6a2d"

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok)))
    print(f"[{'OK' if ok else 'FAIL'}] {name}" + (f"  {detail}" if detail and not ok else ""), flush=True)


class Receiver:
    """A notify_url: records POSTs; answers the scripted statuses, then 204
    (v3) or the v2 SUCCESS XML."""

    def __init__(self, script, final_status, final_body):
        self.got = []
        me = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(n).decode("utf-8")
                me.got.append(({k: v for k, v in self.headers.items()}, body))
                i = len(me.got) - 1
                status, text = script[i] if i < len(script) else (final_status, final_body)
                self.send_response(status)
                self.end_headers()
                if text:
                    self.wfile.write(text.encode())

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/notify"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def wait(self, n, secs=10):
        end = time.time() + secs
        while time.time() < end and len(self.got) < n:
            time.sleep(0.02)
        return self.got


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(binary, keys, tmp, public_key_mode):
    v3k, v2k = os.path.join(tmp, "apiv3.key"), os.path.join(tmp, "api.key")
    open(v3k, "w").write(APIV3_KEY)
    open(v2k, "w").write(API_KEY)
    port = free_port()
    args = [binary, "--port", str(port), "--mchid", MCHID, "--appid", APPID,
            "--merchant-public-key", f"{keys}/sandbox-mch_cert.pem", "--merchant-serial", MCH_SERIAL,
            "--apiv3-key-file", v3k, "--api-key-file", v2k,
            "--platform-private-key", f"{keys}/sandbox-platform_private_pkcs8.pem", "--time-scale", "15000"]
    if public_key_mode:
        args.append("--public-key-mode")
    p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    info = {}
    for line in p.stdout:
        k, _, v = line.strip().partition(" ")
        info[k] = v
        if k == "listening":
            break
    return p, f"http://127.0.0.1:{port}", info


def buyer_pays(base, code_url):
    q = urllib.parse.urlencode({"code_url": code_url})
    req = urllib.request.Request(f"{base}/sandbox/wechat/scan?{q}", headers={"Accept": "application/json"})
    view = json.load(urllib.request.urlopen(req))
    req = urllib.request.Request(f"{base}/sandbox/wechat/cashier/{view['prepay_id']}/pay", data=b"",
                                 headers={"Accept": "application/json"}, method="POST")
    return json.load(urllib.request.urlopen(req))


def v3_client(base, keys, public_key_mode):
    from wechatpayv3 import WeChatPay, WeChatPayType
    from wechatpayv3.core import Core
    kw = dict(wechatpay_type=WeChatPayType.NATIVE, mchid=MCHID, private_key=open(f"{keys}/sandbox-mch_private_pkcs8.pem").read(),
              cert_serial_no=MCH_SERIAL, appid=APPID, apiv3_key=APIV3_KEY, notify_url="https://example.com/unused")
    if public_key_mode:
        wp = WeChatPay(public_key=open(f"{keys}/sandbox-platform_public.pem").read(), public_key_id=public_key_mode, **kw)
        wp._core._gate_way = base + "/sandbox/wechat"
        return wp
    # The SDK downloads certificates in its constructor, from the real host;
    # defer that until the gateway points at the sandbox.
    orig = Core._init_certificates
    Core._init_certificates = lambda self: None
    try:
        wp = WeChatPay(**kw)
    finally:
        Core._init_certificates = orig
    wp._core._gate_way = base + "/sandbox/wechat"
    wp._core._init_certificates()
    return wp


def run_v3(binary, keys, tmp, public_key_mode):
    label = "v3 public-key mode" if public_key_mode else "v3 certificate mode"
    proc, base, info = start(binary, keys, tmp, public_key_mode)
    try:
        wp = v3_client(base, keys, info["public_key_id"] if public_key_mode else None)
        if not public_key_mode:
            serials = [hex(c.serial_number)[2:].upper() for c in wp._core._certificates]
            check(f"{label}: /v3/certificates decrypted by wechatpayv3 (serial {info['platform_serial']})",
                  serials == [info["platform_serial"]], repr(serials))
        rx = Receiver([(500, '{"code":"FAIL","message":"失败"}')], 204, "")
        no = f"XC{int(time.time() * 1000)}"
        code, msg = wp.pay(description="Green tea", out_trade_no=no, amount={"total": 123}, notify_url=rx.url)
        check(f"{label}: native prepay answer verified by wechatpayv3", code == 200 and "weixin://wxpay/bizpayurl?pr=" in msg, msg)
        paid = buyer_pays(base, json.loads(msg)["code_url"])
        check(f"{label}: buyer pays at the cashier", paid.get("status") == "paid", repr(paid))
        got = rx.wait(2)
        check(f"{label}: notification retried after a 500", len(got) >= 2, f"{len(got)} attempts")
        for i, (h, body) in enumerate(got[:2]):
            data = wp.callback(h, body)
            res = (data or {}).get("resource", {})
            check(f"{label}: notification attempt {i + 1} passes wechatpayv3 Core.callback",
                  data and data["event_type"] == "TRANSACTION.SUCCESS" and res.get("out_trade_no") == no
                  and res.get("amount", {}).get("total") == 123 and res.get("mchid") == MCHID, repr(data))
        h, body = got[0]
        forged = body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ')
        check(f"{label}: a tampered notification fails wechatpayv3's check", wp.callback(h, forged) is None)
        code, msg = wp.query(out_trade_no=no)
        check(f"{label}: query answer verified, trade SUCCESS", code == 200 and json.loads(msg)["trade_state"] == "SUCCESS", msg)
        code, msg = wp.refund(out_refund_no=no + "R1", amount={"refund": 23, "total": 123, "currency": "CNY"},
                              out_trade_no=no, notify_url=rx.url)
        check(f"{label}: refund answer verified", code == 200 and json.loads(msg)["amount"]["refund"] == 23, msg)
        code, msg = wp.query_refund(out_refund_no=no + "R1")
        check(f"{label}: refund query verified, SUCCESS", code == 200 and json.loads(msg)["status"] == "SUCCESS", msg)
        code, msg = wp.refund(out_refund_no=no + "R2", amount={"refund": 101, "total": 123, "currency": "CNY"}, out_trade_no=no)
        check(f"{label}: over-refund refused with INVALID_REQUEST", code == 400 and json.loads(msg)["code"] == "INVALID_REQUEST", msg)
        got = rx.wait(3)
        refund = [wp.callback(h, b) for h, b in got[2:]]
        check(f"{label}: REFUND.SUCCESS passes Core.callback",
              refund and refund[0] and refund[0]["event_type"] == "REFUND.SUCCESS"
              and refund[0]["resource"]["refund_status"] == "SUCCESS", repr(refund))
        no2 = no + "C"
        wp.pay(description="x", out_trade_no=no2, amount={"total": 1})
        code, msg = wp.close(out_trade_no=no2)
        check(f"{label}: close answers 204, verified", code == 204, f"{code} {msg!r}")
        code, msg = wp.query(out_trade_no="NOPE" + no)
        check(f"{label}: unknown order answers 404 ORDER_NOT_EXIST", code == 404 and json.loads(msg)["code"] == "ORDER_NOT_EXIST", msg)
    except Exception as e:  # noqa: BLE001 - any SDK exception is a failed check
        check(f"{label}: flow ran without SDK exception", False, repr(e))
    finally:
        proc.terminate()
        proc.wait()


def run_v2(binary, keys, tmp):
    from wechatpy.crypto import WeChatRefundCrypto
    from wechatpy.pay import WeChatPay
    proc, base, _ = start(binary, keys, tmp, False)
    try:
        wp = WeChatPay(appid=APPID, api_key=API_KEY, mch_id=MCHID)
        wp.API_BASE_URL = base + "/sandbox/wechat/"
        ack = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
        rx = Receiver([], 200, ack)
        no = f"XV{int(time.time() * 1000)}"
        r = wp.order.create(trade_type="NATIVE", body="Green tea", total_fee=88, notify_url=rx.url,
                            client_ip="127.0.0.1", out_trade_no=no, product_id="P1")
        check("v2: unifiedorder answer signed (wechatpy check_signature, MD5)", wp.check_signature(dict(r)) and r["code_url"], repr(r))
        paid = buyer_pays(base, r["code_url"])
        got = rx.wait(1)
        n = wp.parse_payment_result(got[0][1]) if got else {}
        check("v2: payment notification passes wechatpy parse_payment_result",
              n.get("out_trade_no") == no and n.get("total_fee") == 88 and n.get("transaction_id") == paid["transaction_id"], repr(n))
        q = wp.order.query(out_trade_no=no)
        check("v2: orderquery answer signed, SUCCESS", wp.check_signature(dict(q)) and q["trade_state"] == "SUCCESS", repr(q))
        rf = wp.refund.apply(total_fee=88, refund_fee=8, out_refund_no=no + "R", out_trade_no=no, notify_url=rx.url)
        check("v2: refund answer signed", wp.check_signature(dict(rf)) and rf["refund_fee"] == "8", repr(rf))
        got = rx.wait(2)
        info = WeChatRefundCrypto(API_KEY).decrypt_message(got[1][1], APPID, MCHID) if len(got) > 1 else {}
        check("v2: refund notification req_info decrypts with wechatpy",
              info.get("out_refund_no") == no + "R" and info.get("refund_status") == "SUCCESS", repr(info))
        rq = wp.refund.query(out_refund_no=no + "R")
        check("v2: refundquery answer signed", wp.check_signature(dict(rq)) and rq["refund_status_0"] == "SUCCESS", repr(rq))
        bad = WeChatPay(appid=APPID, api_key="0" * 32, mch_id=MCHID)
        bad.API_BASE_URL = wp.API_BASE_URL
        try:
            bad.order.query(out_trade_no=no)
            check("v2: a wrong API key is refused", False)
        except Exception as e:  # noqa: BLE001
            check("v2: a wrong API key is refused (签名错误)", "签名错误" in str(e), repr(e))
    except Exception as e:  # noqa: BLE001
        check("v2: flow ran without SDK exception", False, repr(e))
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--keys", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_v3(a.bin, a.keys, tmp, False)
        run_v3(a.bin, a.keys, tmp, True)
        run_v2(a.bin, a.keys, tmp)
    failed = [n for n, ok in results if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
