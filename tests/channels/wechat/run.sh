#!/usr/bin/env bash
# Cross-checks the WeChat Pay adapter against WeChat Pay SDKs nobody here
# wrote (wechatpayv3 2.0.4 for APIv3, wechatpy 1.8.18 for APIv2): request
# Authorization signatures, client pay signs and v2 signs byte for byte;
# SDK-made notifications (v3 signed and encrypted, v2 MD5 and HMAC-SHA256,
# v2 refund req_info) through parse_notify. See xcheck.py. Exits non-zero on
# any mismatch.
#
#     bash tests/channels/wechat/run.sh
#
# Environment:
#   WECHAT_XCHECK_PYTHON  a python that already has both SDKs (skips the venv)
#   XDG_CACHE_HOME        where the venv lives (default ~/.cache):
#                         $XDG_CACHE_HOME/unicharge/wechat-venv
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
log() { printf '[wechat-xcheck] %s\n' "$*" >&2; }

source "$ROOT/tests/support/venv.sh"
uc_venv "${WECHAT_XCHECK_PYTHON:-}" wechat-venv 'import wechatpy, wechatpayv3, cryptography' \
  wechatpy==1.8.18 wechatpayv3==2.0.4 cryptography

log "building the adapter's example (wechat_xcheck)"
cargo build -q -p unicharge-channels --example wechat_xcheck
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WECHAT_XCHECK_BIN="$TARGET/debug/examples/wechat_xcheck" exec "$PY" "$ROOT/tests/channels/wechat/xcheck.py"
