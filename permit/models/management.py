"""The enterprise's own rules: its safety-management system document (art. 5) and its
approval-tier table (art. 11), each versioned: a new version supersedes, none is deleted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .attachment import Attachment
from .base import Base


class ManagementDocument(Base):
    """One version of the 有限空间作业安全管理制度, with the topics it was judged to cover."""

    __tablename__ = "management_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    version_label: Mapped[str] = mapped_column(String(40))
    effective_on: Mapped[date]
    topics: Mapped[list] = mapped_column(default=list)  # keys of the pack's [management_system]
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    superseded_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    attachment: Mapped[Attachment | None] = relationship()


class ApprovalTable(Base):
    """One version of the enterprise's approval-tier table for one workflow of one rule pack:
    per tier, the roles that approve (and whether written authorisation counts), overriding
    the pack's defaults within its bounds."""

    __tablename__ = "approval_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    pack: Mapped[str] = mapped_column(String(40))
    workflow: Mapped[str] = mapped_column(String(40))
    # tier name → {"approvers": [role, ...], "written_authorisation": bool}
    tiers: Mapped[dict] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")
    superseded_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
