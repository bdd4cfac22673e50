"""Database engines, sessions and migrations, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Dialect, Engine, Select, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    instance = Path(os.environ.get("PERMIT_INSTANCE", "instance")).resolve()
    return f"sqlite:///{instance / 'permit.sqlite3'}"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or default_url()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    command.upgrade(_alembic_config(engine), "head")


class NotMigrated(RuntimeError):
    pass


def check_migrated(engine: Engine) -> None:
    """Refuse to run on a database that is behind the code, saying what to run."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        raise NotMigrated(
            f"the database is at migration {current or 'none'}, the code needs {head}: "
            "run `permit init-db` first"
        )


class PreparedRead:
    """One SELECT compiled once for a dialect and run straight on the driver's cursor.

    For the few reads every phone makes (the public scan page): SQLAlchemy's execution and
    result machinery costs several times what SQLite spends running such a query. The types'
    own bind and result processors still apply, so values go in and come out as they would
    through SQLAlchemy; only the statement's bound parameters given by name are accepted."""

    def __init__(self, statement: Select, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.compiled = compiled
        self.order = compiled.positiontup  # None when the driver takes parameters by name
        self.binds = {
            key: processor
            for key, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        columns = statement.selected_columns
        self.fields = tuple(c.key for c in columns)
        self.results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        self.row = namedtuple("Row", self.fields, rename=True)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple]:
        values = self.compiled.construct_params(dict(params))
        for key, processor in self.binds.items():
            values[key] = processor(values[key])
        bound = [values[k] for k in self.order] if self.order is not None else values
        driver = conn.connection.dbapi_connection
        error = conn.dialect.loaded_dbapi.Error
        cursor = driver.cursor()
        try:
            cursor.execute(self.sql, bound)
            rows = cursor.fetchall()
        except error as exc:
            # As SQLAlchemy would: a connection the server dropped leaves the pool.
            gone = conn.dialect.is_disconnect(exc, driver, cursor)
            if gone:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                self.sql, bound, exc, error, connection_invalidated=gone, dialect=conn.dialect
            ) from exc
        finally:
            cursor.close()
        results = self.results
        return [
            self.row._make(v if p is None else p(v) for p, v in zip(results, raw, strict=True))
            for raw in rows
        ]
