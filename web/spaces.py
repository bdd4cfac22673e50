"""The ledger (台账, art. 8): list and filters, a space's entry, create, edit, retire, and the
Excel workbook out and in. Every staff member reads it; admin, principal and deputy keep it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from permit import access, ledger, ledger_excel, packs
from permit.catalogue import catalogue, key_supervision_reasons
from permit.clock import local_date
from permit.engine import workflow_of
from permit.errors import DomainError, InvalidInput
from permit.models import Enterprise, Permit, Space, User

from . import clock, get_session
from .auth import me
from .errors import notify
from .i18n import lang
from .roles import for_roles
from .workbooks import SHOWN_ERRORS, download, uploaded

bp = Blueprint("spaces", __name__)

READERS = ("principal", "deputy", "approver", "attendant", "entrant", "rescuer", "admin")
RECENT_PERMITS = 5


def _today():
    return local_date(clock().now())


def _workflow(session, user):
    """The pack the enterprise is judged by today: its hazard names and key-supervision rules."""
    return packs.workflow_for(session, user.enterprise_id, "confined_space", _today())


def _form_raw(form) -> dict:
    return {
        "code": form.get("code", ""),
        "name": form.get("name", ""),
        "location": form.get("location", ""),
        "industry": form.get("industry", ""),
        "catalogue_class": form.get("catalogue_class", ""),
        "hazards": form.getlist("hazards"),
        "isolation_measures": form.get("isolation_measures", ""),
        "control_measures": form.get("control_measures", ""),
        "deep": form.get("deep", ""),
        "sign_placed_on": form.get("sign_placed_on", ""),
        "notice_board_placed_on": form.get("notice_board_placed_on", ""),
        "emergency_phone": form.get("emergency_phone", ""),
    }


def _form_values(space: Space | None) -> dict:
    """What the form shows for a stored space (or a new one)."""
    if space is None:
        return {"hazards": [], "deep": "0", "industry": _my_industry()}
    values = ledger.current(space)
    values["isolation_measures"] = "\n".join(space.isolation_measures)
    values["control_measures"] = "\n".join(space.control_measures)
    values["deep"] = "1" if space.deep else "0"
    for name in ("sign_placed_on", "notice_board_placed_on"):
        values[name] = values[name].isoformat() if values[name] else ""
    values["catalogue_class"] = space.catalogue_class or ""
    return values


def _my_industry() -> str:
    enterprise = get_session().get(Enterprise, me().enterprise_id)
    return enterprise.industry if enterprise else ""


def _picker() -> list[tuple[str, dict, list[tuple[dict, list]]]]:
    """industry → its groups → their classes, in the appendix's order."""
    cat = catalogue()
    out = []
    for key, labels in cat.industries.items():
        groups: dict[tuple[str, str], list] = {}
        for cls in cat.classes_of(key):
            groups.setdefault((cls.group_zh, cls.group_en), []).append(cls)
        out.append(
            (key, labels, [({"zh": zh, "en": en}, classes) for (zh, en), classes in groups.items()])
        )
    return out


def _render_form(space: Space | None, values: dict, errors: dict, status: int = 200):
    session = get_session()
    return render_template(
        "spaces/form.html",
        space=space,
        values=values,
        errors=errors,
        picker=_picker(),
        labels=field_labels(),
        wf=_workflow(session, me()),
        today=_today(),
        enterprise_phone=_enterprise_phone(),
    ), status


def _enterprise_phone() -> str:
    """The number a sign prints when its space has none of its own."""
    enterprise = get_session().get(Enterprise, me().enterprise_id)
    return (enterprise.emergency_phone or "").strip() if enterprise else ""


def field_labels() -> dict[str, str]:
    return {
        "code": _("Code"),
        "name": _("Name of the space"),
        "location": _("Location"),
        "industry": _("Industry"),
        "catalogue_class": _("Class (key-supervision catalogue)"),
        "hazards": _("Hazards"),
        "isolation_measures": _("Isolation measures"),
        "control_measures": _("Control measures"),
        "deep": _("Deep or shallow"),
        "sign_placed_on": _("Warning sign placed on"),
        "notice_board_placed_on": _("Risk notice board placed on"),
        "emergency_phone": _("Emergency phone"),
    }


def _describer(wf):
    """A stored value as a person reads it in the history: names, not keys."""
    cat = catalogue()
    hazards = wf.section("hazards")

    def describe(field: str, value) -> str:
        if value is None or value == [] or value == "":
            return "—"
        if field == "hazards":
            return "、".join(hazards.get(h, {}).get(lang(), h) for h in value)
        if isinstance(value, list):
            return "；".join(str(v) for v in value)
        if field == "industry":
            return cat.industries.get(value, {}).get(lang(), value)
        if field == "catalogue_class":
            found = [c for (_i, k), c in cat.classes.items() if k == value]
            return found[0].zh if found else value
        if field == "deep":
            return _("deep") if value else _("shallow")
        return str(value)

    return describe


# -- the list and the entry -------------------------------------------------------------------


@bp.get("/spaces")
@login_required
@for_roles(*READERS)
def index():
    session = get_session()
    user = me()
    wf = _workflow(session, user)
    filters = ledger.Filters.from_args(request.args)
    found = ledger.spaces(session, user, filters, wf)
    return render_template(
        "spaces/index.html",
        spaces=found,
        filters=filters,
        wf=wf,
        cat=catalogue(),
        key={s.id for s in found if key_supervision_reasons(s, wf)},
        may_keep=ledger.may_keep(user),
    )


