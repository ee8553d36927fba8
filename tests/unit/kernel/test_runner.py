"""What ``commerce serve`` does to a service process before it serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BUILD_AND_COUNT = """
import gc
from commerce.kernel.runner import _configured_app
_configured_app("product")
print(gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_a_served_app_leaves_what_start_up_built_out_of_the_collectors_sight(
    tmp_path: Path,
) -> None:
    # In a child process: freezing this test process's heap would outlive the test.
    built = subprocess.run(
        [sys.executable, "-c", BUILD_AND_COUNT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    frozen, still_tracked = map(int, built.stdout.split()[-2:])
    # The imports and the app are tens of thousands of objects; a full collection must no
    # longer walk them, so nearly everything alive is frozen and little is left tracked.
    assert frozen > 50_000, built.stdout
    assert still_tracked < frozen / 10, built.stdout
