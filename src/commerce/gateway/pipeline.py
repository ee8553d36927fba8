"""What happens to one proxied request, as plain ASGI: limit, authenticate, rewrite headers,
forward, stream the answer back (docs/adr/0036)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from commerce.gateway import problems
from commerce.gateway.breaker import CircuitOpen
from commerce.gateway.headers import (
    RawHeaders,
    carries_refresh_cookie,
    client_address,
    client_response_headers,
    header_value,
    upstream_request_headers,
)
from commerce.gateway.jwks import KeysUnavailable
from commerce.gateway.limits import (
    BodyTooLarge,
    ClientGone,
    ClientRateLimit,
    RequestBody,
    declared_length,
    has_body,
)
from commerce.gateway.resilience import ResilientCaller
from commerce.gateway.revocations import RevokedSessions
from commerce.gateway.routing import Access, Route, access_for, needs_admin
from commerce.gateway.tokens import InvalidToken, TokenVerifier
from commerce.gateway.upstream import UpstreamFailure, UpstreamReply, encode_target
from commerce.kernel.http.gateway_proof import ProofSigner
from commerce.kernel.http.identity import Identity
from commerce.kernel.http.problems import problem
from commerce.kernel.http.request_id import current_request_id, sane_request_id
from commerce.kernel.revocation import REVOKED_SESSION_NAME, parse_revocation
from commerce.kernel.roles import Role

log = logging.getLogger("commerce.gateway")

_NO_BODY_STATUSES = frozenset({204, 304})


class Denied(Exception):
    """Stop here and answer ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class Pipeline:
    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        signer: ProofSigner,
        caller: ResilientCaller,
        base_urls: dict[str, str],
        trusted_hops: int,
        max_body_bytes: int,
        rate_limit: ClientRateLimit | None,
        revoked: RevokedSessions,
    ) -> None:
        self._verifier = verifier
        self._revoked = revoked
        self._signer = signer
        self._caller = caller
        self._base_urls = base_urls
        self._trusted_hops = trusted_hops
        self._max_body_bytes = max_body_bytes
        self._rate_limit = rate_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send, route: Route) -> None:
        try:
            reply = await self._forward(scope, receive, route)
        except Denied as denied:
            await denied.response(scope, receive, send)
            return
        await self._relay(scope, receive, send, route.upstream, reply)

    async def _forward(self, scope: Scope, receive: Receive, route: Route) -> UpstreamReply:
        method: str = scope["method"]
        path: str = scope["path"]
        raw_headers: RawHeaders = scope["headers"]
        client = scope.get("client")
        address = client_address(client[0] if client else None, raw_headers, self._trusted_hops)
        # Cheapest refusals first: the rate limit also shields the token check.
        self._check_rate(address)
        identity = await self._authenticate(method, path, raw_headers)
        if needs_admin(path) and (identity is None or Role.ADMIN not in identity.roles):
            raise Denied(
                problem(403, "Operations endpoints need the ADMIN role.", slug="admin-only")
            )
        declared = declared_length(raw_headers)
        if declared is not None and declared > self._max_body_bytes:
            raise Denied(problems.body_too_large(self._max_body_bytes))
        body = RequestBody(receive, self._max_body_bytes) if has_body(raw_headers) else None
        headers = upstream_request_headers(
            raw_headers,
            identity=identity,
            client_address=address,
            request_id=current_request_id.get() or sane_request_id(None),
            proof=self._signer.proof(identity, address),
            refresh_cookie=carries_refresh_cookie(route.upstream, path),
        )
        if body is not None and declared is not None:
            headers.append((b"content-length", str(declared).encode()))
        target = encode_target(scope.get("raw_path") or path.encode(), scope["query_string"])
        try:
            return await self._caller.call(route.upstream, method, target, headers, body)
        except CircuitOpen as open_circuit:
            raise Denied(
                problems.circuit_open(route.upstream, open_circuit.retry_after_seconds)
            ) from None
        except (UpstreamFailure, BodyTooLarge, ClientGone) as failure:
            refused = body.refused if body is not None else None
            if isinstance(refused, BodyTooLarge) or isinstance(failure, BodyTooLarge):
                raise Denied(problems.body_too_large(self._max_body_bytes)) from None
            if isinstance(refused, ClientGone) or isinstance(failure, ClientGone):
                # The client went away mid-body: nobody to answer, not an error of ours.
                log.debug("client disconnected while sending the body of %s", method)
                raise Denied(problems.client_closed_request()) from None
            assert isinstance(failure, UpstreamFailure)
            raise Denied(problems.upstream_problem(route.upstream, failure.status)) from None

    def _check_rate(self, address: str) -> None:
        if self._rate_limit is None:
            return
        decision = self._rate_limit.check(address)
        if not decision.allowed:
            raise Denied(problems.too_many_requests(decision.retry_after_seconds))

    async def _authenticate(self, method: str, path: str, headers: RawHeaders) -> Identity | None:
        access = access_for(method, path)
        if access is Access.OWN_CREDENTIALS:
            return None  # the Authorization header is dropped unread (docs/adr/0030)
        authorization = header_value(headers, b"authorization")
        try:
            identity = await self._verifier.identity_of(
                authorization.decode("latin-1") if authorization is not None else None
            )
        except InvalidToken as error:
            log.info("token refused on %s %s: %s", method, path, error)
            raise Denied(problems.unauthorized(invalid=True)) from None
        except KeysUnavailable:
            raise Denied(problems.keys_unavailable()) from None
        if identity is None and access is Access.PROTECTED:
            raise Denied(problems.unauthorized(invalid=False))
        return identity

    async def _relay(
        self, scope: Scope, receive: Receive, send: Send, upstream: str, reply: UpstreamReply
    ) -> None:
        """The answer to the client as it arrives: headers first, then each chunk."""
        if upstream == "auth":  # the only upstream whose revocations count
            self._note_revocation(reply)
        headers = client_response_headers(
            reply.headers, upstream_base_url=self._base_urls[upstream]
        )
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        if scope["method"] == "HEAD" or reply.status in _NO_BODY_STATUSES or reply.status < 200:
            reply.body.release()
            await send({"type": "http.response.body", "body": b""})
            return
        # A body without a length (Server-Sent Events, chunked) may last: watch for the
        # client leaving, and then drop the upstream connection too.
        watcher = None
        if header_value(reply.headers, b"content-length") is None:
            watcher = asyncio.create_task(_closed_when_client_leaves(receive, reply))
        try:
            async for chunk in reply.body.chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except UpstreamFailure as failure:
            if watcher is not None and watcher.done():
                return  # the client left first, and its leaving closed the upstream stream
            # Too late for a problem: end the exchange short, so the client sees it broke.
            log.warning("upstream %s broke off its answer: %s", upstream, failure.reason)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
                with suppress(asyncio.CancelledError):
                    await watcher
        await send({"type": "http.response.body", "body": b""})

    def _note_revocation(self, reply: UpstreamReply) -> None:
        value = header_value(reply.headers, REVOKED_SESSION_NAME)
        if value is None:
            return
        revocation = parse_revocation(value)
        if revocation is None:
            log.warning("auth sent a session revocation the gateway cannot read")
            return
        self._revoked.revoke(revocation)


async def _closed_when_client_leaves(receive: Receive, reply: UpstreamReply) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    reply.body.release()
