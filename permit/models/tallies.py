"""Running tallies the compliance board reads instead of the history they count.

Kept by the database itself (triggers of migration 0016) in the same transaction as each
signature, entry, training record, role and change of a person's standing, so they are exact
whatever writes the rows: the engine, an import, a bulk insert or psql. The rows they count
never change in the columns counted and are never deleted; a tally row that falls to zero
stays, at zero.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ApprovalTally(Base):
    """Approvals signed, by workflow version, tier and the signer's role (art. 11)."""

    __tablename__ = "approval_tallies"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(40), primary_key=True)
    workflow_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier: Mapped[str] = mapped_column(String(20), primary_key=True)  # "" when signed untiered
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    signed: Mapped[int]


class EntryTally(Base):
    """Check-ins, and those made without a fresh passing gas test (art. 12)."""

    __tablename__ = "entry_tallies"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    entries: Mapped[int]
    untested: Mapped[int]


class WorkforceTally(Base):
    """Active people by the set of roles they hold ("attendant,entrant", sorted)."""

    __tablename__ = "workforce_tallies"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    roles: Mapped[str] = mapped_column(String(200), primary_key=True)
    people: Mapped[int]


class TrainingTally(Base):
    """Active people by their set of roles, a kind of training, and the date of their newest
    passed record of that kind (art. 4, 7): how many hold a record that still counts on any
    day is a sum over the dates inside its validity."""

    __tablename__ = "training_tallies"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    roles: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    newest_on: Mapped[date] = mapped_column(primary_key=True)
    people: Mapped[int]