@bp.get("/spaces/<code>")
@login_required
@for_roles(*READERS)
def show(code: str):
    session = get_session()
    user = me()
    space = ledger.space_for(session, user, code)
    wf = _workflow(session, user)
    permits = session.scalars(
        access.visible_permits(user)
        .where(Permit.space_id == space.id)
        .order_by(Permit.id.desc())
        .limit(RECENT_PERMITS)
    ).all()
    keeper = ledger.may_keep(user)
    history = ledger.history(session, space)
    actors = {
        u.id: u.name
        for u in session.scalars(
            select(User).where(User.id.in_({e.actor_id for e in history if e.actor_id}))
        )
    }
    return render_template(
        "spaces/show.html",
        space=space,
        wf=wf,
        cat=catalogue(),
        key_reasons=key_supervision_reasons(space, wf),
        permits=[(p, workflow_of(p)) for p in permits],
        history=history,
        actors=actors,
        labels=field_labels(),
        describe=_describer(wf),
        can_request=access.can_request(user) and space.active,
        retired_because=ledger.retired_because(session, space),
        retire_refusals=ledger.retire_refusals(session, space) if keeper else [],
        may_keep=keeper,
        enterprise_phone=_enterprise_phone(),
    )


# -- keeping it -------------------------------------------------------------------------------


@bp.route("/spaces/new", methods=["GET", "POST"])
@login_required
@for_roles(*ledger.KEEPERS)
def new():
    if request.method == "GET":
        return _render_form(None, _form_values(None), {})
    session = get_session()
    user = me()
    raw = _form_raw(request.form)
    try:
        data = ledger.validate(raw, wf=_workflow(session, user), today=_today())
        space = ledger.create_space(session, user.enterprise_id, data, clock=clock(), actor=user)
    except ledger.LedgerInvalid as bad:
        session.rollback()
        return _render_form(None, raw, bad.by_field(lang()), 422)
    session.commit()
    notify(_("%(code)s added to the ledger.", code=space.code), "ok")
    return redirect(url_for("spaces.show", code=space.code), code=303)


@bp.route("/spaces/<code>/edit", methods=["GET", "POST"])
@login_required
@for_roles(*ledger.KEEPERS)
def edit(code: str):
    session = get_session()
    user = me()
    space = ledger.space_for(session, user, code)
    if not space.active:
        notify(_("%(code)s is retired: the ledger keeps it as it was.", code=space.code), "error")
        return redirect(url_for("spaces.show", code=space.code), code=303)
    if request.method == "GET":
        return _render_form(space, _form_values(space), {})
    raw = {**_form_raw(request.form), "code": space.code}
    try:
        data = ledger.validate(raw, wf=_workflow(session, user), today=_today())
        diff = ledger.update_space(session, space, data, clock=clock(), actor=user)
    except ledger.LedgerInvalid as bad:
        session.rollback()
        return _render_form(space, raw, bad.by_field(lang()), 422)
    session.commit()
    if diff:
        notify(_("%(code)s saved: %(n)s field(s) changed.", code=space.code, n=len(diff)), "ok")
    else:
        notify(_("Nothing changed."), "info")
    return redirect(url_for("spaces.show", code=space.code), code=303)


@bp.post("/spaces/<code>/retire")
@login_required
@for_roles(*ledger.KEEPERS)
def retire(code: str):
    session = get_session()
    user = me()
    space = ledger.space_for(session, user, code)
    try:
        ledger.retire_space(
            session, space, request.form.get("reason", ""), clock=clock(), actor=user
        )
    except DomainError as refused:
        session.rollback()
        for message in refused.messages(lang()):
            notify(message, "error")
        return redirect(url_for("spaces.show", code=code), code=303)
    session.commit()
    notify(_("%(code)s retired. Its record and permits stay in the ledger.", code=code), "ok")
    return redirect(url_for("spaces.show", code=code), code=303)


# -- Excel -----------------------------------------------------------------------------------


@bp.get("/spaces/export.xlsx")
@login_required
@for_roles(*READERS)
def export():
    session = get_session()
    user = me()
    wf = _workflow(session, user)
    filters = ledger.Filters.from_args(request.args)
    enterprise = session.get(Enterprise, user.enterprise_id)
    today = _today()
    workbook = ledger_excel.write(
        ledger.spaces(session, user, filters, wf),
        wf,
        title=f"{enterprise.name} 有限空间安全管理台账（{today.isoformat()}）",
    )
    return download(workbook, f"有限空间台账-{enterprise.code}-{today.isoformat()}.xlsx")


@bp.route("/spaces/import", methods=["GET", "POST"])
@login_required
@for_roles(*ledger.KEEPERS)
def import_ledger():
    if request.method == "GET":
        return render_template("spaces/import.html", result=None, problems=[], shown=SHOWN_ERRORS)
    session = get_session()
    user = me()
    only_good = request.form.get("only_good") == "1"
    try:
        result = ledger_excel.import_ledger(
            session,
            user,
            uploaded(request.files.get("file")),
            wf=_workflow(session, user),
            today=_today(),
            clock=clock(),
            only_good=only_good,
        )
    except InvalidInput as bad:
        session.rollback()
        return render_template(
            "spaces/import.html", result=None, problems=bad.messages(lang()), shown=SHOWN_ERRORS
        ), 422
    if not result.applied:
        session.rollback()
        return render_template(
            "spaces/import.html", result=result, problems=[], shown=SHOWN_ERRORS
        ), 422
    session.commit()
    notify(
        _(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "ok",
    )
    if result.errors:  # the good rows are in; the bad ones are listed, skipped
        return render_template("spaces/import.html", result=result, problems=[], shown=SHOWN_ERRORS)
    return redirect(url_for("spaces.index"), code=303)
