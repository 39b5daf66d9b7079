"""The runner image as an OCI bundle under Debian's crun: unpacked with umoci,
configured as a pod would run it (host network, read-only root, uid/gid 65532,
the container's environment), it answers the API, and `crun kill TERM` ends it
gracefully with exit code 0."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from conftest import tool
from container_run import free_loopback_port
from engines import CrunContainer, http_request, run_crun_bundle, wait_for_health


@pytest.fixture(scope="module")
def bundle(built_image: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner image unpacked by umoci, its config.json adjusted for the test."""
    target = tmp_path_factory.mktemp("crun") / "bundle"
    result = subprocess.run([tool("umoci"), "unpack", "--image", f"{built_image / 'runner-oci'}:runner", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    return target


def configure(bundle: Path, port: int) -> dict:
    config_path = bundle / "config.json"
    config = json.loads(config_path.read_text())
    config["root"]["readonly"] = True
    config["process"]["terminal"] = False
    # The pod network: the host's (the test talks to 127.0.0.1).
    namespaces = config["linux"]["namespaces"]
    config["linux"]["namespaces"] = [n for n in namespaces if n["type"] != "network"]
    env = [e for e in config["process"]["env"] if not e.startswith(("PORT=", "HOST="))]
    config["process"]["env"] = env + [f"PORT={port}", "HOST=127.0.0.1", "LOG_FORMAT=json"]
    config_path.write_text(json.dumps(config))
    return config


@pytest.fixture
def running(bundle: Path, tmp_path: Path) -> Iterator[tuple[CrunContainer, int]]:
    port = free_loopback_port()
    configure(bundle, port)
    container = run_crun_bundle(bundle, tmp_path / "state", tmp_path / "crun.log")
    try:
        wait_for_health(port, lambda: container.process.poll() is None, container.log)
        yield container, port
    finally:
        container.destroy()


def test_bundle_from_the_image_runs_as_65532_with_the_image_entrypoint(bundle: Path) -> None:
    config = json.loads((bundle / "config.json").read_text())
    assert (config["process"]["user"]["uid"], config["process"]["user"]["gid"]) == (65532, 65532)
    assert config["process"]["args"] == ["/edge-host", "run", "--inherit-env", "/edge_service.cwasm"]


def test_api_answers_under_crun(running: tuple[CrunContainer, int]) -> None:
    container, port = running
    status, body = http_request(port, "POST", "/api/users", {"name": "Grace Hopper", "email": "grace@example.org"})
    assert status == 201, body
    status, body = http_request(port, "GET", f"/api/users/{json.loads(body)['id']}")
    assert status == 200 and json.loads(body)["name"] == "Grace Hopper"
    state = json.loads(container.crun("state", container.identifier).stdout)
    uid_line = next(l for l in Path(f"/proc/{state['pid']}/status").read_text().splitlines() if l.startswith("Uid:"))
    assert set(uid_line.split()[1:]) == {"65532"}


def test_crun_kill_term_ends_it_with_exit_code_0(running: tuple[CrunContainer, int]) -> None:
    container, _ = running
    container.crun("kill", container.identifier, "TERM")
    try:
        code = container.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 30 s after SIGTERM:\n{container.log()}")
    assert code == 0, container.log()
    assert "drained" in container.log()
