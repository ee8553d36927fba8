"""The whole platform on one machine: every service as its own process, then the gateway.

Used by ``commerce up`` (``make run``) and by the system tests, so what the tests drive is
exactly what a newcomer starts. Each service gets its own process, forked from one parent
that imported the libraries they share (commerce.service_processes), its own port and its own
database; the supervisor waits for every ``/readyz``, and stops every child on exit (children
also get SIGKILL from the kernel if the supervisor itself dies, so nothing is left orphaned).
Unless Kafka bootstrap servers are configured, the supervisor first starts the embedded
Kafka-protocol broker and stops it last.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Literal, Protocol

from commerce.kernel.messaging.embedded_broker import AUTO_CREATED_TOPIC_PARTITIONS, EmbeddedBroker
from commerce.kernel.processes import die_with_parent
from commerce.kernel.proof_files import GATEWAY_PROOF_KEY_FILE, GATEWAY_PROOF_PUBLIC_KEY_FILE
from commerce.service_processes import RunningService, start_service_process

SERVICES = ("user", "auth", "product", "order", "payment", "cart")
DEFAULT_PORTS = {
    "gateway": 8000,
    "user": 8001,
    "auth": 8002,
    "product": 8003,
    "order": 8004,
    "payment": 8005,
    "cart": 8006,
}
# The gateway's /metrics, apart from its clients' port (gateway.admin).
DEFAULT_GATEWAY_ADMIN_PORT = 8090
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
EMBEDDED_SESSION_TIMEOUT_SECONDS = "2"
# The services the gateway routes to (payment only for its admin API, docs/adr/0049).
GATEWAY_UPSTREAMS = ("user", "auth", "product", "order", "payment", "cart")


@dataclass
class PlatformConfig:
    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    var_dir: Path = Path("var")
    log_dir: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    kafka_bootstrap_servers: str | None = None
    gateway_admin_port: int = DEFAULT_GATEWAY_ADMIN_PORT

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def metrics_url(self, name: str) -> str:
        """Where ``name`` serves ``/metrics``: the gateway on its admin port."""
        if name == "gateway":
            return f"http://{self.host}:{self.gateway_admin_port}/metrics"
        return self.url(name) + "/metrics"


@dataclass(frozen=True)
class ProcessStatus:
    """One row of ``commerce up``'s status table."""

    name: str
    address: str
    pid: int | None
    state: Literal["starting", "ready", "running", "exited"]
    exit_code: int | None = None
    note: str = ""


# Reads one child's combined stdout and stderr until it ends.
ChildOutputReader = Callable[[str, IO[bytes]], None]


class Console(Protocol):
    """What ``commerce up`` shows (commerce.terminal has a JSON one and a readable one)."""

    def reader(self) -> ChildOutputReader | None:
        """Follows each child's output; ``None``: children write to this process's own
        stdout and stderr, unread."""

    def status(self, processes: Sequence[ProcessStatus]) -> None:
        """Shows every process (once ready, then whenever one changes)."""

    def say(self, message: str, *, problem: bool = False) -> None:
        """A message of the supervisor's own."""

    def drain(self) -> None:
        """Waits until what the stopped children wrote has been shown."""


def service_environments(config: PlatformConfig) -> dict[str, dict[str, str]]:
    """The environment of each process: its own port and database, and where its peers are."""
    envs: dict[str, dict[str, str]] = {}
    for name in (*SERVICES, "gateway"):
        prefix = name.upper() + "_"
        env = {
            prefix + "HOST": config.host,
            prefix + "PORT": str(config.ports[name]),
            prefix + "VAR_DIR": str(config.var_dir),
        }
        if config.kafka_bootstrap_servers and name != "gateway":
            env[prefix + "KAFKA_BOOTSTRAP_SERVERS"] = config.kafka_bootstrap_servers
        envs[name] = env
    envs["auth"]["AUTH_USER_SERVICE_URL"] = config.url("user")
    # The storefront's pages come from the gateway: the origin of the refresh cookie (0024).
    gateway_port = config.ports["gateway"]
    envs["auth"]["AUTH_REFRESH_COOKIE_ORIGINS"] = (
        f"{config.url('gateway')},http://localhost:{gateway_port}"
    )
    envs["cart"]["CART_ORDER_SERVICE_URL"] = config.url("order")
    envs["cart"]["CART_PRODUCT_SERVICE_URL"] = config.url("product")
    envs["gateway"]["GATEWAY_ADMIN_HOST"] = config.host
    envs["gateway"]["GATEWAY_ADMIN_PORT"] = str(config.gateway_admin_port)
    for name in GATEWAY_UPSTREAMS:
        envs["gateway"][f"GATEWAY_{name.upper()}_URL"] = config.url(name)
    return envs


