"""``X-Request-Id`` on every response: echoed when the client's is sane, else generated."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the hook is for httpx clients; the gateway, which has none, never loads it
    import httpx

REQUEST_ID_HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def sane_request_id(value: str | None) -> str:
    """The client's id when it is short and plain, else a fresh one."""
    if value and _SANE.match(value):
        return value
    # Unique, not secret: a request id is echoed to the client and written in logs. The
    # process's PRNG (reseeded in forked children) avoids a getrandom syscall per request.
    return f"{random.getrandbits(128):032x}"


async def forward_request_id(request: httpx.Request) -> None:
    """httpx event hook: a call made while serving a request carries that request's id, so
    one id follows the request from service to service (as the trace id does)."""
    request_id = current_request_id.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id
