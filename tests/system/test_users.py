"""Sign-up and profiles through the gateway, as a client sees them (API.md, "Identity")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.system.accounts import PASSWORD, log_in, new_account, sign_up, unique_email

pytestmark = pytest.mark.system

PROBLEM = "application/problem+json"
PROFILE_KEYS = {"id", "email", "name", "roles", "created_at"}


def assert_problem(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == response.status_code
    return body


def test_sign_up_returns_the_profile_with_a_location(gateway: httpx.Client) -> None:
    email = unique_email("signup")
    response = gateway.post(
        "/v1/users", json={"email": email.upper(), "password": PASSWORD, "name": "Ada"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert body["email"] == email  # normalised
    assert (body["name"], body["roles"]) == ("Ada", ["USER"])
    assert body["id"]
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert created.utcoffset() == UTC.utcoffset(None)
    assert body["id"] in response.headers["location"]
    assert response.headers.get("x-request-id")


def test_name_is_optional(gateway: httpx.Client) -> None:
    assert sign_up(gateway)["name"] is None


def test_taken_email_is_409_in_any_case(gateway: httpx.Client) -> None:
    email = unique_email("taken")
    sign_up(gateway, email)
    for spelling in (email, email.upper(), f"  {email.capitalize()} "):
        response = gateway.post("/v1/users", json={"email": spelling, "password": PASSWORD})
        assert_problem(response, 409)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "@example.com", "password": PASSWORD},
        {"email": "", "password": PASSWORD},
        {"email": "EMAIL", "password": "1234567"},
        {"email": "EMAIL", "password": "x" * 129},
        {"email": "EMAIL", "password": ""},
        {"email": "EMAIL"},
        {"password": PASSWORD},
        {},
        {"email": "EMAIL", "password": PASSWORD, "roles": ["ADMIN"]},
        {"email": "EMAIL", "password": PASSWORD, "id": "chosen-by-client"},
        {"email": "EMAIL", "password": PASSWORD, "created_at": "2020-01-01T00:00:00Z"},
        {"email": 12345, "password": PASSWORD},
        {"email": ["EMAIL"], "password": PASSWORD},
        {"email": "EMAIL", "password": 12345678},
        {"email": "EMAIL", "password": None},
        {"email": "EMAIL", "password": PASSWORD, "name": {"first": "Ada"}},
        {"email": "EMAIL", "password": PASSWORD, "name": "x" * 101},
    ],
)
def test_invalid_sign_up_is_422_with_field_errors(gateway: httpx.Client, body: dict) -> None:
    email = unique_email("invalid") if body.get("email") == "EMAIL" else None
    if email:
        body = {**body, "email": email}
    response = gateway.post("/v1/users", json=body)
    problem = assert_problem(response, 422)
    assert problem["errors"]
    if email:
        # Nothing was created: the same e-mail can still sign up.
        sign_up(gateway, email)


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"email": "a@example.com", "password": ', b"[]", b"null", b"42", b"\xff\xfe\x00"],
)
def test_malformed_bodies_are_400_or_422_never_5xx(gateway: httpx.Client, raw: bytes) -> None:
    response = gateway.post("/v1/users", content=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 400, 422)


def test_password_boundaries_8_and_128_are_accepted(gateway: httpx.Client) -> None:
    for password in ("x" * 8, "y" * 128):
        sign_up(gateway, unique_email("boundary"), password)


def test_me_returns_the_callers_profile(gateway: httpx.Client) -> None:
    account = new_account(gateway, "me")
    response = gateway.get("/v1/users/me", headers=account.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert (body["id"], body["email"], body["roles"]) == (account.id, account.email, ["USER"])


def test_me_equals_what_sign_up_returned(gateway: httpx.Client) -> None:
    created = sign_up(gateway, unique_email("same"))
    tokens = log_in(gateway, created["email"])
    response = gateway.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.json() == created


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        # A client cannot claim an identity: the gateway removes X-User-* headers.
        {"X-User-Id": str(uuid.uuid4()), "X-User-Email": "x@example.com", "X-User-Roles": "USER"},
    ],
)
def test_me_without_a_valid_token_is_401(gateway: httpx.Client, headers: dict) -> None:
    assert_problem(gateway.get("/v1/users/me", headers=headers), 401)


def test_identity_headers_cannot_be_forged_next_to_a_token(gateway: httpx.Client) -> None:
    account, other = new_account(gateway, "forger"), new_account(gateway, "victim")
    response = gateway.get("/v1/users/me", headers={**account.auth, "X-User-Id": other.id})
    assert response.status_code == 200
    assert response.json()["id"] == account.id


def test_the_internal_credential_check_is_not_routed_by_the_gateway(
    gateway: httpx.Client,
) -> None:
    account = new_account(gateway, "internal")
    response = gateway.post(
        "/internal/v1/credentials/verify",
        json={"email": account.email, "password": account.password},
    )
    assert response.status_code == 404
    assert account.id not in response.text


def test_location_resolves_for_its_owner_only(gateway: httpx.Client) -> None:
    owner, other = new_account(gateway, "owner"), new_account(gateway, "other")
    location = f"/v1/users/{owner.id}"
    mine = gateway.get(location, headers=owner.auth)
    assert mine.status_code == 200
    assert mine.json()["id"] == owner.id
    theirs = gateway.get(location, headers=other.auth)
    unknown = gateway.get(f"/v1/users/{uuid.uuid4()}", headers=other.auth)
    assert_problem(theirs, 404)
    assert theirs.json() == assert_problem(unknown, 404)
    assert_problem(gateway.get(location), 401)
