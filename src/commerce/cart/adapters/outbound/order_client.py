"""Checkout's one synchronous call: ``POST /v1/orders`` on the caller's behalf.

The caller's gateway proof goes along as it came (it carries the identity, valid for 60 s),
with the idempotency key; the order service checks both as for any request from the gateway.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from commerce.cart.application.ports import (
    OrderRefused,
    OrderRequest,
    OrderServiceFailed,
    OrderServiceUnavailable,
    PlacedOrder,
)
from commerce.kernel.http.gateway_proof import PROOF_HEADER

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# The client's own mistakes, told to it as the order service put them.
PASSED_THROUGH = frozenset({400, 409, 422})
# The order service cannot serve right now: the client may retry (same key: same order).
UNAVAILABLE = frozenset({429, 503, 504})
log = logging.getLogger("commerce.cart.order_client")


def order_body(request: OrderRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [
            {"product_id": line.product_id, "quantity": line.quantity} for line in request.lines
        ]
    }
    if request.payment is not None:
        body["payment"] = dict(request.payment)  # absent, not null: v1 order services agree
    return body


class HttpOrderPlacer:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def place(self, request: OrderRequest) -> PlacedOrder:
        headers = {PROOF_HEADER: request.proof, IDEMPOTENCY_KEY_HEADER: request.idempotency_key}
        try:
            response = await self._client.post(
                "/v1/orders", json=order_body(request), headers=headers
            )
        except httpx.HTTPError as error:
            # A POST that timed out may have placed the order: a retry with the same key finds it.
            log.warning("order service unreachable: %s", type(error).__name__)
            raise OrderServiceUnavailable() from error
        status = response.status_code
        if status in (200, 202):
            body = _json_object(response)
            if body is None or not isinstance(body.get("id"), str):
                raise OrderServiceFailed("the order service's answer names no order")
            return PlacedOrder(status, body, response.headers.get("location"))
        if status in PASSED_THROUGH:
            problem = _json_object(response) or {"title": "Refused", "status": status}
            raise OrderRefused(status, problem)
        if status in UNAVAILABLE:
            raise OrderServiceUnavailable()
        # 401/403 mean the proof was refused (a platform fault, not the client's), 5xx a bug.
        log.error("order service answered %s to a checkout", status)
        raise OrderServiceFailed(f"the order service answered {status}")


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
