"""Why a sign-in or a refresh was refused.

Every refusal of a refresh token answers the same to the client ("invalid"), whatever the
reason, so a thief learns nothing; the subclasses exist for logs and tests.
"""

from __future__ import annotations

from commerce.kernel.domain import Unauthorized
from commerce.kernel.revocation import SessionRevocation


class InvalidCredentials(Unauthorized):
    """Unknown e-mail or wrong password: deliberately one error for both."""

    def __init__(self) -> None:
        super().__init__("The e-mail or password is incorrect.", code="invalid_credentials")


class InvalidRefreshToken(Unauthorized):
    """The refresh token is unknown, expired or revoked."""

    reason = "invalid"
    # Set when the refusal revoked the family: the session whose access tokens the gateway
    # must refuse from now on (docs/adr/0023).
    revocation: SessionRevocation | None = None

    def __init__(self) -> None:
        super().__init__(
            "The refresh token is invalid, expired or revoked.", code="invalid_refresh_token"
        )


class RefreshTokenExpired(InvalidRefreshToken):
    reason = "expired"


class TokenFamilyRevoked(InvalidRefreshToken):
    reason = "revoked"


class RefreshTokenReused(InvalidRefreshToken):
    """A token that was already exchanged came back: treated as theft.

    ``revocation`` is set once the family is revoked (docs/adr/0023)."""

    reason = "reused"


class RefreshUserUnknown(InvalidRefreshToken):
    """The user service no longer knows the family's user: the family is revoked
    (docs/adr/0126); ``revocation`` names its session."""

    reason = "user_unknown"
