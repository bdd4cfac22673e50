"""Printable documents: a space's warning sign, a site's signs in one PDF, a new sign (QR
token) for a space, and the permit form (作业审批单)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from permit import access, qr, signs
from permit.documents import PdfCache
from permit.documents.permit_form import permit_pdf as render_permit_pdf
from permit.documents.sign import sign_pdf

from . import clock, get_session
from .auth import me
from .downloads import pdf_cache, pdf_response, public_base_url
from .errors import notify

bp = Blueprint("signs", __name__)


@bp.record_once
def _setup(state) -> None:
    """Rendered PDFs are kept beside the default database unless told where (PDF_CACHE_DIR);
    PDF_CACHE_DIR set to an empty string renders every time."""
    app = state.app
    folder = app.config.setdefault(
        "PDF_CACHE_DIR",
        str(Path(os.environ.get("PERMIT_INSTANCE", "instance")).resolve() / "pdf-cache"),
    )
    app.extensions["pdf_cache"] = PdfCache(folder) if folder else None


@bp.app_template_global()
def can_reissue_sign(space) -> bool:
    """The same check the reissue view makes, for the sign panel's button."""
    return current_user.is_authenticated and signs.can_reissue(me(), space)


@bp.app_template_global()
def sign_scan_url(space) -> str:
    return qr.scan_url(public_base_url(), space.qr_token)


@bp.app_template_global()
def sign_qr_svg(space) -> str:
    return qr.svg(sign_scan_url(space))


@bp.app_template_global()
def sign_mark(space) -> str:
    return signs.fingerprint(space.qr_token)[:6]


@bp.get("/spaces/<code>/sign.pdf")
@login_required
def space_sign(code: str):
    session = get_session()
    space = signs.space_of(session, me(), code)
    size = signs.check_size(request.args.get("size", "A4"))
    body = sign_pdf(
        session,
        [space],
        base_url=public_base_url(),
        size=size,
        now=clock().now(),
        cache=pdf_cache(),
    )
    return pdf_response(body, f"警示标志-{space.code}-{size}.pdf")


@bp.get("/signs.pdf")
@login_required
def batch():
    session = get_session()
    size = signs.check_size(request.args.get("size", "A4"))
    spaces = signs.printable_spaces(session, me(), request.args.get("location", ""))
    body = sign_pdf(
        session, spaces, base_url=public_base_url(), size=size, now=clock().now(), cache=pdf_cache()
    )
    return pdf_response(body, f"警示标志-{size}.pdf")


@bp.post("/spaces/<code>/sign/reissue")
@login_required
def reissue(code: str):
    session = get_session()
    space = signs.space_of(session, me(), code)
    signs.reissue(session, space, actor=me(), clock=clock())
    session.commit()
    notify(
        _(
            "A new sign for %(code)s: print it and put it up in place of the old one. "
            "The old sign's QR code now only says that it was replaced.",
            code=space.code,
        ),
        "ok",
    )
    return redirect(url_for("spaces.show", code=space.code), code=303)  # where the sign panel is


@bp.get("/permits/<number>.pdf")
@login_required
def permit_pdf(number: str):
    session = get_session()
    permit = access.permit_for(session, me(), number)
    body = render_permit_pdf(
        session, permit, base_url=public_base_url(), now=clock().now(), cache=pdf_cache()
    )
    return pdf_response(body, f"作业审批单-{permit.number}.pdf")
