"""The container image: hadolint, and the properties a reader would check by eye.

No Docker engine runs here, so the image is never built in these tests (CI builds it).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from commerce.cli import APPS
from tests.deploy.conftest import DEPLOY, REPO_ROOT, tool

pytestmark = pytest.mark.deploy

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def final_stage(text: str) -> list[tuple[str, str]]:
    steps = instructions(text)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
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
    text = DOCKERFILE.read_text()
    default_base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.M)
    assert default_base and default_base.group(1) == "python:3.11-slim"
    froms = [args for word, args in instructions(text) if word == "FROM"]
    assert len(froms) >= 2, "a builder stage and a runtime stage"
    assert froms[-1].split()[0] == "${PYTHON_IMAGE}"


def test_runtime_stage_runs_commerce_as_an_unprivileged_user() -> None:
    stage = final_stage(DOCKERFILE.read_text())
    words = dict(stage)
    user = words["USER"].split(":")[0]
    assert user.isdigit() and int(user) >= 1000, (
        "a numeric non-root uid (runAsNonRoot can check it)"
    )
    assert json.loads(words["ENTRYPOINT"]) == ["commerce"]
    assert json.loads(words["CMD"]) == ["serve", "gateway"]


def test_runtime_stage_has_no_compilers_caches_or_sources() -> None:
    stage = final_stage(DOCKERFILE.read_text())
    runs = " ".join(args for word, args in stage if word == "RUN")
    for forbidden in ("apt-get install", "gcc", "build-essential", "pip install"):
        assert forbidden not in runs
    copies = [args for word, args in stage if word in ("COPY", "ADD")]
    assert copies == ["--from=builder /opt/venv /opt/venv"], copies
    builder = instructions(DOCKERFILE.read_text())[: -len(stage)]
    assert any("--no-cache-dir" in args for word, args in builder if word == "RUN")


def test_healthcheck_asks_the_service_for_healthz() -> None:
    words = dict(final_stage(DOCKERFILE.read_text()))
    check = words["HEALTHCHECK"]
    assert "CMD" in check and "urllib" in check and "/healthz" in check
    assert "HEALTHCHECK_PORT" in check


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
    for word, args in instructions(DOCKERFILE.read_text()):
        if word == "COPY" and not args.startswith("--from"):
            copied |= {source.rstrip("/").removeprefix("./") for source in args.split()[:-1]}
    assert copied == included
