"""Entry points: ``commerce up`` (the platform), ``commerce serve NAME``, ``commerce migrate NAME``.

Each service's ``bootstrap`` module offers ``load_settings()`` and ``create_app(settings)``;
the ones with a database also offer ``SERVICE_PACKAGE`` for their Alembic history.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

from commerce.kernel.proof_files import GATEWAY_PROOF_KEY_FILE, GATEWAY_PROOF_PUBLIC_KEY_FILE
from commerce.platform import (
    DEFAULT_GATEWAY_ADMIN_PORT,
    DEFAULT_PORTS,
    SERVICES,
    PlatformConfig,
    run_until_signalled,
)
from commerce.terminal import LOG_FORMAT_ENV, LOG_FORMATS
from commerce.user.adapters.inbound.cli import add_users_commands

APPS = (*SERVICES, "gateway")


def _bootstrap(name: str) -> ModuleType:
    return importlib.import_module(f"commerce.{name}.bootstrap")


def _serve(name: str) -> int:
    from commerce.kernel.runner import run_service

    run_service(name)
    return 0


def _migrate(name: str, revision: str, down: bool) -> int:
    from commerce.kernel.db import create_engine
    from commerce.kernel.db.migrations import downgrade, ensure_database, upgrade

    bootstrap = _bootstrap(name)
    url = bootstrap.load_settings().resolved_database_url()

    async def run() -> None:
        await ensure_database(url)
        engine = create_engine(url)
        try:
            if down:
                await downgrade(engine, bootstrap.SERVICE_PACKAGE, revision)
            else:
                await upgrade(engine, bootstrap.SERVICE_PACKAGE, revision)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return 0


def _up(args: argparse.Namespace) -> int:
    # Imported here: only the supervisor renders logs; `commerce serve` never needs it.
    from commerce.terminal.consoles import console_for

    try:
        console = console_for(args.log_format, os.environ, sys.stdout, sys.stderr)
    except ValueError as error:
        print(f"commerce up: {error}", file=sys.stderr)
        return 2
    ports = {name: args.base_port + offset for offset, name in enumerate(("gateway", *SERVICES))}
    config = PlatformConfig(
        host=args.host,
        ports=ports,
        var_dir=Path(args.var_dir),
        gateway_admin_port=args.gateway_admin_port,
    )
    return run_until_signalled(config, console)


def _proof_key(directory: Path) -> int:
    """The gateway's proof key pair in ``directory`` (kept if there), for compose's one-shot."""
    # Imported here: cryptography costs every service process 7 MB it does not need.
    from commerce.kernel.keys import ensure_gateway_proof_keys

    ensure_gateway_proof_keys(directory)
    private, public = directory / GATEWAY_PROOF_KEY_FILE, directory / GATEWAY_PROOF_PUBLIC_KEY_FILE
    print(f"gateway proof key: {private} (secret), {public} (for the services)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="commerce")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the whole platform on embedded defaults")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--base-port", type=int, default=DEFAULT_PORTS["gateway"])
    up.add_argument("--var-dir", default="var")
    up.add_argument(
        "--gateway-admin-port",
        type=int,
        default=DEFAULT_GATEWAY_ADMIN_PORT,
        help="where the gateway serves /metrics (not on its clients' port)",
    )
    up.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=None,
        help="auto (the default): readable lines on a terminal, JSON lines elsewhere; "
        f"or set {LOG_FORMAT_ENV}",
    )
    serve = commands.add_parser("serve", help="run one service")
    serve.add_argument("name", choices=APPS)
    migrate = commands.add_parser("migrate", help="apply (or revert) one service's migrations")
    migrate.add_argument("name", choices=SERVICES)
    migrate.add_argument("--revision", default=None)
    migrate.add_argument("--down", action="store_true", help="downgrade (default to base)")
    proof_key = commands.add_parser(
        "proof-key", help="make the gateway's proof key pair in a directory, if missing"
    )
    proof_key.add_argument("directory")
    users = commands.add_parser(
        "users", help="an operator's commands on users (roles), on the user service's database"
    )
    add_users_commands(users)
    args = parser.parse_args(argv)
    if args.command == "users":
        # Imported here: only this command needs the user service's composition root.
        from commerce.user.bootstrap import run_operator_command

        return run_operator_command(args)
    if args.command == "proof-key":
        return _proof_key(Path(args.directory))
    if args.command == "up":
        return _up(args)
    if args.command == "serve":
        return _serve(args.name)
    revision = args.revision or ("base" if args.down else "head")
    return _migrate(args.name, revision, args.down)
