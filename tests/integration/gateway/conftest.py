from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from commerce.gateway.bootstrap import create_app
from commerce.gateway.settings import GatewaySettings
from tests.integration.conftest import serving
from tests.integration.gateway.stubs import Stubs
from tests.unit.gateway.keys import AUDIENCE, ISSUER, SigningKey, jwks

CLIENT_ADDRESS = "203.0.113.7"
GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey("EdDSA")


@pytest.fixture
async def stubs(signing_key: SigningKey) -> AsyncIterator[Stubs]:
    running = Stubs(jwks(signing_key))
    await running.start()
    yield running
    await running.stop()


def gateway_settings(stubs: Stubs | None = None, **overrides: Any) -> GatewaySettings:
    urls = {f"{name}_url": url for name, url in stubs.urls.items()} if stubs else {}
    values: dict[str, Any] = {
        **urls,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "admin_port": 0,  # any free port: tests run gateways side by side
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture
def start_gateway(stubs: Stubs) -> GatewayFactory:
    """Runs a gateway (lifespan included) over the stubs; yields a client to it."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(gateway_settings(stubs, **overrides))
        async with serving(app, client_address=(CLIENT_ADDRESS, 50000)) as client:
            yield client

    return start


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with start_gateway() as client:
        yield client
