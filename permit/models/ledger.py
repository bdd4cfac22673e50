"""The ledger of confined spaces (台账, art. 8)."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def new_qr_token() -> str:
    """192 random bits: a sign's QR never carries a database id."""
    return secrets.token_urlsafe(24)


class Space(Base):
    __tablename__ = "spaces"
    __table_args__ = (UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200), default="")
    industry: Mapped[str] = mapped_column(String(40))
    catalogue_class: Mapped[str | None] = mapped_column(String(80))
    hazards: Mapped[list] = mapped_column(default=list)
    isolation_measures: Mapped[list] = mapped_column(default=list)
    control_measures: Mapped[list] = mapped_column(default=list)
    deep: Mapped[bool] = mapped_column(default=False)
    sign_placed_on: Mapped[date | None]
    notice_board_placed_on: Mapped[date | None]
    # The number printed on this space's sign when it differs from the enterprise's.
    emergency_phone: Mapped[str | None] = mapped_column(String(40))
    qr_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_qr_token)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    @property
    def active(self) -> bool:
        return self.retired_at is None
