"""`commerce up` (what `make run` runs) starts everything and stops everything on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from commerce.platform import DEFAULT_PORTS
from tests.system.conftest import free_port_run, free_ports

pytestmark = pytest.mark.system


def _children_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_up_serves_the_gateway_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    base = free_port_run(len(DEFAULT_PORTS))  # the gateway and each service after it
    admin = free_ports(1)[0]
    command = [sys.executable, "-m", "commerce", "up", "--base-port", str(base)]
    command += ["--gateway-admin-port", str(admin)]
    log = (tmp_path / "up.log").open("wb")  # a file, not a pipe nobody drains
    process = subprocess.Popen(
        [*command, "--var-dir", str(tmp_path / "var")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        ready = False
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{base}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                ready = False
            if ready:
                break
            time.sleep(0.2)
        assert ready, "gateway never became ready"
        # The gateway's metrics are the operators', on the admin port only (issue 9, finding 5).
        assert httpx.get(f"http://127.0.0.1:{base}/metrics", timeout=5).status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=5)
        assert scraped.status_code == 200
        assert "commerce_gateway_circuit_state" in scraped.text
        children = _children_of(process.pid)
        assert len(children) >= 5  # four services and the gateway (plus the broker, if any)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        time.sleep(0.5)
        assert [pid for pid in children if _alive(pid)] == []
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{base}/healthz", timeout=1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
