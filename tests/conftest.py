"""Fixtures: every database test runs on SQLite and on PostgreSQL (TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("PERMIT_FAST_HASHES", "1")  # before permit.passwords is imported

import pytest
from sqlalchemy import text

from permit import db
from permit.clock import FixedClock
from permit.models import Base

from .factories import VisitWorld, World

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine)
    engine.dispose()
    return str(path)


@pytest.fixture(scope="session")
def postgres_engine():
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured (run `make test`, which starts one)")
    engine = db.make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.migrate(engine)
    yield engine
    engine.dispose()


TABLES = ", ".join(t.name for t in Base.metadata.sorted_tables)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A migrated, empty database: a copied SQLite file, or truncated PostgreSQL tables."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = db.make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_engine")
        with engine.begin() as conn:
            # TRUNCATE is not DELETE: the append-only triggers stay armed for the test itself.
            conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        yield engine


@pytest.fixture
def sessions(engine):
    return db.session_factory(engine)


@pytest.fixture
def session(sessions):
    with sessions() as s:
        yield s


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def make_app(engine, tmp_path):
    """Build the web app on the test database; its engine is disposed at teardown."""
    from web import create_app, dispose

    built = []

    def make(**config):
        app = create_app(
            {
                "DATABASE_URL": engine.url.render_as_string(hide_password=False),
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "PDF_CACHE_DIR": str(tmp_path / "pdf-cache"),
                **config,
            }
        )
        built.append(app)
        return app

    yield make
    for app in built:
        dispose(app)


@pytest.fixture
def vw(session, clock) -> VisitWorld:
    """Two districts of a city with an enterprise each, their experts and regulators."""
    w = VisitWorld(session, clock).build()
    session.commit()
    return w


@pytest.fixture
def world(session, clock) -> World:
    """An enterprise with trained people, in-date equipment and an H2S sewage pit."""
    w = World(session, clock)
    w.build()
    session.commit()
    return w
