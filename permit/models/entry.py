"""The entry log: who went in and came out, and when (art. 13)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .enterprise import User

if TYPE_CHECKING:
    from .permit import Permit


class EntryLog(Base):
    __tablename__ = "entry_log"
    # The board counts entries made without a fresh passing gas test (art. 12).
    __table_args__ = (
        Index("ix_entry_log_permit_direction", "permit_id", "direction", "gas_test_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    gas_test_id: Mapped[int | None] = mapped_column(ForeignKey("gas_tests.id"))

    permit: Mapped[Permit] = relationship(back_populates="entries")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
