#!/usr/bin/env bash
# Run the official Ping++ Python SDK (pingpp==2.7.2 from PyPI) against a real
# Unicharge server: once for an app without request signing, once for an app
# with the SDK's sample RSA key registered, so every request is signed.
#
# Run from the repository root (or anywhere: it changes to the root itself):
#     bash tests/sdk/run_pingpp_check.sh
#
# Environment:
#   UNICHARGE_BIN           server binary (default target/release/unicharge;
#                           built with `cargo build --release -p unicharge`
#                           when it is the default and missing)
#   UNICHARGE_DATABASE_URL  passed through: unset means embedded SQLite in a
#                           throwaway data directory; CI sets it to a fresh
#                           PostgreSQL database
#   PINGPP_SDK_PYTHON       optional: a python that already has pingpp==2.7.2
#                           (skips creating a venv and installing from PyPI)
#
# Needs python3 with the venv module (and network access to PyPI unless
# PINGPP_SDK_PYTHON is set). Exits non-zero if either run fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SDK_DIR="$ROOT/tests/sdk"
KEY_DIR="$SDK_DIR/keys"

log() { printf '[pingpp-sdk] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 is required"

source "$ROOT/tests/support/server.sh"
uc_bin target/release/unicharge
uc_scratch unicharge-sdk

# -------------------------------------------------------------------- the SDK
if [ -n "${PINGPP_SDK_PYTHON:-}" ]; then
  PY="$PINGPP_SDK_PYTHON"
else
  log "installing pingpp==2.7.2 into a throwaway venv"
  python3 -m venv "$WORK/venv"
  PY="$WORK/venv/bin/python"
  # pingpp 2.7.2 declares pycryptodome (its RSA request signing) and requests
  # as dependencies, so this one install is enough.
  "$PY" -m pip install --quiet --disable-pip-version-check pingpp==2.7.2
fi
"$PY" -c 'import pingpp, Crypto.Signature.PKCS1_v1_5; assert pingpp.VERSION == "2.7.2", pingpp.VERSION' ||
  die "$PY does not have pingpp 2.7.2 with pycryptodome"

# ----------------------------------------------------------------- the server
uc_server_env

# `app create --json` prints one JSON object on stdout:
#   {"tenant":"ten_…","app":"app_…","secret_keys":{"test":"sk_test_…","live":"sk_live_…"}}
json_field() { # json_field FILE python-expression-on-d
  "$PY" -c 'import json, sys
lines = [l for l in open(sys.argv[1]) if l.lstrip().startswith("{")]
if not lines: sys.exit("no JSON object on stdout")
d = json.loads(lines[-1])
print(eval(sys.argv[2], {"d": d}))' "$1" "$2"
}

create_app() { # create_app OUTFILE ARGS...
  local out="$1"; shift
  if ! "$BIN" app create "$@" --json >"$out" 2>"$out.err"; then
    return 1
  fi
}

log "creating app sdk-check"
create_app "$WORK/app1.json" --name sdk-check ||
  { cat "$WORK/app1.json" "$WORK/app1.json.err" >&2; die "unicharge app create --name sdk-check failed"; }
APP1="$(json_field "$WORK/app1.json" 'd["app"]')" || die "cannot read the app id from: $(cat "$WORK/app1.json")"
KEY1="$(json_field "$WORK/app1.json" 'd["secret_keys"]["test"]')" || die "cannot read the test key from: $(cat "$WORK/app1.json")"

# `--rsa-public-key` takes the PEM itself or `@path` to read a file (the
# documented form). Fall back to a bare path in case the CLI takes a path.
PUBKEY="$KEY_DIR/python_your_rsa_public_key.pem"
PRIVKEY="$KEY_DIR/python_your_rsa_private_key.pem"
log "creating app sdk-signed with the SDK's sample RSA public key"
if ! create_app "$WORK/app2.json" --name sdk-signed --rsa-public-key "@$PUBKEY"; then
  log "'--rsa-public-key @FILE' was refused ($(tail -n 1 "$WORK/app2.json.err")); retrying with a bare path"
  create_app "$WORK/app2.json" --name sdk-signed --rsa-public-key "$PUBKEY" ||
    { cat "$WORK/app2.json" "$WORK/app2.json.err" >&2; die "unicharge app create --name sdk-signed failed"; }
fi
APP2="$(json_field "$WORK/app2.json" 'd["app"]')" || die "cannot read the app id from: $(cat "$WORK/app2.json")"
KEY2="$(json_field "$WORK/app2.json" 'd["secret_keys"]["test"]')" || die "cannot read the test key from: $(cat "$WORK/app2.json")"

uc_serve

rc=0
log "run 1/2: app $APP1, unsigned requests"
"$PY" "$SDK_DIR/pingpp_sdk_check.py" --base "$BASE" --key "$KEY1" --app "$APP1" || rc=$?
log "run 2/2: app $APP2, requests signed with keys/python_your_rsa_private_key.pem"
"$PY" "$SDK_DIR/pingpp_sdk_check.py" --base "$BASE" --key "$KEY2" --app "$APP2" --private-key "$PRIVKEY" || rc=$?

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  log "the server exited during the checks"
  rc=1
fi
if [ "$rc" -eq 0 ]; then
  log "both runs passed"
else
  log "FAILED (exit $rc)"
fi
exit "$rc"
