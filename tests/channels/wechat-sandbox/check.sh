#!/usr/bin/env bash
# The WeChat Pay sandbox checked by WeChat Pay SDKs from PyPI (see check.py):
# its v3 answers must pass wechatpayv3's response verification (certificate
# and public-key modes), its notifications wechatpayv3's Core.callback, and
# its v2 answers and notifications wechatpy's MD5 checks and refund crypto.
#
# The virtual environment lives outside the repository, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/unicharge/wechat-venv (override with
# WECHAT_VENV). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../../.."

VENV="${WECHAT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/unicharge/wechat-venv}"
if ! "$VENV/bin/python" -c 'import wechatpy, wechatpayv3, cryptography' 2>/dev/null; then
  echo "==> creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q wechatpy==1.8.18 wechatpayv3==2.0.4 cryptography
fi

cargo build -q -p unicharge-sandboxes --example wechat_sandbox --locked
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

"$VENV/bin/python" tests/channels/wechat-sandbox/check.py \
  --bin "$TARGET_DIR/debug/examples/wechat_sandbox" --keys tests/vectors/wechat
