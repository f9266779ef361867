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

# -------------------------------------------------------------- the binary
DEFAULT_BIN="target/debug/unicharge"
BIN="${UNICHARGE_BIN:-$DEFAULT_BIN}"
if [ ! -x "$BIN" ] && [ "$BIN" = "$DEFAULT_BIN" ]; then
  log "building $BIN"
  cargo build -p unicharge
fi
[ -x "$BIN" ] || die "no executable server binary at $BIN (set UNICHARGE_BIN)"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac

# ------------------------------------------------------- scratch and cleanup
WORK="$(mktemp -d "${TMPDIR:-/tmp}/unicharge-browser.XXXXXX")"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$WORK/server.log" ]; then
    log "last lines of the server log:"
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

# ---------------------------------------------------------------- the server
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
BASE="http://127.0.0.1:$PORT"
export UNICHARGE_DATA_DIR="$WORK/data"
export UNICHARGE_LISTEN="127.0.0.1:$PORT"
export UNICHARGE_PUBLIC_URL="$BASE"
# Always SQLite here, whatever the caller's environment says.
unset UNICHARGE_DATABASE_URL
mkdir -p "$UNICHARGE_DATA_DIR"

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

log "starting $BIN serve on $BASE"
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
node - "$BASE/ready" "$SERVER_PID" <<'EOF' || die "the server did not become ready (GET /ready -> 200) within 30 s"
const [url, pid] = process.argv.slice(2);
const deadline = Date.now() + 30000;
(async () => {
  while (Date.now() < deadline) {
    try { process.kill(Number(pid), 0); } catch { console.error("the server exited during start-up"); process.exit(1); }
    try { const r = await fetch(url); if (r.status === 200) process.exit(0); } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  process.exit(1);
})();
EOF
log "server ready"

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
