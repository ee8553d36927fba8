"""The password policy. Length only: composition rules make passwords worse, not better."""

from __future__ import annotations

from commerce.user.domain.errors import InvalidPassword

MIN_LENGTH = 8
MAX_LENGTH = 128


def check_password_policy(password: str) -> None:
    """Raise InvalidPassword unless ``password`` has 8..128 characters."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidPassword(
            f"The password must have between {MIN_LENGTH} and {MAX_LENGTH} characters."
        )
