"""The JSON API under /api/v1, for phones and gas detectors: bearer tokens (never the session
cookie), errors as application/problem+json, idempotent writes. Thin: parse, call permit/."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from permit.errors import DomainError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import openapi, permits, problems, spaces, tokens  # noqa: E402,F401  (the routes)
from .exchange import Unauthenticated  # noqa: E402


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
    app.config.setdefault("READINGS_CLOCK_SKEW_SECONDS", 120)
    csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged form to ride on
    app.register_blueprint(bp)
