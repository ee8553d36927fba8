import pytest

from commerce.gateway.limits import BodyTooLarge, ClientGone, ClientRateLimit, RequestBody
from commerce.kernel.ratelimit import Rate

LOW = Rate(limit=2, period_seconds=3600, burst=2)


def statuses(limit: ClientRateLimit, *addresses: str) -> list[bool]:
    return [limit.check(address).allowed for address in addresses]


def test_addresses_in_one_ipv6_slash_64_share_a_bucket() -> None:
    limit = ClientRateLimit(LOW)

    allowed = statuses(limit, "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe")

    assert allowed == [True, True]
    assert statuses(limit, "2001:db8:1:2:1234::9") == [False]  # the /64 is spent
    assert statuses(limit, "2001:db8:1:3::1") == [True]  # the next /64 is not


def test_ipv4_clients_keep_a_bucket_each_also_when_ipv4_mapped() -> None:
    limit = ClientRateLimit(LOW)

    assert statuses(limit, "192.0.2.1", "::ffff:192.0.2.1", "192.0.2.1") == [
        True,
        True,
        False,
    ]
    assert statuses(limit, "192.0.2.2", "::ffff:192.0.2.3") == [True, True]


def test_only_a_shared_limit_counts_what_it_let_in_for_the_next_reconciliation() -> None:
    local, shared = ClientRateLimit(LOW), ClientRateLimit(LOW, shared=True)

    statuses(local, "192.0.2.1")
    statuses(shared, "192.0.2.1", "192.0.2.1", "192.0.2.1")  # the third is refused

    assert local.pending == {}
    assert shared.pending == {"request:192.0.2.1": 2}


def receiving(*chunks: bytes, then: str = "end"):  # type: ignore[no-untyped-def]
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    if then == "end":
        messages.append({"type": "http.request", "body": b"", "more_body": False})
    else:
        messages.append({"type": "http.disconnect"})
    queue = iter(messages)

    async def receive() -> dict[str, object]:
        return next(queue)

    return receive


async def read(body: RequestBody) -> bytes:
    return b"".join([chunk async for chunk in body])


async def test_a_body_streams_as_it_arrives_within_the_limit() -> None:
    body = RequestBody(receiving(b"ab", b"cd"), max_bytes=4)

    assert not body.started
    assert await read(body) == b"abcd"
    assert body.started and body.size == 4 and body.refused is None


async def test_a_body_over_the_limit_stops_the_stream_and_says_why() -> None:
    body = RequestBody(receiving(b"ab", b"cde"), max_bytes=4)

    with pytest.raises(BodyTooLarge):
        await read(body)
    assert isinstance(body.refused, BodyTooLarge)


async def test_a_client_leaving_mid_body_stops_the_stream_and_says_why() -> None:
    body = RequestBody(receiving(b"ab", then="disconnect"), max_bytes=4)

    with pytest.raises(ClientGone):
        await read(body)
    assert isinstance(body.refused, ClientGone)
