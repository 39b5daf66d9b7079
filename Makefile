# One entry point for the project's steps. Every target runs a script of scripts/
# (each installs what it needs and can also be run by hand); the prerequisites give
# the order:
#
#   setup -> module, edge-host, native (build) -> test-lint -> test-unit
#         -> test-conformance -> test-e2e -> test-backends -> test-deploy (test)
#   build -> image, bench, bench-*, profile
#
# `make test` is `bash scripts/test.sh` (what CI runs) split into its suites; `make
# run` is `scripts/run.sh`. Extra arguments for a script: ARGS, e.g.
# `make bench ARGS=--smoke`, `make image ARGS=--wasm-only`.
# Targets run one at a time (.NOTPARALLEL): they share target/ and the machine's cores.

SHELL := /bin/bash
ARGS ?=

.NOTPARALLEL:
.DEFAULT_GOAL := help

.PHONY: help setup module edge-host native build run env-spec \
        test test-lint test-unit test-conformance test-e2e test-backends test-deploy \
        image bench bench-coldstart bench-backends bench-attack bench-container profile conformance-fuzz

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## /  \1\t/' | expand -t 20

setup: ## the Rust target and Debian packages the build needs (scripts/setup.sh)
	EDGE_SKIP_HOST_BUILD=1 bash scripts/setup.sh

module: setup ## the service module, target/wasm32-wasip1/release/edge_service.wasm
	bash scripts/build.sh module

edge-host: setup ## edge-host, the native runner of the WasmEdge socket ABI (release)
	bash scripts/build.sh edge-host

native: setup ## the service built for this machine (release; the benchmarks' baseline)
	bash scripts/build.sh native

build: module edge-host native ## all three

run: ## serve the module on PORT (default 8080): scripts/run.sh
	bash scripts/run.sh

env-spec: ## rewrite src/config/variables.txt and the README's table from the declaration
	bash scripts/env-spec.sh

test: test-lint test-unit test-conformance test-e2e test-backends test-deploy ## every suite, in order (= scripts/test.sh)

test-lint: module edge-host ## formatting and clippy, both targets and edge-host
	bash scripts/test.sh lint

test-unit: module edge-host ## edge-host's tests and the service's unit tests
	bash scripts/test.sh unit

test-conformance: module edge-host ## the WasmEdge socket ABI conformance suite
	bash scripts/test.sh conformance

test-e2e: module edge-host ## the service's end-to-end tests on the module (memory store)
	bash scripts/test.sh e2e

test-backends: module edge-host ## the end-to-end suite on SQLite, MySQL, PostgreSQL and Redis
	bash scripts/test.sh backends

test-deploy: module edge-host ## the deployment tests (image, manifests, run as a container)
	bash scripts/test.sh deploy

image: module ## the OCI images, without a Docker daemon (scripts/image.sh)
	bash scripts/image.sh $(ARGS)

bench: build ## the comparison benchmark (scripts/bench.sh; ARGS=--smoke for a quick check)
	bash scripts/bench.sh $(ARGS)

bench-coldstart: module edge-host ## cold start only (scripts/bench-coldstart.sh)
	bash scripts/bench-coldstart.sh $(ARGS)

bench-backends: build ## GET /api/users/{id} on each store (scripts/bench-backends.sh)
	bash scripts/bench-backends.sh

bench-attack: build ## hostile load (scripts/bench-attack.sh)
	bash scripts/bench-attack.sh $(ARGS)

bench-container: build ## the runner image under dockerd and crun (scripts/bench-container.sh)
	bash scripts/bench-container.sh $(ARGS)

profile: build ## per-request instruction counts (scripts/profile.sh)
	bash scripts/profile.sh $(ARGS)

conformance-fuzz: edge-host ## differential fuzzing of the socket ABI (scripts/conformance-fuzz.sh)
	bash scripts/conformance-fuzz.sh $(ARGS)
