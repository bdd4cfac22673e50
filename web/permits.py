"""Permits: the list of permits with their state."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from permit.engine import workflow_of
from permit.models import Enterprise, Permit

from . import get_session

bp = Blueprint("permits", __name__)


@bp.get("/")
def index():
    session = get_session()
    permits = (
        session.scalars(
            select(Permit).options(joinedload(Permit.space)).order_by(Permit.id.desc()).limit(200)
        )
        .unique()
        .all()
    )
    enterprises = {e.id: e for e in session.scalars(select(Enterprise))}
    rows = [(p, enterprises[p.enterprise_id], workflow_of(p).state_label(p.state)) for p in permits]
    return render_template("permits/index.html", rows=rows)
