"""SqlaUserRepository: users in the service's own database, through SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.repository import TrackingRepository
from commerce.user.adapters.outbound.tables import users
from commerce.user.domain.email import Email
from commerce.user.domain.errors import EmailAlreadyRegistered, RolesChangedConcurrently
from commerce.user.domain.user import User


class SqlaUserRepository(TrackingRepository[User]):
    """Reads and writes inside the unit of work's session; never commits. Remembers the users
    it handed out or took in, so the unit of work finds their events."""

    def __init__(self, session: AsyncConnection) -> None:
        super().__init__()
        self._session = session
        # The roles column as read, per user id: update_roles() writes only over that value.
        self._stored_roles: dict[str, str] = {}

    async def add(self, user: User) -> None:
        values = {
            "id": user.id,
            "email": user.email.value,
            "name": user.name,
            "password_hash": user.password_hash,
            "roles": ",".join(user.roles),
            "created_at": user.created_at,
        }
        try:
            await self._session.execute(insert(users).values(values))
        except IntegrityError as error:
            # Ids are random UUIDs, so the only constraint a new row can break is the
            # e-mail's: the database, not an earlier lookup, decides who got it first.
            raise EmailAlreadyRegistered() from error
        self._track(user)
        self._stored_roles[user.id] = ",".join(user.roles)

    async def get(self, user_id: str) -> User | None:
        row = (await self._session.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else self._to_user(row)

    async def get_by_email(self, email: Email) -> User | None:
        query = select(users).where(users.c.email == email.value)
        row = (await self._session.execute(query)).first()
        return None if row is None else self._to_user(row)

    async def update_password_hash(self, user: User) -> None:
        await self._session.execute(
            update(users).where(users.c.id == user.id).values(password_hash=user.password_hash)
        )

    async def update_roles(self, user: User) -> None:
        # Compare-and-set: a concurrent change of the same row makes this match no row, so
        # neither change is lost silently (rowcount is matched rows on both backends).
        stored = self._stored_roles[user.id]
        roles = ",".join(user.roles)
        result = await self._session.execute(
            update(users).where(users.c.id == user.id, users.c.roles == stored).values(roles=roles)
        )
        if result.rowcount != 1:
            raise RolesChangedConcurrently()
        self._stored_roles[user.id] = roles

    def _to_user(self, row: Row[tuple[object, ...]]) -> User:
        mapping = row._mapping
        user = User(
            id=mapping["id"],
            email=Email(mapping["email"]),
            name=mapping["name"],
            password_hash=mapping["password_hash"],
            roles=tuple(role for role in mapping["roles"].split(",") if role),
            created_at=mapping["created_at"],
        )
        self._stored_roles[user.id] = mapping["roles"]
        return self._track(user)
