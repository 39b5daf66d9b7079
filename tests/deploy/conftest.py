"""Shared fixtures of the deployment tests: the repository's paths, the module
under test, and images built by scripts/image.sh into temporary directories
(never into target/image, so a stale image cannot make a test pass)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from oci_image import OciImage

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_SCRIPT = REPO_ROOT / "scripts" / "image.sh"
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"


def run_image_script(out: Path, module: Path, **env: str) -> subprocess.CompletedProcess:
    """Runs scripts/image.sh --out OUT on MODULE, returning its output (never raises)."""
    environment = dict(os.environ, WASM_MODULE=str(module), **env)
    return subprocess.run(
        ["bash", str(IMAGE_SCRIPT), "--out", str(out)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def build_image(out: Path, module: Path, **env: str) -> Path:
    """Builds the image into OUT and returns OUT; fails the test with the script's output."""
    result = run_image_script(out, module, **env)
    if result.returncode != 0:
        pytest.fail(f"scripts/image.sh failed with exit code {result.returncode}:\n{result.stdout}")
    return out


@pytest.fixture(scope="session")
def wasm_module() -> Path:
    """The release module the image must carry (WASM_MODULE, as scripts/test-deploy.sh sets it)."""
    path = Path(os.environ.get("WASM_MODULE", REPO_ROOT / "target/wasm32-wasip1/release/edge_service.wasm"))
    if not path.is_file():
        pytest.fail(f"no module at {path}: build it with 'cargo build --release' first")
    return path


@pytest.fixture(scope="session")
def built_image(tmp_path_factory: pytest.TempPathFactory, wasm_module: Path) -> Path:
    """An image built from the module: OUT/oci, OUT/edge-service.tar, OUT/digest."""
    return build_image(tmp_path_factory.mktemp("image-a"), wasm_module)


@pytest.fixture(scope="session")
def rebuilt_image(tmp_path_factory: pytest.TempPathFactory, wasm_module: Path) -> Path:
    """A second build from a copy of the module at another path with another mtime:
    the inputs that matter are the same, so the output must be byte-identical."""
    copy_dir = tmp_path_factory.mktemp("module-copy")
    copy = copy_dir / "elsewhere.wasm"
    shutil.copyfile(wasm_module, copy)
    os.utime(copy, (1_234_567_890, 1_234_567_890))
    os.chmod(copy, 0o600)
    return build_image(tmp_path_factory.mktemp("image-b"), copy)


@pytest.fixture(scope="session")
def image(built_image: Path) -> OciImage:
    """The built image, read from its OCI layout directory."""
    return OciImage.open(built_image / "oci")


def tool(name: str) -> str:
    """The path of an installed command-line tool, or a failed test naming the package."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: scripts/test-deploy.sh installs it (Debian or PyPI package)")
    return path
