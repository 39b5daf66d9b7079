"""The runner image in a real Docker Engine (Debian's dockerd 20.10, started
privately for these tests): `docker load` of the daemonless archive, `docker
run` with the container's environment reaching the service, a read-only root
file system and a non-root process, `docker stop` ending it gracefully with
exit code 0, edge-host's sandbox settings given as environment variables, host
names resolved from the container's /etc/hosts, and `docker build` of
Dockerfile.runner giving the same image."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from conftest import REPO_ROOT
from container_run import free_loopback_port
from engines import DockerDaemon, http_request, wait_for_health
from oci_image import OciImage

RUNNER_TAG = "edge-service:runner"
# docker stop's grace period: longer than edge-host's drain needs, shorter than its default timeout.
STOP_GRACE_SECONDS = 20


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerDaemon]:
    started = DockerDaemon.start(tmp_path_factory.mktemp("dockerd"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def loaded(daemon: DockerDaemon, built_image: Path) -> str:
    result = daemon.docker("load", "--input", str(built_image / "edge-service-runner.tar"))
    assert f"Loaded image: {RUNNER_TAG}" in result.stdout, result.stdout
    return RUNNER_TAG


class Container:
    """One `docker run -d --network host` of an image, removed by the test."""

    def __init__(self, daemon: DockerDaemon, image: str, env: dict[str, str], *options: str,
                 image_args: list[str] | None = None) -> None:
        self.daemon = daemon
        self.name = f"edge-{uuid.uuid4().hex[:10]}"
        arguments = ["run", "--detach", "--name", self.name, "--network", "host", *options]
        for key, value in env.items():
            arguments += ["--env", f"{key}={value}"]
        self.started = time.monotonic()
        daemon.docker(*arguments, image, *(image_args or []))

    def inspect(self) -> dict:
        return json.loads(self.daemon.docker("inspect", self.name).stdout)[0]

    def running(self) -> bool:
        return bool(self.inspect()["State"]["Running"])

    def logs(self) -> str:
        result = self.daemon.docker("logs", self.name, check=False)
        return result.stdout + result.stderr

    def wait_exit(self, timeout: float = 30.0) -> int:
        return int(self.daemon.docker("wait", self.name, timeout=timeout).stdout.strip())

    def remove(self) -> None:
        self.daemon.docker("rm", "--force", self.name, check=False)


@pytest.fixture
def start(daemon: DockerDaemon, loaded: str) -> Iterator:
    containers: list[Container] = []

    def starter(env: dict[str, str], *options: str, image: str = loaded, image_args: list[str] | None = None) -> Container:
        container = Container(daemon, image, env, *options, image_args=image_args or [])
        containers.append(container)
        return container

    yield starter
    for container in containers:
        container.remove()


def serving(start, extra_env: dict[str, str] | None = None, *options: str,
            image_args: list[str] | None = None) -> tuple[Container, int]:
    port = free_loopback_port()
    container = start({"PORT": str(port), "HOST": "127.0.0.1", **(extra_env or {})}, "--read-only", *options,
                      image_args=image_args)
    wait_for_health(port, container.running, container.logs)
    return container, port


def test_loaded_image_is_linux_amd64_and_non_root(daemon: DockerDaemon, loaded: str) -> None:
    image = json.loads(daemon.docker("image", "inspect", loaded).stdout)[0]
    assert (image["Os"], image["Architecture"]) == ("linux", "amd64")
    assert image["Config"]["User"] == "65532:65532"


def test_api_answers_with_the_containers_environment(start) -> None:
    container, port = serving(start, {"LOG_FORMAT": "json"})
    status, body = http_request(port, "POST", "/api/users", {"name": "Ada Lovelace", "email": "ada@example.org"})
    assert status == 201, body
    created = json.loads(body)
    status, body = http_request(port, "GET", f"/api/users/{created['id']}")
    assert (status, json.loads(body)) == (200, created)
    # LOG_FORMAT=json reached the guest: every log line is a JSON object.
    lines = [line for line in container.logs().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines), lines


def test_runs_read_only_as_uid_and_gid_65532(start) -> None:
    container, _ = serving(start)
    state = container.inspect()
    assert state["HostConfig"]["ReadonlyRootfs"] is True
    assert state["Config"]["User"] == "65532:65532"
    status = Path(f"/proc/{state['State']['Pid']}/status").read_text()
    uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    gids = next(line for line in status.splitlines() if line.startswith("Gid:")).split()[1:]
    assert set(uids) == {"65532"} and set(gids) == {"65532"}, status
    # The .cwasm is mapped as it is: no compile, no cache write, so edge-host says nothing.
    assert "edge-host:" not in container.logs(), container.logs()


def test_the_portable_module_also_runs_read_only_compiling_at_start(start) -> None:
    # The fallback for a node whose CPU cannot run the .cwasm: the .wasm is
    # compiled at start and the cache that cannot be written is only a warning.
    container, _ = serving(start, {}, "--entrypoint", "/edge-host", image_args=["run", "--inherit-env", "/edge_service.wasm"])
    assert "cannot write compile cache" in container.logs(), container.logs()


def test_docker_stop_ends_it_gracefully_with_exit_code_0(daemon: DockerDaemon, start) -> None:
    container, port = serving(start, {"EDGE_HOST_SHUTDOWN_TIMEOUT": "10"})
    daemon.docker("stop", "--time", str(STOP_GRACE_SECONDS), container.name, timeout=STOP_GRACE_SECONDS + 30)
    state = container.inspect()["State"]
    # 137 would mean docker had to SIGKILL it after the grace period.
    assert (state["Running"], state["ExitCode"], state["OOMKilled"]) == (False, 0, False), container.logs()
    assert "drained" in container.logs()


def test_sandbox_rules_from_the_environment_apply_to_names_from_etc_hosts(start) -> None:
    # The database host name comes from the container's /etc/hosts (--add-host),
    # resolved by the static (musl) edge-host for the guest; the connection is
    # then refused by the --allow-connect rule given as EDGE_HOST_ALLOW_CONNECT.
    db_port = free_loopback_port()
    port = free_loopback_port()
    container = start(
        {
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "DATABASE_URL": f"postgres://edge:secret@edge-db.test:{db_port}/edge",
            "EDGE_HOST_ALLOW_LISTEN": f"127.0.0.1:{port}",
            "EDGE_HOST_ALLOW_CONNECT": "127.0.0.1:1",
        },
        "--read-only",
        "--add-host",
        "edge-db.test:127.0.0.7",
    )
    wait_for_health(port, container.running, container.logs)
    assert http_request(port, "GET", "/api/ready")[0] == 503
    deadline = time.monotonic() + 10
    while f"denied connect to 127.0.0.7:{db_port}" not in container.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"denied connect to 127.0.0.7:{db_port}: not allowed by --allow-connect" in container.logs()


def test_localhost_resolves_in_the_container(start) -> None:
    db_port = free_loopback_port()
    port = free_loopback_port()
    container = start(
        {"PORT": str(port), "HOST": "127.0.0.1", "DATABASE_URL": f"mysql://edge:secret@localhost:{db_port}/edge",
         "EDGE_HOST_ALLOW_LISTEN": f"127.0.0.1:{port}", "EDGE_HOST_ALLOW_CONNECT": "127.0.0.1:1"},
        "--read-only",
    )
    wait_for_health(port, container.running, container.logs)
    deadline = time.monotonic() + 10
    while f"denied connect to 127.0.0.1:{db_port}" not in container.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"denied connect to 127.0.0.1:{db_port}" in container.logs()


def test_memory_cap_from_the_environment_applies(start) -> None:
    container = start({"PORT": str(free_loopback_port()), "EDGE_HOST_MAX_MEMORY": "1"}, "--read-only")
    assert container.wait_exit() == 1
    assert "exceeds memory limits" in container.logs()


def files_of_container(daemon: DockerDaemon, image: str) -> dict[str, tuple[int, int, int, str]]:
    """path -> (mode, uid, gid, sha256) of every regular file and directory `docker export` gives."""
    name = f"edge-export-{uuid.uuid4().hex[:10]}"
    daemon.docker("create", "--name", name, image)
    try:
        exported = daemon.docker_bytes("export", name)
    finally:
        daemon.docker("rm", "--force", name, check=False)
    files = {}
    with tarfile.open(fileobj=io.BytesIO(exported)) as archive:
        for member in archive.getmembers():
            content = archive.extractfile(member).read() if member.isfile() else b""
            files[member.name.rstrip("/")] = (member.mode, member.uid, member.gid, hashlib.sha256(content).hexdigest())
    return files


def test_docker_build_of_dockerfile_runner_gives_the_same_image(daemon: DockerDaemon, loaded: str, built_image: Path,
                                                                wasm_module: Path, tmp_path: Path) -> None:
    # The build context the Dockerfile expects, from the artifacts of this image build.
    context = tmp_path / "context"
    runner_dir = built_image / "runner-oci"
    sources = {
        "target/x86_64-unknown-linux-musl/release/edge-host": None,
        "target/wasm32-wasip1/release/edge_service.wasm": wasm_module,
        "target/image/edge_service.cwasm": built_image / "edge_service.cwasm",
        "deploy/runner/services": REPO_ROOT / "deploy/runner/services",
        "Dockerfile.runner": REPO_ROOT / "Dockerfile.runner",
        ".dockerignore": REPO_ROOT / ".dockerignore",
    }
    runner = OciImage.open(runner_dir)
    for relative, source in sources.items():
        destination = context / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            destination.write_bytes(runner.read_file(0, "/edge-host"))
        else:
            shutil.copyfile(source, destination)
    (context / "unrelated.txt").write_text(".dockerignore keeps this out of the image context")

    daemon.docker("build", "--file", str(context / "Dockerfile.runner"), "--tag", "edge-service:built", str(context),
                  env=dict(daemon.environment(), DOCKER_BUILDKIT="1"))
    built = json.loads(daemon.docker("image", "inspect", "edge-service:built").stdout)[0]
    loaded_image = json.loads(daemon.docker("image", "inspect", loaded).stdout)[0]
    for key in ("User", "Entrypoint", "Cmd", "ExposedPorts", "WorkingDir"):
        assert built["Config"][key] == loaded_image["Config"][key], key
    # docker build adds PATH to Env; the image's own variables must match.
    assert [e for e in built["Config"]["Env"] if not e.startswith("PATH=")] == loaded_image["Config"]["Env"]
    assert (built["Os"], built["Architecture"]) == ("linux", "amd64")
    assert files_of_container(daemon, "edge-service:built") == files_of_container(daemon, loaded)

    # And the built image serves the API like the loaded one.
    port = free_loopback_port()
    container = Container(daemon, "edge-service:built", {"PORT": str(port), "HOST": "127.0.0.1"}, "--read-only")
    try:
        wait_for_health(port, container.running, container.logs)
    finally:
        container.remove()
