"""The password policy. Length only: composition rules make passwords worse, not better."""

from __future__ import annotations

from dataclasses import dataclass, field

from commerce.user.domain.errors import InvalidPassword

MIN_LENGTH = 8
MAX_LENGTH = 128


def check_password_policy(password: str) -> None:
    """Raise InvalidPassword unless ``password`` has 8..128 characters."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidPassword(
            f"The password must have between {MIN_LENGTH} and {MAX_LENGTH} characters."
        )


@dataclass(frozen=True, slots=True)
class Password:
    """A new password that keeps the policy, in plain text until it is hashed (never shown)."""

    value: str = field(repr=False)

    @classmethod
    def choose(cls, raw: str) -> Password:
        """``raw`` as it is (no trimming: every character counts), or InvalidPassword."""
        check_password_policy(raw)
        return cls(raw)
