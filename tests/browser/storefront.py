"""Steps the browser journeys share: moving around the single-page app without reloading
it, signing in through its form, screenshots, the accessibility check, and API set-up."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.system.accounts import Account
from tests.system.test_ordering import wait_final

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CONTROLS = "input, select, textarea, button"
ANY_TEXT = re.compile(r"\S")
# Records every status the order page shows (a MutationObserver set up before the app's
# own scripts run), so "PENDING, then CONFIRMED" is checked without racing the page.
RECORD_STATUSES = """
window.shownStatuses = [];
new MutationObserver(() => {
  const badge = document.querySelector('.order-state [data-status]');
  const status = badge && badge.dataset.status;
  if (status && window.shownStatuses.at(-1) !== status) window.shownStatuses.push(status);
}).observe(document, { subtree: true, childList: true, attributes: true });
"""


def open_app(page: Page, hash_: str = "#/") -> None:
    """The first load of the app (later moves use :func:`go`, which never reloads)."""
    page.add_init_script(RECORD_STATUSES)
    page.goto("/" + hash_)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    settled(page, hash_)


def go(page: Page, hash_: str) -> None:
    page.evaluate("hash => { location.hash = hash }", hash_)
    settled(page, hash_)


def settled(page: Page, hash_: str) -> None:
    expect(page.locator("main")).to_have_attribute("data-rendered", hash_)


def shoot(page: Page, name: str) -> None:
    """Checks every control of the page has an accessible name, then saves its picture."""
    assert_controls_named(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def assert_controls_named(page: Page) -> None:
    controls = page.locator(CONTROLS)
    assert controls.count() > 0
    for index in range(controls.count()):
        expect(controls.nth(index)).to_have_accessible_name(ANY_TEXT)


def sign_in(page: Page, account: Account) -> None:
    """Through the sign-in form, from wherever the app is."""
    go(page, "#/signin")
    page.get_by_label("E-mail").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in", exact=True).last.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    settled(page, "#/")


def unique_tag() -> str:
    return uuid.uuid4().hex[:10]


def new_product(client: httpx.Client, seller: Account, name: str, price: int) -> dict:
    response = client.post(
        "/v1/products",
        json={"name": name, "price": price, "stock": 20},
        headers=seller.auth,
    )
    assert response.status_code == 201, response.text
    return response.json()


def fill_cart(client: httpx.Client, buyer: Account, *products: dict) -> None:
    for product in products:
        response = client.put(
            f"/v1/cart/items/{product['id']}", json={"quantity": 1}, headers=buyer.auth
        )
        assert response.status_code == 200, response.text


def confirmed_order(client: httpx.Client, buyer: Account, product: dict) -> dict:
    """An order placed and paid by card, once the saga has confirmed it."""
    response = client.post(
        "/v1/orders",
        json={
            "items": [{"product_id": product["id"], "quantity": 1}],
            "payment": {"method": "card", "token": "tok_visa"},
        },
        headers=buyer.auth,
    )
    assert response.status_code == 202, response.text
    order = wait_final(client, buyer, response.json()["id"])
    assert order["status"] == "CONFIRMED", order
    return order
