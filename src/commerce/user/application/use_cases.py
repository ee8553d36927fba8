"""The service's use cases, built once by the composition root and used by the adapters."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.user.application.change_role import GrantRoleHandler, RevokeRoleHandler
from commerce.user.application.find_user import FindUserByEmailHandler
from commerce.user.application.get_profile import GetProfileHandler
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.application.verify_credentials import VerifyCredentialsHandler


@dataclass(frozen=True)
class UserUseCases:
    register_user: RegisterUserHandler
    get_profile: GetProfileHandler
    verify_credentials: VerifyCredentialsHandler
    # An operator's, through `commerce users ...` (no HTTP route).
    grant_role: GrantRoleHandler
    revoke_role: RevokeRoleHandler
    find_user_by_email: FindUserByEmailHandler
