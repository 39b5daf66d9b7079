# shellcheck shell=bash
# Shared helpers for the project's scripts: loud step logging, the paths of
# the build outputs, and the choice of Wasm runtime (wasmedge or edge-host).
# Source it; do not run it.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"

# Rustup installs cargo under ~/.cargo/bin; a fresh login shell may not have it yet.
if [ -d "$HOME/.cargo/bin" ] && ! command -v cargo >/dev/null 2>&1; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# step MESSAGE: prints a visible step header on stderr.
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
# info MESSAGE: prints a detail line on stderr.
info() { printf '    %s\n' "$*" >&2; }
# die MESSAGE: prints an actionable error and exits 1.
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# require_number NAME VALUE [0]: dies unless VALUE is a whole number above 0 (with a
# third argument 0: a whole number, 0 allowed); NAME is the setting's name for the message.
require_number() {
  local pattern='^[1-9][0-9]*$' what="a positive whole number"
  [ "${3:-1}" = 0 ] && pattern='^[0-9]+$' what="a whole number"
  [[ "$2" =~ $pattern ]] || die "$1 must be $what, not '$2'"
}

# The native target triple (where edge-host and the native service build go).
host_triple() { rustc -vV | sed -n 's/^host: //p'; }

WASM_MODULE="${WASM_MODULE:-$CARGO_TARGET_DIR/wasm32-wasip1/release/edge_service.wasm}"
export WASM_MODULE

edge_host_bin() { echo "$CARGO_TARGET_DIR/$(host_triple)/release/edge-host"; }
native_service_bin() { echo "$CARGO_TARGET_DIR/$(host_triple)/release/edge_service"; }

# as_root CMD...: runs a command as root (directly, or through sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install sudo or run as root)"; fi
}

# apt_install PKG...: installs the Debian packages that are missing, quietly.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  info "installing Debian packages: ${missing[*]}"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/tmp/edge-apt.log 2>&1; then
    info "apt-get install failed; refreshing the package index and retrying"
    as_root apt-get update -q >>/tmp/edge-apt.log 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>/tmp/edge-apt.log 2>&1 \
      || die "could not install ${missing[*]} with apt-get (log: /tmp/edge-apt.log)"
  fi
}

# select_runtime: sets EDGE_RUNTIME (wasmedge|edge-host) and RUNTIME_CMD (array)
# that runs a module as `"${RUNTIME_CMD[@]}" [--env K=V]... MODULE [ARGS]`.
# EDGE_RUNTIME forces one; otherwise wasmedge when it is on PATH.
select_runtime() {
  local choice="${EDGE_RUNTIME:-}"
  if [ -z "$choice" ]; then
    if command -v wasmedge >/dev/null 2>&1; then choice=wasmedge; else choice=edge-host; fi
  fi
  case "$choice" in
    wasmedge)
      command -v wasmedge >/dev/null 2>&1 || die "EDGE_RUNTIME=wasmedge but wasmedge is not on PATH"
      # shellcheck disable=SC2034 # RUNTIME_CMD is for the scripts that source this file
      RUNTIME_CMD=(wasmedge run) ;;
    edge-host)
      local bin; bin="$(edge_host_bin)"
      [ -x "$bin" ] || die "edge-host is not built at $bin; run scripts/setup.sh"
      # shellcheck disable=SC2034
      RUNTIME_CMD=("$bin" run) ;;
    *) die "EDGE_RUNTIME must be 'wasmedge' or 'edge-host', not '$choice'" ;;
  esac
  EDGE_RUNTIME="$choice"
  export EDGE_RUNTIME
}

# The builds every script shares (toolchain check, module, edge-host, native service).
# shellcheck source=scripts/lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"
