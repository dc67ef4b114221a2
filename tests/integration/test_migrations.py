"""The migrations build exactly the schema the models describe (so no change to a model
ships without its migration)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def test_migrated_schema_matches_the_models(app, db):
    # The test's own connection: on SQLite a second one would wait for its write lock.
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    diff = compare_metadata(context, db.metadata)
    assert diff == [], "models and migrations differ (run flask db migrate):\n" + "\n".join(
        map(str, diff))
