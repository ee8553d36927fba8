"""The operations console in Chromium: an ADMIN finds an order stuck behind a message the
product service could not apply, inspects and replays that dead letter and the order
completes; discards another with a reason, which the audit then shows; others are refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.storefront import go, new_product, open_app, settled, shoot, sign_in, unique_tag
from tests.system.accounts import Account, new_account, with_role
from tests.system.conftest import RunningPlatform
from tests.system.faults import failing_reservations, wait_parked
from tests.system.test_admin import parked_letter, place

REASON = "duplicate of a phone order"
UNAVAILABLE = "The payment service's database is not answering."


def answer_unavailable(route: Route) -> None:
    problem = {"type": "about:blank", "title": "Service Unavailable", "status": 503}
    route.fulfill(
        status=503,
        content_type="application/problem+json",
        body=json.dumps({**problem, "detail": UNAVAILABLE}),
    )


@pytest.fixture(scope="module")
def admin(storefront: RunningPlatform) -> Account:
    with storefront.client() as client:
        return with_role(storefront, client, new_account(client, "ops"), "ADMIN")


@contextmanager
def failing_reservations_off_loop(running: RunningPlatform, product_id: str) -> Iterator[None]:
    """:func:`failing_reservations` from a thread of its own: it runs its SQL with
    ``asyncio.run``, which cannot start in this thread while Playwright's loop runs here."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        fault = failing_reservations(running, product_id)
        thread.submit(fault.__enter__).result()
        try:
            yield
        finally:
            thread.submit(fault.__exit__, None, None, None).result()


def wait_parked_off_loop(running: RunningPlatform, order_id: str) -> None:
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(wait_parked, running, order_id).result()


def signed_in_page(open_context: Callable[[], BrowserContext], account: Account) -> Page:
    page = open_context().new_page()
    open_app(page)
    sign_in(page, account)
    return page


