"""How auth tells the gateway that a session's access tokens are revoked (docs/adr/0023).

An access token carries its session (``sid``: the refresh-token family it came from). When
auth revokes a family (sign-out, or a reused refresh token), its answer carries
``X-Revoked-Session: <sid> <until>``: every access token of that session is refused until
``until`` (Unix seconds), past which all of them have expired anyway. The gateway reads the
header on answers from auth only, and never passes it on to the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REVOKED_SESSION_HEADER = "X-Revoked-Session"
REVOKED_SESSION_NAME = REVOKED_SESSION_HEADER.lower().encode()
# A session id is auth's family id (a UUID); anything else is not from auth.
_VALUE = re.compile(rb"^([0-9a-f-]{1,64}) ([0-9]{1,12})$")


@dataclass(frozen=True)
class SessionRevocation:
    session_id: str
    until: int  # Unix seconds: the last moment an access token of the session could be valid

    def header_value(self) -> str:
        return f"{self.session_id} {self.until}"


def parse_revocation(value: bytes) -> SessionRevocation | None:
    """The revocation in a header value; ``None`` when it is not one auth would write."""
    matched = _VALUE.match(value.strip())
    if matched is None:
        return None
    return SessionRevocation(matched.group(1).decode("ascii"), int(matched.group(2)))
