"""Header policy: what goes to an upstream and what comes back (docs/adr/0031).

Works on raw ``(name, value)`` byte pairs as ASGI gives them (names lower-case), so no
header is ever decoded or re-encoded on the way through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from commerce.kernel.http.gateway_proof import PROOF_NAME
from commerce.kernel.http.identity import IDENTITY_HEADER_PREFIX, Identity
from commerce.kernel.refresh_cookie import REFRESH_COOKIE_NAME, REFRESH_COOKIE_PATHS
from commerce.kernel.revocation import REVOKED_SESSION_NAME

RawHeaders = list[tuple[bytes, bytes]]

# RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Set by the gateway itself (or by the HTTP client), never taken from the client.
_REPLACED_ON_REQUEST = frozenset(
    {
        b"host",
        b"content-length",
        b"expect",
        b"accept-encoding",
        b"x-request-id",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-proto",
        b"x-forwarded-port",
        b"forwarded",
        b"x-real-ip",
        b"traceparent",
        b"tracestate",
        PROOF_NAME,
    }
)
# Services never need the bearer token: identity arrives as X-User-*; dropping it keeps
# tokens out of every service's logs and memory (docs/adr/0031). Cookies likewise, but for
# auth's refresh cookie on the paths it is scoped to (docs/adr/0024).
_CREDENTIALS = frozenset({b"authorization", b"cookie"})
_REFRESH_COOKIE = REFRESH_COOKIE_NAME.encode("ascii") + b"="
# The body is passed on byte for byte (never decoded), so the upstream's Content-Length
# stays true and is kept.
_RECOMPUTED_ON_RESPONSE = frozenset({b"date", b"server", b"x-request-id"})
# Auth's news for the gateway (docs/adr/0023), never the client's business.
_FOR_THE_GATEWAY = frozenset({REVOKED_SESSION_NAME})
# Computed once: per message only the names a Connection header lists are added.
_DROPPED_ON_REQUEST = HOP_BY_HOP | _REPLACED_ON_REQUEST | _CREDENTIALS
_DROPPED_ON_RESPONSE = HOP_BY_HOP | _RECOMPUTED_ON_RESPONSE | _FOR_THE_GATEWAY
_TRACEPARENT = re.compile(rb"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower-case), if any."""
    for key, value in headers:
        if key == name:
            return value
    return None


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    """Header names listed in ``Connection`` are hop-by-hop too (usually none)."""
    tokens: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            tokens.update(token.strip().lower() for token in value.split(b","))
    tokens.discard(b"")
    return tokens


def carries_refresh_cookie(upstream: str, path: str) -> bool:
    """Whether a request gets its refresh cookie through: to auth, on the cookie's paths."""
    return upstream == "auth" and path in REFRESH_COOKIE_PATHS


def _refresh_cookies(value: bytes) -> list[bytes]:
    """The ``name=value`` pairs of auth's refresh cookie in a ``Cookie`` header, no other."""
    pairs = (pair.strip() for pair in value.split(b";"))
    return [pair for pair in pairs if pair.startswith(_REFRESH_COOKIE)]


def upstream_request_headers(
    incoming: Sequence[tuple[bytes, bytes]],
    *,
    identity: Identity | None,
    client_address: str,
    request_id: str,
    proof: bytes,
    refresh_cookie: bool = False,
) -> RawHeaders:
    """The headers sent upstream: the client's, minus what the gateway owns, plus its own.

    Every client-sent ``X-User-*`` header (and any ``X-Gateway-Proof``) is removed whatever
    its case; identity headers are added only from a verified token, with the gateway's
    signed ``proof`` of identity and address, which is all the services believe. Cookies are
    dropped, but for the refresh cookie alone when ``refresh_cookie`` (see
    :func:`carries_refresh_cookie`).
    """
    listed = _connection_tokens(incoming)
    dropped = _DROPPED_ON_REQUEST | listed if listed else _DROPPED_ON_REQUEST
    out: RawHeaders = []
    kept_cookies: list[bytes] = []
    traceparent: bytes | None = None
    tracestate: bytes | None = None
    for raw_name, value in incoming:
        name = raw_name.lower()
        if name == b"traceparent":
            traceparent = value.strip().lower()
        elif name == b"tracestate":
            tracestate = value
        if name in dropped or name.startswith(IDENTITY_HEADER_PREFIX):
            if refresh_cookie and name == b"cookie":
                kept_cookies.extend(_refresh_cookies(value))
            continue
        out.append((name, value))
    if kept_cookies:
        out.append((b"cookie", b"; ".join(kept_cookies)))
    if traceparent is not None and _TRACEPARENT.match(traceparent):
        out.append((b"traceparent", traceparent))
        if tracestate is not None:
            out.append((b"tracestate", tracestate))
    out.append((b"x-request-id", request_id.encode("ascii")))
    out.append((b"x-forwarded-for", client_address.encode("ascii", "replace")))
    out.append((b"accept-encoding", b"identity"))
    out.append((PROOF_NAME, proof))
    if identity is not None:
        for name_text, value_text in identity.as_headers().items():
            out.append((name_text.lower().encode("ascii"), value_text.encode("utf-8")))
    return out


def client_response_headers(
    upstream: Sequence[tuple[bytes, bytes]], *, upstream_base_url: str
) -> RawHeaders:
    """The upstream's response headers fit for the client.

    Hop-by-hop headers go, length/date/server are the gateway's own, and a ``Location`` that
    points at the upstream's internal address is made relative (no internal host names).
    """
    listed = _connection_tokens(upstream)
    dropped = _DROPPED_ON_RESPONSE | listed if listed else _DROPPED_ON_RESPONSE
    base = upstream_base_url.encode("ascii")
    out: RawHeaders = []
    for raw_name, value in upstream:
        name = raw_name.lower()
        if name in dropped:
            continue
        if name in (b"location", b"content-location") and value.startswith(base):
            value = value[len(base) :] or b"/"
        out.append((name, value))
    return out


def forwarded_for_entries(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """Every address in every ``X-Forwarded-For`` header, left to right."""
    entries: list[str] = []
    for name, value in headers:
        if name.lower() == b"x-forwarded-for":
            text = value.decode("latin-1")
            entries.extend(part.strip() for part in text.split(",") if part.strip())
    return entries


def client_address(
    peer: str | None, headers: Iterable[tuple[bytes, bytes]], trusted_hops: int
) -> str:
    """The caller's address: the TCP peer, or the n-th ``X-Forwarded-For`` entry from the
    right when ``trusted_hops`` proxies we run sit in front (each appends its peer).

    Entries further left were written by the client and prove nothing, so they are never used.
    """
    fallback = peer or "unknown"
    if trusted_hops <= 0:
        return fallback
    entries = forwarded_for_entries(headers)
    if len(entries) < trusted_hops:
        return fallback
    return entries[-trusted_hops]
