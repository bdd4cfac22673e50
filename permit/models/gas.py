"""Gas tests and their readings (art. 10, 12, 13)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .enterprise import User
from .equipment import Equipment

if TYPE_CHECKING:
    from .permit import Permit


class GasTest(Base):
    """One test: a set of readings taken together. Pass/fail is computed, never typed."""

    __tablename__ = "gas_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    tester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detector_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    tested_at: Mapped[datetime]
    client_time: Mapped[datetime | None]
    passed: Mapped[bool]
    during: Mapped[str] = mapped_column(String(30))  # the permit state when it was taken

    permit: Mapped[Permit] = relationship(back_populates="gas_tests")
    tester: Mapped[User | None] = relationship()
    detector: Mapped[Equipment | None] = relationship()
    readings: Mapped[list[Reading]] = relationship(order_by="Reading.id")


class Reading(Base):
    """One measurement: part of a gas test, or sent during work by a detector (batch_id)."""

    __tablename__ = "readings"
    # The live page and the silence watch read each detector's latest readings on a permit.
    __table_args__ = (
        Index("ix_readings_permit_detector_time", "permit_id", "detector_id", "taken_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    gas_test_id: Mapped[int | None] = mapped_column(ForeignKey("gas_tests.id"), index=True)
    gas: Mapped[str] = mapped_column(String(20))
    point: Mapped[str] = mapped_column(String(20), default="")
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(20))
    value_in_limit_unit: Mapped[float]
    limit_unit: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool]
    taken_at: Mapped[datetime]
    # Continuous monitoring (through the API): the detector that sent it, in which batch.
    detector_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("reading_batches.id"))
