"""A 405 names every method its path serves (RFC 9110 10.2.1), not the first route's only."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter

from commerce.kernel.http.app import create_service_app
from tests.identity import VERIFIER


def build_client() -> httpx.AsyncClient:
    router = APIRouter(prefix="/v1/widgets")

    @router.post("")
    async def create() -> None: ...

    @router.get("")
    async def list_() -> None: ...

    @router.get("/{widget_id}")
    async def read(widget_id: str) -> None: ...

    @router.patch("/{widget_id}")
    async def edit(widget_id: str) -> None: ...

    app = create_service_app(proofs=VERIFIER, title="t", routers=[router], readiness={})
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/widgets/w-1", "GET, PATCH"),
        ("OPTIONS", "/v1/widgets/w-1", "GET, PATCH"),
        ("HEAD", "/v1/widgets/w-1", "GET, PATCH"),  # FastAPI serves no HEAD for a GET route
        ("PUT", "/v1/widgets", "GET, POST"),
        ("POST", "/healthz", "GET"),
    ],
)
async def test_a_405_lists_every_method_of_the_path(method: str, path: str, allowed: str) -> None:
    async with build_client() as client:
        response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_unknown_path_is_still_a_404_without_allow() -> None:
    async with build_client() as client:
        response = await client.delete("/v1/widgets/w-1/parts")
    assert response.status_code == 404
    assert "allow" not in response.headers
