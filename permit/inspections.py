"""Expert visits (专家指导服务, seed 000): planning a visit and its team, the 20-checkpoint
consultation form saved field by field, photos, and the enterprise's answers to its problems.
The visit's steps themselves are events of the `visit` workflow, fired through the engine."""

from __future__ import annotations

import io
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Select, false, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from . import attachments, audit, campaigns, jurisdictions
from .clock import Clock, local_date
from .errors import Blocked, InvalidInput, NotFound, Reason, plain
from .models import (
    Campaign,
    Enterprise,
    Finding,
    FindingPhoto,
    Inspection,
    InspectionMember,
    Role,
    User,
)
from .workflow import Workflow
from .workflow import get as get_workflow

WORKFLOW = "visit"
TEXT_FIELDS = ("description", "suggestion")
MAX_TEXT = 4000
MAX_NAME = 120  # the person responsible for a rectification: a name, a post
REPORT_PIXELS = 1280  # the longer side of a photo as the report prints it
# The form may be changed while the team is on site and while it sums up (碰头会).
EDITABLE = ("consultation", "debrief")
ANSWERABLE = ("rectifying", "follow_up")
ANSWERERS = (Role.principal, Role.deputy, Role.admin)
PHOTO_KINDS = {
    "problem": {"zh": "问题图片", "en": "a photo of the problem"},
    "answer": {"zh": "整改照片", "en": "a photo of the rectification"},
}


def workflow() -> Workflow:
    return get_workflow(WORKFLOW)


# -- who sees which visit -------------------------------------------------------------------


def visible_inspections(session: Session, user: User) -> Select[tuple[Inspection]]:
    """Experts and regulators: the visits of their jurisdiction; an enterprise's staff: its own."""
    if jurisdictions.overseer(user):
        nodes = jurisdictions.visible_nodes(session, user)
        return select(Inspection).where(Inspection.jurisdiction_id.in_(nodes))
    if user.enterprise_id is not None and user.contractor_id is None:
        return select(Inspection).where(Inspection.enterprise_id == user.enterprise_id)
    return select(Inspection).where(false())


def inspection_for(session: Session, user: User, number: str) -> Inspection:
    found = session.scalars(
        visible_inspections(session, user).where(Inspection.number == number)
    ).first()
    if found is None:
        raise NotFound(
            [plain("not_found", "没有找到指导服务 {number}", "No visit {number}", number=number)]
        )
    return found


def on_team(inspection: Inspection, user: User) -> bool:
    return user.has_role(Role.expert) and any(e.id == user.id for e in inspection.experts)


def can_plan(user: User) -> bool:
    return jurisdictions.overseer(user) and user.has_role(Role.regulator)


def experts_for(session: Session, enterprise: Enterprise) -> list[User]:
    """The experts who may serve at this enterprise: those whose jurisdiction holds it."""
    found = []
    for user in session.scalars(
        select(User)
        .where(User.jurisdiction_id.is_not(None), User.active.is_(True))
        .order_by(User.name)
    ):
        if user.has_role(Role.expert) and jurisdictions.overseer(user):
            if enterprise.jurisdiction_id in jurisdictions.visible_nodes(session, user):
                found.append(user)
    return found


# -- planning -------------------------------------------------------------------------------


def _refuse(rule: str, zh: str, en: str, **params: Any) -> InvalidInput:
    return InvalidInput([plain(rule, zh, en, **params)])


