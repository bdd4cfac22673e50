"""The web app: a Flask factory that wires the domain to HTTP. Thin: parse, call permit/, render."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g

from permit import db
from permit.clock import SystemClock

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.update(DATABASE_URL=db.database_url(), CLOCK=SystemClock())
    app.config.update(config or {})

    engine = db.make_engine(app.config["DATABASE_URL"])
    db.check_migrated(engine)  # refuse to serve an unmigrated database, naming the command
    app.extensions["db_engine"] = engine
    app.extensions["sessions"] = db.session_factory(engine)

    @app.teardown_appcontext
    def close_session(exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    from . import permits

    app.register_blueprint(permits.bp)
    return app


def get_session():
    """One session per request, closed at teardown; the view alone commits."""
    from flask import current_app

    if "db" not in g:
        g.db = current_app.extensions["sessions"]()
    return g.db
