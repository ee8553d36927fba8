"""Sending one request to an upstream over the shared aiohttp connection pool, streaming.

The request body is read from the client as the upstream takes it, and the answer is handed
back as soon as its headers arrive, its body still on the wire (docs/adr/0036): nothing is
buffered whole, so Server-Sent Events pass through as they are written.

Transport failures become :class:`UpstreamFailure` with the status the client gets:
503 when the upstream cannot be reached, 504 when it does not answer in time, 502 when it
answers with something that is not HTTP. Nothing about hosts or exceptions leaks out.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Protocol

import aiohttp
from multidict import CIMultiDict
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from yarl import URL

from commerce.gateway.headers import RawHeaders
from commerce.kernel.observability.tracing import tracing_enabled

log = logging.getLogger("commerce.gateway.upstream")

EVENT_STREAM = "text/event-stream"


class ReplyBody(Protocol):
    """An answer's body, read once as it arrives; ``release`` when done or not wanted."""

    def chunks(self) -> AsyncIterator[bytes]: ...

    def release(self) -> None: ...


class BytesBody:
    """A body already in memory (the gateway's own answers, fakes in tests)."""

    def __init__(self, content: bytes = b"") -> None:
        self.content = content

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.content:
            yield self.content

    def release(self) -> None:
        return None


class StreamedBody:
    """The body of an aiohttp response, chunk by chunk as the upstream writes it."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as error:
            raise UpstreamFailure("stream", 502, f"broken body ({type(error).__name__})") from error
        finally:
            self._response.release()

    def release(self) -> None:
        # An unread body cannot go back to the pool: close that connection.
        if not self._response.content.at_eof():
            self._response.close()
        else:
            self._response.release()


class UpstreamReply:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: RawHeaders, body: ReplyBody | bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.body: ReplyBody = BytesBody(body) if isinstance(body, bytes) else body


class UpstreamFailure(Exception):
    """The upstream could not give an HTTP answer; ``status`` is what the client gets."""

    def __init__(self, upstream: str, status: int, reason: str) -> None:
        super().__init__(f"{upstream}: {reason}")
        self.upstream = upstream
        self.status = status
        self.reason = reason

    @property
    def connect_failed(self) -> bool:
        """Nothing reached the upstream, so even a non-idempotent request may be resent."""
        return self.reason in ("connect", "connect-timeout")


class Sender(Protocol):
    """Sends one request to a named upstream, once."""

    async def send(
        self,
        upstream: str,
        method: str,
        target: bytes,
        headers: RawHeaders,
        body: AsyncIterable[bytes] | None,
    ) -> UpstreamReply:
        """The upstream's HTTP answer (body still streaming), or :class:`UpstreamFailure`."""
        ...


# Anything but visible ASCII. One regex search is C speed; a per-byte generator over every
# request's target cost the gateway about 1% of its CPU.
_NEEDS_ESCAPE = re.compile(rb"[^\x21-\x7e]")


def encode_target(raw_path: bytes, query: bytes) -> bytes:
    """Path and query as sent by the client, with any non-ASCII or control byte escaped."""
    target = raw_path + (b"?" + query if query else b"")
    if _NEEDS_ESCAPE.search(target) is None:
        return target
    return _NEEDS_ESCAPE.sub(lambda found: b"%%%02X" % found.group()[0], target)


def _failure(upstream: str, error: BaseException) -> UpstreamFailure:
    # aiohttp's connect timeout also covers the wait for a free pooled connection: either
    # way nothing was sent, so both are "connect-timeout".
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return UpstreamFailure(upstream, 503, "connect-timeout")
    if isinstance(error, aiohttp.ClientConnectorError):
        return UpstreamFailure(upstream, 503, "connect")
    if isinstance(error, asyncio.TimeoutError):  # sock_read: the upstream went quiet
        return UpstreamFailure(upstream, 504, "timeout")
    return UpstreamFailure(upstream, 502, "protocol")


def build_session(
    *, max_connections: int, keepalive_seconds: float, connect_seconds: float, read_seconds: float
) -> aiohttp.ClientSession:
    """One pool for every upstream: no per-request scan of idle connections, raw bytes in
    and out (no decompression, no cookies, no environment proxy)."""
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        limit_per_host=0,
        keepalive_timeout=keepalive_seconds,
        use_dns_cache=True,
        ttl_dns_cache=300,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, connect=connect_seconds, sock_read=read_seconds),
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
        raise_for_status=False,
    )


def wait_longer_between_events(response: aiohttp.ClientResponse, seconds: float) -> None:
    """The rest of an event stream's body may be quiet for ``seconds`` between reads, instead
    of the upstream's read timeout: its keep-alives come every 15 s (docs/adr/0065).

    aiohttp has no per-response read timeout; its connection's protocol keeps the one the
    request was sent with, until the connection's next request sets its own."""
    connection = response.connection
    protocol = connection.protocol if connection is not None else None
    if protocol is None:
        return
    protocol.read_timeout = seconds
    protocol.start_timeout()  # the timer running counts from the head, with the old value


class Forwarder:
    """Sends requests over one shared :class:`aiohttp.ClientSession` (a keep-alive pool)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_urls: Mapping[str, str],
        timeouts: Mapping[str, aiohttp.ClientTimeout],
        *,
        event_stream_read_seconds: float | None = None,
    ) -> None:
        self._session = session
        self._base_urls = {name: url.rstrip("/") for name, url in base_urls.items()}
        self._timeouts = dict(timeouts)
        self._event_stream_read_seconds = event_stream_read_seconds
        self._tracer = trace.get_tracer("commerce.gateway")

    async def send(
        self,
        upstream: str,
        method: str,
        target: bytes,
        headers: RawHeaders,
        body: AsyncIterable[bytes] | None,
    ) -> UpstreamReply:
        # encoded=True: the client's path goes out byte for byte (already ASCII-safe).
        url = URL(self._base_urls[upstream] + target.decode("ascii"), encoded=True)
        outgoing = CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in headers
        )
        span = None
        if tracing_enabled():
            # The upstream continues this trace (its traceparent replaces the client's, an
            # ancestor). A recorded trace gets a client span per attempt; an unsampled one
            # (most requests) passes the server span's context on as it is, since a span
            # nobody records would cost a sampling decision and ids for nothing.
            carrier: dict[str, str] = {}
            if trace.get_current_span().is_recording():
                span = self._tracer.start_span(
                    method,
                    kind=SpanKind.CLIENT,
                    attributes={"http.request.method": method, "server.address": upstream},
                )
                propagate.inject(carrier, context=trace.set_span_in_context(span))
            else:
                propagate.inject(carrier)
            outgoing.update(carrier)
        try:
            response = await self._session.request(
                method,
                url,
                headers=outgoing,
                data=body,
                allow_redirects=False,
                timeout=self._timeouts[upstream],
            )
        except (TimeoutError, aiohttp.ClientError) as error:
            failure = _failure(upstream, error)
            log.warning(
                "upstream %s failed: %s (%s)", upstream, failure.reason, type(error).__name__
            )
            if span is not None:
                span.set_status(Status(StatusCode.ERROR, failure.reason))
                span.end()
            raise failure from error
        except BaseException:
            if span is not None:
                span.end()
            raise
        if span is not None:
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()
        if self._event_stream_read_seconds is not None and response.headers.get(
            "Content-Type", ""
        ).startswith(EVENT_STREAM):
            wait_longer_between_events(response, self._event_stream_read_seconds)
        return UpstreamReply(response.status, list(response.raw_headers), StreamedBody(response))
