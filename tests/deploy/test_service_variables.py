"""The service's environment variables are declared once, in src/config/variables.rs,
and every other place that names them agrees with that declaration:

- the module itself prints it (`edge_service.wasm --print-env-spec`, run by the runner
  the deployment tests use): the names are src/config/variables.txt (what
  scripts/run.sh passes through), the Markdown is the README's Configuration table;
- every variable a deployment sets (Kubernetes Deployments, the compose file's API
  service, both Dockerfiles, the images scripts/image.sh builds) is declared, apart
  from edge-host's own EDGE_HOST_* settings where edge-host runs the module, which
  host/README.md must document;
- every variable name the READMEs show in backticks is declared, or is read or set
  somewhere in the repository's code, scripts or deployment files (a runner's or a
  script's setting), so a misspelt or removed service variable fails here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import dockerfile
import pytest
import yaml

from conftest import COMPOSE_FILE, K8S_DIR, REPO_ROOT
from container_run import runtime_command
from oci_image import OciImage

DECLARED_LIST = REPO_ROOT / "src" / "config" / "variables.txt"
README = REPO_ROOT / "README.md"
DOCS = [README, REPO_ROOT / "deploy" / "README.md"]
HOST_README = REPO_ROOT / "host" / "README.md"
TABLE_BEGIN = "<!-- edge_service --print-env-spec=markdown -->\n"
TABLE_END = "<!-- end of edge_service --print-env-spec=markdown -->"
NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}")


def print_env_spec(module: Path, *flag: str) -> str:
    """What the module prints for `--print-env-spec[=FORMAT]` under the test runner."""
    result = subprocess.run(
        [*runtime_command(), str(module), *flag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
    )
    assert result.returncode == 0, f"{flag} exited {result.returncode}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def declared() -> list[str]:
    names = DECLARED_LIST.read_text().split()
    assert names, f"{DECLARED_LIST} is empty"
    return names


def test_the_module_prints_the_checked_in_list_and_the_readme_table(wasm_module: Path, declared: list[str]) -> None:
    assert print_env_spec(wasm_module, "--print-env-spec").split() == declared
    readme = README.read_text()
    table = readme[readme.index(TABLE_BEGIN) + len(TABLE_BEGIN):readme.index(TABLE_END)]
    assert print_env_spec(wasm_module, "--print-env-spec=markdown") == table
    rows = [line.split("|")[1].strip().strip("`") for line in table.splitlines()[2:]]
    assert rows == declared, "every declared variable has exactly one row in the README"


def test_an_unknown_spec_format_is_refused_without_serving(wasm_module: Path) -> None:
    result = subprocess.run(
        [*runtime_command(), str(wasm_module), "--print-env-spec=yaml"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
    )
    assert result.returncode == 2, result
    assert "--print-env-spec=markdown" in result.stderr


def kubernetes_env() -> dict[str, list[str]]:
    """The env names of every container of every Deployment, by manifest."""
    found: dict[str, list[str]] = {}
    for path in sorted(K8S_DIR.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document or document.get("kind") != "Deployment":
                continue
            for container in document["spec"]["template"]["spec"]["containers"]:
                names = [entry["name"] for entry in container.get("env", [])]
                found[str(path.relative_to(REPO_ROOT))] = names
    assert found, f"no Deployment under {K8S_DIR}"
    return found


def edge_host_settings() -> set[str]:
    """edge-host's own EDGE_HOST_* variables, as host/README.md documents them."""
    return set(re.findall(r"EDGE_HOST_[A-Z_]+[A-Z]", HOST_README.read_text()))


def test_every_variable_a_kubernetes_deployment_sets_is_declared(declared: list[str]) -> None:
    settings = edge_host_settings()
    for manifest, names in kubernetes_env().items():
        runs_edge_host = "/runner/" in manifest
        for name in names:
            if runs_edge_host and name.startswith("EDGE_HOST_"):
                assert name in settings, f"{manifest}: {name} is not an edge-host setting of host/README.md"
            else:
                assert name in declared, f"{manifest}: {name} is not a variable of the service (src/config/variables.rs)"
        assert "DATABASE_URL" in names and "PORT" in names, manifest


def test_every_variable_the_compose_service_sets_is_declared(declared: list[str]) -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    names = list(compose["services"]["api"]["environment"])
    assert names
    unknown = [name for name in names if name not in declared]
    assert unknown == [], f"docker-compose.yml sets variables the service does not read: {unknown}"


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.runner"])
def test_every_variable_a_dockerfile_sets_is_declared(name: str, declared: list[str]) -> None:
    commands = [c for c in dockerfile.parse_file(str(REPO_ROOT / name)) if c.cmd.upper() == "ENV"]
    assert commands, f"{name} sets no environment"
    names = [value for command in commands for value in command.value[::2]]
    unknown = [variable for variable in names if variable not in declared]
    assert unknown == [], f"{name} sets variables the service does not read: {unknown}"


def test_every_variable_the_built_image_sets_is_declared(image: OciImage, declared: list[str]) -> None:
    names = [entry.partition("=")[0] for entry in image.config["config"]["Env"]]
    assert names and all(name in declared for name in names), names


def mentioned_elsewhere(name: str) -> bool:
    """Whether a file of the repository other than documentation names `name`: a
    variable some script, test harness, runner or deployment file reads or sets."""
    result = subprocess.run(
        ["git", "grep", "-q", "--untracked", "-w", "-F", name, "--", ".", ":!*.md", ":!src/config/variables.txt",
         f":!{Path(__file__).relative_to(REPO_ROOT)}"],
        cwd=REPO_ROOT, check=False,
    )
    return result.returncode == 0


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_variable_a_readme_names_exists(doc: Path, declared: list[str]) -> None:
    names = {token.partition("=")[0] for token in re.findall(r"`([^`\s]+)`", doc.read_text())}
    names = {name for name in names if NAME.fullmatch(name)}
    unknown = sorted(name for name in names if name not in declared and not mentioned_elsewhere(name))
    assert unknown == [], (
        f"{doc.relative_to(REPO_ROOT)} names variables nothing in the repository reads: {unknown} "
        "(a service variable must be declared in src/config/variables.rs)"
    )


def test_a_misspelt_variable_in_a_readme_would_be_caught() -> None:
    assert not mentioned_elsewhere("MAX_CONECTIONS")
    assert mentioned_elsewhere("EDGE_RUNTIME") and mentioned_elsewhere("MARIADB_PASSWORD")
