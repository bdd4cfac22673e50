"""A permit request (作业申请) as a requester fills it in, from a form or the API: checked
against the requester's enterprise, then drafted. The same checks whichever way it came."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access, contractors, packs, registers
from .clock import Clock, local_date
from .errors import InvalidInput, NotFound, Reason, plain
from .models import Contractor, Equipment, Permit, Space, User


@dataclass
class PermitRequest:
    space: Space | None
    task_type: str
    purpose: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    attendant_id: int | None = None
    entrant_ids: list[int] = field(default_factory=list)
    rescuer_ids: list[int] = field(default_factory=list)
    equipment_ids: list[int] = field(default_factory=list)
    contractor_id: int | None = None
    supervisor_id: int | None = None  # the enterprise's on-site supervisor of contracted work
    hazards: list[str] | None = None  # None: the ledger's
    control_measures: list[str] | None = None  # None: the ledger's


def _not_ours() -> Reason:
    return plain("person", "所选人员不在本单位", "A chosen person is not of this enterprise")


def request_permit(session: Session, user: User, req: PermitRequest, *, clock: Clock) -> Permit:
    """A draft permit, or InvalidInput naming every problem of the request at once."""
    if not access.can_request(user):
        raise NotFound([])
    wf = packs.workflow_for(session, user.enterprise_id, "confined_space", local_date(clock.now()))
    reasons = []
    if req.space is None or req.space.enterprise_id != user.enterprise_id:
        reasons.append(plain("space", "请选择台账中的有限空间", "Choose a space from the ledger"))
    if req.window_start is None or req.window_end is None:
        reasons.append(
            plain("window", "请填写作业开始和结束时间", "Enter when the work starts and ends")
        )
    if req.task_type not in wf.section("task_types"):
        reasons.append(plain("task_type", "请选择作业类型", "Choose the task type"))
    colleagues = {p.id: p for p in access.colleagues(session, user)}
    picked = {}
    for role, ids in (("entrants", req.entrant_ids), ("rescuers", req.rescuer_ids)):
        if any(i not in colleagues for i in ids):
            reasons.append(_not_ours())
        picked[role] = [colleagues[i] for i in ids if i in colleagues]
    attendant = colleagues.get(req.attendant_id) if req.attendant_id else None
    if req.attendant_id and attendant is None:
        reasons.append(_not_ours())
    equipment = session.scalars(
        select(Equipment).where(
            Equipment.enterprise_id == user.enterprise_id, Equipment.id.in_(req.equipment_ids)
        )
    ).all()
    contractor = session.get(Contractor, req.contractor_id) if req.contractor_id else None
    if contractor is not None and contractor.enterprise_id != user.enterprise_id:
        contractor = None
    wanted = req.supervisor_id if contractor else None
    supervisor, problems = contractors.pick_supervisor(session, user.enterprise_id, wanted)
    reasons += problems
    hazards = req.hazards
    if hazards is not None:
        hazards = [h for h in hazards if h in wf.section("hazards")]
    controls = req.control_measures
    if controls is not None:
        controls = [c.strip() for c in controls if c.strip()]
    if reasons:
        raise InvalidInput(reasons)
    return registers.create_permit(
        session,
        space=req.space,
        requester=user,
        clock=clock,
        task_type=req.task_type,
        purpose=req.purpose.strip()[:500],
        window_start=req.window_start,
        window_end=req.window_end,
        attendant=attendant,
        entrants=picked["entrants"],
        rescuers=picked["rescuers"],
        equipment=equipment,
        contractor=contractor,
        supervisor=supervisor,
        hazards=hazards,
        control_measures=controls,
    )


def equipment_ids(session: Session, user: User, serials: list[str]) -> list[int]:
    """The ids of the enterprise's equipment by serial; an unknown serial is refused."""
    found = dict(
        session.execute(
            select(Equipment.serial, Equipment.id).where(
                Equipment.enterprise_id == user.enterprise_id, Equipment.serial.in_(serials)
            )
        ).all()
    )
    unknown = [s for s in serials if s not in found]
    if unknown:
        raise InvalidInput(
            [
                plain(
                    "equipment",
                    "设备台账中没有：{serials}",
                    "No such equipment: {serials}",
                    serials="、".join(unknown),
                )
            ]
        )
    return [found[s] for s in serials]
