#!/usr/bin/env bash
# Runs the service on PORT (default 8080) with the embedded memory store:
# sets the machine up if needed, builds the module, and serves it with `wasmedge`
# when it is on PATH, else with edge-host. EDGE_RUNTIME=wasmedge|edge-host forces one.
# Every variable the service reads (PORT, HOST, LOG_FORMAT, LOG_LEVEL, ...) is passed
# through to the module with --env, because WasmEdge does not inherit the environment.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

bash "$REPO_ROOT/scripts/setup.sh"
bash "$REPO_ROOT/scripts/build.sh"
select_runtime

env_flags=(--env "PORT=${PORT:-8080}")
for name in HOST LOG_FORMAT LOG_LEVEL MAX_BODY_BYTES MAX_BUFFERED_BODY_BYTES MAX_CONNECTIONS READ_TIMEOUT_SECS IDLE_TIMEOUT_SECS \
    CORS_ALLOW_ORIGIN DATABASE_URL REDIS_URL CACHE_TTL_SECS CACHE_TIMEOUT_MS DB_TIMEOUT_MS DB_POOL_SIZE; do
  if [ -n "${!name+x}" ]; then env_flags+=(--env "$name=${!name}"); fi
done

step "Serving on port ${PORT:-8080} with $EDGE_RUNTIME (Ctrl-C stops it)"
exec "${RUNTIME_CMD[@]}" "${env_flags[@]}" "$WASM_MODULE"
