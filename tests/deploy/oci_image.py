"""Reading an OCI image the way a container engine does: index.json, then the
manifest, the config and the layers, each checked against its digest.

Used by the tests to inspect what scripts/image.sh built, from the layout
directory or from the docker-loadable archive, without any container engine.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
GZIP_LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
PLAIN_LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"


def sha256_digest(data: bytes) -> str:
    """The OCI digest string of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class DigestMismatch(AssertionError):
    """A blob's bytes do not hash to the digest that names it."""


@dataclass
class OciImage:
    """One image of an OCI layout: its index entry, manifest and config."""

    layout: Path
    index: dict
    descriptor: dict
    manifest: dict
    config: dict

    @classmethod
    def open(cls, layout: Path) -> "OciImage":
        """Opens the single image that `layout`'s index.json lists."""
        index = json.loads((layout / "index.json").read_text())
        manifests = index.get("manifests", [])
        if len(manifests) != 1:
            raise AssertionError(f"{layout}/index.json lists {len(manifests)} manifests, expected 1")
        descriptor = manifests[0]
        manifest = json.loads(read_blob(layout, descriptor))
        config = json.loads(read_blob(layout, manifest["config"]))
        return cls(layout, index, descriptor, manifest, config)

    @property
    def layers(self) -> list[dict]:
        return self.manifest["layers"]

    def layer_tar(self, position: int) -> bytes:
        """The uncompressed tar of layer `position`, checked against its digest and diff_id."""
        descriptor = self.layers[position]
        blob = read_blob(self.layout, descriptor)
        media_type = descriptor["mediaType"]
        if media_type == GZIP_LAYER_MEDIA_TYPE:
            tar = gzip.decompress(blob)
        elif media_type == PLAIN_LAYER_MEDIA_TYPE:
            tar = blob
        else:
            raise AssertionError(f"unexpected layer media type {media_type}")
        diff_id = self.config["rootfs"]["diff_ids"][position]
        if sha256_digest(tar) != diff_id:
            raise DigestMismatch(f"layer {position} uncompressed is {sha256_digest(tar)}, config diff_id says {diff_id}")
        return tar

    def layer_files(self, position: int) -> dict[str, tarfile.TarInfo]:
        """The entries of layer `position`, by path without a leading '/' or './'."""
        with tarfile.open(fileobj=io.BytesIO(self.layer_tar(position))) as archive:
            return {normalise(member.name): member for member in archive.getmembers()}

    def read_file(self, position: int, path: str) -> bytes:
        """The bytes of the regular file `path` (absolute, as a container sees it) in layer `position`."""
        with tarfile.open(fileobj=io.BytesIO(self.layer_tar(position))) as archive:
            for member in archive.getmembers():
                if normalise(member.name) == normalise(path):
                    if not member.isfile():
                        raise AssertionError(f"{path} in layer {position} is not a regular file")
                    extracted = archive.extractfile(member)
                    assert extracted is not None
                    return extracted.read()
        raise AssertionError(f"{path} is not in layer {position}")


def normalise(path: str) -> str:
    """A layer path without leading './' or '/'."""
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def read_blob(layout: Path, descriptor: dict) -> bytes:
    """The blob `descriptor` names, after checking its size and digest."""
    algorithm, _, hex_digest = descriptor["digest"].partition(":")
    if algorithm != "sha256":
        raise AssertionError(f"unexpected digest algorithm in {descriptor['digest']}")
    data = (layout / "blobs" / algorithm / hex_digest).read_bytes()
    if len(data) != descriptor["size"]:
        raise DigestMismatch(f"blob {descriptor['digest']} has {len(data)} bytes, descriptor says {descriptor['size']}")
    if sha256_digest(data) != descriptor["digest"]:
        raise DigestMismatch(f"blob {descriptor['digest']} hashes to {sha256_digest(data)}")
    return data


def extract_archive(archive_path: Path, target: Path) -> None:
    """Unpacks a tar archive, refusing links and paths that leave `target`
    (tarfile's "data" filter where this Python has it, a manual check otherwise)."""
    with tarfile.open(archive_path) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, filter="data")
            return
        root = target.resolve()
        for member in archive.getmembers():
            destination = (root / member.name).resolve()
            if not (member.isfile() or member.isdir()) or root not in (destination, *destination.parents):
                raise AssertionError(f"unsafe archive entry {member.name!r} in {archive_path}")
        archive.extractall(target)
