"""The Alembic migrations build exactly the schema the SQLAlchemy tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from matcher.store.db import current_revision, head_revision
from matcher.store.tables import Base


def test_migrated_schema_matches_the_tables(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
