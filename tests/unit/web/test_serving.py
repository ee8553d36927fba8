"""The storefront as the gateway serves it: its page and assets with the security headers,
beside /docs and /healthz, and nothing taken from the API's paths."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from importlib.resources import files

import httpx
import pytest

from commerce.gateway.bootstrap import create_app
from commerce.gateway.settings import GatewaySettings
from commerce.web.serving import CONTENT_SECURITY_POLICY

STATIC = files("commerce.web") / "static"


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: the page and assets need none, and the API's paths are not asked here.
    app = create_app(GatewaySettings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/", "text/html"),
        ("/assets/js/app.js", "text/javascript"),
        ("/assets/style.css", "text/css"),
        ("/assets/i18n/ko.json", "application/json"),
    ],
)
async def test_page_and_assets_carry_the_security_headers(
    gateway: httpx.AsyncClient, path: str, media_type: str
) -> None:
    response = await gateway.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-cache"


async def test_an_unchanged_asset_is_a_304(gateway: httpx.AsyncClient) -> None:
    first = await gateway.get("/assets/js/app.js")
    again = await gateway.get("/assets/js/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


async def test_a_missing_asset_is_a_problem_404_and_docs_stay(gateway: httpx.AsyncClient) -> None:
    missing = await gateway.get("/assets/js/nothing.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert (await gateway.get("/healthz")).status_code == 200
    assert (await gateway.get("/docs")).status_code == 200


def test_the_page_has_no_inline_script_or_style() -> None:
    page = (STATIC / "index.html").read_text()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    assert scripts and all(body.strip() == "" for body in scripts)
    assert re.search(r"<script[^>]*\bsrc=\"/assets/", page)
    assert "<style" not in page
    assert " style=" not in page
    assert re.search(r"<[^>]+\son[a-z]+=", page) is None  # no inline event handler


def test_no_module_writes_html_or_keeps_a_token_in_storage() -> None:
    modules = [*STATIC.joinpath("js").iterdir(), *STATIC.joinpath("js", "pages").iterdir()]
    for module in modules:
        if not module.name.endswith(".js"):
            continue
        source = module.read_text()
        assert "innerHTML" not in source, module.name
        assert "sessionStorage." not in source, module.name
        # Only the language choice is remembered.
        assert "localStorage." not in source or module.name == "i18n.js", module.name


def test_every_relative_import_names_a_module_that_exists() -> None:
    js = STATIC / "js"
    for folder in (js, js / "pages"):
        for module in folder.iterdir():
            if not module.name.endswith(".js"):
                continue
            for target in re.findall(
                r"""(?:from|import)\s*\(?\s*'(\.[^']+)'""", module.read_text()
            ):
                parts = [part for part in target.split("/") if part != "."]
                place = folder
                for part in parts[:-1]:
                    place = js if part == ".." else place / part
                assert (place / parts[-1]).is_file(), f"{module.name} imports {target}"


def test_both_dictionaries_have_the_same_keys_and_every_used_key() -> None:
    english = json.loads((STATIC / "i18n" / "en.json").read_text())
    korean = json.loads((STATIC / "i18n" / "ko.json").read_text())
    assert english.keys() == korean.keys()
    sources = [
        module.read_text()
        for folder in (STATIC / "js", STATIC / "js" / "pages")
        for module in folder.iterdir()
        if module.name.endswith(".js")
    ]
    used = {key for source in sources for key in re.findall(r"\bt\('([a-z_.]+)'", source)}
    assert used and used <= english.keys(), used - english.keys()
