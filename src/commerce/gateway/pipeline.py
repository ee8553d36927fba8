"""What happens to one client request: route, limit, authenticate, rewrite headers, forward."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from commerce.gateway import problems
from commerce.gateway.breaker import CircuitOpen
from commerce.gateway.headers import (
    client_address,
    client_response_headers,
    upstream_request_headers,
)
from commerce.gateway.jwks import KeysUnavailable
from commerce.gateway.limits import BodyTooLarge, ClientRateLimit, read_body
from commerce.gateway.resilience import ResilientCaller
from commerce.gateway.routing import Access, access_for, route_for
from commerce.gateway.tokens import InvalidToken, TokenVerifier, bearer_token
from commerce.gateway.upstream import UpstreamFailure, UpstreamReply, encode_target
from commerce.kernel.http.identity import Identity
from commerce.kernel.http.request_id import current_request_id, sane_request_id

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
        caller: ResilientCaller,
        base_urls: dict[str, str],
        trusted_hops: int,
        max_body_bytes: int,
        rate_limit: ClientRateLimit | None,
    ) -> None:
        self._verifier = verifier
        self._caller = caller
        self._base_urls = base_urls
        self._trusted_hops = trusted_hops
        self._max_body_bytes = max_body_bytes
        self._rate_limit = rate_limit

    async def handle(self, request: Request) -> Response:
        scope = request.scope
        path: str = scope["path"]  # decoded; request.url.path would build a whole URL for it
        route = route_for(path)
        if route is None:
            return problems.not_routed()
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        peer = request.client.host if request.client else None
        address = client_address(peer, raw_headers, self._trusted_hops)
        try:
            # Cheapest refusals first: the rate limit also shields the token check.
            await self._check_rate(address)
            identity = await self._authenticate(request.method, path, request)
            body = await self._read_body(request)
        except Denied as denied:
            return denied.response
        headers = upstream_request_headers(
            raw_headers,
            identity=identity,
            client_address=address,
            request_id=current_request_id.get() or sane_request_id(None),
        )
        target = encode_target(scope.get("raw_path") or path.encode(), scope["query_string"])
        try:
            reply = await self._caller.call(route.upstream, request.method, target, headers, body)
        except CircuitOpen as open_circuit:
            return problems.circuit_open(route.upstream, open_circuit.retry_after_seconds)
        except UpstreamFailure as failure:
            return problems.upstream_problem(route.upstream, failure.status)
        return self._client_response(route.upstream, request.method, reply)

    async def _check_rate(self, address: str) -> None:
        if self._rate_limit is None:
            return
        decision = await self._rate_limit.check(address)
        if not decision.allowed:
            raise Denied(problems.too_many_requests(decision.retry_after_seconds))

    async def _read_body(self, request: Request) -> bytes:
        try:
            return await read_body(request, self._max_body_bytes)
        except BodyTooLarge:
            raise Denied(problems.body_too_large(self._max_body_bytes)) from None
        except ClientDisconnect:
            # The client went away mid-body: nothing to forward and nobody to answer. Not an
            # error of ours (formerly an unhandled exception, logged and counted as a 500).
            log.debug("client disconnected while sending the body of %s", request.method)
            raise Denied(problems.client_closed_request()) from None

    async def _authenticate(self, method: str, path: str, request: Request) -> Identity | None:
        access = access_for(method, path)
        if access is Access.OWN_CREDENTIALS:
            return None  # the Authorization header is dropped unread (docs/adr/0030)
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            if access is Access.PROTECTED:
                raise Denied(problems.unauthorized(invalid=False))
            return None
        try:
            return await self._verifier.verify(token)
        except InvalidToken as error:
            log.info("token refused on %s %s: %s", method, path, error)
            raise Denied(problems.unauthorized(invalid=True)) from None
        except KeysUnavailable:
            raise Denied(problems.keys_unavailable()) from None

    def _client_response(self, upstream: str, method: str, reply: UpstreamReply) -> Response:
        headers = client_response_headers(
            reply.headers, upstream_base_url=self._base_urls[upstream]
        )
        response = Response(status_code=reply.status)
        if reply.status >= 200 and reply.status not in _NO_BODY_STATUSES:
            if method == "HEAD":
                length = next((v for n, v in reply.headers if n.lower() == b"content-length"), b"0")
            else:
                length = str(len(reply.body)).encode()
            headers.append((b"content-length", length))
        response.raw_headers = headers
        response.body = b"" if method == "HEAD" else reply.body
        return response
