#!/usr/bin/env bash
# End-to-end tests of the dashboard in a real browser: Debian's headless
# Chromium driven by the npm `playwright-core`, against a real
# `unicharge serve` on a fresh SQLite data directory and a free port.
#
#     bash tests/browser/run.sh                 # the tests (CI runs this)
#     bash tests/browser/run.sh --screenshots   # the tests, then regenerate docs/screenshots/*.png
#
# Environment:
#   UNICHARGE_BIN  server binary (default target/debug/unicharge, built with
#                  `cargo build -p unicharge` when it is the default and missing)
#
# Installs what it needs when missing: Debian's `chromium` (apt-get; run as
# root, as CI does) and the test package's npm dependencies (`npm ci`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/tests/browser"

log() { printf '[browser] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

SCREENSHOTS=""
for arg in "$@"; do
  case "$arg" in
    --screenshots) SCREENSHOTS="$ROOT/docs/screenshots" ;;
    *) die "unknown argument: $arg" ;;
  esac
done

# ------------------------------------------------------------ dependencies
command -v node >/dev/null 2>&1 || die "node is required (Debian: apt-get install -y nodejs npm)"
if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
CHROMIUM="$(command -v chromium)"
log "$("$CHROMIUM" --version 2>/dev/null | head -n 1)"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)

# ------------------------------------------------ the binary and scratch
source "$ROOT/tests/support/server.sh"
uc_bin target/debug/unicharge
uc_scratch unicharge-browser

# ---------------------------------------------------------------- the server
# Always SQLite here, whatever the caller's environment says.
unset UNICHARGE_DATABASE_URL
uc_server_env

# Two tenants, each with an app and test/live keys (`app create --json` prints
# {"tenant":…,"app":…,"secret_keys":{"test":…,"live":…}}), and the operator
# who signs in. All made with the CLI before the server starts, so the test
# does not depend on the first-start banner's layout.
"$BIN" app create --name "Tea House" --json >"$WORK/tenant_a.json" 2>"$WORK/cli.log" ||
  { cat "$WORK/cli.log" >&2; die "app create (tenant A) failed"; }
"$BIN" app create --name "Harbor Books" --json >"$WORK/tenant_b.json" 2>>"$WORK/cli.log" ||
  { cat "$WORK/cli.log" >&2; die "app create (tenant B) failed"; }
ADMIN_EMAIL="ops@unicharge.test"
ADMIN_PASSWORD="$(node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))')"
printf '%s\n' "$ADMIN_PASSWORD" |
  "$BIN" user create --email "$ADMIN_EMAIL" --admin --password-stdin >"$WORK/user.log" 2>&1 ||
  { cat "$WORK/user.log" >&2; die "user create --admin failed"; }

uc_serve

export UC_BASE="$BASE"
export UC_ADMIN_EMAIL="$ADMIN_EMAIL"
export UC_ADMIN_PASSWORD="$ADMIN_PASSWORD"
export UC_TENANT_A_JSON="$WORK/tenant_a.json"
export UC_TENANT_B_JSON="$WORK/tenant_b.json"
export UC_CHROMIUM="$CHROMIUM"
export UC_SCREENSHOTS="$SCREENSHOTS"
[ -n "$SCREENSHOTS" ] && mkdir -p "$SCREENSHOTS"

rc=0
(cd "$HERE" && node --test --test-concurrency=1 --test-timeout=240000 dashboard.test.mjs) || rc=$?
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  log "the server exited during the tests"
  rc=1
fi
[ "$rc" -eq 0 ] && log "all browser tests passed" || log "FAILED (exit $rc)"
exit "$rc"
