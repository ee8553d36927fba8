"""A bounded property-based fuzz of the public contract through the gateway (docs/adr/0090,
docs/adr/0091).

API.md: "No request, however malformed, yields a 5xx", and every error is problem+json.
Schemathesis reads the gateway's merged ``/openapi.json`` and sends, to every operation,
requests generated from it: schema-valid ones and deliberately broken ones (wrong types,
missing and unknown fields, values out of range, odd encodings, unsupported methods,
missing parameters). Every built-in check runs (``--checks all``), so each response must,
among others:

- not be a 5xx (``not_a_server_error``);
- if it is an error, be ``application/problem+json`` with ``type``, ``title``, ``status``
  (equal to the HTTP status) and ``detail``, plus ``errors`` on a 422, and leak no
  traceback; every response carries ``X-Request-Id`` (``problem_details``, ours);
- have a status, media type, headers and body the document lists;
- refuse a request the schema forbids (``negative_data_rejection``) and accept one it
  allows (``positive_data_acceptance``): the document states every rule the server keeps;
- answer a method the path does not serve with 405 and an ``Allow`` that lists exactly the
  documented methods (``unsupported_method``, ``allow_header_conformance``);
- for a protected operation that answered 2xx, be refused without a token and with a bad
  one (``ignored_auth`` sends those probes itself).

A second pass sends the protected operations no valid token (schemathesis makes up
``Authorization`` values) and forged ``X-User-*`` identity headers: every answer must be 401.
Two small Hypothesis properties reach what a schema cannot describe: opaque cursors that
decode to hostile positions, and access tokens whose header members have the wrong types.

Bounds, so CI stays fast and reproducible: a fixed number of generated examples per
operation, derandomized generation (same requests on every run, no example database), a
request timeout, and a timeout on each test. No Hypothesis deadline: timing assertions
would make the suite flaky. Loopback only: the platform of ``tests/system/conftest.py``.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from tests.system.accounts import Account, new_account
from tests.system.conftest import RunningPlatform
from tests.system.fuzz_inputs import ASSIGNED, as_a_client_sends_it, as_the_server_reads_it

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.timeout(120)]

MAX_EXAMPLES = 25
ANONYMOUS_MAX_EXAMPLES = 10
PROPERTY_EXAMPLES = 25
REQUEST_TIMEOUT_SECONDS = 10
PROBLEM = "application/problem+json"
PROBLEM_MEMBERS = {"type": str, "title": str, "status": int, "detail": str}
# What a leaked stack trace or SQL error would contain; never in any answer.
LEAK_MARKERS = ("Traceback (most recent call last)", "sqlalchemy", 'File "/')

# The operations API.md names: the fuzz must reach each one, or the merge lost a service.
CONTRACT_OPERATIONS = {
    "POST /v1/users",
    "GET /v1/users/me",
    "POST /v1/auth/login",
    "POST /v1/auth/refresh",
    "POST /v1/auth/logout",
    "GET /v1/auth/jwks",
    "POST /v1/products",
    "GET /v1/products",
    "GET /v1/products/{product_id}",
    "PATCH /v1/products/{product_id}",
    "POST /v1/orders",
    "GET /v1/orders",
    "GET /v1/orders/{order_id}",
    "POST /v1/orders/{order_id}/cancel",
}
PROTECTED_OPERATIONS = {
    "GET /v1/users/me",
    "POST /v1/products",
    "PATCH /v1/products/{product_id}",
    "POST /v1/orders",
    "GET /v1/orders",
    "GET /v1/orders/{order_id}",
    "POST /v1/orders/{order_id}/cancel",
}


def fuzz_config(base_url: str, max_examples: int) -> SchemathesisConfig:
    """Explicit settings, so that no ``schemathesis.toml`` anywhere changes the run."""
    return SchemathesisConfig.from_dict(
        {
            "base-url": base_url,
            "checks": {"enabled": True},  # every built-in check: the CLI's --checks all
            "generation": {
                "mode": "all",  # schema-valid and schema-violating requests
                "codec": ASSIGNED,  # text from every assigned character (fuzz_inputs.py)
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
            },
            # Stateful sequences multiply the requests; links between operations are not
            # documented anyway, and the saga has its own system tests.
            "phases": {"stateful": {"enabled": False}},
            "request-timeout": REQUEST_TIMEOUT_SECONDS,
        }
    )


@dataclass
class FuzzTarget:
    """One caller and resources it owns, so that some requests get past the 404s."""

    account: Account
    ids: dict[str, str]
    cursor: str  # a next_cursor the catalog issued
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    def report(self, name: str) -> str:
        by_status = Counter[int]()
        for (_, status), count in self.statuses.items():
            by_status[status] += count
        total = sum(self.statuses.values())
        return f"{name}: {total} requests, by status {dict(sorted(by_status.items()))}"


def new_product(gateway: httpx.Client, account: Account) -> dict[str, Any]:
    product = gateway.post(
        "/v1/products",
        json={"name": f"Fuzz {uuid.uuid4().hex[:8]}", "price": 1_000, "stock": 1_000_000},
        headers=account.auth,
    )
    assert product.status_code == 201, product.text
    body: dict[str, Any] = product.json()
    return body


def issued_cursor(gateway: httpx.Client) -> str:
    page = gateway.get("/v1/products", params={"limit": 1})
    assert page.status_code == 200, page.text
    cursor: str = page.json()["next_cursor"]
    return cursor


@pytest.fixture
def fuzz_target(gateway: httpx.Client) -> FuzzTarget:
    account = new_account(gateway, "fuzz")
    new_product(gateway, account)  # two at least, so that the first page has a next_cursor
    product = new_product(gateway, account)
    order = gateway.post(
        "/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
        headers=account.auth,
    )
    assert order.status_code == 202, order.text
    ids = {"user_id": account.id, "product_id": product["id"], "order_id": order.json()["id"]}
    return FuzzTarget(account=account, ids=ids, cursor=issued_cursor(gateway))


def load_schema(running: RunningPlatform, max_examples: int) -> schemathesis.BaseSchema:
    with running.client() as gateway:
        document = gateway.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(
        as_the_server_reads_it(document), config=fuzz_config(running.gateway_url, max_examples)
    )
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels >= CONTRACT_OPERATIONS, f"missing from the merged document: {labels}"
    return schema


@pytest.fixture
def api_schema(running: RunningPlatform) -> schemathesis.BaseSchema:
    return load_schema(running, MAX_EXAMPLES)


@pytest.fixture
def anonymous_api_schema(running: RunningPlatform) -> schemathesis.BaseSchema:
    return load_schema(running, ANONYMOUS_MAX_EXAMPLES)


@pytest.fixture
def reached(fuzz_target: FuzzTarget, request: pytest.FixtureRequest) -> Iterator[FuzzTarget]:
    """Counts the answers; afterwards, every contract operation must have been called."""
    yield fuzz_target
    print(fuzz_target.report(request.node.name))  # visible with -s or -rP
    called = {label for label, _ in fuzz_target.statuses}
    anonymous = request.node.originalname.startswith("test_anonymous")
    expected = PROTECTED_OPERATIONS if anonymous else CONTRACT_OPERATIONS
    assert called >= expected, f"never called: {sorted(expected - called)}"


# --- Checks (schemathesis calls each with the response of every generated request) ---------


def header(response: schemathesis.Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def problem_details(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """API.md conventions: X-Request-Id everywhere; errors are complete problem+json."""
    assert header(response, "x-request-id"), "no X-Request-Id"
    text = response.content.decode("utf-8", "replace")
    leaks = [marker for marker in LEAK_MARKERS if marker in text]
    assert not leaks, f"internals in the body: {leaks}"
    if response.status_code < 400:
        return
    content_type = header(response, "content-type") or ""
    assert content_type.startswith(PROBLEM), f"error as {content_type!r}, not {PROBLEM}"
    body = json.loads(text)
    assert isinstance(body, dict), body
    for member, kind in PROBLEM_MEMBERS.items():
        assert isinstance(body.get(member), kind), f"{member!r} missing or not {kind}: {body}"
    assert body["status"] == response.status_code, body
    if response.status_code == 422:
        assert isinstance(body.get("errors"), list), f"a 422 without errors: {body}"


def refused_without_a_token(ctx: Any, response: schemathesis.Response, case: Any) -> None:
    if case.method.upper() != case.operation.method.upper() and response.status_code == 405:
        return  # a probe with a method the path does not serve (the gateway refuses TRACE)
    assert response.status_code == 401, f"{response.status_code} without a valid token"
    assert (header(response, "www-authenticate") or "").startswith("Bearer")


def is_protected(ctx: Any) -> bool:
    return bool(ctx.operation.definition.raw.get("security"))


def aim_at_real_resources(case: schemathesis.Case, ids: dict[str, str]) -> None:
    """Point about half of the schema-valid cases at resources the caller owns.

    Random ids only ever find 404s; real ones reach the 200/403/409 paths and their bodies.
    The choice depends on the generated values only, so runs stay reproducible.
    """
    if not case.path_parameters or case.meta is None or case.meta.generation.mode.is_negative:
        return
    generated = json.dumps(case.path_parameters, sort_keys=True, default=str)
    if zlib.crc32(generated.encode()) % 2:
        return
    for name in case.path_parameters:
        if name in ids:
            case.path_parameters[name] = ids[name]


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's ``from_fixture`` reads ``node._nodeid``, which pytest 9.2 renamed.

    It only uses it to label each operation's report; give it the id it expects.
    """
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