def test_an_admin_replays_a_dead_letter_and_the_stuck_order_completes(
    open_context: Callable[[], BrowserContext],
    storefront: RunningPlatform,
    api: httpx.Client,
    admin: Account,
) -> None:
    seller, buyer = new_account(api, "seller"), new_account(api, "buyer")
    product = new_product(api, seller, f"Fault tea {unique_tag()}", 1_000)
    console, buyer_page = signed_in_page(open_context, admin), signed_in_page(open_context, buyer)

    with failing_reservations_off_loop(storefront, product["id"]):
        stuck_id = place(api, buyer, product["id"])
        other_id = place(api, buyer, product["id"])
        wait_parked_off_loop(storefront, stuck_id)
        wait_parked_off_loop(storefront, other_id)
        go(buyer_page, f"#/orders/{stuck_id}")
        expect(buyer_page.locator(".order-state [data-status=PENDING]")).to_be_visible()

        # Still inside the fault: nothing can have answered these orders yet.
        console.get_by_role("link", name="Operations", exact=True).click()
        settled(console, "#/ops")
        threshold = console.get_by_label("Pending for longer than (seconds)")
        threshold.focus()  # by keyboard: a new threshold, then Enter
        threshold.press("ControlOrMeta+a")
        console.keyboard.type("1")
        console.keyboard.press("Enter")
        settled(console, "#/ops?older_than=1")
        stuck = console.locator(f".stuck-orders tr[data-order-id='{stuck_id}']")
        expect(stuck.locator("[data-waiting-for]")).to_have_attribute("data-waiting-for", "stock")
        # An ADMIN without STAFF may not open the order (a 404): the id to copy, no link.
        expect(stuck.get_by_role("link")).to_have_count(0)
        expect(stuck.locator(".order-id")).to_have_attribute("title", stuck_id)
        product_card = console.get_by_role("region", name="product", exact=True)
        open_count = product_card.locator("[data-open-dead-letters]")
        expect(open_count).to_have_text(re.compile(r"^[1-9][0-9]*$"))
        assert int(open_count.inner_text()) >= 2
        expect(product_card.get_by_role("table")).to_contain_text("commerce.order.events")
        expect(product_card.get_by_role("link", name="Metrics of product")).to_have_attribute(
            "href", re.compile(r"^http://.+/metrics$")
        )
        expect(console.get_by_role("region", name="auth", exact=True)).to_contain_text(
            "metrics only"
        )
        shoot(console, "ops-overview")

        letter_id = parked_letter(api, admin, stuck_id)["id"]
        open_count.click()
        settled(console, "#/ops/product/dead-letters?status=OPEN")
        row = console.locator(f"tr[data-letter-id='{letter_id}']")
        expect(row).to_contain_text("OrderPlaced")
        expect(row).to_contain_text("IntegrityError")
        shoot(console, "ops-dead-letters")
        row.get_by_role("link", name=f"Inspect dead letter {letter_id}").click()
        settled(console, f"#/ops/product/dead-letters/{letter_id}")
        expect(console.locator(".payload")).to_contain_text(f'"order_id": "{stuck_id}"')
        expect(console.locator(".error-type")).to_have_text("IntegrityError")
        expect(console.get_by_role("region", name="Headers")).to_be_visible()
        shoot(console, "ops-dead-letter")

    console.get_by_role("button", name="Replay", exact=True).click()
    expect(console.get_by_role("status")).to_contain_text("Replayed")
    expect(console.get_by_role("region", name="Summary").locator("[data-status]")).to_have_text(
        "Replayed"
    )
    # The buyer's page, open all along, moves on by itself.
    expect(buyer_page.locator(".order-state [data-status=CONFIRMED]")).to_be_visible()

    other_letter = parked_letter(api, admin, other_id)["id"]
    go(console, f"#/ops/product/dead-letters/{other_letter}")
    discard = console.get_by_role("button", name="Discard", exact=True)
    reason = console.get_by_label("Reason")
    discard.click()  # without a reason: refused in the page, nothing sent
    assert reason.evaluate("field => field.validity.valueMissing")
    expect(console.get_by_role("region", name="Summary").locator("[data-status]")).to_have_text(
        "Open"
    )
    reason.focus()
    console.keyboard.type(REASON)
    console.keyboard.press("Tab")
    expect(discard).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.get_by_role("status")).to_have_text("Discarded.")
    expect(console.get_by_role("region", name="Summary")).to_contain_text(REASON)

    console.get_by_role("link", name="Audit", exact=True).click()
    settled(console, "#/ops/product/audit")
    discarded = console.locator(f"tr[data-target='dead-letter:{other_letter}']")
    expect(discarded).to_contain_text(admin.email)
    expect(discarded).to_contain_text(REASON)
    expect(discarded).to_have_attribute("data-action", "discard")
    replayed = console.locator(f"tr[data-target='dead-letter:{letter_id}']")
    expect(replayed).to_have_attribute("data-action", "replay")
    shoot(console, "ops-audit")

    # What the fault parked besides (re-drives of the two orders) goes with "replay all".
    go(console, "#/ops/product/dead-letters?status=OPEN")
    console.get_by_role("button", name="Replay all open").click()
    expect(console.get_by_role("status")).to_have_text(re.compile(r"^Replayed \d+, failed 0\.$"))
    expect(console.get_by_text("No dead letter here.")).to_be_visible()

    # One service's admin API failing shows its problem in its card; the others still show.
    console.route("**/v1/admin/payment/messaging", answer_unavailable)
    console.get_by_role("link", name="Overview").click()
    settled(console, "#/ops")
    console.get_by_role("button", name="Refresh").click()
    payment_card = console.get_by_role("region", name="payment", exact=True)
    expect(payment_card.get_by_role("alert")).to_have_text(UNAVAILABLE)
    expect(
        console.get_by_role("region", name="product", exact=True).get_by_role("table")
    ).to_be_visible()
    console.get_by_role("button", name="한국어").click()
    settled(console, "#/ops")
    expect(console.get_by_role("heading", level=2, name="멈춘 주문")).to_be_visible()
    shoot(console, "ops-overview-ko")


def test_the_console_is_for_admins_only(
    open_context: Callable[[], BrowserContext], api: httpx.Client
) -> None:
    page = signed_in_page(open_context, new_account(api, "buyer"))

    expect(page.get_by_role("link", name="My orders")).to_be_visible()
    expect(page.get_by_role("link", name="Operations")).to_have_count(0)
    go(page, "#/ops")
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not open this page")
    go(page, "#/ops/product/dead-letters")
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not open this page")
