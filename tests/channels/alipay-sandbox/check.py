#!/usr/bin/env python3
"""Drives the Unicharge Alipay sandbox with Alipay SDKs nobody here wrote.

- python-alipay-sdk 3.4.0 (fzlee, `from alipay import AliPay`) calls the
  gateway over HTTP and verifies every response signature itself; its
  `AliPay.verify` checks the notifications the sandbox sends.
- alipay-sdk-python (official, `alipay.aop.api`) cannot reach a loopback
  port (its HTTP helper always dials 80/443), so its private response parser
  `DefaultAlipayClient.__parse_response` is fed the sandbox's raw answers,
  its `verify_with_rsa` checks notifications, and its `sdk_execute` /
  `page_execute` build the app, wap and page orders the cashier must accept.

Run through check.sh (it builds the sandbox and the virtual environment).
Both SDKs stamp `timestamp` with the local clock, so run with TZ=CST-8:
Alipay reads it as GMT+8. Exits 1 if any check fails.
"""
import argparse, json, re, socket, subprocess, sys, threading, time, traceback, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alipay import AliPay
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.constant.CommonConstants import THREAD_LOCAL
from alipay.aop.api.domain.AlipayTradeAppPayModel import AlipayTradeAppPayModel
from alipay.aop.api.domain.AlipayTradePagePayModel import AlipayTradePagePayModel
from alipay.aop.api.domain.AlipayTradeWapPayModel import AlipayTradeWapPayModel
from alipay.aop.api.request.AlipayTradeAppPayRequest import AlipayTradeAppPayRequest
from alipay.aop.api.request.AlipayTradePagePayRequest import AlipayTradePagePayRequest
from alipay.aop.api.request.AlipayTradeWapPayRequest import AlipayTradeWapPayRequest
from alipay.aop.api.util.SignatureUtils import get_sign_content, verify_with_rsa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
AUTH_CODE_WAIT = "281003000000000000"  # crates/sandboxes/src/alipay/mod.rs
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok)))
    print(f"[{'OK' if ok else 'FAIL'}] {name}" + (f"  -- {detail}" if detail and not ok else ""))


def pem_body(text):
    return "".join(l for l in text.strip().splitlines() if not l.startswith("-----"))


class Receiver:
    """notify_url: records each form; answers `fail` to the first one."""

    def __init__(self):
        self.got, self.replies = [], ["fail"]
        me = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                me.got.append(dict(urllib.parse.parse_qsl(raw, keep_blank_values=True)))
                body = (me.replies[len(me.got) - 1] if len(me.got) <= len(me.replies) else "success").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/alipay/notify"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def wait(self, n, secs=10):
        end = time.time() + secs
        while len(self.got) < n and time.time() < end:
            time.sleep(0.02)
        return list(self.got)


