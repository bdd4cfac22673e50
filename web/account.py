"""A person's own API tokens, from the web: an expert or a regulator (who has no enterprise)
as well as anyone else makes a token for their phone's app, sees it once, and revokes it.
The token is the sign-in route's (POST /api/v1/tokens): only its hash is kept, and it sees
what its person sees (an expert's or a regulator's jurisdiction, an enterprise's own)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from permit import tokens
from permit.accounts import SignInRefused, authenticate
from permit.models import ApiToken

from . import clock, get_session
from .auth import me
from .errors import notify

bp = Blueprint("account", __name__)

NO_STORE = {"Cache-Control": "no-store"}  # a page with a token's secret is never cached


def _page(issued: tokens.Issued | None = None, status: int = 200):
    user = me()
    rows = get_session().scalars(
        tokens.visible_tokens(user).order_by(ApiToken.id.desc())
    ).all()
    days = current_app.config["API_PERSONAL_TOKEN_DAYS"]
    body = render_template(
        "account/tokens.html",
        rows=rows,
        issued=issued,
        days=days,
        now=clock().now(),
    )
    return body, status, NO_STORE


@bp.get("/account/tokens")
@login_required
def index():
    return _page()


@bp.post("/account/tokens")
@login_required
def create():
    """A new token for the signed-in person, after their password again (as an e-signature
    is): a token outlives the session it was made in. Shown in this answer only."""
    session = get_session()
    user = me()
    g.back = url_for("account.index")
    try:
        authenticate(
            session,
            user.username,
            request.form.get("password", ""),
            now=clock().now(),
            remote=request.remote_addr or "",
        )
    except SignInRefused:
        session.commit()  # the failure itself is recorded: it feeds the sign-in throttle
        raise
    days = current_app.config["API_PERSONAL_TOKEN_DAYS"]
    issued = tokens.issue_user_token(
        session,
        user,
        clock=clock(),
        lifetime=timedelta(days=days),
        label=request.form.get("label", "").strip(),
    )
    session.commit()
    return _page(issued, 201)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    session = get_session()
    g.back = url_for("account.index")
    tokens.revoke(session, me(), token_id, clock=clock())
    session.commit()
    notify(_("Token revoked."), "ok")
    return redirect(g.back, code=303)
