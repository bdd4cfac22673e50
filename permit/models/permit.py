"""The permit (作业审批单) and what hangs off it: people, equipment, confirmations, signatures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from .base import Base
from .contractor import Contractor
from .enterprise import User
from .entry import EntryLog
from .equipment import Equipment
from .ledger import Space

if TYPE_CHECKING:
    from .gas import GasTest


class Permit(Base):
    __tablename__ = "permits"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "number"),
        Index("ix_permits_enterprise_state", "enterprise_id", "state"),
        # The board groups approvals by the workflow version each permit was judged under.
        Index("ix_permits_enterprise_workflow", "enterprise_id", "workflow", "workflow_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    workflow: Mapped[str] = mapped_column(String(40))
    workflow_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(nullable=False)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), index=True)
    task_type: Mapped[str | None] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(Text, default="")
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attendant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    hazards: Mapped[list] = mapped_column(default=list)
    control_measures: Mapped[list] = mapped_column(default=list)
    risk_tier: Mapped[str | None] = mapped_column(String(20))

    ventilation_started_at: Mapped[datetime | None]
    isolation_released_at: Mapped[datetime | None]
    isolation_restored_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_event: Mapped[str | None] = mapped_column(String(40))

    # Only what nearly every event reads is loaded with the permit; each guard loads the rest
    # it touches, so an event costs the queries its own rules need.
    space: Mapped[Space] = relationship(lazy="joined", innerjoin=True)
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    attendant: Mapped[User | None] = relationship(foreign_keys=[attendant_id], lazy="joined")
    contractor: Mapped[Contractor | None] = relationship()
    people: Mapped[list[PermitPerson]] = relationship(
        back_populates="permit", order_by="PermitPerson.id"
    )
    equipment_rows: Mapped[list[PermitEquipment]] = relationship(
        back_populates="permit", order_by="PermitEquipment.id"
    )
    checks: Mapped[list[PermitCheck]] = relationship(order_by="PermitCheck.id")
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.id")
    gas_tests: Mapped[list[GasTest]] = relationship(
        back_populates="permit", order_by="GasTest.tested_at"
    )
    entries: Mapped[list[EntryLog]] = relationship(back_populates="permit", order_by="EntryLog.id")

    __mapper_args__ = {"version_id_col": version}

    def people_as(self, role: str) -> list[User]:
        return [p.user for p in self.people if p.role == role]

    @property
    def entrants(self) -> list[User]:
        return self.people_as("entrant")

    @property
    def rescuers(self) -> list[User]:
        return self.people_as("rescuer")

    @property
    def supervisor(self) -> User | None:
        """The enterprise's on-site supervisor of contracted work (art. 6), if named."""
        named = self.people_as("supervisor")
        return named[0] if named else None

    @property
    def equipment(self) -> list[Equipment]:
        return [row.equipment for row in self.equipment_rows]

    @property
    def inside(self) -> set[int]:
        """Ids of the people checked in and not yet out, from the entry log: counted in the
        database unless the log is already loaded, so a long shift costs one small query."""
        session = object_session(self)
        if session is None or "entries" not in inspect(self).unloaded:
            inside: set[int] = set()
            for entry in self.entries:
                if entry.direction == "in":
                    inside.add(entry.user_id)
                else:
                    inside.discard(entry.user_id)
            return inside
        balance = func.sum(case((EntryLog.direction == "in", 1), else_=-1))
        rows = session.execute(
            select(EntryLog.user_id, balance)
            .where(EntryLog.permit_id == self.id)
            .group_by(EntryLog.user_id)
        )
        return {user_id for user_id, count in rows if count > 0}

    @property
    def last_entry(self) -> EntryLog | None:
        session = object_session(self)
        if session is None or "entries" not in inspect(self).unloaded:
            return self.entries[-1] if self.entries else None
        return session.scalars(
            select(EntryLog)
            .where(EntryLog.permit_id == self.id)
            .order_by(EntryLog.id.desc())
            .limit(1)
        ).first()

    @property
    def headcount(self) -> int:
        return len(self.inside)

    @property
    def latest_gas_test(self) -> GasTest | None:
        return self.gas_tests[-1] if self.gas_tests else None

    def __repr__(self) -> str:
        return f"<Permit {self.number} {self.state} v{self.version}>"


class PermitPerson(Base):
    """An entrant, rescuer or (for contracted work) the enterprise's on-site supervisor named
    on a permit; the attendant is a column of its own."""

    __tablename__ = "permit_people"
    __table_args__ = (UniqueConstraint("permit_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    briefed_at: Mapped[datetime | None]

    permit: Mapped[Permit] = relationship(back_populates="people")
    user: Mapped[User] = relationship(lazy="joined")


class PermitEquipment(Base):
    __tablename__ = "permit_equipment"
    __table_args__ = (UniqueConstraint("permit_id", "equipment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)

    permit: Mapped[Permit] = relationship(back_populates="equipment_rows")
    equipment: Mapped[Equipment] = relationship(lazy="joined")


class PermitCheck(Base):
    """One checklist item or control measure confirmed by a person, item by item (art. 12)."""

    __tablename__ = "permit_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(Text)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")


class Signature(Base):
    """An e-signature: approval, rejection, finish or close, with the tier it was signed under."""

    __tablename__ = "signatures"
    # The board counts approvals by tier and role (art. 11) without reading the rows.
    __table_args__ = (Index("ix_signatures_permit_kind", "permit_id", "kind", "tier", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")