def http(url, data=None, accept_json=True):
    req = urllib.request.Request(url, data=data, headers={"Accept": "application/json"} if accept_json else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start_sandbox(args):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cmd = [args.bin, "--port", str(port), "--app-id", APP_ID, "--seller-id", SELLER_ID, "--time-scale", "240000",
           "--app-public-key", f"{args.keys}/sandbox-app_public.pem",
           "--alipay-private-key", f"{args.keys}/sandbox-alipay_private_pkcs8.pem"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        sys.exit(f"sandbox did not start: {line!r}")
    return proc, f"http://127.0.0.1:{port}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--keys", required=True)
    args = ap.parse_args()
    app_priv = open(f"{args.keys}/sandbox-app_private_pkcs1.pem").read()
    ali_pub = open(f"{args.keys}/sandbox-alipay_public.pem").read()
    rx = Receiver()
    proc, base = start_sandbox(args)
    gateway = base + "/sandbox/alipay/gateway.do"
    try:
        run(base, gateway, app_priv, ali_pub, rx)
    except Exception as e:  # an SDK raising (e.g. a signature it rejects) is a failure too
        traceback.print_exc()
        check("no SDK raised", False, repr(e))
    finally:
        proc.kill()
    failed = [n for n, ok in results if not ok]
    print(f"RESULT: {'OK' if not failed else 'FAIL'} ({len(results) - len(failed)}/{len(results)} checks)")
    sys.exit(1 if failed else 0)


def run(base, gateway, app_priv, ali_pub, rx):
    fz = AliPay(appid=APP_ID, app_notify_url=rx.url, app_private_key_string=app_priv,
                alipay_public_key_string=ali_pub, sign_type="RSA2")
    fz._gateway = gateway
    cfg = AlipayClientConfig()
    cfg.server_url, cfg.app_id = gateway, APP_ID
    cfg.app_private_key, cfg.alipay_public_key = pem_body(app_priv), pem_body(ali_pub)
    official = DefaultAlipayClient(cfg)

    def parse(raw_bytes):
        # execute() would set these per call before parsing.
        THREAD_LOCAL.uuid, THREAD_LOCAL.logger = "xcheck", None
        return official._DefaultAlipayClient__parse_response(raw_bytes)

    no = f"SDK{int(time.time() * 1000)}"

    # fzlee: every call below raises if the response signature fails.
    r = fz.api_alipay_trade_precreate(subject="Green tea 绿茶", out_trade_no=no, total_amount="12.34")
    check("fzlee precreate: signed 10000 with a cashier qr_code", r.get("code") == "10000"
          and r.get("qr_code", "").startswith(base + "/sandbox/alipay/qr/"), r)
    r2 = fz.api_alipay_trade_query(out_trade_no=no)
    check("fzlee query before scan: signed ACQ.TRADE_NOT_EXIST", r2.get("sub_code") == "ACQ.TRADE_NOT_EXIST", r2)

    status, body = http(r["qr_code"])
    view = json.loads(body)
    status, body = http(base + view["pay_url"], data=b"")
    paid = json.loads(body)
    check("cashier pay: paid, first notification answered fail", status == 200 and paid["status"] == "paid"
          and paid["notified"] is False, paid)
    got = rx.wait(2)
    check("notification retried after fail, then stopped on success", len(got) == 2, len(got))
    time.sleep(1.0)
    check("no delivery after success", len(rx.got) == 2, len(rx.got))
    for i, n in enumerate(got[:2]):
        data = dict(n)
        sign = data.pop("sign")
        check(f"notification {i + 1} verifies with fzlee AliPay.verify", fz.verify(dict(data), sign))
        data.pop("sign_type")
        content = get_sign_content(data).encode()
        check(f"notification {i + 1} verifies with official verify_with_rsa", verify_with_rsa(pem_body(ali_pub), content, sign))
    n = dict(got[0])
    check("notification fields", n.get("trade_status") == "TRADE_SUCCESS" and n.get("total_amount") == "12.34"
          and n.get("app_id") == APP_ID and n.get("seller_id") == SELLER_ID and n.get("out_trade_no") == no
          and n.get("trade_no") == view["trade_no"], n)
    forged = dict(n)
    sign = forged.pop("sign")
    forged["total_amount"] = "0.01"
    check("tampered notification fails fzlee verify", not fz.verify(forged, sign))

    r = fz.api_alipay_trade_query(out_trade_no=no)
    check("fzlee query after pay: TRADE_SUCCESS", r.get("trade_status") == "TRADE_SUCCESS"
          and r.get("total_amount") == "12.34", r)
    r = fz.api_alipay_trade_refund(refund_amount="2.00", out_trade_no=no, out_request_no="R1")
    check("fzlee refund: fund_change Y", r.get("code") == "10000" and r.get("fund_change") == "Y"
          and r.get("refund_fee") == "2.00", r)
    r = fz.api_alipay_trade_refund(refund_amount="2.00", out_trade_no=no, out_request_no="R1")
    check("fzlee refund repeated: fund_change N, nothing moved", r.get("fund_change") == "N"
          and r.get("refund_fee") == "2.00", r)
    r = fz.api_alipay_trade_refund(refund_amount="10.35", out_trade_no=no, out_request_no="R2")
    check("fzlee over-refund: ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", r.get("sub_code") == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", r)
    r = fz.api_alipay_trade_fastpay_refund_query(out_request_no="R1", out_trade_no=no)
    check("fzlee refund query: REFUND_SUCCESS", r.get("refund_status") == "REFUND_SUCCESS"
          and r.get("refund_amount") == "2.00", r)

    # The official SDK's own parser (and signature check) over raw answers.
    def raw(method, biz):
        return urllib.request.urlopen(gateway + "?" + fz.sign_data(fz.build_body(method, biz)), timeout=10).read()

    content = parse(raw("alipay.trade.query", {"out_trade_no": no}))
    check("official __parse_response accepts query", json.loads(content).get("trade_status") == "TRADE_SUCCESS", content)
    body = raw("alipay.trade.precreate", {"out_trade_no": no + "B", "total_amount": "1.00",
                                          "subject": "a/b \"q\" {x} 中文"})
    check("official __parse_response accepts precreate with escapes", json.loads(parse(body)).get("code") == "10000", body)
    tampered = raw("alipay.trade.query", {"out_trade_no": no}).replace(b"TRADE_SUCCESS", b"TRADE_CLOSED")
    try:
        parse(tampered)
        check("official __parse_response rejects a tampered answer", False)
    except Exception:
        check("official __parse_response rejects a tampered answer", True)

    # A request signed with another key: signed isv.invalid-signature.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
    bad = AliPay(appid=APP_ID, app_notify_url=None, app_private_key_string=other,
                 alipay_public_key_string=ali_pub, sign_type="RSA2")
    bad._gateway = gateway
    r = bad.api_alipay_trade_query(out_trade_no=no)
    check("forged request: signed 40002 isv.invalid-signature", r.get("code") == "40002"
          and r.get("sub_code") == "isv.invalid-signature", r)
    body = urllib.request.urlopen(gateway + "?" + bad.sign_data(bad.build_body("alipay.trade.query", {"out_trade_no": no}))).read()
    check("official __parse_response verifies the refusal", json.loads(parse(body)).get("sub_code") == "isv.invalid-signature")

    # Bar-code pay and cancel.
    r = fz.api_alipay_trade_pay(out_trade_no=no + "P", scene="bar_code", auth_code="280000000000000001",
                                subject="Scan", total_amount="3.00")
    check("fzlee trade.pay: paid at once", r.get("code") == "10000" and r.get("total_amount") == "3.00", r)
    r = fz.api_alipay_trade_pay(out_trade_no=no + "Q", scene="bar_code", auth_code=AUTH_CODE_WAIT,
                                subject="Scan", total_amount="3.00")
    check("fzlee trade.pay with the wait code: 10003", r.get("code") == "10003", r)
    r = fz.api_alipay_trade_cancel(out_trade_no=no + "Q")
    check("fzlee cancel: action close", r.get("code") == "10000" and r.get("action") == "close", r)

    # Orders built by the official SDK, brought to the cashier.
    m = AlipayTradeAppPayModel()
    m.out_trade_no, m.total_amount, m.subject, m.product_code = no + "A", "0.01", "App", "QUICK_MSECURITY_PAY"
    req = AlipayTradeAppPayRequest(biz_model=m)
    req.notify_url = rx.url
    order_info = official.sdk_execute(req)
    status, body = http(base + "/sandbox/alipay/app_pay", urllib.parse.urlencode({"order_info": order_info}).encode())
    check("official sdk_execute order string opens the cashier", status == 200
          and json.loads(body).get("out_trade_no") == no + "A", body[:300])
    m = AlipayTradePagePayModel()
    m.out_trade_no, m.total_amount, m.subject, m.product_code = no + "G", "99.90", "Page", "FAST_INSTANT_TRADE_PAY"
    url = official.page_execute(AlipayTradePagePayRequest(biz_model=m), http_method="GET")
    status, body = http(url, accept_json=False)
    check("official page_execute GET URL renders the cashier", status == 200 and "99.90" in body.decode(), body[:300])
    m = AlipayTradeWapPayModel()
    m.out_trade_no, m.total_amount, m.subject, m.product_code = no + "W", "5.00", "Wap", "QUICK_WAP_WAY"
    form = official.page_execute(AlipayTradeWapPayRequest(biz_model=m), http_method="POST")
    action = re.search(r'action="([^"]+)"', form).group(1)
    fields = {k: v.replace("&quot;", '"') for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    status, body = http(action, urllib.parse.urlencode(fields).encode())
    check("official page_execute POST form renders the cashier", status == 200
          and json.loads(body).get("total_amount") == "5.00", body[:300])
    wap = fz.client_api("alipay.trade.wap.pay", {"out_trade_no": no + "F", "total_amount": "6.00",
                                                 "subject": "Wap", "product_code": "QUICK_WAP_WAY"})
    status, body = http(gateway + "?" + wap)
    check("fzlee client_api wap order renders the cashier", status == 200
          and json.loads(body).get("total_amount") == "6.00", body[:300])


if __name__ == "__main__":
    main()
