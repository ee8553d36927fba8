"""The GitHub Actions workflow: actionlint, and what CI must do."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import REPO_ROOT, tool

pytestmark = pytest.mark.deploy

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yaml"


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), "-no-color", str(path)], capture_output=True, text=True, timeout=60
    )


def test_actionlint_finds_nothing() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "ci.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        WORKFLOW.read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", 1)
    )
    result = actionlint(broken)
    assert result.returncode != 0 and "runs_on" in result.stdout


def test_ci_tests_against_real_servers_lints_and_builds_the_image() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    test = workflow["jobs"]["test"]
    images = {name: service["image"].split(":")[0] for name, service in test["services"].items()}
    assert images == {"mariadb": "mariadb", "redis": "redis"}
    assert test["env"]["COMMERCE_TEST_REQUIRE_SERVICES"] == "1"
    assert {"COMMERCE_TEST_MYSQL_URL", "COMMERCE_TEST_REDIS_URL"} <= set(test["env"])
    runs = [step.get("run", "") for step in test["steps"]]
    assert "make test" in runs and "make lint" in runs
    # The manifest checks need the CRDs beside the checkout, as on a laptop.
    checkout = next(
        step for step in test["steps"] if step.get("uses", "").startswith("actions/checkout")
    )
    assert checkout["with"]["path"] == "main"
    assert any("shared/schemas" in run for run in runs)
    build = [
        s for s in workflow["jobs"]["image"]["steps"] if "build-push-action" in s.get("uses", "")
    ]
    assert build and build[0]["with"]["file"] == "deploy/Dockerfile"
