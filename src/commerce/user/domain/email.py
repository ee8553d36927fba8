"""The Email value object: one spelling per mailbox, so uniqueness is case-insensitive."""

from __future__ import annotations

import re
from dataclasses import dataclass

from commerce.user.domain.errors import InvalidEmail

MAX_LENGTH = 254  # RFC 5321 path limit; the column (320) leaves room to spare.
MAX_LOCAL_LENGTH = 64
# Deliberately conservative: ASCII dot-atoms only (no quoted local parts, no IP literals,
# no internationalised addresses), and a domain with at least one dot and a letter TLD.
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"({_LABEL}\.)+[a-z]{{2,63}}")


@dataclass(frozen=True, slots=True)
class Email:
    """A syntactically valid e-mail address, trimmed and lower-cased."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> Email:
        """Normalise ``raw`` (trim, lower-case) and check its syntax, or raise InvalidEmail."""
        candidate = raw.strip().lower()
        if not candidate.isascii() or len(candidate) > MAX_LENGTH or candidate.count("@") != 1:
            raise InvalidEmail("The e-mail address is not valid.")
        local, domain = candidate.split("@")
        if len(local) > MAX_LOCAL_LENGTH or not _LOCAL.fullmatch(local):
            raise InvalidEmail("The e-mail address is not valid.")
        if not _DOMAIN.fullmatch(domain):
            raise InvalidEmail("The e-mail address is not valid.")
        return cls(candidate)

    def __str__(self) -> str:
        return self.value
