# shellcheck shell=bash
# Starting and stopping the service for the benchmarks that drive it from a script
# (bench-attack.sh, bench-backends.sh): natively or as the module on edge-host, on
# loopback, with LOG_LEVEL=warn and the settings given, its output in a log file.
# Source it after common.sh; do not run it.

SERVICE_PID=""

# start_service RUNTIME PORT LOG [NAME=VALUE...]: starts the service in the background
# (RUNTIME native: the native release build; edge-host: the release module on edge-host)
# on 127.0.0.1:PORT, prefixed by the words of SERVICE_PREFIX (e.g. `taskset -c 0`),
# sets SERVICE_PID, and waits until GET /api/ready answers 200 (at most 120 s).
start_service() {
  local runtime="$1" port="$2" log="$3"; shift 3
  local settings=("HOST=127.0.0.1" "PORT=$port" "LOG_LEVEL=warn" "$@") prefix=()
  read -r -a prefix <<<"${SERVICE_PREFIX:-}"
  case "$runtime" in
    native)
      env -i PATH="$PATH" "${settings[@]}" ${prefix[@]+"${prefix[@]}"} "$(native_service_bin)" >"$log" 2>&1 & ;;
    edge-host)
      local flags=() setting
      for setting in "${settings[@]}"; do flags+=(--env "$setting"); done
      EDGE_HOST_CACHE_DIR="${EDGE_HOST_CACHE_DIR:-$CARGO_TARGET_DIR/edge-host-cache}" \
        ${prefix[@]+"${prefix[@]}"} "$(edge_host_bin)" run "${flags[@]}" "$WASM_MODULE" >"$log" 2>&1 & ;;
    *) die "start_service: unknown runtime '$runtime' (native or edge-host)" ;;
  esac
  SERVICE_PID=$!
  local deadline=$((SECONDS + 120))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/api/ready"; do
    kill -0 "$SERVICE_PID" 2>/dev/null || { cat "$log" >&2; die "the $runtime service exited during start (its log is above)"; }
    [ $SECONDS -lt $deadline ] || { cat "$log" >&2; die "the $runtime service was not ready within 120 s"; }
    sleep 0.1
  done
}

# stop_service: stops the service start_service started, if it runs.
stop_service() {
  if [ -n "$SERVICE_PID" ]; then
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=""
  fi
}

# free_port: a TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
