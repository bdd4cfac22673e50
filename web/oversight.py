"""The regulator's board (监管看板): for the experts and regulators of a jurisdiction, read-only,
their node and any node below it; everyone else, and any other node, gets 404."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from permit import inspections, oversight
from permit.oversight_excel import plan_workbook

from . import clock, get_session
from .auth import me
from .i18n import lang
from .workbooks import download

bp = Blueprint("oversight", __name__)


@bp.get("/oversight")
@login_required
def index():
    return _show(None)


@bp.get("/oversight/<code>")
@login_required
def node(code: str):
    return _show(code)


def _show(code: str | None):
    found = oversight.board(get_session(), me(), clock().now(), code)
    return render_template("oversight/board.html", board=found, wf=inspections.workflow())


@bp.get("/oversight/<code>/plan.xlsx")
@login_required
def plan(code: str):
    """The annual enforcement plan (art. 16) of the node, as a workbook."""
    found = oversight.board(get_session(), me(), clock().now(), code)
    return download(plan_workbook(found, lang()), f"enforcement-plan-{found.node.code}.xlsx")
