"""The business scenarios of tests/system/features, run against the whole platform.

The feature files are the specification a shop person reads; this module only says what each
of their sentences does through the gateway, and what it checks. Every scenario runs on both
profiles (the autouse ``shop`` needs ``gateway``, so ``running``'s parameters reach it), and
every wait is the bounded poll of test_ordering.py. Payment, the cart and shipping have no
scenarios yet: they come with the features of issue 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx
import pytest
from parse import with_pattern
from pytest_bdd import given, parsers, scenarios, then, when

from tests.system.accounts import PASSWORD, Account, log_in, new_account, sign_up, unique_email
from tests.system.test_ordering import (
    get_order,
    new_product,
    place,
    place_ok,
    wait_final,
    wait_stock,
)

pytestmark = pytest.mark.system

scenarios("features")

PROBLEM = "application/problem+json"


@with_pattern(r"\d{1,3}(?:,\d{3})*")
def money(text: str) -> int:
    """An amount in won as a person writes it: ``37,500``."""
    return int(text.replace(",", ""))


TYPES = {"Money": money}
PRONOUN = r"(?:her|his|their)"
LINES = r'(?P<lines>\d+ "[^"]+"(?: and \d+ "[^"]+")*)'


def order_lines(shop: Shop, text: str) -> list[tuple[str, int]]:
    """``3 "Green tea" and 2 "Tea cup"`` as (product id, quantity) pairs."""
    return [
        (shop.products[name]["id"], int(quantity))
        for quantity, name in re.findall(r'(\d+) "([^"]+)"', text)
    ]


@dataclass
class Person:
    email: str
    password: str = PASSWORD
    account: Account | None = None
    sign_up: httpx.Response | None = None
    sign_in: httpx.Response | None = None
    devices: dict[str, dict] = field(default_factory=dict)
    order_id: str | None = None
    cancel: httpx.Response | None = None


@dataclass
class Shop:
    """What a scenario has seen so far: people by name, products by name, answers."""

    client: httpx.Client
    people: dict[str, Person] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    seller: Account | None = None
    someone: list[httpx.Response] = field(default_factory=list)

    def person(self, name: str) -> Person:
        if name not in self.people:
            self.people[name] = Person(email=unique_email(name.lower()))
        return self.people[name]

    def buyer(self, name: str) -> Account:
        account = self.person(name).account
        assert account is not None, f"{name} is not a signed-in shopper"
        return account

    def order_of(self, name: str) -> str:
        order_id = self.person(name).order_id
        assert order_id is not None, f"{name} has placed no order"
        return order_id


@pytest.fixture(autouse=True)
def shop(gateway: httpx.Client) -> Shop:
    return Shop(gateway)


def refused(response: httpx.Response, status: int = 401) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert "access_token" not in body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- accounts -----------------------------------------------------------------------------


@when(parsers.parse('{name:w} signs up with the password "{password}"'))
def signs_up(shop: Shop, name: str, password: str) -> None:
    person = shop.person(name)
    person.password = password
    person.sign_up = shop.client.post(
        "/v1/users", json={"email": person.email, "password": password}
    )


@then(parsers.parse("{name:w}'s account is opened"))
def account_is_opened(shop: Shop, name: str) -> None:
    person = shop.person(name)
    assert person.sign_up is not None
    assert person.sign_up.status_code == 201, person.sign_up.text
    user = person.sign_up.json()
    assert user["email"] == person.email and user["roles"] == ["USER"] and user["id"]


@given(parsers.parse("{name:w} has an account"))
@given(parsers.parse('{name:w} has an account with the password "{password}"'))
def has_an_account(shop: Shop, name: str, password: str = PASSWORD) -> None:
    person = shop.person(name)
    person.password = password
    sign_up(shop.client, person.email, password)


@when(parsers.parse('{name:w} signs in with the password "{password}"'))
def signs_in(shop: Shop, name: str, password: str) -> None:
    person = shop.person(name)
    person.sign_in = shop.client.post(
        "/v1/auth/login", json={"email": person.email, "password": password}
    )


@then(parsers.parse("{name:w} is signed in"))
def is_signed_in(shop: Shop, name: str) -> None:
    response = shop.person(name).sign_in
    assert response is not None
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer" and response.json()["access_token"]


@then(parsers.re(rf"(?P<name>\w+) sees {PRONOUN} own account"))
def sees_own_account(shop: Shop, name: str) -> None:
    person = shop.person(name)
    assert person.sign_in is not None
    me = shop.client.get("/v1/users/me", headers=bearer(person.sign_in.json()["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == person.email


@when(parsers.parse("someone signs up with {name:w}'s e-mail address written in capitals"))
def someone_signs_up_with_the_same_address(shop: Shop, name: str) -> None:
    email = shop.person(name).email.upper()
    shop.someone.append(shop.client.post("/v1/users", json={"email": email, "password": PASSWORD}))


@then("they are told the e-mail address is taken")
def told_the_address_is_taken(shop: Shop) -> None:
    refused(shop.someone[-1], 409)


@then(parsers.parse("{name:w} is told the password is too short"))
def told_the_password_is_too_short(shop: Shop, name: str) -> None:
    response = shop.person(name).sign_up
    assert response is not None
    body = refused(response, 422)
    assert [error["field"].rsplit(".", 1)[-1] for error in body["errors"]] == ["password"], body


@then(parsers.parse('{name:w} cannot sign in with the password "{password}"'))
def cannot_sign_in(shop: Shop, name: str, password: str) -> None:
    response = shop.client.post(
        "/v1/auth/login", json={"email": shop.person(name).email, "password": password}
    )
    refused(response)


@then(parsers.parse("{name:w} is refused"))
def is_refused(shop: Shop, name: str) -> None:
    response = shop.person(name).sign_in
    assert response is not None
    refused(response)


@then(parsers.parse("{name:w} is given no access to the shop"))
def is_given_no_access(shop: Shop, name: str) -> None:
    response = shop.person(name).sign_in
    assert response is not None
    assert not {"access_token", "refresh_token"} & set(response.json())


@when("someone signs in with an e-mail address nobody signed up with")
def someone_signs_in_unknown(shop: Shop) -> None:
    body = {"email": unique_email("nobody"), "password": PASSWORD}
    shop.someone.append(shop.client.post("/v1/auth/login", json=body))


@then("both are refused with the same message")
def both_refused_alike(shop: Shop) -> None:
    (name,) = shop.people
    response = shop.person(name).sign_in
    assert response is not None
    wrong_password, unknown = refused(response), refused(shop.someone[-1])
    assert {k: wrong_password[k] for k in ("type", "title", "status", "detail")} == {
        k: unknown[k] for k in ("type", "title", "status", "detail")
    }


@given(parsers.re(rf"(?P<name>\w+) is signed in on {PRONOUN} (?P<device>\w+)"))
def is_signed_in_on(shop: Shop, name: str, device: str) -> None:
    person = shop.person(name)
    if not person.devices:
        sign_up(shop.client, person.email, person.password)
    person.devices[device] = log_in(shop.client, person.email, person.password)
    me = shop.client.get("/v1/users/me", headers=bearer(person.devices[device]["access_token"]))
    assert me.status_code == 200, me.text


@when(parsers.re(rf"(?P<name>\w+) signs out on {PRONOUN} (?P<device>\w+)"))
def signs_out_on(shop: Shop, name: str, device: str) -> None:
    tokens = shop.person(name).devices[device]
    response = shop.client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204, response.text


@then(
    parsers.re(
        rf"(?P<name>\w+) can no longer see {PRONOUN} (?P<what>account|orders)"
        rf" on {PRONOUN} (?P<device>\w+)"
    )
)
def can_no_longer_see(shop: Shop, name: str, what: str, device: str) -> None:
    token = shop.person(name).devices[device]["access_token"]
    path = {"account": "/v1/users/me", "orders": "/v1/orders"}[what]
    refused(shop.client.get(path, headers=bearer(token)))


@then(parsers.re(rf"(?P<name>\w+) still sees {PRONOUN} own account on {PRONOUN} (?P<device>\w+)"))
def still_sees_own_account(shop: Shop, name: str, device: str) -> None:
    person = shop.person(name)
    token = person.devices[device]["access_token"]
    me = shop.client.get("/v1/users/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == person.email


# --- ordering -----------------------------------------------------------------------------


@given(
    parsers.parse(
        'a seller offers "{product}" at {price:Money} won with {stock:d} in stock',
        extra_types=TYPES,
    )
)
def seller_offers(shop: Shop, product: str, price: int, stock: int) -> None:
    if shop.seller is None:
        shop.seller = new_account(shop.client, "seller")
    offered = new_product(shop.client, shop.seller, price=price, stock=stock)
    assert (offered["price"], offered["stock"]) == (price, stock)
    shop.products[product] = offered


@given(parsers.parse("{name:w} is a signed-in shopper"))
def signed_in_shopper(shop: Shop, name: str) -> None:
    shop.person(name).account = new_account(shop.client, name.lower())


@when(parsers.re(rf"(?P<name>\w+) orders {LINES}"))
def orders(shop: Shop, name: str, lines: str) -> None:
    response = place(shop.client, shop.buyer(name), order_lines(shop, lines))
    assert response.status_code == 202, response.text
    shop.person(name).order_id = response.json()["id"]


@given(parsers.re(rf"(?P<name>\w+) has a confirmed order for {LINES}"))
def has_a_confirmed_order(shop: Shop, name: str, lines: str) -> None:
    buyer = shop.buyer(name)
    placed = place_ok(shop.client, buyer, order_lines(shop, lines))
    assert wait_final(shop.client, buyer, placed["id"])["status"] == "CONFIRMED"
    shop.person(name).order_id = placed["id"]


@then(parsers.parse("{name:w}'s order is confirmed"))
def order_is_confirmed(shop: Shop, name: str) -> None:
    order = wait_final(shop.client, shop.buyer(name), shop.order_of(name))
    assert (order["status"], order["reason"]) == ("CONFIRMED", None), order


@then(parsers.parse("{name:w}'s order costs {total:Money} won", extra_types=TYPES))
def order_costs(shop: Shop, name: str, total: int) -> None:
    order = get_order(shop.client, shop.buyer(name), shop.order_of(name))
    assert order["total"] == total, order
    assert order["total"] == sum(line["unit_price"] * line["quantity"] for line in order["items"])


@then(parsers.parse("{name:w}'s order is turned down because it is out of stock"))
def order_is_out_of_stock(shop: Shop, name: str) -> None:
    order = wait_final(shop.client, shop.buyer(name), shop.order_of(name))
    assert (order["status"], order["reason"]) == ("REJECTED", "OUT_OF_STOCK"), order


@given(parsers.parse('{left:d} "{product}" are left in stock'))
@then(parsers.parse('{left:d} "{product}" are left in stock'))
def left_in_stock(shop: Shop, left: int, product: str) -> None:
    wait_stock(shop.client, shop.products[product]["id"], left)


@when(parsers.re(r"(?P<name>\w+) cancels the order(?: again)?"))
def cancels(shop: Shop, name: str) -> None:
    person = shop.person(name)
    person.cancel = shop.client.post(
        f"/v1/orders/{shop.order_of(name)}/cancel", headers=shop.buyer(name).auth
    )


@then(parsers.parse("{name:w}'s order is cancelled"))
def order_is_cancelled(shop: Shop, name: str) -> None:
    response = shop.person(name).cancel
    assert response is not None
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert get_order(shop.client, shop.buyer(name), shop.order_of(name))["status"] == "CANCELLED"


@then(parsers.parse("{name:w} is told the order can no longer be cancelled"))
def told_it_cannot_be_cancelled(shop: Shop, name: str) -> None:
    response = shop.person(name).cancel
    assert response is not None
    refused(response, 409)
    order = get_order(shop.client, shop.buyer(name), shop.order_of(name))
    assert order["status"] in {"CANCELLED", "REJECTED"}, order
