"""Training (art. 7): sessions with their attendees' assessments, the annual plan, and each
person's records, attendant competence (art. 4 para. 2) included."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

if TYPE_CHECKING:
    from .enterprise import User


class TrainingSession(Base):
    """One session held: who trained whom on what, for how long, with its materials."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a key of [training] in the workflow file
    topic: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date]
    trainer: Mapped[str] = mapped_column(String(120))
    hours: Mapped[float]
    materials: Mapped[list] = mapped_column(default=list)  # attachment ids
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]

    records: Mapped[list[TrainingRecord]] = relationship(
        back_populates="session", order_by="TrainingRecord.id", viewonly=True
    )


class TrainingRecord(Base):
    """One assessed training of one person. Validity is computed from the rules, never stored."""

    __tablename__ = "training_records"
    # The board and the reminders read each person's newest passed record per kind.
    __table_args__ = (
        Index("ix_training_records_user_kind_passed", "user_id", "kind", "passed", "taken_on"),
        # ... and the board's list of what falls due, the records of a date window.
        Index("ix_training_records_kind_taken", "kind", "passed", "taken_on", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a key of [training] in the workflow file
    topic: Mapped[str] = mapped_column(String(200))
    taken_on: Mapped[date]
    passed: Mapped[bool]
    recorded_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="trainings")
    session: Mapped[TrainingSession | None] = relationship(back_populates="records")


class TrainingPlanItem(Base):
    """A line of the annual training plan: what is to be trained, to whom, in which month.
    Dropped lines are marked, not deleted."""

    __tablename__ = "training_plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    year: Mapped[int]
    month: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(200))
    audience: Mapped[list] = mapped_column(default=list)  # roles
    dropped_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
