"""The approver's desk: permits waiting for this person's signature under the tiers."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from permit import access
from permit.clock import local_date
from permit.workflow import get as get_workflow

from . import clock, get_session
from .auth import me
from .roles import for_roles

bp = Blueprint("desk", __name__)


@bp.get("/desk")
@login_required
@for_roles("principal", "deputy", "approver")
def inbox():
    permits = access.awaiting_signature(get_session(), me(), local_date(clock().now()))
    return render_template("desk/inbox.html", permits=permits, wf=get_workflow("confined_space"))
