"""Emergency readiness (art. 14): on-site disposal plans (现场处置方案) and drills."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DisposalPlan(Base):
    """The plan for one space, or for every space of a catalogue class. A new plan for the same
    scope supersedes the old one, which stays on record."""

    __tablename__ = "disposal_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"), index=True)
    catalogue_class: Mapped[str | None] = mapped_column(String(80))
    steps: Mapped[list] = mapped_column(default=list)  # what to do, in order
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    effective_on: Mapped[date]
    superseded_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Drill(Base):
    """One drill held, with who took part and how it was judged (评估)."""

    __tablename__ = "drills"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    held_on: Mapped[date]
    scenario: Mapped[str] = mapped_column(String(300))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("disposal_plans.id"))
    participants: Mapped[list] = mapped_column(default=list)  # user ids
    evaluation: Mapped[str] = mapped_column(String(2000), default="")
    photos: Mapped[list] = mapped_column(default=list)  # attachment ids
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
