"""``GET /v1/orders/{id}/events``: an order's live status as Server-Sent Events (API.md,
"Live order status"; docs/adr/0065)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event

from commerce.kernel.http.identity import CurrentIdentity
from commerce.order.adapters.inbound.http import PROBLEMS, UseCases, is_staff
from commerce.order.adapters.inbound.schemas import OrderOut
from commerce.order.application.live_status import FollowOrder, StatusEvent
from commerce.order.application.views import OrderSnapshot

KEEP_ALIVE_FRAME = format_sse_event(comment="keep-alive")
# Event ids are versions: a decimal integer, below 2^63 (a database BIGINT).
_MAX_ID_DIGITS = 18

LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        description="The `id` of the last event the client received (an EventSource sends it "
        "when it reconnects): the current state is sent only if it is newer. A value that is "
        "not such an id counts as absent.",
    ),
]

STREAM_DESCRIPTION = (
    "Server-Sent Events. First the order as it is now (or nothing, with a `Last-Event-ID` no "
    "older than it), then one event per change: `id: <n>` (increasing per order), "
    "`event: order`, `data: <the order, as GET /v1/orders/{order_id} answers it>`. "
    "A comment `: keep-alive` at least every 15 s; the stream ends after DELIVERED, REJECTED "
    "or CANCELLED."
)
EXAMPLE = 'event: order\ndata: {"id": "...", "status": "CONFIRMED", ...}\nid: 3\n\n: keep-alive\n\n'

router = APIRouter(prefix="/v1/orders", tags=["orders"])


class EventStream(StreamingResponse):
    """A ``text/event-stream`` answer streamed from an iterator of frames we framed.

    Not FastAPI's ``EventSourceResponse``: FastAPI treats a route with that class as a
    generator endpoint, which could not answer 404 before the stream starts, and it adds
    its own ``: ping`` on a fixed 15 s timer where the interval is a setting here."""

    media_type = "text/event-stream"


def parse_last_event_id(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > _MAX_ID_DIGITS:
        return None
    return int(value)


def frame(event: StatusEvent) -> bytes:
    if not isinstance(event, OrderSnapshot):
        return KEEP_ALIVE_FRAME
    body = OrderOut.of(event.order).model_dump_json()
    return format_sse_event(id=str(event.version), event="order", data_str=body)


async def _frames(events: AsyncIterator[StatusEvent]) -> AsyncIterator[bytes]:
    async for event in events:
        yield frame(event)


_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": STREAM_DESCRIPTION,
        "content": {"text/event-stream": {"schema": {"type": "string"}, "example": EXAMPLE}},
    },
}


@router.get(
    "/{order_id}/events",
    summary="Live order status",
    response_class=EventStream,
    responses={**_STREAM, **{k: PROBLEMS[k] for k in (401, 404)}},
)
async def events(
    order_id: str,
    identity: CurrentIdentity,
    use_cases: UseCases,
    last_event_id: LastEventId = None,
) -> EventStream:
    """The order's status live, as Server-Sent Events, for its owner (any order, for STAFF)."""
    follow = FollowOrder(
        user_id=identity.user_id,
        order_id=order_id,
        staff=is_staff(identity),
        last_seen=parse_last_event_id(last_event_id),
    )
    # Not found (or not the caller's) is a 404 here, before the stream starts.
    stream = await use_cases.live(follow)
    return EventStream(
        _frames(stream),
        # no-store: personal data; X-Accel-Buffering: no proxy in front may hold it back.
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
