"""Contractors and their safety-management agreements (art. 6)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Contractor(Base):
    __tablename__ = "contractors"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    agreements: Mapped[list[SafetyAgreement]] = relationship()


class SafetyAgreement(Base):
    __tablename__ = "safety_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    scope: Mapped[list] = mapped_column(default=list)  # task types the agreement covers
    document_ref: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
