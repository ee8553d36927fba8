"""The Kubernetes overlays, rendered offline: schemas of built-in kinds, workload hardening,
and the services' configuration against the code's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from commerce.cli import APPS
from commerce.gateway.settings import GatewaySettings
from tests.deploy.conftest import (
    OVERLAYS,
    Resource,
    collect_overlays,
    container_env,
    edited_prod,
    is_builtin,
    named,
    of_kind,
    pod_spec,
    render,
)
from tests.deploy.service_settings import (
    all_models,
    check_container_env,
    effective,
    service_model,
    url_host_port,
)

pytestmark = pytest.mark.deploy

# The oldest Kubernetes the manifests promise to work on (docs/deploy.md); the schemas of
# this version ship inside kubernetes-validate, so no network is needed.
KUBERNETES_VERSION = "1.30"
POD_WORKLOADS = ("Deployment", "Job")


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, overlays: dict[str, list[Resource]]) -> list[Resource]:
    return overlays[request.param]


def builtin_errors(resource: Resource) -> list[str]:
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{resource['kind']}/{resource['metadata']['name']}: {error.message}"]
    return []


def test_built_in_kinds_match_the_kubernetes_schemas(overlay: list[Resource]) -> None:
    builtins = [r for r in overlay if is_builtin(r)]
    assert len(builtins) > 30
    problems = [problem for resource in builtins for problem in builtin_errors(resource)]
    assert not problems, "\n".join(problems)


def test_the_schema_check_catches_a_misspelt_field(overlays: dict[str, list[Resource]]) -> None:
    deployment = named(collect_overlays()["prod"], "Deployment", "gateway")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    assert "readinesProbe" in " ".join(builtin_errors(deployment))


def test_a_patch_that_matches_nothing_fails_the_rendering(tmp_path: Path) -> None:
    """kustomize itself renders: what it refuses is a failure, never a silently empty overlay."""
    patch = "overlays/prod/patches/gateway.yaml"
    overlay = edited_prod(tmp_path, patch, "  name: gateway\n", "  name: gatewey\n")
    with pytest.raises(pytest.fail.Exception, match="gatewey"):
        render(overlay)


# --- workloads ---------------------------------------------------------------------------


def test_every_app_has_its_kubernetes_objects(overlay: list[Resource]) -> None:
    for app in APPS:
        for kind in (
            "ServiceAccount",
            "Service",
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
        ):
            named(overlay, kind, app)
        named(overlay, "ConfigMap", f"{app}-config")
    assert {d["metadata"]["name"] for d in of_kind(overlay, "Deployment")} == set(APPS)


def workloads(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r["kind"] in POD_WORKLOADS]


def test_pods_run_unprivileged_with_a_read_only_root(overlay: list[Resource]) -> None:
    problems = []
    for workload in workloads(overlay):
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        pod = spec.get("securityContext", {})
        if (
            pod.get("runAsNonRoot") is not True
            or pod.get("seccompProfile", {}).get("type") != "RuntimeDefault"
        ):
            problems.append(
                f"{name}: pod securityContext needs runAsNonRoot and seccomp RuntimeDefault"
            )
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: mounts a Kubernetes API token it does not need")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            where = f"{name}/{container['name']}"
            context = container.get("securityContext", {})
            expected = {
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
            }
            for key, value in expected.items():
                if context.get(key) is not value:
                    problems.append(f"{where}: securityContext.{key} must be {value}")
            if context.get("capabilities", {}).get("drop") != ["ALL"] or context.get(
                "capabilities", {}
            ).get("add"):
                problems.append(f"{where}: must drop ALL capabilities and add none")
            if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile RuntimeDefault")
            tmp = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
                problems.append(f"{where}: /tmp must be a writable emptyDir")
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if what not in resources.get(bound, {}):
                        problems.append(f"{where}: resources.{bound}.{what} missing")
            if ":" not in container["image"] or container["image"].endswith(":latest"):
                problems.append(f"{where}: image {container['image']} has no pinned tag")
    assert not problems, "\n".join(problems)


def test_deployments_probe_healthz_and_readyz_on_the_service_port(overlay: list[Resource]) -> None:
    for app in APPS:
        deployment = named(overlay, "Deployment", app)
        assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns replicas"
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["serve", app]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        expected = {"http": service_model(app).port}
        if app == "gateway":  # its /metrics, on a port the Service leaves out
            admin_port = GatewaySettings().admin_port
            expected["admin"] = admin_port
            annotations = deployment["spec"]["template"]["metadata"]["annotations"]
            assert annotations["prometheus.io/port"] == str(admin_port)
        assert ports == expected
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == app


def test_services_select_the_app_pods_only(overlay: list[Resource]) -> None:
    for app in APPS:
        service = named(overlay, "Service", app)
        selector = service["spec"]["selector"]
        pod_labels = named(overlay, "Deployment", app)["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items()
        for job in of_kind(overlay, "Job"):
            assert not selector.items() <= job["spec"]["template"]["metadata"]["labels"].items()
        (port,) = service["spec"]["ports"]
        assert port["name"].startswith("http"), "Istio picks the protocol from the port name"
        assert port["port"] == service_model(app).port and port["targetPort"] == "http"


def test_autoscalers_and_disruption_budgets_cover_each_deployment(overlay: list[Resource]) -> None:
    for app in APPS:
        hpa = named(overlay, "HorizontalPodAutoscaler", app)
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": app,
        }
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        pdb = named(overlay, "PodDisruptionBudget", app)
        labels = named(overlay, "Deployment", app)["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        # maxUnavailable (not minAvailable): a single replica in dev can still be drained.
        assert pdb["spec"].get("maxUnavailable") == 1


def test_production_keeps_two_replicas_of_everything(overlays: dict[str, list[Resource]]) -> None:
    autoscalers = of_kind(overlays["prod"], "HorizontalPodAutoscaler")
    assert {hpa["metadata"]["name"] for hpa in autoscalers} == set(APPS)
    for hpa in autoscalers:
        assert hpa["spec"]["minReplicas"] >= 2, hpa["metadata"]["name"]


def test_a_migration_job_for_each_service_with_a_database(overlay: list[Resource]) -> None:
    models = all_models()
    jobs = {job["metadata"]["name"]: job for job in of_kind(overlay, "Job")}
    assert set(jobs) == {f"{name}-migrate" for name, model in models.items() if model.has_database}
    for name, job in jobs.items():
        app = name.removesuffix("-migrate")
        template = job["spec"]["template"]
        (container,) = template["spec"]["containers"]
        assert container["args"] == ["migrate", app]
        assert template["spec"]["restartPolicy"] == "Never"
        # An Envoy sidecar would never exit, and the Job would never complete.
        assert template["metadata"]["labels"]["sidecar.istio.io/inject"] == "false"
        env = {e["name"]: e for e in container["env"]}
        database_url = service_model(app).variable("database_url")
        assert env[database_url]["valueFrom"]["secretKeyRef"] == secret_ref_of(
            overlay, app, database_url
        )
        assert set(env) <= set(service_model(app).variables)


# --- configuration against the code --------------------------------------------------------


def secret_ref_of(overlay: list[Resource], app: str, variable: str) -> dict[str, Any]:
    (container,) = named(overlay, "Deployment", app)["spec"]["template"]["spec"]["containers"]
    (item,) = [e for e in container["env"] if e["name"] == variable]
    return item["valueFrom"]["secretKeyRef"]


def cluster_resolver(overlay: list[Resource]):  # type: ignore[no-untyped-def]
    services = {
        (s["metadata"]["name"], s["metadata"]["namespace"]): s["spec"]["ports"][0]["port"]
        for s in of_kind(overlay, "Service")
    }

    def resolve(url: str) -> tuple[str, int] | None:
        host, port = url_host_port(url)
        labels = host.split(".")
        if len(labels) < 2 or labels[2:] not in ([], ["svc"], ["svc", "cluster", "local"]):
            return None
        key = (labels[0], labels[1])
        if key not in services or labels[0] not in APPS:
            return None
        assert port == services[key], f"{url}: the Service listens on {services[key]}"
        return labels[0], port

    return resolve


def test_every_container_environment_matches_the_code(overlay: list[Resource]) -> None:
    resolve = cluster_resolver(overlay)
    problems = []
    for app in APPS:
        problems += check_container_env(container_env(overlay, app), resolve)
    assert not problems, "\n".join(problems)


def test_credentials_come_only_from_secrets(overlay: list[Resource]) -> None:
    assert not of_kind(overlay, "Secret"), "no Secret objects in the repository, only references"
    for app in APPS:
        model = service_model(app)
        env = container_env(overlay, app)
        for variable in env.values:
            if variable in model.variables and model.is_secret(variable):
                assert variable in env.secret_sources, f"{app}: {variable} must come from a Secret"


def test_auth_and_gateway_agree_on_tokens(overlay: list[Resource]) -> None:
    auth, gateway, user = (service_model(n) for n in ("auth", "gateway", "user"))
    auth_env, gateway_env = container_env(overlay, "auth"), container_env(overlay, "gateway")
    for field in ("issuer", "audience"):
        assert effective(auth, auth_env.values, field) == effective(
            gateway, gateway_env.values, field
        )
    user_env = container_env(overlay, "user")
    assert (
        auth_env.secret_sources[auth.variable("user_service_token")]
        == user_env.secret_sources[user.variable("internal_api_token")]
    )


def test_auth_reads_its_signing_key_from_a_mounted_secret(overlay: list[Resource]) -> None:
    auth = service_model("auth")
    env = container_env(overlay, "auth").values
    key_file = env[auth.variable("signing_key_file")]
    assert key_file
    deployment = named(overlay, "Deployment", "auth")
    spec = deployment["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    directory, _, filename = key_file.rpartition("/")
    secret = volumes[mounts[directory]]["secret"]
    assert [item["path"] for item in secret["items"]] == [filename]
    for path in filter(None, (env.get(auth.variable("extra_public_key_files")) or "").split(",")):
        assert path.rpartition("/")[0] in mounts
