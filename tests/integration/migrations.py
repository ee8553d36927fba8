"""Inspecting a service's migrated schema, for the Alembic stairway tests of every service."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from commerce.kernel.db.migrations import alembic_config


def revisions(service_package: str) -> list[str]:
    """The service's revision ids, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(service_package))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def schema_drift(metadata: MetaData) -> Callable[[Connection], list[object]]:
    """A ``run_sync`` callable: what differs between the database and ``metadata``."""

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    return differences
