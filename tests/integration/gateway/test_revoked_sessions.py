"""A sign-out reaches the gateway on auth's answer: that sign-in's access tokens are refused
from the next request on (issue 9, finding 6; ADR 0023)."""

from __future__ import annotations

import asyncio
import time

import httpx

from commerce.kernel.revocation import REVOKED_SESSION_HEADER
from tests.integration.gateway.conftest import GatewayFactory
from tests.unit.gateway.keys import SigningKey, claims

SIGNED_OUT = "0b7c7a52-8d1e-4f55-9d0e-3f2f0e4d9a11"
STILL_IN = "5f0f0a52-0000-4f55-9d0e-3f2f0e4d9a11"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def revocation(session: str) -> str:
    return f"{session} {int(time.time()) + 900}"


async def test_after_auth_revokes_a_session_its_access_tokens_are_refused(
    gateway: httpx.AsyncClient, signing_key: SigningKey
) -> None:
    signed_out = bearer(signing_key.sign(claims(sid=SIGNED_OUT)))
    still_in = bearer(signing_key.sign(claims(sid=STILL_IN)))
    assert (await gateway.get("/v1/orders", headers=signed_out)).status_code == 200

    logout = await gateway.post(
        "/v1/auth/logout", params={"revoke": revocation(SIGNED_OUT)}, json={}
    )

    assert logout.status_code == 200
    assert REVOKED_SESSION_HEADER.lower() not in logout.headers  # the gateway's, not the client's
    refused = await gateway.get("/v1/orders", headers=signed_out)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await gateway.get("/v1/products", headers=signed_out)).status_code == 401
    assert (await gateway.get("/v1/orders", headers=still_in)).status_code == 200


async def test_only_auth_can_revoke_a_session(
    gateway: httpx.AsyncClient, signing_key: SigningKey
) -> None:
    token = bearer(signing_key.sign(claims(sid=STILL_IN)))
    assert (await gateway.get("/v1/orders", headers=token)).status_code == 200

    for path in ("/v1/products/x", "/v1/orders/x", "/v1/users/me"):
        answer = await gateway.get(path, params={"revoke": revocation(STILL_IN)}, headers=token)
        assert REVOKED_SESSION_HEADER.lower() not in answer.headers

    assert (await gateway.get("/v1/orders", headers=token)).status_code == 200


async def refused_within(client: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    """Whether ``client`` refuses ``headers``' token within 2 s (a pub/sub hop away)."""
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        if (await client.get("/v1/orders", headers=headers)).status_code == 401:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_replicas_share_revocations_through_redis(
    start_gateway: GatewayFactory, signing_key: SigningKey, redis_url: str, redis_prefix: str
) -> None:
    shared = {"redis_url": redis_url, "redis_key_prefix": redis_prefix}
    signed_out = bearer(signing_key.sign(claims(sid=SIGNED_OUT)))
    still_in = bearer(signing_key.sign(claims(sid=STILL_IN)))
    async with start_gateway(**shared) as one, start_gateway(**shared) as two:
        assert (await two.get("/v1/orders", headers=signed_out)).status_code == 200
        await asyncio.sleep(0.2)  # both have subscribed by now (they subscribe at start)

        await one.post("/v1/auth/logout", params={"revoke": revocation(SIGNED_OUT)}, json={})

        assert await refused_within(two, signed_out), "the other replica never heard of it"
        assert (await two.get("/v1/orders", headers=still_in)).status_code == 200
        # A replica started later finds the revocation in Redis.
        async with start_gateway(**shared) as late:
            assert await refused_within(late, signed_out)
            assert (await late.get("/v1/orders", headers=still_in)).status_code == 200
