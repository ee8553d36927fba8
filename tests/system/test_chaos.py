"""A short fault drill (``make chaos``) is part of ``make test``: orders keep coming while
services, the gateway and the broker are killed with SIGKILL and started again, and afterwards
nothing is stuck, stock is conserved and no order was made twice.

The drill's own checks are what is asserted (its exit code and its report); this test also
checks that the report is complete and that processes were really killed, so a drill that
silently did nothing fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[2]


def run_drill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bench/chaos.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


def figure(report: str, label: str) -> int:
    found = re.search(rf"^{label}\s+(\d+)", report, flags=re.MULTILINE)
    assert found, f"{label!r} missing from the report:\n{report}"
    return int(found.group(1))


def test_a_short_drill_loses_nothing_under_kill_9() -> None:
    drill = run_drill(
        "--rate", "3", "--duration", "24", "--kill-min", "3", "--kill-max", "5", "--settle", "120"
    )
    report = drill.stdout
    assert drill.returncode == 0, report + drill.stderr[-3000:]
    assert figure(report, "kills") >= 3
    assert figure(report, "orders accepted") >= 20
    for label in ("orders stuck", "stock mismatches", "duplicates", "ended, still charged"):
        assert figure(report, label) == 0, report
    assert "RESULT               ok" in report


def test_the_drill_refuses_a_nonsense_duration() -> None:
    drill = run_drill("--duration", "soon")
    assert drill.returncode == 2
    assert "not a duration" in drill.stderr
