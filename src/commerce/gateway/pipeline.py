"""What happens to one client request: route, authenticate, rewrite headers, forward."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from commerce.gateway import problems
from commerce.gateway.headers import (
    client_address,
    client_response_headers,
    upstream_request_headers,
)
from commerce.gateway.jwks import KeysUnavailable
from commerce.gateway.routing import Access, access_for, route_for
from commerce.gateway.tokens import InvalidToken, TokenVerifier, bearer_token
from commerce.gateway.upstream import Forwarder, UpstreamFailure, UpstreamReply, encode_target
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
    def __init__(self, *, verifier: TokenVerifier, forwarder: Forwarder, trusted_hops: int):
        self._verifier = verifier
        self._forwarder = forwarder
        self._trusted_hops = trusted_hops

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        route = route_for(path)
        if route is None:
            return problems.not_routed()
        scope = request.scope
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        peer = request.client.host if request.client else None
        address = client_address(peer, raw_headers, self._trusted_hops)
        try:
            identity = await self._authenticate(request.method, path, request)
        except Denied as denied:
            return denied.response
        body = await request.body()
        headers = upstream_request_headers(
            raw_headers,
            identity=identity,
            client_address=address,
            request_id=current_request_id.get() or sane_request_id(None),
        )
        target = encode_target(scope.get("raw_path") or path.encode(), scope["query_string"])
        try:
            reply = await self._forwarder.send(
                route.upstream, request.method, target, headers, body
            )
        except UpstreamFailure as failure:
            return problems.upstream_problem(route.upstream, failure.status)
        return self._client_response(route.upstream, request.method, reply)

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
            reply.headers, upstream_base_url=self._forwarder.base_url(upstream)
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
