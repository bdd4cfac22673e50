"""The equipment register (art. 10): whether an item may be used on a day, its certificates
(检定、检验、校准) and the attendant's periodic checks. Periods and checklists come from the
rule pack's `[equipment_kinds]`; nothing is deleted: items go out of service or retire."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from . import registers
from .clock import Clock, local_date
from .errors import InvalidInput, plain
from .models import Attachment, Equipment, EquipmentCertificate, EquipmentCheck, User
from .models.equipment import IN_SERVICE, OUT_OF_SERVICE, RETIRED, STATUSES
from .qualification import add_months
from .workflow import Workflow, figure

CERTIFICATE_KINDS: dict[str, dict[str, str]] = {
    "verification": {"zh": "检定", "en": "verification"},
    "inspection": {"zh": "检验", "en": "inspection"},
    "calibration": {"zh": "校准", "en": "calibration"},
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    IN_SERVICE: {"zh": "在用", "en": "in service"},
    OUT_OF_SERVICE: {"zh": "停用", "en": "out of service"},
    RETIRED: {"zh": "报废", "en": "retired"},
}


def unusable_reason(item: Equipment, on: date) -> dict[str, str] | None:
    """Why this item cannot be assigned to work on that day, naming since when; None if it can."""
    if item.status != IN_SERVICE:
        since = local_date(item.status_since).isoformat() if item.status_since else "—"
        why = f"：{item.status_reason}" if item.status_reason else ""
        label = STATUS_LABELS.get(item.status, {"zh": item.status, "en": item.status})
        return {
            "zh": f"自{since}起{label['zh']}{why}",
            "en": f"{label['en']} since {since}"
            + (f": {item.status_reason}" if item.status_reason else ""),
        }
    if item.due_on is None:
        return {"zh": "无检定/校准记录", "en": "no calibration or inspection record"}
    if item.due_on < on:
        return {
            "zh": f"自{item.due_on}起超过检定/校准有效期",
            "en": f"calibration overdue since {item.due_on}",
        }
    return None


def checklist(workflow: Workflow, kind: str) -> list[dict[str, str]]:
    """The periodic-check items for this kind of equipment, as the rule pack lists them."""
    return list(workflow.section("equipment_kinds").get(kind, {}).get("checks", []))


def _refuse(rule: str, zh: str, en: str, **params: Any) -> InvalidInput:
    return InvalidInput([plain(rule, zh, en, **params)])


def _audit(
    session: Session, item: Equipment, actor: User | None, event: str, clock: Clock, **data: Any
) -> None:
    registers._audit(session, item, item.enterprise_id, actor, event, clock.now(), **data)


def record_certificate(
    session: Session,
    item: Equipment,
    *,
    kind: str,
    performed_on: date,
    workflow: Workflow,
    clock: Clock,
    valid_until: date | None = None,
    agency: str = "",
    certificate_no: str = "",
    attachment: Attachment | None = None,
    actor: User | None = None,
) -> EquipmentCertificate:
    """Record a certificate; the item's next due date follows the newest one. A certificate
    that states no date is valid for the pack's period for that kind, where the pack has one."""
    today = local_date(clock.now())
    if kind not in CERTIFICATE_KINDS:
        raise _refuse("certificate_kind", "未知的证书类型", "unknown certificate type")
    if item.status == RETIRED:
        raise _refuse(
            "retired", "已报废的装备不能再登记证书", "a retired item takes no certificates"
        )
    if performed_on > today:
        raise _refuse(
            "performed_in_future",
            "检定/校准日期不能晚于今天",
            "the date performed cannot be in the future",
        )
    if valid_until is None:
        spec = workflow.section("equipment_kinds").get(item.kind, {})
        if "interval" not in spec:
            raise _refuse(
                "valid_until_required",
                "请填写证书上的有效期至（下次检定日期）",
                "enter the valid-until (next due) date the certificate states",
            )
        period = figure(spec["interval"])
        valid_until = add_months(performed_on, int(period.value))
    if valid_until <= performed_on:
        raise _refuse(
            "valid_until_order",
            "有效期至必须晚于检定/校准日期",
            "valid-until must be after the date performed",
        )
    certificate = EquipmentCertificate(
        equipment_id=item.id,
        kind=kind,
        performed_on=performed_on,
        valid_until=valid_until,
        agency=agency.strip(),
        certificate_no=certificate_no.strip(),
        attachment_id=attachment.id if attachment else None,
        recorded_by_id=actor.id if actor else None,
        recorded_at=clock.now(),
    )
    session.add(certificate)
    newest = max((c.performed_on for c in item.certificates), default=None)
    previous_due = item.due_on
    if newest is None or performed_on >= newest:
        item.due_on = valid_until
    session.flush()
    session.expire(item, ["certificates"])
    _audit(
        session,
        item,
        actor,
        "certificate",
        clock,
        certificate=certificate.id,
        kind=kind,
        performed_on=performed_on,
        valid_until=valid_until,
        due_on={"from": previous_due, "to": item.due_on},
        attachment=attachment.sha256 if attachment else None,
    )
    return certificate