def plan(
    session: Session,
    *,
    enterprise: Enterprise,
    planned_on: date,
    lead: User,
    experts: list[User],
    clock: Clock,
    campaign: Campaign | None = None,
) -> Inspection:
    """A regulator plans a visit to an enterprise of the jurisdiction that the rules cover,
    on its own or as part of a campaign of a node holding the enterprise."""
    if not can_plan(lead) or enterprise.jurisdiction_id not in jurisdictions.visible_nodes(
        session, lead
    ):
        raise NotFound([plain("not_found", "没有找到企业", "No such enterprise")])
    scope = jurisdictions.scope_of(session, enterprise, local_date(clock.now()))
    if not scope.applies:
        raise Blocked([scope.reason])
    if planned_on < local_date(clock.now()):
        raise _refuse("past_date", "计划日期不能早于今天", "A visit cannot be planned in the past")
    if campaign is not None:
        _fits_campaign(session, campaign, enterprise, planned_on, lead)
    wf = workflow()
    now = clock.now()
    inspection = Inspection(
        # numbered from the row's own id once it has one: two regulators planning at the
        # same moment cannot draw the same number
        number=f"ZD-new-{secrets.token_hex(8)}",
        enterprise_id=enterprise.id,
        jurisdiction_id=enterprise.jurisdiction_id,
        campaign_id=campaign.id if campaign is not None else None,
        workflow=wf.name,
        workflow_version=wf.version,
        state=wf.initial,
        planned_on=planned_on,
        lead_id=lead.id,
        documents=[],
        conclusion="",
        created_at=now,
        updated_at=now,
    )
    session.add(inspection)
    session.flush()
    inspection.number = f"ZD-{planned_on:%Y}-{inspection.id:04d}"
    session.flush()
    joined = {"campaign": campaign.name, "campaign_id": campaign.id} if campaign else {}
    _audit(
        session, inspection, lead, "plan", clock, planned_on=planned_on, lead=lead.name, **joined
    )
    for expert in experts:
        add_expert(session, inspection, expert, actor=lead, clock=clock)
    return inspection


def _fits_campaign(
    session: Session, campaign: Campaign, enterprise: Enterprise, planned_on: date, lead: User
) -> None:
    if campaign not in campaigns.for_enterprise(session, lead, enterprise):
        raise _refuse(
            "campaign_scope",
            "专项行动“{name}”不覆盖该企业所在辖区",
            "The campaign '{name}' does not cover this enterprise's jurisdiction",
            name=campaign.name,
        )
    if not campaign.starts_on <= planned_on <= campaign.ends_on:
        raise _refuse(
            "campaign_period",
            "计划日期须在专项行动期间（{start}至{end}）",
            "The date must fall within the campaign ({start} to {end})",
            start=campaign.starts_on.isoformat(),
            end=campaign.ends_on.isoformat(),
        )


def add_expert(
    session: Session, inspection: Inspection, expert: User, *, actor: User, clock: Clock
) -> InspectionMember:
    """Put an expert on the visit's team: only the lead, only before the kickoff."""
    if actor.id != inspection.lead_id:
        raise _refuse(
            "not_lead", "只有本次服务的监管负责人可以组建专家组", "Only the lead forms the team"
        )
    if inspection.state not in ("planned", "notified"):
        raise _refuse(
            "team_fixed", "动员启动后不能再调整专家组", "The team is fixed once the visit starts"
        )
    enterprise = session.get(Enterprise, inspection.enterprise_id)
    if expert not in experts_for(session, enterprise):
        raise _refuse(
            "not_an_expert",
            "{name}不是本辖区的专家",
            "{name} is not an expert of this jurisdiction",
            name=expert.name,
        )
    if any(m.user_id == expert.id for m in inspection.members):
        raise _refuse(
            "already_on_team",
            "{name}已在专家组中",
            "{name} is already on the team",
            name=expert.name,
        )
    member = InspectionMember(inspection_id=inspection.id, user_id=expert.id, added_at=clock.now())
    inspection.members.append(member)
    session.flush()
    _audit(session, inspection, actor, "add_expert", clock, expert=expert.name, expert_id=expert.id)
    return member


# -- the consultation form ------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    number: int
    group: Mapping[str, Any]
    text: Mapping[str, str]


def checkpoints(wf: Workflow | None = None) -> list[Checkpoint]:
    wf = wf or workflow()
    return [
        Checkpoint(p["number"], g, {"zh": p["zh"], "en": p["en"]})
        for g in wf.section("checkpoint_groups")
        for p in g["checkpoints"]
    ]


