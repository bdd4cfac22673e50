"""Expert visits: the regulator's desk (jurisdiction, enterprises, visits) and the expert's
phone (the visit's steps and the 20-checkpoint form, saved field by field)."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from permit import (
    attachments,
    campaigns,
    engine,
    evidence,
    followup,
    inspections,
    jurisdictions,
    penalties,
)
from permit.clock import local_date
from permit.documents.consultation import consultation_pdf
from permit.documents.problem_list import problem_list_pdf
from permit.errors import InvalidInput, NotFound, plain
from permit.models import Campaign, Enterprise, Inspection, User

from . import clock, get_session, params
from .auth import me
from .downloads import pack_download, pdf_cache, pdf_response
from .errors import notify
from .i18n import lang

bp = Blueprint("inspections", __name__)


def _visible_to(user: User) -> None:
    """Experts and regulators of a jurisdiction, or an enterprise's own staff; else 404."""
    if not jurisdictions.overseer(user) and (user.enterprise_id is None or user.contractor_id):
        raise NotFound([])


@bp.get("/inspections")
@login_required
def index():
    session = get_session()
    user = me()
    _visible_to(user)
    visits = session.scalars(
        inspections.visible_inspections(session, user).order_by(Inspection.planned_on.desc())
    ).all()
    enterprises, nodes, running = [], [], []
    if jurisdictions.overseer(user):
        today = local_date(clock().now())
        enterprises = [
            (e, jurisdictions.scope_of(session, e, today))
            for e in session.scalars(
                jurisdictions.visible_enterprises(session, user).order_by(Enterprise.code)
            )
        ]
        nodes = jurisdictions.path(session, user.jurisdiction_id)
        running = session.scalars(
            campaigns.visible_campaigns(session, user)
            .where(Campaign.ends_on >= today)
            .order_by(Campaign.starts_on, Campaign.id)
        ).all()
    return render_template(
        "inspections/index.html",
        visits=visits,
        campaigns=running,
        enterprises=enterprises,
        nodes=nodes,
        wf=inspections.workflow(),
    )


@bp.get("/inspections/enterprises/<code>")
@login_required
def enterprise(code: str):
    session = get_session()
    user = me()
    ent = jurisdictions.enterprise_for(session, user, code)
    visits = session.scalars(
        inspections.visible_inspections(session, user)
        .where(Inspection.enterprise_id == ent.id)
        .order_by(Inspection.planned_on.desc())
    ).all()
    return render_template(
        "inspections/enterprise.html",
        ent=ent,
        scope=jurisdictions.scope_of(session, ent, local_date(clock().now())),
        nodes=jurisdictions.path(session, ent.jurisdiction_id),
        visits=visits,
        experts=inspections.experts_for(session, ent) if inspections.can_plan(user) else [],
        campaigns=campaigns.for_enterprise(session, user, ent)
        if inspections.can_plan(user)
        else [],
        today=local_date(clock().now()),
        wf=inspections.workflow(),
    )


@bp.post("/inspections/enterprises/<code>/visits")
@login_required
def plan(code: str):
    session = get_session()
    user = me()
    ent = jurisdictions.enterprise_for(session, user, code)
    if not inspections.can_plan(user):
        raise NotFound([])
    g.back = url_for("inspections.enterprise", code=ent.code)
    try:
        planned_on = date.fromisoformat(request.form.get("planned_on", ""))
    except ValueError:
        raise InvalidInput(
            [plain("bad_date", "请填写计划日期", "Give the date of the visit")]
        ) from None
    chosen = set(params.ids(request.form.getlist("experts")))
    experts = [e for e in inspections.experts_for(session, ent) if e.id in chosen]
    campaign = None
    if request.form.get("campaign"):
        # a campaign the lead cannot see is as good as none: refused, never revealed
        campaign = next(
            (
                c
                for c in session.scalars(campaigns.visible_campaigns(session, user))
                if str(c.id) == request.form["campaign"]
            ),
            None,
        )
        if campaign is None:
            raise InvalidInput([plain("no_campaign", "没有找到该专项行动", "No such campaign")])
    visit = inspections.plan(
        session,
        enterprise=ent,
        planned_on=planned_on,
        lead=user,
        experts=experts,
        clock=clock(),
        campaign=campaign,
    )
    session.commit()
    notify(_("Visit %(number)s planned.", number=visit.number), "ok")
    return redirect(url_for("inspections.show", number=visit.number), code=303)


