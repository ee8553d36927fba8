"""The caller's identity, as the gateway vouches for it after it verified the token.

The gateway strips every client-sent ``X-User-*`` header, adds its own, and signs the
identity into ``X-Gateway-Proof``. Services take the identity from the verified proof only
(the service middleware checks it, docs/adr/0038); the ``X-User-*`` headers are for people
reading traffic, and a service refuses them without a proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from commerce.kernel.domain import Unauthorized

USER_ID_HEADER = "X-User-Id"
USER_EMAIL_HEADER = "X-User-Email"
USER_ROLES_HEADER = "X-User-Roles"
# Every identity header, lower-case as in raw headers: refused unless the gateway proves it.
IDENTITY_HEADER_PREFIX = b"x-user-"


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


async def verified_identity(request: Request) -> Identity:
    """The identity in the request's verified gateway proof, else 401."""
    proof = request.scope.get("state", {}).get("gateway_proof")
    identity = getattr(proof, "identity", None)
    if not isinstance(identity, Identity):
        raise Unauthorized("A valid bearer token is required.")
    return identity


CurrentIdentity = Annotated[Identity, Depends(verified_identity)]
