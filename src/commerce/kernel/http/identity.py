"""The caller's identity, as injected by the gateway after it verified the token.

Services trust these headers only because the gateway strips every client-sent ``X-User-*``
header first and mesh policy lets only the gateway reach them (see docs/adr).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from commerce.kernel.domain import Unauthorized

USER_ID_HEADER = "X-User-Id"
USER_EMAIL_HEADER = "X-User-Email"
USER_ROLES_HEADER = "X-User-Roles"


@dataclass(frozen=True)
class Identity:
    user_id: str
    email: str
    roles: tuple[str, ...]

    def as_headers(self) -> dict[str, str]:
        return {
            USER_ID_HEADER: self.user_id,
            USER_EMAIL_HEADER: self.email,
            USER_ROLES_HEADER: ",".join(self.roles),
        }


async def identity_from_headers(
    x_user_id: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_user_email: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_user_roles: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Identity:
    if not x_user_id:
        raise Unauthorized("A valid bearer token is required.")
    roles = tuple(role for role in (x_user_roles or "").split(",") if role)
    return Identity(user_id=x_user_id, email=x_user_email or "", roles=roles)


CurrentIdentity = Annotated[Identity, Depends(identity_from_headers)]
