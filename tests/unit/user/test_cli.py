"""``commerce users ...``: argument errors, and messages and exit codes over fake use cases."""

import argparse
import io

import pytest

from commerce.cli import main
from commerce.user.adapters.inbound.cli import add_users_commands, run_users_command
from commerce.user.application.change_role import GrantRoleHandler, RevokeRoleHandler
from commerce.user.application.find_user import FindUserByEmailHandler
from commerce.user.application.get_profile import GetProfileHandler
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.application.use_cases import UserUseCases
from commerce.user.application.verify_credentials import VerifyCredentialsHandler
from commerce.user.domain.email import Email
from commerce.user.domain.user import User
from tests.unit.user.fakes import (
    FakePasswordHasher,
    FakeUnitOfWorkFactory,
    fixed_clock,
    new_user,
    sequential_ids,
)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["grant-role", "ada@example.com", "boss"],
            "unknown role 'boss' (one of USER, STAFF, ADMIN)",
        ),
        (["revoke-role", "ada@example.com", "root"], "unknown role 'root'"),
        (["grant-role", "not-an-email", "STAFF"], "not a valid e-mail address: 'not-an-email'"),
        (["show", "@example.com"], "not a valid e-mail address"),
        (["grant-role", "ada@example.com"], "the following arguments are required: ROLE"),
        (["grant-role"], "required: EMAIL, ROLE"),
        ([], "required: COMMAND"),
        (["promote", "ada@example.com"], "invalid choice: 'promote'"),
    ],
)
def test_argument_errors_exit_2_with_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["users", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.strip().splitlines()[-1].startswith("commerce users")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="commerce users")
    add_users_commands(parser)
    return parser.parse_args(argv)


def use_cases() -> tuple[UserUseCases, User]:
    uows, hasher = FakeUnitOfWorkFactory(), FakePasswordHasher()
    ada = new_user(email=Email.parse("ada@example.com"), name=None, password_hash="h")
    uows.store[ada.id] = ada
    cases = UserUseCases(
        register_user=RegisterUserHandler(uows, hasher, fixed_clock, sequential_ids()),
        get_profile=GetProfileHandler(uows),
        verify_credentials=VerifyCredentialsHandler(uows, hasher, "fake$v1$dummy"),
        grant_role=GrantRoleHandler(uows),
        revoke_role=RevokeRoleHandler(uows),
        find_user_by_email=FindUserByEmailHandler(uows),
    )
    return cases, ada


async def run(*argv: str, cases: UserUseCases | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_users_command(parse(*argv), cases or use_cases()[0], out=out)
    return code, out.getvalue()


async def test_grant_then_grant_again_then_show(capsys: pytest.CaptureFixture[str]) -> None:
    cases, ada = use_cases()
    code, out = await run("grant-role", "ADA@example.com", "staff", cases=cases)
    assert code == 0
    assert "granted STAFF to ada@example.com" in out
    assert f"(id {ada.id}) has roles: USER, STAFF" in out
    assert "next sign-in or refresh" in out
    code, out = await run("grant-role", "ada@example.com", "STAFF", cases=cases)
    assert (code, out.splitlines()[0]) == (0, "ada@example.com already has STAFF: nothing changed")
    code, out = await run("show", "ada@example.com", cases=cases)
    assert (code, out.strip()) == (0, f"ada@example.com (id {ada.id}) has roles: USER, STAFF")
    assert capsys.readouterr().err == ""


async def test_revoke_and_revoking_a_role_not_held() -> None:
    cases, _ = use_cases()
    await run("grant-role", "ada@example.com", "ADMIN", cases=cases)
    code, out = await run("revoke-role", "ada@example.com", "admin", cases=cases)
    assert (code, out.splitlines()[0]) == (0, "revoked ADMIN from ada@example.com")
    code, out = await run("revoke-role", "ada@example.com", "ADMIN", cases=cases)
    assert (code, out.splitlines()[0]) == (
        0,
        "ada@example.com does not have ADMIN: nothing changed",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("grant-role", "Bob@Example.com", "STAFF"),
            "commerce users grant-role: no user has the e-mail bob@example.com",
        ),
        (
            ("show", "bob@example.com"),
            "commerce users show: no user has the e-mail bob@example.com",
        ),
        (
            ("revoke-role", "ada@example.com", "USER"),
            "commerce users revoke-role: Every user has USER; it cannot be revoked.",
        ),
    ],
)
async def test_refusals_exit_1_with_one_line(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await run(*argv)
    assert (code, out) == (1, "")
    assert capsys.readouterr().err.splitlines() == [message]


class Unreachable:
    async def __call__(self, _command: object) -> None:
        raise ConnectionRefusedError("Connect call failed ('127.0.0.1', 1)")


async def test_an_unreachable_database_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    cases, _ = use_cases()
    broken = UserUseCases(**{**cases.__dict__, "grant_role": Unreachable()})
    code, _ = await run("grant-role", "ada@example.com", "STAFF", cases=broken)
    assert code == 3
    assert capsys.readouterr().err.splitlines() == [
        "commerce users grant-role: cannot use the user database: "
        "Connect call failed ('127.0.0.1', 1)"
    ]


async def test_an_unexpected_error_is_not_hidden() -> None:
    cases, _ = use_cases()

    class Broken:
        async def __call__(self, _command: object) -> None:
            raise RuntimeError("a bug")

    broken = UserUseCases(**{**cases.__dict__, "grant_role": Broken()})
    with pytest.raises(RuntimeError, match="a bug"):
        await run("grant-role", "ada@example.com", "STAFF", cases=broken)
