"""deploy/k8s: valid against Kubernetes' own OpenAPI schemas (kubernetes-validate,
strict: unknown fields are errors), and consistent with each other and with
the image (names, labels, ports, probe paths, the Secret the Deployment reads).

deploy/k8s/*.yaml are the objects both ways of running share (Secret, Service,
HPA, PDB); each subfolder holds one way's Deployment (and what only it needs):
runner/ (the linux/amd64 runner image) and crun-wasmedge/ (the Wasm image under
crun's WasmEdge handler). Every consistency test runs on both combinations, and
the measured stop behaviour of each is encoded: under crun-wasmedge the module
only gets SIGTERM when the pod shares its PID namespace; the runner's grace
period covers the preStop sleep plus edge-host's shutdown timeout."""

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
SHARED = sorted(K8S_DIR.glob("*.yaml"))
VARIANTS = {"runner": K8S_DIR / "runner", "crun-wasmedge": K8S_DIR / "crun-wasmedge"}
MANIFESTS = sorted(K8S_DIR.rglob("*.yaml"))
DEPLOYMENTS = {name: folder / "20-deployment.yaml" for name, folder in VARIANTS.items()}


def load_objects(paths: list[Path]) -> dict[str, dict]:
    """Every object in `paths` by kind (each kind appears once)."""
    objects: dict[str, dict] = {}
    for path in paths:
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                assert document["kind"] not in objects, f"two {document['kind']} objects"
                objects[document["kind"]] = document
    return objects


def load_variant(name: str) -> dict[str, dict]:
    """What `kubectl apply -f deploy/k8s/ -f deploy/k8s/NAME/` creates, by kind."""
    return load_objects(SHARED + sorted(VARIANTS[name].glob("*.yaml")))


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def objects(request: pytest.FixtureRequest) -> dict[str, dict]:
    return load_variant(request.param)


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


def test_the_expected_objects_are_there() -> None:
    shared = {"Secret", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert set(load_objects(SHARED)) == shared, "the shared folder holds no Deployment: `kubectl apply -f deploy/k8s/` starts nothing"
    assert set(load_variant("runner")) == shared | {"Deployment"}
    assert set(load_variant("crun-wasmedge")) == shared | {"Deployment", "RuntimeClass"}


def test_every_manifest_belongs_to_the_shared_set_or_one_way() -> None:
    assert set(MANIFESTS) == set(SHARED) | {p for folder in VARIANTS.values() for p in folder.glob("*.yaml")}


def test_both_deployments_are_one_object_so_they_never_run_side_by_side() -> None:
    # Same name and namespace: applying one folder after the other updates the
    # Deployment in place; the Service, HPA and PDB select either one's pods.
    names = {name: load_variant(name)["Deployment"]["metadata"] for name in VARIANTS}
    assert len({(m["name"], m.get("namespace")) for m in names.values()}) == 1, names


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: str(p.relative_to(K8S_DIR)))
def test_manifest_is_valid_for_kubernetes(manifest: Path, version: str) -> None:
    result = kubernetes_validate(version, manifest)
    assert result.returncode == 0, result.stdout
    assert "passed" in result.stdout


@pytest.mark.parametrize("way", sorted(DEPLOYMENTS))
def test_validator_rejects_a_broken_deployment(tmp_path: Path, way: str) -> None:
    text = DEPLOYMENTS[way].read_text()
    for needle, broken in [("periodSeconds: 10", "periodSeconds: ten"), ("readOnlyRootFilesystem:", "readOnlyRootFileSystem:")]:
        assert needle in text
        bad = tmp_path / "bad.yaml"
        bad.write_text(text.replace(needle, broken, 1))
        result = kubernetes_validate(KUBERNETES_VERSIONS[-1], bad)
        assert result.returncode != 0, f"{broken!r} passed validation:\n{result.stdout}"


def crun_wasmedge_pod() -> dict:
    return load_variant("crun-wasmedge")["Deployment"]["spec"]["template"]


def runner_pod() -> dict:
    return load_variant("runner")["Deployment"]["spec"]["template"]


def test_crun_wasmedge_runtime_class_uses_crun() -> None:
    runtime_class = load_variant("crun-wasmedge")["RuntimeClass"]
    assert runtime_class["apiVersion"] == "node.k8s.io/v1"
    assert runtime_class["handler"] == "crun"
    assert crun_wasmedge_pod()["spec"]["runtimeClassName"] == runtime_class["metadata"]["name"]


def test_crun_wasmedge_pod_carries_the_compat_smart_annotation() -> None:
    assert crun_wasmedge_pod()["metadata"]["annotations"]["module.wasm.image/variant"] == "compat-smart"


def test_crun_wasmedge_pod_shares_its_process_namespace_so_sigterm_reaches_the_module() -> None:
    # Measured: as PID 1 of its own PID namespace the module (no signal handler)
    # ignored SIGTERM for 5 s and more; without its own namespace it ended in ~0.1 s.
    spec = crun_wasmedge_pod()["spec"]
    assert spec["shareProcessNamespace"] is True
    [container] = spec["containers"]
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] < spec["terminationGracePeriodSeconds"]


def test_runner_pod_needs_no_runtime_class_and_no_wasm_annotation() -> None:
    pod = runner_pod()
    assert "runtimeClassName" not in pod["spec"]
    assert "module.wasm.image/variant" not in pod["metadata"].get("annotations", {})
    assert "shareProcessNamespace" not in pod["spec"], "edge-host handles SIGTERM as PID 1"


def shutdown_timeout_seconds(container: dict) -> int:
    """edge-host's shutdown timeout as the runner container sets it (env or argument);
    the manifest must state it, so the grace period can be checked against it."""
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    argv = [*container.get("command", []), *container.get("args", [])]
    from_args = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--shutdown-timeout"]
    from_args += [a.split("=", 1)[1] for a in argv if a.startswith("--shutdown-timeout=")]
    values = from_args or ([env["EDGE_HOST_SHUTDOWN_TIMEOUT"]] if "EDGE_HOST_SHUTDOWN_TIMEOUT" in env else [])
    assert values, "the runner Deployment must set EDGE_HOST_SHUTDOWN_TIMEOUT (or --shutdown-timeout)"
    return int(values[-1])


def test_runner_grace_period_covers_pre_stop_and_the_shutdown_timeout() -> None:
    spec = runner_pod()["spec"]
    [container] = spec["containers"]
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    timeout = shutdown_timeout_seconds(container)
    assert timeout > 0
    # Strictly more: edge-host must have time to exit with its own status after the timeout.
    assert spec["terminationGracePeriodSeconds"] > pre_stop + timeout, (spec["terminationGracePeriodSeconds"], pre_stop, timeout)


def test_runner_guest_memory_cap_fits_the_limit_and_the_bodies() -> None:
    [container] = runner_pod()["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    cap_mib = int(env["EDGE_HOST_MAX_MEMORY"])
    limit_mib = int(container["resources"]["limits"]["memory"].removesuffix("Mi"))
    assert cap_mib < limit_mib, "the guest's cap must be reached before the container's memory limit"
    assert int(env["MAX_CONNECTIONS"]) * int(env["MAX_BODY_BYTES"]) <= cap_mib * 1024 * 1024 // 2


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
