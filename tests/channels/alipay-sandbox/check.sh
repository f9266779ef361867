#!/usr/bin/env bash
# The Alipay sandbox checked by Alipay SDKs from PyPI (see check.py): its
# answers must pass the SDKs' response verifiers, its notifications their
# notification verifiers, and the orders the SDKs sign must open its cashier.
#
# The virtual environment lives outside the repository, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/unicharge/alipay-venv (override with
# ALIPAY_VENV). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../../.."

VENV="${ALIPAY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/unicharge/alipay-venv}"
if ! "$VENV/bin/python" -c 'from alipay import AliPay; import alipay.aop.api.DefaultAlipayClient' 2>/dev/null; then
  echo "==> creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q python-alipay-sdk==3.4.0 alipay-sdk-python==3.7.1411 pycryptodome cryptography
  # Both SDKs install into the `alipay` package; reinstalling fzlee's puts
  # its alipay/__init__.py back while the official alipay/aop/ stays.
  "$VENV/bin/pip" install -q --force-reinstall --no-deps python-alipay-sdk==3.4.0
fi

cargo build -q -p unicharge-sandboxes --example alipay_sandbox --locked
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

# The SDKs stamp `timestamp` with the local clock; Alipay reads GMT+8.
TZ=CST-8 "$VENV/bin/python" tests/channels/alipay-sandbox/check.py \
  --bin "$TARGET_DIR/debug/examples/alipay_sandbox" --keys tests/vectors/alipay
