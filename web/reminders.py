"""Each person's own reminders: the bell in the header with the count of unread ones, and
the page that lists them, each linking to what it is about."""

from __future__ import annotations

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from permit import reminders
from permit.models import Reminder

from . import clock, get_session
from .auth import me
from .errors import notify

bp = Blueprint("reminders", __name__)


def link(reminder: Reminder) -> str | None:
    """The page the reminder is about, if it still has one."""
    if not reminder.endpoint:
        return None
    try:
        return url_for(reminder.endpoint, **(reminder.args or {}))
    except BuildError:
        return None


@bp.get("/reminders")
@login_required
def index():
    shown = reminders.for_user(get_session(), me())
    return render_template("reminders/index.html", reminders=shown, link=link)


@bp.post("/reminders/<int:reminder_id>/read")
@login_required
def read(reminder_id: int):
    session = get_session()
    reminder = reminders.mark_read(session, me(), reminder_id, clock=clock())
    session.commit()
    target = link(reminder) if request.form.get("open") else None
    return redirect(target or url_for("reminders.index"), 303)


@bp.post("/reminders/read")
@login_required
def read_all():
    session = get_session()
    count = reminders.mark_all_read(session, me(), clock=clock())
    session.commit()
    if count:
        notify(_("%(count)d reminders marked read.", count=count), "ok")
    return redirect(url_for("reminders.index"), 303)


@bp.post("/reminders/email")
@login_required
def set_email():
    g.back = url_for("reminders.index")
    session = get_session()
    email = reminders.set_email(session, me(), request.form.get("email", ""), clock=clock())
    session.commit()
    if email:
        notify(_("Reminders will be mailed to %(email)s.", email=email), "ok")
    else:
        notify(_("Reminders will not be mailed."), "info")
    return redirect(url_for("reminders.index"), 303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def bell():
        """The count on the bell: one small indexed query per page for a signed-in person."""
        if not current_user.is_authenticated:
            return {}
        return {"unread_reminders": reminders.unread_count(get_session(), current_user.user)}
