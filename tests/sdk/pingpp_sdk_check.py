#!/usr/bin/env python3
"""Drive a running Unicharge server with the official Ping++ Python SDK.

Uses the unmodified `pingpp==2.7.2` package from PyPI; the only changes from a
Ping++ merchant's setup are `pingpp.api_base` and the key. Each numbered check
is a group of assertions. The script stops at the first failed check and
prints a last line of the form

    pingpp-sdk: N passed, M failed

exiting 0 when M is 0 and 1 otherwise (2 for bad arguments or a missing SDK).

    python3 pingpp_sdk_check.py --base http://127.0.0.1:8080 \
        --key sk_test_... --app app_... [--private-key merchant.pem]

With --private-key the SDK signs every request (`pingpp.private_key_path`),
and one more check asserts that the server refuses unsigned and wrongly
signed requests for that app.

Only the standard library and the `pingpp` package are used. Raw HTTP calls
(the sandbox pay page and `GET /v1/events`, which the Python SDK has no method
for) go through urllib with proxies disabled; the raw API call is signed with
the SDK's own `APIRequestor` helpers, so it is signed exactly as the SDK would.
"""

import argparse
import json
import secrets
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

try:
    import pingpp
    from pingpp import api_requestor
except ImportError:  # pragma: no cover - environment problem, not a check
    sys.stderr.write("pingpp-sdk: the 'pingpp' package is not installed (pip install pingpp==2.7.2)\n")
    sys.exit(2)

EXPECTED_SDK_VERSION = "2.7.2"
MISSING_CHARGE = "ch_doesnotexist000000000000"
BOGUS_KEY = "sk_test_bogus"
PAID_WAIT_SECS = 15.0

# urllib without proxies: CI machines may export HTTP_PROXY, which must not
# capture loopback traffic.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CheckFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def expect_eq(actual, expected, what):
    expect(actual == expected, "%s: expected %r, got %r" % (what, expected, actual))


def expect_type(obj, cls, what):
    expect(
        type(obj) is cls,
        "%s: expected an instance of %s.%s, got %s.%s"
        % (what, cls.__module__, cls.__name__, type(obj).__module__, type(obj).__name__),
    )


def describe_sdk_error(e):
    return "%s(http_status=%r, code=%r, param=%r, message=%r, body=%r)" % (
        type(e).__name__,
        getattr(e, "http_status", None),
        getattr(e, "code", None),
        getattr(e, "param", None),
        str(e),
        getattr(e, "http_body", None),
    )


def expect_sdk_error(cls, http_status, fn, what):
    """Call fn, which must raise the SDK exception `cls` with `http_status`."""
    try:
        result = fn()
    except pingpp.error.PingppError as e:
        expect(
            type(e) is cls,
            "%s: expected pingpp.error.%s, got %s" % (what, cls.__name__, describe_sdk_error(e)),
        )
        expect(
            e.http_status == http_status,
            "%s: expected HTTP %s, got %s" % (what, http_status, describe_sdk_error(e)),
        )
        return e
    raise CheckFailed(
        "%s: expected pingpp.error.%s (HTTP %s), but the call succeeded and returned %s"
        % (what, cls.__name__, http_status, _short(result))
    )


def _short(obj, limit=600):
    try:
        s = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)
    except Exception:
        s = repr(obj)
    return s if len(s) <= limit else s[:limit] + "..."


