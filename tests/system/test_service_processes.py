"""The platform forks its services from one process that imported their libraries once
(commerce.service_processes, docs/adr/0075)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from commerce import service_processes
from commerce.platform import SERVICES
from commerce.service_processes import ServiceProcess, _Forkserver, start_service_process
from tests.system.conftest import RunningPlatform
from tests.system.processes import alive, parent

pytestmark = pytest.mark.system

# The libraries' heap, written by the forkserver before it forked, then only read: tens of
# MB in every service (48-55 MB measured); a service that imported them itself shares none.
SHARED_HEAP_MB = 20


def _rollup_mb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    raise AssertionError(f"no {field} for {pid}")


def test_every_service_is_forked_from_one_forkserver(running: RunningPlatform) -> None:
    pids = {name: running.platform.processes[name].pid for name in (*SERVICES, "gateway")}
    (forkserver,) = {parent(pid) for pid in pids.values()}
    assert parent(forkserver) == os.getpid()
    assert b"commerce.service_processes" in Path(f"/proc/{forkserver}/cmdline").read_bytes()
    for name, pid in pids.items():
        assert Path(f"/proc/{pid}/comm").read_text().strip() == f"commerce-{name}"[:15]


def test_the_services_share_the_libraries_the_forkserver_imported(
    running: RunningPlatform,
) -> None:
    for name in (*SERVICES, "gateway"):
        pid = running.platform.processes[name].pid
        assert _rollup_mb(pid, "Shared_Dirty") >= SHARED_HEAP_MB, name


@pytest.fixture(params=["forked", "on its own"])
def how_started(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Forked by the forkserver (Linux), or its own interpreter (where it is unsupported)."""
    if request.param == "on its own":
        monkeypatch.setattr(service_processes, "FORKSERVER_SUPPORTED", False)
    return str(request.param)


def test_a_service_gets_its_environment_and_reports_its_exit_code(
    tmp_path: Path, how_started: str
) -> None:
    log = tmp_path / "user.log"
    env = {**os.environ, "USER_PORT": "not a port", "USER_VAR_DIR": str(tmp_path)}
    process = start_service_process("user", env, log_path=log, piped=False)
    assert isinstance(process, ServiceProcess if how_started == "forked" else subprocess.Popen)
    assert process.wait(timeout=30) == 1
    assert process.poll() == process.returncode == 1
    # Its own settings were read (the port this test gave it), and it wrote to its log.
    assert "port\n  Input should be a valid integer" in log.read_text()


def test_a_killed_service_is_reported_by_its_signal_and_its_pipe_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how_started: str
) -> None:
    if how_started == "forked":
        service_processes._forkserver()  # started here, before the change of directory
    monkeypatch.chdir(tmp_path)
    env = {
        **os.environ,
        "USER_PORT": "0",
        "USER_VAR_DIR": "var",  # relative: to the working directory at the start
        "USER_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # no broker needed to start
    }
    process = start_service_process("user", env, log_path=None, piped=True)
    assert isinstance(process, ServiceProcess if how_started == "forked" else subprocess.Popen)
    assert process.stdout is not None
    assert process.stdout.readline()  # it writes to the pipe it was given
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.1)
    deadline = time.monotonic() + 30
    while not (tmp_path / "var").is_dir() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "var").is_dir()
    process.kill()
    assert process.wait(timeout=10) == -signal.SIGKILL
    process.stdout.read()  # returns: the pipe ended with the process
    process.terminate()  # a signal to a process that ended is no error


def test_the_services_of_a_forkserver_that_died_are_reported_killed(tmp_path: Path) -> None:
    forkserver = _Forkserver()  # its own: the other tests' platforms keep theirs
    env = {
        **os.environ,
        "USER_PORT": "0",
        "USER_VAR_DIR": str(tmp_path),
        "USER_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    }
    log = os.open(tmp_path / "user.log", os.O_WRONLY | os.O_CREAT)
    try:
        pid = forkserver.fork("user", env, str(tmp_path), [log, log])
    finally:
        os.close(log)
    service = ServiceProcess(forkserver, pid, None)
    assert service.poll() is None
    os.kill(forkserver.pid, signal.SIGKILL)
    assert service.wait(timeout=10) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)  # it died with its parent
