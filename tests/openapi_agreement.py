"""Does an app's OpenAPI document take exactly what the app takes?

A request part's schema is read from the document and checked the way a client generator
would check it: a JSON Schema 2020-12 validator with ECMA-262 patterns (``\\p{..}`` included).
Tests send the same value to the server and compare the two answers.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

Document = dict[str, Any]


def _validator(document: Document, schema: dict[str, Any]) -> jsonschema_rs.Validator:
    # The schema's $refs point into the document's components.
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document.get("components", {})}
    )


def request_body(document: Document, method: str, path: str) -> jsonschema_rs.Validator:
    content = document["paths"][path][method.lower()]["requestBody"]["content"]
    return _validator(document, content["application/json"]["schema"])


def parameter(document: Document, method: str, path: str, name: str) -> jsonschema_rs.Validator:
    parameters = document["paths"][path][method.lower()].get("parameters", [])
    (found,) = [each for each in parameters if each["name"] == name]
    return _validator(document, found["schema"])
