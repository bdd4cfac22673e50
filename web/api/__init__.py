"""The JSON API under /api/v1, for phones and gas detectors: bearer tokens (never the session
cookie), errors as application/problem+json, idempotent writes. Thin: parse, call permit/."""

from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from permit.errors import DomainError, plain

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import openapi, permits, problems, spaces, tokens, visits  # noqa: E402,F401  (the routes)
from .exchange import Unauthenticated  # noqa: E402


@bp.before_request
def no_nul_characters():
    """A NUL character in a path or a query finds nothing: no database keeps it in text."""
    if "\x00" in request.path:
        return problems.problem("not-found")
    if any("\x00" in key + value for key, value in request.args.items(multi=True)):
        nul = plain("nul", "文本中不能含有 NUL 字符", "Text may not contain NUL characters")
        return problems.problem("invalid", [nul])
    return None


@bp.errorhandler(Unauthenticated)
def unauthenticated(exc: Unauthenticated):
    return problems.unauthorized()


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    return problems.from_domain(exc)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return problems.from_http(exc)


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    app.config.setdefault("API_TOKEN_HOURS", 12)  # a person's token lasts a shift
    # one made on the web page is for a phone's app: it lasts until revoked or this long
    app.config.setdefault("API_PERSONAL_TOKEN_DAYS", 30)
    app.config.setdefault("READINGS_CLOCK_SKEW_SECONDS", 120)
    app.config.setdefault("API_MAX_PHOTO_BYTES", 20 * 2**20)  # a phone camera's full size
    csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged form to ride on
    app.register_blueprint(bp)
