"""Why the user domain says no; each error belongs to one HTTP family of the kernel."""

from __future__ import annotations

from commerce.kernel.domain import Conflict, InvalidInput, NotFound, Unauthorized


class InvalidEmail(InvalidInput):
    code = "invalid_email"


class InvalidPassword(InvalidInput):
    code = "invalid_password"


class InvalidName(InvalidInput):
    code = "invalid_name"


class UnknownRole(InvalidInput):
    code = "unknown_role"


class RoleNotRevocable(Conflict):
    """USER is every user's role: taking it back would leave an account that is no one."""

    code = "role_not_revocable"

    def __init__(self) -> None:
        super().__init__("Every user has USER; it cannot be revoked.")


class RolesChangedConcurrently(Conflict):
    """Someone else changed the user's roles between our read and our write."""

    code = "roles_changed_concurrently"

    def __init__(self) -> None:
        super().__init__("The user's roles changed at the same time; try again.")


class EmailAlreadyRegistered(Conflict):
    code = "email_taken"

    def __init__(self) -> None:
        # The address itself stays out of the message: messages end up in logs.
        super().__init__("This e-mail address is already registered.")


class UserNotFound(NotFound):
    code = "user_not_found"

    def __init__(self) -> None:
        super().__init__("The user does not exist.")


class InvalidCredentials(Unauthorized):
    """One answer for an unknown e-mail and a wrong password, so neither is revealed."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The e-mail or the password is wrong.")
