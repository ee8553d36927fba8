"""deploy/kubernetes/load, the load generator in the cluster, rendered offline like the
overlays (which do not include it): built-in schemas, the same workload hardening, and the
locustfile it mounts is the repository's."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.deploy import test_kubernetes as kubernetes
from tests.deploy.conftest import (
    KUBERNETES,
    REPO_ROOT,
    Resource,
    is_builtin,
    named,
    of_kind,
    pod_spec,
    tool,
)

pytestmark = pytest.mark.deploy

LOAD = KUBERNETES / "load"


@pytest.fixture(scope="module")
def rendered() -> list[Resource]:
    """As deploy/kubernetes/load/kustomization.yaml says to build it: the locustfile lives
    in load/, outside the kustomization, hence the lifted load restrictor."""
    result = subprocess.run(
        [tool("kubectl"), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(LOAD)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_the_load_kinds_match_the_kubernetes_schemas(rendered: list[Resource]) -> None:
    assert {r["kind"] for r in rendered} == {
        "Namespace",
        "ConfigMap",
        "Job",
        "Deployment",
        "Service",
    }
    assert all(is_builtin(r) for r in rendered)
    problems = [p for resource in rendered for p in kubernetes.builtin_errors(resource)]
    assert not problems, "\n".join(problems)


def test_the_load_pods_are_hardened_like_the_platform(rendered: list[Resource]) -> None:
    kubernetes.test_pods_run_unprivileged_with_a_read_only_root(rendered)


def test_no_overlay_includes_the_load_generator(overlays: dict[str, list[Resource]]) -> None:
    for resources in overlays.values():
        assert not [r for r in resources if r["metadata"].get("namespace") == "commerce-load"]


def test_both_run_the_repository_locustfile(rendered: list[Resource]) -> None:
    (config_map,) = of_kind(rendered, "ConfigMap")
    assert config_map["data"]["locustfile.py"] == (REPO_ROOT / "load/locustfile.py").read_text()
    for workload in (named(rendered, "Job", "load"), named(rendered, "Deployment", "locust")):
        spec = pod_spec(workload)
        (container,) = spec["containers"]
        assert container["args"] == ["-f", "/mnt/locust/locustfile.py"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["locustfile"]["configMap"]["name"] == config_map["metadata"]["name"]
    namespaced = [r for r in rendered if r["kind"] != "Namespace"]
    assert all(r["metadata"]["namespace"] == "commerce-load" for r in namespaced)
    job_env = {
        e["name"]: e["value"]
        for e in pod_spec(named(rendered, "Job", "load"))["containers"][0]["env"]
    }
    assert job_env["LOCUST_HEADLESS"] == "true" and "LOCUST_RUN_TIME" in job_env
