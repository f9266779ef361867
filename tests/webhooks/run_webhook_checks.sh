#!/usr/bin/env bash
# End-to-end webhook checks against a real Unicharge server: tenant-side
# verification of real deliveries in Python and Node (Unicharge-Signature
# HMAC with the endpoint secret, and the Ping++-compatible
# X-Pingplusplus-Signature with the published platform key), secret
# rotation, redelivery, and the official `pingpp` npm package's own webhook
# verification code path. Also checks that the helpers shown in
# docs/webhooks.md are the ones in tests/webhooks/verify_webhook.{py,mjs}.
#
# Run from the repository root (or anywhere: it changes to the root itself):
#     bash tests/webhooks/run_webhook_checks.sh
#
# Environment:
#   UNICHARGE_BIN           server binary (default target/debug/unicharge)
#   UNICHARGE_DATABASE_URL  passed through: unset means embedded SQLite in a
#                           throwaway data directory
#   WEBHOOK_CHECK_PYTHON    optional: a python that already has `cryptography`
#                           (or pycryptodome); skips the throwaway venv
#   PINGPP_NPM_VERSION      pingpp npm version to install (default 2.1.6)
#   PINGPP_NPM_DIR          optional: an installed node_modules/pingpp to use
#                           instead of installing one
#
# Needs python3 (with venv), node >= 18 and npm, and network access to PyPI
# and npm unless the two overrides above are set. Prints
# "webhook-checks: N passed, M failed" last; exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/tests/webhooks"

