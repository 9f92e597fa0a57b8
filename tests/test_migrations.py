"""The migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from xqr.db.engine import make_engine
from xqr.db.migrate import alembic_config
from xqr.db.registry import metadata


async def test_models_and_migrations_agree(db_url: str) -> None:
    engine = make_engine(db_url)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "render_as_batch": True}
        )
        return list(compare_metadata(context, metadata))

    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


def test_every_migration_branch_starts_from_the_foundation() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    bases = scripts.get_bases()
    assert bases == ["0001_foundation"]
