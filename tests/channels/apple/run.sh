#!/usr/bin/env bash
# Cross-checks the apple_iap verifier, the Apple sandbox's signatures and the
# App Store Server API bearer token against Apple's app-store-server-library
# 3.1.2 (PyPI) and PyJWT. See xcheck.py. Exits non-zero on any mismatch.
#
#     bash tests/channels/apple/run.sh
#
# Environment:
#   APPLE_XCHECK_PYTHON  a python that already has app-store-server-library (skips the venv)
#   XDG_CACHE_HOME       where the venv lives (default ~/.cache):
#                        $XDG_CACHE_HOME/unicharge/apple-venv
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
log() { printf '[apple-xcheck] %s\n' "$*" >&2; }

source "$ROOT/tests/support/venv.sh"
uc_venv "${APPLE_XCHECK_PYTHON:-}" apple-venv 'import appstoreserverlibrary, jwt, cryptography' \
  app-store-server-library==3.1.2

log "building the adapter's example (apple_xcheck)"
cargo build -q -p unicharge-channels --example apple_xcheck
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
APPLE_XCHECK_BIN="$TARGET/debug/examples/apple_xcheck" exec "$PY" "$ROOT/tests/channels/apple/xcheck.py"
