"""The business scenarios of tests/system/features, run against the whole platform.

The feature files are the specification a shop person reads; this module only says what each
of their sentences does through the gateway, and what it checks. Every scenario runs on both
profiles (the autouse ``shop`` needs ``gateway``, so ``running``'s parameters reach it), and
every wait is the bounded poll of test_ordering.py. The simulated bank's test cards stand
behind the plain words the features use for them (``CARDS``); the staff are an account an
operator granted STAFF (``with_role``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import httpx
import pytest
from parse import with_pattern
from pytest_bdd import given, parsers, scenarios, then, when

from tests.system.accounts import (
    PASSWORD,
    Account,
    log_in,
    new_account,
    sign_up,
    unique_email,
    with_role,
)
from tests.system.conftest import RunningPlatform
from tests.system.test_ordering import (
    get_order,
    new_product,
    place,
    place_ok,
    poll,
    wait_final,
    wait_stock,
)
from tests.system.test_shopping_flow import card, cart_of, order_with, placed, put, wait_payment

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
CARDS = {"a card the bank approves": "tok_visa", "a card the bank declines": "tok_declined"}
CARD = rf"(?P<card_words>{'|'.join(CARDS)})"
OWNER = rf"(?:(?P<owner>\w+)'s|{PRONOUN} own)"


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
    status_before_cancel: str | None = None
    answer: httpx.Response | None = None  # to the last checkout, shipping or delivery


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
        person = self.person(name)
        answer = person.answer.text if person.answer is not None else ""
        assert person.order_id is not None, f"{name} has placed no order {answer}"
        return person.order_id

    def order(self, name: str) -> dict:
        return get_order(self.client, self.buyer(name), self.order_of(name))


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
    person.status_before_cancel = shop.order(name)["status"]
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
    person = shop.person(name)
    assert person.cancel is not None
    refused(person.cancel, 409)
    assert person.status_before_cancel in {"CANCELLED", "REJECTED", "SHIPPED", "DELIVERED"}
    assert shop.order(name)["status"] == person.status_before_cancel


# --- payment ------------------------------------------------------------------------------


@when(parsers.re(rf"(?P<name>\w+) orders {LINES} and pays with {CARD}"))
def orders_and_pays(shop: Shop, name: str, lines: str, card_words: str) -> None:
    response = order_with(
        shop.client, shop.buyer(name), order_lines(shop, lines), card(CARDS[card_words])
    )
    shop.person(name).order_id = placed(response)["id"]


@given(parsers.re(rf"(?P<name>\w+) has a confirmed order for {LINES} paid with {CARD}"))
def has_a_confirmed_card_order(shop: Shop, name: str, lines: str, card_words: str) -> None:
    orders_and_pays(shop, name, lines, card_words)
    order_is_confirmed(shop, name)


@then(parsers.parse("{name:w}'s order is turned down because the payment was declined"))
def order_is_declined(shop: Shop, name: str) -> None:
    order = wait_final(shop.client, shop.buyer(name), shop.order_of(name))
    assert (order["status"], order["reason"]) == ("REJECTED", "PAYMENT_DECLINED"), order


PAYMENT_STATUS = {"approved": "AUTHORIZED", "declined": "DECLINED", "charged": "CAPTURED"}


@given(parsers.re(r"(?P<name>\w+)'s card payment is (?P<what>approved|declined|charged)"))
@then(parsers.re(r"(?P<name>\w+)'s card payment is (?P<what>approved|declined|charged)"))
def card_payment_is(shop: Shop, name: str, what: str) -> None:
    order = wait_payment(shop.client, shop.buyer(name), shop.order_of(name), PAYMENT_STATUS[what])
    assert order["payment"]["method"] == "card", order


# --- cart ---------------------------------------------------------------------------------


@given(parsers.re(rf'(?P<name>\w+) puts (?P<quantity>\d+) "(?P<product>[^"]+)" in {PRONOUN} cart'))
@when(parsers.re(rf'(?P<name>\w+) puts (?P<quantity>\d+) "(?P<product>[^"]+)" in {PRONOUN} cart'))
def puts_in_cart(shop: Shop, name: str, quantity: str, product: str) -> None:
    response = put(shop.client, shop.buyer(name), shop.products[product]["id"], int(quantity))
    assert response.status_code == 200, response.text
    line = {i["product_id"]: i for i in response.json()["items"]}[shop.products[product]["id"]]
    assert (line["name"], line["quantity"]) == (shop.products[product]["name"], int(quantity))


@given(parsers.parse("{name:w}'s cart costs {total:Money} won", extra_types=TYPES))
def cart_costs(shop: Shop, name: str, total: int) -> None:
    cart = cart_of(shop.client, shop.buyer(name))
    assert cart["total"] == total, cart
    assert cart["total"] == sum(line["unit_price"] * line["quantity"] for line in cart["items"])


@when(parsers.re(rf"(?P<name>\w+) checks out {PRONOUN} cart and pays with {CARD}"))
def checks_out(shop: Shop, name: str, card_words: str) -> None:
    person = shop.person(name)
    headers = {**shop.buyer(name).auth, "Idempotency-Key": str(uuid.uuid4())}
    person.answer = shop.client.post(
        "/v1/cart/checkout", json={"payment": card(CARDS[card_words])}, headers=headers
    )
    if person.answer.status_code == 202:
        person.order_id = placed(person.answer)["id"]


@then(parsers.re(rf"(?P<name>\w+)'s order is for {LINES}"))
def order_is_for(shop: Shop, name: str, lines: str) -> None:
    order = shop.order(name)
    ordered = sorted((line["product_id"], line["quantity"]) for line in order["items"])
    assert ordered == sorted(order_lines(shop, lines)), order


@then(parsers.re(rf"(?P<name>\w+)'s cart holds only {LINES}"))
def cart_holds_only(shop: Shop, name: str, lines: str) -> None:
    def held() -> list[tuple[str, int]]:
        items = cart_of(shop.client, shop.buyer(name))["items"]
        return sorted((line["product_id"], line["quantity"]) for line in items)

    expected = sorted(order_lines(shop, lines))
    poll(held, lambda lines_held: lines_held == expected, f"{name}'s cart")


@then(parsers.re(rf"(?P<name>\w+) is told {PRONOUN} cart is empty"))
def told_the_cart_is_empty(shop: Shop, name: str) -> None:
    answer = shop.person(name).answer
    assert answer is not None
    refused(answer, 409)
    assert shop.person(name).order_id is None


@then(parsers.parse("{name:w} has no orders"))
def has_no_orders(shop: Shop, name: str) -> None:
    response = shop.client.get("/v1/orders", headers=shop.buyer(name).auth)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


# --- shipping and delivery ----------------------------------------------------------------


@given(parsers.parse("{name:w} is on the shop's staff"))
def is_on_the_staff(running: RunningPlatform, shop: Shop, name: str) -> None:
    account = new_account(shop.client, name.lower())
    shop.person(name).account = with_role(running, shop.client, account, "STAFF")


@when(
    parsers.re(
        rf"(?P<who>\w+) (?:ships|tries to ship) {OWNER} order with"
        r' "(?P<carrier>[^"]+)" under tracking number "(?P<tracking>[^"]+)"'
    )
)
def ships(shop: Shop, who: str, owner: str | None, carrier: str, tracking: str) -> None:
    order_id = shop.order_of(owner or who)
    shop.person(who).answer = shop.client.post(
        f"/v1/orders/{order_id}/ship",
        json={"carrier": carrier, "tracking_number": tracking},
        headers=shop.buyer(who).auth,
    )


@when(parsers.re(rf"(?P<who>\w+) (?:notes|tries to note) that {OWNER} order was delivered"))
def notes_delivery(shop: Shop, who: str, owner: str | None) -> None:
    order_id = shop.order_of(owner or who)
    shop.person(who).answer = shop.client.post(
        f"/v1/orders/{order_id}/deliver", headers=shop.buyer(who).auth
    )


@then(
    parsers.parse(
        '{name:w}\'s order is shipped with "{carrier}" under tracking number "{tracking}"'
    )
)
def order_is_shipped(shop: Shop, name: str, carrier: str, tracking: str) -> None:
    order = shop.order(name)
    assert order["status"] == "SHIPPED", order
    shipment = order["shipment"]
    assert (shipment["carrier"], shipment["tracking_number"]) == (carrier, tracking), order
    assert shipment["shipped_at"] and shipment["delivered_at"] is None, order


@then(parsers.parse("{name:w}'s order is delivered"))
def order_is_delivered(shop: Shop, name: str) -> None:
    order = shop.order(name)
    assert order["status"] == "DELIVERED", order
    assert order["shipment"]["shipped_at"] <= order["shipment"]["delivered_at"], order
    assert order["payment"]["status"] == "CAPTURED", order


@then(parsers.parse("{name:w} is told only the shop's staff may do that"))
def told_only_staff(shop: Shop, name: str) -> None:
    answer = shop.person(name).answer
    assert answer is not None
    refused(answer, 403)


@then(parsers.parse("{name:w} is told the order has not shipped yet"))
def told_not_shipped(shop: Shop, name: str) -> None:
    answer = shop.person(name).answer
    assert answer is not None
    refused(answer, 409)


@then(parsers.parse("{name:w}'s order is still confirmed and not shipped"))
def still_confirmed(shop: Shop, name: str) -> None:
    order = shop.order(name)
    assert (order["status"], order["shipment"]) == ("CONFIRMED", None), order
    assert order["payment"]["status"] == "AUTHORIZED", order
