"""Permits: the list, a new request, the permit page with its next steps, events, live status."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from permit import access, contractors, emergency, engine, gas, jurisdictions, packs
from permit.clock import local_date, local_zone
from permit.engine import workflow_of
from permit.equipment import unusable_reason
from permit.errors import InvalidInput, NotFound
from permit.models import AuditEntry, Contractor, Enterprise, Equipment, Permit, Role, Space
from permit.qualification import unfit_reasons
from permit.requests import PermitRequest, request_permit
from permit.status import live_status
from permit.workflow import get as get_workflow

from . import clock, get_session, params
from .auth import me
from .errors import notify
from .event_forms import event_data
from .i18n import lang

bp = Blueprint("permits", __name__)


@bp.get("/")
@login_required
def home():
    user = me()
    if user.has_role(Role.attendant) and access.is_staff(user):
        return redirect(url_for("attendant.today"))
    if user.has_role(Role.principal, Role.deputy, Role.approver) and access.is_staff(user):
        return redirect(url_for("desk.inbox"))
    if access.is_contractor(user):
        return redirect(url_for("contractors.index"))
    if jurisdictions.overseer(user):
        return redirect(url_for("inspections.index"))
    return redirect(url_for("permits.index"))


@bp.get("/permits")
@login_required
def index():
    session = get_session()
    wf = get_workflow("confined_space")
    state = request.args.get("state", "")
    query = access.visible_permits(me())
    if state in wf.states:
        query = query.where(Permit.state == state)
    permits = session.scalars(query.order_by(Permit.id.desc()).limit(300)).all()
    return render_template("permits/index.html", permits=permits, state=state, wf=wf)


# -- a new request ------------------------------------------------------------------------


def _parse_local(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=local_zone())
    except (TypeError, ValueError):
        return None


def _ids(name: str) -> list[int]:
    return params.ids(request.form.getlist(name))


def _choices(session, user, space: Space | None, window_end: datetime | None):
    """People and equipment for the pickers, each with why they cannot be chosen (if so)."""
    day = local_date(window_end or clock().now())
    wf = _pack_workflow(session, user, day)
    people = access.colleagues(session, user)
    roles = {"attendant": [], "entrant": [], "rescuer": []}
    for person in people:
        for role in roles:
            roles[role].append((person, unfit_reasons(person, role, day, wf)))
    equipment = session.scalars(
        select(Equipment)
        .where(Equipment.enterprise_id == user.enterprise_id, Equipment.status != "retired")
        .order_by(Equipment.kind, Equipment.serial)
    ).all()
    companies = session.scalars(
        select(Contractor).where(
            Contractor.enterprise_id == user.enterprise_id, Contractor.retired_at.is_(None)
        )
    ).all()
    return {
        "people": roles,
        "equipment": [(item, unusable_reason(item, day)) for item in equipment],
        "contractors": companies,
        "supervisors": contractors.supervisor_choices(session, user.enterprise_id),
        "wf": wf,
    }


@bp.route("/permits/new", methods=["GET", "POST"])
@login_required
def new():
    user = me()
    if not access.can_request(user):
        raise NotFound([])
    session = get_session()
    spaces = session.scalars(
        access.visible_spaces(user).where(Space.retired_at.is_(None)).order_by(Space.code)
    ).all()
    chosen = request.values.get("space", type=int)
    space = next((s for s in spaces if s.id == chosen), None)
    now = clock().now()
    form = request.form if request.method == "POST" else {}
    errors: list[str] = []
    if request.method == "POST" and "create" in request.form:
        try:
            permit = _create(session, user, space)
        except InvalidInput as bad:
            session.rollback()
            errors = bad.messages(lang())
        else:
            session.commit()
            notify(
                _(
                    "Permit %(number)s created. Check what still blocks it and submit it.",
                    number=permit.number,
                ),
                "info",
            )
            return redirect(url_for("permits.show", number=permit.number))
    window_end = _parse_local(form.get("window_end", "")) if form else None
    defaults = {
        "window_start": (now + timedelta(minutes=30))
        .astimezone(local_zone())
        .strftime("%Y-%m-%dT%H:%M"),
        "window_end": (now + timedelta(hours=8))
        .astimezone(local_zone())
        .strftime("%Y-%m-%dT%H:%M"),
    }
    return render_template(
        "permits/new.html",
        spaces=spaces,
        space=space,
        form=form,
        defaults=defaults,
        errors=errors,
        **_choices(session, user, space, window_end),
    ), (422 if errors else 200)


def _pack_workflow(session, user, day):
    """The workflow of the rule pack the user's enterprise is judged by on that day."""
    return packs.workflow_for(session, user.enterprise_id, "confined_space", day)


