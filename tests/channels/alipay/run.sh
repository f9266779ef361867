#!/usr/bin/env bash
# Cross-checks the Alipay adapter against Alipay SDKs nobody here wrote
# (alipay-sdk-python, the official one, and python-alipay-sdk 3.4.0 by fzlee):
# request signatures and the app-pay orderInfo byte for byte, SDK-signed
# notifications through parse_notify, SDK-signed responses through our
# response check. See xcheck.py. Exits non-zero on any mismatch.
#
#     bash tests/channels/alipay/run.sh
#
# Environment:
#   ALIPAY_XCHECK_PYTHON  a python that already has both SDKs (skips the venv)
#   XDG_CACHE_HOME        where the venv lives (default ~/.cache):
#                         $XDG_CACHE_HOME/unicharge/alipay-venv
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
log() { printf '[alipay-xcheck] %s\n' "$*" >&2; }

PY="${ALIPAY_XCHECK_PYTHON:-}"
if [ -z "$PY" ]; then
  VENV="${XDG_CACHE_HOME:-$HOME/.cache}/unicharge/alipay-venv"
  PY="$VENV/bin/python"
  if ! "$PY" -c 'import alipay.aop.api.util.SignatureUtils, alipay; alipay.AliPay' >/dev/null 2>&1; then
    log "setting up $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q python-alipay-sdk==3.4.0 alipay-sdk-python==3.7.1411 pycryptodome cryptography
    # Both SDKs install the package `alipay`; the official one overwrites
    # fzlee's __init__.py. Reinstalling fzlee's restores it, and the official
    # code (alipay/aop/...) stays importable beside it.
    "$VENV/bin/pip" install -q --force-reinstall --no-deps python-alipay-sdk==3.4.0
  fi
fi

log "building the adapter's example (alipay_xcheck)"
cargo build -q -p unicharge-channels --example alipay_xcheck
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
ALIPAY_XCHECK_BIN="$TARGET/debug/examples/alipay_xcheck" exec "$PY" "$ROOT/tests/channels/alipay/xcheck.py"
