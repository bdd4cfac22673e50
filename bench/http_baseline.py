"""The HTTP benchmark's baseline: bare Flask + SQLAlchemy endpoints doing the same number of
reads and writes as the app's step confirmation and live page, on tables of their own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, abort, current_app, jsonify, redirect, request, session
from sqlalchemy import JSON, ForeignKey, MetaData, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from permit.models.base import UTCDateTime

PREFIX = "/_baseline"

STEP_DOES = (
    "POST: user id from the same signed Flask session cookie; session.get the user row, "
    "SELECT the permit row by number; refuse a stale version (409); update the permit "
    "(updated_at, last_event; version_id_col bumps the version); insert one entry-log row "
    "and one row standing for the audit entry (JSON data, no hash chain, no head row); "
    "commit; 303 redirect to the permit page. No CSRF check, no flash, no guards."
)
LIVE_DOES = (
    "GET: user id from the same signed session cookie; session.get the user row, SELECT the "
    "permit row by number, then simple SELECTs (alternately the permit's gas readings, "
    "9 rows, and one user row by key) until it has sent as many SELECTs as the app's live "
    "endpoint does; jsonify a status document of the same shape (number, state, version, "
    "headcount, readings). No login_required, no Babel."
)
PING_DOES = "GET: a constant 2-byte text response, no database, no session"
STATIC_DOES = (
    "GET: a constant HTML page (the bytes of a scan page taken once before the run), no "
    "database, no session, no template; Cache-Control: no-store as the scan page sends"
)


class HttpBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class BUser(HttpBase):
    __tablename__ = "bench_http_users"
    id: Mapped[int] = mapped_column(primary_key=True)  # the same ids as the real users
    username: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    enterprise_id: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class BPermit(HttpBase):
    __tablename__ = "bench_http_permits"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_id: Mapped[int | None]
    state: Mapped[str] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(nullable=False)
    attendant_id: Mapped[int | None] = mapped_column(ForeignKey("bench_http_users.id"))
    hazards: Mapped[list] = mapped_column(default=list)
    updated_at: Mapped[datetime]
    last_event: Mapped[str | None] = mapped_column(String(40))
    headcount: Mapped[int] = mapped_column(default=0)

    __mapper_args__ = {"version_id_col": version}


class BEntry(HttpBase):
    __tablename__ = "bench_http_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_http_permits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_http_users.id"))
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("bench_http_users.id"))


class BAudit(HttpBase):
    __tablename__ = "bench_http_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_http_permits.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("bench_http_users.id"))
    event: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(default=dict)
    at: Mapped[datetime]


class BReading(HttpBase):
    __tablename__ = "bench_http_readings"
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("bench_http_permits.id"), index=True)
    gas: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(40))
    point: Mapped[str] = mapped_column(String(20))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool]


bp = Blueprint("bench_baseline", __name__, url_prefix=PREFIX)


def _sessions() -> sessionmaker:
    return current_app.extensions["bench_http_sessions"]


def _user_id() -> int:
    uid = session.get("_user_id")  # what Flask-Login keeps in the same cookie
    if not uid or not str(uid).isdigit():
        abort(401)
    return int(uid)


@bp.get("/ping")
def ping():
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/static-page")
def static_page():
    body = current_app.config.get("BENCH_HTTP_STATIC_PAGE") or b""
    return body, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


@bp.post("/permits/<number>/events/<event>")
def fire(number: str, event: str):
    uid = _user_id()
    expected = request.form.get("version", type=int)
    person = request.form.get("person", type=int)
    if event not in ("check_in", "check_out") or person is None:
        abort(422)
    with _sessions()() as s:
        user = s.get(BUser, uid)
        permit = s.scalars(select(BPermit).where(BPermit.number == number)).first()
        if user is None or permit is None:
            abort(404)
        if expected is not None and expected != permit.version:
            return jsonify(error="conflict"), 409
        now = datetime.now(UTC)
        source = permit.state
        permit.updated_at, permit.last_event = now, event
        permit.headcount = permit.headcount + (1 if event == "check_in" else -1)
        s.add(
            BEntry(
                permit_id=permit.id,
                user_id=person,
                recorded_by_id=user.id,
                at=now,
                direction="in" if event == "check_in" else "out",
            )
        )
        s.add(
            BAudit(
                permit_id=permit.id,
                actor_id=user.id,
                event=event,
                at=now,
                data={
                    "from": source,
                    "to": permit.state,
                    "person": person,
                    "headcount": permit.headcount,
                },
            )
        )
        try:
            s.commit()
        except StaleDataError:
            return jsonify(error="conflict"), 409
    return redirect(f"{PREFIX}/permits/{number}", code=303)


@bp.get("/permits/<number>/live.json")
def live(number: str):
    uid = _user_id()
    reads = current_app.config.get("BENCH_HTTP_LIVE_READS") or 2
    with _sessions()() as s:
        user = s.get(BUser, uid)
        permit = s.scalars(select(BPermit).where(BPermit.number == number)).first()
        if user is None or permit is None:
            abort(404)
        readings: list[Any] = []
        names: list[str] = []
        for i in range(max(0, reads - 2)):
            if i % 2 == 0:
                readings = list(
                    s.scalars(
                        select(BReading)
                        .where(BReading.permit_id == permit.id)
                        .order_by(BReading.id)
                    )
                )
            else:
                names = [s.scalars(select(BUser.name).where(BUser.id == uid)).one()]
        status = {
            "number": permit.number,
            "state": permit.state,
            "state_label": permit.state,
            "version": permit.version,
            "alarm": False,
            "headcount": permit.headcount,
            "inside": names if permit.headcount else [],
            "last_test": {
                "at": permit.updated_at.isoformat(timespec="minutes"),
                "passed": True,
                "age_minutes": 0,
                "stale": False,
                "readings": [
                    {
                        "gas": r.gas,
                        "name": r.name,
                        "point": r.point,
                        "value": r.value,
                        "unit": r.unit,
                        "passed": r.passed,
                    }
                    for r in readings
                ],
            },
        }
    response = jsonify(status)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask, live_reads: int | None = None) -> Flask:
    """Mount the baseline under /_baseline on the app, on the app's own engine (same pool
    settings), outside CSRF (bare Flask does not check it)."""
    app.extensions["bench_http_sessions"] = sessionmaker(
        app.extensions["db_engine"], expire_on_commit=False
    )
    app.config["BENCH_HTTP_LIVE_READS"] = live_reads
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
    return app
