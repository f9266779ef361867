# Shared by the shell-driven checks (tests/sdk, tests/webhooks,
# tests/browser, tests/channels/*): find the server binary, make a scratch
# directory that is removed on exit together with every process started,
# and run `unicharge serve` on a free loopback port until it answers /ready.
#
#     ROOT=…; source "$ROOT/tests/support/server.sh"
#     log() { …; }; die() { …; }            # the caller's own prefix
#     uc_bin target/debug/unicharge          # sets BIN (absolute)
#     uc_scratch unicharge-foo               # sets WORK, installs the traps
#     uc_server_env                          # sets PORT, BASE and the UNICHARGE_* of the server
#     uc_serve                               # starts it (SERVER_PID), waits for GET /ready
#
# Callers may append to BG_PIDS for other background processes they start.

# uc_bin DEFAULT: $UNICHARGE_BIN, or DEFAULT built with cargo when missing
# (release when DEFAULT is under target/release).
uc_bin() {
  local default="$1"
  BIN="${UNICHARGE_BIN:-$default}"
  if [ ! -x "$BIN" ] && [ "$BIN" = "$default" ]; then
    log "building $BIN"
    case "$default" in
      */release/*) cargo build --release -p unicharge ;;
      *) cargo build -p unicharge ;;
    esac
  fi
  [ -x "$BIN" ] || die "no executable server binary at $BIN (set UNICHARGE_BIN)"
  case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
}

SERVER_PID=""
BG_PIDS=()

uc_cleanup() {
  local rc=$?
  local p
  for p in "${BG_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
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
    log "last lines of the server log ($WORK/server.log):"
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}

# uc_scratch PREFIX: a fresh WORK directory, removed (with the server and
# BG_PIDS stopped) however the script ends.
uc_scratch() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  trap uc_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Loopback traffic must never go through a proxy (Python's urllib, requests
  # and Node honour HTTP_PROXY otherwise).
  export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
  export no_proxy="$NO_PROXY"
}

uc_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# uc_server_env: a free port and a data directory under WORK. The database is
# UNICHARGE_DATABASE_URL when the caller set it, embedded SQLite otherwise.
uc_server_env() {
  PORT="$(uc_free_port)"
  BASE="http://127.0.0.1:$PORT"
  export UNICHARGE_DATA_DIR="$WORK/data"
  export UNICHARGE_LISTEN="127.0.0.1:$PORT"
  export UNICHARGE_PUBLIC_URL="$BASE"
  mkdir -p "$UNICHARGE_DATA_DIR"
  if [ -n "${UNICHARGE_DATABASE_URL:-}" ]; then
    log "database: ${UNICHARGE_DATABASE_URL%%://*} (UNICHARGE_DATABASE_URL)"
  else
    log "database: embedded SQLite under $UNICHARGE_DATA_DIR"
  fi
}

# uc_serve: starts `$BIN serve` (log in $WORK/server.log) and waits up to
# 30 s for GET /ready to answer 200; dies if the server exits first.
uc_serve() {
  log "starting $BIN serve on $BASE"
  "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  python3 - "$BASE/ready" "$SERVER_PID" <<'EOF' || die "the server did not become ready (GET /ready -> 200) within 30 s"
import os, sys, time, urllib.request, urllib.error
url, pid = sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
deadline = time.monotonic() + 30
last = "no answer"
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited during start-up")
    try:
        with opener.open(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
            last = "HTTP %d" % r.status
    except urllib.error.HTTPError as e:
        last = "HTTP %d" % e.code
    except Exception as e:
        last = repr(e)
    time.sleep(0.2)
sys.exit("GET %s: %s" % (url, last))
EOF
  log "server ready"
}
