"""scripts/run.sh: which runtime it starts and with what. With `wasmedge` it
compiles the module ahead of time once per module (cached by SHA-256 under the
target directory), serves the compiled file with `--run-mode=aot`, compiles
again when the module changes, and serves the plain module when
WASMEDGE_RUN_MODE=interpreter. Without wasmedge it serves the module with
edge-host, unchanged.

The runtimes are stand-ins that record their arguments (one JSON list per
call) and exit, so this needs neither WasmEdge nor a build: WASM_MODULE makes
run.sh serve a given file without setup or build, and CARGO_TARGET_DIR points
its cache at a temporary directory."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

RUN_SCRIPT = REPO_ROOT / "scripts" / "run.sh"

# Records its arguments; `compile IN OUT` writes OUT (or fails when asked to,
# leaving a partial file behind as a crashed compiler would).
FAKE_WASMEDGE = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_RUNTIME_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args == ["--version"]:
    print("wasmedge version 0.17.0-fake")
elif args[:1] == ["compile"]:
    src, dst = args[-2], args[-1]
    with open(dst, "wb") as out:
        out.write(b"AOT of " + open(src, "rb").read())
        if os.environ.get("FAKE_COMPILE_FAILS"):
            sys.exit(1)
"""


@pytest.fixture()
def sandbox(tmp_path: Path) -> dict:
    """A fake `wasmedge` on PATH, a module, a target dir and a clean environment."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "wasmedge"
    fake.write_text(FAKE_WASMEDGE.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    module = tmp_path / "edge_service.wasm"
    module.write_bytes(b"\0asm first version")
    keep = ("HOME", "LANG", "TERM")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        WASM_MODULE=str(module),
        CARGO_TARGET_DIR=str(tmp_path / "target"),
        FAKE_RUNTIME_LOG=str(tmp_path / "calls.jsonl"),
        EDGE_DATA_DIR=str(tmp_path / "data"),
    )
    return {
        "env": env, "module": module, "log": tmp_path / "calls.jsonl", "target": tmp_path / "target",
        "bin": bin_dir, "data": tmp_path / "data",
    }


def run_script(sandbox: dict, **extra: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    """Runs scripts/run.sh; returns its result and the runtime calls it made (and clears them)."""
    result = subprocess.run(
        ["bash", str(RUN_SCRIPT)], env={**sandbox["env"], **extra}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=60,
    )
    log: Path = sandbox["log"]
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return result, calls


def served(calls: list[list[str]]) -> list[str]:
    """The one `run` call (the server start), without the `run` word."""
    runs = [c for c in calls if c[:1] == ["run"]]
    assert len(runs) == 1, calls
    return runs[0][1:]


def compiles(calls: list[list[str]]) -> list[list[str]]:
    return [c for c in calls if c[:1] == ["compile"]]


def test_wasmedge_compiles_once_then_serves_the_cached_file_in_aot_mode(sandbox: dict) -> None:
    first, calls = run_script(sandbox, PORT="9123")
    assert first.returncode == 0, first.stdout
    [compile_call] = compiles(calls)
    assert compile_call[:3] == ["compile", "--optimize", "3"]
    assert compile_call[3] == str(sandbox["module"])
    run_args = served(calls)
    assert run_args[0] == "--run-mode=aot"
    assert run_args[1:3] == ["--env", "PORT=9123"]
    cached = Path(run_args[-1])
    assert cached.parent == sandbox["target"] / "wasmedge-aot"
    assert cached.read_bytes() == b"AOT of " + sandbox["module"].read_bytes()
    assert [p.name for p in cached.parent.iterdir()] == [cached.name], "no temporary file may be left"
    assert "compiling" in first.stdout.lower()

    second, calls = run_script(sandbox, PORT="9123")
    assert second.returncode == 0, second.stdout
    assert compiles(calls) == [], "an unchanged module must not be compiled again"
    assert served(calls)[-1] == str(cached)
    assert "reusing cached AOT module" in second.stdout


def test_a_changed_module_is_compiled_again_and_the_old_file_removed(sandbox: dict) -> None:
    _, calls = run_script(sandbox)
    old = Path(served(calls)[-1])

    sandbox["module"].write_bytes(b"\0asm second version")
    result, calls = run_script(sandbox)
    assert result.returncode == 0, result.stdout
    assert len(compiles(calls)) == 1
    new = Path(served(calls)[-1])
    assert new != old
    assert new.read_bytes() == b"AOT of \0asm second version"
    assert not old.exists(), "a stale compilation is never used again"


def test_touching_the_module_without_changing_it_reuses_the_cache(sandbox: dict) -> None:
    _, calls = run_script(sandbox)
    cached = served(calls)[-1]
    os.utime(sandbox["module"], (2_000_000_000, 2_000_000_000))
    _, calls = run_script(sandbox)
    assert compiles(calls) == []
    assert served(calls)[-1] == cached


def test_interpreter_mode_serves_the_plain_module_without_compiling(sandbox: dict) -> None:
    result, calls = run_script(sandbox, WASMEDGE_RUN_MODE="interpreter")
    assert result.returncode == 0, result.stdout
    assert compiles(calls) == []
    run_args = served(calls)
    assert not any(a.startswith("--run-mode") for a in run_args), run_args
    assert run_args[-1] == str(sandbox["module"])
    assert not (sandbox["target"] / "wasmedge-aot").exists()


def test_an_unknown_run_mode_is_refused(sandbox: dict) -> None:
    result, calls = run_script(sandbox, WASMEDGE_RUN_MODE="jit")
    assert result.returncode != 0
    assert "WASMEDGE_RUN_MODE" in result.stdout
    assert [c for c in calls if c[:1] in (["run"], ["compile"])] == []


def test_a_failed_compilation_leaves_no_cached_file_and_serves_nothing(sandbox: dict) -> None:
    result, calls = run_script(sandbox, FAKE_COMPILE_FAILS="1")
    assert result.returncode != 0
    assert "wasmedge compile failed" in result.stdout
    assert [c for c in calls if c[:1] == ["run"]] == []
    assert list((sandbox["target"] / "wasmedge-aot").iterdir()) == []


def test_service_settings_are_passed_with_env_and_secrets_are_not_printed(sandbox: dict) -> None:
    url = "mysql://edge:s3cret-pass@db:3306/edge"
    result, calls = run_script(sandbox, DATABASE_URL=url, LOG_LEVEL="warn", UNRELATED="x")
    assert result.returncode == 0, result.stdout
    run_args = served(calls)
    envs = [run_args[i + 1] for i, a in enumerate(run_args) if a == "--env"]
    assert envs == ["PORT=8080", "LOG_LEVEL=warn", f"DATABASE_URL={url}"]
    assert "s3cret-pass" not in result.stdout


def test_without_wasmedge_the_module_is_served_by_edge_host(sandbox: dict) -> None:
    # edge-host is where common.sh looks for it: TARGET/<host triple>/release/edge-host.
    triple = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    [host] = [line.removeprefix("host: ") for line in triple.splitlines() if line.startswith("host: ")]
    edge_host = sandbox["target"] / host / "release" / "edge-host"
    edge_host.parent.mkdir(parents=True)
    shutil.copyfile(sandbox["bin"] / "wasmedge", edge_host)
    edge_host.chmod(0o755)
    (sandbox["bin"] / "wasmedge").unlink()
    rustc_dir = str(Path(shutil.which("rustc") or "rustc").parent)

    result, calls = run_script(sandbox, PATH=f"{sandbox['bin']}:{rustc_dir}:/usr/bin:/bin")
    assert result.returncode == 0, result.stdout
    assert calls == [[
        "run", "--env", "PORT=8080", "--env", "DATABASE_URL=sqlite:///data/edge-service.db",
        "--dir", f"/data:{sandbox['data']}", str(sandbox["module"]),
    ]]
    assert not (sandbox["target"] / "wasmedge-aot").exists()


def test_by_default_the_store_is_a_sqlite_file_in_a_data_directory_it_creates_and_grants(sandbox: dict) -> None:
    assert not sandbox["data"].exists()
    result, calls = run_script(sandbox)
    assert result.returncode == 0, result.stdout
    run_args = served(calls)
    envs = [run_args[i + 1] for i, a in enumerate(run_args) if a == "--env"]
    assert envs == ["PORT=8080", "DATABASE_URL=sqlite:///data/edge-service.db"]
    dirs = [run_args[i + 1] for i, a in enumerate(run_args) if a == "--dir"]
    assert dirs == [f"/data:{sandbox['data']}"]
    assert sandbox["data"].is_dir(), "the data directory is created"
    assert f"SQLite in {sandbox['data']}/edge-service.db" in result.stdout, "the start line says where the data lives"


def test_an_empty_database_url_serves_the_memory_store_without_a_data_directory(sandbox: dict) -> None:
    result, calls = run_script(sandbox, DATABASE_URL="")
    assert result.returncode == 0, result.stdout
    run_args = served(calls)
    assert "--dir" not in run_args
    assert "memory store" in result.stdout
    assert not sandbox["data"].exists()
