import pytest

from commerce.gateway.headers import (
    carries_refresh_cookie,
    client_address,
    client_response_headers,
    upstream_request_headers,
)
from commerce.kernel.http.identity import Identity

ADA = Identity(user_id="u-1", email="ada@example.com", roles=("USER", "SELLER"))


def h(**pairs: str) -> list[tuple[bytes, bytes]]:
    return [
        (name.replace("_", "-").lower().encode(), value.encode()) for name, value in pairs.items()
    ]


def outgoing(
    incoming: list[tuple[bytes, bytes]],
    identity: Identity | None = ADA,
    *,
    upstream: str = "product",
    path: str = "/v1/products",
) -> dict[str, list[str]]:
    headers = upstream_request_headers(
        incoming,
        identity=identity,
        client_address="198.51.100.7",
        request_id="req-1",
        proof=b"the-gateways-proof",
        refresh_cookie=carries_refresh_cookie(upstream, path),
    )
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name.decode(), []).append(value.decode())
    return out


@pytest.mark.parametrize(
    "spoofed", [b"X-User-Id", b"x-user-id", b"X-USER-ROLES", b"x-User-Anything"]
)
def test_every_client_sent_identity_header_is_removed(spoofed: bytes) -> None:
    result = outgoing([(spoofed, b"admin"), (b"accept", b"application/json")], identity=None)

    assert not any(name.startswith("x-user-") for name in result)
    assert result["accept"] == ["application/json"]


def test_a_client_sent_proof_is_replaced_by_the_gateways() -> None:
    result = outgoing([(b"X-Gateway-Proof", b"forged"), (b"x-gateway-proof", b"forged")])

    assert result["x-gateway-proof"] == ["the-gateways-proof"]


def test_identity_comes_only_from_the_token() -> None:
    result = outgoing([(b"x-user-id", b"someone-else"), (b"x-user-roles", b"ADMIN")])

    assert result["x-user-id"] == ["u-1"]
    assert result["x-user-email"] == ["ada@example.com"]
    assert result["x-user-roles"] == ["USER,SELLER"]


def test_hop_by_hop_credentials_and_gateway_owned_headers_are_dropped() -> None:
    incoming = h(
        connection="keep-alive, X-Secret-Hop",
        x_secret_hop="1",
        keep_alive="timeout=5",
        transfer_encoding="chunked",
        upgrade="websocket",
        te="trailers",
        proxy_authorization="Basic abc",
        authorization="Bearer abc.def.ghi",
        cookie="session=1",
        host="gateway.example",
        content_length="12",
        forwarded="for=1.2.3.4",
        x_forwarded_host="evil.example",
        x_real_ip="1.2.3.4",
        x_request_id="client-chosen",
        content_type="application/json",
        idempotency_key="k-1",
    )

    result = outgoing(incoming)

    for name in (
        "connection",
        "x-secret-hop",
        "keep-alive",
        "transfer-encoding",
        "upgrade",
        "te",
        "proxy-authorization",
        "authorization",
        "cookie",
        "host",
        "content-length",
        "forwarded",
        "x-forwarded-host",
        "x-real-ip",
    ):
        assert name not in result, name
    assert result["x-request-id"] == ["req-1"]
    assert result["content-type"] == ["application/json"]
    assert result["idempotency-key"] == ["k-1"]


def test_x_forwarded_for_is_the_single_client_address() -> None:
    result = outgoing(h(x_forwarded_for="1.1.1.1, 2.2.2.2"))

    assert result["x-forwarded-for"] == ["198.51.100.7"]


def test_a_valid_traceparent_is_propagated_and_a_bad_one_dropped() -> None:
    good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    assert outgoing(h(traceparent=good, tracestate="a=b"))["traceparent"] == [good]
    assert outgoing(h(traceparent=good, tracestate="a=b"))["tracestate"] == ["a=b"]
    bad = outgoing(h(traceparent="garbage", tracestate="a=b"))
    assert "traceparent" not in bad
    assert "tracestate" not in bad


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [
        (None, 0, "10.0.0.9"),
        ("6.6.6.6", 0, "10.0.0.9"),
        ("6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5, 10.1.1.1", 2, "203.0.113.5"),
        ("203.0.113.5", 2, "10.0.0.9"),
        (None, 1, "10.0.0.9"),
    ],
)
def test_client_address(forwarded: str | None, hops: int, expected: str) -> None:
    headers = h(x_forwarded_for=forwarded) if forwarded else []

    assert client_address("10.0.0.9", headers, hops) == expected


