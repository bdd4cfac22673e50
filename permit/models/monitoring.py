"""Continuous gas monitoring during work (art. 13): batches of detector readings and alarms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ReadingBatch(Base):
    """One batch of readings as it was received: who sent it, when, and a digest of its rows
    (the audit entry of the batch carries the digest, so an altered reading is detectable)."""

    __tablename__ = "reading_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime]
    count: Mapped[int]
    first_taken_at: Mapped[datetime]
    last_taken_at: Mapped[datetime]
    digest: Mapped[str] = mapped_column(String(64))


class Alarm(Base):
    """A reading outside the limits, as received. It is open until a passing gas test is
    taken after it was raised; whether it moved the permit is kept with it."""

    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "out_of_range"
    raised_at: Mapped[datetime]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("reading_batches.id"))
    detector_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    gas: Mapped[str] = mapped_column(String(20))
    point: Mapped[str] = mapped_column(String(20), default="")
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(20))
    value_in_limit_unit: Mapped[float]
    limit_unit: Mapped[str] = mapped_column(String(20))
    taken_at: Mapped[datetime]
    readings_over: Mapped[int] = mapped_column(default=1)  # of this gas and detector, in the batch
    permit_state: Mapped[str] = mapped_column(String(30))  # when it was raised
    moved_to: Mapped[str | None] = mapped_column(String(30))  # the state the alarm moved it to


class DetectorSilence(Base):
    """A detector that was reporting on a working permit and then fell silent for longer than
    the pack's silence (art. 13: continuous monitoring). One row per silence: it is keyed by
    the last reading before it, so a tick that runs again records nothing new, and a detector
    that reports again and then falls silent once more is recorded once more."""

    __tablename__ = "detector_silences"
    __table_args__ = (UniqueConstraint("permit_id", "detector_id", "last_reading_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    detector_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"))
    last_reading_at: Mapped[datetime]
    flagged_at: Mapped[datetime]
