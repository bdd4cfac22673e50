"""The web app: a Flask factory that wires the domain to HTTP. Thin: parse, call permit/, render."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from permit import db
from permit.clock import SystemClock

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.update(
        DATABASE_URL=db.database_url(),
        CLOCK=SystemClock(),
        SECRET_KEY=os.environ.get("SECRET_KEY") or _instance_secret(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        LIVE_POLL_SECONDS=3,
        # The address phones open from a sign's QR code; unset, the address of the request.
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", ""),
        # No request body beyond this is read at all (a phone photo is a few MB; files are
        # kept up to permit.attachments.MAX_BYTES): a huge upload never fills the memory.
        MAX_CONTENT_LENGTH=32 * 2**20,
    )
    app.config.update(config or {})

    engine = db.make_engine(app.config["DATABASE_URL"])
    db.check_migrated(engine)  # refuse to serve an unmigrated database, naming the command
    app.extensions["db_engine"] = engine
    app.extensions["sessions"] = db.session_factory(engine)
    # The public scan page's one SELECT, opened by every phone at every entrance: in autocommit
    # (no BEGIN and ROLLBACK around it) and without a ping before each checkout, so one round
    # trip a scan. A connection the server dropped fails once and is retried (web/scan.py).
    app.extensions["scan_engine"] = db.make_engine(
        app.config["DATABASE_URL"], isolation_level="AUTOCOMMIT", pool_pre_ping=False
    )

    @app.teardown_appcontext
    def close_session(exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.rollback()  # whatever the view did not commit is not kept
            session.close()

    from permit.clock import local_text
    from permit.gas import limit_text
    from permit.models.enterprise import role_label

    from . import (
        account,
        api,
        attendant,
        auth,
        board,
        campaigns,
        contractors,
        desk,
        emergency,
        equipment,
        errors,
        i18n,
        inspections,
        oversight,
        permits,
        reminders,
        rules,
        scan,
        signs,
        spaces,
        training,
    )

    csrf = CSRFProtect(app)  # every POST form carries a token
    app.add_template_filter(local_text, "localtime")
    app.add_template_global(limit_text, "limit_text")
    app.add_template_global(role_label, "role_label")
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    reminders.init_app(app)
    for module in (
        auth,
        permits,
        desk,
        attendant,
        contractors,
        rules,
        board,
        spaces,
        equipment,
        training,
        emergency,
        signs,
        scan,
        inspections,
        oversight,
        campaigns,
        account,
    ):
        app.register_blueprint(module.bp)
    api.init_app(app, csrf)
    return app


def dispose(app: Flask) -> None:
    """Close the app's database pools: at shutdown, or before a server forks its workers."""
    for name in ("db_engine", "scan_engine"):
        app.extensions[name].dispose()


def _instance_secret() -> str:
    """A per-installation secret kept beside the default database, so sessions survive restarts
    and every process of one installation signs cookies alike."""
    folder = Path(os.environ.get("PERMIT_INSTANCE", "instance")).resolve()
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def get_session():
    """One session per request, closed at teardown; the view alone commits."""
    from flask import current_app

    if "db" not in g:
        g.db = current_app.extensions["sessions"]()
    return g.db


def clock():
    from flask import current_app

    return current_app.config["CLOCK"]