# The admin API is one kernel router in every service: one copy (product's) is enough, and
# with this user's token it is refused anyway, so nothing is ever replayed (docs/adr/0049).
OTHER_ADMIN_APIS = r"^/v1/admin/(?!product/)"
# A live order stream lasts until its order is final: a fuzzed request would wait out its
# timeout on the fuzz account's CONFIRMED order. test_live_order_status.py checks the path's
# answers and refusals; without a token it is still fuzzed below (all 401).
LIVE_STREAMS = r"/events$"
schema = (
    schemathesis.pytest.from_fixture("api_schema")
    .exclude(path_regex=OTHER_ADMIN_APIS)
    .exclude(path_regex=LIVE_STREAMS)
)
anonymous_schema = (
    schemathesis.pytest.from_fixture("anonymous_api_schema")
    .include(is_protected)
    .exclude(path_regex=OTHER_ADMIN_APIS)
)


@schema.parametrize()
def test_no_request_with_a_token_gets_a_5xx_or_breaks_the_contract(
    case: schemathesis.Case, reached: FuzzTarget
) -> None:
    aim_at_real_resources(case, reached.ids)
    as_a_client_sends_it(case, reached.cursor)
    # No ``checks=``: every check the configuration enables, which is all of them.
    response = case.call_and_validate(
        headers=reached.account.auth, additional_checks=[problem_details]
    )
    reached.statuses[(case.operation.label, response.status_code)] += 1


