"""The admin router every service with messaging mounts: ``/v1/admin/<service>/...``.

The path carries the service's name so that the gateway routes by prefix, unchanged.
Dead letter ids are decimal strings; cursors are opaque like every other list's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from commerce.kernel.admin.access import AdminActor
from commerce.kernel.admin.console import OperationsConsole
from commerce.kernel.admin.schemas import (
    AuditOut,
    DeadLetterDetail,
    DeadLetterOut,
    DiscardBody,
    MessagingOut,
    ReplayCountsOut,
    Status,
)
from commerce.kernel.domain import InvalidInput, NotFound
from commerce.kernel.http.schemas import Cursor, Limit, Page
from commerce.kernel.messaging.dead_letter_records import DeadLetterStatus
from commerce.kernel.pagination import CURSOR_FIELD, DEFAULT_LIMIT, decode_cursor, encode_cursor

MAX_ID = 2**63 - 1
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token."},
    403: {"description": "The caller is not ADMIN (`admin-only`)."},
    404: {"description": "No such dead letter."},
    409: {
        "description": "The dead letter is not OPEN (`dead-letter-not-open`), or its handler "
        "failed again (`replay-failed`, the error type in `detail`; it stays OPEN)."
    },
}
LetterId = Annotated[str, Path(min_length=1, max_length=19, pattern=r"^[0-9]+$")]


async def _console(request: Request) -> OperationsConsole:
    console: OperationsConsole = request.app.state.operations
    return console


Console = Annotated[OperationsConsole, Depends(_console)]


def _letter_id(value: str) -> int:
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise NotFound("No such dead letter.", code="dead_letter_not_found")
    return number


def _before(cursor: str | None) -> int | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    before = position.get("before")
    if not isinstance(before, int) or isinstance(before, bool) or not 1 <= before <= MAX_ID:
        raise InvalidInput("The cursor is not valid.", code="invalid_cursor", field=CURSOR_FIELD)
    return before


def _cursor(next_id: int | None) -> str | None:
    return None if next_id is None else encode_cursor({"before": next_id})


def admin_router(service: str) -> APIRouter:
    """The operations endpoints of ``service``, ADMIN only (docs/adr/0049)."""
    router = APIRouter(
        prefix=f"/v1/admin/{service}",
        tags=["admin"],
        responses={k: PROBLEMS[k] for k in (401, 403)},
    )

    @router.get("/messaging", response_model=MessagingOut)
    async def messaging(_: AdminActor, console: Console) -> MessagingOut:
        """The outbox backlog, each consumer partition's lag and the open dead letters."""
        return MessagingOut.of(await console.overview())

    @router.get("/dead-letters", response_model=Page[DeadLetterOut])
    async def dead_letters(
        _: AdminActor,
        console: Console,
        status: Annotated[Status | None, Query(description="Only those in this state.")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[DeadLetterOut]:
        """Messages this service parked, newest first."""
        wanted = None if status is None else DeadLetterStatus(status)
        page = await console.dead_letters(wanted, limit, _before(cursor))
        return Page[DeadLetterOut](
            items=[DeadLetterOut.of(item) for item in page.items],
            next_cursor=_cursor(page.next_id),
        )

    @router.post("/dead-letters/replay", response_model=ReplayCountsOut)
    async def replay_all(actor: AdminActor, console: Console) -> ReplayCountsOut:
        """Replay every OPEN dead letter, oldest first (up to 500 per call)."""
        return ReplayCountsOut.of(await console.replay_all(actor))

    @router.get(
        "/dead-letters/{letter_id}", response_model=DeadLetterDetail, responses={404: PROBLEMS[404]}
    )
    async def dead_letter(letter_id: LetterId, _: AdminActor, console: Console) -> DeadLetterDetail:
        """One dead letter with its key, headers and payload."""
        return DeadLetterDetail.of(await console.dead_letter(_letter_id(letter_id)))

    @router.post(
        "/dead-letters/{letter_id}/replay",
        response_model=DeadLetterOut,
        responses={k: PROBLEMS[k] for k in (404, 409)},
    )
    async def replay(letter_id: LetterId, actor: AdminActor, console: Console) -> DeadLetterOut:
        """Run the message through this service's handler again; REPLAYED when it succeeds."""
        return DeadLetterOut.of(await console.replay(_letter_id(letter_id), actor))

    @router.post(
        "/dead-letters/{letter_id}/discard",
        response_model=DeadLetterOut,
        responses={k: PROBLEMS[k] for k in (404, 409)},
    )
    async def discard(
        letter_id: LetterId, body: DiscardBody, actor: AdminActor, console: Console
    ) -> DeadLetterOut:
        """Give up on the message, saying why; it is never replayed then."""
        return DeadLetterOut.of(await console.discard(_letter_id(letter_id), actor, body.reason))

    @router.get("/audit", response_model=Page[AuditOut])
    async def audit(
        _: AdminActor, console: Console, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[AuditOut]:
        """What operators did here, newest first."""
        page = await console.audit(limit, _before(cursor))
        return Page[AuditOut](
            items=[AuditOut.of(item) for item in page.items], next_cursor=_cursor(page.next_id)
        )

    return router
