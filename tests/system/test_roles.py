"""Roles granted by an operator with ``commerce users grant-role`` on the running platform's
user database (API.md, Ordering, "Roles"): tokens issued after the grant carry the role,
tokens issued before do not, and UserRoleGranted leaves through the running service's relay."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.topics import USER_EVENTS
from commerce.contracts.users import UserRoleGranted, UserRoleRevoked
from tests.system.accounts import log_in, new_account, operator
from tests.system.conftest import RunningPlatform

pytestmark = pytest.mark.system

RELAY_DEADLINE_SECONDS = 30


def verified_roles(gateway: httpx.Client, access_token: str) -> list[str]:
    """The ``roles`` claim of a token the platform's JWKS verifies."""
    kid = jwt.get_unverified_header(access_token)["kid"]
    [jwk] = [key for key in gateway.get("/v1/auth/jwks").json()["keys"] if key["kid"] == kid]
    claims = jwt.decode(
        access_token,
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience="commerce",
        issuer="commerce-auth",
    )
    return list(claims["roles"])


async def role_events(servers: str, user_id: str, count: int) -> list[object]:
    """The role events keyed ``user_id`` on the broker, read from the start until there are
    ``count`` (or the deadline passes)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(USER_EVENTS, p) for p in sorted(await partitions_of(consumer))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[object] = []
        deadline = time.monotonic() + RELAY_DEADLINE_SECONDS
        while len(found) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                events = [
                    parse_payload(EventEnvelope.from_json(record.value))
                    for record in records
                    if record.key == user_id.encode()
                ]
                found += [e for e in events if isinstance(e, UserRoleGranted | UserRoleRevoked)]
        return found
    finally:
        await consumer.stop()


async def partitions_of(consumer: AIOKafkaConsumer) -> set[int]:
    # The user service created the topic when it started; metadata may need one refresh.
    for _ in range(20):
        partitions = consumer.partitions_for_topic(USER_EVENTS)
        if partitions:
            return set(partitions)
        await consumer.force_metadata_update()
    raise AssertionError(f"{USER_EVENTS} has no partitions")


def test_a_granted_role_is_in_tokens_issued_after_the_grant_only(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    account = new_account(gateway, "staff")
    assert verified_roles(gateway, account.access_token) == ["USER"]

    granted = operator(running, "grant-role", account.email.upper(), "staff")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.splitlines()[0] == f"granted STAFF to {account.email}"

    fresh = log_in(gateway, account.email)["access_token"]
    assert verified_roles(gateway, fresh) == ["USER", "STAFF"]
    # The token issued before the grant is unchanged, and still the one the gateway reads.
    assert "STAFF" not in verified_roles(gateway, account.access_token)
    me = gateway.get("/v1/users/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.status_code == 200 and me.json()["roles"] == ["USER", "STAFF"]

    revoked = operator(running, "revoke-role", account.email, "STAFF")
    assert revoked.returncode == 0, revoked.stderr
    assert verified_roles(gateway, log_in(gateway, account.email)["access_token"]) == ["USER"]

    # The operator's process only wrote the outbox; the running user service relayed it.
    servers = running.platform.kafka_bootstrap_servers
    assert servers is not None
    assert asyncio.run(role_events(servers, account.id, 2)) == [
        UserRoleGranted(user_id=account.id, role="STAFF"),
        UserRoleRevoked(user_id=account.id, role="STAFF"),
    ]


def test_operator_errors_on_the_running_platform(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    account = new_account(gateway, "noop")
    unknown = operator(running, "grant-role", "nobody-" + account.email, "STAFF")
    assert unknown.returncode == 1
    assert "no user has the e-mail nobody-" in unknown.stderr
    bad_role = operator(running, "grant-role", account.email, "SUPERUSER")
    assert bad_role.returncode == 2
    assert "unknown role 'SUPERUSER' (one of USER, STAFF, ADMIN)" in bad_role.stderr
    again = operator(running, "grant-role", account.email, "USER")
    assert again.returncode == 0
    assert again.stdout.splitlines()[0] == f"{account.email} already has USER: nothing changed"
    assert verified_roles(gateway, log_in(gateway, account.email)["access_token"]) == ["USER"]


def test_a_refresh_carries_the_roles_the_user_has_now(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    """ADR 0126: a session that keeps refreshing gets a role granted since its sign-in and
    loses one revoked since."""
    account = new_account(gateway, "refresh")
    assert verified_roles(gateway, account.access_token) == ["USER"]

    granted = operator(running, "grant-role", account.email, "STAFF")
    assert granted.returncode == 0, granted.stderr
    assert "next sign-in or refresh" in granted.stdout
    after_grant = refresh(gateway, account.refresh_token)  # the pre-grant refresh token
    assert "STAFF" in verified_roles(gateway, after_grant["access_token"])
    staff_only = gateway.get(
        "/v1/orders?scope=all",
        headers={"Authorization": f"Bearer {after_grant['access_token']}"},
    )
    assert staff_only.status_code == 200, staff_only.text  # the gateway and order agree

    revoked = operator(running, "revoke-role", account.email, "STAFF")
    assert revoked.returncode == 0, revoked.stderr
    after_revoke = refresh(gateway, after_grant["refresh_token"])
    assert verified_roles(gateway, after_revoke["access_token"]) == ["USER"]
    refused = gateway.get(
        "/v1/orders?scope=all",
        headers={"Authorization": f"Bearer {after_revoke['access_token']}"},
    )
    assert refused.status_code == 403, refused.text


def refresh(gateway: httpx.Client, refresh_token: str) -> dict:
    response = gateway.post("/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert response.status_code == 200, response.text
    return dict(response.json())