def _keys(wf: Workflow, section: str) -> list[str]:
    spec = wf.section(section)
    return [i["key"] for i in spec.get("items", spec.get("roles", []))]


def finding(session: Session, inspection: Inspection, number: int) -> Finding:
    """The row of one checkpoint, created at its first save. Two first saves of the same
    checkpoint at once (a retry racing the original) make one row, not a duplicate."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    now = inspection.updated_at
    session.execute(
        insert(Finding)
        .values(
            inspection_id=inspection.id,
            checkpoint=number,
            methods=[],
            description="",
            suggestion="",
            answer="",
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["inspection_id", "checkpoint"])
    )
    return session.scalars(
        select(Finding).where(Finding.inspection_id == inspection.id, Finding.checkpoint == number)
    ).one()


def _checkpoint_number(wf: Workflow, number: Any) -> int:
    valid = {c.number for c in checkpoints(wf)}
    try:
        value = int(number)
    except (TypeError, ValueError):
        value = -1
    if value not in valid:
        raise NotFound([plain("no_checkpoint", "会诊表没有第{n}项", "No checkpoint {n}", n=number)])
    return value


def _parse(wf: Workflow, field: str, value: Any) -> Any:
    if field == "methods":
        values = value if isinstance(value, list) else [value]
        methods = [v for v in values if v]
        unknown = [m for m in methods if m not in _keys(wf, "methods")]
        if unknown:
            raise _refuse("bad_method", "未知的方式方法：{v}", "Unknown method: {v}", v=unknown[0])
        return sorted(set(methods), key=_keys(wf, "methods").index)
    if field == "result":
        if value in ("", None):
            return None
        if value not in _keys(wf, "findings"):
            raise _refuse("bad_result", "未知的结论：{v}", "Unknown finding: {v}", v=value)
        return value
    if field in TEXT_FIELDS:
        text = str(value or "").strip()
        if len(text) > MAX_TEXT:
            raise _refuse(
                "too_long", "内容超过{n}字", "The text is longer than {n} characters", n=MAX_TEXT
            )
        return text
    if field == "responsible":
        name = " ".join(str(value or "").split())
        if len(name) > MAX_NAME:
            raise _refuse(
                "too_long", "内容超过{n}字", "The text is longer than {n} characters", n=MAX_NAME
            )
        return name
    if field == "deadline":
        if value in ("", None):
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise _refuse("bad_date", "日期无效：{v}", "Not a date: {v}", v=value) from None
    raise _refuse("bad_field", "未知字段：{v}", "Unknown field: {v}", v=field)


def _may_edit(inspection: Inspection, actor: User) -> None:
    if not on_team(inspection, actor):
        raise NotFound([])  # read-only to everyone else: the form is not there for them
    if inspection.state not in EDITABLE:
        raise _refuse(
            "form_closed",
            "只能在现场会诊和讲评反馈阶段填写会诊表",
            "The form is filled in during the consultation and the debrief",
        )


def save_field(
    session: Session,
    inspection: Inspection,
    number: Any,
    field: str,
    value: Any,
    *,
    actor: User,
    clock: Clock,
) -> Finding:
    """Save one field of one checkpoint. The same value sent again (a retry) changes nothing
    and writes nothing: a save is idempotent by what it says, not by who sent it."""
    _may_edit(inspection, actor)
    wf = workflow()
    row = finding(session, inspection, _checkpoint_number(wf, number))
    parsed = _parse(wf, field, value)
    if field == "deadline" and parsed is not None and parsed < local_date(clock.now()):
        raise _refuse("past_deadline", "整改期限不能早于今天", "The deadline cannot be in the past")
    if getattr(row, field) == parsed:
        return row
    setattr(row, field, parsed)
    row.updated_at = clock.now()
    row.updated_by_id = actor.id
    session.flush()
    _audit(
        session,
        inspection,
        actor,
        "save_finding",
        clock,
        checkpoint=row.checkpoint,
        field=field,
        value=parsed,
    )
    return row


def resized(data: bytes) -> bytes:
    """A copy for the report: upright, at most REPORT_PIXELS on its longer side, as JPEG.
    The same photo always gives the same bytes, so a retried upload stores it once."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((REPORT_PIXELS, REPORT_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=82)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise _refuse("bad_image", "无法读取该照片", "The photo cannot be read") from None
    return out.getvalue()


