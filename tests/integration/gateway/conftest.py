from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from commerce.gateway.bootstrap import create_app
from commerce.gateway.settings import GatewaySettings
from tests.integration.conftest import serving
from tests.integration.gateway.stubs import URLS, Stubs, StubTransport
from tests.unit.gateway.keys import AUDIENCE, ISSUER, SigningKey, jwks

pytestmark = pytest.mark.integration

CLIENT_ADDRESS = "203.0.113.7"
GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey("EdDSA")


@pytest.fixture
def stubs(signing_key: SigningKey) -> Stubs:
    return Stubs(jwks(signing_key))


def gateway_settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "user_url": URLS["user"],
        "auth_url": URLS["auth"],
        "product_url": URLS["product"],
        "order_url": URLS["order"],
        "issuer": ISSUER,
        "audience": AUDIENCE,
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture
def start_gateway(stubs: Stubs) -> GatewayFactory:
    """Runs a gateway (lifespan included) over the stubs; yields a client to it."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(gateway_settings(**overrides), transport=StubTransport(stubs))
        async with serving(app, client_address=(CLIENT_ADDRESS, 50000)) as client:
            yield client

    return start


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with start_gateway() as client:
        yield client
