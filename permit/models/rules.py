"""Which rule pack an enterprise is judged by, from when; and written authorisations to approve."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RulePackChoice(Base):
    """An enterprise's choice of rule pack, applying from a date. Never edited: a later choice
    supersedes it from its own date, so the history of what applied when is kept."""

    __tablename__ = "rule_pack_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    pack: Mapped[str] = mapped_column(String(40))
    applies_from: Mapped[date]
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    chosen_at: Mapped[datetime]


class Authorisation(Base):
    """The principal's written authorisation for another person to approve permits
    (Order No. 13 art. 7: 主要负责人或者其书面委托的人员)."""

    __tablename__ = "authorisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    document_ref: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
