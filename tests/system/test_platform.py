"""`commerce up` (what `make run` runs) starts everything and stops everything on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from commerce.platform import DEFAULT_PORTS, SERVICES
from tests.system.conftest import free_port_run, free_ports
from tests.system.processes import alive, descendants

pytestmark = pytest.mark.system


def _is_ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    base: int  # the gateway's port; each service's follows it
    admin: int
    output: Path


@contextmanager
def running_up(tmp_path: Path, *options: str) -> Iterator[Up]:
    """`commerce up` with its output to a file (not a pipe nobody drains), until ready."""
    base = free_port_run(len(DEFAULT_PORTS))
    admin = free_ports(1)[0]
    command = [sys.executable, "-m", "commerce", "up", "--base-port", str(base)]
    command += ["--gateway-admin-port", str(admin), "--var-dir", str(tmp_path / "var"), *options]
    output = tmp_path / "up.log"
    # What `commerce up` writes when nobody asked for a format and stdout is not a terminal.
    env = {name: value for name, value in os.environ.items() if name != "COMMERCE_LOG_FORMAT"}
    with output.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 90
            ready = False
            while not ready and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.2)
                ready = _is_ready(f"http://127.0.0.1:{base}")
            assert ready, "gateway never became ready"
            yield Up(process, base, admin, output)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_up_serves_the_gateway_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with running_up(tmp_path) as up:
        # The gateway's metrics are the operators', on the admin port only (issue 9, finding 5).
        assert httpx.get(f"http://127.0.0.1:{up.base}/metrics", timeout=5).status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{up.admin}/metrics", timeout=5)
        assert scraped.status_code == 200
        assert "commerce_gateway_circuit_state" in scraped.text
        children = descendants(up.process.pid)
        # The services and the gateway, their forkserver, and the broker.
        assert len(children) >= len(SERVICES) + 3
        up.process.send_signal(signal.SIGTERM)
        assert up.process.wait(timeout=30) == 0
        time.sleep(0.5)
        assert [pid for pid in children if alive(pid)] == []
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{up.base}/healthz", timeout=1)
    # Not a terminal: JSON lines only, the supervisor's as well as the services'.
    records = [json.loads(line) for line in up.output.read_text().splitlines()]
    services = {record["service"] for record in records}
    assert {"platform", "gateway", *SERVICES} <= services
    (table,) = [record for record in records if record["message"] == "processes"]
    assert {process["state"] for process in table["processes"]} <= {"ready", "running"}
    # Each service's log goes on to its last line: the ones written while stopping were lost
    # when SIGTERM ended the process before its log writer had written them.
    for service in ("gateway", *SERVICES):
        said = [r["message"] for r in records if r["service"] == service]
        assert any(message.startswith("Finished server process") for message in said), service


def test_up_asked_for_readable_lines_renders_every_process_output(tmp_path: Path) -> None:
    with running_up(tmp_path, "--log-format", "pretty") as up:
        assert httpx.get(f"http://127.0.0.1:{up.base}/v1/products", timeout=5).status_code == 200
        up.process.send_signal(signal.SIGTERM)
        assert up.process.wait(timeout=30) == 0
    lines = up.output.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("process  address"))
    rows = [line.split() for line in lines[header + 1 : header + 3 + len(SERVICES)]]
    assert [row[0] for row in rows] == ["gateway", *SERVICES, "broker"]
    assert {row[3] for row in rows} == {"ready", "running"}
    # Each service's request line, read from its pipe and rendered by the supervisor ...
    for service in ("gateway", "product"):
        assert any(f" {service:<8} INFO  GET /v1/products 200 " in line for line in lines)
    # ... up to what they wrote while stopping.
    for service in ("gateway", *SERVICES):
        assert any(f" {service:<8} INFO  Shutting down" in line for line in lines)
    assert not any(line.startswith("{") for line in lines)


def test_a_service_stopped_with_sigterm_exits_through_its_exit_handlers(tmp_path: Path) -> None:
    """uvicorn raises the SIGTERM it caught again after its graceful shutdown; by default that
    ended the process on the spot, before the log writer thread wrote the last lines."""
    port = free_ports(1)[0]
    env = {
        **os.environ,
        "USER_PORT": str(port),
        "USER_VAR_DIR": str(tmp_path / "var"),
        "USER_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # no broker needed to start and stop
    }
    output = tmp_path / "user.log"
    with output.open("wb") as log:
        command = [sys.executable, "-m", "commerce", "serve", "user"]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 60
            while not _is_ready(f"http://127.0.0.1:{port}") and time.monotonic() < deadline:
                assert process.poll() is None, output.read_text()[-2000:]
                time.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert code == 128 + signal.SIGTERM  # SystemExit, not the default action's -15
    last = json.loads(output.read_text().splitlines()[-1])
    assert last["message"].startswith("Finished server process")