def record_check(
    session: Session,
    item: Equipment,
    *,
    results: Mapping[str, bool],
    workflow: Workflow,
    clock: Clock,
    note: str = "",
    actor: User | None = None,
) -> EquipmentCheck:
    """Record a periodic check, every item of the kind's checklist answered. A failed check
    takes the item out of service at once: it must not reach a permit until it is put right."""
    items = checklist(workflow, item.kind)
    if not items:
        raise _refuse(
            "no_checklist", "该类装备没有检查表", "this kind of equipment has no checklist"
        )
    if item.status == RETIRED:
        raise _refuse("retired", "已报废的装备无需检查", "a retired item is not checked")
    keys = [i["key"] for i in items]
    unanswered = [i for i in items if i["key"] not in results]
    if unanswered:
        raise InvalidInput(
            [
                plain(
                    "check_unanswered",
                    "检查项未填写：{items}",
                    "checklist items not answered: {items}",
                    items={
                        "zh": "、".join(i["zh"] for i in unanswered),
                        "en": ", ".join(i["en"] for i in unanswered),
                    },
                )
            ]
        )
    answers = {k: bool(results[k]) for k in keys}
    passed = all(answers.values())
    check = EquipmentCheck(
        equipment_id=item.id,
        checked_at=clock.now(),
        checked_by_id=actor.id if actor else None,
        results=answers,
        passed=passed,
        note=note.strip()[:500],
    )
    session.add(check)
    session.flush()
    session.expire(item, ["checks"])
    _audit(session, item, actor, "check", clock, check=check.id, results=answers, passed=passed)
    if not passed and item.status == IN_SERVICE:
        failed = [i for i in items if not answers[i["key"]]]
        set_status(
            session,
            item,
            OUT_OF_SERVICE,
            reason="检查不合格：" + "、".join(i["zh"] for i in failed),
            clock=clock,
            actor=actor,
        )
    return check


def set_status(
    session: Session,
    item: Equipment,
    status: str,
    *,
    reason: str,
    clock: Clock,
    actor: User | None = None,
) -> None:
    """Put an item out of service, back in service, or retire it (for good)."""
    if status not in STATUSES:
        raise _refuse("status", "未知状态", "unknown status")
    if item.status == RETIRED:
        raise _refuse("retired", "已报废的装备不能恢复", "a retired item cannot come back")
    if status == item.status:
        return
    if not reason.strip():
        raise _refuse("reason_required", "请填写原因", "give a reason")
    before = item.status
    item.status = status
    item.status_reason = reason.strip()[:200]
    item.status_since = clock.now()
    _audit(
        session,
        item,
        actor,
        "status",
        clock,
        status={"from": before, "to": status},
        reason=item.status_reason,
    )


def standing(item: Equipment, on: date, soon_days: int) -> str:
    """One word for the register: retired, out_of_service, overdue, no_record, due_soon, ok."""
    if item.status != IN_SERVICE:
        return item.status
    if item.due_on is None:
        return "no_record"
    if item.due_on < on:
        return "overdue"
    if (item.due_on - on).days <= soon_days:
        return "due_soon"
    return "ok"
