"""Failed sign-ins, counted across processes to throttle password guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class LoginFailure(Base):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime]
    remote: Mapped[str] = mapped_column(String(64), default="")
