"""Contractors and their safety-management agreements (art. 6)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .attachment import Attachment
from .base import Base


class Contractor(Base):
    """A company the enterprise contracts confined-space work out to. Retired, never deleted:
    its permits and agreements keep pointing at it."""

    __tablename__ = "contractors"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    retire_reason: Mapped[str] = mapped_column(String(200), default="")

    agreements: Mapped[list[SafetyAgreement]] = relationship(
        order_by="SafetyAgreement.valid_to.desc(), SafetyAgreement.id.desc()"
    )

    @property
    def active(self) -> bool:
        return self.retired_at is None


class SafetyAgreement(Base):
    """A safety-management agreement (安全生产管理协议): each party's duties, the task types it
    covers, its dates and the signed document. Several may be valid at once; one is revoked,
    never edited or deleted."""

    __tablename__ = "safety_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    scope: Mapped[list] = mapped_column(default=list)  # task types the agreement covers
    document_ref: Mapped[str] = mapped_column(String(200), default="")
    responsibilities: Mapped[str] = mapped_column(Text, default="")  # 参与方职责
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")

    attachment: Mapped[Attachment | None] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
