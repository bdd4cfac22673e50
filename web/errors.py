"""One place that turns refusals into a message in the user's language, with the article."""

from __future__ import annotations

from flask import Flask, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from permit.errors import Conflict, DomainError, InvalidInput, NotFound, plain

from .api import problems
from .api.exchange import has_nul
from .i18n import lang

KEPT_MESSAGES = 3


def notify(message: str, category: str) -> None:
    """Flash a message, keeping only the last few: a client that never reads the page it is
    sent to (a script, a retrying phone) must not grow the session cookie without bound."""
    flash(message, category)
    queued = session.get("_flashes", [])
    if len(queued) > KEPT_MESSAGES:
        session["_flashes"] = queued[-KEPT_MESSAGES:]


def wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters() -> None:
        """No database keeps a NUL in text (PostgreSQL refuses one outright): a request that
        carries one in its address, query or form is refused before any view reads it, and
        nothing changes. An address with a NUL names nothing: 404."""
        if has_nul(list((request.view_args or {}).values())):
            raise NotFound([])
        fields = [request.args, request.form] if request.method == "POST" else [request.args]
        if any(has_nul([*f.keys(), *f.listvalues()]) for f in fields):
            raise InvalidInput(
                [plain("nul", "文本中不能含有 NUL 字符", "Text may not contain NUL characters")]
            )

    @app.errorhandler(NotFound)
    def not_found_domain(exc: NotFound):
        return not_found(exc)

    @app.errorhandler(404)
    def not_found(exc):
        if problems.is_api_request():
            return problems.problem("not-found")
        if wants_json():
            return jsonify(error="not found"), 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(DomainError)
    def refused(exc: DomainError):
        """Refusals change nothing: show why, on the page the user came from."""
        status = 409 if isinstance(exc, Conflict) else 422
        messages = exc.messages(lang())
        if wants_json():
            return jsonify(reasons=[r.as_dict(lang()) for r in exc.reasons]), status
        for message in messages:
            notify(message, "error")
        return redirect(_back()), 303

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        notify(_("The form expired or was sent from elsewhere. Please try again."), "error")
        return render_template("errors/400.html"), 400

    @app.errorhandler(413)
    def too_large(exc):
        """A body over MAX_CONTENT_LENGTH: refused unread, like any refusal, in words."""
        if problems.is_api_request():
            return problems.from_domain(problems.body_too_large())
        return refused(problems.body_too_large())

    @app.errorhandler(405)
    def method_not_allowed(exc):
        if problems.is_api_request():
            return problems.from_http(exc)
        return exc

    @app.errorhandler(500)
    def broken(exc):
        if problems.is_api_request():
            return problems.problem("server-error")
        return render_template("errors/500.html"), 500


def _back() -> str:
    """Where a refused request goes back to: the page the view named (g.back), the permit it
    was about, else the page it came from (on this site only), else home."""
    if g.get("back"):
        return g.back
    number = (request.view_args or {}).get("number")
    if number:
        return url_for("permits.show", number=number)
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    return url_for("permits.home")
