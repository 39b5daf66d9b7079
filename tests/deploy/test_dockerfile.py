"""The Dockerfile (what users build with docker buildx) describes the same image
as scripts/image.sh: parsed with BuildKit's own parser, linted with hadolint."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dockerfile
import pytest

from conftest import DOCKERFILE, REPO_ROOT, tool
from oci_image import OciImage


@pytest.fixture(scope="module")
def instructions() -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(DOCKERFILE)))


def only(instructions: list[dockerfile.Command], name: str) -> dockerfile.Command:
    found = [i for i in instructions if i.cmd == name]
    assert len(found) == 1, f"expected exactly one {name}, found {len(found)}"
    return found[0]


def arg_default(instructions: list[dockerfile.Command], name: str) -> str:
    for instruction in instructions:
        if instruction.cmd == "ARG":
            key, _, value = instruction.value[0].partition("=")
            if key == name:
                return value
    raise AssertionError(f"no ARG {name}")


def test_builds_from_scratch_with_one_copy(instructions: list[dockerfile.Command]) -> None:
    assert only(instructions, "FROM").value == ("scratch",)
    assert [i.cmd for i in instructions if i.cmd in ("COPY", "ADD", "RUN")] == ["COPY"]


def test_copies_the_release_module_to_the_entrypoint(instructions: list[dockerfile.Command], image: OciImage) -> None:
    copy = only(instructions, "COPY")
    source, destination = copy.value
    assert source == "${MODULE}"
    assert arg_default(instructions, "MODULE") == "target/wasm32-wasip1/release/edge_service.wasm"
    assert "--chmod=0755" in copy.flags
    entrypoint = only(instructions, "ENTRYPOINT")
    assert entrypoint.json, "ENTRYPOINT must be in exec (JSON) form: a Wasm image has no shell"
    assert list(entrypoint.value) == [destination] == image.config["config"]["Entrypoint"]


def test_environment_and_port_match_the_daemonless_image(instructions: list[dockerfile.Command], image: OciImage) -> None:
    env = only(instructions, "ENV").value
    pairs = [f"{env[i]}={env[i + 1]}" for i in range(0, len(env), 2)]
    assert pairs == image.config["config"]["Env"]
    exposed = {f"{port}/tcp" if "/" not in port else port for port in only(instructions, "EXPOSE").value}
    assert exposed == set(image.config["config"]["ExposedPorts"])


def test_dockerignore_sends_only_the_modules() -> None:
    lines = [l.strip() for l in (REPO_ROOT / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert lines[0] == "*"
    assert "!target/wasm32-wasip1/release/edge_service.wasm" in lines


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run([tool("hadolint"), str(DOCKERFILE)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert result.returncode == 0, result.stdout


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path: Path) -> None:
    # The linter is live: a shell-form entrypoint and an unpinned base are findings.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl\nENTRYPOINT /edge_service.wasm\n")
    result = subprocess.run([tool("hadolint"), str(bad)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert result.returncode != 0
    assert "DL3006" in result.stdout or "DL3008" in result.stdout, result.stdout
