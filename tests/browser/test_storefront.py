"""The storefront's journeys in Chromium, through the gateway of a running platform."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.storefront import (
    assert_controls_named,
    confirmed_order,
    fill_cart,
    go,
    new_product,
    open_app,
    settled,
    shoot,
    sign_in,
    unique_tag,
)
from tests.system.accounts import PASSWORD, Account, new_account, unique_email


def test_sign_up_search_fill_the_cart_and_watch_the_order_confirm_live(
    page: Page, api: httpx.Client
) -> None:
    seller = new_account(api, "seller")
    tag = unique_tag()
    tea = new_product(api, seller, f"Jeju green tea {tag}", 4_500)
    jam = new_product(api, seller, f"Hallabong jam {tag}", 12_000)

    open_app(page, "#/signup")
    shoot(page, "signup")
    page.get_by_label("Name (optional)").fill("Min-ji")
    page.get_by_label("E-mail").fill(unique_email("buyer"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    settled(page, "#/")
    page.evaluate("window.journeyMarker = 'still the same page'")
    loaded_at = page.evaluate("window.commerceLoadedAt")

    page.get_by_label("Search products").fill(tag)
    page.get_by_role("button", name="Search", exact=True).click()
    settled(page, f"#/?q={tag}")
    expect(page.locator(".card")).to_have_count(2)
    shoot(page, "catalog")
    page.get_by_role("link", name=tea["name"]).click()
    settled(page, f"#/products/{tea['id']}")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added to your cart.")
    shoot(page, "product")
    go(page, f"#/products/{jam['id']}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added to your cart.")

    page.get_by_role("link", name="Cart", exact=True).click()
    settled(page, "#/cart")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator(".total")).to_have_text("₩21,000")
    page.get_by_label("Payment").select_option("tok_visa")
    shoot(page, "cart")
    page.get_by_role("button", name="Place order").click()

    expect(page.locator(".order-state [data-status=CONFIRMED]")).to_be_visible()
    expect(page.locator(".order-state")).to_have_attribute("data-live", "stream")
    assert page.evaluate("window.shownStatuses")[:2] == ["PENDING", "CONFIRMED"]
    assert page.evaluate("window.journeyMarker") == "still the same page"
    assert page.evaluate("window.commerceLoadedAt") == loaded_at
    shoot(page, "order")
    go(page, "#/orders")
    expect(page.locator(".rows li")).to_have_count(1)
    shoot(page, "orders")


def test_a_declined_card_shows_its_reason_and_keeps_the_cart(page: Page, api: httpx.Client) -> None:
    seller, buyer = new_account(api, "seller"), new_account(api, "buyer")
    tag = unique_tag()
    fill_cart(
        api,
        buyer,
        new_product(api, seller, f"Barley tea {tag}", 3_000),
        new_product(api, seller, f"Citron tea {tag}", 5_000),
    )

    open_app(page, "#/signin")
    shoot(page, "signin")
    sign_in(page, buyer)
    go(page, "#/cart")
    page.get_by_label("Payment").select_option("tok_declined")
    page.get_by_role("button", name="Place order").click()

    expect(page.locator(".order-state [data-status=REJECTED]")).to_be_visible()
    expect(page.locator(".reason")).to_have_text("The card was declined")
    expect(page.locator(".reason")).to_have_attribute("data-reason", "PAYMENT_DECLINED")
    shoot(page, "order-declined")
    go(page, "#/cart")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator(".total")).to_have_text("₩8,000")

    page.get_by_label(f"Quantity of Barley tea {tag}").fill("3")
    page.get_by_role("row", name=re.compile(f"Barley tea {tag}")).get_by_role(
        "button", name="Update"
    ).click()
    expect(page.locator(".total")).to_have_text("₩14,000")
    page.get_by_role("button", name=f"Remove Citron tea {tag}").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator(".total")).to_have_text("₩9,000")


def test_a_seller_lists_a_product_that_the_catalog_then_finds(
    page: Page, api: httpx.Client
) -> None:
    seller = new_account(api, "seller")
    name = f"Omija syrup {unique_tag()}"

    open_app(page)
    sign_in(page, seller)
    page.reload()  # the session comes back from the HttpOnly refresh cookie, not from storage
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage).concat(Object.keys(localStorage))") == []
    cookies = page.context.cookies()
    assert cookies and all(cookie["httpOnly"] for cookie in cookies), cookies
    page.get_by_role("link", name="Sell", exact=True).click()
    settled(page, "#/sell")
    page.get_by_role("link", name="New product").click()
    settled(page, "#/sell/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill("Five-flavour berry syrup from Mungyeong.")
    page.get_by_label("Price (KRW)").fill("9900")
    page.get_by_label("Stock").fill("7")
    shoot(page, "sell-new")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", name="Edit product")).to_be_visible()
    page.get_by_label("Price (KRW)").fill("8900")
    page.get_by_label("Stock").fill("12")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    shoot(page, "sell-edit")
    go(page, "#/sell")
    row = page.get_by_role("row", name=re.compile(re.escape(name)))
    expect(row).to_contain_text("₩8,900")
    expect(row).to_contain_text("12")
    shoot(page, "sell")

    go(page, "#/")
    page.get_by_label("Search products").fill(name)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("link", name=name)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.reload()  # signed out for good: the cookie is gone
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_staff_ships_and_the_buyer_sees_shipped_arrive_live(
    open_context: Callable[[], BrowserContext], api: httpx.Client, staff: Account
) -> None:
    seller, buyer = new_account(api, "seller"), new_account(api, "buyer")
    order = confirmed_order(api, buyer, new_product(api, seller, f"Kimchi {unique_tag()}", 15_000))
    buyer_page, staff_page = open_context().new_page(), open_context().new_page()

    open_app(buyer_page)
    sign_in(buyer_page, buyer)
    go(buyer_page, f"#/orders/{order['id']}")
    expect(buyer_page.locator(".order-state [data-status=CONFIRMED]")).to_be_visible()
    loaded_at = buyer_page.evaluate("window.commerceLoadedAt")

    open_app(staff_page)
    sign_in(staff_page, staff)
    staff_page.get_by_role("link", name="Fulfilment").click()
    settled(staff_page, "#/staff")
    row = f"li[data-order-id='{order['id']}']"
    ship = staff_page.get_by_role("region", name="To ship").locator(row)
    ship.get_by_label("Carrier").fill("CJ Logistics")
    ship.get_by_label("Tracking number").fill("6543-2109-8765")
    shoot(staff_page, "staff")
    ship.get_by_role("button", name="Ship").click()
    expect(ship).to_have_count(0)
    expect(staff_page.get_by_role("region", name="To deliver").locator(row)).to_have_count(1)

    expect(buyer_page.locator(".order-state [data-status=SHIPPED]")).to_be_visible()
    expect(buyer_page.locator(".order-state")).to_contain_text("6543-2109-8765")
    assert buyer_page.evaluate("window.commerceLoadedAt") == loaded_at
    shoot(buyer_page, "order-shipped")

    deliver = staff_page.get_by_role("button", name=f"Mark order {order['id'][:8]} delivered")
    deliver.click()
    expect(buyer_page.locator(".order-state [data-status=DELIVERED]")).to_be_visible()


def test_the_language_switch_turns_the_shop_korean_with_prices_in_krw(
    page: Page, api: httpx.Client
) -> None:
    seller = new_account(api, "seller")
    tag = unique_tag()
    new_product(api, seller, f"녹차 {tag}", 4_500)

    open_app(page, f"#/?q={tag}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalog")
    page.get_by_role("button", name="한국어").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("상품 목록")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("button", name="한국어")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("상품 검색")).to_have_value(tag)
    korean_price = page.evaluate(
        "n => new Intl.NumberFormat('ko', {style: 'currency', currency: 'KRW'}).format(n)", 4_500
    )
    expect(page.locator(".card .price")).to_have_text(korean_price)
    assert "4,500" in korean_price
    shoot(page, "catalog-ko")
    page.reload()  # the choice is remembered
    expect(page.get_by_role("heading", level=1)).to_have_text("상품 목록")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalog")


def test_every_control_is_named_and_sign_in_works_by_keyboard_alone(
    page: Page, api: httpx.Client, staff: Account
) -> None:
    seller = new_account(api, "seller")
    product = new_product(api, seller, f"Yuja tea {unique_tag()}", 6_000)
    order = confirmed_order(api, staff, product)
    fill_cart(api, staff, product)

    open_app(page, "#/signin")
    email = page.get_by_label("E-mail")
    for _ in range(20):
        if email.evaluate("field => field === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(email).to_be_focused()
    page.keyboard.type(staff.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(staff.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    for hash_ in (
        "#/",
        f"#/products/{product['id']}",
        "#/cart",
        "#/orders",
        f"#/orders/{order['id']}",
        "#/sell",
        "#/sell/new",
        f"#/sell/{product['id']}",
        "#/staff",
        "#/signup",
    ):
        go(page, hash_)
        assert_controls_named(page)


def test_signing_out_after_the_session_died_elsewhere_still_signs_out(
    page: Page, api: httpx.Client
) -> None:
    buyer = new_account(api, "buyer")
    open_app(page, "#/")
    sign_in(page, buyer)
    # The refresh cookie is gone (expired, or the browser dropped it): logout answers 401.
    go(page, "#/orders")
    page.context.clear_cookies()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"#/$"))  # back to the catalog, as any sign-out
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
