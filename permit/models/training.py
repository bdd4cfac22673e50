"""Training records (art. 7) and attendant competence (art. 4 para. 2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

if TYPE_CHECKING:
    from .enterprise import User


class TrainingRecord(Base):
    """One assessed training of one person. Validity is computed from the rules, never stored."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a key of [training] in the workflow file
    topic: Mapped[str] = mapped_column(String(200))
    taken_on: Mapped[date]
    passed: Mapped[bool]
    recorded_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="trainings")
