"""The redaction patterns: secrets go, ordinary text stays."""

from __future__ import annotations

import pytest

from commerce.kernel.observability.redaction import (
    REDACTED,
    is_secret_key,
    redact_text,
    redact_value,
)

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('{"email": "a@b.c", "password": "correct horse"}', "correct horse"),
        ("{'password': 'it\\'s me', 'x': 1}", "it\\'s me"),
        ("login password=hunter2 next", "hunter2"),
        ('{"refresh_token": "Zm9vYmFyYmF6"}', "Zm9vYmFyYmF6"),
        ('{"access_token":"abc.def.ghi"}', "abc.def.ghi"),
        ("Authorization: Bearer abc123", "abc123"),
        ("authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        (f"token in free text {JWT} here", JWT),
        (f"header Bearer {JWT}", JWT),
        ("client_secret: s3cr3t, other: 1", "s3cr3t"),
        ('X-Api-Key: "k-987"', "k-987"),
    ],
)
def test_secrets_are_replaced(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        "GET /v1/products/{product_id} 200 3.1ms",
        '{"token_type": "Bearer", "expires_in": 900}',
        "refresh token reused, family revoked",
        "order 5f1c confirmed, total 12000",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("new_password", True),
        ("refresh_token", True),
        ("Authorization", True),
        ("x-api-key", True),
        ("token_type", False),
        ("email", False),
        ("route", False),
    ],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_structured_values_are_scrubbed_recursively() -> None:
    value = {"user": {"email": "a@b.c", "password": "pw"}, "tokens": [f"Bearer {JWT}"]}
    assert redact_value("payload", value) == {
        "user": {"email": "a@b.c", "password": REDACTED},
        "tokens": [f"Bearer {REDACTED}"],
    }
    assert redact_value("access_token", "anything") == REDACTED
