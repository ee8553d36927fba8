"""Refresh token families in the service's SQL database (SQLite or MySQL/MariaDB).

Each port method is one short transaction. The race between two refreshes of one token is
settled by the database: ``UPDATE ... SET used_at = :now WHERE token_hash = :h AND used_at
IS NULL AND EXISTS (<the family, unrevoked>)`` changes one row for exactly one of them (the
row lock serialises them on InnoDB, the single writer on SQLite), and only that one inserts
a successor. The ``EXISTS`` makes a revocation committed after the caller's ``find`` win.

That one statement needs no lock on the family row: it reads the family at its start (a
READ COMMITTED snapshot on InnoDB) and writes only the token. A revocation committed later
than that read, even before our commit, is simply ordered after the rotation, exactly as if
the refresh had finished a moment earlier; the successor then dies with its family.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, insert, select, update

from commerce.auth.adapters.outbound.sql_tables import refresh_tokens, token_families
from commerce.auth.application.ports import Rotation, StoredToken
from commerce.auth.domain.tokens import RefreshToken, TokenFamily, UserClaims
from commerce.kernel.db.connections import Connections


def _token_row(token: RefreshToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "family_id": token.family_id,
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "used_at": token.used_at,
    }


class SqlaRefreshTokenStore:
    """The SQL adapter of :class:`~commerce.auth.application.ports.RefreshTokenStore`."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    async def add_family(self, family: TokenFamily, first: RefreshToken) -> None:
        async with self._connections.begin() as session:
            await session.execute(
                insert(token_families).values(
                    id=family.id,
                    user_id=family.claims.user_id,
                    email=family.claims.email,
                    roles=json.dumps(list(family.claims.roles)),
                    created_at=family.created_at,
                    revoked_at=family.revoked_at,
                )
            )
            await session.execute(insert(refresh_tokens).values(**_token_row(first)))

    async def find(self, token_hash: str) -> StoredToken | None:
        query = (
            select(refresh_tokens, token_families)
            .join(token_families, token_families.c.id == refresh_tokens.c.family_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        )
        async with self._connections() as session:
            row = (await session.execute(query)).mappings().first()
        if row is None:
            return None
        token = RefreshToken(
            token_hash=row["token_hash"],
            family_id=row["family_id"],
            issued_at=row["issued_at"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
        )
        family = TokenFamily(
            id=row["id"],
            claims=UserClaims(
                user_id=row["user_id"], email=row["email"], roles=tuple(json.loads(row["roles"]))
            ),
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )
        return StoredToken(token=token, family=family)

    async def rotate(self, used: RefreshToken, successor: RefreshToken) -> Rotation:
        assert used.used_at is not None, "the domain marks the token used before storing"
        family_live = exists().where(
            token_families.c.id == used.family_id, token_families.c.revoked_at.is_(None)
        )
        async with self._connections.begin() as session:
            result: Any = await session.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == used.token_hash,
                    refresh_tokens.c.family_id == used.family_id,
                    refresh_tokens.c.used_at.is_(None),
                    family_live,
                )
                .values(used_at=used.used_at)
            )
            if result.rowcount != 1:
                # Which condition failed only matters for the answer; nothing was written.
                live = await session.scalar(select(family_live))
                return Rotation.ALREADY_USED if live else Rotation.FAMILY_REVOKED
            await session.execute(insert(refresh_tokens).values(**_token_row(successor)))
        return Rotation.ROTATED

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        async with self._connections.begin() as session:
            await session.execute(
                update(token_families)
                .where(token_families.c.id == family_id, token_families.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def purge_expired(self, before: datetime) -> int:
        """Forget tokens that expired before ``before``, then families left without tokens.

        Redis needs no such job (its keys expire); here a periodic task calls it. Returns
        the number of tokens removed.
        """
        async with self._connections.begin() as session:
            result: Any = await session.execute(
                delete(refresh_tokens).where(refresh_tokens.c.expires_at < before)
            )
            orphan = ~exists().where(refresh_tokens.c.family_id == token_families.c.id)
            await session.execute(delete(token_families).where(orphan))
        return int(result.rowcount)
