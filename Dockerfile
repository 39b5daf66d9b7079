# syntax=docker/dockerfile:1
#
# edge-service as a docker+wasm image: nothing but the release Wasm module.
#
#   cargo build --release          # -> target/wasm32-wasip1/release/edge_service.wasm
#   docker buildx build --platform wasi/wasm -t edge-service:latest --load .
#   docker run --rm --runtime=io.containerd.wasmedge.v1 --platform=wasi/wasm \
#     -p 8080:8080 edge-service:latest
#
# Without a Docker daemon, scripts/image.sh builds the same image (same
# entrypoint, environment, port and platform) reproducibly with umoci.
#
# Why only the portable .wasm and no WasmEdge AOT variant:
# - AOT output is native machine code for one CPU architecture; the image's
#   platform is wasi/wasm, which promises "runs on any node", amd64 or arm64.
# - Whether AOT code runs at all depends on the shim and its WasmEdge version:
#   `wasmedge` 0.17 itself runs the interpreter unless given --run-mode=aot,
#   and crun's WasmEdge handler and the containerd WasmEdge shim load the file
#   with WasmEdge's default configuration, so the extra bytes may never run.
# - WasmEdge executes an AOT section as trusted native code: shipping it in the
#   image moves trust from the sandbox to whoever built the image.
# Users on a single-architecture cluster whose runtime does run AOT code can
# build that variant themselves (the README shows how):
#   wasmedge compile --optimize 3 target/wasm32-wasip1/release/edge_service.wasm target/wasm32-wasip1/release/edge_service_aot.wasm
#   docker buildx build --platform wasi/wasm --build-arg MODULE=target/wasm32-wasip1/release/edge_service_aot.wasm -t edge-service:aot --load .
FROM scratch

ARG MODULE=target/wasm32-wasip1/release/edge_service.wasm
# crun's compat-smart mode hands a container to WasmEdge only when the
# entrypoint's name ends in .wasm: keep the suffix.
COPY --chmod=0755 ${MODULE} /edge_service.wasm

# The service listens on HOST:PORT; in a container it must listen on all
# interfaces for -p / Service traffic to reach it.
ENV PORT=8080 HOST=0.0.0.0
EXPOSE 8080

ENTRYPOINT ["/edge_service.wasm"]
