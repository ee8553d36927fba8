"""The load generator (load/locustfile.py) runs headless against the platform for a few
seconds: Locust's table, orders that reached CONFIRMED, and not one failure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.conftest import RunningPlatform

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.timeout(90)]

ROOT = Path(__file__).resolve().parents[2]
LOCUST = Path(sys.executable).with_name("locust")


@pytest.mark.parametrize("running", ["embedded"], indirect=True)
def test_a_short_headless_run_confirms_orders_without_a_failure(
    running: RunningPlatform,
) -> None:
    finished = subprocess.run(
        [
            str(LOCUST),
            "-f",
            "load/locustfile.py",
            "--headless",
            "-u",
            "6",
            "-r",
            "6",
            "-t",
            "10s",
            "--host",
            running.gateway_url,
            "--only-summary",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = finished.stdout + finished.stderr
    assert finished.returncode == 0, out
    assert "Aggregated" in out and "POST     /v1/orders" in out, out
    confirmed = re.search(r"^Orders CONFIRMED: (\d+)$", out, re.MULTILINE)
    assert confirmed and int(confirmed.group(1)) > 0, out
    assert re.search(r"^Failures: 0$", out, re.MULTILINE), out
    assert "Error report" not in out, out
