"""Reference helpers for the Alipay cross-check.

Vendored (trimmed) from the project's research tool
shared/tools/channel-xcheck/xcheck_alipay.py (functions canon_value,
sign_content, notify_check_content, extract_response_content, pem_body,
pkcs1_body), which was itself checked against alipay-sdk-python,
python-alipay-sdk and the official Node SDK. Kept here so a clone of the
repository can run the check without that folder.
"""
import json
import re

from cryptography.hazmat.primitives import serialization


def canon_value(v):
    """Values are signed exactly as sent; a non-string is serialised compactly (JSON.stringify)."""
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def sign_content(params, exclude=("sign",), skip_empty=True):
    """AlipaySignature.getSignContent: sorted keys, `exclude` dropped, empty values dropped
    (request signing); notification check content (getSignCheckContentV1) keeps empties."""
    items = []
    for k in sorted(params):
        if k in exclude:
            continue
        v = canon_value(params[k])
        if skip_empty and (v is None or v == ""):
            continue
        items.append(f"{k}={v}")
    return "&".join(items)


def notify_check_content(params, keep_sign_type=False):
    excl = ("sign",) if keep_sign_type else ("sign", "sign_type")
    return sign_content(params, exclude=excl, skip_empty=False)


def extract_response_content(raw, method):
    """The exact substring Alipay signed: the object value of "<method>_response" (or
    "error_response"), byte for byte; brace matching honours strings and escapes."""
    key = method.replace(".", "_") + "_response"
    m = re.search(r'"' + re.escape(key) + r'"[ \t\n\r]*:[ \t\n\r]*\{', raw) or re.search(
        r'"error_response"[ \t\n\r]*:[ \t\n\r]*\{', raw)
    if not m:
        raise ValueError("no *_response object")
    start = m.end() - 1
    depth, in_str, esc = 0, False, False
    for i in range(start, len(raw)):
        c = raw[i]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
            continue
        if c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return raw[start:i + 1]
    raise ValueError("unbalanced braces")


def pem_body(pem_bytes):
    return "".join(l for l in pem_bytes.decode().splitlines() if l and not l.startswith("-----"))


def pkcs1_body(key):
    return pem_body(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
