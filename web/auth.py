"""Signing in and out (Flask-Login), and the guard every other view stands behind."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from permit.accounts import SignInRefused, authenticate
from permit.models import User

from . import clock, get_session
from .errors import notify
from .i18n import lang

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class SessionUser:
    """The signed-in person as Flask-Login sees them: the domain User, loaded per request."""

    def __init__(self, user: User) -> None:
        self.user = user

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.user.id)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
    return SessionUser(user) if user is not None and user.active else None


def me() -> User:
    """The domain user behind the current request (views are all @login_required)."""
    return current_user.user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @app.context_processor
    def people():
        return {"me": current_user.user if current_user.is_authenticated else None}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("permits.home"))
    username = ""
    if request.method == "POST":
        session = get_session()
        username = request.form.get("username", "")
        try:
            user = authenticate(
                session,
                username,
                request.form.get("password", ""),
                now=clock().now(),
                remote=request.remote_addr or "",
            )
        except SignInRefused as refused:
            session.commit()  # the failure itself is recorded: it feeds the throttle
            for message in refused.messages(lang()):
                notify(message, "error")
            return render_template("auth/login.html", username=username), 401
        login_user(SessionUser(user))
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("permits.home")
        return redirect(target)
    return render_template("auth/login.html", username=username)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    notify(_("Signed out."), "info")
    return redirect(url_for("auth.login"))
