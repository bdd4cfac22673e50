"""The compliance board (art. 4–14): the enterprise as an expert will see it, computed from its
own records. For the people who answer for it: the admin, the principal, the deputy and the
approvers (safety managers) of the enterprise; everyone else gets 404."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from permit import board as compliance_board
from permit import evidence as consultation
from permit.clock import local_date
from permit.compliance import pack_for

from . import clock, get_session
from .auth import me
from .downloads import pack_download
from .roles import for_roles

bp = Blueprint("board", __name__)

READERS = ("admin", "principal", "deputy", "approver")
# The document pack is what the enterprise hands the experts: prepared by those who answer
# for it (the principal, the deputy, the administrator).
PREPARERS = ("admin", "principal", "deputy")


@bp.get("/board")
@login_required
@for_roles(*READERS)
def show():
    found = compliance_board.board(get_session(), me().enterprise_id, clock().now())
    return render_template("board/show.html", board=found, may_prepare=me().has_role(*PREPARERS))


@bp.get("/board/evidence")
@login_required
@for_roles(*READERS)
def evidence():
    """What the enterprise's records show for each checkpoint of the expert's form (000)."""
    now = clock().now()
    session = get_session()
    found = consultation.evidence(session, me().enterprise_id, local_date(now), now)
    pack = pack_for(session, me().enterprise_id, local_date(now))
    return render_template(
        "board/evidence.html", points=list(found.values()), pack=pack, today=local_date(now)
    )


@bp.get("/board/documents.zip")
@login_required
@for_roles(*PREPARERS)
def documents():
    """The documents the experts will ask for (000 现场会诊企业应备资料清单), as one zip."""
    return pack_download(me().enterprise_id)
