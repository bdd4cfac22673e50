"""Database engines, sessions and migrations, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Insert,
    Select,
    Update,
    create_engine,
    event,
)
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


def _on_cursor(
    conn: Connection, sql: str, bound: Any, run: Callable[[Any], Any], many: bool = False
) -> Any:
    """Run `run(cursor)` on a cursor of the connection's driver connection, in its transaction.

    The engine's before_cursor_execute listeners still hear of the statement (the statement
    counters of the tests and benchmarks); a driver error comes out as SQLAlchemy's would
    (IntegrityError, OperationalError…), and a connection the server dropped leaves the pool."""
    driver = conn.connection.dbapi_connection
    error = conn.dialect.loaded_dbapi.Error
    cursor = driver.cursor()
    try:
        if conn.dispatch.before_cursor_execute:
            for listener in conn.dispatch.before_cursor_execute:
                listener(conn, cursor, sql, bound, None, many)
        return run(cursor)
    except error as exc:
        gone = conn.dialect.is_disconnect(exc, driver, cursor)
        if gone:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            sql, bound, exc, error, connection_invalidated=gone, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


class PreparedRead:
    """One SELECT compiled once for a dialect and run straight on the driver's cursor.

    For the few reads every phone makes (the public scan page, a gateway's token and permit):
    SQLAlchemy's execution and result machinery costs several times what SQLite spends running
    such a query. The types' own bind and result processors still apply, so values go in and
    come out as they would through SQLAlchemy; only the statement's bound parameters given by
    name are accepted."""

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

        def run(cursor):
            cursor.execute(self.sql, bound)
            return cursor.fetchall()

        rows = _on_cursor(conn, self.sql, bound, run)
        results = self.results
        return [
            self.row._make(v if p is None else p(v) for p, v in zip(results, raw, strict=True))
            for raw in rows
        ]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple | None:
        rows = self.all(conn, params)
        return rows[0] if rows else None


class PreparedWrite:
    """One INSERT or UPDATE compiled once for a dialect and run straight on the driver's
    cursor, its values given as tuples in the order of `names`.

    For the rows a gateway sends by the hundred: SQLAlchemy builds, processes and checks a
    parameter dictionary per row, which costs more than SQLite spends storing it. The types'
    own bind processors still apply, so what is stored is what SQLAlchemy would store; every
    column of the statement must be given (no Python-side defaults are filled in). An INSERT
    without RETURNING is compiled inline (no primary key fetched back)."""

    def __init__(self, statement: Insert | Update, dialect: Dialect, names: Sequence[str]) -> None:
        if isinstance(statement, Insert):
            statement = statement.inline()  # keeps an explicit RETURNING
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        self.sql = str(compiled)
        self.names = tuple(names)
        missing = set(compiled.binds) - set(self.names)
        if missing:
            raise ValueError(f"values not given for {sorted(missing)}")
        types = [compiled.binds[name].type.dialect_impl(dialect) for name in self.names]
        self.processors = tuple(
            (i, processor)
            for i, kind in enumerate(types)
            if (processor := kind.bind_processor(dialect)) is not None
        )
        order = compiled.positiontup  # None when the driver takes parameters by name
        self.order = None if order is None else tuple(self.names.index(k) for k in order)
        self.in_order = self.order == tuple(range(len(self.names)))
        self.returns = bool(compiled.effective_returning)

    def _bound(self, row: Sequence[Any]) -> Any:
        values = list(row)
        for i, processor in self.processors:
            values[i] = processor(values[i])
        if self.order is None:
            return dict(zip(self.names, values, strict=True))
        return [values[i] for i in self.order]

    def one(self, conn: Connection, row: Sequence[Any]) -> tuple | None:
        """Run once; the first row RETURNING gives back (None without RETURNING)."""
        bound = self._bound(row)

        def run(cursor):
            cursor.execute(self.sql, bound)
            return cursor.fetchone() if self.returns else None

        return _on_cursor(conn, self.sql, bound, run)

    def many(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Run once per row, in one executemany."""
        if not rows:
            return
        # column by column: each processor mapped over its column, rows zipped back
        columns = list(zip(*rows, strict=True))
        if len(columns) != len(self.names):
            raise ValueError(f"{len(self.names)} values a row expected, not {len(columns)}")
        for i, processor in self.processors:
            columns[i] = map(processor, columns[i])
        if self.order is None:
            names = self.names
            bound: Any = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        elif self.in_order:
            bound = list(zip(*columns, strict=True))
        else:
            bound = list(zip(*(columns[i] for i in self.order), strict=True))

        def run(cursor):
            cursor.executemany(self.sql, bound)

        _on_cursor(conn, self.sql, bound, run, many=True)


class Prepared:
    """Statements compiled once per kind of database (SQLite, PostgreSQL), on first use."""

    def __init__(self, make: Callable[[Dialect], Any]) -> None:
        self.make = make
        self.by_dialect: dict[str, Any] = {}

    def __call__(self, conn: Connection) -> Any:
        name = conn.dialect.name
        found = self.by_dialect.get(name)
        if found is None:
            found = self.by_dialect[name] = self.make(conn.dialect)
        return found
