"""Serves the web app's files from the package: ``/`` is the page, ``/assets/...`` the
modules, styles and dictionaries it loads (docs/adr/0130)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PACKAGE = "commerce.web"
ASSETS_PATH = "/assets"
# No inline script or style anywhere, and nothing from another origin (no CDN).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# No hashed file names (no build step), so every file is revalidated: the ETag makes that
# a 304 when nothing changed, and a new release is seen at once.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
_RAW_HEADERS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
_NAMES = frozenset(name for name, _ in _RAW_HEADERS)


class WithSecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every answer of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                kept = [(k, v) for k, v in headers if k.lower() not in _NAMES]
                message["headers"] = kept + _RAW_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount_web_app(app: FastAPI) -> None:
    """``/`` and ``/assets/...`` on ``app``; reads the page once, when called."""
    static = files(PACKAGE) / "static"
    page = (static / "index.html").read_bytes()

    async def index() -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    app.add_api_route("/", index, methods=["GET", "HEAD"], include_in_schema=False)
    assets = StaticFiles(packages=[(PACKAGE, "static")])
    app.mount(ASSETS_PATH, WithSecurityHeaders(assets), name="web-assets")
