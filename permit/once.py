"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL: a row whose key is there already
is left alone, so work that runs twice, or twice at the same time, records each thing once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_new(
    session: Session, table: Table, row: Mapping[str, Any], key: Sequence[str]
) -> int | None:
    """Insert the row unless one with the same key exists; its new id, or None.

    On PostgreSQL a row with the same key that another transaction has inserted and not yet
    committed makes this wait for it: if it commits, nothing is inserted here.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table).values(**row).on_conflict_do_nothing(index_elements=list(key))
        .returning(table.c.id)
    )
    return session.connection().execute(statement).scalar_one_or_none()
