"""The registry's migrations build exactly what govshare.registry.models declares: a column,
index or foreign key added to one and not the other is found here, not in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from govshare.registry import models as m
from govshare.registry.db import engine_for


def test_the_migrated_registry_matches_the_models(registry):
    with engine_for(registry).connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_schemas": True, "compare_type": True})
        differences = [
            d
            for d in compare_metadata(context, m.Base.metadata)
            # only govshare's own schema: alembic's version table and other schemas are not the models'
            if "alembic_version" not in repr(d)
        ]
    assert differences == []
