"""Creating the records a permit draws on. Each creation is audited in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from . import audit, packs
from .clock import Clock, local_date
from .errors import InvalidInput, plain
from .models import (
    Authorisation,
    Contractor,
    Enterprise,
    Equipment,
    Permit,
    PermitEquipment,
    PermitPerson,
    Role,
    SafetyAgreement,
    Space,
    TrainingRecord,
    User,
    UserRole,
)
from .passwords import hash_password
from .workflow import get as get_workflow


def _audit(
    session: Session,
    obj: Any,
    enterprise_id: int | None,
    actor: User | None,
    event: str,
    now: datetime,
    *,
    role: str | None = None,
    **data: Any,
) -> None:
    session.flush()
    audit.append(
        session,
        enterprise_id=enterprise_id,
        actor_id=actor.id if actor else None,
        actor_role=role or ("admin" if actor else "system"),
        subject_type=type(obj).__tablename__,
        subject_id=obj.id,
        event=event,
        data=data,
        at=now,
    )


def create_enterprise(
    session: Session,
    *,
    code: str,
    name: str,
    industry: str,
    clock: Clock,
    emergency_phone: str | None = None,
    actor: User | None = None,
    rule_pack: str | None = None,
) -> Enterprise:
    ent = Enterprise(
        code=code,
        name=name,
        industry=industry,
        emergency_phone=emergency_phone,
        created_at=clock.now(),
    )
    session.add(ent)
    session.flush()
    _audit(
        session, ent, ent.id, actor, "create", clock.now(), code=code, name=name, industry=industry
    )
    if rule_pack is not None:
        packs.choose(session, ent.id, rule_pack, local_date(clock.now()), clock=clock, actor=actor)
    return ent


def add_user(
    session: Session,
    *,
    enterprise: Enterprise | None,
    name: str,
    clock: Clock,
    roles: Iterable[Role | str] = (),
    username: str | None = None,
    password: str | None = None,
    contractor: Contractor | None = None,
    phone: str | None = None,
    email: str | None = None,
    actor: User | None = None,
    actor_role: str | None = None,
) -> User:
    user = User(
        enterprise_id=enterprise.id if enterprise else None,
        contractor_id=contractor.id if contractor else None,
        username=username,
        name=name,
        phone=phone,
        email=email,
        password_hash=hash_password(password) if password else None,
        created_at=clock.now(),
    )
    user.role_rows = [UserRole(role=str(r)) for r in roles]
    session.add(user)
    _audit(
        session,
        user,
        user.enterprise_id,
        actor,
        "create",
        clock.now(),
        role=actor_role,
        name=name,
        username=username,
        roles=sorted(str(r) for r in roles),
        contractor=contractor.id if contractor else None,
        **({"email": email} if email else {}),
    )
    return user


def record_training(
    session: Session,
    user: User,
    *,
    kind: str,
    taken_on: date,
    passed: bool,
    clock: Clock,
    topic: str = "",
    actor: User | None = None,
) -> TrainingRecord:
    record = TrainingRecord(
        user_id=user.id,
        kind=kind,
        topic=topic or kind,
        taken_on=taken_on,
        passed=passed,
        recorded_at=clock.now(),
    )
    user.trainings.append(record)
    _audit(
        session,
        record,
        user.enterprise_id,
        actor,
        "record",
        clock.now(),
        user=user.id,
        kind=kind,
        taken_on=taken_on,
        passed=passed,
    )
    return record


def add_space(
    session: Session,
    enterprise: Enterprise,
    *,
    code: str,
    name: str,
    clock: Clock,
    industry: str | None = None,
    catalogue_class: str | None = None,
    hazards: list[str] = (),
    control_measures: list[str] = (),
    isolation_measures: list[str] = (),
    location: str = "",
    deep: bool = False,
    sign_placed_on: date | None = None,
    notice_board_placed_on: date | None = None,
    emergency_phone: str | None = None,
    actor: User | None = None,
    actor_role: str | None = None,
) -> Space:
    space = Space(
        enterprise_id=enterprise.id,
        code=code,
        name=name,
        location=location,
        industry=industry or enterprise.industry,
        catalogue_class=catalogue_class,
        hazards=list(hazards),
        control_measures=list(control_measures),
        isolation_measures=list(isolation_measures),
        deep=deep,
        sign_placed_on=sign_placed_on,
        notice_board_placed_on=notice_board_placed_on,
        emergency_phone=emergency_phone,
        created_at=clock.now(),
    )
    session.add(space)
    _audit(
        session,
        space,
        enterprise.id,
        actor,
        "create",
        clock.now(),
        role=actor_role,
        code=code,
        name=name,
        location=location,
        industry=space.industry,
        catalogue_class=catalogue_class,
        hazards=list(hazards),
        isolation_measures=list(isolation_measures),
        control_measures=list(control_measures),
        deep=deep,
        sign_placed_on=sign_placed_on,
        notice_board_placed_on=notice_board_placed_on,
        emergency_phone=emergency_phone,
    )
    return space


def retire_space(
    session: Session,
    space: Space,
    *,
    clock: Clock,
    actor: User | None = None,
    reason: str = "",
    actor_role: str | None = None,
) -> None:
    """Retire, never delete: the space stays in the ledger, its permits keep pointing at it."""
    space.retired_at = clock.now()
    _audit(
        session,
        space,
        space.enterprise_id,
        actor,
        "retire",
        clock.now(),
        role=actor_role,
        reason=reason,
    )


def add_equipment(
    session: Session,
    enterprise: Enterprise,
    *,
    kind: str,
    serial: str,
    name: str,
    clock: Clock,
    due_on: date | None,
    gases: list[str] = (),
    pump_suction: bool = False,
    actor: User | None = None,
) -> Equipment:
    item = Equipment(
        enterprise_id=enterprise.id,
        kind=kind,
        serial=serial,
        name=name,
        gases=list(gases),
        pump_suction=pump_suction,
        due_on=due_on,
        created_at=clock.now(),
    )
    session.add(item)
    _audit(
        session,
        item,
        enterprise.id,
        actor,
        "create",
        clock.now(),
        kind=kind,
        serial=serial,
        due_on=due_on,
    )
    return item


def add_contractor(
    session: Session, enterprise: Enterprise, *, name: str, clock: Clock, actor: User | None = None
) -> Contractor:
    contractor = Contractor(enterprise_id=enterprise.id, name=name, created_at=clock.now())
    session.add(contractor)
    _audit(session, contractor, enterprise.id, actor, "create", clock.now(), name=name)
    return contractor


def add_agreement(
    session: Session,
    contractor: Contractor,
    *,
    valid_from: date,
    valid_to: date,
    scope: list[str],
    clock: Clock,
    document_ref: str = "",
    actor: User | None = None,
) -> SafetyAgreement:
    agreement = SafetyAgreement(
        contractor_id=contractor.id,
        valid_from=valid_from,
        valid_to=valid_to,
        scope=list(scope),
        document_ref=document_ref,
        created_at=clock.now(),
    )
    contractor.agreements.append(agreement)
    _audit(
        session,
        agreement,
        contractor.enterprise_id,
        actor,
        "create",
        clock.now(),
        contractor=contractor.id,
        valid_from=valid_from,
        valid_to=valid_to,
        scope=list(scope),
    )
    return agreement


def _next_number(session: Session, enterprise: Enterprise, now: datetime) -> str:
    # One atomic UPDATE … RETURNING: two concurrent requests never get the same number.
    counter = session.execute(
        update(Enterprise)
        .where(Enterprise.id == enterprise.id)
        .values(permit_counter=Enterprise.permit_counter + 1)
        .returning(Enterprise.permit_counter)
    ).scalar_one()
    return f"{enterprise.code}-{now.year}-{counter:04d}"


def create_permit(
    session: Session,
    *,
    space: Space,
    requester: User,
    clock: Clock,
    task_type: str | None = None,
    purpose: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    attendant: User | None = None,
    entrants: Iterable[User] = (),
    rescuers: Iterable[User] = (),
    equipment: Iterable[Equipment] = (),
    contractor: Contractor | None = None,
    supervisor: User | None = None,
    hazards: list[str] | None = None,
    control_measures: list[str] | None = None,
    workflow: str = "confined_space",
    workflow_version: str | None = None,
) -> Permit:
    """A draft permit for one ledger space; hazards and control measures default to the ledger's."""
    now = clock.now()
    if workflow_version is None:  # the pack the enterprise is judged by when the work starts
        day = local_date(window_start or now)
        wf = packs.workflow_for(session, space.enterprise_id, workflow, day)
    else:
        wf = get_workflow(workflow, workflow_version)
    enterprise = session.get(Enterprise, space.enterprise_id)
    permit = Permit(
        enterprise_id=space.enterprise_id,
        number=_next_number(session, enterprise, now),
        workflow=wf.name,
        workflow_version=wf.version,
        state=wf.initial,
        space=space,
        task_type=task_type,
        purpose=purpose,
        window_start=window_start,
        window_end=window_end,
        requester=requester,
        attendant=attendant,
        contractor=contractor,
        hazards=list(space.hazards if hazards is None else hazards),
        control_measures=list(
            space.control_measures if control_measures is None else control_measures
        ),
        created_at=now,
        updated_at=now,
    )
    permit.people = (
        [PermitPerson(user=u, role="entrant") for u in entrants]
        + [PermitPerson(user=u, role="rescuer") for u in rescuers]
        # The enterprise's own on-site supervisor of contracted work (art. 6).
        + ([PermitPerson(user=supervisor, role="supervisor")] if supervisor else [])
    )
    permit.equipment_rows = [PermitEquipment(equipment=e) for e in equipment]
    session.add(permit)
    session.flush()
    audit.append(
        session,
        enterprise_id=permit.enterprise_id,
        actor_id=requester.id,
        actor_role="requester",
        subject_type="permits",
        subject_id=permit.id,
        event="create",
        data={
            "number": permit.number,
            "space": space.code,
            "task_type": task_type,
            "attendant": attendant.id if attendant else None,
            "entrants": [u.id for u in entrants],
            "rescuers": [u.id for u in rescuers],
            "equipment": [e.id for e in equipment],
            "hazards": permit.hazards,
            "control_measures": permit.control_measures,
            "contractor": contractor.id if contractor else None,
            "supervisor": supervisor.id if supervisor else None,
            "window": [window_start, window_end],
            "workflow": [wf.name, wf.version],
        },
        at=now,
    )
    return permit


