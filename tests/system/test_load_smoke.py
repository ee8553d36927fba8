"""The load generator (load/locustfile.py) runs headless against the platform for a few
seconds: Locust's table, shoppers filling carts and checking them out with tok_visa, orders
that reached CONFIRMED, and not one failure. The pause between tasks is shortened so that a
few seconds hold several checkouts."""

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


def table_row(out: str, method: str, name: str) -> tuple[int, int]:
    """Requests and failures of one row of Locust's statistics table."""
    row = re.search(rf"^{method}\s+{re.escape(name)}\s+(\d+)\s+(\d+)\(", out, re.MULTILINE)
    assert row, f"no row {method} {name}:\n{out}"
    return int(row.group(1)), int(row.group(2))


@pytest.mark.parametrize("running", ["embedded"], indirect=True)
def test_a_short_headless_run_checks_carts_out_without_a_failure(
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
            "--think-min",
            "0.05",
            "--think-max",
            "0.3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = finished.stdout + finished.stderr
    assert finished.returncode == 0, out
    assert "Aggregated" in out, out
    assert table_row(out, "PUT", "/v1/cart/items/{id}")[0] >= 1, out
    checkouts, failed = table_row(out, "POST", "/v1/cart/checkout")
    assert checkouts >= 1 and failed == 0, out
    placed = re.search(r"^Orders placed at checkout: (\d+) \((.*)\)$", out, re.MULTILINE)
    assert placed and int(placed.group(1)) == checkouts, out
    confirmed = re.search(r"^Orders CONFIRMED: (\d+)$", out, re.MULTILINE)
    assert confirmed and int(confirmed.group(1)) >= 1, out
    assert f"CONFIRMED {confirmed.group(1)}" in placed.group(2), out
    assert re.search(r"^Failures: 0$", out, re.MULTILINE), out
    assert "Error report" not in out, out
