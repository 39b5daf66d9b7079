#!/usr/bin/env bash
# Runs the service on PORT (default 8080) with its embedded durable store: a SQLite
# file in the data directory EDGE_DATA_DIR (default: data/ in the repository), which it
# creates and grants the module as /data (`--dir /data:DIR`), so users survive every
# restart. DATABASE_URL chooses another store (set it empty for the memory store).
# Sets the machine up if needed, builds the module, and serves it with `wasmedge`
# when it is on PATH, else with edge-host. EDGE_RUNTIME=wasmedge|edge-host forces one.
# Every variable the service reads (PORT, HOST, LOG_FORMAT, LOG_LEVEL, ...: the list
# `edge_service --print-env-spec` prints) is passed through to the module with --env,
# because WasmEdge does not inherit the environment.
#
# With wasmedge the module is compiled ahead of time once (`wasmedge compile
# --optimize 3`) into target/wasmedge-aot/, named by the module's SHA-256 and the
# WasmEdge version, and served with `wasmedge run --run-mode=aot` (WasmEdge
# interprets even a compiled file unless asked). A changed module or another
# WasmEdge compiles again; an unchanged one reuses the file.
# WASMEDGE_RUN_MODE=interpreter serves the plain module with WasmEdge's interpreter.
#
# WASM_MODULE=FILE serves that module as it is: no setup, no build.
set -euo pipefail
requested_module="${WASM_MODULE:-}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [ -n "$requested_module" ]; then
  WASM_MODULE="$requested_module"
  [ -f "$WASM_MODULE" ] || die "WASM_MODULE=$WASM_MODULE is not a file"
  info "serving $WASM_MODULE as it is (WASM_MODULE is set: no setup, no build)"
else
  bash "$REPO_ROOT/scripts/setup.sh"
  bash "$REPO_ROOT/scripts/build.sh"
fi
select_runtime

# The names come from the service's own declaration (src/config/variables.rs, written
# out as src/config/variables.txt: `edge_service --print-env-spec`).
variables="$REPO_ROOT/src/config/variables.txt"
[ -s "$variables" ] || die "$variables is missing or empty: run bash scripts/env-spec.sh"
env_flags=(--env "PORT=${PORT:-8080}")
while read -r name; do
  if [ "$name" != PORT ] && [ -n "${!name+x}" ]; then env_flags+=(--env "$name=${!name}"); fi
done <"$variables"

# The embedded store's directory, unless DATABASE_URL (even empty) chooses the store.
dir_flags=()
store_line="the store DATABASE_URL names"
if [ -z "${DATABASE_URL+x}" ]; then
  data_dir="${EDGE_DATA_DIR:-$REPO_ROOT/data}"
  mkdir -p "$data_dir" || die "cannot create the data directory $data_dir (set EDGE_DATA_DIR to a writable directory)"
  data_dir="$(cd "$data_dir" && pwd)"
  env_flags+=(--env "DATABASE_URL=sqlite:///data/edge-service.db")
  dir_flags=(--dir "/data:$data_dir")
  store_line="SQLite in $data_dir/edge-service.db (granted to the module as /data)"
elif [ -z "$DATABASE_URL" ]; then
  store_line="the memory store (DATABASE_URL is empty: nothing survives a restart)"
fi

# wasmedge_aot_module MODULE: prints the path of MODULE compiled by `wasmedge compile`,
# compiling it first unless the cache already holds it. The file appears under its
# final name only when complete (compiled to a temporary name, then renamed).
wasmedge_aot_module() {
  local module="$1" cache="$CARGO_TARGET_DIR/wasmedge-aot" hash version out tmp
  hash="$(sha256sum "$module" | cut -d' ' -f1)"
  version="$(wasmedge --version | head -n1 | sed 's/.*version //; s/[^A-Za-z0-9._-]/_/g')"
  [ -n "$version" ] || die "'wasmedge --version' printed no version"
  out="$cache/edge_service-${hash:0:16}-wasmedge-$version-O3.wasm"
  if [ -f "$out" ]; then
    info "reusing cached AOT module $out (module sha256 ${hash:0:16}…, WasmEdge $version)"
  else
    mkdir -p "$cache"
    # A compilation killed half-way leaves its temporary file; clear old ones.
    find "$cache" -maxdepth 1 -name '.compiling.*' -mmin +60 -delete
    tmp="$(mktemp --suffix=.wasm "$cache/.compiling.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    step "Compiling the module ahead of time: wasmedge compile --optimize 3 (once per module and WasmEdge version)"
    info "module sha256 ${hash:0:16}…, WasmEdge $version -> $out"
    if ! wasmedge compile --optimize 3 "$module" "$tmp" >&2; then
      die "wasmedge compile failed on $module (output above); WASMEDGE_RUN_MODE=interpreter serves it without compiling"
    fi
    chmod 0644 "$tmp"
    mv -f "$tmp" "$out"
    trap - EXIT
    # Older compilations of other modules or WasmEdge versions are never used again.
    find "$cache" -maxdepth 1 -name 'edge_service-*.wasm' ! -path "$out" -delete
  fi
  printf '%s\n' "$out"
}

serve="$WASM_MODULE"
mode=""
if [ "$EDGE_RUNTIME" = wasmedge ]; then
  case "${WASMEDGE_RUN_MODE:-aot}" in
    aot)
      serve="$(wasmedge_aot_module "$WASM_MODULE")"
      RUNTIME_CMD+=(--run-mode=aot)
      mode=" (AOT)" ;;
    interpreter)
      info "WASMEDGE_RUN_MODE=interpreter: serving the plain module with WasmEdge's interpreter (much slower than AOT)"
      mode=" (interpreter)" ;;
    *) die "WASMEDGE_RUN_MODE must be 'aot' (the default) or 'interpreter', not '$WASMEDGE_RUN_MODE'" ;;
  esac
fi

step "Serving on port ${PORT:-8080} with $EDGE_RUNTIME$mode (Ctrl-C stops it)"
info "data: $store_line"
env_names=()
for ((i = 1; i < ${#env_flags[@]}; i += 2)); do env_names+=("${env_flags[i]%%=*}"); done
info "${RUNTIME_CMD[*]} --env for ${env_names[*]} ${dir_flags[*]} $serve"
exec "${RUNTIME_CMD[@]}" "${env_flags[@]}" "${dir_flags[@]}" "$serve"
