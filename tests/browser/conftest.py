"""The storefront in a real Chromium (docs/adr/0092): Debian's ``chromium`` driven by
Playwright's Python client, against one embedded platform for the whole module.

Without Chromium the tests skip, except in CI (``COMMERCE_TEST_REQUIRE_SERVICES=1``), where a
missing browser is a failure: ``make test`` installs it (``make browser-tools``).

The fixtures live as long as this package's tests, not the session: Playwright's sync API
runs an event loop in the main thread while it is open, and the asyncio tests that follow
(integration, system, unit) could not start theirs beside it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.system.accounts import Account, new_account, with_role
from tests.system.conftest import RunningPlatform, start_platform

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1200, "height": 800}
# How long an action or an expectation waits for the page (the saga takes a second or two
# on a loaded machine; a failure is reported after this, a pass is as fast as the page).
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)
PER_TEST_SECONDS = 300
# An order whose message was parked must wait for the operator, as the console's journey
# says: the order service's own re-drive (10 s by default) would complete it unaided.
BROWSER_ENV = {"ORDER_REDRIVE_AFTER_SECONDS": "3600"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            # The first test also pays for the platform's start (migrations, the broker,
            # seven processes), which the suite's 120 s per test does not allow on a busy host.
            item.add_marker(pytest.mark.timeout(PER_TEST_SECONDS))


@pytest.fixture(scope="package")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `make browser-tools` installs Debian's chromium"
        if os.environ.get("COMMERCE_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="package")
def storefront(
    chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPlatform]:
    """One embedded platform (SQLite, the embedded broker) behind every browser test; the
    platform tells auth that its gateway's origin may use the refresh cookie."""
    platform = start_platform(tmp_path_factory.mktemp("browser"), "embedded", BROWSER_ENV)
    yield RunningPlatform(platform=platform, profile="embedded")
    platform.stop()


@pytest.fixture(scope="package")
def browser(chromium: Path, storefront: RunningPlatform) -> Iterator[Browser]:
    # After the platform, so it closes first: no open stream holds the platform's stop.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def api(storefront: RunningPlatform) -> Iterator[httpx.Client]:
    with storefront.client() as client:
        yield client


@pytest.fixture(scope="package")
def staff(storefront: RunningPlatform) -> Account:
    """One STAFF account for the package (the grant runs the operator's CLI: once)."""
    with storefront.client() as client:
        return with_role(storefront, client, new_account(client, "staff"), "STAFF")


@pytest.fixture
def open_context(
    browser: Browser, storefront: RunningPlatform
) -> Iterator[Callable[[], BrowserContext]]:
    """Opens a fresh browser context (its own cookies and memory: one person) per call."""
    contexts: list[BrowserContext] = []

    def open_one() -> BrowserContext:
        context = browser.new_context(
            base_url=storefront.gateway_url, locale="en-US", viewport=VIEWPORT
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_context: Callable[[], BrowserContext]) -> Page:
    return open_context().new_page()
