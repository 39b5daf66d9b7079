"""The module runs as the container would run it: taken out of the built
docker archive, started with the image's entrypoint and environment under the
runner (wasmedge or edge-host), it answers the probes the Kubernetes Deployment
and the README use.

Like `docker run -e PORT=... -e HOST=...`, the test overrides two image
variables: PORT with a free port (tests never use fixed ports) and HOST with
127.0.0.1 (test traffic stays on loopback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from conftest import K8S_DIR
from container_run import RunningContainer, free_loopback_port, image_environment, start_container
from oci_image import OciImage, extract_archive


@pytest.fixture(scope="module")
def unpacked_archive(built_image: Path, tmp_path_factory: pytest.TempPathFactory) -> OciImage:
    """The docker archive users `docker load`, unpacked and opened as an OCI image."""
    target = tmp_path_factory.mktemp("archive")
    extract_archive(built_image / "edge-service.tar", target)
    return OciImage.open(target)


@pytest.fixture(scope="module")
def container_rootfs(unpacked_archive: OciImage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The container's root filesystem: the image's layers unpacked in order."""
    rootfs = tmp_path_factory.mktemp("rootfs")
    for position in range(len(unpacked_archive.layers)):
        for path in unpacked_archive.layer_files(position):
            destination = rootfs / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(unpacked_archive.read_file(position, "/" + path))
            destination.chmod(unpacked_archive.layer_files(position)[path].mode & 0o777)
    return rootfs


@pytest.fixture(scope="module")
def entrypoint_module(unpacked_archive: OciImage, container_rootfs: Path) -> Path:
    [entrypoint] = unpacked_archive.config["config"]["Entrypoint"]
    return container_rootfs / entrypoint.lstrip("/")


@pytest.fixture(scope="module")
def running(unpacked_archive: OciImage, entrypoint_module: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningContainer]:
    log = tmp_path_factory.mktemp("run") / "module.log"
    overrides = {"PORT": str(free_loopback_port()), "HOST": "127.0.0.1"}
    container = start_container(entrypoint_module, unpacked_archive.config, overrides, log)
    try:
        container.wait_until_answering("/api/health")
        yield container
    finally:
        container.stop()


def deployment_probe_paths() -> dict[str, str]:
    deployment = yaml.safe_load((K8S_DIR / "crun-wasmedge" / "20-deployment.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {probe: container[probe]["httpGet"]["path"] for probe in ("livenessProbe", "readinessProbe", "startupProbe")}


def test_entrypoint_module_is_the_release_build(entrypoint_module: Path, wasm_module: Path) -> None:
    assert entrypoint_module.read_bytes() == wasm_module.read_bytes()


def test_container_environment_overrides_replace_image_values(unpacked_archive: OciImage) -> None:
    env = image_environment(unpacked_archive.config, {"PORT": "1234", "HOST": "127.0.0.1"})
    assert env == ["PORT=1234", "HOST=127.0.0.1"]


def test_health_answers_200_ok_json(running: RunningContainer) -> None:
    status, headers, body = running.get("/api/health")
    assert status == 200, body
    assert headers.get("content-type", "").startswith("application/json")
    assert json.loads(body) == {"status": "ok"}


@pytest.mark.parametrize("probe", ["livenessProbe", "readinessProbe", "startupProbe"])
def test_every_kubernetes_probe_path_answers_200(running: RunningContainer, probe: str) -> None:
    path = deployment_probe_paths()[probe]
    status, _, body = running.get(path)
    assert status == 200, f"{probe} {path} answered {status}: {body!r}"


def test_unknown_path_is_not_found(running: RunningContainer) -> None:
    status, _, _ = running.get("/api/no-such-route")
    assert status == 404


def test_module_is_still_running_after_the_requests(running: RunningContainer) -> None:
    assert running.process.poll() is None, running.log()
