"""Who may use the admin API: a caller the gateway vouches for, holding ADMIN (docs/adr/0049).

The gateway refuses ``/v1/admin/**`` without ADMIN before forwarding; the service checks
again, so a request that reached it some other way is refused as well.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from commerce.kernel.admin.records import Actor
from commerce.kernel.domain import Forbidden
from commerce.kernel.http.identity import CurrentIdentity
from commerce.kernel.roles import Role


async def admin_actor(identity: CurrentIdentity) -> Actor:
    """The signed-in ADMIN making the request (401 without identity, 403 without the role)."""
    if Role.ADMIN not in identity.roles:
        raise Forbidden("Operations endpoints need the ADMIN role.", code="admin_only")
    return Actor(user_id=identity.user_id, email=identity.email)


AdminActor = Annotated[Actor, Depends(admin_actor)]
