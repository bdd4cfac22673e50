"""Training (art. 7) and qualification cards: sessions held, the annual plan, each person's
card. The staff read them; the principal, deputy and admin record them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from permit import access, attachments, packs, training, training_excel
from permit.clock import local_date
from permit.errors import InvalidInput, NotFound
from permit.models import Enterprise, User

from . import clock, get_session
from .auth import me
from .errors import notify
from .i18n import lang
from .workbooks import SHOWN_ERRORS, download, uploaded

bp = Blueprint("training", __name__)

KEEPERS = ("admin", "principal", "deputy")


def _staff() -> User:
    user = me()
    if not access.is_staff(user):
        raise NotFound([])
    return user


def _keeper() -> User:
    user = _staff()
    if not user.has_role(*KEEPERS):
        raise NotFound([])
    return user


def _workflow(user: User):
    today = local_date(clock().now())
    return packs.workflow_for(get_session(), user.enterprise_id, "confined_space", today)


def _people(user: User) -> list[User]:
    """Everyone who may be trained: the enterprise's people and its contractors' workers."""
    return list(
        get_session().scalars(
            select(User)
            .where(User.enterprise_id == user.enterprise_id, User.active.is_(True))
            .options(selectinload(User.trainings), selectinload(User.role_rows))
            .order_by(User.contractor_id.is_not(None), User.name)
        )
    )


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value == value else None  # NaN is no number of hours


@bp.get("/training")
@login_required
def index():
    user = _staff()
    session = get_session()
    today = local_date(clock().now())
    year = request.args.get("year", type=int) or today.year
    held = training.held_sessions(session, user.enterprise_id, year)
    return render_template(
        "training/index.html",
        year=year,
        held=held,
        progress=training.plan_progress(
            training.plan_for(session, user.enterprise_id, year), held, today
        ),
        kinds=_workflow(user).section("training"),
        can_keep=user.has_role(*KEEPERS),
        today=today,
        roles=training.PERMIT_ROLES,
    )


@bp.get("/training/new")
@login_required
def new():
    user = _keeper()
    return render_template(
        "training/new.html",
        kinds=_workflow(user).section("training"),
        people=_people(user),
        today=local_date(clock().now()),
    )


@bp.post("/training")
@login_required
def record():
    user = _keeper()
    g.back = url_for("training.new")
    session = get_session()
    people = {str(p.id): p for p in _people(user)}
    attendees = [
        (person, answer == "passed")
        for key, person in people.items()
        if (answer := request.form.get(f"person-{key}")) in ("passed", "failed")
    ]
    materials = [
        attachments.store(
            session,
            enterprise_id=user.enterprise_id,
            filename=upload.filename,
            data=upload.read(attachments.MAX_BYTES + 1),
            clock=clock(),
            actor=user,
        )
        for upload in request.files.getlist("materials")
        if upload and upload.filename
    ]
    held = training.record_session(
        session,
        session.get(Enterprise, user.enterprise_id),
        workflow=_workflow(user),
        kind=request.form.get("kind", ""),
        topic=request.form.get("topic", ""),
        held_on=_date(request.form.get("held_on", "")),
        trainer=request.form.get("trainer", ""),
        hours=_number(request.form.get("hours", "")),
        attendees=attendees,
        materials=materials,
        clock=clock(),
        actor=user,
    )
    session.commit()
    failed = sum(1 for _p, ok in attendees if not ok)
    notify(
        _(
            "Training recorded: %(passed)d passed, %(failed)d failed.",
            passed=len(attendees) - failed,
            failed=failed,
        ),
        "ok",
    )
    return redirect(url_for("training.index", year=held.held_on.year), code=303)


@bp.post("/training/plan")
@login_required
def plan():
    user = _keeper()
    g.back = url_for("training.index")
    session = get_session()
    item = training.add_plan_item(
        session,
        session.get(Enterprise, user.enterprise_id),
        workflow=_workflow(user),
        year=request.form.get("year", type=int) or 0,
        month=request.form.get("month", type=int) or 0,
        kind=request.form.get("kind", ""),
        topic=request.form.get("topic", ""),
        audience=request.form.getlist("audience"),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(_("Added to the %(year)s plan.", year=item.year), "ok")
    return redirect(url_for("training.index", year=item.year), code=303)


@bp.get("/training/export.xlsx")
@login_required
def export():
    """The records of one year (or all) in the layout the import reads: a starting file."""
    user = _staff()
    session = get_session()
    year = request.args.get("year", type=int)
    enterprise = session.get(Enterprise, user.enterprise_id)
    today = local_date(clock().now())
    span = str(year) if year else f"截至{today.isoformat()}"
    workbook = training_excel.write(
        session,
        enterprise,
        training_excel.records(session, enterprise.id, year),
        _workflow(user),
        title=f"{enterprise.name} 有限空间作业安全培训记录（{span}）",
    )
    return download(workbook, f"培训记录-{enterprise.code}-{year or today.isoformat()}.xlsx")


def _import_page(result=None, problems=(), status: int = 200):
    return render_template(
        "training/import.html",
        result=result,
        problems=list(problems),
        shown=SHOWN_ERRORS,
        max_hours=training_excel.MAX_HOURS,
    ), status


@bp.route("/training/import", methods=["GET", "POST"])
@login_required
def import_records():
    user = _keeper()
    if request.method == "GET":
        return _import_page()
    session = get_session()
    try:
        result = training_excel.import_records(
            session,
            user,
            uploaded(request.files.get("file")),
            wf=_workflow(user),
            today=local_date(clock().now()),
            clock=clock(),
        )
    except InvalidInput as bad:
        session.rollback()
        return _import_page(problems=bad.messages(lang()), status=422)
    if not result.applied:
        session.rollback()
        return _import_page(result, status=422)
    session.commit()
    notify(
        _(
            "%(created)s training record(s) imported in %(sessions)s new session(s); "
            "%(unchanged)s row(s) were already recorded.",
            created=result.created,
            sessions=result.sessions,
            unchanged=result.unchanged,
        ),
        "ok",
    )
    return redirect(url_for("training.index"), code=303)


@bp.get("/people")
@login_required
def people():
    user = _staff()
    wf = _workflow(user)
    today = local_date(clock().now())
    cards = [training.card(p, wf, today) for p in _people(user)]
    return render_template("training/people.html", cards=cards, roles=training.PERMIT_ROLES)


@bp.get("/people/<int:person_id>")
@login_required
def card(person_id: int):
    user = _staff()
    person = get_session().get(User, person_id)
    if person is None or person.enterprise_id != user.enterprise_id:
        raise NotFound([])
    today = local_date(clock().now())
    return render_template(
        "training/card.html",
        card=training.card(person, _workflow(user), today),
        person=person,
        roles=training.PERMIT_ROLES,
        today=today,
    )
