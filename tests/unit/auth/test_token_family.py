"""The rules of refresh token families: rotation, single use, reuse revokes, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.auth.domain.errors import (
    InvalidRefreshToken,
    RefreshTokenExpired,
    RefreshTokenReused,
    TokenFamilyRevoked,
)
from commerce.auth.domain.tokens import RefreshToken, TokenFamily, hash_token
from commerce.kernel.domain import Unauthorized
from tests.unit.auth.fakes import ALICE

NOW = datetime(2025, 1, 1, tzinfo=UTC)
TTL = timedelta(days=14)


def started() -> tuple[TokenFamily, RefreshToken]:
    return TokenFamily.start("f-1", ALICE, "h0", NOW, TTL)


def test_hash_token_is_hex_sha256_and_never_the_token() -> None:
    digest = hash_token("secret")
    assert digest == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    assert hash_token("secret") == digest and hash_token("Secret") != digest


def test_a_family_starts_with_one_unused_token() -> None:
    family, token = started()
    assert family.id == "f-1" and token.family_id == family.id
    assert token.expires_at == NOW + TTL
    assert not token.is_used and not family.is_revoked
    assert family.claims == ALICE


def test_rotation_uses_the_token_and_issues_a_successor() -> None:
    family, token = started()
    later = NOW + timedelta(minutes=5)
    successor = family.rotate(token, "h1", later, TTL)
    assert token.used_at == later
    assert successor.token_hash == "h1" and successor.family_id == family.id
    assert successor.issued_at == later and successor.expires_at == later + TTL
    assert not family.is_revoked


def test_a_used_token_presented_again_revokes_the_family() -> None:
    family, token = started()
    family.rotate(token, "h1", NOW, TTL)
    with pytest.raises(RefreshTokenReused):
        family.rotate(token, "h2", NOW + timedelta(seconds=1), TTL)
    assert family.revoked_at == NOW + timedelta(seconds=1)


def test_a_revoked_family_refuses_even_its_newest_token() -> None:
    family, token = started()
    successor = family.rotate(token, "h1", NOW, TTL)
    family.revoke(NOW)
    with pytest.raises(TokenFamilyRevoked):
        family.rotate(successor, "h2", NOW, TTL)
    assert not successor.is_used


def test_an_expired_token_is_refused_without_revoking() -> None:
    family, token = started()
    with pytest.raises(RefreshTokenExpired):
        family.rotate(token, "h1", NOW + TTL, TTL)
    assert not family.is_revoked and not token.is_used


def test_reuse_is_detected_even_after_the_used_token_expired() -> None:
    family, token = started()
    family.rotate(token, "h1", NOW, TTL)
    with pytest.raises(RefreshTokenReused):
        family.rotate(token, "h2", NOW + TTL + timedelta(days=1), TTL)
    assert family.is_revoked


def test_revocation_keeps_the_first_time() -> None:
    family, _ = started()
    family.revoke(NOW)
    family.revoke(NOW + timedelta(hours=1))
    assert family.revoked_at == NOW


def test_a_token_of_another_family_is_a_programming_error() -> None:
    family, _ = started()
    _, stranger = TokenFamily.start("f-2", ALICE, "x0", NOW, TTL)
    with pytest.raises(ValueError):
        family.rotate(stranger, "h1", NOW, TTL)


def test_every_refusal_is_the_same_unauthorized_answer() -> None:
    messages = {
        (error().message, error().code)
        for error in (
            InvalidRefreshToken,
            RefreshTokenExpired,
            RefreshTokenReused,
            TokenFamilyRevoked,
        )
    }
    assert len(messages) == 1
    assert issubclass(InvalidRefreshToken, Unauthorized)
