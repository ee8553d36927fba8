"""The JWKS is refreshed in the background: requests never wait for a scheduled fetch."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.integration.gateway.conftest import GatewayFactory
from tests.integration.gateway.stubs import Stubs
from tests.unit.gateway.keys import SigningKey, claims, jwks

pytestmark = pytest.mark.integration

# A bound for a broken gateway to fail the test instead of hanging it; never a measurement.
BOUND_SECONDS = 10


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def answers_after(stubs: Stubs, count: int) -> None:
    """Until the JWKS endpoint has answered ``count`` more times."""
    target = stubs.jwks_answers + count
    async with asyncio.timeout(BOUND_SECONDS):
        while stubs.jwks_answers < target:
            await asyncio.sleep(0.01)


async def test_a_request_never_waits_for_a_hanging_scheduled_refresh(
    start_gateway: GatewayFactory, stubs: Stubs, signing_key: SigningKey
) -> None:
    remembered = bearer(signing_key.sign(claims(sub="u-1")))
    async with start_gateway(jwks_max_age_seconds=0.05, jwks_retry_seconds=0.05) as gateway:
        assert (await gateway.get("/v1/orders", headers=remembered)).status_code == 200
        stubs.hold_jwks()
        await asyncio.wait_for(stubs.jwks_entered.wait(), BOUND_SECONDS)
        answers_before = stubs.jwks_answers

        requests = [
            asyncio.create_task(gateway.get("/v1/orders", headers=headers))
            for headers in (remembered, bearer(signing_key.sign(claims(sub="u-2"))))
        ]
        await asyncio.wait(requests, timeout=BOUND_SECONDS)
        done_while_hanging = [request.done() for request in requests]
        answers_while_hanging = stubs.jwks_answers
        stubs.release_jwks()
        statuses = [(await request).status_code for request in requests]

    # Both requests (a remembered token and a new one under a known key) were answered
    # while the background fetch was still hanging in auth, not after it.
    assert done_while_hanging == [True, True]
    assert answers_while_hanging == answers_before
    assert statuses == [200, 200]


async def test_the_background_refresh_picks_up_a_rotation_and_drops_a_withdrawn_key(
    start_gateway: GatewayFactory, stubs: Stubs, signing_key: SigningKey
) -> None:
    old_token = bearer(signing_key.sign())
    rotated = SigningKey("ES256")
    # An unknown kid may not refetch at all here: only the background task can see the change.
    settings = {"jwks_max_age_seconds": 0.05, "jwks_min_refetch_seconds": 3600}
    async with start_gateway(**settings) as gateway:
        assert (await gateway.get("/v1/orders", headers=old_token)).status_code == 200
        stubs.jwks = jwks(rotated)

        await answers_after(stubs, 2)

        assert (await gateway.get("/v1/orders", headers=old_token)).status_code == 401
        assert (await gateway.get("/v1/orders", headers=bearer(rotated.sign()))).status_code == 200


async def test_an_unknown_kid_refetches_at_once_between_scheduled_refreshes(
    start_gateway: GatewayFactory, stubs: Stubs, signing_key: SigningKey
) -> None:
    rotated = SigningKey("EdDSA")
    async with start_gateway(jwks_max_age_seconds=3600, jwks_min_refetch_seconds=0) as gateway:
        calls = stubs.jwks_calls
        stubs.jwks = jwks(signing_key, rotated)

        response = await gateway.get("/v1/orders", headers=bearer(rotated.sign()))

    assert response.status_code == 200
    assert stubs.jwks_calls == calls + 1


@pytest.mark.parametrize(
    ("failure", "reason"),
    [("down", "transport error (ClientConnectorError)"), ("503", "auth answered HTTP 503")],
)
async def test_a_failed_fetch_is_logged_with_a_safe_reason(
    start_gateway: GatewayFactory,
    stubs: Stubs,
    caplog: pytest.LogCaptureFixture,
    failure: str,
    reason: str,
) -> None:
    if failure == "down":
        await stubs.take_down("auth")
    else:
        stubs.jwks_status = 503
    with caplog.at_level(logging.WARNING, logger="commerce.gateway.jwks"):
        async with start_gateway() as gateway:
            assert (await gateway.get("/readyz")).status_code == 503

    messages = [r.getMessage() for r in caplog.records if r.name == "commerce.gateway.jwks"]
    assert messages, "the failure was not logged"
    assert all(reason in message for message in messages), messages
    assert not any("127.0.0.1:" in message for message in messages)


async def test_a_gateway_stopped_during_a_hanging_fetch_shuts_down(
    start_gateway: GatewayFactory, stubs: Stubs
) -> None:
    stubs.hold_jwks()
    async with start_gateway(jwks_max_age_seconds=0.05) as gateway:
        await asyncio.wait_for(stubs.jwks_entered.wait(), BOUND_SECONDS)
        assert (await gateway.get("/healthz")).status_code == 200
    # Leaving the block cancelled the hanging fetch (it never answered).
    assert stubs.jwks_answers == 0
    stubs.release_jwks()
