"""Emergency readiness (art. 14): disposal plans and drills. The staff read them; the
principal, deputy and admin record them and, where the pack leaves it to the enterprise,
set how often it drills."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from permit import access, attachments, catalogue, emergency, packs, registers
from permit.clock import local_date
from permit.drills import drill_status
from permit.errors import InvalidInput, NotFound, plain
from permit.models import Drill, Enterprise, Space, User

from . import clock, get_session, params
from .auth import me
from .errors import notify

bp = Blueprint("emergency", __name__)

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
    g.back = url_for("emergency.index")
    return user


def _pack(user: User):
    today = local_date(clock().now())
    return packs.packs()[packs.pack_in_force(get_session(), user.enterprise_id, today)]


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _files(user: User, field: str):
    return [
        attachments.store(
            get_session(),
            enterprise_id=user.enterprise_id,
            filename=upload.filename,
            data=upload.read(attachments.MAX_BYTES + 1),
            clock=clock(),
            actor=user,
        )
        for upload in request.files.getlist(field)
        if upload and upload.filename
    ]


@bp.get("/emergency")
@login_required
def index():
    user = _staff()
    session = get_session()
    today = local_date(clock().now())
    enterprise = session.get(Enterprise, user.enterprise_id)
    pack = _pack(user)
    last = emergency.last_drill_on(session, enterprise.id)
    people = session.scalars(
        select(User)
        .where(User.enterprise_id == user.enterprise_id, User.active.is_(True))
        .order_by(User.contractor_id.is_not(None), User.name)
    ).all()
    spaces = session.scalars(
        select(Space)
        .where(Space.enterprise_id == user.enterprise_id, Space.retired_at.is_(None))
        .order_by(Space.code)
    ).all()
    return render_template(
        "emergency/index.html",
        plans=emergency.active_plans(session, enterprise.id),
        drills=session.scalars(
            select(Drill)
            .where(Drill.enterprise_id == enterprise.id)
            .order_by(Drill.held_on.desc(), Drill.id.desc())
        ).all(),
        status=drill_status(pack, last, today, enterprise.drill_period_months),
        warnings=emergency.drill_warnings(session, enterprise, pack, today),
        pack=pack,
        enterprise=enterprise,
        people=people,
        names={p.id: p.name for p in people},
        spaces=spaces,
        classes=_classes(spaces),
        can_keep=user.has_role(*KEEPERS),
        today=today,
    )


@bp.post("/emergency/plans")
@login_required
def add_plan():
    user = _keeper()
    session = get_session()
    scope = request.form.get("scope", "")
    space = None
    cls = None
    if scope.startswith("space:"):
        space = session.scalar(
            select(Space).where(
                Space.enterprise_id == user.enterprise_id, Space.code == scope[len("space:") :]
            )
        )
        if space is None:
            raise InvalidInput([plain("plan_scope", "没有该有限空间", "no such space")])
    elif scope.startswith("class:"):
        cls = scope[len("class:") :]
    files = _files(user, "document")
    emergency.add_plan(
        session,
        session.get(Enterprise, user.enterprise_id),
        title=request.form.get("title", ""),
        steps=request.form.get("steps", "").splitlines(),
        effective_on=_date(request.form.get("effective_on", "")),
        space=space,
        catalogue_class=cls,
        attachment=files[0] if files else None,
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(_("Disposal plan saved."), "ok")
    return redirect(url_for("emergency.index"), code=303)


@bp.post("/emergency/drills")
@login_required
def add_drill():
    user = _keeper()
    session = get_session()
    chosen = set(params.ids(request.form.getlist("participants")))
    people = session.scalars(select(User).where(User.id.in_(chosen))).all() if chosen else []
    plan_id = request.form.get("plan", type=int)
    plan = next(
        (p for p in emergency.active_plans(session, user.enterprise_id) if p.id == plan_id), None
    )
    emergency.record_drill(
        session,
        session.get(Enterprise, user.enterprise_id),
        pack=_pack(user),
        held_on=_date(request.form.get("held_on", "")),
        scenario=request.form.get("scenario", ""),
        participants=people,
        evaluation=request.form.get("evaluation", ""),
        plan=plan,
        photos=_files(user, "photos"),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(_("Drill recorded."), "ok")
    return redirect(url_for("emergency.index"), code=303)


@bp.post("/emergency/period")
@login_required
def set_period():
    user = _keeper()
    session = get_session()
    if _pack(user).section("drills").get("set_by") != "enterprise":
        raise InvalidInput(
            [plain("period_fixed", "现行规则已规定演练周期", "the rules in force fix the period")]
        )
    months = request.form.get("months", type=int)
    if months is None or not 1 <= months <= 12:
        raise InvalidInput(
            [plain("period", "演练周期应为1至12个月", "the period must be 1 to 12 months")]
        )
    enterprise = session.get(Enterprise, user.enterprise_id)
    before = enterprise.drill_period_months
    enterprise.drill_period_months = months
    registers._audit(
        session,
        enterprise,
        enterprise.id,
        user,
        "drill_period",
        clock().now(),
        months={"from": before, "to": months},
    )
    session.commit()
    notify(_("The enterprise drills every %(months)s months.", months=months), "ok")
    return redirect(url_for("emergency.index"), code=303)


def _classes(spaces) -> dict[str, str]:
    """The catalogue classes the enterprise's spaces belong to, with their names."""
    listed = catalogue.catalogue().classes
    return {
        s.catalogue_class: listed[(s.industry, s.catalogue_class)].zh
        if (s.industry, s.catalogue_class) in listed
        else s.catalogue_class
        for s in spaces
        if s.catalogue_class
    }
