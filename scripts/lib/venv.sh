# shellcheck shell=bash
# A private Python environment for the project's Python-based checks (the
# deployment tests and their validators), kept in target/py-venv so it is cached
# with the other build outputs and never touches the system's Python.
# Source it after scripts/lib/common.sh; do not run it.
#
#   ensure_py_venv tests/deploy/requirements.txt
#   "$PY_VENV/bin/pytest" ...
#
# Idempotent: the venv is created once, and pip runs again only when the
# requirements file changed (its sha256 is kept in a stamp file inside the venv).

PY_VENV="${PY_VENV:-$CARGO_TARGET_DIR/py-venv}"
export PY_VENV

# ensure_py_venv REQUIREMENTS_FILE: creates or reuses $PY_VENV and installs the
# pinned packages that REQUIREMENTS_FILE lists.
ensure_py_venv() {
  local requirements="$1"
  [ -f "$requirements" ] || die "requirements file $requirements does not exist"

  if ! command -v python3 >/dev/null 2>&1; then
    apt_install python3 python3-venv python3-pip
  fi
  # Debian's python3 ships venv without ensurepip unless python3-venv is installed.
  if [ ! -x "$PY_VENV/bin/python" ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt_install python3-venv python3-pip
  fi

  if [ -x "$PY_VENV/bin/python" ] && ! "$PY_VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    info "the Python venv at $PY_VENV is broken (its interpreter moved?); recreating it"
    rm -rf "$PY_VENV"
  fi
  if [ ! -x "$PY_VENV/bin/python" ]; then
    info "creating a Python venv at $PY_VENV"
    python3 -m venv "$PY_VENV" || die "python3 -m venv $PY_VENV failed; install python3-venv (apt-get install python3-venv) and retry"
  fi

  local want have stamp="$PY_VENV/.requirements.sha256"
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  if [ "$want" = "$have" ]; then
    info "Python venv $PY_VENV is up to date with $(basename "$(dirname "$requirements")")/$(basename "$requirements")"
    return 0
  fi

  info "installing pinned Python packages from $requirements into $PY_VENV"
  local log; log="$(mktemp /tmp/edge-pip.XXXXXX.log)"
  if ! "$PY_VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "pip could not install $requirements (full log: $log); check that PyPI is reachable"
  fi
  rm -f "$log"
  printf '%s\n' "$want" >"$stamp"
}
