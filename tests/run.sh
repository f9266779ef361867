#!/usr/bin/env bash
# The project's test command (README): lint, the whole suite on embedded
# SQLite and again on PostgreSQL, then the official Ping++ Python SDK against
# a real server. Starts PostgreSQL and Redis when they are down; fails if
# PostgreSQL still cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL="${UNICHARGE_TEST_POSTGRES_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
step() { printf '\n==> %s\n' "$*"; }

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  step "PostgreSQL is down; starting it"
  local ver
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$ver" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0
    sleep 1
  done
  echo "PostgreSQL is unreachable on 127.0.0.1:5432 after trying to start it" >&2
  exit 1
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return 0; fi
  if command -v redis-server >/dev/null 2>&1; then
    step "Redis is down; starting it"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
}

# Leftover databases from earlier runs of the PostgreSQL suite.
drop_old_test_databases() {
  psql "$PG_ADMIN_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'uc\_test\_%'" 2>/dev/null |
    while read -r db; do psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
}

ensure_postgres
ensure_redis
drop_old_test_databases

step "cargo fmt --check"
cargo fmt --all -- --check

step "dashboard: the committed build (crates/dashboard/dist) matches its source"
(cd crates/dashboard/web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
if [ -n "$(git status --porcelain crates/dashboard/dist)" ]; then
  git status --porcelain crates/dashboard/dist >&2
  echo "crates/dashboard/dist differs from a fresh build: run 'npm ci && npm run build' in crates/dashboard/web and commit dist" >&2
  exit 1
fi

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests on embedded SQLite"
cargo test --workspace --locked

step "black-box tests on PostgreSQL"
UNICHARGE_TEST_POSTGRES="$PG_ADMIN_URL" cargo test -p unicharge-tests --locked

step "official Ping++ Python SDK against a real server (SQLite, then PostgreSQL)"
cargo build -p unicharge --locked
export UNICHARGE_BIN="${UNICHARGE_BIN:-target/debug/unicharge}"
bash tests/sdk/run_pingpp_check.sh
sdk_db="uc_test_sdk_$$"
psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $sdk_db" >/dev/null
UNICHARGE_DATABASE_URL="${PG_ADMIN_URL%/*}/$sdk_db" bash tests/sdk/run_pingpp_check.sh
psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $sdk_db" >/dev/null 2>&1 || true

step "webhooks verified by independent code: Python hmac, Node crypto, the Ping++ npm example"
bash tests/webhooks/run_webhook_checks.sh

step "Alipay: our signing and verification against Alipay's own SDKs (PyPI), and our sandbox checked by them"
bash tests/channels/alipay/run.sh
bash tests/channels/alipay-sandbox/check.sh

step "WeChat Pay: our signing, verification and decryption against wechatpy and wechatpayv3, and our sandbox checked by them"
bash tests/channels/wechat/run.sh
bash tests/channels/wechat-sandbox/check.sh

step "UnionPay: our signMethod=01 signatures and verification against OpenSSL and yansongda/pay's published vectors, and our sandbox's answers checked by OpenSSL"
bash tests/channels/unionpay/run.sh

step "Apple: our JWS verifier, the Apple sandbox's signatures and our bearer token against Apple's app-store-server-library and PyJWT"
bash tests/channels/apple/run.sh

step "webhooks: 3 nodes on PostgreSQL and Redis, 2,000 charges, one node SIGKILLed halfway"
python3 tests/cluster/kill_test.py --bin "$UNICHARGE_BIN" --pg-admin "$PG_ADMIN_URL" \
  --redis redis://127.0.0.1:6379 --charges 2000

step "dashboard in headless Chromium (playwright-core): sign in, pay, refund, webhooks, tenant isolation"
bash tests/browser/run.sh

drop_old_test_databases
step "all checks passed"
