"""The one middleware every service runs (docs/adr/0036): per request, in one pure ASGI
wrapper, the request id, the check of the gateway's proof of identity (docs/adr/0038), a
server span (only when tracing is on), the request metrics, one access-log line, the
``nosniff``/``no-store`` headers (docs/adr/0100), and the 500/503 problem for an unexpected
error.

One wrapper keeps the hot path cheap: one ``send`` hook, no per-request task, no work for
tracing that is off. The route template is read after routing, from the scope.
"""

from __future__ import annotations

import logging
from time import perf_counter
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce.kernel.http.gateway_proof import PROOF_NAME, InvalidProof, ProofVerifier
from commerce.kernel.http.identity import IDENTITY_HEADER_PREFIX
from commerce.kernel.http.problems import problem, unexpected_error
from commerce.kernel.http.request_id import REQUEST_ID_HEADER, current_request_id, sane_request_id
from commerce.kernel.observability.metrics import UNMATCHED_ROUTE, observe_request
from commerce.kernel.observability.tracing import tracing_enabled

access_log = logging.getLogger("commerce.access")
# Probes and scrapes arrive every few seconds; they still count in metrics but log at debug.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
_REQUEST_ID = REQUEST_ID_HEADER.encode()
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``unmatched`` (never the raw path)."""
    template = scope.get("route_template")  # set by routers that are not Starlette's
    if isinstance(template, str):
        return template
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    # Plain Starlette routes (/openapi.json, /docs) leave only their endpoint in the scope
    # on newer FastAPI routers: find the route by it (rare requests, a short list).
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for route in getattr(scope.get("app"), "routes", ()):
            if getattr(route, "endpoint", None) is endpoint:
                return str(route.path)
    return UNMATCHED_ROUTE


def _has_identity(scope: Scope) -> bool:
    proof = scope["state"].get("gateway_proof")
    return proof is not None and proof.identity is not None


def _add_safety_headers(headers: list[tuple[bytes, bytes]], *, personal: bool) -> None:
    """``nosniff`` on every answer, ``no-store`` on an answer for a signed-in caller (unless
    the application chose its caching), each once (docs/adr/0100)."""
    names = {name.lower() for name, _ in headers}
    if _NOSNIFF[0] not in names:
        headers.append(_NOSNIFF)
    if personal and _NO_STORE[0] not in names:
        headers.append(_NO_STORE)


class ServiceMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        tracer_provider: TracerProvider | None = None,
        *,
        tracing: bool | None = None,
        proofs: ProofVerifier | None = None,
    ) -> None:
        """``proofs``: the gateway's proofs are checked (every service); None only for the
        gateway itself, which makes them."""
        self.app = app
        self.proofs = proofs
        # A proxy until the process installs its provider (run_service), then the real one.
        self.tracer = trace.get_tracer("commerce.http", tracer_provider=tracer_provider)
        self.propagated = {field.encode() for field in propagate.get_global_textmap().fields}
        # A provider given here (tests) means tracing on; else the process's configuration.
        self._tracing = tracing if tracing is not None or tracer_provider is None else True

    @property
    def tracing(self) -> bool:
        # Read once the process has configured tracing (after this object was built).
        if self._tracing is None:
            return tracing_enabled()
        return self._tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        incoming: str | None = None
        carrier: dict[str, str] | None = None
        tracing = self.tracing
        proof: bytes | None = None
        claims_identity = False
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                incoming = value.decode("latin-1")
            elif name == PROOF_NAME:
                proof = value
            elif name.startswith(IDENTITY_HEADER_PREFIX):
                claims_identity = True
            elif tracing and name in self.propagated:
                if carrier is None:
                    carrier = {}
                carrier[name.decode("latin-1")] = value.decode("latin-1")
        request_id = sane_request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        id_token = current_request_id.set(request_id)
        raw_id = request_id.encode("latin-1")
        span: Any = None
        span_token = None
        method: str = scope["method"]
        if tracing:
            parent = propagate.extract(carrier) if carrier else None
            span = self.tracer.start_span(
                method,
                context=parent,
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "url.path": scope["path"]},
            )
            span_token = context.attach(trace.set_span_in_context(span, parent))
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = [h for h in message.get("headers", ()) if h[0] != _REQUEST_ID]
                headers.append((_REQUEST_ID, raw_id))
                _add_safety_headers(headers, personal=_has_identity(scope))
                message["headers"] = headers
            await send(message)

        try:
            if self.proofs is not None and (proof is not None or claims_identity):
                refusal = self._check_proof(scope, proof)
                if refusal is not None:
                    await refusal(scope, receive, send_with_id)
                    return
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if span is not None:
                span.record_exception(error)
            if response_started:  # too late for a problem body; the server closes the connection
                status = 500
                raise
            # Answered here, inside the wrapper, so the problem carries the request id and
            # its log line the request and trace ids.
            response = await unexpected_error(Request(scope), error)
            await response(scope, receive, send_with_id)
        finally:
            seconds = perf_counter() - started
            route = route_template(scope)
            if span is not None:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            observe_request(method, route, status, seconds)
            level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
            if access_log.isEnabledFor(level):
                access_log.log(
                    level,
                    "%s %s %s %.1fms",
                    method,
                    route,
                    status,
                    seconds * 1000,
                    extra={
                        "method": method,
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
            if span is not None:
                span.end()
            if span_token is not None:
                context.detach(span_token)
            current_request_id.reset(id_token)

    def _check_proof(self, scope: Scope, proof: bytes | None) -> Response | None:
        """Puts the verified proof in the request's state; a 401 when identity is claimed
        (``X-User-*``) or a proof sent without one the gateway signed (docs/adr/0038)."""
        assert self.proofs is not None
        try:
            if proof is None:
                raise InvalidProof("identity headers without the gateway's proof")
            scope["state"]["gateway_proof"] = self.proofs.verify(proof)
        except InvalidProof as refused:
            access_log.info("refused identity on %s: %s", scope["path"], refused)
            return problem(
                401,
                "Identity is only accepted from the gateway.",
                slug="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None
