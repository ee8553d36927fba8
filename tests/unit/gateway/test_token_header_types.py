"""A token header is client JSON: members of the wrong type are a refusal, never a crash.

Found by the contract fuzz (docs/adr/0090): ``"alg": ["EdDSA"]`` made the verifier raise
``TypeError`` (unhashable list), which the gateway answered with a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from commerce.gateway.jwks import JwksCache
from commerce.gateway.tokens import InvalidToken, TokenVerifier
from tests.unit.gateway.fakes import FakeClock, FakeJwksEndpoint
from tests.unit.gateway.keys import AUDIENCE, ISSUER, SigningKey, jwks


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def with_header(token: str, **members: Any) -> str:
    """``token`` with its header members replaced; the signature no longer matches, so the
    only right answer is :class:`InvalidToken`, whichever check comes first."""
    header, payload, signature = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    return ".".join((_b64({**fields, **members}), payload, signature))


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey("EdDSA")


@pytest.fixture
def verifier(key: SigningKey) -> TokenVerifier:
    cache = JwksCache(
        FakeJwksEndpoint(jwks(key)), max_age_seconds=300, min_refetch_seconds=5, clock=FakeClock()
    )
    return TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=5)


@pytest.mark.parametrize("alg", [["EdDSA"], {"name": "EdDSA"}, 5, None, True, "", "none", "eddsa"])
async def test_an_alg_of_any_other_type_or_value_is_refused(
    verifier: TokenVerifier, key: SigningKey, alg: Any
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(with_header(key.sign(), alg=alg))


@pytest.mark.parametrize("kid", ["", "x" * 300, "unknown"])
async def test_a_kid_that_names_no_key_is_refused(
    verifier: TokenVerifier, key: SigningKey, kid: str
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(with_header(key.sign(), kid=kid))