@bp.get("/inspections/<number>")
@login_required
def show(number: str):
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    wf = engine.workflow_of(visit)
    findings = {f.checkpoint: f for f in inspections.findings_of(session, visit)}
    candidates = []
    if user.id == visit.lead_id and visit.state in ("planned", "notified"):
        on_team = {e.id for e in visit.experts}
        candidates = [
            e for e in inspections.experts_for(session, visit.enterprise) if e.id not in on_team
        ]
    return render_template(
        "inspections/show.html",
        visit=visit,
        wf=wf,
        steps=engine.steps_for(session, visit, user, clock=clock()),
        findings=findings,
        checkpoints=inspections.checkpoints(wf),
        on_team=inspections.on_team(visit, user),
        may_download=inspections.on_team(visit, user) or user.id == visit.lead_id,
        answering=visit.state in inspections.ANSWERABLE
        and user.enterprise_id == visit.enterprise_id
        and user.contractor_id is None
        and user.has_role(*inspections.ANSWERERS),
        judging=visit.state in followup.JUDGING and followup.on_team_or_lead(visit, user),
        penalties=penalties.penalties_for(session, visit),
        flagged=followup.flagged_for_enforcement(session, visit),
        short=inspections.short_consultation(visit, clock().now()),
        candidates=candidates,
        nodes=jurisdictions.path(session, visit.jurisdiction_id),
    )


@bp.get("/inspections/<number>/report.pdf")
@login_required
def report_pdf(number: str):
    """The filled 现场会诊表: to the team, the jurisdiction's overseers and the enterprise."""
    session = get_session()
    visit = inspections.inspection_for(session, me(), number)
    body = consultation_pdf(session, visit, cache=pdf_cache())
    return pdf_response(body, f"现场会诊表-{visit.number}.pdf")


@bp.get("/inspections/<number>/documents.zip")
@login_required
def documents(number: str):
    """The visited enterprise's document pack, for the visit's team and its lead."""
    user = me()
    visit = inspections.inspection_for(get_session(), user, number)
    if not (inspections.on_team(visit, user) or user.id == visit.lead_id):
        raise NotFound([])
    return pack_download(visit.enterprise_id)


@bp.post("/inspections/<number>/team")
@login_required
def add_expert(number: str):
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    g.back = url_for("inspections.show", number=visit.number)
    wanted = request.form.get("expert", type=int)
    expert = next(
        (e for e in inspections.experts_for(session, visit.enterprise) if e.id == wanted), None
    )
    if expert is None:
        raise InvalidInput([plain("no_expert", "请选择专家", "Choose an expert")])
    inspections.add_expert(session, visit, expert, actor=user, clock=clock())
    session.commit()
    return redirect(g.back, code=303)


def _event_data(event: str) -> dict:
    """The form of one step, as the data its rules judge (and nothing else)."""
    form = request.form
    data: dict = {}
    if "confirmed" in form:
        data["confirmed"] = form.getlist("confirmed")
    if event == "notify":
        data["documents"] = form.getlist("documents")
    if event == "kickoff":
        data["attendees"] = {
            key.split(":", 1)[1]: value
            for key, value in form.items()
            if key.startswith("attendee:")
        }
    for key in ("password", "conclusion"):
        if key in form:
            data[key] = form.get(key, "").strip()
    return data


@bp.post("/inspections/<number>/events/<event>")
@login_required
def fire(number: str, event: str):
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    g.back = url_for("inspections.show", number=visit.number)
    result = engine.apply(
        session,
        visit,
        event,
        user,
        _event_data(event),
        clock=clock(),
        expected_version=request.form.get("version", type=int),
    )
    session.commit()
    wf = engine.workflow_of(visit)
    notify(
        _(
            "%(event)s: done. Now: %(state)s.",
            event=wf.event_label(event, lang()),
            state=wf.state_label(result.state, lang()),
        ),
        "ok",
    )
    return redirect(g.back, code=303)


# -- the consultation form, on the expert's phone -----------------------------------------


@bp.get("/inspections/<number>/form")
@login_required
def form(number: str):
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    if not inspections.on_team(visit, user):
        raise NotFound([])
    wf = engine.workflow_of(visit)
    today = local_date(clock().now())
    return render_template(
        "inspections/form.html",
        visit=visit,
        wf=wf,
        checkpoints=inspections.checkpoints(wf),
        findings={f.checkpoint: f for f in inspections.findings_of(session, visit)},
        # What the enterprise's own records show for each checkpoint: the expert decides.
        evidence=evidence.evidence(session, visit.enterprise_id, today, clock().now()),
        editable=visit.state in inspections.EDITABLE,
        today=today,
        # the names the team may pick as the person responsible; any name may be typed
        staff=session.scalars(
            select(User.name)
            .where(
                User.enterprise_id == visit.enterprise_id,
                User.contractor_id.is_(None),
                User.active.is_(True),
            )
            .order_by(User.name)
        ).all(),
    )


def _finding_json(row) -> dict:
    return {
        "checkpoint": row.checkpoint,
        "methods": row.methods,
        "result": row.result,
        "description": row.description,
        "suggestion": row.suggestion,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "responsible": row.responsible,
        "photos": [p.id for p in row.photos],
    }