class Platform:
    """Starts, watches and stops the service processes."""

    def __init__(
        self, config: PlatformConfig, read_output: ChildOutputReader | None = None
    ) -> None:
        self.config = config
        self.processes: dict[str, RunningService] = {}
        # Where a child writes without a log_dir: to a pipe this reads, else to our stdout.
        self._read_output = read_output
        self._ready_pids: set[int] = set()
        self.broker: EmbeddedBroker | None = None
        # The credential between auth and the user service's internal check: always set
        # (docs/adr/0038), the same for both, new for every run unless configured.
        self._internal_token = (
            os.environ.get("USER_INTERNAL_API_TOKEN")
            or config.extra_env.get("USER_INTERNAL_API_TOKEN")
            or secrets.token_urlsafe(32)
        )

    @property
    def kafka_bootstrap_servers(self) -> str | None:
        """The configured Kafka, else the embedded broker's address once it runs."""
        if self.config.kafka_bootstrap_servers is not None:
            return self.config.kafka_bootstrap_servers
        return self.broker.bootstrap_servers if self.broker is not None else None

    def environments(self) -> dict[str, dict[str, str]]:
        """Each child's environment, with the broker this platform actually uses."""
        config = replace(self.config, kafka_bootstrap_servers=self.kafka_bootstrap_servers)
        envs = service_environments(config)
        envs["user"]["USER_INTERNAL_API_TOKEN"] = self._internal_token
        envs["auth"]["AUTH_USER_SERVICE_TOKEN"] = self._internal_token
        # The pair made under var/ before the services start (docs/adr/0038), named even when
        # the environment names others: the platform's gateway and services must agree.
        var = self.config.var_dir
        envs["gateway"]["GATEWAY_PROOF_SIGNING_KEY_FILE"] = str(var / GATEWAY_PROOF_KEY_FILE)
        for name in SERVICES:
            key = f"{name.upper()}_GATEWAY_PUBLIC_KEY_FILE"
            envs[name][key] = str(var / GATEWAY_PROOF_PUBLIC_KEY_FILE)
        for name in SERVICES:
            # Migrated once by a one-shot process before the services start (``migrate``),
            # so no service process keeps Alembic loaded for its whole life.
            key = f"{name.upper()}_MIGRATE_ON_START"
            if key not in self.config.extra_env and key not in os.environ:
                envs[name][key] = "false"
        if self.broker is not None:
            # Tansu holds a consumer group's (re)join for about the session timeout, so the
            # embedded profile uses a short one (real Kafka refuses less than 6 s by default).
            # And it loses its log when it restarts (messaging.lost_log).
            for name in SERVICES:
                envs[name][f"{name.upper()}_KAFKA_BROKER_MAY_LOSE_LOG"] = "true"
                key = f"{name.upper()}_CONSUMER_SESSION_TIMEOUT_SECONDS"
                if key not in self.config.extra_env and key not in os.environ:
                    envs[name][key] = EMBEDDED_SESSION_TIMEOUT_SECONDS
                # Whoever re-creates a topic after a restart, it gets the same partitions.
                key = f"{name.upper()}_KAFKA_TOPIC_PARTITIONS"
                envs[name][key] = str(AUTO_CREATED_TOPIC_PARTITIONS)
        return envs

    def start(self) -> None:
        self.config.var_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.config.kafka_bootstrap_servers is None:
                self.start_broker()
            envs = self.environments()
            # The gateway's proof key, before any service starts: each reads its public half
            # at start (docs/adr/0038).
            from commerce.kernel.keys import ensure_gateway_proof_keys  # not in every `serve`

            ensure_gateway_proof_keys(self.config.var_dir)
            self.migrate(envs)
            for name in SERVICES:
                self.start_service(name, envs[name])
            self.wait_ready(SERVICES)
            self.start_service("gateway", envs["gateway"])
            self.wait_ready(("gateway",))
        except BaseException:
            self.stop()
            raise

    def migrate(self, envs: Mapping[str, Mapping[str, str]]) -> None:
        """``commerce migrate NAME`` for every service at once; raises if one fails."""
        running = {
            name: subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "commerce", "migrate", name],
                env={**os.environ, **self.config.extra_env, **envs[name]},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                preexec_fn=die_with_parent,
            )
            for name in SERVICES
        }
        failed = []
        for name, process in running.items():
            _, errors = process.communicate(timeout=READY_TIMEOUT_SECONDS)
            if process.returncode != 0:
                failed.append(f"{name}: {errors.decode(errors='replace').strip()[-500:]}")
        if failed:
            raise RuntimeError("migrations failed: " + "; ".join(failed))

    def start_service(self, name: str, env: Mapping[str, str] | None = None) -> None:
        env = env if env is not None else self.environments()[name]
        log_path = None
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            log_path = self.config.log_dir / f"{name}.log"
        process = start_service_process(
            name,
            {**os.environ, **self.config.extra_env, **env},
            log_path=log_path,
            piped=self._read_output is not None,
        )
        self.processes[name] = process
        if self._read_output is not None and process.stdout is not None:
            self._read_output(name, process.stdout)

    def wait_ready(self, names: tuple[str, ...], timeout: float = READY_TIMEOUT_SECONDS) -> None:
        import httpx  # here: `commerce serve` imports this module and has no use for httpx

        deadline = time.monotonic() + timeout
        pending = list(names)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                name = pending[0]
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode} at start")
                try:
                    if client.get(self.config.url(name) + "/readyz").status_code == 200:
                        self._ready_pids.add(process.pid)
                        pending.pop(0)
                        continue
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} was not ready within {timeout:.0f}s")
                time.sleep(0.1)

    def stop_service(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def start_broker(self) -> None:
        """Start the embedded broker (its port is kept for later restarts)."""
        if self.broker is None:
            log_path = self.config.log_dir / "broker.log" if self.config.log_dir else None
            # Loopback whatever host the services bind: the broker authenticates no one
            # (ADR 0046), and the services, on this machine, reach it there.
            self.broker = EmbeddedBroker(log_path=log_path)
        self.broker.start()

    def restart_broker(self) -> None:
        """Restart the embedded broker on the same port, with an empty log (as after a crash)."""
        if self.broker is None:
            raise RuntimeError(
                "this platform uses an external Kafka; there is no broker to restart"
            )
        self.broker.restart()

    def stop(self) -> None:
        for name in ("gateway", *reversed(SERVICES)):
            self.stop_service(name)
        if self.broker is not None:
            self.broker.stop()

    def statuses(self) -> list[ProcessStatus]:
        """Every process started, the gateway first (what ``commerce up`` shows)."""
        names = [name for name in ("gateway", *SERVICES) if name in self.processes]
        statuses = [self._status(name, self.processes[name]) for name in names]
        if self.broker is not None:
            address = self.kafka_bootstrap_servers or "-"
            state: Literal["running", "exited"] = "running" if self.broker.running else "exited"
            note = "embedded, in memory"
            statuses.append(ProcessStatus("broker", address, self.broker.pid, state, note=note))
        return statuses

    def _status(self, name: str, process: RunningService) -> ProcessStatus:
        code = process.poll()
        state: Literal["starting", "ready", "exited"] = "starting"
        if code is not None:
            state = "exited"
        elif process.pid in self._ready_pids:
            state = "ready"
        url = self.config.url(name)
        note = f"API docs: {url}/docs" if name == "gateway" else "internal; clients use the gateway"
        return ProcessStatus(name, url, process.pid, state, code, note)

    def first_exit(self) -> str | None:
        """The name of a child that has exited, if any."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        if self.broker is not None and self.broker.exited():
            return "broker"
        return None


def run_until_signalled(config: PlatformConfig, console: Console) -> int:
    """``commerce up``: start everything, show what runs (again whenever that changes), stop
    on Ctrl-C or SIGTERM."""
    platform = Platform(config, console.reader())
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    exited = None
    try:
        platform.start()
        shown = platform.statuses()
        console.status(shown)
        console.say("Ready. Ctrl-C stops everything.")
        while not stopping and exited is None:
            time.sleep(0.2)
            if stopping:  # Ctrl-C reaches the children too: their exits are no news then
                break
            exited = platform.first_exit()
            if (current := platform.statuses()) != shown:
                shown = current
                console.status(shown)
        platform.stop()
    finally:
        console.drain()  # the children's last lines, why one failed to start among them
    if exited:
        console.say(f"{exited} exited unexpectedly; stopped the platform.", problem=True)
        return 1
    return 0
