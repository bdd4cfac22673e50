"""The equipment register (art. 10): list, one item with its certificates and checks, and the
forms that record them. Everyone on the enterprise's staff reads it; the attendant records
checks; the principal, deputy and admin keep the rest."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from permit import access, attachments, equipment, packs, registers
from permit.clock import local_date
from permit.errors import InvalidInput, NotFound, plain
from permit.models import Enterprise, Equipment, User

from . import clock, get_session
from .auth import me
from .errors import notify

bp = Blueprint("equipment", __name__)

KEEPERS = ("admin", "principal", "deputy")
CHECKERS = ("attendant", *KEEPERS)
DUE_SOON_DAYS = 30  # how far ahead the register warns; a display setting, not a rule


def _staff() -> User:
    user = me()
    if not access.is_staff(user):
        raise NotFound([])
    return user


def _allowed(user: User, roles: tuple[str, ...]) -> User:
    if not user.has_role(*roles):
        raise NotFound([])
    return user


def _item(user: User, serial: str) -> Equipment:
    item = get_session().scalar(
        select(Equipment).where(
            Equipment.enterprise_id == user.enterprise_id, Equipment.serial == serial
        )
    )
    if item is None:
        raise NotFound([])
    g.back = url_for("equipment.show", serial=item.serial)  # where a refused form returns
    return item


def _workflow(user: User):
    today = local_date(clock().now())
    return packs.workflow_for(get_session(), user.enterprise_id, "confined_space", today)


def _date(field: str, label: dict[str, str], required: bool = True) -> date | None:
    raw = request.form.get(field, "").strip()
    if not raw and not required:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput([plain("date", "请填写{what}", "Enter {what}", what=label)]) from None


def _back(item: Equipment):
    return redirect(url_for("equipment.show", serial=item.serial), code=303)


@bp.get("/equipment")
@login_required
def index():
    user = _staff()
    today = local_date(clock().now())
    kind = request.args.get("kind", "")
    want = request.args.get("standing", "")
    query = select(Equipment).where(Equipment.enterprise_id == user.enterprise_id)
    if kind:
        query = query.where(Equipment.kind == kind)
    items = get_session().scalars(query.order_by(Equipment.kind, Equipment.serial)).all()
    rows = [(item, equipment.standing(item, today, DUE_SOON_DAYS)) for item in items]
    if want:
        rows = [(item, word) for item, word in rows if word == want]
    wf = _workflow(user)
    return render_template(
        "equipment/index.html",
        rows=rows,
        kinds=wf.section("equipment_kinds"),
        gases=wf.section("gases"),
        kind=kind,
        standing=want,
        can_keep=user.has_role(*KEEPERS),
        today=today,
    )


@bp.post("/equipment")
@login_required
def create():
    user = _allowed(_staff(), KEEPERS)
    g.back = url_for("equipment.index")
    session = get_session()
    kinds = _workflow(user).section("equipment_kinds")
    kind = request.form.get("kind", "")
    serial = request.form.get("serial", "").strip()
    name = request.form.get("name", "").strip()
    if kind not in kinds or not serial or not name:
        raise InvalidInput(
            [
                plain(
                    "equipment_fields",
                    "请选择类别并填写编号和名称",
                    "Choose a kind and enter the serial and the name",
                )
            ]
        )
    exists = session.scalar(
        select(Equipment.id).where(
            Equipment.enterprise_id == user.enterprise_id, Equipment.serial == serial
        )
    )
    if exists:
        raise InvalidInput(
            [
                plain(
                    "serial_taken",
                    "编号{serial}已登记",
                    "Serial {serial} is already registered",
                    serial=serial,
                )
            ]
        )
    gases = request.form.getlist("gases") if kind == "gas_detector" else []
    known = _workflow(user).section("gases")
    item = registers.add_equipment(
        session,
        session.get(Enterprise, user.enterprise_id),
        kind=kind,
        serial=serial,
        name=name,
        gases=[g for g in gases if g in known],
        pump_suction=kind == "gas_detector" and request.form.get("pump_suction") == "1",
        due_on=None,
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(
        _(
            "Registered %(serial)s. Record its certificate before it goes on a permit.",
            serial=serial,
        ),
        "ok",
    )
    return _back(item)


@bp.get("/equipment/<serial>")
@login_required
def show(serial: str):
    user = _staff()
    item = _item(user, serial)
    wf = _workflow(user)
    today = local_date(clock().now())
    return render_template(
        "equipment/show.html",
        item=item,
        kinds=wf.section("equipment_kinds"),
        gases=wf.section("gases"),
        checklist=equipment.checklist(wf, item.kind),
        certificate_kinds=equipment.CERTIFICATE_KINDS,
        status_labels=equipment.STATUS_LABELS,
        standing=equipment.standing(item, today, DUE_SOON_DAYS),
        unusable=equipment.unusable_reason(item, today),
        can_keep=user.has_role(*KEEPERS),
        can_check=user.has_role(*CHECKERS),
        today=today,
    )


@bp.post("/equipment/<serial>/certificates")
@login_required
def certify(serial: str):
    user = _allowed(_staff(), KEEPERS)
    item = _item(user, serial)
    session = get_session()
    performed = _date("performed_on", {"zh": "检定/校准日期", "en": "the date performed"})
    valid = _date("valid_until", {"zh": "有效期至", "en": "the valid-until date"}, required=False)
    upload = request.files.get("certificate")
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
    equipment.record_certificate(
        session,
        item,
        kind=request.form.get("kind", ""),
        performed_on=performed,
        valid_until=valid,
        agency=request.form.get("agency", ""),
        certificate_no=request.form.get("certificate_no", ""),
        attachment=stored,
        workflow=_workflow(user),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(
        _(
            "Certificate recorded: %(serial)s is due again on %(day)s.",
            serial=item.serial,
            day=item.due_on,
        ),
        "ok",
    )
    return _back(item)


@bp.post("/equipment/<serial>/checks")
@login_required
def check(serial: str):
    user = _allowed(_staff(), CHECKERS)
    item = _item(user, serial)
    session = get_session()
    wf = _workflow(user)
    results = {}
    for point in equipment.checklist(wf, item.kind):
        answer = request.form.get(f"item-{point['key']}")
        if answer in ("ok", "fail"):
            results[point["key"]] = answer == "ok"
    done = equipment.record_check(
        session,
        item,
        results=results,
        note=request.form.get("note", ""),
        workflow=wf,
        clock=clock(),
        actor=user,
    )
    session.commit()
    if done.passed:
        notify(_("Check recorded: %(serial)s is fit for use.", serial=item.serial), "ok")
    else:
        notify(
            _(
                "Check failed: %(serial)s is out of service until it is put right.",
                serial=item.serial,
            ),
            "error",
        )
    return _back(item)


@bp.post("/equipment/<serial>/status")
@login_required
def status(serial: str):
    user = _allowed(_staff(), KEEPERS)
    item = _item(user, serial)
    session = get_session()
    equipment.set_status(
        session,
        item,
        request.form.get("status", ""),
        reason=request.form.get("reason", ""),
        clock=clock(),
        actor=user,
    )
    session.commit()
    notify(_("Status changed."), "ok")
    return _back(item)


@bp.get("/files/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    user = _staff()
    stored = attachments.fetch(get_session(), user.enterprise_id, attachment_id)
    response = Response(stored.data, mimetype=stored.content_type)
    response.headers["Content-Disposition"] = (
        f"inline; filename*=UTF-8''{quote(stored.filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
