"""Who may see and do what: every query the web app or API makes is scoped here (DESIGN §8).

Outside one's scope a record simply does not exist (NotFound → 404), never someone else's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, bindparam, false, or_, select
from sqlalchemy.orm import Session

from . import db
from .approval import signing_role
from .clock import local_zone
from .errors import NotFound, plain
from .models import Contractor, Permit, PermitEquipment, Role, Space, User
from .workflow import get as get_workflow

# Staff who may request a permit (作业申请): not entrants, rescuers, contractors or outsiders.
REQUESTER_ROLES = (Role.approver, Role.principal, Role.deputy, Role.admin, Role.attendant)


def is_contractor(user: User) -> bool:
    return user.contractor_id is not None


def is_staff(user: User) -> bool:
    return user.enterprise_id is not None and not is_contractor(user)


def visible_permits(user: User) -> Select[tuple[Permit]]:
    if user.enterprise_id is None:
        return select(Permit).where(false())
    query = select(Permit).where(Permit.enterprise_id == user.enterprise_id)
    if is_contractor(user):
        query = query.where(Permit.contractor_id == user.contractor_id)
    return query


def visible_spaces(user: User) -> Select[tuple[Space]]:
    if not is_staff(user):
        return select(Space).where(false())
    return select(Space).where(Space.enterprise_id == user.enterprise_id)


def permit_for(session: Session, user: User, number: str) -> Permit:
    permit = session.scalars(visible_permits(user).where(Permit.number == number)).first()
    if permit is None:
        raise NotFound(
            [plain("not_found", "没有找到作业票 {number}", "No permit {number}", number=number)]
        )
    return permit


def can_request(user: User) -> bool:
    return is_staff(user) and user.has_role(*REQUESTER_ROLES)


def awaiting_signature(session: Session, user: User, on: date) -> list[Permit]:
    """Permits waiting for this user's signature under the approval tiers (art. 11)."""
    if not is_staff(user):
        return []
    pending = session.scalars(
        visible_permits(user).where(Permit.state == "pending_approval").order_by(Permit.id)
    ).all()
    return [
        p
        for p in pending
        if p.requester_id != user.id
        and signing_role(user, p, get_workflow(p.workflow, p.workflow_version), on) is not None
    ]


def attendant_today(session: Session, user: User, now: datetime) -> list[Permit]:
    """The attendant's permits that are open and whose window touches today (local time)."""
    start = datetime.combine(
        now.astimezone(local_zone()).date(), datetime.min.time(), tzinfo=local_zone()
    )
    end = start + timedelta(days=1)
    final = ("closed", "cancelled", "expired")
    return list(
        session.scalars(
            visible_permits(user)
            .where(
                Permit.attendant_id == user.id,
                Permit.state.not_in(final),
                or_(Permit.window_start.is_(None), Permit.window_start < end),
                or_(Permit.window_end.is_(None), Permit.window_end >= start),
            )
            .order_by(Permit.window_start)
        )
    )


def colleagues(session: Session, user: User) -> list[User]:
    """The people of the user's enterprise (staff and contractors' workers) who are active."""
    if not is_staff(user):
        return []
    return list(
        session.scalars(
            select(User)
            .where(User.enterprise_id == user.enterprise_id, User.active.is_(True))
            .order_by(User.name)
        )
    )


def contractor_of(session: Session, user: User) -> Contractor | None:
    return session.get(Contractor, user.contractor_id) if user.contractor_id else None


def contractor_workers(session: Session, user: User) -> list[User]:
    if user.contractor_id is None:
        return []
    return list(
        session.scalars(
            select(User).where(User.contractor_id == user.contractor_id).order_by(User.name)
        )
    )


@dataclass(frozen=True)
class PermitRef:
    """What a detector's gateway needs of a permit, read with Core in one query: a gateway
    posts many times a minute. `detector_id`: the detector the permit was found through."""

    id: int
    number: str
    enterprise_id: int
    state: str
    version: int
    created_at: datetime
    workflow: str
    workflow_version: str
    attendant_id: int | None
    detector_id: int | None = None


PERMITS = Permit.__table__
_BY_DETECTOR = (
    select(
        PERMITS.c.id,
        PERMITS.c.number,
        PERMITS.c.enterprise_id,
        PERMITS.c.state,
        PERMITS.c.version,
        PERMITS.c.created_at,
        PERMITS.c.workflow,
        PERMITS.c.workflow_version,
        PERMITS.c.attendant_id,
        PermitEquipment.__table__.c.equipment_id.label("detector_id"),
    )
    .join(PermitEquipment.__table__, PermitEquipment.__table__.c.permit_id == PERMITS.c.id)
    .where(
        PERMITS.c.enterprise_id == bindparam("enterprise_id"),
        PERMITS.c.number == bindparam("number"),
        PermitEquipment.__table__.c.equipment_id == bindparam("detector_id"),
    )
)
_PREPARED_BY_DETECTOR = db.Prepared(lambda dialect: db.PreparedRead(_BY_DETECTOR, dialect))


def permit_for_detector(
    session: Session, enterprise_id: int, detector_id: int, number: str
) -> PermitRef:
    """A detector's gateway sees only its enterprise's permits that its detector is on."""
    conn = session.connection()
    row = _PREPARED_BY_DETECTOR(conn).first(
        conn, {"enterprise_id": enterprise_id, "number": number, "detector_id": detector_id}
    )
    if row is None:
        raise NotFound(
            [plain("not_found", "没有找到作业票 {number}", "No permit {number}", number=number)]
        )
    return PermitRef(**row._asdict())
