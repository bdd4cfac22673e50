"""Protective and rescue equipment (art. 10)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Equipment(Base):
    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("enterprise_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a key of [equipment_kinds] in the workflow
    serial: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    gases: Mapped[list] = mapped_column(default=list)  # gas detectors: the gases they measure
    pump_suction: Mapped[bool] = mapped_column(default=False)
    due_on: Mapped[date | None]  # next calibration / verification / inspection
    status: Mapped[str] = mapped_column(String(20), default="in_service")
    created_at: Mapped[datetime]