@anonymous_schema.parametrize()
def test_anonymous_protected_requests_are_all_401(
    case: schemathesis.Case, reached: FuzzTarget
) -> None:
    # Identity headers a client sends are dropped by the gateway (API.md): claiming to be the
    # fuzz account must not get past the token check.
    spoofed = {
        "X-User-Id": reached.account.id,
        "X-User-Email": reached.account.email,
        "X-User-Roles": "USER ADMIN",
    }
    as_a_client_sends_it(case, reached.cursor)
    response = case.call_and_validate(
        headers=spoofed, additional_checks=[problem_details, refused_without_a_token]
    )
    reached.statuses[(case.operation.label, response.status_code)] += 1


# --- Properties for inputs the schema cannot describe ----------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=PROPERTY_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_refused_cleanly(response: httpx.Response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text)
    assert response.headers.get("x-request-id")
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM), response.headers
        body = response.json()
        assert all(isinstance(body.get(k), t) for k, t in PROBLEM_MEMBERS.items()), body
        assert response.status_code != 422 or isinstance(body.get("errors"), list), body


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
zones = st.none() | offsets  # naive, or any offset a time zone can have
# Times near datetime's ends overflow when moved to UTC: the edges get their own branch.
edges = st.datetimes(max_value=datetime(1, 1, 2)) | st.datetimes(min_value=datetime(9999, 12, 30))
times = st.one_of(
    st.datetimes(timezones=zones).map(datetime.isoformat),
    edges.flatmap(lambda moment: zones.map(lambda zone: moment.replace(tzinfo=zone).isoformat())),
    st.dates().map(lambda day: day.isoformat()),
    st.text(max_size=30),
    st.integers() | st.none(),
)
keys = st.one_of(st.text(max_size=70), st.integers(), st.none(), st.lists(st.text(), max_size=2))
# Both key spellings a cursor has used ("i" and "id"), with the same hostile value.
positions = st.builds(lambda t, key: {"t": t, "i": key, "id": key}, times, keys)


@PROPERTY_SETTINGS
@given(position=positions)
# The two that broke the catalog and the orders: out of datetime's range once moved to UTC.
@example(position={"t": "0001-01-01T00:00:00+14:00", "i": "x", "id": "x"})
@example(position={"t": "9999-12-31T23:59:59-14:00", "i": "x", "id": "x"})
def test_a_forged_cursor_is_a_200_or_a_422(
    gateway: httpx.Client, fuzz_target: FuzzTarget, position: dict[str, Any]
) -> None:
    cursor = b64(position)
    for path in ("/v1/products", "/v1/orders"):
        response = gateway.get(path, params={"cursor": cursor}, headers=fuzz_target.account.auth)
        assert_refused_cleanly(response, {200, 422})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
header_members = st.dictionaries(
    st.sampled_from(["alg", "kid", "typ", "crit", "jku", "x5u", "b64"]), json_values, min_size=1
)


@PROPERTY_SETTINGS
@given(members=header_members)
def test_a_token_with_a_forged_header_is_a_401(
    gateway: httpx.Client, fuzz_target: FuzzTarget, members: dict[str, Any]
) -> None:
    header_segment, payload, signature = fuzz_target.account.access_token.split(".")
    original = json.loads(
        base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4))
    )
    token = ".".join((b64({**original, **members}), payload, signature))
    auth = {"Authorization": f"Bearer {token}"}
    # A protected route and a public one: a bad token is refused on both (docs/adr/0030).
    for method, path in (("GET", "/v1/users/me"), ("GET", "/v1/products")):
        assert_refused_cleanly(gateway.request(method, path, headers=auth), {401})
