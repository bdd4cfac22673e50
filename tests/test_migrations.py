"""The migrations build exactly the schema the models describe, on both backends, and keep
every table append-only."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from permit.models import Base


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_every_table_refuses_deletes(engine):
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            armed = set(
                conn.execute(
                    text(
                        "SELECT tbl_name FROM sqlite_master "
                        "WHERE type = 'trigger' AND name LIKE '%_no_delete'"
                    )
                ).scalars()
            )
        else:
            armed = set(
                conn.execute(
                    text(
                        "SELECT event_object_table FROM information_schema.triggers "
                        "WHERE trigger_name LIKE '%\\_no\\_delete' "
                        "AND event_manipulation = 'DELETE'"
                    )
                ).scalars()
            )
    assert tables - armed == set()
