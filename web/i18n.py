"""Chinese first (zh), English on request: the locale a request is served in."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, url_for
from flask_babel import Babel

LOCALES = {"zh": "中文", "en": "English"}
COOKIE = "lang"


def select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LOCALES else "zh"


def lang() -> str:
    """The language key of domain messages: 'zh' or 'en'."""
    return "en" if select_locale() == "en" else "zh"


bp = Blueprint("i18n", __name__)


@bp.get("/lang/<code>")
def switch(code: str):
    target = request.args.get("next") or request.referrer or url_for("permits.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("permits.home")  # never redirect off-site
    response = redirect(target)
    if code in LOCALES:
        response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def languages():
        return {"LOCALES": LOCALES, "current_locale": select_locale(), "lang": lang()}