def http(method, url, body=None, headers=None):
    """Plain HTTP through urllib. Returns (status, headers, body bytes)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
    except (urllib.error.URLError, OSError) as e:
        raise CheckFailed("%s %s: no HTTP answer: %s" % (method, url, getattr(e, "reason", e)))


def parse_json(status, raw, what):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CheckFailed("%s: HTTP %s with a body that is not JSON: %r" % (what, status, raw[:500]))


def new_order_no():
    # 3 + 14 = 17 letters and digits (Ping++ recommends 8-20 alphanumerics).
    return "sdk" + secrets.token_hex(7)


class Context:
    def __init__(self, args):
        self.base = args.base.rstrip("/")
        self.key = args.key
        self.app = args.app
        self.private_key = args.private_key
        self.charge_id = None
        self.order_no = None
        self.pay_url = None
        self.refund_ids = []

    def charge_params(self, order_no, amount=100):
        return dict(
            order_no=order_no,
            app=dict(id=self.app),
            channel="sandbox",
            amount=amount,
            client_ip="127.0.0.1",
            currency="cny",
            subject="SDK check",
            body="Ping++ SDK conformance",
            metadata={"k": "v"},
        )

    def api_get_raw(self, path, params=None, sign=True, sign_uri=None):
        """GET an API path with urllib, authenticated and (when a private key
        is configured) signed exactly like pingpp 2.7.2's APIRequestor does:
        base64(RSA-SHA256 PKCS#1 v1.5 over body + request_uri + timestamp),
        with an empty body for GET and the query encoded by the SDK's own
        `_api_encode` + urlencode."""
        request_uri = path
        if params:
            query = urllib.parse.urlencode(list(api_requestor._api_encode(params)))
            request_uri = "%s?%s" % (path, query)
        requestor = api_requestor.APIRequestor(self.key)
        timestamp = api_requestor._get_utc_timestamp()
        headers = {
            "Authorization": "Bearer %s" % self.key,
            "Accept": "application/json",
            "Pingplusplus-Request-Timestamp": timestamp,
        }
        privkey = requestor.get_private_key() if sign else None
        if privkey is not None:
            data = requestor.get_rsa_verify_data(None, sign_uri or request_uri, int(timestamp))
            headers["Pingplusplus-Signature"] = requestor.rsa_sign(privkey, data).decode("ascii")
        status, _, raw = http("GET", self.base + request_uri, headers=headers)
        return status, raw


class SigningDisabled:
    """Temporarily make the SDK send unsigned requests."""

    def __enter__(self):
        self.saved = (pingpp.private_key, pingpp.private_key_path)
        pingpp.private_key = None
        pingpp.private_key_path = None

    def __exit__(self, *exc):
        pingpp.private_key, pingpp.private_key_path = self.saved
        return False


# --------------------------------------------------------------------------
# Checks. Each function is one check (a group of assertions); they run in
# order and share state through the Context.
# --------------------------------------------------------------------------


def check_create(c):
    c.order_no = new_order_no()
    ch = pingpp.Charge.create(**c.charge_params(c.order_no))
    expect_type(ch, pingpp.Charge, "Charge.create result")
    expect(isinstance(ch.get("id"), str) and ch.id.startswith("ch_"), "id should start with 'ch_', got %r" % ch.get("id"))
    c.charge_id = ch.id
    expect_eq(ch.get("object"), "charge", "object")
    expect(ch.get("livemode") is False, "livemode should be false for a test key, got %r" % ch.get("livemode"))
    for flag in ("paid", "refunded", "reversed"):
        expect(ch.get(flag) is False, "%s should be false on a new charge, got %r" % (flag, ch.get(flag)))
    expect_eq(ch.get("amount"), 100, "amount")
    expect_eq(ch.get("app"), c.app, "app")
    expect_eq(ch.get("channel"), "sandbox", "channel")
    expect_eq(ch.get("order_no"), c.order_no, "order_no")
    expect_eq(ch.get("currency"), "cny", "currency")
    metadata = ch.get("metadata")
    expect(isinstance(metadata, dict), "metadata should be an object, got %r" % (metadata,))
    expect_eq(metadata.get("k"), "v", "metadata.k")
    cred = ch.get("credential")
    expect(isinstance(cred, dict), "credential should be an object, got %r" % (cred,))
    expect_eq(cred.get("object"), "credential", "credential['object']")
    sandbox = cred.get("sandbox")
    expect(isinstance(sandbox, dict), "credential['sandbox'] should be an object, got %r" % (sandbox,))
    pay_url = sandbox.get("pay_url")
    expect(isinstance(pay_url, str), "credential['sandbox']['pay_url'] should be a string, got %r" % (pay_url,))
    parts = urllib.parse.urlsplit(pay_url)
    expect(
        parts.scheme in ("http", "https") and parts.netloc,
        "credential['sandbox']['pay_url'] should be an absolute http(s) URL, got %r" % pay_url,
    )
    c.pay_url = pay_url
    refunds = ch.get("refunds")
    expect_type(refunds, pingpp.ListObject, "charge.refunds")
    expect_eq(refunds.get("object"), "list", "refunds.object")
    expect_eq(refunds.get("url"), "/v1/charges/%s/refunds" % ch.id, "refunds.url")
    expect(isinstance(refunds.get("data"), list), "refunds.data should be an array, got %r" % (refunds.get("data"),))
    return "%s (order_no %s)" % (ch.id, c.order_no)


def check_retrieve(c):
    ch = pingpp.Charge.retrieve(c.charge_id)
    expect_type(ch, pingpp.Charge, "Charge.retrieve result")
    expect_eq(ch.get("id"), c.charge_id, "id")
    expect_eq(ch.get("amount"), 100, "amount")
    expect_eq(ch.get("order_no"), c.order_no, "order_no")
    expect(ch.get("paid") is False, "paid should still be false, got %r" % ch.get("paid"))


def check_list(c):
    lst = pingpp.Charge.list(app=dict(id=c.app), limit=3)
    expect_type(lst, pingpp.ListObject, "Charge.list result")
    expect_eq(lst.get("object"), "list", "object")
    expect(isinstance(lst.get("has_more"), bool), "has_more should be a boolean, got %r" % (lst.get("has_more"),))
    expect_eq(lst.get("url"), "/v1/charges", "url")
    data = lst.get("data")
    expect(isinstance(data, list), "data should be an array, got %r" % (data,))
    expect(len(data) <= 3, "limit=3 returned %d charges" % len(data))
    for item in data:
        expect_type(item, pingpp.Charge, "list item")
        expect_eq(item.get("app"), c.app, "list item app")
    ids = [item.get("id") for item in data]
    expect(c.charge_id in ids, "the new charge %s is not in the first page %r" % (c.charge_id, ids))


def check_error_amount(c):
    e = expect_sdk_error(
        pingpp.error.InvalidRequestError,
        400,
        lambda: pingpp.Charge.create(**c.charge_params(new_order_no(), amount=0)),
        "Charge.create(amount=0)",
    )
    expect_eq(e.param, "amount", "error param for amount=0")
    return "code=%s" % e.code


def check_error_not_found(c):
    e = expect_sdk_error(
        pingpp.error.InvalidRequestError,
        404,
        lambda: pingpp.Charge.retrieve(MISSING_CHARGE),
        "Charge.retrieve(%r)" % MISSING_CHARGE,
    )
    return "code=%s" % e.code


def check_error_bad_key(c):
    expect_sdk_error(
        pingpp.error.AuthenticationError,
        401,
        lambda: pingpp.Charge.retrieve(c.charge_id, api_key=BOGUS_KEY),
        "Charge.retrieve with key %r" % BOGUS_KEY,
    )
    expect_sdk_error(
        pingpp.error.AuthenticationError,
        401,
        lambda: pingpp.Charge.create(api_key=BOGUS_KEY, **c.charge_params(new_order_no())),
        "Charge.create with key %r" % BOGUS_KEY,
    )


def check_signature_enforced(c):
    with SigningDisabled():
        expect_sdk_error(
            pingpp.error.AuthenticationError,
            401,
            lambda: pingpp.Charge.retrieve(c.charge_id),
            "unsigned Charge.retrieve on an app with a public key",
        )
        expect_sdk_error(
            pingpp.error.AuthenticationError,
            401,
            lambda: pingpp.Charge.create(**c.charge_params(new_order_no())),
            "unsigned Charge.create on an app with a public key",
        )
    # A real signature, but over another request-target: must not verify.
    path = "/v1/charges/%s" % c.charge_id
    status, raw = c.api_get_raw(path, sign_uri="/v1/charges/ch_someotherid")
    expect_eq(status, 401, "GET %s signed over another URI: HTTP status" % path)
    body = parse_json(status, raw, "GET %s signed over another URI" % path)
    expect(isinstance(body.get("error"), dict), "401 body should be {\"error\": {...}}, got %r" % (body,))
    # And the same raw request correctly signed passes (the helper is sound).
    status, raw = c.api_get_raw(path)
    expect_eq(status, 200, "GET %s correctly signed by urllib: HTTP status (body %r)" % (path, raw[:300]))


def check_idempotent_order_no(c):
    order_no = new_order_no()
    params = c.charge_params(order_no)
    first = pingpp.Charge.create(**params)
    second = pingpp.Charge.create(**params)
    expect_type(second, pingpp.Charge, "second Charge.create result")
    expect_eq(second.get("id"), first.get("id"), "charge id of a repeated create with the same order_no and params")
    expect_eq(second.get("order_no"), order_no, "order_no")
    c.idem_order_no = order_no
    return "%s twice -> %s" % (order_no, first.id)


def check_order_no_conflict(c):
    params = c.charge_params(c.idem_order_no, amount=200)
    e = expect_sdk_error(
        pingpp.error.InvalidRequestError,
        400,
        lambda: pingpp.Charge.create(**params),
        "Charge.create reusing order_no %s with another amount" % c.idem_order_no,
    )
    expect_eq(e.param, "order_no", "error param")
    return "code=%s" % e.code


def check_pay(c):
    status, _, raw = http(
        "POST",
        c.pay_url,
        body=b"result=paid",
        headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
    )
    expect_eq(status, 200, "POST pay_url (result=paid): HTTP status (body %r)" % raw[:300])
    body = parse_json(status, raw, "POST pay_url")
    expect_eq(body.get("status"), "paid", "pay page JSON status")
    deadline = time.monotonic() + PAID_WAIT_SECS
    while True:
        ch = pingpp.Charge.retrieve(c.charge_id)
        if ch.get("paid") is True or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    expect(
        ch.get("paid") is True,
        "charge not paid %.0f s after the pay page answered %r: %s" % (PAID_WAIT_SECS, body, _short(ch)),
    )
    time_paid = ch.get("time_paid")
    expect(
        isinstance(time_paid, int) and not isinstance(time_paid, bool),
        "time_paid should be an int, got %r" % (time_paid,),
    )
    txn = ch.get("transaction_no")
    expect(isinstance(txn, str) and txn != "", "transaction_no should be a non-empty string, got %r" % (txn,))
    return "transaction_no %s" % txn


def check_list_paid_filter(c):
    # The SDK sends Python booleans as `paid=True` / `paid=False`.
    paid = pingpp.Charge.list(app=dict(id=c.app), paid=True, limit=10)
    expect_eq(paid.get("object"), "list", "object")
    ids = [item.get("id") for item in paid.get("data", [])]
    expect(c.charge_id in ids, "Charge.list(paid=True) does not contain the paid charge %s: %r" % (c.charge_id, ids))
    expect(
        all(item.get("paid") is True for item in paid.get("data", [])),
        "Charge.list(paid=True) returned unpaid charges",
    )
    unpaid = pingpp.Charge.list(app=dict(id=c.app), paid=False, limit=10)
    ids = [item.get("id") for item in unpaid.get("data", [])]
    expect(c.charge_id not in ids, "Charge.list(paid=False) contains the paid charge %s" % c.charge_id)
    expect(
        all(item.get("paid") is False for item in unpaid.get("data", [])),
        "Charge.list(paid=False) returned paid charges",
    )


def _check_refund_object(re, amount, description, c, what):
    expect_type(re, pingpp.Refund, what)
    expect(isinstance(re.get("id"), str) and re.id.startswith("re_"), "%s: id should start with 're_', got %r" % (what, re.get("id")))
    expect_eq(re.get("object"), "refund", "%s object" % what)
    expect_eq(re.get("amount"), amount, "%s amount" % what)
    expect_eq(re.get("charge"), c.charge_id, "%s charge" % what)
    expect_eq(re.get("status"), "succeeded", "%s status" % what)
    expect(re.get("succeed") is True, "%s: succeed should be true, got %r" % (what, re.get("succeed")))
    expect_eq(re.get("description"), description, "%s description" % what)


def check_refund_partial(c):
    re = pingpp.Charge.refund(c.charge_id, amount=30, description="partial")
    _check_refund_object(re, 30, "partial", c, "Charge.refund(amount=30)")
    c.refund_ids.append(re.id)
    return re.id


def check_refund_rest(c):
    # The other SDK path: the ListObject embedded in the charge (POST to its url).
    ch = pingpp.Charge.retrieve(c.charge_id)
    re = ch.refunds.create(amount=70, description="rest")
    _check_refund_object(re, 70, "rest", c, "charge.refunds.create(amount=70)")
    expect(re.id not in c.refund_ids, "second refund reused the id %s" % re.id)
    c.refund_ids.append(re.id)
    return re.id


def check_over_refund(c):
    e = expect_sdk_error(
        pingpp.error.InvalidRequestError,
        400,
        lambda: pingpp.Charge.refund(c.charge_id, amount=1, description="too much"),
        "refund of 1 on a fully refunded charge",
    )
    return "code=%s param=%s" % (e.code, e.param)


def check_refund_reads(c):
    lst = pingpp.Charge.list_refunds(c.charge_id)
    expect_type(lst, pingpp.ListObject, "Charge.list_refunds result")
    expect_eq(lst.get("object"), "list", "object")
    expect_eq(lst.get("url"), "/v1/charges/%s/refunds" % c.charge_id, "url")
    expect(isinstance(lst.get("has_more"), bool), "has_more should be a boolean, got %r" % (lst.get("has_more"),))
    data = lst.get("data", [])
    expect_eq(sorted(r.get("id") for r in data), sorted(c.refund_ids), "refund ids in Charge.list_refunds")
    for r in data:
        expect_type(r, pingpp.Refund, "list_refunds item")

    first = pingpp.Charge.retrieve_refund(c.charge_id, c.refund_ids[0])
    expect_type(first, pingpp.Refund, "Charge.retrieve_refund result")
    expect_eq(first.get("id"), c.refund_ids[0], "retrieve_refund id")
    expect_eq(first.get("amount"), 30, "retrieve_refund amount")
    expect_eq(first.get("charge"), c.charge_id, "retrieve_refund charge")

    ch = pingpp.Charge.retrieve(c.charge_id)
    expect(ch.get("paid") is True, "charge should stay paid after refunds, got %r" % ch.get("paid"))
    expect(ch.get("refunded") is True, "charge.refunded should be true, got %r" % ch.get("refunded"))
    expect_eq(ch.get("amount_refunded"), 100, "charge.amount_refunded")
    embedded = ch.refunds.get("data", [])
    expect_eq(sorted(r.get("id") for r in embedded), sorted(c.refund_ids), "refund ids embedded in charge.refunds.data")

    # The SDK's ListObject paths: GET <refunds.url> and GET <refunds.url>/<id>.
    via_list = ch.refunds.list()
    expect_eq(len(via_list.get("data", [])), 2, "number of refunds from charge.refunds.list()")
    via_obj = ch.refunds.retrieve(c.refund_ids[1])
    expect_type(via_obj, pingpp.Refund, "charge.refunds.retrieve result")
    expect_eq(via_obj.get("amount"), 70, "charge.refunds.retrieve amount")


def check_events(c):
    path = "/v1/events"
    params = {"type": "charge.succeeded", "limit": 10}
    status, raw = c.api_get_raw(path, params)
    what = "GET /v1/events?type=charge.succeeded&limit=10"
    body = parse_json(status, raw, what)
    expect_eq(status, 200, "%s: HTTP status (body %s)" % (what, _short(body)))
    expect_eq(body.get("object"), "list", "%s: object" % what)
    expect_eq(body.get("url"), "/v1/events", "%s: url" % what)
    data = body.get("data")
    expect(isinstance(data, list), "%s: data should be an array" % what)
    for ev in data:
        expect_eq(ev.get("type"), "charge.succeeded", "%s: type of a listed event" % what)
    matches = [
        ev for ev in data
        if isinstance(ev.get("data"), dict) and isinstance(ev["data"].get("object"), dict)
        and ev["data"]["object"].get("id") == c.charge_id
    ]
    expect(len(matches) == 1, "%s: expected exactly one event for %s, found %d" % (what, c.charge_id, len(matches)))
    evt_id = matches[0].get("id")
    expect(isinstance(evt_id, str) and evt_id.startswith("evt_"), "event id should start with 'evt_', got %r" % (evt_id,))

    ev = pingpp.Event.retrieve(evt_id)
    expect_type(ev, pingpp.Event, "Event.retrieve result")
    expect_eq(ev.get("id"), evt_id, "event id")
    expect_eq(ev.get("object"), "event", "event object")
    expect_eq(ev.get("type"), "charge.succeeded", "event type")
    expect(ev.get("livemode") is False, "event livemode should be false, got %r" % ev.get("livemode"))
    obj = ev.get("data", {}).get("object")
    expect_type(obj, pingpp.Charge, "event data.object")
    expect_eq(obj.get("id"), c.charge_id, "event data.object.id")
    expect(obj.get("paid") is True, "event data.object.paid should be true, got %r" % obj.get("paid"))
    return evt_id


def checks(signed):
    out = [
        ("Charge.create returns a pending sandbox charge", check_create),
        ("Charge.retrieve", check_retrieve),
        ("Charge.list(app[id], limit=3)", check_list),
        ("error: amount=0 -> InvalidRequestError 400 param=amount", check_error_amount),
        ("error: unknown charge -> InvalidRequestError 404", check_error_not_found),
        ("error: bogus key -> AuthenticationError 401", check_error_bad_key),
    ]
    if signed:
        out.append(("request signature is required and verified", check_signature_enforced))
    out += [
        ("idempotent create: same order_no and params -> same charge", check_idempotent_order_no),
        ("same order_no, other amount -> InvalidRequestError param=order_no", check_order_no_conflict),
        ("sandbox pay page pays the charge", check_pay),
        ("Charge.list paid=True/False filter (Python booleans)", check_list_paid_filter),
        ("Charge.refund(amount=30)", check_refund_partial),
        ("charge.refunds.create(amount=70)", check_refund_rest),
        ("refund beyond the paid amount -> InvalidRequestError", check_over_refund),
        ("list_refunds, retrieve_refund, refunded charge", check_refund_reads),
        ("GET /v1/events + Event.retrieve(charge.succeeded)", check_events),
    ]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Ping++ Python SDK conformance check against a Unicharge server")
    ap.add_argument("--base", required=True, help="API base, e.g. http://127.0.0.1:8080 (no path)")
    ap.add_argument("--key", required=True, help="test secret key, sk_test_...")
    ap.add_argument("--app", required=True, help="app id, app_...")
    ap.add_argument("--private-key", help="merchant RSA private key (PEM); makes the SDK sign every request")
    args = ap.parse_args(argv)

    if not args.key.startswith("sk_test_"):
        ap.error("--key must be a test secret key (sk_test_...): the sandbox channel is test-only")
    if pingpp.VERSION != EXPECTED_SDK_VERSION:
        sys.stderr.write(
            "pingpp-sdk: warning: pingpp %s is installed; this check targets %s\n"
            % (pingpp.VERSION, EXPECTED_SDK_VERSION)
        )

    pingpp.api_base = args.base.rstrip("/")
    pingpp.api_key = args.key
    if args.private_key:
        with open(args.private_key) as f:  # fail early and clearly on a bad path
            f.read()
        pingpp.private_key = None
        pingpp.private_key_path = args.private_key

    c = Context(args)
    signed = bool(args.private_key)
    print(
        "pingpp-sdk: pingpp %s against %s, app %s, %s"
        % (pingpp.VERSION, c.base, c.app, "signed requests" if signed else "unsigned requests"),
        flush=True,
    )

    passed = failed = 0
    plan = checks(signed)
    for n, (name, fn) in enumerate(plan, 1):
        try:
            note = fn(c)
        except CheckFailed as e:
            failed = 1
            print("FAIL %d - %s\n     %s" % (n, name, e), flush=True)
        except pingpp.error.PingppError as e:
            failed = 1
            print("FAIL %d - %s\n     unexpected SDK error: %s" % (n, name, describe_sdk_error(e)), flush=True)
        except Exception:
            failed = 1
            print("FAIL %d - %s\n     unexpected exception:" % (n, name), flush=True)
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print("ok   %d - %s%s" % (n, name, " (%s)" % note if note else ""), flush=True)
            continue
        skipped = len(plan) - n
        if skipped:
            print("     stopping at the first failure; %d later check(s) not run" % skipped, flush=True)
        break

    print("pingpp-sdk: %d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
