"""deploy/k8s: valid against Kubernetes' own OpenAPI schemas (kubernetes-validate,
strict: unknown fields are errors), and consistent with each other and with
the image (names, labels, ports, probe paths, the Secret the Deployment reads)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import K8S_DIR, tool
from oci_image import OciImage

# The oldest Kubernetes the manifests promise to work on (preStop `sleep` is
# on by default from 1.30) and the newest the validator knows.
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
MANIFESTS = sorted(K8S_DIR.glob("*.yaml"))


def load_all() -> dict[str, dict]:
    """Every object in deploy/k8s by kind (each kind appears once)."""
    objects: dict[str, dict] = {}
    for path in MANIFESTS:
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                assert document["kind"] not in objects, f"two {document['kind']} objects"
                objects[document["kind"]] = document
    return objects


@pytest.fixture(scope="module")
def objects() -> dict[str, dict]:
    return load_all()


@pytest.fixture(scope="module")
def pod(objects: dict[str, dict]) -> dict:
    return objects["Deployment"]["spec"]["template"]


@pytest.fixture(scope="module")
def container(pod: dict) -> dict:
    [only] = pod["spec"]["containers"]
    return only


def kubernetes_validate(version: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("kubernetes-validate"), "--strict", "--kubernetes-version", version, *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_expected_objects_are_there(objects: dict[str, dict]) -> None:
    assert set(objects) == {"RuntimeClass", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_for_kubernetes(manifest: Path, version: str) -> None:
    result = kubernetes_validate(version, manifest)
    assert result.returncode == 0, result.stdout
    assert "passed" in result.stdout


def test_validator_rejects_a_broken_deployment(tmp_path: Path) -> None:
    text = (K8S_DIR / "20-deployment.yaml").read_text()
    for needle, broken in [("periodSeconds: 10", "periodSeconds: ten"), ("runtimeClassName:", "runtimeClass:")]:
        assert needle in text
        bad = tmp_path / "bad.yaml"
        bad.write_text(text.replace(needle, broken, 1))
        result = kubernetes_validate(KUBERNETES_VERSIONS[-1], bad)
        assert result.returncode != 0, f"{broken!r} passed validation:\n{result.stdout}"


def test_runtime_class_uses_crun(objects: dict[str, dict], pod: dict) -> None:
    runtime_class = objects["RuntimeClass"]
    assert runtime_class["apiVersion"] == "node.k8s.io/v1"
    assert runtime_class["handler"] == "crun"
    assert pod["spec"]["runtimeClassName"] == runtime_class["metadata"]["name"]


def test_pod_carries_the_compat_smart_annotation(pod: dict) -> None:
    assert pod["metadata"]["annotations"]["module.wasm.image/variant"] == "compat-smart"


def test_probes_use_health_for_liveness_and_ready_for_readiness(container: dict) -> None:
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/api/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/ready"
    port_names = {p["name"] for p in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in port_names


def test_container_port_is_the_image_port_and_port_env(container: dict, image: OciImage) -> None:
    [port] = container["ports"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PORT"] == str(port["containerPort"])
    assert env["HOST"] == "0.0.0.0"
    assert f"{port['containerPort']}/tcp" in image.config["config"]["ExposedPorts"]


def test_database_url_comes_from_the_secret(objects: dict[str, dict], container: dict) -> None:
    [database_url] = [e for e in container["env"] if e["name"] == "DATABASE_URL"]
    reference = database_url["valueFrom"]["secretKeyRef"]
    secret = objects["Secret"]
    assert reference["name"] == secret["metadata"]["name"]
    assert not reference.get("optional"), "replicas must not silently fall back to the per-pod memory store"
    value = secret["stringData"][reference["key"]]
    assert re.fullmatch(r"mysql://[^:@/]+:[^@/]+@[^:/]+:\d+/\w+", value), value
    assert "PLACEHOLDER" in value, "the committed password must be visibly a placeholder"


def test_resources_are_requested_and_limited(container: dict) -> None:
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]), "the HPA needs a CPU request"
    assert "memory" in resources["limits"]
    mebibytes = lambda q: int(q.removesuffix("Mi"))  # noqa: E731
    assert mebibytes(resources["limits"]["memory"]) >= mebibytes(resources["requests"]["memory"])


def test_buffered_bodies_fit_in_the_memory_limit(container: dict) -> None:
    # Wasm memory never shrinks: every connection holding a full body at once
    # must fit in half the limit, leaving the rest to the runtime and the module.
    env = {e["name"]: e.get("value") for e in container["env"]}
    worst_case = int(env["MAX_CONNECTIONS"]) * int(env["MAX_BODY_BYTES"])
    limit = int(container["resources"]["limits"]["memory"].removesuffix("Mi")) * 1024 * 1024
    assert worst_case <= limit // 2, f"{worst_case} bytes of bodies against a {limit}-byte limit"


def test_container_is_locked_down(pod: dict, container: dict) -> None:
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"]["drop"] == ["ALL"]


def test_service_selects_the_pods_and_targets_the_http_port(objects: dict[str, dict], pod: dict, container: dict) -> None:
    service = objects["Service"]
    labels = pod["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert objects["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [port] = service["spec"]["ports"]
    assert port["targetPort"] in {p["name"] for p in container["ports"]}


def test_autoscaler_scales_the_deployment_which_leaves_replicas_to_it(objects: dict[str, dict]) -> None:
    hpa, deployment = objects["HorizontalPodAutoscaler"], objects["Deployment"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", deployment["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert "replicas" not in deployment["spec"], "a fixed replica count fights the HPA on every apply"
