"""Fixtures of the offline deployment checks: rendered overlays, CRD schemas, paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.crd_schemas import CrdVersion, load_crds, schemas_dir_or_skip
from tests.deploy.kustomize import Resource, render

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
OVERLAYS = ("dev", "prod")


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


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[Resource], kind: str, name: str) -> Resource:
    matches = [r for r in of_kind(resources, kind) if r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]
