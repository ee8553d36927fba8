"""The kernel's engines: database errors never carry the values of the statement."""

from __future__ import annotations

import pytest
import sqlalchemy.exc
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from commerce.kernel.db import create_engine

pytestmark = pytest.mark.integration


async def test_a_failed_statement_does_not_reveal_its_parameters(database_url: str) -> None:
    metadata = MetaData()
    users = Table(
        "users_t",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("email", String(100)),
    )
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with engine.begin() as connection:
            await connection.execute(insert(users).values(id=1, email="first@example.com"))
        with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
            async with engine.begin() as connection:
                await connection.execute(insert(users).values(id=1, email="secret@example.com"))
    finally:
        await engine.dispose()
    # The database names the clashing key (1); the statement's values stay out of the error.
    assert "secret@example.com" not in str(raised.value)
    assert "parameters hidden" in str(raised.value)
