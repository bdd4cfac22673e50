"""The attendant's phone: my permits today."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from permit import access
from permit.workflow import get as get_workflow

from . import clock, get_session
from .auth import me
from .roles import for_roles

bp = Blueprint("attendant", __name__)


@bp.get("/today")
@login_required
@for_roles("attendant")
def today():
    permits = access.attendant_today(get_session(), me(), clock().now())
    return render_template(
        "attendant/today.html", permits=permits, wf=get_workflow("confined_space")
    )