def add_photo(
    session: Session,
    inspection: Inspection,
    number: Any,
    *,
    filename: str,
    data: bytes,
    actor: User,
    clock: Clock,
) -> FindingPhoto:
    """Keep a photo of a checkpoint by its hash; the same photo sent twice is one photo."""
    _may_edit(inspection, actor)
    wf = workflow()
    number = _checkpoint_number(wf, number)
    check_photo(data)
    row = finding(session, inspection, number)
    return keep_photo(
        session,
        inspection,
        row,
        filename=filename,
        data=data,
        kind="problem",
        actor=actor,
        clock=clock,
    )


def check_photo(data: bytes) -> None:
    if attachments.sniff(data) not in ("image/jpeg", "image/png"):
        raise _refuse("photo_type", "只接受 JPEG 或 PNG 照片", "Only JPEG or PNG photos")


def keep_photo(
    session: Session,
    inspection: Inspection,
    row: Finding,
    *,
    filename: str,
    data: bytes,
    kind: str,
    actor: User,
    clock: Clock,
) -> FindingPhoto:
    """Store a photo of one finding by its hash, with its copy for reports. Sent again (a
    retry, or two racing sends) it is the same row: the database's unique key decides."""
    small = resized(data)
    kept = dict(enterprise_id=inspection.enterprise_id, clock=clock, actor=actor)
    original = attachments.store(session, filename=filename, data=data, **kept)
    copy = attachments.store(
        session, filename=f"report-{original.sha256[:12]}.jpg", data=small, **kept
    )
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    # RETURNING, not rowcount: an ORM-enabled INSERT on PostgreSQL does not report the rows
    # ON CONFLICT DO NOTHING skipped, and a retried photo was audited again
    added = session.execute(
        insert(FindingPhoto)
        .values(
            finding_id=row.id,
            attachment_id=original.id,
            resized_id=copy.id,
            kind=kind,
            added_at=clock.now(),
            added_by_id=actor.id,
        )
        .on_conflict_do_nothing(index_elements=["finding_id", "attachment_id"])
        .returning(FindingPhoto.id)
    ).first()
    photo = session.scalars(
        select(FindingPhoto).where(
            FindingPhoto.finding_id == row.id, FindingPhoto.attachment_id == original.id
        )
    ).one()
    if photo.kind != kind:
        # the team's own picture sent back as the enterprise's evidence (or the reverse)
        raise _refuse(
            "photo_elsewhere",
            "这张照片已作为本项的{kept}保存",
            "This photo is already kept as {kept}",
            kept=PHOTO_KINDS[photo.kind],
        )
    if added is not None:
        _audit(
            session,
            inspection,
            actor,
            "add_photo" if kind == "problem" else "add_answer_photo",
            clock,
            checkpoint=row.checkpoint,
            sha256=original.sha256,
        )
    return photo


def photo_for(session: Session, user: User, number: str, photo_id: int) -> FindingPhoto:
    inspection = inspection_for(session, user, number)
    photo = session.scalars(
        select(FindingPhoto)
        .join(Finding, Finding.id == FindingPhoto.finding_id)
        .where(FindingPhoto.id == photo_id, Finding.inspection_id == inspection.id)
    ).first()
    if photo is None:
        raise NotFound([])
    return photo


