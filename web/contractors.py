"""The contractor's view: its company's permits and its own workers' training (art. 6)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from permit import access, packs
from permit.clock import local_date
from permit.errors import NotFound
from permit.models import Permit
from permit.qualification import latest_valid_until, unfit_reasons

from . import clock, get_session
from .auth import me
from .roles import for_roles

bp = Blueprint("contractors", __name__)


@bp.get("/contractor")
@login_required
@for_roles("contractor", staff=False)
def index():
    user = me()
    session = get_session()
    company = access.contractor_of(session, user)
    if company is None:
        raise NotFound([])
    today = local_date(clock().now())
    wf = packs.workflow_for(session, user.enterprise_id, "confined_space", today)
    permits = session.scalars(access.visible_permits(user).order_by(Permit.id.desc())).all()
    workers = [
        (w, unfit_reasons(w, "entrant", today, wf), latest_valid_until(w, "annual", wf))
        for w in access.contractor_workers(session, user)
    ]
    agreements = sorted(company.agreements, key=lambda a: a.valid_to, reverse=True)
    return render_template(
        "contractors/index.html",
        company=company,
        permits=permits,
        workers=workers,
        agreements=agreements,
        wf=wf,
        today=today,
    )
