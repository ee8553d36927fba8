"""``commerce users ...`` as an operator runs it: a process of its own, against a SQLite
database made by ``commerce migrate user``, found through the service's own settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.users import UserRoleGranted, UserRoleRevoked
from commerce.kernel.db import Database
from commerce.user.adapters.outbound.tables import outbox, users
from commerce.user.adapters.outbound.unit_of_work import SqlaUserUnitOfWork
from commerce.user.bootstrap import SERVICE_PACKAGE
from commerce.user.domain.email import Email
from commerce.user.domain.user import User
from tests.unit.user.fakes import new_user

pytestmark = pytest.mark.integration


def commerce(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commerce", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of an operator's shell: the user service's settings, nothing else of
    ours (a USER_DATABASE_URL of the caller's would point elsewhere)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("USER_")}
    return {**clean, "USER_VAR_DIR": str(tmp_path / "var")}


@pytest.fixture
async def ada(env: dict[str, str], tmp_path: Path) -> User:
    migrated = commerce(env, "migrate", "user")
    assert migrated.returncode == 0, migrated.stderr
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'user.db'}"
    database = await Database.open(url, service_package=SERVICE_PACKAGE, migrate=False)
    user = new_user(email=Email.parse("ada@example.com"), name=None, password_hash="h")
    try:
        async with SqlaUserUnitOfWork(database.connections) as uow:
            await uow.users.add(user)
            await uow.commit()
    finally:
        await database.close()
    return user


async def read_back(tmp_path: Path) -> tuple[str, list[object]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'user.db'}"
    database = await Database.open(url, service_package=SERVICE_PACKAGE, migrate=False)
    try:
        async with database.connections() as session:
            roles = (await session.execute(select(users.c.roles))).scalar_one()
            query = select(outbox.c.payload).where(outbox.c.event_type != "UserRegistered")
            payloads = (await session.execute(query.order_by(outbox.c.id))).scalars().all()
    finally:
        await database.close()
    return str(roles), [parse_payload(EventEnvelope.from_json(str(p))) for p in payloads]


async def test_grant_show_and_revoke(env: dict[str, str], ada: User, tmp_path: Path) -> None:
    granted = commerce(env, "users", "grant-role", "Ada@Example.com", "staff")
    assert (granted.returncode, granted.stderr) == (0, "")
    assert granted.stdout.splitlines()[:2] == [
        "granted STAFF to ada@example.com",
        f"ada@example.com (id {ada.id}) has roles: USER, STAFF",
    ]
    again = commerce(env, "users", "grant-role", "ada@example.com", "STAFF")
    assert again.returncode == 0
    assert again.stdout.splitlines()[0] == "ada@example.com already has STAFF: nothing changed"
    shown = commerce(env, "users", "show", "ADA@example.com")
    assert (shown.returncode, shown.stdout.strip()) == (
        0,
        f"ada@example.com (id {ada.id}) has roles: USER, STAFF",
    )
    revoked = commerce(env, "users", "revoke-role", "ada@example.com", "STAFF")
    assert (revoked.returncode, revoked.stdout.splitlines()[0]) == (
        0,
        "revoked STAFF from ada@example.com",
    )
    assert await read_back(tmp_path) == (
        "USER",
        [
            UserRoleGranted(user_id=ada.id, role="STAFF"),
            UserRoleRevoked(user_id=ada.id, role="STAFF"),
        ],
    )


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ("grant-role", "bob@example.com", "STAFF"),
            1,
            "commerce users grant-role: no user has the e-mail bob@example.com",
        ),
        (
            ("revoke-role", "ada@example.com", "USER"),
            1,
            "commerce users revoke-role: Every user has USER; it cannot be revoked.",
        ),
        (
            ("grant-role", "ada@example.com", "OWNER"),
            2,
            "commerce users grant-role: error: argument ROLE: unknown role 'OWNER' "
            "(one of USER, STAFF, ADMIN)",
        ),
    ],
)
async def test_refusals(
    env: dict[str, str],
    ada: User,
    tmp_path: Path,
    argv: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    result = commerce(env, "users", *argv)
    assert (result.returncode, result.stdout) == (code, "")
    assert result.stderr.strip().splitlines()[-1] == message
    assert await read_back(tmp_path) == ("USER", [])


def test_a_database_never_migrated_is_reported(env: dict[str, str], tmp_path: Path) -> None:
    result = commerce(env, "users", "grant-role", "ada@example.com", "STAFF")
    assert result.returncode == 3
    assert result.stderr.strip() == (
        "commerce users grant-role: cannot use the user database: "
        f"{tmp_path / 'var' / 'user.db'} does not exist (run `commerce migrate user` first)"
    )
    assert not (tmp_path / "var" / "user.db").exists()


def test_an_unreachable_database_is_reported(env: dict[str, str]) -> None:
    # Nothing listens on port 1; the password must not be printed.
    env = {**env, "USER_DATABASE_URL": "mysql+asyncmy://ops:s3cret@127.0.0.1:1/users"}
    result = commerce(env, "users", "show", "ada@example.com")
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("commerce users show: cannot use the user database: ")
    assert "s3cret" not in result.stderr