def _create(session, user, space: Space | None):
    request_form = PermitRequest(
        space=space,
        task_type=request.form.get("task_type", ""),
        purpose=request.form.get("purpose", ""),
        window_start=_parse_local(request.form.get("window_start", "")),
        window_end=_parse_local(request.form.get("window_end", "")),
        attendant_id=request.form.get("attendant", type=int),
        entrant_ids=_ids("entrants"),
        rescuer_ids=_ids("rescuers"),
        equipment_ids=_ids("equipment"),
        contractor_id=request.form.get("contractor", type=int),
        hazards=request.form.getlist("hazards"),
        control_measures=request.form.get("control_measures", "").splitlines(),
        supervisor_id=request.form.get("supervisor", type=int),
    )
    return request_permit(session, user, request_form, clock=clock())


# -- the permit page ------------------------------------------------------------------------


@bp.get("/permits/<number>")
@login_required
def show(number: str):
    session = get_session()
    user = me()
    permit = access.permit_for(session, user, number)
    wf = workflow_of(permit)
    now = clock().now()
    steps = engine.steps_for(session, permit, user, clock=clock())
    history = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "permits", AuditEntry.subject_id == permit.id)
        .order_by(AuditEntry.seq)
    ).all()
    gases = gas.gases_to_test(permit.hazards, wf)
    readiness, disposal = [], None
    if permit.state in (wf.initial, "pending_approval"):  # flagged when the permit is asked for
        enterprise = session.get(Enterprise, permit.enterprise_id)
        today = local_date(now)
        pack = packs.packs()[packs.pack_in_force(session, permit.enterprise_id, today)]
        readiness = emergency.readiness(session, permit.space, enterprise, pack, today)
    if permit.state == "emergency":
        disposal = emergency.plan_for(session, permit.space)
    return render_template(
        "permits/show.html",
        readiness=readiness,
        disposal=disposal,
        permit=permit,
        wf=wf,
        steps=steps,
        history=history,
        status=live_status(permit, wf, now, lang()),
        gases=gases,
        gas_form=_gas_form(permit, wf, gases),
        now=now,
        poll=current_app.config["LIVE_POLL_SECONDS"],
    )


def _gas_form(permit, wf, gases):
    """One row per gas and sampling point, with the limits the page previews pass/fail by
    (the server decides; the colour only helps a gloved thumb see it at once)."""
    spec = wf.section("gases")
    points = wf.section("gas_tests").get("deep_points", []) if permit.space.deep else [""]
    rows = []
    for g in gases:
        limit_unit = (spec[g].get("max") or spec[g]["min"])["unit"]
        factors = {u: gas.convert(1.0, u, limit_unit, g, wf) for u in spec[g]["units"]}
        for point in points:
            rows.append(
                {
                    "gas": g,
                    "point": point,
                    "name": spec[g][lang()] if lang() in spec[g] else g,
                    "units": spec[g]["units"],
                    "factors": factors,
                    "limit": gas.limit_text(g, wf),
                    "min": spec[g].get("min", {}).get("value"),
                    "max": spec[g].get("max", {}).get("value"),
                    "strict": bool(spec[g].get("max", {}).get("strict")),
                }
            )
    return rows


@bp.post("/permits/<number>/events/<event>")
@login_required
def fire(number: str, event: str):
    session = get_session()
    user = me()
    permit = access.permit_for(session, user, number)
    expected = request.form.get("version", type=int)
    result = engine.apply(
        session,
        permit,
        event,
        user,
        event_data(request.form),
        clock=clock(),
        expected_version=expected,
    )
    session.commit()
    wf = workflow_of(permit)
    state = wf.state_label(result.state, lang())
    if result.outcomes.get("gas_test_passed") is False:
        notify(_("Gas test FAILED — nobody enters. Now: %(state)s.", state=state), "alarm")
    else:
        category = "alarm" if result.state in ("suspended", "emergency") else "ok"
        notify(
            _("%(event)s: done. Now: %(state)s.", event=wf.event_label(event, lang()), state=state),
            category,
        )
    return redirect(url_for("permits.show", number=permit.number), code=303)


@bp.get("/permits/<number>/live.json")
@login_required
def live(number: str):
    session = get_session()
    permit = access.permit_for(session, me(), number)
    status = live_status(permit, workflow_of(permit), clock().now(), lang())
    response = jsonify(status)
    response.headers["Cache-Control"] = "no-store"
    return response
