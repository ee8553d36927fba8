"""Defence in depth for logs: secrets are scrubbed even if some code tries to log them.

The first defence is not logging headers or bodies at all; this catches the rest (an
exception message quoting its input, a dict logged by mistake). It knows secret-looking
*keys* (``password``, ``*token``, ``authorization``, ...) and secret-looking *values*
(``Bearer ...``, JWTs), so it works on free text as well as on structured fields.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

REDACTED = "[REDACTED]"

# A key names a secret when it ends in one of these words: ``refresh_token``, ``password``,
# ``x-api-key`` ... but not ``token_type`` or ``tokens_issued`` (word boundary after it).
_SECRET_WORDS = ("password", "passwd", "secret", "token", "authorization", r"api[_-]?key", "cookie")
_SECRET_KEY_WORDS = r"[\w-]*(?:" + "|".join(_SECRET_WORDS) + ")"
_SECRET_KEY_RE = re.compile(rf"^{_SECRET_KEY_WORDS}$", re.IGNORECASE)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "password": "hunter2", 'refresh_token': 'abc', password='x' (JSON, repr, kwargs)
    (
        re.compile(
            rf"""(?i)(["']?\b{_SECRET_KEY_WORDS}\b["']?\s*[:=]\s*)(["'])(?:\\.|(?!\2).)*\2"""
        ),
        rf"\1\2{REDACTED}\2",
    ),
    # password=hunter2, authorization: Basic abc (unquoted, up to a separator)
    (
        re.compile(
            rf"""(?i)(\b{_SECRET_KEY_WORDS}\b\s*[:=]\s*)(?!["'\s])"""
            r"(?:Bearer\s+|Basic\s+)?[^\s,;&}\]]+"
        ),
        rf"\1{REDACTED}",
    ),
    # Bearer credentials anywhere.
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {REDACTED}"),
    # Anything shaped like a JWT (base64url header starting with '{"', two dots).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
)


# Every pattern above needs one of these words; one search rules out most log lines cheaply.
_TRIGGER = re.compile(r"pass|secret|token|authori|api[_-]?key|cookie|bearer|basic|eyj", re.I)


@lru_cache(maxsize=1024)
def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY_RE.match(key))


def redact_text(text: str) -> str:
    """``text`` with every secret-looking key/value and token replaced by ``[REDACTED]``."""
    if not _TRIGGER.search(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    """A structured field: hidden whole when its key names a secret, scrubbed otherwise."""
    if is_secret_key(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value("", item) for item in value]
    return value


# Attributes every LogRecord has; anything else came in through ``extra=``.
STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "trace_id", "span_id"}
)


class RedactionFilter(logging.Filter):
    """Renders the message once, scrubs it and every ``extra`` field; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the event
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key in list(vars(record)):
            if key not in STANDARD_ATTRIBUTES:
                setattr(record, key, redact_value(key, getattr(record, key)))
        if record.exc_info:
            # Exception messages often quote their input; format now and scrub the text
            # (another handler may have formatted it already: scrub that too).
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_text(text)
        return True
