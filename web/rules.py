"""Rule packs: which texts the enterprise is judged by, switching packs, and the comparison."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from permit import access, packs
from permit.clock import local_date
from permit.errors import InvalidInput, NotFound, plain

from . import clock, get_session
from .auth import me
from .errors import notify
from .i18n import lang

bp = Blueprint("rules", __name__)


def _staff():
    user = me()
    if not access.is_staff(user):
        raise NotFound([])
    return user


@bp.get("/rules")
@login_required
def index():
    user = _staff()
    session = get_session()
    today = local_date(clock().now())
    current = packs.pack_in_force(session, user.enterprise_id, today)
    return render_template(
        "rules/index.html",
        packs=packs.packs(),
        current=current,
        today=today,
        history=packs.history(session, user.enterprise_id),
        can_choose=user.has_role("admin"),
    )


@bp.post("/rules")
@login_required
def choose():
    user = _staff()
    if not user.has_role("admin"):
        raise NotFound([])
    session = get_session()
    try:
        day = date.fromisoformat(request.form.get("applies_from", ""))
    except ValueError:
        raise InvalidInput(
            [plain("date", "请填写开始适用的日期", "Enter the date it applies from")]
        ) from None
    pack = request.form.get("pack", "")
    packs.choose(session, user.enterprise_id, pack, day, clock=clock(), actor=user)
    session.commit()
    notify(
        _(
            "From %(day)s the enterprise is judged by %(pack)s. Permits already approved keep "
            "their rules.",
            day=day,
            pack=packs.packs()[pack].label(lang()),
        ),
        "ok",
    )
    return redirect(url_for("rules.index"), code=303)


@bp.get("/rules/compare")
@login_required
def compare():
    _staff()
    known = list(packs.packs())
    a = request.args.get("a", known[0])
    b = request.args.get("b", known[-1])
    if a not in known or b not in known:
        raise NotFound([])
    only = request.args.get("changed") == "1"
    groups: dict[str, list] = {}  # topic → rows, in the order the comparison gives them
    for row in packs.compare(a, b, lang()):
        if row.changed or not only:
            groups.setdefault(row.topic, []).append(row)
    return render_template(
        "rules/compare.html",
        groups=groups,
        a=packs.packs()[a],
        b=packs.packs()[b],
        packs=packs.packs(),
        only=only,
    )
