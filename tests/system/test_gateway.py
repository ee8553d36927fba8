"""The gateway in front of the real services: forged tokens, spoofed identity, routing,
malformed input, request ids, docs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.system.accounts import Account, new_account
from tests.unit.gateway.keys import SigningKey, tampered, unsigned

pytestmark = pytest.mark.system


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(secret: bytes, header: dict, claims: dict) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.fixture(scope="module")
def account(running) -> Account:  # type: ignore[no-untyped-def]
    with running.client() as client:
        return new_account(client, "gateway")


def forged_tokens(gateway: httpx.Client, account: Account) -> dict[str, str]:
    real = account.access_token
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    jwk = next(
        k for k in gateway.get("/.well-known/jwks.json").json()["keys"] if k["kid"] == header["kid"]
    )
    public_key = jwt.PyJWK(jwk).key
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    raw = (
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if jwk["kty"] == "OKP"
        else pem
    )
    stranger = SigningKey("EdDSA", kid=header["kid"])
    later = int(time.time()) + 3600
    hs_header = {"alg": "HS256", "typ": "JWT", "kid": header["kid"]}
    return {
        "tampered-sub": tampered(real, sub="someone-else"),
        "tampered-roles": tampered(real, roles=["ADMIN"]),
        "tampered-exp": tampered(real, exp=later),
        "alg-none": unsigned(claims, kid=header["kid"]),
        "hs256-public-key-pem": _hs256(pem, hs_header, claims),
        "hs256-public-key-raw": _hs256(raw, hs_header, claims),
        "hs256-guessed-secret": _hs256(b"secret", hs_header, claims),
        "stranger-key-known-kid": stranger.sign(claims),
        "stranger-key-own-kid": SigningKey("ES256").sign(claims),
        "truncated": real[:-10],
        "garbage": "a.b.c",
    }


FORGERIES = [
    "tampered-sub",
    "tampered-roles",
    "tampered-exp",
    "alg-none",
    "hs256-public-key-pem",
    "hs256-public-key-raw",
    "hs256-guessed-secret",
    "stranger-key-known-kid",
    "stranger-key-own-kid",
    "truncated",
    "garbage",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_tokens_are_401(gateway: httpx.Client, account: Account, forgery: str) -> None:
    token = forged_tokens(gateway, account)[forgery]

    for method, path in [("GET", "/v1/users/me"), ("GET", "/v1/products")]:
        response = gateway.request(method, path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_the_real_token_works(gateway: httpx.Client, account: Account) -> None:
    response = gateway.get("/v1/users/me", headers=account.auth)

    assert response.status_code == 200
    assert response.json()["id"] == account.id


def test_a_spoofed_user_id_next_to_a_token_is_ignored(
    gateway: httpx.Client, account: Account
) -> None:
    victim = new_account(gateway, "victim")

    response = gateway.get(
        "/v1/users/me",
        headers={
            **account.auth,
            "X-User-Id": victim.id,
            "x-user-email": victim.email,
            "X-USER-ROLES": "ADMIN",
        },
    )

    assert response.status_code == 200
    assert response.json()["id"] == account.id
    assert response.json()["email"] == account.email


def test_a_spoofed_user_id_without_a_token_is_401(gateway: httpx.Client, account: Account) -> None:
    response = gateway.get("/v1/users/me", headers={"X-User-Id": account.id})

    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/internal/v1/credentials/verify",
        "/v1/users/../internal/v1/credentials/verify",
        "/v1/users/%2e%2e/internal/v1/credentials/verify",
        "/metrics/../internal/v1/x",
    ],
)
def test_internal_endpoints_are_not_routed(
    gateway: httpx.Client, account: Account, path: str
) -> None:
    url = httpx.URL(gateway.base_url).copy_with(raw_path=path.encode())

    response = gateway.post(url, json={"email": account.email, "password": account.password})

    assert response.status_code == 404
    assert account.id not in response.text


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/v1/users", b"{", "application/json"),
        ("/v1/users", b"\x00\xff\xfe", "application/json"),
        ("/v1/users", b"[]", "application/json"),
        ("/v1/users", b'{"email": {"$ne": null}, "password": []}', "application/json"),
        ("/v1/users", b"email=a&password=b", "application/x-www-form-urlencoded"),
        (
            "/v1/users",
            b'{"email": "a@example.com", "password": "' + b"x" * 100_000 + b'"}',
            "application/json",
        ),
        ("/v1/auth/login", b"null", "application/json"),
        ("/v1/auth/login", b'{"email": 1e999, "password": "x"}', "application/json"),
        ("/v1/auth/refresh", b'{"refresh_token": "' + b"\\u0000" * 50 + b'"}', "application/json"),
        ("/v1/auth/logout", b"not json at all", "text/plain"),
    ],
)
def test_malformed_bodies_never_5xx(
    gateway: httpx.Client, path: str, body: bytes, content_type: str
) -> None:
    response = gateway.post(path, content=body, headers={"Content-Type": content_type})

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def test_a_sane_request_id_is_echoed_and_an_insane_one_replaced(gateway: httpx.Client) -> None:
    assert (
        gateway.get("/v1/products", headers={"X-Request-Id": "sys-test-1"}).headers["x-request-id"]
        == "sys-test-1"
    )
    assert (
        gateway.post("/v1/users", content=b"{", headers={"X-Request-Id": "sys-test-2"}).headers[
            "x-request-id"
        ]
        == "sys-test-2"
    )
    replaced = gateway.get("/v1/products", headers={"X-Request-Id": "x" * 500})
    assert replaced.headers["x-request-id"] != "x" * 500
    assert replaced.headers["x-request-id"]


def test_jwks_is_published_at_both_paths(gateway: httpx.Client) -> None:
    well_known = gateway.get("/.well-known/jwks.json")
    v1 = gateway.get("/v1/auth/jwks")

    assert well_known.status_code == v1.status_code == 200
    assert well_known.json()["keys"]
    assert all("d" not in key for key in well_known.json()["keys"])


def test_openapi_is_the_merged_public_api(gateway: httpx.Client) -> None:
    document = gateway.get("/openapi.json").json()

    paths = set(document["paths"])
    assert {"/v1/users", "/v1/users/me", "/v1/auth/login"} <= paths
    assert not any(path.startswith("/internal") for path in paths)
    assert document["paths"]["/v1/users/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert gateway.get("/docs").status_code == 200


def test_the_gateway_is_ready(gateway: httpx.Client) -> None:
    assert gateway.get("/healthz").status_code == 200
    assert gateway.get("/readyz").status_code == 200
