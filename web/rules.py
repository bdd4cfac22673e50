"""Rule packs: which texts the enterprise is judged by, switching packs, and the comparison."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from permit import access, attachments, management, packs
from permit.clock import local_date
from permit.errors import InvalidInput, NotFound, plain
from permit.models import Enterprise

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


# -- the enterprise's own rules (art. 5, 11) -------------------------------------------------

KEEPERS = ("admin", "principal", "deputy")


def _in_force(user):
    today = local_date(clock().now())
    session = get_session()
    pack = packs.packs()[packs.pack_in_force(session, user.enterprise_id, today)]
    return pack, packs.workflow_for(session, user.enterprise_id, "confined_space", today)


@bp.get("/rules/system")
@login_required
def system():
    """The management-system document with its topic checklist, and the approval tiers."""
    user = _staff()
    session = get_session()
    pack, wf = _in_force(user)
    current = management.current_document(session, user.enterprise_id)
    contracting = management.contracts_out(session, user.enterprise_id)
    return render_template(
        "rules/system.html",
        pack=pack,
        wf=wf,
        document=current,
        coverage=management.coverage(current, pack, contracting),
        topics=management.topics(pack, contracting),
        findings=management.findings(session, user.enterprise_id, pack),
        documents=management.history(session, user.enterprise_id),
        tiers=management.tier_table(session, user.enterprise_id, wf),
        roles=management.approving_roles(wf),
        tables=management.table_history(session, user.enterprise_id, wf),
        can_keep=user.has_role(*KEEPERS),
        can_set_tiers=user.has_role("admin"),
        today=local_date(clock().now()),
    )


@bp.post("/rules/system")
@login_required
def record_system():
    user = _staff()
    if not user.has_role(*KEEPERS):
        raise NotFound([])
    g.back = url_for("rules.system")
    session = get_session()
    pack, _wf = _in_force(user)
    upload = request.files.get("document")
    stored = None
    if upload is not None and upload.filename:
        stored = attachments.store(
            session,
            enterprise_id=user.enterprise_id,
            filename=upload.filename,
            data=upload.read(attachments.MAX_BYTES + 1),
            clock=clock(),
            actor=user,
        )
    try:
        effective = date.fromisoformat(request.form.get("effective_on", "").strip())
    except ValueError:
        effective = None
    document = management.record_document(
        session,
        session.get(Enterprise, user.enterprise_id),
        title=request.form.get("title", ""),
        version_label=request.form.get("version_label", ""),
        effective_on=effective,
        covered=request.form.getlist("topics"),
        attachment=stored,
        pack=pack,
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(
        _(
            "Version %(version)s recorded; it replaces the one before.",
            version=document.version_label,
        ),
        "ok",
    )
    return redirect(url_for("rules.system"), code=303)


@bp.post("/rules/tiers")
@login_required
def set_tiers():
    user = _staff()
    if not user.has_role("admin"):
        raise NotFound([])
    g.back = url_for("rules.system") + "#tiers"
    session = get_session()
    _pack, wf = _in_force(user)
    wanted = {
        tier["name"]: {
            "approvers": request.form.getlist(f"tier-{tier['name']}"),
            "written_authorisation": request.form.get(f"written-{tier['name']}") == "1",
        }
        for tier in wf.section("tiers")
    }
    management.set_tiers(
        session,
        session.get(Enterprise, user.enterprise_id),
        wf,
        wanted,
        note=request.form.get("note", ""),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(_("The approval tiers are saved; they decide who signs from now on."), "ok")
    return redirect(url_for("rules.system") + "#tiers", code=303)
