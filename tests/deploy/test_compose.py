"""docker-compose.yml: valid against the compose-spec schema (check-jsonschema's
vendored copy), and wired as deployment needs it: the API on Docker's Wasm runtime,
MariaDB with a health check, the API started only once the database is healthy,
and DATABASE_URL naming that database with its credentials."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import COMPOSE_FILE, tool
from oci_image import OciImage


def check_compose_schema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def interpolate(value: str) -> str:
    """Compose's ${NAME:-default} with an empty environment (the defaults users get)."""
    def replace(match: re.Match) -> str:
        if match.group(2) is None:
            raise AssertionError(f"{match.group(0)} has no default: docker compose up would need it set")
        return match.group(2)

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", replace, value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_compose_file_is_valid_per_compose_spec() -> None:
    result = check_compose_schema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout


def test_schema_check_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    text = COMPOSE_FILE.read_text()
    for needle, broken in [("condition: service_healthy", "condition: service_happy"), ("    runtime:", "    runtme:")]:
        assert needle in text
        bad = tmp_path / "docker-compose.yml"
        bad.write_text(text.replace(needle, broken, 1))
        result = check_compose_schema(bad)
        assert result.returncode != 0, f"{broken!r} passed the schema:\n{result.stdout}"


def test_api_runs_on_the_wasmedge_shim_as_wasi_wasm(compose: dict) -> None:
    api = compose["services"]["api"]
    assert api["platform"] == "wasi/wasm"
    assert api["runtime"] == "io.containerd.wasmedge.v1"
    assert api["build"]["context"] == "."
    assert api["build"]["platforms"] == ["wasi/wasm"]


def test_api_image_is_the_one_image_sh_tags(compose: dict, built_image: Path) -> None:
    # So `docker load -i target/image/edge-service.tar && docker compose up` needs no build.
    import json
    import tarfile

    with tarfile.open(built_image / "edge-service.tar") as archive:
        manifest = archive.extractfile("manifest.json")
        assert manifest is not None
        assert compose["services"]["api"]["image"] in json.load(manifest)[0]["RepoTags"]


def test_database_is_mariadb_with_a_health_check(compose: dict) -> None:
    db = compose["services"]["db"]
    assert db["image"].startswith("mariadb:")
    test = db["healthcheck"]["test"]
    assert test[0] == "CMD" and "healthcheck.sh" in test[1]
    assert "--innodb_initialized" in test


def test_api_waits_for_a_healthy_database(compose: dict) -> None:
    assert compose["services"]["api"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_database_url_names_the_db_service_and_its_credentials(compose: dict) -> None:
    api, db = compose["services"]["api"], compose["services"]["db"]
    url = urlsplit(interpolate(api["environment"]["DATABASE_URL"]))
    db_env = {k: interpolate(str(v)) for k, v in db["environment"].items()}
    assert url.scheme == "mysql"
    assert url.hostname == "db" and url.port == 3306
    assert url.username == db_env["MARIADB_USER"]
    assert url.password == db_env["MARIADB_PASSWORD"]
    assert url.path == "/" + db_env["MARIADB_DATABASE"]


def test_published_port_reaches_the_port_the_api_listens_on(compose: dict, image: OciImage) -> None:
    api = compose["services"]["api"]
    [mapping] = api["ports"]
    container_port = interpolate(mapping).rsplit(":", 1)[1]
    assert api["environment"]["PORT"] == container_port
    assert api["environment"]["HOST"] == "0.0.0.0"
    assert f"{container_port}/tcp" in image.config["config"]["ExposedPorts"]
