"""Sending one request to an upstream over the shared connection pool.

Transport failures become :class:`UpstreamFailure` with the status the client gets:
503 when the upstream cannot be reached, 504 when it does not answer in time, 502 when it
answers with something that is not HTTP. Nothing about hosts or exceptions leaks out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from commerce.gateway.headers import RawHeaders

log = logging.getLogger("commerce.gateway.upstream")


@dataclass(frozen=True)
class UpstreamReply:
    status: int
    headers: RawHeaders
    body: bytes


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
        return self.reason in ("connect", "connect-timeout", "pool-timeout")


class Sender(Protocol):
    """Sends one request to a named upstream, once."""

    async def send(
        self, upstream: str, method: str, target: bytes, headers: RawHeaders, body: bytes
    ) -> UpstreamReply:
        """The upstream's HTTP answer, or :class:`UpstreamFailure`."""
        ...


def encode_target(raw_path: bytes, query: bytes) -> bytes:
    """Path and query as sent by the client, with any non-ASCII or control byte escaped."""
    target = raw_path + (b"?" + query if query else b"")
    if all(0x20 < byte < 0x7F for byte in target):
        return target
    return b"".join(bytes([byte]) if 0x20 < byte < 0x7F else b"%%%02X" % byte for byte in target)


def _failure(upstream: str, error: httpx.HTTPError | httpx.StreamError) -> UpstreamFailure:
    if isinstance(error, httpx.ConnectTimeout):
        return UpstreamFailure(upstream, 503, "connect-timeout")
    if isinstance(error, httpx.PoolTimeout):
        return UpstreamFailure(upstream, 503, "pool-timeout")
    if isinstance(error, httpx.ConnectError):
        return UpstreamFailure(upstream, 503, "connect")
    if isinstance(error, httpx.TimeoutException):
        return UpstreamFailure(upstream, 504, "timeout")
    return UpstreamFailure(upstream, 502, "protocol")


class Forwarder:
    """One shared :class:`httpx.AsyncClient` (a keep-alive pool) for every upstream."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_urls: Mapping[str, str],
        timeouts: Mapping[str, httpx.Timeout],
    ) -> None:
        self._client = client
        self._base_urls = {name: httpx.URL(url) for name, url in base_urls.items()}
        self._timeouts = dict(timeouts)

    async def send(
        self,
        upstream: str,
        method: str,
        target: bytes,
        headers: RawHeaders,
        body: bytes,
    ) -> UpstreamReply:
        url = self._base_urls[upstream].copy_with(raw_path=target)
        request = self._client.build_request(
            method, url, headers=headers, content=body, timeout=self._timeouts[upstream]
        )
        try:
            response = await self._client.send(request, stream=True)
            try:
                # Raw bytes: whatever encoding the upstream chose is passed on untouched.
                content = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        except (httpx.HTTPError, httpx.StreamError) as error:
            failure = _failure(upstream, error)
            log.warning(
                "upstream %s failed: %s (%s)", upstream, failure.reason, type(error).__name__
            )
            raise failure from error
        return UpstreamReply(response.status_code, list(response.headers.raw), content)
