"""The pre-commit hooks: a valid config, the three checks, nothing fetched, and they bite."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import REPO_ROOT, tool

pytestmark = pytest.mark.deploy

CONFIG = REPO_ROOT / ".pre-commit-config.yaml"


def pre_commit(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    # Its own cache under tmp: the developer's ~/.cache/pre-commit is none of the test's business.
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [tool("pre-commit"), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_config_is_valid(tmp_path: Path) -> None:
    result = pre_commit("validate-config", str(CONFIG), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check_ruff_format_and_mypy_run_from_the_venv_without_fetching() -> None:
    (repo,) = yaml.safe_load(CONFIG.read_text())["repos"]
    assert repo["repo"] == "local"  # a hook repository would be cloned from the network
    entries = {hook["id"]: hook["entry"] for hook in repo["hooks"]}
    assert entries == {
        "ruff-check": ".venv/bin/ruff check --force-exclude",
        "ruff-format": ".venv/bin/ruff format --check --force-exclude",
        "mypy": ".venv/bin/mypy",
    }
    assert {hook["language"] for hook in repo["hooks"]} == {"system"}


def test_the_format_hook_refuses_an_unformatted_file(tmp_path: Path) -> None:
    unformatted = tmp_path / "unformatted.py"
    unformatted.write_text("x = {  'a':1 }\n")
    result = pre_commit("run", "ruff-format", "--files", str(unformatted), home=tmp_path / "home")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "would be reformatted" in result.stdout
    assert unformatted.read_text() == "x = {  'a':1 }\n"  # checked, not rewritten
