"""Benchmark: what the revoked-session check adds to a request's token check (ADR 0023).

A request with a token the gateway has seen before costs one cache lookup
(``TokenVerifier.cached``); the revocation check adds one set lookup to it. This times that
call in-process with no revoked session (the baseline, as before the check existed: the
empty default) and with 10,000 revoked sessions, more than a shop signs out in one access
token's lifetime. Not a test.

    .venv/bin/python bench/revocation.py [--calls 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Container
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from commerce.gateway.jwks import JwksCache
from commerce.gateway.revocations import RevokedSessions
from commerce.gateway.tokens import TokenVerifier
from commerce.kernel.revocation import SessionRevocation

KID = "bench"


def signed_token_and_jwks() -> tuple[str, dict[str, Any]]:
    private = Ed25519PrivateKey.generate()
    jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": KID, "alg": "EdDSA", "use": "sig"})
    now = int(time.time())
    claims = {"sub": "u-1", "email": "bench@example.com", "roles": ["USER"], "iat": now}
    claims.update({"exp": now + 900, "iss": "bench", "aud": "bench", "sid": str(uuid.uuid4())})
    token = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": KID})
    return token, {"keys": [jwk]}


def nanoseconds_per_check(revoked: Container[str], calls: int) -> float:
    token, document = signed_token_and_jwks()

    async def fetch() -> dict[str, Any]:
        return document

    cache = JwksCache(fetch, max_age_seconds=300, min_refetch_seconds=5)
    verifier = TokenVerifier(
        cache, issuer="bench", audience="bench", leeway_seconds=5, revoked=revoked
    )
    asyncio.run(verifier.verify(token))
    assert verifier.cached(token) is not None
    cached = verifier.cached
    started = time.perf_counter_ns()
    for _ in range(calls):
        cached(token)
    return (time.perf_counter_ns() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    calls = parser.parse_args().calls
    revoked = RevokedSessions(leeway_seconds=5)
    until = int(time.time()) + 900
    for _ in range(10_000):
        revoked.learn(SessionRevocation(str(uuid.uuid4()), until))
    baseline = nanoseconds_per_check(frozenset(), calls)
    checked = nanoseconds_per_check(revoked, calls)
    print(f"cached token check, no revoked sessions (baseline): {baseline:7.0f} ns")
    print(f"cached token check, 10,000 revoked sessions:        {checked:7.0f} ns")
    print(f"added per request: {checked - baseline:.0f} ns = {(checked - baseline) / 1e6:.5f} ms")


if __name__ == "__main__":
    main()
