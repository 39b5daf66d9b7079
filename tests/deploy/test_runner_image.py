"""The runner image scripts/image.sh builds beside the Wasm image: platform
linux/amd64, one layer with a static edge-host, the module, its precompiled
code and /etc/services, run as uid/gid 65532; and the image index that
publishes both images under one reference, with a tag for each."""

from __future__ import annotations

import json
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import tool
from oci_image import OciImage, read_blob

RUNNER_FILES = {
    "edge-host": 0o755,
    "edge_service.wasm": 0o644,
    "edge_service.cwasm": 0o644,
    "etc": 0o755,
    "etc/services": 0o644,
}
ENTRYPOINT = ["/edge-host", "run", "--inherit-env", "/edge_service.cwasm"]


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)


@pytest.fixture(scope="module")
def runner(built_image: Path) -> OciImage:
    return OciImage.open(built_image / "runner-oci")


def test_runner_is_an_ordinary_linux_amd64_image(runner: OciImage) -> None:
    assert (runner.config["os"], runner.config["architecture"]) == ("linux", "amd64")
    assert "module.wasm.image/variant" not in runner.manifest.get("annotations", {})
    assert runner.descriptor["annotations"]["org.opencontainers.image.ref.name"] == "runner"


def test_runner_runs_the_precompiled_module_as_non_root(runner: OciImage) -> None:
    config = runner.config["config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ENTRYPOINT
    assert config["Env"] == ["PORT=8080", "HOST=0.0.0.0"], "the same environment contract as the Wasm image"
    assert set(config["ExposedPorts"]) == {"8080/tcp"}


def test_runner_layer_holds_exactly_the_runtime_files(runner: OciImage, wasm_module: Path, tmp_path: Path) -> None:
    assert len(runner.layers) == 1
    entries = runner.layer_files(0)
    assert {path.rstrip("/"): stat.S_IMODE(member.mode) for path, member in entries.items()} == RUNNER_FILES
    assert all((member.uid, member.gid) == (0, 0) for member in entries.values())
    assert runner.read_file(0, "/edge_service.wasm") == wasm_module.read_bytes()
    assert runner.read_file(0, "/edge_service.cwasm")[:4] == b"\x7fELF"
    assert b"80/tcp" in runner.read_file(0, "/etc/services")


def test_edge_host_in_the_runner_is_static(runner: OciImage, tmp_path: Path) -> None:
    binary = tmp_path / "edge-host"
    binary.write_bytes(runner.read_file(0, "/edge-host"))
    headers = run("readelf", "--program-headers", "--wide", str(binary))
    assert headers.returncode == 0, headers.stdout
    assert "INTERP" not in headers.stdout, "a dynamic binary needs a loader the image does not have"
    dynamic = run("readelf", "--dynamic", str(binary))
    assert "NEEDED" not in dynamic.stdout, dynamic.stdout


def test_runner_archive_loads_as_the_runner_tag(built_image: Path, runner: OciImage) -> None:
    with tarfile.open(built_image / "edge-service-runner.tar") as archive:
        manifest_file = archive.extractfile("manifest.json")
        assert manifest_file is not None
        [entry] = json.load(manifest_file)
    assert entry["RepoTags"] == ["edge-service:runner"]
    assert entry["Config"] == "blobs/sha256/" + runner.manifest["config"]["digest"].split(":")[1]
    assert (built_image / "runner-digest").read_text().strip() == runner.descriptor["digest"]


def test_runner_layout_is_valid_oci(built_image: Path) -> None:
    result = run(tool("oci-image-tool"), "validate", "--type", "image", "--ref", "name=runner", str(built_image / "runner-oci"))
    assert result.returncode == 0, result.stdout


def test_index_publishes_both_platforms_under_latest(built_image: Path) -> None:
    layout = built_image / "index"
    listed = json.loads((layout / "index.json").read_text())["manifests"]
    tags = {d["annotations"]["org.opencontainers.image.ref.name"]: d for d in listed}
    assert set(tags) == {"latest", "wasm", "runner"}
    assert tags["latest"]["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert tags["latest"]["digest"] == (built_image / "index-digest").read_text().strip()
    assert tags["wasm"]["digest"] == (built_image / "digest").read_text().strip()
    assert tags["runner"]["digest"] == (built_image / "runner-digest").read_text().strip()
    index = json.loads(read_blob(layout, tags["latest"]))
    platforms = {(m["platform"]["os"], m["platform"]["architecture"]): m["digest"] for m in index["manifests"]}
    assert platforms == {("wasi", "wasm"): tags["wasm"]["digest"], ("linux", "amd64"): tags["runner"]["digest"]}


def test_skopeo_copies_the_whole_index(built_image: Path, tmp_path: Path) -> None:
    source = f"oci:{built_image / 'index'}:latest"
    raw = run(tool("skopeo"), "inspect", "--raw", source)
    assert raw.returncode == 0, raw.stdout
    assert json.loads(raw.stdout)["mediaType"] == "application/vnd.oci.image.index.v1+json"
    copied = run(tool("skopeo"), "copy", "--quiet", "--all", source, f"oci:{tmp_path / 'copy'}:latest")
    assert copied.returncode == 0, copied.stdout
    for tag, os_arch in (("wasm", ("wasi", "wasm")), ("runner", ("linux", "amd64"))):
        inspected = run(tool("skopeo"), "inspect", f"oci:{built_image / 'index'}:{tag}")
        assert inspected.returncode == 0, inspected.stdout
        assert (json.loads(inspected.stdout)["Os"], json.loads(inspected.stdout)["Architecture"]) == os_arch


def test_cwasm_comes_from_the_edge_host_in_the_image(built_image: Path, runner: OciImage) -> None:
    assert runner.read_file(0, "/edge_service.cwasm") == (built_image / "edge_service.cwasm").read_bytes()
