"""Warning-sign tokens (every QR code ever printed for a space) and failed scans."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class SignToken(Base):
    """One printed sign's QR token. The space's current token is `Space.qr_token`; a reissue
    marks the old row replaced, so the history of signs is kept, never deleted."""

    __tablename__ = "sign_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaced_at: Mapped[datetime | None]
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ScanMiss(Base):
    """A scan of an unknown or replaced token, counted per client to refuse enumeration."""

    __tablename__ = "scan_misses"
    __table_args__ = (Index("ix_scan_misses_remote_at", "remote", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    remote: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
