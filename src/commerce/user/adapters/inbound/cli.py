"""``commerce users ...``: an operator's commands over the user service's use cases.

Run against the service's own database (its ``USER_*`` settings), not over HTTP: there is no
role route to protect. Exit codes: 0 done (also when nothing had to change), 1 refused (no
such user, USER cannot be revoked), 2 bad arguments, 3 the database cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from commerce.kernel.domain import DomainError
from commerce.kernel.outages import is_dependency_outage
from commerce.user.application.commands import FindUserByEmail, GrantRole, RevokeRole
from commerce.user.domain.email import Email
from commerce.user.domain.errors import InvalidEmail, UnknownRole, UserNotFound
from commerce.user.domain.roles import Role, parse_role

if TYPE_CHECKING:
    from commerce.user.application.use_cases import UserUseCases
    from commerce.user.application.views import UserView

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
ROLE_NAMES = ", ".join(Role)


def _role(raw: str) -> Role:
    try:
        return parse_role(raw)
    except UnknownRole:
        raise argparse.ArgumentTypeError(f"unknown role {raw!r} (one of {ROLE_NAMES})") from None


def _email(raw: str) -> str:
    try:
        return Email.parse(raw).value
    except InvalidEmail:
        raise argparse.ArgumentTypeError(f"not a valid e-mail address: {raw!r}") from None


def add_users_commands(users: argparse.ArgumentParser) -> None:
    """The sub-commands of ``commerce users``."""
    users.description = (
        "Run against the user service's database (USER_DATABASE_URL, else the SQLite file "
        "under USER_VAR_DIR, as `commerce migrate user` finds it). Roles: "
        f"{ROLE_NAMES}, in any case. Exit status: 0 done (also when nothing had to change), "
        "1 refused (no such user, USER cannot be revoked), 2 bad arguments, "
        "3 the database cannot be used."
    )
    commands = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    role_help = f"{ROLE_NAMES} (any case)"
    grant = commands.add_parser(
        "grant-role", help="give a user a role; tokens from their next sign-in or refresh carry it"
    )
    revoke = commands.add_parser("revoke-role", help="take a role back (never USER)")
    for command in (grant, revoke):
        command.add_argument("email", metavar="EMAIL", type=_email, help="any case")
        command.add_argument("role", metavar="ROLE", type=_role, help=role_help)
    show = commands.add_parser("show", help="a user's id and roles")
    show.add_argument("email", metavar="EMAIL", type=_email, help="any case")


def _describe(user: UserView) -> str:
    return f"{user.email} (id {user.id}) has roles: {', '.join(user.roles)}"


async def run_users_command(
    args: argparse.Namespace, cases: UserUseCases, *, out: TextIO = sys.stdout
) -> int:
    """Run the parsed command; a refusal or an outage becomes one line on stderr."""
    name = f"commerce users {args.users_command}"
    try:
        return await _run(args, cases, out)
    except UserNotFound:
        print(f"{name}: no user has the e-mail {args.email}", file=sys.stderr)
        return EXIT_REFUSED
    except DomainError as refused:
        print(f"{name}: {refused.message}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as error:
        if not is_dependency_outage(error):
            raise
        cause = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
        print(f"{name}: cannot use the user database: {cause}", file=sys.stderr)
        return EXIT_UNAVAILABLE


async def _run(args: argparse.Namespace, cases: UserUseCases, out: TextIO) -> int:
    if args.users_command == "show":
        print(_describe(await cases.find_user_by_email(FindUserByEmail(args.email))), file=out)
        return EXIT_OK
    role: Role = args.role
    if args.users_command == "grant-role":
        change = await cases.grant_role(GrantRole(args.email, role))
        done = f"granted {role} to {args.email}"
        unchanged = f"{args.email} already has {role}: nothing changed"
    else:
        change = await cases.revoke_role(RevokeRole(args.email, role))
        done = f"revoked {role} from {args.email}"
        unchanged = f"{args.email} does not have {role}: nothing changed"
    print(done if change.changed else unchanged, file=out)
    print(_describe(change.user), file=out)
    if change.changed:
        # Roles are read at sign-in and at every refresh (docs/adr/0126).
        print(
            "tokens from the user's next sign-in or refresh carry these roles; access tokens "
            "issued before keep theirs until they expire (docs/adr/0126)",
            file=out,
        )
    return EXIT_OK