def answer(
    session: Session,
    inspection: Inspection,
    number: Any,
    text: str,
    *,
    actor: User,
    clock: Clock,
) -> Finding:
    """The enterprise says how it rectified one problem (its own, and only a problem)."""
    row = _answerable(session, inspection, number, actor)
    checkpoint = row.checkpoint
    reply = str(text or "").strip()
    if not reply:
        raise _refuse("answer_empty", "请填写整改情况", "Say how the problem was rectified")
    if len(reply) > MAX_TEXT:
        raise _refuse(
            "too_long", "内容超过{n}字", "The text is longer than {n} characters", n=MAX_TEXT
        )
    if row.answer == reply:
        return row
    row.answer = reply
    row.answered_at = clock.now()
    row.answered_by_id = actor.id
    session.flush()
    _audit(session, inspection, actor, "answer_problem", clock, checkpoint=checkpoint, answer=reply)
    return row


def _answerable(session: Session, inspection: Inspection, number: Any, actor: User) -> Finding:
    """The problem the visited enterprise's principal, deputy or admin may answer now."""
    if (
        actor.enterprise_id != inspection.enterprise_id
        or actor.contractor_id is not None
        or not actor.has_role(*ANSWERERS)
    ):
        raise NotFound([])
    checkpoint = _checkpoint_number(workflow(), number)
    row = next((f for f in findings_of(session, inspection) if f.checkpoint == checkpoint), None)
    if row is None or row.result != "problem":
        raise NotFound([])
    if inspection.state not in ANSWERABLE:
        raise _refuse(
            "not_rectifying",
            "认可问题清单后才能答复整改情况",
            "Problems are answered once accepted",
        )
    return row


def add_answer_photo(
    session: Session,
    inspection: Inspection,
    number: Any,
    *,
    filename: str,
    data: bytes,
    actor: User,
    clock: Clock,
) -> FindingPhoto:
    """The enterprise's photo of a rectified problem, from the phone's camera: kept by its
    hash with a copy for reports, so a retry over a bad connection is the same photo."""
    row = _answerable(session, inspection, number, actor)
    check_photo(data)
    return keep_photo(
        session,
        inspection,
        row,
        filename=filename,
        data=data,
        kind="answer",
        actor=actor,
        clock=clock,
    )


def findings_of(session: Session, inspection: Inspection) -> list[Finding]:
    """Read fresh: each field is saved on its own, so a list loaded earlier may be stale."""
    return list(
        session.scalars(
            select(Finding)
            .where(Finding.inspection_id == inspection.id)
            .order_by(Finding.checkpoint)
            .execution_options(populate_existing=True)
        )
    )


def problems(session: Session, inspection: Inspection) -> list[Finding]:
    return [f for f in findings_of(session, inspection) if f.result == "problem"]


def short_consultation(inspection: Inspection, now: datetime) -> Reason | None:
    """The warning when the consultation ran (or is running) under half a day (二（二）2)."""
    start = inspection.consultation_started_at
    if start is None:
        return None
    end = inspection.consultation_ended_at or now
    spec = workflow().section("consultation")
    minimum = workflow().figure("consultation", "min_duration").seconds()
    lasted = (end - start).total_seconds()
    if lasted >= minimum:
        return None
    hours, minutes = divmod(int(lasted // 60), 60)
    duration = {"zh": f"{hours}小时{minutes}分钟", "en": f"{hours} h {minutes} min"}
    return Reason("short_consultation", spec["cite"], spec["warning"], {"duration": duration})


def _audit(
    session: Session,
    inspection: Inspection,
    actor: User | None,
    event: str,
    clock: Clock,
    **data: Any,
) -> None:
    """Into the visited enterprise's chain: the visit is part of that enterprise's record."""
    role = "system"
    if actor is not None:
        role = next(
            (str(r) for r in (Role.regulator, Role.expert, *ANSWERERS) if actor.has_role(r)),
            "system",
        )
    audit.append(
        session,
        enterprise_id=inspection.enterprise_id,
        actor_id=actor.id if actor else None,
        actor_role=role,
        subject_type="inspections",
        subject_id=inspection.id,
        event=event,
        data=data,
        at=clock.now(),
    )


__all__ = [
    "add_answer_photo",
    "add_expert",
    "add_photo",
    "answer",
    "checkpoints",
    "inspection_for",
    "plan",
    "save_field",
    "visible_inspections",
]
