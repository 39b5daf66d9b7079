"""What the benchmark measures: one ``Row`` per runtime, in table order.

A row knows how to start its server on a given port, what its deployable
artifact is, and which built pieces it needs; ``check_built`` turns a missing
piece into a sentence that says which command makes it.
"""

import dataclasses
import os
import shutil
import subprocess


@dataclasses.dataclass
class Row:
    """One runtime in the table."""

    key: str
    label: str
    # argv(port) -> the server's command line (without the taskset prefix).
    argv: object
    # Extra environment for the server process.
    env: dict
    cwd: str
    # Files whose total size is the "artifact" column, and what they are.
    artifact_paths: list
    artifact_note: str
    # (path, sentence) pairs that must exist before the row can run.
    needs: list
    # Environment variables that point at a per-run scratch directory (cache).
    scratch_env: list = dataclasses.field(default_factory=list)
    runtime_note: str = ""

    def command_line(self, repo, port="$PORT"):
        """The server command as a person would type it from the repository root (for the report)."""
        words = [f"{k}={v}".replace("{port}", port) for k, v in self.env.items()]
        words += [f"{k}=<scratch dir>" for k in self.scratch_env]
        words += ["taskset", "-c", "0"] + [_relative(str(a), repo) for a in self.argv(port)]
        line = " ".join(words)
        return f"(cd {_relative(self.cwd, repo)} && {line})" if self.cwd else line


def _relative(path, repo):
    """`path` relative to the repository when it is inside it (shorter, and true on any clone)."""
    if os.path.isabs(path) and os.path.commonpath([path, repo]) == repo:
        return os.path.relpath(path, repo)
    return path


# Where the native service and the peers listen, from their environment ({port} filled in).
LISTEN_ENV = {"PORT": "{port}", "HOST": "127.0.0.1"}


def _wasm_argv(runtime, module, *flags):
    """argv(port) for a Wasm runtime, which hands the module PORT and HOST with `--env`."""
    return lambda port: [runtime, "run", *flags, "--env", f"PORT={port}", "--env", "HOST=127.0.0.1", module]


def build_rows(paths):
    """All rows, in the article's order: native first (the baseline), Wasm, peers."""
    p = paths
    rows = [
        Row(
            key="native",
            label="Rust native (edge_service, hyper)",
            argv=lambda port: [p["native"]],
            env=dict(LISTEN_ENV),
            cwd="",
            artifact_paths=[p["native"]],
            artifact_note="stripped release binary",
            needs=[(p["native"], "the native service is not built; run `cargo build --release --target host-tuple`")],
        ),
        Row(
            key="edge-host",
            label="Rust+Wasm on edge-host (wasmtime, warm cache)",
            argv=_wasm_argv(p["edge_host"], p["wasm"]),
            env={},
            cwd="",
            artifact_paths=[p["wasm"]],
            artifact_note=".wasm module",
            needs=[
                (p["wasm"], "the service module is not built; run `cargo build --release`"),
                (p["edge_host"], "edge-host is not built; run `cd host && cargo build --release`"),
            ],
            scratch_env=["EDGE_HOST_CACHE_DIR"],
            runtime_note=f"edge-host binary {_size(p['edge_host'])}",
        ),
    ]
    wasmedge = shutil.which("wasmedge")
    if wasmedge:
        version = _first_line([wasmedge, "--version"])
        rows += [
            Row(
                key="wasmedge-interp",
                label="Rust+Wasm on WasmEdge (interpreter)",
                argv=_wasm_argv(wasmedge, p["wasm"]),
                env={},
                cwd="",
                artifact_paths=[p["wasm"]],
                artifact_note=".wasm module",
                needs=[(p["wasm"], "the service module is not built; run `cargo build --release`")],
                runtime_note=version,
            ),
            Row(
                key="wasmedge-aot",
                label="Rust+Wasm on WasmEdge (AOT)",
                # WasmEdge 0.17 interprets even an AOT file unless told --run-mode=aot.
                argv=_wasm_argv(wasmedge, p["wasm_aot"], "--run-mode=aot"),
                env={},
                cwd="",
                artifact_paths=[p["wasm_aot"]],
                artifact_note="`wasmedge compile` output",
                needs=[(p["wasm_aot"], "the AOT module is missing; scripts/bench.sh makes it with `wasmedge compile`")],
                runtime_note=version,
            ),
        ]
    node = shutil.which("node") or "node"
    node_note = f"node {_first_line([node, '--version'])} binary {_size(node)}"
    rows += [
        Row(
            key="node-http",
            label="Node.js (node:http)",
            argv=lambda port: [node, "server.js"],
            env={**LISTEN_ENV, "NODE_ENV": "production"},
            cwd=p["node_http_dir"],
            artifact_paths=[os.path.join(p["node_http_dir"], "server.js")],
            artifact_note="server.js (runtime not counted)",
            needs=[(os.path.join(p["node_http_dir"], "server.js"), "bench/peers/node-http/server.js is missing")],
            runtime_note=node_note,
        ),
        Row(
            key="express",
            label="Node.js (Express)",
            argv=lambda port: [node, "server.js"],
            env={**LISTEN_ENV, "NODE_ENV": "production"},
            cwd=p["express_dir"],
            artifact_paths=[
                os.path.join(p["express_dir"], "server.js"),
                os.path.join(p["express_dir"], "node_modules"),
            ],
            artifact_note="server.js + node_modules (runtime not counted)",
            needs=[(
                os.path.join(p["express_dir"], "node_modules", "express"),
                "Express is not installed; run `npm ci` in bench/peers/express",
            )],
            runtime_note=node_note,
        ),
        Row(
            key="go",
            label="Go (net/http)",
            argv=lambda port: [p["go"]],
            env=dict(LISTEN_ENV),
            cwd="",
            artifact_paths=[p["go"]],
            artifact_note="static binary",
            needs=[(p["go"], "the Go peer is not built; scripts/bench.sh builds it with `go build`")],
            runtime_note=_first_line(["go", "version"]) if shutil.which("go") else "",
        ),
    ]
    return rows


def server_env(row, port, scratch):
    """The full environment for starting `row` on `port`."""
    env = dict(os.environ)
    for key, value in row.env.items():
        env[key] = value.replace("{port}", str(port))
    for key in row.scratch_env:
        env[key] = scratch
    return env


def check_built(row):
    """Raises FileNotFoundError with the row's own sentence if a piece is missing."""
    for path, sentence in row.needs:
        if not os.path.exists(path):
            raise FileNotFoundError(f"{row.label}: {sentence} (looked for {path})")


def artifact_bytes(row):
    """Total size of the row's artifact (directories counted file by file)."""
    total = 0
    for path in row.artifact_paths:
        if os.path.isdir(path):
            for root, _dirs, files in os.walk(path):
                total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        elif os.path.exists(path):
            total += os.path.getsize(path)
    return total


def _size(path):
    try:
        return f"{os.path.getsize(path) / 1e6:.1f} MB"
    except OSError:
        return "(missing)"


def _first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "(unknown version)"
