"""Real container engines for the tests: Debian's dockerd (20.10) and crun, each
started privately in a temporary directory and stopped with everything it
started.

This machine mounts cgroups in hybrid mode (v1 controllers plus a v2
hierarchy at /sys/fs/cgroup/unified), which runc and crun refuse. Both engines
therefore run in a private mount namespace (`unshare -m`) in which the unified
hierarchy is unmounted; mounts made there vanish with the namespace.

dockerd gets its own socket, data root (vfs storage) and exec root, no bridge
and no iptables rules (containers use the host network), and a cgroup parent
of its own, so any process it leaves behind can be found and killed. Its
directory is recorded in $DEPLOY_TEST_ENGINES so scripts/test-deploy.sh can
stop it even if pytest itself is killed.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

# Where the hybrid layout mounts the cgroup v2 hierarchy that runc/crun trip over.
UNIFIED_CGROUP = "/sys/fs/cgroup/unified"
# Every Debian docker.io client talks to the 20.10 daemon; newer clients need the API pinned.
DOCKER_API_VERSION = "1.41"


def in_private_mount_namespace(command: list[str]) -> list[str]:
    """`command` run in a new mount namespace without the cgroup v2 hierarchy."""
    script = f'umount {UNIFIED_CGROUP} 2>/dev/null || true; exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]


def record_engine(directory: Path) -> None:
    """Notes `directory` in $DEPLOY_TEST_ENGINES for scripts/test-deploy.sh's cleanup."""
    engines_file = os.environ.get("DEPLOY_TEST_ENGINES")
    if engines_file:
        with open(engines_file, "a") as engines:
            engines.write(f"{directory}\n")


def http_request(port: int, method: str, path: str, body: dict | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    """One request to 127.0.0.1:port; returns the status and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Connection": "close"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_for_health(port: int, is_running, describe, deadline_seconds: float = 30.0) -> float:
    """Polls GET /api/health until it answers 200; returns the seconds it took.
    `is_running()` false or the deadline passing fails with `describe()`."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_seconds:
        if not is_running():
            raise AssertionError(f"the container ended before answering /api/health:\n{describe()}")
        try:
            if http_request(port, "GET", "/api/health", timeout=1.0)[0] == 200:
                return time.monotonic() - started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.005)
    raise AssertionError(f"no 200 from /api/health on port {port} within {deadline_seconds:.0f}s:\n{describe()}")


def pids_in_cgroup_tree(name: str) -> set[int]:
    """Every process in the cgroup `name` (and below) of the v1 pids controller."""
    root = Path("/sys/fs/cgroup/pids") / name
    pids: set[int] = set()
    if root.is_dir():
        for procs in root.rglob("cgroup.procs"):
            try:
                pids.update(int(line) for line in procs.read_text().split())
            except OSError:
                pass
    return pids


@dataclass
class DockerDaemon:
    """A private dockerd; `docker(...)` runs the Debian client against it."""

    directory: Path
    process: subprocess.Popen
    cgroup_parent: str

    @property
    def socket(self) -> Path:
        return self.directory / "docker.sock"

    @classmethod
    def start(cls, directory: Path, deadline_seconds: float = 60.0) -> "DockerDaemon":
        directory.mkdir(parents=True, exist_ok=True)
        record_engine(directory)
        cgroup_parent = f"edge-deploy-test-{uuid.uuid4().hex[:12]}"
        (directory / "cgroup-parent").write_text(cgroup_parent)
        log = open(directory / "dockerd.log", "wb")
        command = in_private_mount_namespace([
            "dockerd",
            "--storage-driver=vfs", "--iptables=false", "--ip6tables=false", "--bridge=none",
            f"--host=unix://{directory / 'docker.sock'}",
            f"--data-root={directory / 'data'}",
            f"--exec-root={directory / 'exec'}",
            f"--pidfile={directory / 'docker.pid'}",
            f"--cgroup-parent={cgroup_parent}",
        ])
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        daemon = cls(directory, process, cgroup_parent)
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"dockerd exited with code {process.returncode}:\n{daemon.log()}")
            if daemon.socket.exists() and daemon.docker("version", check=False).returncode == 0:
                return daemon
            time.sleep(0.2)
        daemon.stop()
        raise AssertionError(f"dockerd did not answer within {deadline_seconds:.0f}s:\n{daemon.log()}")

    def log(self) -> str:
        return (self.directory / "dockerd.log").read_text(errors="replace")[-4000:]

    def environment(self) -> dict[str, str]:
        return dict(os.environ, DOCKER_HOST=f"unix://{self.socket}", DOCKER_API_VERSION=DOCKER_API_VERSION,
                    DOCKER_CONFIG=str(self.directory / "client"))

    def docker(self, *args: str, check: bool = True, timeout: float = 300.0, **kwargs) -> subprocess.CompletedProcess:
        """Runs `docker ARGS` (Debian's client, /usr/bin/docker) against this daemon."""
        result = subprocess.run(["/usr/bin/docker", *args], env=kwargs.pop("env", self.environment()),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, timeout=timeout, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    def docker_bytes(self, *args: str, timeout: float = 300.0) -> bytes:
        """Runs `docker ARGS` and returns its binary standard output."""
        result = subprocess.run(["/usr/bin/docker", *args], env=self.environment(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
        return result.stdout

    def stop(self) -> None:
        """Removes every container, stops the daemon (SIGTERM, then SIGKILL) and
        kills whatever is left in its cgroup parent."""
        if self.process.poll() is None:
            listed = self.docker("ps", "--all", "--quiet", check=False, timeout=30)
            ids = listed.stdout.split()
            if ids:
                self.docker("rm", "--force", *ids, check=False, timeout=60)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in pids_in_cgroup_tree(self.cgroup_parent):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        remove_cgroup_trees(self.cgroup_parent)


def remove_cgroup_trees(name: str) -> None:
    """Removes the (empty) cgroup `name` dockerd created in every v1 controller."""
    for tree in Path("/sys/fs/cgroup").glob(f"*/{name}"):
        for directory in sorted((p for p in tree.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            try:
                directory.rmdir()
            except OSError:
                pass
        try:
            tree.rmdir()
        except OSError:
            pass


@dataclass
class CrunContainer:
    """A container run in the foreground by `crun run` (a child process)."""

    identifier: str
    state_root: Path
    process: subprocess.Popen
    log_path: Path

    def crun(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["crun", f"--root={self.state_root}", "--cgroup-manager=disabled", *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"crun {' '.join(args)} failed ({result.returncode}):\n{result.stdout}")
        return result

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def destroy(self) -> None:
        """Kills and deletes the container if it is still there."""
        if self.process.poll() is None:
            self.crun("kill", self.identifier, "KILL", check=False)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.crun("delete", "--force", self.identifier, check=False)


def run_crun_bundle(bundle: Path, state_root: Path, log_path: Path) -> CrunContainer:
    """Starts `crun run` on `bundle` in the foreground (no cgroups: the
    machine's hybrid layout is refused), output to `log_path`."""
    state_root.mkdir(parents=True, exist_ok=True)
    record_engine(state_root)
    identifier = f"edge-{uuid.uuid4().hex[:12]}"
    log = open(log_path, "wb")
    command = in_private_mount_namespace([
        "crun", f"--root={state_root}", "--cgroup-manager=disabled", "run", f"--bundle={bundle}", identifier,
    ])
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return CrunContainer(identifier, state_root, process, log_path)
