"""Contractors (art. 6). The enterprise side, /contractors: every staff member reads the
companies, their agreements and workers; the principal, deputy and admin keep them. The
contractor's side, /contractor: its administrator sees only its own company — its permits,
agreements and workers — and keeps its worker list."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from permit import access, attachments, contractors, packs
from permit.clock import local_date
from permit.errors import NotFound
from permit.models import Enterprise, Permit, SafetyAgreement, User
from permit.qualification import latest_valid_until, unfit_reasons

from . import clock, get_session
from .auth import me
from .errors import notify
from .roles import for_roles

bp = Blueprint("contractors", __name__)

KEEPERS = ("admin", "principal", "deputy")


def _today() -> date:
    return local_date(clock().now())


def _workflow(user: User):
    return packs.workflow_for(get_session(), user.enterprise_id, "confined_space", _today())


def _pack(user: User):
    return packs.packs()[packs.pack_in_force(get_session(), user.enterprise_id, _today())]


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _upload(user: User, field: str):
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    return attachments.store(
        get_session(),
        enterprise_id=user.enterprise_id,
        filename=upload.filename,
        data=upload.read(attachments.MAX_BYTES + 1),
        clock=clock(),
        actor=user,
    )


def _training(workers: list[User], user: User):
    """Each worker with what keeps them off a permit today, and until when they may go on."""
    wf = _workflow(user)
    today = _today()
    rows = []
    for worker in workers:
        roles = [r.role for r in worker.role_rows if r.role in ("entrant", "rescuer", "attendant")]
        unfit = [reason for role in roles for reason in unfit_reasons(worker, role, today, wf)]
        rows.append((worker, roles, unfit, latest_valid_until(worker, "annual", wf)))
    return rows


# -- the enterprise's side -------------------------------------------------------------------


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


def _company(user: User, company_id: int):
    company = contractors.company_of(get_session(), user.enterprise_id, company_id)
    g.back = url_for("contractors.company", company_id=company.id)  # where refusals return
    return company


@bp.get("/contractors")
@login_required
def companies():
    user = _staff()
    session = get_session()
    today = _today()
    rows = []
    for company in contractors.companies(session, user.enterprise_id):
        valid = [a for a in company.agreements if contractors.standing(a, today) == "valid"]
        rows.append((company, valid))
    return render_template(
        "contractors/companies.html",
        rows=rows,
        can_keep=user.has_role(*KEEPERS),
        cite=_pack(user).section("contractors")["cite"],
    )


@bp.post("/contractors")
@login_required
def add_company():
    user = _keeper()
    g.back = url_for("contractors.companies")
    session = get_session()
    company = contractors.add_company(
        session,
        session.get(Enterprise, user.enterprise_id),
        name=request.form.get("name", ""),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(
        _(
            "Registered %(name)s. Record its safety agreement before it gets any work.",
            name=company.name,
        ),
        "ok",
    )
    return redirect(url_for("contractors.company", company_id=company.id), code=303)


@bp.get("/contractors/<int:company_id>")
@login_required
def company(company_id: int):
    user = _staff()
    session = get_session()
    found = _company(user, company_id)
    wf = _workflow(user)
    today = _today()
    permits = session.scalars(
        select(Permit)
        .where(Permit.enterprise_id == user.enterprise_id, Permit.contractor_id == found.id)
        .order_by(Permit.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "contractors/company.html",
        company=found,
        agreements=[(a, contractors.standing(a, today)) for a in found.agreements],
        workers=_training(contractors.workers(session, found.id), user),
        accounts=contractors.accounts(session, found.id),
        permits=permits,
        tasks=wf.section("task_types"),
        wf=wf,
        can_keep=user.has_role(*KEEPERS),
        cite=_pack(user).section("contractors")["cite"],
        today=today,
    )


def _back_to(company):
    return redirect(url_for("contractors.company", company_id=company.id), code=303)


@bp.post("/contractors/<int:company_id>/agreements")
@login_required
def add_agreement(company_id: int):
    user = _keeper()
    found = _company(user, company_id)
    session = get_session()
    agreement = contractors.add_agreement(
        session,
        found,
        valid_from=_date(request.form.get("valid_from", "")),
        valid_to=_date(request.form.get("valid_to", "")),
        scope=request.form.getlist("scope"),
        responsibilities=request.form.get("responsibilities", ""),
        document_ref=request.form.get("document_ref", ""),
        attachment=_upload(user, "document"),
        workflow=_workflow(user),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(
        _(
            "Agreement recorded: valid %(start)s to %(end)s.",
            start=agreement.valid_from,
            end=agreement.valid_to,
        ),
        "ok",
    )
    return _back_to(found)


@bp.post("/contractors/<int:company_id>/agreements/<int:agreement_id>/revoke")
@login_required
def revoke_agreement(company_id: int, agreement_id: int):
    user = _keeper()
    found = _company(user, company_id)
    session = get_session()
    agreement = session.get(SafetyAgreement, agreement_id)
    if agreement is None or agreement.contractor_id != found.id:
        raise NotFound([])
    contractors.revoke_agreement(
        session, agreement, reason=request.form.get("reason", ""), clock=clock(), actor=user
    )
    session.commit()
    notify(_("Agreement revoked: it covers no new permit."), "ok")
    return _back_to(found)


@bp.post("/contractors/<int:company_id>/retire")
@login_required
def retire(company_id: int):
    user = _keeper()
    found = _company(user, company_id)
    session = get_session()
    contractors.retire_company(
        session, found, reason=request.form.get("reason", ""), clock=clock(), actor=user
    )
    session.commit()
    notify(_("%(name)s is retired: it gets no new work.", name=found.name), "ok")
    return _back_to(found)


@bp.post("/contractors/<int:company_id>/accounts")
@login_required
def add_account(company_id: int):
    user = _keeper()
    found = _company(user, company_id)
    session = get_session()
    account = contractors.add_account(
        session,
        found,
        name=request.form.get("name", ""),
        username=request.form.get("username", ""),
        password=request.form.get("password", ""),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(
        _(
            "%(name)s can now sign in as %(username)s and keep the company's workers.",
            name=account.name,
            username=account.username,
        ),
        "ok",
    )
    return _back_to(found)


# -- the contractor's side -------------------------------------------------------------------


def _admin() -> User:
    user = me()
    if not contractors.is_admin(user):
        raise NotFound([])
    g.back = url_for("contractors.index")
    return user


@bp.get("/contractor")
@login_required
@for_roles("contractor", staff=False)
def index():
    user = me()
    session = get_session()
    company = access.contractor_of(session, user)
    if company is None:
        raise NotFound([])
    today = _today()
    wf = _workflow(user)
    permits = session.scalars(access.visible_permits(user).order_by(Permit.id.desc())).all()
    pack = _pack(user)
    return render_template(
        "contractors/index.html",
        company=company,
        permits=permits,
        workers=_training(contractors.workers(session, company.id), user),
        agreements=[(a, contractors.standing(a, today)) for a in company.agreements],
        roles=contractors.worker_roles(pack),
        roles_cite=pack.section("contractors")["worker_roles_cite"],
        tasks=wf.section("task_types"),
        wf=wf,
        today=today,
    )


@bp.post("/contractor/workers")
@login_required
def add_worker():
    user = _admin()
    session = get_session()
    worker = contractors.add_worker(
        session,
        user,
        name=request.form.get("name", ""),
        phone=request.form.get("phone", ""),
        roles=request.form.getlist("roles"),
        pack=_pack(user),
        clock=clock(),
    )
    session.commit()
    notify(
        _(
            "%(name)s added. The enterprise records their training before they go on a permit.",
            name=worker.name,
        ),
        "ok",
    )
    return redirect(url_for("contractors.index"), code=303)


@bp.post("/contractor/workers/<int:worker_id>/deactivate")
@login_required
def deactivate_worker(worker_id: int):
    user = _admin()
    session = get_session()
    worker = contractors.own_worker(session, user, worker_id)
    contractors.deactivate_worker(
        session, user, worker, reason=request.form.get("reason", ""), clock=clock()
    )
    session.commit()
    notify(_("%(name)s is off the list: no new permit can name them.", name=worker.name), "ok")
    return redirect(url_for("contractors.index"), code=303)


@bp.post("/contractor/workers/<int:worker_id>/reactivate")
@login_required
def reactivate_worker(worker_id: int):
    user = _admin()
    session = get_session()
    worker = contractors.own_worker(session, user, worker_id)
    contractors.reactivate_worker(session, user, worker, clock=clock())
    session.commit()
    notify(_("%(name)s is back on the list.", name=worker.name), "ok")
    return redirect(url_for("contractors.index"), code=303)


@bp.get("/contractor/agreements/<int:agreement_id>/document")
@login_required
@for_roles("contractor", staff=False)
def agreement_document(agreement_id: int):
    """The signed agreement, for the company it binds (staff read it through /files)."""
    user = me()
    session = get_session()
    agreement = session.get(SafetyAgreement, agreement_id)
    if (
        agreement is None
        or agreement.contractor_id != user.contractor_id
        or agreement.attachment_id is None
    ):
        raise NotFound([])
    stored = attachments.fetch(session, user.enterprise_id, agreement.attachment_id)
    response = Response(stored.data, mimetype=stored.content_type)
    response.headers["Content-Disposition"] = (
        f"inline; filename*=UTF-8''{quote(stored.filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
