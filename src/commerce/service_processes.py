"""Service processes forked from one parent that imported, once, the libraries they share.

Every service imports the same 50-odd MB of libraries (FastAPI, pydantic, SQLAlchemy, the
drivers, aiokafka, uvicorn...). Started with ``python -m commerce serve NAME``, each process
built its own private copy. Here a small process, the forkserver, imports them once, freezes
them out of the garbage collector's sight, and forks each service: the pages stay shared,
copy-on-write, between all services (docs/adr/0075). It is single-threaded and does nothing
but fork, so no lock or thread of the supervisor leaks into a service.

Each service is still its own process, with its own pid, environment, working directory,
port, database and output, running the same ``run_service`` as ``commerce serve NAME``.
Only libraries are preloaded, none of our modules: one of ours imported in the forkserver
would also register its metrics in every service's ``/metrics``.

The standard library's ``multiprocessing`` forkserver was the first choice, and is not used:
its children re-import the supervisor's main script (a bench script, pytest's), which would
then sit in every service's memory.

Supervisor and forkserver talk over a Unix socket pair, one JSON message per datagram:
``{"name", "env", "cwd"}`` (with its stdout's and stderr's file descriptors alongside) asks
for a service; ``{"started": pid}`` answers; ``{"exited": pid, "code": code}`` follows whenever a
service ends (the forkserver is its parent, so only it learns the exit code).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol

from commerce.kernel.processes import die_with_parent, name_this_process

# What (almost) every service imports, by the time its app is built; both database drivers
# and their SQLAlchemy dialects (each profile uses one); and what only some services import
# but is large (the gateway's aiohttp, auth's JWT and cryptography, the user's argon2).
SHARED_LIBRARIES = (
    "fastapi",
    "pydantic",
    "pydantic.v1",
    "pydantic_settings",
    "uvicorn",
    "uvicorn.protocols.http.httptools_impl",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.mysql.asyncmy",
    "aiosqlite",
    "asyncmy",
    "aiokafka",
    "aiokafka.admin",
    "prometheus_client",
    "opentelemetry.trace",
    "opentelemetry.sdk.trace.export",
    "nacl.signing",
    "psutil",
    "email_validator",
    "fastapi_offline",
    "httpx",
    "redis.asyncio",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "jwt",
    "aiohttp.web",
    "tenacity",
    "argon2",
)
# Linux only: sequenced-packet Unix sockets, and the parent-death signal that keeps a service
# from outliving its forkserver. Elsewhere (macOS) each service is its own interpreter,
# started as ``python -m commerce serve NAME``, as before ADR 0075.
FORKSERVER_SUPPORTED = sys.platform.startswith("linux")
_MESSAGE_BYTES = 1 << 20  # one service's environment fits many times over
_WAIT_STEP_SECONDS = 0.02


class RunningService(Protocol):
    """What the platform and its tests use of a service process: ``subprocess.Popen``'s
    interface, or the part of it a forked service offers."""

    pid: int
    stdout: IO[bytes] | None

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


class ServiceProcess:
    """A forked service, with the part of ``subprocess.Popen``'s interface the platform and
    its tests use: ``pid``, ``returncode``, ``poll``, ``wait``, ``terminate``, ``kill`` and
    ``stdout`` (the pipe it writes to, when asked for)."""

    def __init__(self, forkserver: _Forkserver, pid: int, stdout: IO[bytes] | None) -> None:
        self._forkserver = forkserver
        self.pid = pid
        self.stdout = stdout

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def poll(self) -> int | None:
        return self._forkserver.exit_code(self.pid)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"commerce serve (pid {self.pid})", timeout or 0)
            time.sleep(_WAIT_STEP_SECONDS)
        return code

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        if self.poll() is None:
            # ProcessLookupError: it ended, and the forkserver has not reported it yet.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)


def start_service_process(
    name: str, env: Mapping[str, str], *, log_path: Path | None, piped: bool
) -> RunningService:
    """``commerce serve NAME`` forked by the forkserver, with exactly ``env`` as its
    environment and this process's working directory. Its stdout and stderr go to
    ``log_path`` (appended), else to a pipe read from the returned process's ``stdout`` when
    ``piped``, else to this process's own."""
    if not FORKSERVER_SUPPORTED:
        return _started_on_its_own(name, env, log_path=log_path, piped=piped)
    reader: IO[bytes] | None = None
    if log_path is not None:
        output = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        outputs = [output, output]
    elif piped:
        read_end, output = os.pipe()
        reader = os.fdopen(read_end, "rb")
        outputs = [output, output]
    else:
        outputs = [os.dup(1), os.dup(2)]
    try:
        forkserver = _forkserver()
        pid = forkserver.fork(name, env, os.getcwd(), outputs)
    finally:
        for fd in set(outputs):  # the service has its own: the pipe ends when the service does
            os.close(fd)
    return ServiceProcess(forkserver, pid, reader)


