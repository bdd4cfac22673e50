"""The compliance board (art. 4–14): the enterprise as an expert will see it, computed from its
own records. For the people who answer for it: the admin, the principal, the deputy and the
approvers (safety managers) of the enterprise; everyone else gets 404."""

from __future__ import annotations

import tempfile

from flask import Blueprint, Response, render_template, send_file
from flask_login import login_required

from permit import board as compliance_board
from permit import document_pack
from permit import evidence as consultation
from permit.clock import local_date
from permit.compliance import pack_for
from permit.models import Enterprise

from . import clock, get_session
from .auth import me
from .roles import for_roles
from .signs import _cache, public_base_url

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


def pack_download(enterprise_id: int) -> Response:
    """Build the enterprise's pack into a temporary file and send it: a large enterprise's
    pack never sits in memory whole, and the file goes when the response is closed."""
    session = get_session()
    now = clock().now()
    out = tempfile.TemporaryFile()
    try:
        document_pack.build(
            session, enterprise_id, out, now=now, base_url=public_base_url(), cache=_cache()
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    enterprise = session.get(Enterprise, enterprise_id)
    response = send_file(
        out,
        mimetype="application/zip",
        as_attachment=True,
        download_name=document_pack.filename(enterprise, now),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
