"""Protective and rescue equipment (art. 10), its certificates and its periodic checks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .attachment import Attachment
from .base import Base
from .enterprise import User

IN_SERVICE = "in_service"
OUT_OF_SERVICE = "out_of_service"
RETIRED = "retired"
STATUSES = (IN_SERVICE, OUT_OF_SERVICE, RETIRED)


class Equipment(Base):
    __tablename__ = "equipment"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "serial"),
        Index("ix_equipment_enterprise_status_due", "enterprise_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a key of [equipment_kinds] in the workflow
    serial: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    gases: Mapped[list] = mapped_column(default=list)  # gas detectors: the gases they measure
    pump_suction: Mapped[bool] = mapped_column(default=False)
    # The next calibration / verification / inspection: set from the latest certificate (kept
    # on the row so that registers and boards can count overdue items in one query).
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=IN_SERVICE)
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    status_since: Mapped[datetime | None]
    created_at: Mapped[datetime]

    certificates: Mapped[list[EquipmentCertificate]] = relationship(
        order_by="EquipmentCertificate.performed_on.desc(), EquipmentCertificate.id.desc()",
        viewonly=True,
    )
    checks: Mapped[list[EquipmentCheck]] = relationship(
        order_by="EquipmentCheck.checked_at.desc(), EquipmentCheck.id.desc()", viewonly=True
    )


class EquipmentCertificate(Base):
    """One verification, inspection or calibration (检定、检验、校准) with its certificate."""

    __tablename__ = "equipment_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # verification | inspection | calibration
    performed_on: Mapped[date]
    valid_until: Mapped[date]  # as the certificate states it, or computed from the rules
    agency: Mapped[str] = mapped_column(String(200), default="")
    certificate_no: Mapped[str] = mapped_column(String(80), default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]

    attachment: Mapped[Attachment | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class EquipmentCheck(Base):
    """An attendant's periodic check of one item (art. 10: 监护人员负责定期检查)."""

    __tablename__ = "equipment_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    checked_at: Mapped[datetime]
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    results: Mapped[dict] = mapped_column(default=dict)  # checklist key → passed
    passed: Mapped[bool]
    note: Mapped[str] = mapped_column(String(500), default="")

    checked_by: Mapped[User | None] = relationship()
