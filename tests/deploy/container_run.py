"""Running a module the way a Wasm container runtime runs an image: the image's
entrypoint, the image's environment (plus `docker run -e` style overrides) and
nothing of the host's environment, under the project's runner (wasmedge or
edge-host, chosen by scripts/lib/common.sh's select_runtime).

The process runs in its own process group, dies with the test process
(PR_SET_PDEATHSIG), and its pid is recorded in $DEPLOY_TEST_PIDS so the shell
script's trap can kill it even if pytest itself is killed.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1


def runtime_command() -> list[str]:
    """The runner command (`wasmedge run` or `edge-host run`) that scripts/test-deploy.sh chose."""
    raw = os.environ.get("EDGE_RUNTIME_CMD")
    if not raw:
        raise RuntimeError("EDGE_RUNTIME_CMD is not set: run these tests through scripts/test-deploy.sh")
    command = json.loads(raw)
    if not command or not Path(command[0]).name:
        raise RuntimeError(f"EDGE_RUNTIME_CMD is empty: {raw}")
    return command


def free_loopback_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def image_environment(config: dict, overrides: dict[str, str]) -> list[str]:
    """The container's environment: the image's Env with `overrides` replacing
    (or adding) variables, in the image's order, as `docker run -e` does."""
    env: dict[str, str] = {}
    for entry in config.get("config", {}).get("Env") or []:
        name, _, value = entry.partition("=")
        env[name] = value
    env.update(overrides)
    return [f"{name}={value}" for name, value in env.items()]


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it when the test process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@dataclass
class RunningContainer:
    """A module running under the runner, listening on 127.0.0.1:port."""

    process: subprocess.Popen
    port: int
    log_path: Path
    argv: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
        """GET http://127.0.0.1:port/path, returning status, headers and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def wait_until_answering(self, path: str, deadline_seconds: float = 60.0) -> None:
        """Polls `path` until any HTTP answer arrives; fails early if the process exits."""
        deadline = time.monotonic() + deadline_seconds
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the module exited with code {self.process.returncode} before answering.\n"
                    f"command: {' '.join(self.argv)}\noutput:\n{self.log()}"
                )
            try:
                self.get(path, timeout=2.0)
                return
            except (OSError, http.client.HTTPException) as error:
                last_error = error
                time.sleep(0.05)
        raise AssertionError(
            f"no HTTP answer on 127.0.0.1:{self.port}{path} within {deadline_seconds:.0f}s "
            f"(last error: {last_error}).\noutput:\n{self.log()}"
        )

    def stop(self) -> None:
        """Ends the whole process group: SIGTERM, then SIGKILL after 5 s."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass


def start_container(module: Path, config: dict, overrides: dict[str, str], log_path: Path) -> RunningContainer:
    """Starts `module` as the image `config` says (entrypoint args, env) with `overrides`."""
    container_config = config.get("config", {})
    entrypoint = container_config.get("Entrypoint") or []
    if not entrypoint:
        raise AssertionError("the image has no Entrypoint")
    arguments = entrypoint[1:] + (container_config.get("Cmd") or [])
    argv = list(runtime_command())
    for entry in image_environment(config, overrides):
        argv += ["--env", entry]
    argv += [str(module), *arguments]

    log_file = open(log_path, "wb")
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        # The runner gets only what it needs to start; the guest sees nothing
        # but the --env flags (both runners pass the guest only those).
        env={k: os.environ[k] for k in ("PATH", "HOME", "LD_LIBRARY_PATH") if k in os.environ},
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    log_file.close()
    pids_file = os.environ.get("DEPLOY_TEST_PIDS")
    if pids_file:
        with open(pids_file, "a") as pids:
            pids.write(f"{process.pid}\n")
    port = int(dict(e.split("=", 1) for e in image_environment(config, overrides))["PORT"])
    return RunningContainer(process, port, log_path, argv)
