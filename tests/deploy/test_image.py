"""The container image: hadolint, and the properties a reader would check by eye.

No Docker engine runs here, so the image is never built in these tests (CI builds it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest

from commerce.cli import APPS
from tests.deploy.conftest import DEPLOY, REPO_ROOT, tool

pytestmark = pytest.mark.deploy

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions() -> list[dockerfile.Command]:
    """The Dockerfile as BuildKit's own parser reads it (the `dockerfile` package)."""
    return list(dockerfile.parse_file(str(DOCKERFILE)))


def of(steps: list[dockerfile.Command], word: str) -> list[dockerfile.Command]:
    return [step for step in steps if step.cmd.upper() == word]


def only(steps: list[dockerfile.Command], word: str) -> dockerfile.Command:
    (step,) = of(steps, word)
    return step


def final_stage() -> list[dockerfile.Command]:
    steps = instructions()
    last_from = max(i for i, step in enumerate(steps) if step.cmd.upper() == "FROM")
    return steps[last_from:]


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install flask\n")
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "DL3007" in result.stdout


def test_multi_stage_build_with_a_slim_python_runtime() -> None:
    steps = instructions()
    assert "PYTHON_IMAGE=python:3.11-slim" in [v for arg in of(steps, "ARG") for v in arg.value]
    froms = of(steps, "FROM")
    assert len(froms) >= 2, "a builder stage and a runtime stage"
    assert froms[-1].value[0] == "${PYTHON_IMAGE}"


def test_runtime_stage_runs_commerce_as_an_unprivileged_user() -> None:
    stage = final_stage()
    (user_group,) = only(stage, "USER").value
    user = user_group.split(":")[0]
    assert user.isdigit() and int(user) >= 1000, (
        "a numeric non-root uid (runAsNonRoot can check it)"
    )
    entrypoint, cmd = only(stage, "ENTRYPOINT"), only(stage, "CMD")
    assert entrypoint.json and entrypoint.value == ("commerce",)
    assert cmd.json and cmd.value == ("serve", "gateway")


def test_runtime_stage_has_no_compilers_caches_or_sources() -> None:
    stage = final_stage()
    runs = " ".join(" ".join(step.value) for step in of(stage, "RUN"))
    for forbidden in ("apt-get install", "gcc", "build-essential", "pip install"):
        assert forbidden not in runs
    copies = [(step.flags, step.value) for step in of(stage, "COPY") + of(stage, "ADD")]
    assert copies == [(("--from=builder",), ("/opt/venv", "/opt/venv"))], copies
    builder = instructions()[: -len(stage)]
    assert any("--no-cache-dir" in " ".join(step.value) for step in of(builder, "RUN"))


def test_healthcheck_asks_the_service_for_healthz() -> None:
    check = only(final_stage(), "HEALTHCHECK").value
    assert check[0] == "CMD"
    assert "urllib" in check[-1] and "/healthz" in check[-1]
    assert "HEALTHCHECK_PORT" in check[-1]


def test_every_app_and_migration_is_a_command_of_the_image() -> None:
    # The image's entrypoint is the `commerce` CLI: `serve <app>` and `migrate <service>`.
    from commerce import cli

    parser_help = subprocess.run(
        [sys.executable, "-m", "commerce", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert parser_help.returncode == 0
    for app in APPS:
        assert app in parser_help.stdout
    assert set(cli.SERVICES) <= set(APPS)


def test_dockerignore_sends_only_what_the_build_copies() -> None:
    lines = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**", "exclude everything, then re-include what the Dockerfile copies"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set()
    for step in of(instructions(), "COPY"):
        if not any(flag.startswith("--from") for flag in step.flags):
            copied |= {source.rstrip("/").removeprefix("./") for source in step.value[:-1]}
    assert copied == included
