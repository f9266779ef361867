# Shared by the channel cross-checks (tests/channels/*/run.sh): a Python
# virtual environment with the providers' SDKs, kept outside the source tree
# and reused while it still imports what the check needs.
#
#     source "$ROOT/tests/support/venv.sh"
#     uc_venv "${FOO_XCHECK_PYTHON:-}" foo-venv 'import foo_sdk' foo-sdk==1.2.3 cryptography
#
# Sets PY: the caller's override when given (the first argument), else
# $XDG_CACHE_HOME/unicharge/NAME (default ~/.cache), made and filled with the
# pinned packages when its import check fails. Sets VENV_FRESH=1 when it was
# just filled, for a caller that must fix something up after pip.
uc_venv() {
  local override="$1" name="$2" check="$3"
  shift 3
  VENV_FRESH=0
  if [ -n "$override" ]; then
    PY="$override"
    return 0
  fi
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/unicharge/$name"
  PY="$venv/bin/python"
  if ! "$PY" -c "$check" >/dev/null 2>&1; then
    log "setting up $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "$@"
    VENV_FRESH=1
  fi
}
