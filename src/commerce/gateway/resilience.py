"""Calling an upstream through its circuit breaker, with retries where they are safe.

Retries (tenacity: exponential backoff plus random jitter) happen only for idempotent methods
and only when the request surely did not run or the service said it could not take it: a connection
that could not be made, or a 502/503 answer. A read timeout is never retried (the request may
have run), a POST or PATCH is never sent twice (docs/adr/0034), and neither is a request
whose streamed body was already read (it cannot be read twice, docs/adr/0036).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from commerce.gateway.breaker import CircuitBreaker
from commerce.gateway.headers import RawHeaders
from commerce.gateway.limits import RequestBody
from commerce.gateway.upstream import Sender, UpstreamFailure, UpstreamReply
from commerce.kernel.observability.platform_metrics import UpstreamErrorKind, record_upstream_error

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRIED_STATUSES = frozenset({502, 503})
# Answers that say "the service is not well", as opposed to "your request is wrong".
FAILURE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 0.05
    backoff_max_seconds: float = 1.0


class _RetryableReply(Exception):
    def __init__(self, reply: UpstreamReply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _retryable(error: BaseException) -> bool:
    if isinstance(error, _RetryableReply):
        return True
    return isinstance(error, UpstreamFailure) and error.connect_failed


def _release_refused_reply(state: RetryCallState) -> None:
    """Before the next try, give back the connection of a 502/503 that will not be used."""
    error = state.outcome.exception() if state.outcome is not None else None
    if isinstance(error, _RetryableReply):
        error.reply.body.release()


def _error_kind(failure: UpstreamFailure) -> UpstreamErrorKind:
    if failure.connect_failed:
        return "connect"
    return "timeout" if failure.status == 504 else "bad_status"


class ResilientCaller:
    def __init__(
        self,
        forwarder: Sender,
        breakers: Mapping[str, CircuitBreaker],
        retry: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._forwarder = forwarder
        self._breakers = breakers
        self._retry = retry
        self._sleep = sleep

    async def call(
        self,
        upstream: str,
        method: str,
        target: bytes,
        headers: RawHeaders,
        body: RequestBody | None,
    ) -> UpstreamReply:
        """The upstream's answer; raises ``UpstreamFailure`` or ``CircuitOpen``.

        A POST or PATCH goes out once, directly: nothing is built for retries it never gets.
        ``CircuitOpen`` is never retried: the breaker said no.
        """
        if method not in IDEMPOTENT_METHODS:
            return await self._attempt(upstream, method, target, headers, body)
        # The first try goes out directly: almost every request ends there, and building the
        # retry machinery for it cost ~8% of the gateway's CPU per request (py-spy, ADR 0036).
        try:
            reply = await self._attempt(upstream, method, target, headers, body)
        except UpstreamFailure as failure:
            if self._retry.attempts == 1 or not self._may_resend(failure, body):
                raise
        else:
            if (
                reply.status not in RETRIED_STATUSES
                or self._retry.attempts == 1
                or not self._may_resend(_RetryableReply(reply), body)
            ):
                return reply
            reply.body.release()
        await self._sleep(self._first_wait())
        try:
            async for attempt in self._retrying(body):
                with attempt:
                    reply = await self._attempt(upstream, method, target, headers, body)
                    if reply.status in RETRIED_STATUSES:
                        raise _RetryableReply(reply)
                    return reply
        except _RetryableReply as last:
            return last.reply  # out of tries: the service's own 502/503 goes to the client
        raise AssertionError("unreachable: tenacity either returns or reraises")

    @staticmethod
    def _may_resend(error: BaseException, body: RequestBody | None) -> bool:
        return _retryable(error) and (body is None or not body.started)

    def _first_wait(self) -> float:
        """After try 1: the backoff (capped) plus up to one backoff of jitter."""
        policy = self._retry
        jitter = random.uniform(0, policy.backoff_seconds)  # noqa: S311 - not for secrets
        return min(policy.backoff_seconds, policy.backoff_max_seconds) + jitter

    def _retrying(self, body: RequestBody | None) -> AsyncRetrying:
        """Tries 2 and on; the waits go on doubling from where try 1's left off."""
        policy = self._retry

        def retryable(error: BaseException) -> bool:
            return self._may_resend(error, body)

        return AsyncRetrying(
            stop=stop_after_attempt(policy.attempts - 1),
            # backoff * 2^n (capped) plus up to one backoff of jitter: never an instant retry
            # into a refused connection, and replicas do not retry in lockstep. Try k of this
            # loop is try k + 1 overall, hence the doubled multiplier.
            wait=wait_exponential(
                multiplier=policy.backoff_seconds * 2, max=policy.backoff_max_seconds
            )
            + wait_random(0, policy.backoff_seconds),
            retry=retry_if_exception(retryable),
            before_sleep=_release_refused_reply,
            sleep=self._sleep,
            reraise=True,
        )

    async def _attempt(
        self,
        upstream: str,
        method: str,
        target: bytes,
        headers: RawHeaders,
        body: RequestBody | None,
    ) -> UpstreamReply:
        breaker = self._breakers[upstream]
        try:
            probe = breaker.acquire()
        except Exception:
            record_upstream_error(upstream, "circuit_open")
            raise
        try:
            reply = await self._forwarder.send(upstream, method, target, headers, body)
        except UpstreamFailure as failure:
            breaker.failed(probe)
            record_upstream_error(upstream, _error_kind(failure))
            raise
        except BaseException:
            breaker.abandoned(probe)
            raise
        if reply.status in FAILURE_STATUSES:
            breaker.failed(probe)
            record_upstream_error(upstream, "bad_status")
        else:
            breaker.succeeded(probe)
        return reply