def _started_on_its_own(
    name: str, env: Mapping[str, str], *, log_path: Path | None, piped: bool
) -> subprocess.Popen[bytes]:
    """``python -m commerce serve NAME``: a fresh interpreter, which imports everything."""
    output: IO[bytes] | None = None
    if log_path is not None:
        output = log_path.open("ab")
    try:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "commerce", "serve", name],
            env=dict(env),
            stdout=subprocess.PIPE if piped and output is None else output,
            stderr=subprocess.STDOUT if output is not None or piped else None,
            preexec_fn=die_with_parent,
        )
    finally:
        if output is not None:
            output.close()  # the child has its own


class _Forkserver:
    """The supervisor's side: asks for services, learns their exit codes."""

    def __init__(self) -> None:
        self._socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "commerce.service_processes", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            # Dies with the thread that started it: the supervisor's main thread, in practice.
            preexec_fn=die_with_parent,
        )
        theirs.close()
        self._lock = threading.Lock()
        self._exit_codes: dict[int, int] = {}
        self._ended = False  # its socket closed: it is gone, and its services with it

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def fork(self, name: str, env: Mapping[str, str], cwd: str, outputs: list[int]) -> int:
        """A new service process; ``outputs``: its stdout and stderr."""
        request = json.dumps({"name": name, "env": dict(env), "cwd": cwd}).encode()
        with self._lock:
            socket.send_fds(self._socket, [request], outputs)
            while True:
                message = self._receive(block=True)
                if message is None:
                    raise RuntimeError("the forkserver ended before it started " + name)
                if "started" in message:
                    return int(message["started"])

    def exit_code(self, pid: int) -> int | None:
        with self._lock:
            while self._receive(block=False) is not None:
                pass
            if pid not in self._exit_codes and self._ended:
                # Killed with the forkserver, which could no longer tell (die_with_parent).
                return -signal.SIGKILL
            return self._exit_codes.get(pid)

    def _receive(self, *, block: bool) -> dict[str, Any] | None:
        """The next message (exits are recorded); ``None`` when none is waiting, or at the
        forkserver's end."""
        try:
            data = self._socket.recv(_MESSAGE_BYTES, 0 if block else socket.MSG_DONTWAIT)
        except BlockingIOError:
            return None
        if not data:
            self._ended = True
            return None
        message: dict[str, Any] = json.loads(data)
        if "exited" in message:
            self._exit_codes[int(message["exited"])] = int(message["code"])
        return message


_current: _Forkserver | None = None
_current_lock = threading.Lock()


def _forkserver() -> _Forkserver:
    """This process's forkserver, started at the first service (and again if it died)."""
    global _current
    with _current_lock:
        if _current is None or not _current.running:
            _current = _Forkserver()
        return _current


def forkserver_pid() -> int | None:
    """The running forkserver's pid, if this process has started one."""
    with _current_lock:
        return _current.pid if _current is not None and _current.running else None


# The forkserver's side.


def serve_forks(channel: socket.socket) -> NoReturn:
    """Import the shared libraries, then fork a service per request until the supervisor
    closes its end. Each forked child becomes its service, and ends by ``SystemExit`` raised
    up through here, as the forkserver itself does."""
    for library in SHARED_LIBRARIES:
        importlib.import_module(library)
    gc.collect()
    gc.freeze()  # a collection in a service then never writes to (so copies) these pages
    # Ctrl-C reaches the whole process group: the services shut down on it, not this.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    children_ended, wake_up = os.pipe()
    os.set_blocking(wake_up, False)
    signal.set_wakeup_fd(wake_up)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(channel, selectors.EVENT_READ)
    selector.register(children_ended, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is children_ended:
                os.read(children_ended, 4096)
                _report_exits(channel)
                continue
            data, fds, _, _ = socket.recv_fds(channel, _MESSAGE_BYTES, 2)
            if not data:
                raise SystemExit(0)  # the supervisor is gone
            request = json.loads(data)
            forkserver = os.getpid()
            pid = os.fork()
            if pid == 0:
                selector.close()
                for fd in (channel.detach(), children_ended, wake_up):
                    os.close(fd)
                _become(request, fds, forkserver)
            for fd in fds:
                os.close(fd)
            channel.send(json.dumps({"started": pid}).encode())


def _report_exits(channel: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        with contextlib.suppress(OSError):  # the supervisor is gone
            channel.send(json.dumps({"exited": pid, "code": code}).encode())


def _become(request: dict[str, Any], fds: list[int], forkserver: int) -> NoReturn:
    """In the forked child: restore what the forkserver changed, and run the service."""
    from commerce.kernel.runner import run_service

    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    die_with_parent()  # the forkserver, which dies with the supervisor
    if os.getppid() != forkserver:
        os._exit(1)  # it died before the line above: no signal will come
    name_this_process(f"commerce-{request['name']}")
    stdout, stderr = fds
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in set(fds):
        os.close(fd)
    # As a process the supervisor started now would have them.
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    run_service(request["name"])
    raise SystemExit(0)  # up through serve_forks: the interpreter then ends as usual


if __name__ == "__main__":
    # The forkserver ends when the supervisor closes its end of the socket, or is killed
    # with it (``die_with_parent``, at its start): the services, dying with it, follow.
    serve_forks(socket.socket(fileno=int(sys.argv[1])))