log() { printf '[webhook-checks] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 is required"
command -v node >/dev/null 2>&1 || die "node is required"

source "$ROOT/tests/support/server.sh"
uc_bin target/debug/unicharge
uc_scratch unicharge-webhooks
PASSED=0
FAILED=0

# Importing verify_webhook must not leave __pycache__ in the repository.
export PYTHONDONTWRITEBYTECODE=1

pass() { PASSED=$((PASSED + 1)); log "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); log "FAIL $*"; }

# ------------------------------------------------------- dependencies
# npm runs in the background while the venv is made.
if [ -n "${PINGPP_NPM_DIR:-}" ]; then
  PINGPP_DIR="$PINGPP_NPM_DIR"
else
  command -v npm >/dev/null 2>&1 || die "npm is required (or set PINGPP_NPM_DIR)"
  PINGPP_VERSION="${PINGPP_NPM_VERSION:-2.1.6}"
  mkdir -p "$WORK/npm"
  log "installing pingpp@$PINGPP_VERSION from npm into a throwaway directory"
  (cd "$WORK/npm" && npm install --no-audit --no-fund --no-save --silent "pingpp@$PINGPP_VERSION" >"$WORK/npm.log" 2>&1) &
  NPM_PID=$!
  BG_PIDS+=("$NPM_PID")
  PINGPP_DIR="$WORK/npm/node_modules/pingpp"
fi

if [ -n "${WEBHOOK_CHECK_PYTHON:-}" ]; then
  PY="$WEBHOOK_CHECK_PYTHON"
else
  log "installing cryptography into a throwaway venv"
  python3 -m venv "$WORK/venv"
  PY="$WORK/venv/bin/python"
  "$PY" -m pip install --quiet --disable-pip-version-check cryptography
fi
"$PY" -c 'import cryptography' 2>/dev/null || "$PY" -c 'import Crypto.Signature.pkcs1_15' 2>/dev/null ||
  die "$PY has neither cryptography nor pycryptodome"

if [ -n "${NPM_PID:-}" ]; then
  wait "$NPM_PID" || { cat "$WORK/npm.log" >&2; die "npm install pingpp@$PINGPP_VERSION failed"; }
fi
[ -f "$PINGPP_DIR/example/webhooks_verify.js" ] || die "no example/webhooks_verify.js under $PINGPP_DIR"

# ------------------------------------------------------- helpers
free_port() { uc_free_port; }

cat >"$WORK/api.py" <<'EOF'
"""api.py METHOD URL KEY [JSON] | api.py pay URL | api.py get FILE EXPR"""
import json, sys, urllib.error, urllib.parse, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
def call(method, url, headers, data):
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with opener.open(req, timeout=15) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
cmd = sys.argv[1]
if cmd == "get":  # read a field from a JSON file
    print(eval(sys.argv[3], {"d": json.load(open(sys.argv[2])), "json": json}))
    sys.exit(0)
if cmd == "pay":  # what the sandbox cashier page posts
    status, body = call("POST", sys.argv[2], {"Accept": "application/json",
                        "Content-Type": "application/x-www-form-urlencoded"}, b"result=paid")
else:
    headers = {"Authorization": "Bearer " + sys.argv[3]}
    data = None
    if len(sys.argv) > 4:
        headers["Content-Type"] = "application/json"
        data = sys.argv[4].encode()
    status, body = call(cmd, sys.argv[2], headers, data)
print(body)
if not 200 <= status < 300:
    sys.exit("HTTP %d %s %s: %s" % (status, cmd, sys.argv[2], body))
EOF
api() { "$PY" "$WORK/api.py" "$@"; }
jget() { "$PY" "$WORK/api.py" get "$@"; }

# ------------------------------------------------------- the docs
# The Python and Node helpers shown in docs/webhooks.md must be the ones
# these checks run, byte for byte.
doc_has_helper() { # FILE
  "$PY" - "$1" "$ROOT/docs/webhooks.md" <<'EOF'
import re, sys
src, doc = open(sys.argv[1]).read(), open(sys.argv[2]).read()
m = re.search(r"^(?:#|//) --- begin verify helper ---\n(.*?)^(?:#|//) --- end verify helper ---\n", src, re.S | re.M)
sys.exit(0 if m and m.group(1) in doc else 1)
EOF
}
for f in verify_webhook.py verify_webhook.mjs; do
  if doc_has_helper "$HERE/$f"; then
    pass "docs/webhooks.md shows the helper of tests/webhooks/$f verbatim"
  else
    fail "docs/webhooks.md does not show the helper of tests/webhooks/$f verbatim"
  fi
done

# ------------------------------------------------------- the server
uc_server_env

"$BIN" app create --name webhook-check --json >"$WORK/app.json" 2>"$WORK/app.err" ||
  { cat "$WORK/app.json" "$WORK/app.err" >&2; die "unicharge app create failed"; }
# The last line of stdout is the JSON object.
tail -n 1 "$WORK/app.json" >"$WORK/app1.json"
APP="$(jget "$WORK/app1.json" 'd["app"]')"
KEY="$(jget "$WORK/app1.json" 'd["secret_keys"]["test"]')"

uc_serve

# The key is published unauthenticated.
PEM="$WORK/platform_public_key.pem"
"$PY" - "$BASE/platform_public_key.pem" "$PEM" <<'EOF' && pass "GET /platform_public_key.pem serves an RSA public key" || die "GET /platform_public_key.pem failed"
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
pem = opener.open(sys.argv[1], timeout=10).read()
try:
    from cryptography.hazmat.primitives import serialization
    serialization.load_pem_public_key(pem)
except ImportError:
    from Crypto.PublicKey import RSA
    RSA.import_key(pem)
open(sys.argv[2], "wb").write(pem)
EOF

create_endpoint() { # create_endpoint OUT PORT
  api POST "$BASE/v1/apps/$APP/webhook_endpoints" "$KEY" \
    "{\"url\": \"http://127.0.0.1:$2/webhooks\", \"enabled_events\": [\"charge.succeeded\"]}" >"$1"
}

pay_charge() { # pay_charge: creates a sandbox charge and pays it
  local order
  order="wh$("$PY" -c 'import secrets; print(secrets.token_hex(8))')"
  api POST "$BASE/v1/charges" "$KEY" "{\"order_no\": \"$order\", \"app\": {\"id\": \"$APP\"}, \"channel\": \"sandbox\",
    \"amount\": 100, \"currency\": \"cny\", \"client_ip\": \"127.0.0.1\", \"subject\": \"s\", \"body\": \"b\"}" >"$WORK/charge.json"
  api pay "$(jget "$WORK/charge.json" 'd["credential"]["sandbox"]["pay_url"]')" >/dev/null
}

RECEIVER_PID=""
start_receiver() { # start_receiver NAME PORT SECRET EXPECT [extra args...]
  local name="$1" port="$2" secret="$3" expect="$4"
  shift 4
  local cmd
  case "$name" in
    python*) cmd=("$PY" "$HERE/verify_webhook.py") ;;
    node*) cmd=(node "$HERE/verify_webhook.mjs") ;;
  esac
  "${cmd[@]}" --port "$port" --secret "$secret" --pubkey "$PEM" --expect "$expect" \
    --out "$WORK/$name.results.json" "$@" 2>"$WORK/$name.log" &
  RECEIVER_PID=$!
  BG_PIDS+=("$RECEIVER_PID")
  # Wait until it listens: the dispatcher would otherwise fail its first try.
  "$PY" - "$port" <<'EOF' || true
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

finish_receiver() { # finish_receiver NAME DESCRIPTION: waits, then records pass or fail
  local name="$1" what="$2" rc=0
  wait "$RECEIVER_PID" || rc=$?
  local summary
  summary="$(jget "$WORK/$name.results.json" \
    '"%d deliveries, %d self-checks ok" % (len(d["deliveries"]), sum(c["ok"] for c in d["self_checks"]))' 2>/dev/null || echo "no results")"
  if [ "$rc" -eq 0 ]; then
    pass "$what ($summary)"
  else
    fail "$what (receiver exit $rc; $summary)"
    sed 's/^/    /' "$WORK/$name.log" >&2 || true
    jget "$WORK/$name.results.json" '"\n".join("    delivery: " + json.dumps(x) for x in d["deliveries"])' >&2 2>/dev/null || true
  fi
  return "$rc"
}

delivered_ok() { # delivered_ok EVENT_ID: the event API reports the delivery succeeded
  local i
  for i in $(seq 1 50); do
    api GET "$BASE/v1/events/$1" "$KEY" >"$WORK/event.json" || return 1
    if [ "$(jget "$WORK/event.json" '",".join(x["status"] for x in d.get("webhook_deliveries", []))')" = "succeeded" ]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# ------------------------------------------------------- python receiver
PY_PORT="$(free_port)"
create_endpoint "$WORK/ep_py.json" "$PY_PORT"
WE_PY="$(jget "$WORK/ep_py.json" 'd["id"]')"
SECRET_PY="$(jget "$WORK/ep_py.json" 'd["secret"]')"
log "python receiver on :$PY_PORT for $WE_PY"
start_receiver python "$PY_PORT" "$SECRET_PY" 2 --save-first "$WORK/first_delivery.json"
pay_charge
pay_charge
finish_receiver python "python receiver verified 2 real deliveries (HMAC + RSA) and its negative self-checks" || true

if [ -f "$WORK/python.results.json" ]; then
  EVENTS_OK=1
  for ev in $(jget "$WORK/python.results.json" '" ".join(d["verified_events"])'); do
    delivered_ok "$ev" || EVENTS_OK=0
  done
  if [ "$EVENTS_OK" -eq 1 ]; then
    pass "GET /v1/events/{id} reports those deliveries succeeded"
  else
    fail "GET /v1/events/{id} does not report those deliveries succeeded: $(cat "$WORK/event.json")"
  fi
fi

# ------------------------------------------------------- rotation
# After rotate_secret both secrets sign: a receiver still on the old secret
# keeps verifying, and the same header verifies with the new one.
api POST "$BASE/v1/apps/$APP/webhook_endpoints/$WE_PY/rotate_secret" "$KEY" '{"expire_previous_in": 600}' >"$WORK/rotated.json"
NEW_SECRET_PY="$(jget "$WORK/rotated.json" 'd["secret"]')"
start_receiver python-rotated "$PY_PORT" "$SECRET_PY" 1 --save-first "$WORK/rotated_delivery.json"
pay_charge
if finish_receiver python-rotated "after rotate_secret, the old secret still verifies"; then
  if "$PY" - "$WORK/rotated_delivery.json" "$NEW_SECRET_PY" "$SECRET_PY" <<EOF; then
import json, sys
sys.path.insert(0, "$HERE")
from verify_webhook import verify_unicharge_signature
d = json.load(open(sys.argv[1]))
h = {k.lower(): v for k, v in d["headers"].items()}["unicharge-signature"]
assert h.count("v1=") == 2, h
verify_unicharge_signature(h, sys.argv[2], d["body"].encode())
verify_unicharge_signature(h, sys.argv[3], d["body"].encode())
EOF
    pass "during rotation the header carries two v1 signatures; the new secret verifies too"
  else
    fail "during rotation the header does not verify with both secrets"
  fi
fi

api DELETE "$BASE/v1/apps/$APP/webhook_endpoints/$WE_PY" "$KEY" >"$WORK/deleted.json" &&
  [ "$(jget "$WORK/deleted.json" 'd["deleted"]')" = "True" ] &&
  pass "DELETE the python endpoint" || fail "DELETE the python endpoint: $(cat "$WORK/deleted.json")"

# ------------------------------------------------------- node receiver
NODE_PORT="$(free_port)"
create_endpoint "$WORK/ep_node.json" "$NODE_PORT"
WE_NODE="$(jget "$WORK/ep_node.json" 'd["id"]')"
SECRET_NODE="$(jget "$WORK/ep_node.json" 'd["secret"]')"
log "node receiver on :$NODE_PORT for $WE_NODE"
start_receiver node "$NODE_PORT" "$SECRET_NODE" 2
pay_charge
pay_charge
finish_receiver node "node receiver verified 2 real deliveries (HMAC + RSA) and its negative self-checks" || true

# ------------------------------------------------------- redelivery
EVT="$(jget "$WORK/node.results.json" '(d["verified_events"] or [""])[0]' 2>/dev/null || true)"
if [ -z "$EVT" ]; then
  fail "redelivery not checked: the node receiver verified no event"
else
  start_receiver node-redeliver "$NODE_PORT" "$SECRET_NODE" 1
  api POST "$BASE/v1/events/$EVT/redeliver" "$KEY" >"$WORK/redeliver.json"
  if finish_receiver node-redeliver "POST /v1/events/{id}/redeliver delivers again, freshly signed"; then
    GOT="$(jget "$WORK/node-redeliver.results.json" 'd["verified_events"][0]')"
    if [ "$GOT" = "$EVT" ]; then
      pass "the redelivery carries the same Unicharge-Event-Id (receivers dedupe on it)"
    else
      fail "the redelivery carries event id $GOT, not $EVT"
    fi
  fi
fi

# ------------------------------------------------------- the pingpp npm package
if [ -f "$WORK/first_delivery.json" ]; then
  if node "$HERE/pingpp_sdk_verify.mjs" --pingpp-dir "$PINGPP_DIR" --delivery "$WORK/first_delivery.json" \
    --pubkey "$PEM" >"$WORK/pingpp.log" 2>&1; then
    pass "pingpp npm example/webhooks_verify.js: $(tail -n 1 "$WORK/pingpp.log")"
  else
    fail "pingpp npm example/webhooks_verify.js"
    sed 's/^/    /' "$WORK/pingpp.log" >&2
  fi
else
  fail "pingpp npm check skipped: no captured delivery"
fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  fail "the server exited during the checks"
fi

echo "webhook-checks: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