def authorise(
    session: Session,
    principal: User,
    delegate: User,
    *,
    valid_from: date,
    valid_to: date,
    document_ref: str,
    clock: Clock,
) -> Authorisation:
    """The principal's written authorisation for a delegate to approve (Order No. 13 art. 7)."""
    if not principal.has_role("principal") or principal.enterprise_id != delegate.enterprise_id:
        raise InvalidInput(
            [
                plain(
                    "not_principal",
                    "只有本单位主要负责人可以书面委托审批",
                    "Only the enterprise's principal can authorise in writing",
                )
            ]
        )
    if valid_to < valid_from or not document_ref.strip():
        raise InvalidInput(
            [
                plain(
                    "bad_authorisation",
                    "委托书须有有效期和文号",
                    "An authorisation needs its dates and its document reference",
                )
            ]
        )
    row = Authorisation(
        enterprise_id=principal.enterprise_id,
        principal_id=principal.id,
        delegate_id=delegate.id,
        valid_from=valid_from,
        valid_to=valid_to,
        document_ref=document_ref.strip(),
        created_at=clock.now(),
    )
    session.add(row)
    _audit(
        session,
        row,
        principal.enterprise_id,
        principal,
        "authorise",
        clock.now(),
        delegate=delegate.id,
        valid_from=valid_from,
        valid_to=valid_to,
        document_ref=document_ref,
    )
    return row
