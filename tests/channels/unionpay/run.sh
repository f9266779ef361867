#!/usr/bin/env bash
# Cross-checks UnionPay signing and verification (adapter and sandbox)
# against OpenSSL, Python `cryptography` and the published yansongda/pay
# vectors; see xcheck.py. No UnionPay SDK on PyPI/npm is usable as an oracle.
#
#     bash tests/channels/unionpay/run.sh
#
# Environment:
#   UNIONPAY_XCHECK_PYTHON  a python with `cryptography` (skips the venv)
#   XDG_CACHE_HOME          where the venv lives (default ~/.cache):
#                           $XDG_CACHE_HOME/unicharge/unionpay-venv
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
log() { printf '[unionpay-xcheck] %s\n' "$*" >&2; }

source "$ROOT/tests/support/venv.sh"
uc_venv "${UNIONPAY_XCHECK_PYTHON:-}" unionpay-venv 'import cryptography' cryptography==50.0.2

log "building unionpay_xcheck and unionpay_answer"
cargo build -q -p unicharge-channels --example unionpay_xcheck
cargo build -q -p unicharge-sandboxes --example unionpay_answer
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
UNIONPAY_XCHECK_BIN="$TARGET/debug/examples/unionpay_xcheck" UNIONPAY_ANSWER_BIN="$TARGET/debug/examples/unionpay_answer" \
  exec "$PY" "$ROOT/tests/channels/unionpay/xcheck.py"