def test_client_address_reads_every_x_forwarded_for_header() -> None:
    headers = [(b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-for", b"203.0.113.5, 10.1.1.1")]

    assert client_address("10.0.0.9", headers, 2) == "203.0.113.5"


def test_response_headers_lose_hop_by_hop_and_internal_locations_but_keep_the_length() -> None:
    upstream = h(
        connection="close",
        transfer_encoding="chunked",
        content_length="10",
        server="uvicorn",
        date="yesterday",
        location="http://127.0.0.1:8004/v1/orders/o-1",
        content_type="application/json",
    )

    result = dict(client_response_headers(upstream, upstream_base_url="http://127.0.0.1:8004"))

    # The body is streamed through unchanged, so its length is still the upstream's.
    assert result == {
        b"location": b"/v1/orders/o-1",
        b"content-type": b"application/json",
        b"content-length": b"10",
    }


def test_relative_locations_are_kept() -> None:
    result = client_response_headers(
        h(location="/v1/orders/o-1"), upstream_base_url="http://127.0.0.1:8004"
    )

    assert result == [(b"location", b"/v1/orders/o-1")]


def test_names_listed_in_connection_are_dropped_for_that_message_only() -> None:
    first = outgoing(h(connection="X-Hop-One", x_hop_one="1", x_hop_two="2"))
    second = outgoing(h(x_hop_one="1", x_hop_two="2"))
    back = client_response_headers(
        h(connection="X-Hop-Two", x_hop_one="1", x_hop_two="2"), upstream_base_url="http://u"
    )
    again = client_response_headers(h(x_hop_one="1", x_hop_two="2"), upstream_base_url="http://u")

    assert "x-hop-one" not in first and first["x-hop-two"] == ["2"]
    assert second["x-hop-one"] == ["1"] and second["x-hop-two"] == ["2"]
    assert back == [(b"x-hop-one", b"1")]
    assert again == [(b"x-hop-one", b"1"), (b"x-hop-two", b"2")]


BROWSER_COOKIES = "theme=dark; commerce_refresh=r-1; tracker=abc"


@pytest.mark.parametrize("path", ["/v1/auth/refresh", "/v1/auth/logout"])
def test_auth_gets_the_refresh_cookie_alone_on_its_two_paths(path: str) -> None:
    incoming = [(b"cookie", BROWSER_COOKIES.encode()), (b"Cookie", b"other=1")]

    result = outgoing(incoming, identity=None, upstream="auth", path=path)

    assert result["cookie"] == ["commerce_refresh=r-1"]


@pytest.mark.parametrize(
    ("upstream", "path"),
    [
        ("auth", "/v1/auth/login"),
        ("auth", "/v1/auth/jwks"),
        ("auth", "/v1/auth/refresh/more"),
        ("user", "/v1/auth/refresh"),
        ("product", "/v1/products"),
        ("order", "/v1/orders"),
        ("cart", "/v1/cart"),
    ],
)
def test_no_other_path_or_upstream_ever_gets_a_cookie(upstream: str, path: str) -> None:
    result = outgoing(h(cookie=BROWSER_COOKIES), upstream=upstream, path=path)

    assert "cookie" not in result


def test_a_cookie_header_without_the_refresh_cookie_is_not_forwarded_to_auth() -> None:
    result = outgoing(
        h(cookie="theme=dark; commerce_refreshed=x"), upstream="auth", path="/v1/auth/refresh"
    )

    assert "cookie" not in result


def test_set_cookie_from_auth_reaches_the_client() -> None:
    cookie = b"commerce_refresh=r-1; HttpOnly; Max-Age=60; Path=/v1/auth/refresh; SameSite=strict"
    upstream = [(b"set-cookie", cookie), (b"set-cookie", cookie.replace(b"refresh;", b"logout;"))]

    result = client_response_headers(upstream, upstream_base_url="http://127.0.0.1:8002")

    assert [value for name, value in result if name == b"set-cookie"] == [
        value for _, value in upstream
    ]
