"""The permit as a printed form (有限空间作业审批单): everything the permit holds, with who did
what and when, the acceptable entry conditions of the permit's own rule pack, and a QR code
to the live permit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import gas, packs, qr
from ..approval import current_tier
from ..clock import local_text
from ..engine import workflow_of
from ..models import AuditEntry, Enterprise, Permit, User
from ..models.enterprise import role_label
from . import PdfCache, render

# Events that stop or restart the work, as the form's log of interruptions lists them.
INTERRUPTIONS = ("suspend", "evacuate", "report_accident", "resume", "cancel")
POINTS = {"upper": "上部", "middle": "中部", "lower": "下部"}


def form(session: Session, permit: Permit, *, base_url: str, now: datetime) -> dict[str, Any]:
    """What the form prints, as plain data (Chinese: it is an official record)."""
    wf = workflow_of(permit)
    pack = packs.packs().get(wf.pack)
    history = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == "permits", AuditEntry.subject_id == permit.id)
            .order_by(AuditEntry.seq)
        )
    )
    ids = {e.actor_id for e in history} | {c.confirmed_by_id for c in permit.checks}
    ids |= {e.user_id for e in permit.entries} | {e.recorded_by_id for e in permit.entries}
    ids |= {t.tester_id for t in permit.gas_tests}
    ids.discard(None)
    people = {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))}

    def who(user_id: int | None) -> str:
        return people.get(user_id, "—") if user_id else "—"

    def label(section: str, key: str | None) -> str:
        return wf.section(section).get(key or "", {}).get("zh", key or "—")

    checks: dict[tuple[str, str], list[str]] = {}
    for c in permit.checks:
        checks.setdefault((c.event, c.item), []).append(
            f"{who(c.confirmed_by_id)} {local_text(c.confirmed_at)}"
        )
    released = next((e for e in history if e.event == "release_isolation"), None)
    tier = current_tier(permit, wf) if permit.risk_tier else None
    url = qr.permit_url(base_url, permit.number)
    return {
        "title": wf.raw["workflow"].get("title", {}).get("zh", "有限空间作业审批单"),
        "enterprise": session.get(Enterprise, permit.enterprise_id).name,
        "number": permit.number,
        "state": wf.state_label(permit.state, "zh"),
        "version": permit.version,
        "as_of": local_text(permit.updated_at),
        "pack": f"{pack.label('zh')}（{wf.version}）" if pack else wf.version,
        "space": {
            "code": permit.space.code,
            "name": permit.space.name,
            "location": permit.space.location or "—",
            "deep": permit.space.deep,
        },
        "task": label("task_types", permit.task_type),
        "purpose": permit.purpose or "—",
        "window": (local_text(permit.window_start), local_text(permit.window_end)),
        "requester": permit.requester.name,
        "created_at": local_text(permit.created_at),
        "tier": tier.get("zh", tier["name"]) if tier else "—",
        "attendant": permit.attendant.name if permit.attendant else "—",
        "entrants": [
            {"name": p.user.name, "briefed": local_text(p.briefed_at) if p.briefed_at else "—"}
            for p in permit.people
            if p.role == "entrant"
        ],
        "rescuers": [u.name for u in permit.rescuers],
        "contractor": permit.contractor.name if permit.contractor else "—",
        "supervisor": permit.supervisor.name if permit.supervisor else None,
        "hazards": [label("hazards", h) for h in permit.hazards],
        "isolation": {
            "measures": list(permit.space.isolation_measures),
            "released": local_text(permit.isolation_released_at)
            if permit.isolation_released_at
            else "—",
            "released_by": who(released.actor_id) if released else "—",
            "note": (released.data or {}).get("isolation", "") if released else "",
            "restored": local_text(permit.isolation_restored_at)
            if permit.isolation_restored_at
            else "—",
        },
        "controls": [
            {"item": m, "confirmed": checks.get(("brief", m), [])} for m in permit.control_measures
        ],
        "checklists": [
            {
                "event": wf.event_label(event.name, "zh"),
                "rows": [
                    {"item": i["zh"], "confirmed": checks.get((event.name, i["key"]), [])}
                    for i in wf.section("checklists")[event.checklist]["items"]
                ],
            }
            for event in wf.events.values()
            if event.checklist
        ],
        "limits": [
            {
                "gas": label("gases", g),
                "limit": gas.limit_text(g, wf),
                "cite": wf.section("gases")[g].get("cite", ""),
            }
            for g in gas.gases_to_test(permit.hazards, wf)
        ],
        "tests": [
            {
                "at": local_text(t.tested_at),
                "during": wf.state_label(t.during, "zh") if t.during in wf.states else t.during,
                "detector": f"{t.detector.serial} {t.detector.name}" if t.detector else "—",
                "tester": who(t.tester_id),
                "passed": t.passed,
                "readings": _by_gas(t.readings, label),
            }
            for t in permit.gas_tests
        ],
        "equipment": [
            {
                "kind": label("equipment_kinds", e.kind),
                "serial": e.serial,
                "name": e.name,
                "due": e.due_on.isoformat() if e.due_on else "—",
            }
            for e in permit.equipment
        ],
        "entries": [
            {
                "at": local_text(e.at),
                "person": who(e.user_id),
                "direction": "进入" if e.direction == "in" else "出来",
                "by": who(e.recorded_by_id),
            }
            for e in permit.entries
        ],
        "interruptions": [
            {
                "at": local_text(e.at),
                "event": wf.event_label(e.event, "zh")
                if e.event != "record_gas_test"
                else "气体检测不合格，自动暂停",
                "by": f"{who(e.actor_id)}（{role_label(e.actor_role)}）",
                "reason": (e.data or {}).get("reason", ""),
                "headcount": (e.data or {}).get("headcount", ""),
            }
            for e in history
            if e.event in INTERRUPTIONS
            or (e.event == "record_gas_test" and (e.data or {}).get("to") == "suspended")
        ],
        "signatures": [
            {
                "kind": wf.event_label(s.kind, "zh") if s.kind in wf.events else s.kind,
                "name": s.user.name,
                "role": role_label(s.role),
                "tier": wf.tier_label(s.tier, "zh") if s.tier else "",
                "at": local_text(s.signed_at),
                "reason": s.reason,
            }
            for s in permit.signatures
        ],
        "url": url,
        "qr": qr.png_data_url(url, robust=False),
    }


def _by_gas(readings, label) -> list[dict[str, Any]]:
    """One line per gas, its sampling points side by side, as the attendant's screen shows."""
    rows: dict[str, dict[str, Any]] = {}
    for r in readings:
        row = rows.setdefault(r.gas, {"gas": label("gases", r.gas), "points": [], "passed": True})
        row["points"].append(
            {
                "point": POINTS.get(r.point, r.point),
                "value": f"{r.value:g} {r.unit}",
                "ok": r.passed,
            }
        )
        row["passed"] = row["passed"] and r.passed
    return list(rows.values())


def permit_pdf(
    session: Session, permit: Permit, *, base_url: str, now: datetime, cache: PdfCache | None = None
) -> bytes:
    """The form as a PDF. Its text depends only on the records (it says "as of" the permit's
    last change, not when it was printed), so an unchanged permit comes from the cache."""
    return render("permit.html", cache=cache, f=form(session, permit, base_url=base_url, now=now))