@bp.post("/inspections/<number>/checkpoints/<int:checkpoint>")
@login_required
def save(number: str, checkpoint: int):
    """One field of one checkpoint; sent again (a retry), it changes nothing."""
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    g.back = url_for("inspections.form", number=visit.number)
    body = request.get_json(silent=True) if request.is_json else None
    if body is None:
        body = {"field": request.form.get("field", ""), "value": request.form.getlist("value")}
        if body["field"] != "methods":
            body["value"] = (body["value"] or [""])[0]
    if not isinstance(body, dict):
        raise InvalidInput([plain("bad_body", "请求无效", "Bad request")])
    row = inspections.save_field(
        session,
        visit,
        checkpoint,
        str(body.get("field", "")),
        body.get("value"),
        actor=user,
        clock=clock(),
    )
    session.commit()
    if request.is_json:
        return jsonify(saved=_finding_json(row))
    return redirect(g.back + f"#cp-{checkpoint}", code=303)


@bp.post("/inspections/<number>/checkpoints/<int:checkpoint>/photos")
@login_required
def add_photo(number: str, checkpoint: int):
    """A photo from the phone's camera; the same photo sent twice is kept once."""
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    g.back = url_for("inspections.form", number=visit.number)
    upload = request.files.get("photo")
    photo = inspections.add_photo(
        session,
        visit,
        checkpoint,
        filename=(upload.filename if upload else "") or "photo.jpg",
        data=upload.read(attachments.MAX_BYTES + 1) if upload else b"",
        actor=user,
        clock=clock(),
    )
    session.commit()
    url = url_for("inspections.photo", number=visit.number, photo_id=photo.id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(photo={"id": photo.id, "url": url})
    return redirect(g.back + f"#cp-{checkpoint}", code=303)


@bp.get("/inspections/<number>/photos/<int:photo_id>")
@login_required
def photo(number: str, photo_id: int):
    session = get_session()
    found = inspections.photo_for(session, me(), number, photo_id)
    response = Response(found.resized.data, mimetype=found.resized.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.post("/inspections/<number>/checkpoints/<int:checkpoint>/answer")
@login_required
def answer(number: str, checkpoint: int):
    """The enterprise says how it rectified one of its problems."""
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    g.back = url_for("inspections.show", number=visit.number)
    inspections.answer(
        session, visit, checkpoint, request.form.get("answer", ""), actor=user, clock=clock()
    )
    session.commit()
    notify(_("Answer saved."), "ok")
    return redirect(g.back + f"#cp-{checkpoint}", code=303)


@bp.post("/inspections/<number>/checkpoints/<int:checkpoint>/answer/photos")
@login_required
def add_answer_photo(number: str, checkpoint: int):
    """The enterprise's photo of a rectified problem; the same photo sent twice is kept once."""
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    g.back = url_for("inspections.show", number=visit.number) + f"#cp-{checkpoint}"
    uploads = [u for u in request.files.getlist("photo") if u]
    if not uploads:  # refused as the domain refuses it: not theirs, not yet, not a photo
        inspections.add_answer_photo(
            session, visit, checkpoint, filename="photo.jpg", data=b"", actor=user, clock=clock()
        )
    photos = [
        inspections.add_answer_photo(
            session,
            visit,
            checkpoint,
            filename=upload.filename or "photo.jpg",
            data=upload.read(attachments.MAX_BYTES + 1),
            actor=user,
            clock=clock(),
        )
        for upload in uploads
    ]
    session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            photos=[
                {
                    "id": p.id,
                    "url": url_for("inspections.photo", number=visit.number, photo_id=p.id),
                }
                for p in photos
            ]
        )
    notify(_("Photo saved."), "ok")
    return redirect(g.back, code=303)


@bp.post("/inspections/<number>/checkpoints/<int:checkpoint>/followup")
@login_required
def verdict(number: str, checkpoint: int):
    """回头看: the team's verdict on one problem's rectification."""
    session = get_session()
    user = me()
    visit = inspections.inspection_for(session, user, number)
    g.back = url_for("inspections.show", number=visit.number) + f"#cp-{checkpoint}"
    followup.record_verdict(
        session,
        visit,
        checkpoint,
        request.form.get("verdict", ""),
        request.form.get("note", ""),
        actor=user,
        clock=clock(),
    )
    session.commit()
    notify(_("Follow-up verdict saved."), "ok")
    return redirect(g.back, code=303)


@bp.get("/inspections/<number>/problems.pdf")
@login_required
def problems_pdf(number: str):
    """The problem list (问题清单及整改建议): the team, the jurisdiction's overseers and the
    visited enterprise's own staff; nobody else finds the visit."""
    session = get_session()
    visit = inspections.inspection_for(session, me(), number)
    body = problem_list_pdf(session, visit, cache=pdf_cache())
    return pdf_response(body, f"问题清单-{visit.number}.pdf")
