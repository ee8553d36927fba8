"""Hand-written fakes of the auth service's ports."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from commerce.auth.application.ports import Rotation, StoredToken, UserServiceUnavailable
from commerce.auth.domain.tokens import RefreshToken, TokenFamily, UserClaims

ALICE = UserClaims(user_id="u-alice", email="alice@example.com", roles=("USER",))
ALICE_PASSWORD = "correct horse battery staple"


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class FakeVerifier:
    """Knows one password per e-mail (case-insensitively), like the user service."""

    users: dict[str, tuple[str, UserClaims]] = field(default_factory=dict)
    down: bool = False
    calls: int = 0

    def add(self, claims: UserClaims, password: str) -> None:
        self.users[claims.email.lower()] = (password, claims)

    async def verify(self, email: str, password: str) -> UserClaims | None:
        self.calls += 1
        if self.down:
            raise UserServiceUnavailable()
        known = self.users.get(email.strip().lower())
        if known is None or known[0] != password:
            return None
        return known[1]


@dataclass
class FakeDirectory:
    """The user service's current view of users by id (``None``: the user is gone)."""

    users: dict[str, UserClaims] = field(default_factory=dict)
    down: bool = False
    asked: list[str] = field(default_factory=list)

    def add(self, claims: UserClaims) -> None:
        self.users[claims.user_id] = claims

    async def current_claims(self, user_id: str) -> UserClaims | None:
        self.asked.append(user_id)
        if self.down:
            raise UserServiceUnavailable()
        return self.users.get(user_id)


class FakeIssuer:
    ttl_seconds = 900

    def __init__(self) -> None:
        self.issued: list[UserClaims] = []

    def issue(self, claims: UserClaims, now: datetime, *, session_id: str) -> str:
        self.issued.append(claims)
        return f"access:{claims.user_id}:{int(now.timestamp())}:{session_id}"


class FakeTokenStore:
    """The port's contract in memory, with copies in and out like a real store."""

    def __init__(self) -> None:
        self.families: dict[str, TokenFamily] = {}
        self.tokens: dict[str, RefreshToken] = {}
        self.lose_next_race = False
        self.revoke_before_next_rotate = False

    async def add_family(self, family: TokenFamily, first: RefreshToken) -> None:
        self.families[family.id] = copy.deepcopy(family)
        self.tokens[first.token_hash] = copy.deepcopy(first)

    async def find(self, token_hash: str) -> StoredToken | None:
        token = self.tokens.get(token_hash)
        if token is None:
            return None
        family = self.families[token.family_id]
        return StoredToken(token=copy.deepcopy(token), family=copy.deepcopy(family))

    async def rotate(self, used: RefreshToken, successor: RefreshToken) -> Rotation:
        stored = self.tokens.get(used.token_hash)
        family = self.families.get(used.family_id)
        assert used.used_at is not None, "rotate() takes a token its family has used"
        if self.lose_next_race and stored is not None:
            # Another request used the token between our find and this rotate.
            self.lose_next_race = False
            stored.use(used.used_at)
        if self.revoke_before_next_rotate and family is not None:
            # A logout revoked the family between our find and this rotate.
            self.revoke_before_next_rotate = False
            family.revoke(successor.issued_at)
        if family is None or family.is_revoked:
            return Rotation.FAMILY_REVOKED
        if stored is None or stored.used_at is not None:
            return Rotation.ALREADY_USED
        stored.use(used.used_at)
        self.tokens[successor.token_hash] = copy.deepcopy(successor)
        return Rotation.ROTATED

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        family = self.families.get(family_id)
        if family is not None:
            family.revoke(at)
