"""The image scripts/image.sh builds: a valid OCI layout and docker archive for
platform wasi/wasm whose single layer is the module, with the entrypoint, the
environment and the compat-smart annotation that Wasm runtimes rely on, and
byte-for-byte reproducible."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import stat
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from conftest import build_image, run_image_script, tool
from oci_image import (
    CONFIG_MEDIA_TYPE,
    GZIP_LAYER_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    DigestMismatch,
    OciImage,
    extract_archive,
    sha256_digest,
)

MODULE_PATH = "/edge_service.wasm"


def run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# --- validity, checked by the OCI project's validator and by skopeo ----------


def test_layout_is_valid_oci_per_oci_image_tool(built_image: Path) -> None:
    result = run(tool("oci-image-tool"), "validate", "--type", "image", "--ref", "name=latest", str(built_image / "oci"))
    assert result.returncode == 0, result.stdout
    assert "Validation succeeded" in result.stdout


def test_oci_image_tool_rejects_a_corrupted_layer(built_image: Path, image: OciImage, tmp_path: Path) -> None:
    # The validator really checks blobs: one flipped byte in the layer must fail it.
    corrupt = tmp_path / "oci"
    shutil.copytree(built_image / "oci", corrupt)
    layer = corrupt / "blobs" / "sha256" / image.layers[0]["digest"].split(":")[1]
    data = bytearray(layer.read_bytes())
    data[len(data) // 2] ^= 0xFF
    layer.chmod(0o644)
    layer.write_bytes(bytes(data))
    result = run(tool("oci-image-tool"), "validate", "--type", "image", "--ref", "name=latest", str(corrupt))
    assert result.returncode != 0, result.stdout
    with pytest.raises(DigestMismatch):
        OciImage.open(corrupt).layer_tar(0)


def test_skopeo_copies_the_layout_verifying_every_digest(built_image: Path, tmp_path: Path) -> None:
    result = run(tool("skopeo"), "copy", "--quiet", f"oci:{built_image / 'oci'}:latest", f"oci:{tmp_path / 'copy'}:latest")
    assert result.returncode == 0, result.stdout
    copied = OciImage.open(tmp_path / "copy")
    assert copied.descriptor["digest"] == (built_image / "digest").read_text().strip()


def test_skopeo_reports_platform_wasi_wasm(built_image: Path) -> None:
    result = run(tool("skopeo"), "inspect", f"oci:{built_image / 'oci'}:latest")
    assert result.returncode == 0, result.stdout
    inspected = json.loads(result.stdout)
    assert (inspected["Os"], inspected["Architecture"]) == ("wasi", "wasm")


# --- what the manifest and config say ----------------------------------------


def test_index_names_one_manifest_tagged_latest_for_docker_and_containerd(image: OciImage, built_image: Path) -> None:
    assert image.index["schemaVersion"] == 2
    assert image.descriptor["mediaType"] == MANIFEST_MEDIA_TYPE
    annotations = image.descriptor["annotations"]
    assert annotations["org.opencontainers.image.ref.name"] == "latest"
    assert annotations["io.containerd.image.name"] == "docker.io/library/edge-service:latest"
    assert (built_image / "digest").read_text().strip() == image.descriptor["digest"]
    assert json.loads((built_image / "oci" / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}


def test_manifest_carries_the_compat_smart_annotation(image: OciImage) -> None:
    assert image.manifest["schemaVersion"] == 2
    assert image.manifest["config"]["mediaType"] == CONFIG_MEDIA_TYPE
    assert image.manifest["annotations"]["module.wasm.image/variant"] == "compat-smart"


def test_config_platform_is_wasi_wasm(image: OciImage) -> None:
    assert (image.config["os"], image.config["architecture"]) == ("wasi", "wasm")


def test_config_entrypoint_is_the_module_and_ends_in_wasm(image: OciImage) -> None:
    # crun's compat-smart mode only treats entrypoints ending in .wasm as Wasm.
    container = image.config["config"]
    assert container["Entrypoint"] == [MODULE_PATH]
    assert not container.get("Cmd")


def test_config_environment_and_port(image: OciImage) -> None:
    container = image.config["config"]
    assert container["Env"] == ["PORT=8080", "HOST=0.0.0.0"]
    assert container["ExposedPorts"] == {"8080/tcp": {}}


def test_single_layer_is_the_module_byte_for_byte(image: OciImage, wasm_module: Path) -> None:
    assert len(image.layers) == 1
    layer = image.layers[0]
    assert layer["mediaType"] == GZIP_LAYER_MEDIA_TYPE
    tar = image.layer_tar(0)  # checks digest, size and diff_id
    assert image.config["rootfs"] == {"type": "layers", "diff_ids": [sha256_digest(tar)]}
    entries = image.layer_files(0)
    assert list(entries) == [MODULE_PATH.lstrip("/")], "the layer must hold the module and nothing else"
    member = entries[MODULE_PATH.lstrip("/")]
    assert member.isfile()
    assert (member.uid, member.gid, stat.S_IMODE(member.mode)) == (0, 0, 0o755)
    module_bytes = image.read_file(0, MODULE_PATH)
    assert hashlib.sha256(module_bytes).hexdigest() == hashlib.sha256(wasm_module.read_bytes()).hexdigest()
    assert module_bytes[:4] == b"\0asm"


def test_layer_gzip_header_carries_no_build_time_or_name(image: OciImage, built_image: Path, wasm_module: Path) -> None:
    # Two builds within the same second would not catch a clock-derived gzip
    # mtime, so look at the header itself. umoci's Go compressor writes Go's zero
    # time truncated to 32 bits (a constant); what matters is that it is neither
    # the clock nor the module file's mtime.
    blob = (built_image / "oci" / "blobs" / "sha256" / image.layers[0]["digest"].split(":")[1]).read_bytes()
    assert blob[:2] == b"\x1f\x8b"
    flags, mtime = blob[3], int.from_bytes(blob[4:8], "little")
    assert abs(mtime - time.time()) > 366 * 86400, f"gzip mtime {mtime} is the build time"
    assert mtime != int(wasm_module.stat().st_mtime), "gzip mtime is the module's mtime"
    assert not flags & 0x08, "a gzip file name would make the digest depend on the build path"
    assert gzip.decompress(blob) == image.layer_tar(0)


# --- the docker-loadable archive ----------------------------------------------


def test_archive_is_the_oci_layout_plus_docker_manifest(built_image: Path, tmp_path: Path) -> None:
    with tarfile.open(built_image / "edge-service.tar") as archive:
        names = archive.getnames()
    extract_archive(built_image / "edge-service.tar", tmp_path / "x")
    assert {"oci-layout", "index.json", "manifest.json"} <= set(names)
    extracted = tmp_path / "x"
    layout_files = files_of(built_image / "oci")
    archive_files = files_of(extracted)
    docker_manifest = json.loads(archive_files.pop("manifest.json"))
    assert archive_files == layout_files, "the archive's OCI part must be the layout itself"

    image = OciImage.open(extracted)
    [entry] = docker_manifest
    assert entry["RepoTags"] == ["edge-service:latest"]
    assert entry["Config"] == "blobs/sha256/" + image.manifest["config"]["digest"].split(":")[1]
    assert entry["Layers"] == ["blobs/sha256/" + image.layers[0]["digest"].split(":")[1]]
    result = run(tool("oci-image-tool"), "validate", "--type", "image", "--ref", "name=latest", str(extracted))
    assert result.returncode == 0, result.stdout


def test_archive_reads_as_docker_archive_with_skopeo(built_image: Path, image: OciImage, tmp_path: Path) -> None:
    # skopeo's docker-archive transport reads manifest.json the way `docker load` does.
    source = f"docker-archive:{built_image / 'edge-service.tar'}:edge-service:latest"
    result = run(tool("skopeo"), "copy", "--quiet", source, f"oci:{tmp_path / 'from-docker'}:latest")
    assert result.returncode == 0, result.stdout
    loaded = OciImage.open(tmp_path / "from-docker")
    assert (loaded.config["os"], loaded.config["architecture"]) == ("wasi", "wasm")
    assert loaded.config["config"]["Entrypoint"] == [MODULE_PATH]
    assert loaded.config["rootfs"]["diff_ids"] == image.config["rootfs"]["diff_ids"]


def test_archive_reads_as_oci_archive_with_skopeo(built_image: Path) -> None:
    result = run(tool("skopeo"), "inspect", "--raw", f"oci-archive:{built_image / 'edge-service.tar'}:latest")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["annotations"]["module.wasm.image/variant"] == "compat-smart"


def test_archive_entries_have_fixed_owner_and_time(built_image: Path) -> None:
    with tarfile.open(built_image / "edge-service.tar") as archive:
        for member in archive.getmembers():
            assert (member.uid, member.gid, member.uname, member.gname, member.mtime) == (0, 0, "", "", 0), member.name


# --- reproducibility ----------------------------------------------------------


def test_two_builds_are_byte_identical(built_image: Path, rebuilt_image: Path) -> None:
    first, second = files_of(built_image), files_of(rebuilt_image)
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name] == second[name], f"{name} differs between two builds of the same module"


def test_a_different_module_gives_a_different_image(built_image: Path, wasm_module: Path, tmp_path: Path) -> None:
    # The digest really follows the module: append a custom section (still a valid module).
    changed = tmp_path / "changed.wasm"
    name = b"edge-service-test"
    payload = bytes([len(name)]) + name + b"x"
    changed.write_bytes(wasm_module.read_bytes() + b"\x00" + bytes([len(payload)]) + payload)
    other = build_image(tmp_path / "image", changed)
    assert (other / "digest").read_text() != (built_image / "digest").read_text()
    assert OciImage.open(other / "oci").read_file(0, MODULE_PATH) == changed.read_bytes()


def test_source_date_epoch_sets_the_created_time(wasm_module: Path, tmp_path: Path) -> None:
    dated = OciImage.open(build_image(tmp_path / "image", wasm_module, SOURCE_DATE_EPOCH="1700000000") / "oci")
    assert dated.config["created"] == "2023-11-14T22:13:20Z"
    assert [h["created"] for h in dated.config["history"]] == ["2023-11-14T22:13:20Z"]


def test_default_build_is_created_at_epoch_zero(image: OciImage) -> None:
    assert image.config["created"] == "1970-01-01T00:00:00Z"


# --- the script's errors ----------------------------------------------------------


def test_missing_module_fails_with_a_build_hint(tmp_path: Path) -> None:
    result = run_image_script(tmp_path / "out", tmp_path / "nowhere.wasm")
    assert result.returncode != 0
    assert "no Wasm module at" in result.stdout and "cargo build --release" in result.stdout
    assert not (tmp_path / "out" / "oci").exists()


def test_a_file_that_is_not_wasm_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.wasm"
    fake.write_bytes(b"#!/bin/sh\necho not wasm\n")
    result = run_image_script(tmp_path / "out", fake)
    assert result.returncode != 0
    assert "is not a WebAssembly module" in result.stdout


def test_bad_tag_is_refused(wasm_module: Path, tmp_path: Path) -> None:
    result = run_image_script(tmp_path / "out", wasm_module, IMAGE_TAG="no spaces allowed")
    assert result.returncode != 0
    assert "IMAGE_TAG" in result.stdout


def test_image_name_and_tag_are_configurable(wasm_module: Path, tmp_path: Path) -> None:
    out = build_image(tmp_path / "out", wasm_module, IMAGE_NAME="registry.example.com/team/edge-service", IMAGE_TAG="0.1.0")
    image = OciImage.open(out / "oci")
    assert image.descriptor["annotations"]["org.opencontainers.image.ref.name"] == "0.1.0"
    assert image.descriptor["annotations"]["io.containerd.image.name"] == "registry.example.com/team/edge-service:0.1.0"
    with tarfile.open(out / "edge-service.tar") as archive:
        manifest_file = archive.extractfile("manifest.json")
        assert manifest_file is not None
        assert json.load(manifest_file)[0]["RepoTags"] == ["registry.example.com/team/edge-service:0.1.0"]
