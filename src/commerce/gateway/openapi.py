"""One OpenAPI document for clients: the routed paths of every upstream's own document, and
the gateway's own operations (``/v1/admin/services``).

Each upstream's ``/openapi.json`` is fetched in the background and cached; an upstream that
is down is left out until it answers again (docs/adr/0033). Only paths the gateway routes
are kept, component names that clash between services are prefixed with the service name,
identity headers are hidden, and operations that need a token say so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from commerce.gateway.routing import ROUTES, Access, access_for, route_for
from commerce.kernel.background import stop_if_cancelled

log = logging.getLogger("commerce.gateway.openapi")

Document = dict[str, Any]
DocumentFetcher = Callable[[str], Awaitable[Document]]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
_REF_PREFIX = "#/components/"


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """``node`` with every ``$ref`` to a renamed component pointing at its new name."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in renames:
                out[key] = renames[value]
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _public_operation(path: str, method: str, operation: Document) -> Document:
    operation = dict(operation)
    parameters = [
        parameter
        for parameter in operation.get("parameters", [])
        if not (
            isinstance(parameter, dict)
            and parameter.get("in") == "header"
            and str(parameter.get("name", "")).lower().startswith("x-user-")
        )
    ]
    if parameters:
        operation["parameters"] = parameters
    else:
        operation.pop("parameters", None)
    if access_for(method.upper(), path) is Access.PROTECTED:
        operation["security"] = [{"bearerAuth": []}]
        responses = operation.setdefault("responses", {})
        responses.setdefault("401", {"description": "Missing, invalid or expired bearer token."})
    return operation


def _routed_paths(upstream: str | None, document: Document) -> Document:
    """The public paths of ``document``: those the gateway routes to ``upstream``, or every
    one of them for the gateway's own document (``upstream`` None)."""
    paths: Document = {}
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        route = route_for(path, ROUTES)
        if upstream is not None and (route is None or route.upstream != upstream):
            continue
        paths[path] = {
            key: (_public_operation(path, key, value) if key in HTTP_METHODS else value)
            for key, value in item.items()
        }
    return paths


def merge_documents(
    documents: Mapping[str, Document],
    *,
    title: str,
    version: str,
    own: Document | None = None,
) -> Document:
    """The merged document of ``documents`` (upstream name -> its OpenAPI document) and of
    the gateway's ``own`` operations."""
    merged: Document = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "The public API, served through the gateway. "
            "Operations marked with a lock need `Authorization: Bearer <access_token>`.",
        },
        "paths": {},
        "components": {"securitySchemes": {"bearerAuth": SECURITY_SCHEME}},
    }
    components: dict[str, dict[str, Any]] = merged["components"]
    sources: list[tuple[str | None, Document]] = list(documents.items())
    if own is not None:
        sources.append((None, own))
    for upstream, document in sources:
        paths = _routed_paths(upstream, document)
        theirs = document.get("components") or {}
        renames: dict[str, str] = {}
        for section, entries in theirs.items():
            if not isinstance(entries, dict):
                continue
            ours = components.get(section, {})
            for name, value in entries.items():
                if name in ours and ours[name] != value:
                    new_name = (upstream or "gateway").capitalize() + name
                    renames[f"{_REF_PREFIX}{section}/{name}"] = f"{_REF_PREFIX}{section}/{new_name}"
        paths = _rewrite_refs(paths, renames)
        for section, entries in _rewrite_refs(theirs, renames).items():
            if not isinstance(entries, dict):
                continue
            target = components.setdefault(section, {})
            for name, value in entries.items():
                renamed = renames.get(f"{_REF_PREFIX}{section}/{name}")
                target[renamed.rsplit("/", 1)[1] if renamed else name] = value
        merged["paths"].update(paths)
    return merged


class OpenApiCatalog:
    """The last good document of each upstream, and their merge."""

    def __init__(
        self,
        fetch: DocumentFetcher,
        upstreams: tuple[str, ...],
        *,
        title: str = "Commerce API",
        version: str = "1.0.0",
    ) -> None:
        self._fetch = fetch
        self._upstreams = upstreams
        self._title = title
        self._version = version
        self._documents: dict[str, Document] = {}
        self._own: Document | None = None
        self._merged: Document | None = None

    def include_own(self, document: Document) -> None:
        """The gateway's own operations, published beside the upstreams' ones."""
        self._own = document
        self._merged = None

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name in self._upstreams if name not in self._documents)

    async def refresh(self) -> None:
        results = await asyncio.gather(
            *(self._fetch(name) for name in self._upstreams), return_exceptions=True
        )
        documents: dict[str, Document] = {}
        for name, result in zip(self._upstreams, results, strict=True):
            if isinstance(result, dict) and isinstance(result.get("paths"), dict):
                documents[name] = result
            elif isinstance(result, BaseException):
                log.info("OpenAPI of %s unavailable: %s", name, type(result).__name__)
        if documents != self._documents:
            self._documents = documents
            self._merged = None

    def document(self) -> Document:
        if self._merged is None:
            self._merged = merge_documents(
                self._documents, title=self._title, version=self._version, own=self._own
            )
        return self._merged

    async def keep_fresh(self, every_seconds: float, retry_seconds: float) -> None:
        """Refresh forever: often while an upstream is missing, rarely once all answer."""
        while True:
            await asyncio.sleep(retry_seconds if self.missing else every_seconds)
            try:
                await self.refresh()
            except Exception as error:  # never let the refresher die; the next round tries
                stop_if_cancelled(error)
                log.exception("OpenAPI refresh failed")
