"""Tokens: sign in for a bearer token, list and revoke them; an admin issues device tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request

from permit import tokens
from permit.accounts import SignInRefused, authenticate
from permit.errors import InvalidInput, NotFound, plain
from permit.models import ApiToken

from .. import clock, get_session
from . import bp, documents
from .exchange import MAX_ID, document, json_body, person, requires_bearer, write
from .problems import problem

NO_STORE = {"Cache-Control": "no-store"}  # an answer with a token's secret is never cached


def _text(body: dict, key: str, required: bool = True) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or (required and not value):
        raise InvalidInput(
            [plain("field", "缺少或无效：{field}", "Missing or invalid: {field}", field=key)]
        )
    return value


@bp.post("/tokens")
def create_token():
    """Username and password → a bearer token for this person (sign-in throttle applies)."""
    session = get_session()
    body = json_body()
    username, password = _text(body, "username"), _text(body, "password")
    label = _text(body, "label", required=False)
    try:
        user = authenticate(
            session, username, password, now=clock().now(), remote=request.remote_addr or ""
        )
    except SignInRefused as refused:
        session.commit()  # the failure itself is recorded: it feeds the throttle
        if any(r.rule == "throttled" for r in refused.reasons):
            minutes = refused.reasons[0].params.get("minutes", 15)
            return problem("throttled", refused.reasons, headers={"Retry-After": str(60 * minutes)})
        return problem(
            "unauthorized", refused.reasons, headers={"WWW-Authenticate": 'Bearer realm="api"'}
        )
    hours = current_app.config.get("API_TOKEN_HOURS", 12)
    issued = tokens.issue_user_token(
        session, user, clock=clock(), lifetime=timedelta(hours=hours), label=label
    )
    session.commit()
    return document(documents.token(issued.row, issued.token), 201, NO_STORE)


@bp.get("/tokens")
@requires_bearer
def list_tokens():
    user = person()
    rows = get_session().scalars(tokens.visible_tokens(user).order_by(ApiToken.id))
    return document({"tokens": [documents.token(row) for row in rows]})


@bp.post("/tokens/<int:token_id>/revoke")
@write(idempotent=False)  # revoking twice changes nothing anyway
def revoke_token(token_id: int):
    if token_id > MAX_ID:
        raise NotFound([])
    row = tokens.revoke(get_session(), person(), token_id, clock=clock())
    return document(documents.token(row))


@bp.post("/devices")
@write(idempotent=False)  # a stored answer would keep the token's secret
def create_device_token():
    """An admin binds a token to one gas detector of the enterprise; shown once."""
    body = json_body()
    user = person()
    if user.enterprise_id is None:
        raise NotFound([])
    issued = tokens.issue_device_token(
        get_session(),
        user.enterprise_id,
        _text(body, "serial"),
        clock=clock(),
        actor=user,
        label=_text(body, "label", required=False),
    )
    return document(documents.token(issued.row, issued.token), 201, NO_STORE)

