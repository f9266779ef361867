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

source "$ROOT/tests/support/venv.sh"
uc_venv "${ALIPAY_XCHECK_PYTHON:-}" alipay-venv 'import alipay.aop.api.util.SignatureUtils, alipay; alipay.AliPay' \
  python-alipay-sdk==3.4.0 alipay-sdk-python==3.7.1411 pycryptodome cryptography
if [ "$VENV_FRESH" = 1 ]; then
  # Both SDKs install the package `alipay`; the official one overwrites
  # fzlee's __init__.py. Reinstalling fzlee's restores it, and the official
  # code (alipay/aop/...) stays importable beside it.
  "$PY" -m pip install -q --force-reinstall --no-deps python-alipay-sdk==3.4.0
fi

log "building the adapter's example (alipay_xcheck)"
cargo build -q -p unicharge-channels --example alipay_xcheck
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
ALIPAY_XCHECK_BIN="$TARGET/debug/examples/alipay_xcheck" exec "$PY" "$ROOT/tests/channels/alipay/xcheck.py"
